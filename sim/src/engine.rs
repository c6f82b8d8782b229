//! The simulation: the fleet, the ALB and the request path, driven by the
//! kernel's one event loop.
//!
//! ```text
//!  Arrival(service) ──ALB pick──► task: idle slot? ──yes──► start service ──► Completion
//!                        │                 └─no──► queue (or 503 when full)      │
//!                        └─no target──► 503            next in queue ◄───────────┘
//! ```
//!
//! Every event is one variant of [`Event`], handled by one method.

use crate::alb::TargetGroup;
use crate::dist::Sampler;
use crate::host::{Host, HostState};
use crate::kernel::Kernel;
use crate::placement::{oracle::Oracle, HostSpec, Placement, TaskSpec};
use crate::rng::{replication_seed, stream, Rng};
use crate::scenario::{Algorithm, Scenario};
use crate::task::{Task, TaskState};
use crate::time::{Nanos, SimTime, NANOS_PER_MILLI, NANOS_PER_SEC};
use crate::traffic::ArrivalStream;
use dockmaster_reports::{
    EngineStats, ErrorKind, Meta, Recorder, Recording, RunTotals, SloSpec, Source,
};

/// Everything that can happen. One `match` in [`Simulation::step`].
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next request of a service reaches the ALB.
    Arrival { service: u16 },
    /// A slot of a task finishes its request (stale if `gen` moved on).
    Completion { task: u32, slot: u32, gen: u32 },
    /// The reporting window that started at `start` ends.
    WindowEnd,
}

/// What a service needs at run time, resolved once.
struct ServiceRt {
    service_time: Sampler,
    cpu_per_request: f64,
    arrivals: ArrivalStream,
    target_group: TargetGroup,
    /// ALB routing randomness (weighted_random), per target group.
    alb_rng: Rng,
    /// Service-time randomness, per service.
    work_rng: Rng,
    spec: TaskSpec,
    pending: u32,
}

/// Gauges written per window, in this order.
pub const GAUGES: [&str; 5] = ["hosts", "tasks", "tasks_pending", "cpu_util", "cost_usd"];

pub struct Simulation<'a> {
    scenario: &'a Scenario,
    kernel: Kernel<Event>,
    hosts: Vec<Host>,
    tasks: Vec<Task>,
    services: Vec<ServiceRt>,
    placement: Oracle,
    algorithm: Algorithm,
    recorder: Recorder,
    window_start: SimTime,
    // Time integrals since the window started, brought up to date at every
    // event: requests in system (Little's L) and CPUs in use.
    last_change: SimTime,
    in_system: u64,
    in_system_area: f64,
    cpu_used: f64,
    cpu_area: f64,
    notes: Vec<String>,
    hosts_peak: u32,
    tasks_peak: u32,
    cost_usd: f64,
}

impl<'a> Simulation<'a> {
    /// The fleet at t = 0: the ASG's desired hosts InService, balanced over
    /// the AZs, and each service's desired tasks placed, running and healthy.
    pub fn new(scenario: &'a Scenario, seed: u64) -> Simulation<'a> {
        let itype = &scenario.cluster.instance_type;
        let n_az = scenario.cluster.azs.len() as u32;
        let mut placement = Oracle::default();
        let mut hosts = Vec::new();
        for i in 0..scenario.cluster.asg.desired {
            // Launches go to the AZ with the fewest instances; in order, that
            // is round-robin over the AZ list.
            let az = (i % n_az) as u16;
            let id = placement.add_host(HostSpec {
                az,
                instance_type: itype.name.clone(),
                az_name: scenario.cluster.azs[az as usize].clone(),
                cpu_architecture: itype.arch.clone(),
                cpu: itype.registered_cpu,
                memory: itype.registered_memory_mib,
            });
            hosts.push(Host::new(id, itype, az));
        }

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
                spec: TaskSpec {
                    group: i as u32,
                    cpu: s.cpu,
                    memory: s.memory,
                    strategies: s.placement.clone(),
                    constraints: s.constraints.clone(),
                },
                pending: 0,
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
        };

        let mut sim = Simulation {
            scenario,
            kernel: Kernel::new(),
            hosts,
            tasks: Vec::new(),
            services,
            placement,
            algorithm: scenario.load_balancer.algorithm,
            recorder: Recorder::new(meta, GAUGES.iter().map(|g| g.to_string()).collect()),
            window_start: SimTime::ZERO,
            last_change: SimTime::ZERO,
            in_system: 0,
            in_system_area: 0.0,
            cpu_used: 0.0,
            cpu_area: 0.0,
            notes: Vec::new(),
            hosts_peak: 0,
            tasks_peak: 0,
            cost_usd: 0.0,
        };
        sim.place_initial_tasks(seed);
        for s in 0..sim.services.len() {
            sim.schedule_next_arrival(s as u16);
        }
        sim.kernel
            .schedule(scenario.window.min(scenario.duration), Event::WindowEnd);
        sim.hosts_peak = sim.hosts.len() as u32;
        sim.tasks_peak = sim.running_tasks();
        sim
    }

    fn place_initial_tasks(&mut self, seed: u64) {
        let mut rng = stream(seed, "placement");
        for (si, s) in self.scenario.services.iter().enumerate() {
            for _ in 0..s.desired {
                let spec = &self.services[si].spec;
                match self.placement.place(spec, &mut rng) {
                    Some(h) => {
                        let id = self.tasks.len() as u32;
                        self.tasks
                            .push(Task::new(si as u16, h, s.concurrency, s.queue_limit));
                        self.hosts[h as usize].tasks.push(id);
                        self.services[si].target_group.register(id);
                    }
                    None => self.services[si].pending += 1,
                }
            }
            let pending = self.services[si].pending;
            if pending > 0 {
                self.notes.push(format!(
                    "service {}: {pending} of {} tasks stay PENDING at t=0: no container \
                     instance has {} CPU units and {} MiB free and satisfies the constraints",
                    s.name, s.desired, s.cpu, s.memory
                ));
            }
        }
    }

    fn running_tasks(&self) -> u32 {
        self.tasks
            .iter()
            .filter(|t| t.state == TaskState::Running)
            .count() as u32
    }

    fn schedule_next_arrival(&mut self, service: u16) {
        if let Some(t) = self.services[service as usize].arrivals.next() {
            self.kernel
                .schedule_at(SimTime(t), Event::Arrival { service });
        }
    }

    /// Runs to the end of the scenario. `progress` is called at every window
    /// end with the simulated time reached.
    pub fn run(mut self, progress: &dyn Fn(Nanos)) -> Recording {
        let end = SimTime(self.scenario.duration);
        while let Some(at) = self.kernel.peek_time() {
            if at > end {
                break;
            }
            let (_, ev) = self.kernel.pop().expect("peeked");
            self.step(ev, progress);
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
        let events = self.kernel.fired();
        self.recorder.finish(RunTotals {
            hosts_peak: Some(self.hosts_peak),
            tasks_peak: Some(self.tasks_peak),
            cost_usd: Some(self.cost_usd),
            notes: self.notes,
            engine: Some(EngineStats {
                events,
                wall_seconds: 0.0,
            }),
        })
    }

    #[inline]
    fn step(&mut self, ev: Event, progress: &dyn Fn(Nanos)) {
        let now = self.kernel.now();
        self.advance_integrals(now);
        match ev {
            Event::Arrival { service } => self.on_arrival(service),
            Event::Completion { task, slot, gen } => self.on_completion(task, slot, gen),
            Event::WindowEnd => {
                self.close_window(now);
                progress(now.0);
                let next = self.scenario.window.min(self.scenario.duration - now.0);
                if next > 0 {
                    self.kernel.schedule(next, Event::WindowEnd);
                }
            }
        }
    }

    #[inline]
    fn advance_integrals(&mut self, now: SimTime) {
        let dt = (now.0 - self.last_change.0) as f64;
        self.in_system_area += self.in_system as f64 * dt;
        self.cpu_area += self.cpu_used * dt;
        self.last_change = now;
    }

    fn close_window(&mut self, now: SimTime) {
        let span = (now.0 - self.window_start.0) as f64;
        let vcpus: f64 = self
            .hosts
            .iter()
            .filter(|h| h.state == HostState::InService)
            .map(|h| h.vcpu)
            .sum();
        let in_service = self
            .hosts
            .iter()
            .filter(|h| h.state == HostState::InService)
            .count();
        let price = self.scenario.cluster.instance_type.price_per_hour;
        let window_cost = in_service as f64 * price * span / (3600.0 * NANOS_PER_SEC as f64);
        self.cost_usd += window_cost;
        let pending: u32 = self.services.iter().map(|s| s.pending).sum();
        let gauges = [
            in_service as f64,
            self.running_tasks() as f64,
            pending as f64,
            if vcpus > 0.0 && span > 0.0 {
                self.cpu_area / (vcpus * span)
            } else {
                0.0
            },
            window_cost,
        ];
        let l = if span > 0.0 {
            self.in_system_area / span
        } else {
            0.0
        };
        self.recorder
            .close_window(self.window_start.as_secs_f64(), l, &gauges);
        self.window_start = now;
        self.in_system_area = 0.0;
        self.cpu_area = 0.0;
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
        let now = self.kernel.now();
        let task = &mut self.tasks[t as usize];
        if let Some(slot) = task.idle.pop() {
            self.in_system += 1;
            self.start_service(t, slot, now);
            let c = self.services[service as usize].cpu_per_request;
            if c > 0.0 {
                self.change_cpu_demand(self.tasks[t as usize].host, c);
            }
        } else if task.queue.len() < task.queue_limit as usize {
            task.queue.push_back(now);
            self.in_system += 1;
        } else {
            self.recorder.record_error(ErrorKind::Http503);
        }
    }

    /// Starts serving the request that arrived at `arrival` in `slot`.
    #[inline]
    fn start_service(&mut self, task: u32, slot: u32, arrival: SimTime) {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        let svc = &mut self.services[t.service as usize];
        let work = svc.service_time.sample(&mut svc.work_rng) as f64;
        let stretch = self.hosts[t.host as usize].dilation(svc.cpu_per_request);
        let s = &mut t.slots[slot as usize];
        s.busy = true;
        s.arrival = arrival;
        s.work = work;
        s.since = now;
        s.gen = s.gen.wrapping_add(1);
        let gen = s.gen;
        self.kernel.schedule(
            (work * stretch).round() as Nanos,
            Event::Completion { task, slot, gen },
        );
    }

    fn on_completion(&mut self, task: u32, slot: u32, gen: u32) {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        let s = &mut t.slots[slot as usize];
        if !s.busy || s.gen != gen {
            return; // rescheduled or cancelled
        }
        self.recorder.record_ok(now.0 - s.arrival.0);
        self.in_system -= 1;
        if let Some(next) = t.queue.pop_front() {
            // Same service in the same slot: the host's CPU demand is unchanged.
            self.start_service(task, slot, next);
        } else {
            s.busy = false;
            t.idle.push(slot);
            let (host, service) = (t.host, t.service);
            let c = self.services[service as usize].cpu_per_request;
            if c > 0.0 {
                self.change_cpu_demand(host, -c);
            }
        }
    }

    /// Changes a host's CPU demand. When the host is (or was) oversubscribed,
    /// every request in service there changes speed: bring its remaining work
    /// up to date at the old speed and reschedule its completion at the new.
    fn change_cpu_demand(&mut self, host: u32, delta: f64) {
        let h = &mut self.hosts[host as usize];
        let before = h.clone_speed();
        let used_before = h.cpu_used();
        h.cpu_demand += delta;
        if h.cpu_demand < 1e-9 {
            h.cpu_demand = 0.0; // no drift below zero from float sums
        }
        self.cpu_used += h.cpu_used() - used_before;
        if !(before.congested || h.congested()) {
            return;
        }
        let now = self.kernel.now();
        let h = &self.hosts[host as usize];
        for &tid in &h.tasks {
            let t = &mut self.tasks[tid as usize];
            let c = self.services[t.service as usize].cpu_per_request;
            if c == 0.0 {
                continue;
            }
            let old = before.dilation(c);
            let new = h.dilation(c);
            if old == new {
                continue;
            }
            for (i, s) in t.slots.iter_mut().enumerate() {
                if !s.busy {
                    continue;
                }
                s.work = (s.work - (now.0 - s.since.0) as f64 / old).max(0.0);
                s.since = now;
                s.gen = s.gen.wrapping_add(1);
                self.kernel.schedule(
                    (s.work * new).round() as Nanos,
                    Event::Completion {
                        task: tid,
                        slot: i as u32,
                        gen: s.gen,
                    },
                );
            }
        }
    }
}

/// A host's speed state before a change, to stretch work done so far.
struct Speed {
    congested: bool,
    demand: f64,
    vcpu: f64,
}

impl Speed {
    fn dilation(&self, c: f64) -> f64 {
        if self.demand <= self.vcpu {
            1.0
        } else {
            1.0 + c * (self.demand / self.vcpu - 1.0)
        }
    }
}

impl Host {
    fn clone_speed(&self) -> Speed {
        Speed {
            congested: self.congested(),
            demand: self.cpu_demand,
            vcpu: self.vcpu,
        }
    }
}

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
