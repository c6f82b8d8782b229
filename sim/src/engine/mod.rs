//! The simulation: the fleet, the ALB and the request path, driven by the
//! kernel's one event loop.
//!
//! ```text
//!  Arrival(service) ──ALB pick──► task: idle slot? ──yes──► start service ──► Completion
//!                        │                 └─no──► queue (or 503 when full)      │
//!                        └─no target──► 503            next in queue ◄───────────┘
//! ```
//!
//! Every event is one variant of [`Event`], handled by one method; the fleet's
//! control planes live in their own modules as more `impl Simulation` blocks:
//! [`crate::scheduler`] (ECS service scheduler, deploys, health checks),
//! [`crate::asg`] (EC2 Auto Scaling group), [`crate::autoscale`] (CloudWatch
//! datapoints and target tracking), [`crate::faults`] (failures).
//!
//! This file is the `Event` enum, the run-time state and the loop; the
//! request path (`request.rs`) and the close of a window (`window.rs`) are
//! beside it, each its own noun, so that no file holds the whole engine.
//! They import nothing from the control planes, which import them: the
//! arrows go one way (ARCHITECTURE.md).

use crate::alb::TargetGroup;
use crate::dist::Sampler;
use crate::host::Host;
use crate::kernel::Kernel;
use crate::placement::{indexed::Indexed, TaskSpec};
use crate::rng::{replication_seed, stream, Rng};
use crate::scenario::{Algorithm, Scenario};
use crate::target_tracking::{Alarms, ServicePolicy};
use crate::task::{Task, TaskState};
use crate::time::{Nanos, SimTime, NANOS_PER_SEC};
use crate::traffic::ArrivalStream;
use dockmaster_reports::{
    EngineStats, FleetEvent, FleetEventKind, FleetGauges, Recorder, Recording, RunTotals, Source,
};
use rand::Rng as _;

mod request;
mod window;

pub use crate::audit::{Audit, CpuWindow};

/// The placement engine the simulator uses: the indexed one, which decides
/// exactly as the plain oracle does (tests/placement_equiv.rs) in O(log n).
pub(crate) type PlacementEngine = Indexed;

/// Everything that can happen. One `match` in [`Simulation::step`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    /// The request of a task whose CPU work finishes first is done with it
    /// (stale if the task's work-clock generation moved on).
    Completion { task: u32, gen: u32 },
    /// The request in a slot is done waiting off the CPU (the part of its
    /// service time that contention does not slow): it has its own event,
    /// fixed when the wait starts.
    SlotDone { task: u32, slot: u32, gen: u32 },
    /// A hard-limited task's CFS quota timer: throttle or refill
    /// ([`crate::cpu`]).
    QuotaTimer { task: u32, gen: u32 },
    /// The current reporting window ends.
    WindowEnd,
    /// A one-minute CloudWatch datapoint: metrics and scaling policies.
    Datapoint,
    /// A launched instance is InService and registers with the cluster.
    HostInService { host: u32 },
    /// A placed task finished starting and registers with the target group.
    TaskStarted { task: u32, gen: u32 },
    /// A health check that changes a target's state (first pass, or the
    /// last of the failures that mark it unhealthy).
    HealthCheck { task: u32, gen: u32 },
    /// The deregistration delay of a draining target ran out.
    DeregistrationTimeout { task: u32, gen: u32 },
    /// The ECS service scheduler looks at a service.
    SchedulerPass { service: u16 },
    /// A scripted event of the scenario.
    Scripted { index: u32 },
    /// The end of a Spot instance's two-minute notice.
    SpotTermination { host: u32 },
    /// The next background host failure (`[faults] instance_mtbf`).
    RandomFailure,
}

/// A service at run time.
pub(crate) struct ServiceRt {
    pub service_time: Sampler,
    pub cpu_per_request: f64,
    pub arrivals: ArrivalStream,
    pub target_group: TargetGroup,
    /// ALB routing randomness (weighted_random), per target group.
    pub alb_rng: Rng,
    /// Service-time randomness, per service.
    pub work_rng: Rng,
    /// Health-check phase randomness, per service.
    pub hc_rng: Rng,
    pub spec: TaskSpec,
    /// ECS desiredCount.
    pub desired: u32,
    /// Current revision (task definition); tasks of older ones are replaced.
    pub revision: u32,
    /// Tasks not yet stopped, in creation order.
    pub tasks: Vec<u32>,
    pub pass_scheduled: bool,
    /// A rolling deploy in progress: (revision, started at, steps so far).
    pub deployment: Option<(u32, SimTime, u32)>,
    /// vCPUs its tasks get now.
    pub cpu_used: f64,
    /// CPU-ns used since the last datapoint, up to `cpu_since`.
    pub cpu_area: f64,
    /// CPU-ns used since the start, up to `cpu_since` (the audit's).
    pub cpu_total: f64,
    pub cpu_since: SimTime,
    /// Busy-slot-ns since the last datapoint (for the memory model).
    pub busy_area: f64,
    pub busy: u64,
    /// Requests routed to a target since the last datapoint.
    pub routed: u64,
    pub policy: ServicePolicy,
}

impl ServiceRt {
    #[inline]
    pub fn account(&mut self, now: SimTime) {
        let dt = (now.0 - self.cpu_since.0) as f64;
        self.cpu_area += self.cpu_used * dt;
        self.cpu_total += self.cpu_used * dt;
        self.busy_area += self.busy as f64 * dt;
        self.cpu_since = now;
    }
}

/// The EC2 Auto Scaling group at run time.
pub(crate) struct AsgRt {
    pub desired: u32,
    /// AZs that are down (launches there fail).
    pub az_down: Vec<bool>,
    pub launch_time: Sampler,
    pub rng: Rng,
    /// Its target tracking policy's alarms (`[cluster.asg.scaling]`).
    pub policy: Alarms,
}

pub struct Simulation<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) kernel: Kernel<Event>,
    pub(crate) hosts: Vec<Host>,
    /// Placement id → host index.
    pub(crate) pid_host: Vec<u32>,
    pub(crate) tasks: Vec<Task>,
    pub(crate) services: Vec<ServiceRt>,
    pub(crate) placement: PlacementEngine,
    pub(crate) placement_rng: Rng,
    pub(crate) faults_rng: Rng,
    pub(crate) asg: AsgRt,
    algorithm: Algorithm,
    recorder: Recorder,
    pub(crate) log: Vec<FleetEvent>,
    /// Each service's next arrival instant (u64::MAX: no more).
    next_arrival: Vec<Nanos>,
    /// The earliest of them and its service.
    earliest_arrival: (Nanos, u16),
    window_start: SimTime,
    // Time integrals since the window started, brought up to date at every
    // event: requests in system (Little's L), CPUs in use, hosts billed.
    pub(crate) last_change: SimTime,
    in_system: u64,
    in_system_area: f64,
    /// vCPUs delivered now, fleet-wide.
    pub(crate) cpu_used: f64,
    pub(crate) cpu_area: f64,
    /// vCPUs of the registered hosts, and their integral over the window.
    pub(crate) registered_vcpu: f64,
    vcpu_area: f64,
    /// CPU work (ns at one vCPU) of the requests that finished it in the
    /// window: the audit's independent count.
    pub(crate) cpu_work_done: f64,
    pub(crate) cpu_scratch: crate::cpu::Scratch,
    /// How many times a task's quota throttled it.
    pub(crate) throttled: u64,
    audit: Audit,
    pub(crate) billed_hosts: u32,
    billed_area: f64,
    notes: Vec<String>,
    hosts_peak: u32,
    tasks_peak: u32,
    cost_usd: f64,
    /// Audit: every placement checked against the host's registered
    /// resources (used by tests).
    pub(crate) overcommits: u32,
}

impl<'a> Simulation<'a> {
    /// The fleet at t = 0: the ASG's desired hosts InService, balanced over
    /// the AZs, and each service's desired tasks placed, running and healthy.
    pub fn new(scenario: &'a Scenario, seed: u64) -> Simulation<'a> {
        let asg = &scenario.cluster.asg;
        let services: Vec<ServiceRt> = scenario
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| ServiceRt {
                service_time: Sampler::new(&s.service_time),
                cpu_per_request: s.cpu_per_request,
                arrivals: ArrivalStream::new(scenario, i, seed, 1.0),
                target_group: TargetGroup::default(),
                alb_rng: stream(seed, &format!("alb/{}", s.name)),
                work_rng: stream(seed, &format!("service-time/{}", s.name)),
                hc_rng: stream(seed, &format!("health-check/{}", s.name)),
                spec: TaskSpec {
                    group: i as u32,
                    cpu: s.cpu,
                    memory: s.memory,
                    strategies: s.placement.clone(),
                    constraints: s.constraints.clone(),
                },
                desired: s.desired,
                revision: 0,
                tasks: Vec::new(),
                pass_scheduled: false,
                deployment: None,
                cpu_used: 0.0,
                cpu_area: 0.0,
                cpu_total: 0.0,
                cpu_since: SimTime::ZERO,
                busy_area: 0.0,
                busy: 0,
                routed: 0,
                policy: ServicePolicy::default(),
            })
            .collect();

        let meta = scenario.meta(seed, Source::Simulate);
        let gauges = FleetGauges::declared(scenario.services.iter().map(|s| s.name.as_str()));

        let mut sim = Simulation {
            scenario,
            kernel: Kernel::new(),
            hosts: Vec::new(),
            pid_host: Vec::new(),
            tasks: Vec::new(),
            services,
            placement: PlacementEngine::default(),
            placement_rng: stream(seed, "placement"),
            faults_rng: stream(seed, "faults"),
            asg: AsgRt {
                desired: asg.desired,
                az_down: vec![false; scenario.cluster.azs.len()],
                launch_time: Sampler::new(&asg.launch_time),
                rng: stream(seed, "asg"),
                policy: Alarms::default(),
            },
            algorithm: scenario.load_balancer.algorithm,
            recorder: Recorder::new(meta, gauges),
            log: Vec::new(),
            next_arrival: vec![u64::MAX; scenario.services.len()],
            earliest_arrival: (u64::MAX, 0),
            window_start: SimTime::ZERO,
            last_change: SimTime::ZERO,
            in_system: 0,
            in_system_area: 0.0,
            cpu_used: 0.0,
            cpu_area: 0.0,
            registered_vcpu: 0.0,
            vcpu_area: 0.0,
            cpu_work_done: 0.0,
            cpu_scratch: Default::default(),
            throttled: 0,
            audit: Audit::default(),
            billed_hosts: 0,
            billed_area: 0.0,
            notes: crate::scenario::warnings(scenario)
                .into_iter()
                .map(|w| format!("warning: {w}"))
                .collect(),
            hosts_peak: 0,
            tasks_peak: 0,
            cost_usd: 0.0,
            overcommits: 0,
        };
        sim.start_fleet();
        for s in 0..sim.services.len() {
            sim.schedule_next_arrival(s as u16);
        }
        sim.kernel.schedule_first_at(
            SimTime(scenario.window.min(scenario.duration)),
            Event::WindowEnd,
        );
        sim.kernel.schedule(60 * NANOS_PER_SEC, Event::Datapoint);
        for (i, e) in scenario.events.iter().enumerate() {
            sim.kernel
                .schedule_at(SimTime(e.at), Event::Scripted { index: i as u32 });
        }
        sim.schedule_random_failure();
        sim
    }

    /// Steady state at t = 0 (docs/scenario-format.md): hosts InService, tasks placed,
    /// running and healthy, nothing logged as a launch.
    fn start_fleet(&mut self) {
        for _ in 0..self.asg.desired {
            let az = self.launch_az().expect("no AZ is down at t = 0");
            let h = self.add_host(az);
            self.register_host(h);
        }
        for si in 0..self.services.len() {
            let s = &self.scenario.services[si];
            let mut unplaced = 0;
            for _ in 0..self.services[si].desired {
                let t = self.new_task(si as u16);
                if self.try_place(t) {
                    let interval = self.scenario.load_balancer.health_check.interval;
                    let phase = self.services[si].hc_rng.random_range(0..interval.max(1));
                    let task = &mut self.tasks[t as usize];
                    task.state = TaskState::Running;
                    task.health = crate::task::Health::Healthy;
                    task.hc_origin = SimTime(phase);
                    self.services[si].target_group.register(t);
                    self.services[si].target_group.set_healthy(t);
                } else {
                    unplaced += 1;
                }
            }
            if unplaced > 0 {
                self.notes.push(format!(
                    "service {}: {unplaced} of {} tasks PENDING at t=0: no container \
                     instance has {} CPU units and {} MiB free and satisfies the constraints",
                    s.name, s.desired, s.cpu, s.memory
                ));
            }
        }
        self.note_peaks();
    }

    pub(crate) fn running_tasks(&self) -> u32 {
        self.tasks
            .iter()
            .filter(|t| matches!(t.state, TaskState::Running | TaskState::Lost))
            .count() as u32
    }

    pub(crate) fn note_peaks(&mut self) {
        let hosts = self.hosts.iter().filter(|h| h.registered()).count() as u32;
        self.hosts_peak = self.hosts_peak.max(hosts);
        self.tasks_peak = self.tasks_peak.max(self.running_tasks());
    }

    /// Appends a line to the fleet's story (`events.csv`).
    pub(crate) fn log(&mut self, kind: FleetEventKind, subject: &str, detail: String) {
        self.log.push(FleetEvent {
            t_s: self.kernel.now().as_secs_f64(),
            kind,
            subject: subject.to_string(),
            detail,
        });
    }

    /// Draws the next arrival of a service. Arrivals are not queued as
    /// events: every request would cost a queue push and pop. Each service's
    /// next arrival waits beside the queue instead, and fires after the
    /// queued events of the same nanosecond.
    fn schedule_next_arrival(&mut self, service: u16) {
        let t = self.services[service as usize]
            .arrivals
            .next()
            .unwrap_or(u64::MAX);
        self.next_arrival[service as usize] = t;
        self.earliest_arrival = self
            .next_arrival
            .iter()
            .enumerate()
            .min_by_key(|&(i, &t)| (t, i))
            .map_or((u64::MAX, 0), |(i, &t)| (t, i as u16));
    }

    /// Runs to the end of the scenario. `progress` is called at every window
    /// end with the simulated time reached.
    pub fn run(self, progress: &dyn Fn(Nanos)) -> Recording {
        self.run_audited(progress).0
    }

    /// Like [`Simulation::run`], also returning the independent checks of
    /// the run ([`Audit`]).
    pub fn run_audited(mut self, progress: &dyn Fn(Nanos)) -> (Recording, Audit) {
        let end = SimTime(self.scenario.duration);
        loop {
            let queued = self.kernel.peek_time().unwrap_or(SimTime(u64::MAX));
            let (arrival, service) = self.earliest_arrival;
            if arrival < queued.0 {
                if arrival > end.0 {
                    break;
                }
                self.kernel.advance_to(SimTime(arrival));
                self.advance_integrals(SimTime(arrival));
                self.on_arrival(service);
            } else {
                if queued > end {
                    break;
                }
                let (_, ev) = self.kernel.pop().expect("peeked");
                self.step(ev, progress);
            }
        }
        if self.window_start < end {
            self.advance_integrals(end);
            self.close_window(end);
        }
        let in_flight = self.in_system;
        if in_flight > 0 {
            self.notes.push(format!(
                "{in_flight} requests were still queued or in service when the run ended; \
                 they are counted as offered, not as completed or failed"
            ));
        }
        let pending: u32 = self
            .tasks
            .iter()
            .filter(|t| t.state == TaskState::Pending)
            .count() as u32;
        if pending > 0 {
            self.notes.push(format!(
                "{pending} tasks were still PENDING (no container instance fits) when the run ended"
            ));
        }
        let events = self.kernel.fired();
        let mut audit = std::mem::take(&mut self.audit);
        audit.overcommits = self.overcommits;
        audit.throttled = self.throttled;
        audit.service_cpu_ns = self
            .services
            .iter_mut()
            .map(|s| {
                s.account(end);
                s.cpu_total
            })
            .collect();
        let rec = self.recorder.finish(RunTotals {
            hosts_peak: Some(self.hosts_peak),
            tasks_peak: Some(self.tasks_peak),
            cost_usd: Some(self.cost_usd),
            notes: self.notes,
            engine: Some(EngineStats {
                events,
                wall_seconds: 0.0,
            }),
            events: self.log,
        });
        (rec, audit)
    }

    #[inline]
    fn step(&mut self, ev: Event, progress: &dyn Fn(Nanos)) {
        let now = self.kernel.now();
        self.advance_integrals(now);
        match ev {
            Event::Completion { task, gen } => self.on_completion(task, gen),
            Event::SlotDone { task, slot, gen } => self.on_slot_done(task, slot, gen),
            Event::QuotaTimer { task, gen } => self.on_quota_timer(task, gen),
            Event::WindowEnd => {
                self.close_window(now);
                progress(now.0);
                let next = self.scenario.window.min(self.scenario.duration - now.0);
                if next > 0 {
                    self.kernel
                        .schedule_first_at(SimTime(now.0 + next), Event::WindowEnd);
                }
            }
            Event::Datapoint => {
                self.on_datapoint();
                self.kernel.schedule(60 * NANOS_PER_SEC, Event::Datapoint);
            }
            Event::HostInService { host } => self.on_host_in_service(host),
            Event::TaskStarted { task, gen } => self.on_task_started(task, gen),
            Event::HealthCheck { task, gen } => self.on_health_check(task, gen),
            Event::DeregistrationTimeout { task, gen } => self.on_deregistration_timeout(task, gen),
            Event::SchedulerPass { service } => self.on_scheduler_pass(service),
            Event::Scripted { index } => self.on_scripted(index as usize),
            Event::SpotTermination { host } => self.on_spot_termination(host),
            Event::RandomFailure => self.on_random_failure(),
        }
    }
}

/// One replication.
pub fn run(scenario: &Scenario, seed: u64, progress: &dyn Fn(Nanos)) -> Recording {
    Simulation::new(scenario, seed).run(progress)
}

/// `n` replications in parallel from seeds derived from `seed` (replication
/// 0 uses `seed` itself), pooled in replication order, so the result does not
/// depend on the number of threads. `progress` receives simulated
/// nanoseconds completed, summed over replications.
pub fn run_replications(
    scenario: &Scenario,
    seed: u64,
    n: u32,
    progress: &(dyn Fn(Nanos) + Sync),
) -> Recording {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    if n <= 1 {
        return run(scenario, seed, progress);
    }
    let done = AtomicU64::new(0);
    let reps: Vec<Recording> = (0..n)
        .into_par_iter()
        .map(|i| {
            let last = AtomicU64::new(0);
            run(scenario, replication_seed(seed, i), &|t| {
                let d = t - last.swap(t, Ordering::Relaxed);
                progress(done.fetch_add(d, Ordering::Relaxed) + d);
            })
        })
        .collect();
    Recording::pool(reps)
}
