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

use crate::alb::TargetGroup;
use crate::autoscale::{AsgPolicy, ServicePolicy};
use crate::dist::Sampler;
use crate::host::{Host, HostState};
use crate::kernel::Kernel;
use crate::placement::{indexed::Indexed, Placement, TaskSpec};
use crate::rng::{replication_seed, stream, Rng};
use crate::scenario::{Algorithm, Scenario};
use crate::task::{Task, TaskState};
use crate::time::{Nanos, SimTime, NANOS_PER_MILLI, NANOS_PER_SEC};
use crate::traffic::ArrivalStream;
use dockmaster_reports::{
    EngineStats, ErrorKind, FleetEvent, Meta, Recorder, Recording, Replay, RunTotals, SloSpec,
    Source,
};
use rand::Rng as _;

pub use crate::audit::{Audit, CpuWindow};
pub use crate::layout::{initial_layout, HostLayout};

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
    pub policy: AsgPolicy,
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

        let meta = Meta {
            scenario: scenario.name.clone(),
            seed,
            source: Source::Simulate,
            version: env!("CARGO_PKG_VERSION").to_string(),
            window_s: scenario.window as f64 / NANOS_PER_SEC as f64,
            duration_s: scenario.duration as f64 / NANOS_PER_SEC as f64,
            slo: SloSpec {
                p50_ms: scenario.slo.p50.map(ms),
                p90_ms: scenario.slo.p90.map(ms),
                p99_ms: scenario.slo.p99.map(ms),
                error_rate: scenario.slo.error_rate,
            },
            start_unix_s: 0.0,
            target: None,
            scenario_text: scenario.source_text.clone(),
            scenario_summary: Some(scenario.summary()),
            replay: Replay::default(),
        };
        let mut gauges: Vec<String> = GAUGES.iter().map(|g| g.to_string()).collect();
        let cost = gauges.pop().expect("cost_usd is last");
        gauges.extend(
            scenario
                .services
                .iter()
                .map(|s| format!("desired_{}", s.name)),
        );
        gauges.push(cost);

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
                policy: AsgPolicy::default(),
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
    pub(crate) fn log(&mut self, kind: &str, subject: &str, detail: String) {
        self.log.push(FleetEvent {
            t_s: self.kernel.now().as_secs_f64(),
            kind: kind.to_string(),
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

    #[inline]
    fn advance_integrals(&mut self, now: SimTime) {
        let dt = (now.0 - self.last_change.0) as f64;
        self.in_system_area += self.in_system as f64 * dt;
        self.cpu_area += self.cpu_used * dt;
        self.vcpu_area += self.registered_vcpu * dt;
        self.billed_area += self.billed_hosts as f64 * dt;
        self.last_change = now;
    }

    fn close_window(&mut self, now: SimTime) {
        self.retire_all_cpu_ends(now);
        let span = (now.0 - self.window_start.0) as f64;
        let count = |st: HostState| self.hosts.iter().filter(|h| h.state == st).count() as f64;
        let (pending_h, in_service, draining) = (
            count(HostState::Pending),
            count(HostState::InService),
            count(HostState::Draining),
        );
        let vcpus: f64 = self
            .hosts
            .iter()
            .filter(|h| h.registered())
            .map(|h| h.vcpu)
            .sum();
        let tcount =
            |f: &dyn Fn(TaskState) -> bool| self.tasks.iter().filter(|t| f(t.state)).count() as f64;
        let running = tcount(&|s| matches!(s, TaskState::Running | TaskState::Lost));
        let price = self.scenario.cluster.instance_type.price_per_hour;
        let window_cost = self.billed_area * price / (3600.0 * NANOS_PER_SEC as f64);
        self.cost_usd += window_cost;
        let (cpu_res, mem_res) = self.reservation();
        let mut gauges = vec![
            in_service + draining,
            pending_h,
            in_service,
            running,
            tcount(&|s| matches!(s, TaskState::Pending | TaskState::Starting)),
            running,
            tcount(&|s| s == TaskState::Draining),
            if vcpus > 0.0 && span > 0.0 {
                self.cpu_area / (vcpus * span)
            } else {
                0.0
            },
            cpu_res,
            mem_res,
            self.asg.desired as f64,
        ];
        gauges.extend(self.services.iter().map(|s| s.desired as f64));
        gauges.push(window_cost);
        let l = if span > 0.0 {
            self.in_system_area / span
        } else {
            0.0
        };
        self.recorder
            .close_window(self.window_start.as_secs_f64(), l, &gauges);
        self.audit.windows.push(CpuWindow {
            cpu_delivered_ns: self.cpu_area,
            cpu_work_done_ns: self.cpu_work_done,
            vcpu_capacity_ns: self.vcpu_area,
        });
        self.window_start = now;
        self.in_system_area = 0.0;
        self.cpu_area = 0.0;
        self.vcpu_area = 0.0;
        self.cpu_work_done = 0.0;
        self.billed_area = 0.0;
    }

    /// Cluster CPU and memory reservation, 0..1: reserved by tasks / registered
    /// by ACTIVE and DRAINING instances (docs/aws-behaviour.md §1.1).
    pub(crate) fn reservation(&self) -> (f64, f64) {
        let (mut cpu, mut mem, mut rcpu, mut rmem) = (0u64, 0u64, 0u64, 0u64);
        let it = &self.scenario.cluster.instance_type;
        for h in self.hosts.iter().filter(|h| h.registered()) {
            let (fc, fm) = self
                .placement
                .free(h.pid.expect("registered hosts have a placement id"))
                .expect("registered");
            rcpu += it.registered_cpu as u64;
            rmem += it.registered_memory_mib as u64;
            cpu += (it.registered_cpu - fc) as u64;
            mem += (it.registered_memory_mib - fm) as u64;
        }
        if rcpu == 0 {
            (0.0, 0.0)
        } else {
            (cpu as f64 / rcpu as f64, mem as f64 / rmem as f64)
        }
    }

    fn on_arrival(&mut self, service: u16) {
        self.recorder.record_offered(1);
        self.schedule_next_arrival(service);
        let svc = &mut self.services[service as usize];
        let Some(t) = svc
            .target_group
            .pick(self.algorithm, &self.tasks, &mut svc.alb_rng)
        else {
            self.recorder.record_error(ErrorKind::Http503);
            return;
        };
        svc.routed += 1;
        let now = self.kernel.now();
        let task = &mut self.tasks[t as usize];
        if task.state == TaskState::Lost {
            // The host is gone: the connection is refused
            // (docs/aws-behaviour.md §2.3, "target RST on connect" → 502). A
            // powered-off host would time out instead (504 after 10 s); we take
            // the quick failure.
            self.recorder.record_error(ErrorKind::Http502);
            return;
        }
        if let Some(slot) = task.idle.pop() {
            self.in_system += 1;
            if self.start_service(t, slot, now) {
                self.schedule_completion(t);
            }
            self.slot_busy_changed(t, 1);
        } else if task.queue.len() < task.queue_limit as usize {
            task.queue.push_back(now);
            self.in_system += 1;
        } else {
            self.recorder.record_error(ErrorKind::Http503);
        }
    }

    /// A slot of task `t` became busy (`delta` = 1) or idle (−1): the
    /// service's busy slots (its memory model) change.
    #[inline]
    fn slot_busy_changed(&mut self, t: u32, delta: i32) {
        let now = self.kernel.now();
        let svc = &mut self.services[self.tasks[t as usize].service as usize];
        svc.account(now);
        svc.busy = (svc.busy as i64 + delta as i64) as u64;
    }

    /// Starts serving the request that arrived at `arrival` in `slot`: its
    /// service time splits into CPU work, done first, and a wait off the
    /// CPU ([`crate::cpu`]). Returns true when the task's next completion
    /// must be (re)scheduled: the request finishes its CPU work before every
    /// other on the CPU.
    #[inline]
    fn start_service(&mut self, task: u32, slot: u32, arrival: SimTime) -> bool {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        let svc = &mut self.services[t.service as usize];
        let work = svc.service_time.sample(&mut svc.work_rng);
        let cpu = if svc.cpu_per_request == 0.0 {
            0
        } else {
            // Rounded to the nearest ns (a cast, not libm's `round`).
            ((work as f64 * svc.cpu_per_request + 0.5) as Nanos).min(work)
        };
        let s = &mut t.slots[slot as usize];
        s.busy = true;
        s.arrival = arrival;
        s.cpu = cpu;
        s.off = work - cpu;
        if cpu == 0 {
            // No CPU work: the wait is all there is, fixed now.
            s.gen = s.gen.wrapping_add(1);
            let gen = s.gen;
            self.kernel
                .schedule(work, Event::SlotDone { task, slot, gen });
            return false;
        }
        if self.try_full_speed(task, slot) {
            return false;
        }
        let t = &mut self.tasks[task as usize];
        let s = &mut t.slots[slot as usize];
        t.serving.advance(now);
        let finish = t.serving.clock + cpu as f64;
        s.finish = finish;
        let first = t
            .serving
            .finishing
            .peek()
            .is_none_or(|r| finish < f64::from_bits(r.0 .0));
        t.serving
            .finishing
            .push(std::cmp::Reverse((finish.to_bits(), slot)));
        self.cpu_enter(task);
        first
    }

    /// (Re)schedules the one completion event of a task: its earliest
    /// finisher, at the current speed (none while the task gets no CPU: the
    /// speed-up that ends that schedules it).
    #[inline]
    pub(crate) fn schedule_completion(&mut self, task: u32) {
        let t = &mut self.tasks[task as usize];
        t.serving.gen = t.serving.gen.wrapping_add(1);
        if t.serving.rate <= 0.0 {
            return;
        }
        if let Some((_, left)) = t.serving.next_finish(&t.slots) {
            let gen = t.serving.gen;
            let wall = left / t.serving.rate;
            self.kernel
                .schedule((wall + 0.5) as Nanos, Event::Completion { task, gen });
        }
    }

    fn on_completion(&mut self, task: u32, gen: u32) {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        if t.serving.gen != gen {
            return; // rescheduled or cancelled
        }
        t.serving.advance(now);
        let Some((slot, left)) = t.serving.next_finish(&t.slots) else {
            return;
        };
        // Slow-downs do not move the event (see `set_alloc`): it may fire
        // before the CPU work is done, and then moves on to when it is.
        if left >= 1.0 {
            self.schedule_completion(task);
            return;
        }
        t.serving.finishing.pop();
        let s = &mut t.slots[slot as usize];
        self.cpu_work_done += s.cpu as f64;
        let off = s.off;
        if off > 0 {
            s.gen = s.gen.wrapping_add(1);
            let gen = s.gen;
            self.kernel
                .schedule(off, Event::SlotDone { task, slot, gen });
        }
        self.cpu_leave(task, 1);
        if off == 0 {
            self.finish_request(task, slot);
        }
        self.schedule_completion(task);
    }

    fn on_slot_done(&mut self, task: u32, slot: u32, gen: u32) {
        let t = &self.tasks[task as usize];
        let s = &t.slots[slot as usize];
        if !s.busy || s.gen != gen {
            return; // cancelled
        }
        if s.cpu > 0 {
            // A full-speed request: its CPU end is retired before the slot
            // moves on.
            let h = t.host.expect("placed") as usize;
            self.retire_cpu_ends(h, self.kernel.now());
        }
        self.finish_request(task, slot);
    }

    /// The request in `slot` is done: record it, then serve the next in
    /// the queue in the same slot, or leave the slot idle.
    #[inline]
    fn finish_request(&mut self, task: u32, slot: u32) {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        let s = &mut t.slots[slot as usize];
        self.recorder.record_ok(now.0 - s.arrival.0);
        self.in_system -= 1;
        if let Some(next) = t.queue.pop_front() {
            // Same slot, still busy.
            if self.start_service(task, slot, next) {
                self.schedule_completion(task);
            }
        } else {
            s.busy = false;
            t.idle.push(slot);
            let drained = t.state == TaskState::Draining && t.outstanding() == 0;
            self.slot_busy_changed(task, -1);
            if drained {
                // Deregistration completes early once nothing is in flight
                // (docs/aws-behaviour.md §2.4).
                self.stop_task(task, "drained");
            }
        }
    }

    /// Fails every request queued at or served by `task` with `kind`.
    pub(crate) fn fail_requests(&mut self, task: u32, kind: ErrorKind) {
        if let Some(h) = self.tasks[task as usize].host {
            self.retire_cpu_ends(h as usize, self.kernel.now());
            // Its full-speed requests fail too: out of the host's queue.
            crate::cpu::remove_task(&mut self.hosts[h as usize].full_speed, task);
        }
        let t = &mut self.tasks[task as usize];
        let queued = t.queue.len();
        t.queue.clear();
        t.serving.finishing.clear();
        t.serving.gen = t.serving.gen.wrapping_add(1);
        let on_cpu = t.cpu.running;
        let mut busy = 0;
        for (i, s) in t.slots.iter_mut().enumerate() {
            if s.busy {
                s.busy = false;
                s.gen = s.gen.wrapping_add(1);
                t.idle.push(i as u32);
                busy += 1;
            }
        }
        for _ in 0..queued + busy {
            self.recorder.record_error(kind);
        }
        self.in_system -= (queued + busy) as u64;
        for _ in 0..busy {
            self.slot_busy_changed(task, -1);
        }
        if on_cpu > 0 {
            self.cpu_leave(task, on_cpu);
        }
    }

    /// A host leaves: its requests fail (502), its CPU stops counting.
    pub(crate) fn host_gone(&mut self, host: u32) {
        let tasks = self.hosts[host as usize].tasks.clone();
        for t in tasks {
            self.fail_requests(t, ErrorKind::Http502);
        }
        self.cpu_host_gone(host as usize);
    }
}

/// Gauges written per window, in this order; `desired_<service>` columns go
/// before `cost_usd`.
pub const GAUGES: [&str; 12] = [
    "hosts",
    "hosts_pending",
    "hosts_in_service",
    "tasks",
    "tasks_pending",
    "tasks_running",
    "tasks_draining",
    "cpu_util",
    "cpu_reservation",
    "memory_reservation",
    "asg_desired",
    "cost_usd",
];

fn ms(ns: Nanos) -> f64 {
    ns as f64 / NANOS_PER_MILLI as f64
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
