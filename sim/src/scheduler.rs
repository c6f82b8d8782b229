//! The ECS service scheduler: holds each service at its desired count, replaces
//! stopped tasks, places pending ones as capacity appears, rolls deploys and
//! drains within `minimum_healthy_percent` / `maximum_percent`
//! (docs/aws-behaviour.md §1.5–1.7), and follows each task's target through the
//! ALB's health checks and deregistration delay (§2.2, §2.4).
//!
//! One pass per service, run whenever something it depends on changes (a
//! task stops or turns healthy, capacity arrives, desired changes, a deploy
//! starts, a host drains). ECS's own pass cadence is unconfirmed; passes here
//! run at once.

use crate::cpu::TaskCpu;
use crate::engine::{Event, Simulation};
use crate::host::HostState;
use crate::placement::Placement;
use crate::task::{Health, Task, TaskState};
use crate::time::{format_duration, SimTime};
use dockmaster_reports::ErrorKind;
use dockmaster_reports::FleetEventKind;
use rand::Rng as _;

impl Simulation<'_> {
    /// A new task of `service`'s current revision, PENDING and unplaced.
    pub(crate) fn new_task(&mut self, service: u16) -> u32 {
        let s = &self.scenario.services[service as usize];
        let id = self.tasks.len() as u32;
        let rev = self.services[service as usize].revision;
        let cpu = TaskCpu::new(s, self.scenario.cluster.cpu_period);
        self.tasks
            .push(Task::new(service, rev, s.concurrency, s.queue_limit, cpu));
        self.services[service as usize].tasks.push(id);
        id
    }

    /// Asks the placement engine for a host; reserves it there.
    pub(crate) fn try_place(&mut self, task: u32) -> bool {
        let service = self.tasks[task as usize].service as usize;
        let spec = &self.services[service].spec;
        let Some(pid) = self.placement.place(spec, &mut self.placement_rng) else {
            return false;
        };
        let h = self.pid_host[pid as usize];
        self.tasks[task as usize].host = Some(h);
        self.tasks[task as usize].state = TaskState::Starting;
        self.hosts[h as usize].tasks.push(task);
        self.audit_host(h);
        true
    }

    /// Independent check that the engine never over-commits a host.
    fn audit_host(&mut self, h: u32) {
        let it = &self.scenario.cluster.instance_type;
        let (mut cpu, mut mem) = (0u64, 0u64);
        for &t in &self.hosts[h as usize].tasks {
            let s = &self.scenario.services[self.tasks[t as usize].service as usize];
            cpu += s.cpu as u64;
            mem += s.memory as u64;
        }
        if cpu > it.registered_cpu as u64 || mem > it.registered_memory_mib as u64 {
            self.overcommits += 1;
        }
    }

    /// Places a PENDING task if a host fits, and starts it.
    fn place_and_start(&mut self, task: u32) -> bool {
        if !self.try_place(task) {
            return false;
        }
        let service = self.tasks[task as usize].service as usize;
        let startup = self.scenario.services[service].startup_time;
        let t = &mut self.tasks[task as usize];
        t.gen += 1;
        let gen = t.gen;
        let host = self.hosts[t.host.expect("placed") as usize].name.clone();
        self.kernel
            .schedule(startup, Event::TaskStarted { task, gen });
        let name = self.scenario.services[service].name.clone();
        self.log(
            FleetEventKind::TaskPlaced,
            &name,
            format!("task {task} on {host}"),
        );
        true
    }

    pub(crate) fn on_task_started(&mut self, task: u32, gen: u32) {
        let t = &self.tasks[task as usize];
        if t.gen != gen || t.state != TaskState::Starting {
            return;
        }
        let host = t.host.expect("starting tasks are placed");
        let service = t.service;
        if self.hosts[host as usize].state == HostState::Terminated {
            // Its instance died under it: it never starts.
            self.stop_task(task, "its instance is gone");
            return;
        }
        // Registered as a target in state `initial`; the ALB's checks of it
        // run at a phase of their own, and the first that passes makes it
        // healthy (docs/aws-behaviour.md §2.2: a new target needs one success).
        let hc = self.scenario.load_balancer.health_check;
        let phase = self.services[service as usize]
            .hc_rng
            .random_range(0..hc.interval.max(1));
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        t.state = TaskState::Running;
        t.health = Health::Initial;
        t.hc_origin = SimTime(now.0 + phase);
        t.gen += 1;
        let gen = t.gen;
        self.services[service as usize].target_group.register(task);
        self.kernel
            .schedule(phase, Event::HealthCheck { task, gen });
        self.note_peaks();
    }

    pub(crate) fn on_health_check(&mut self, task: u32, gen: u32) {
        let t = &self.tasks[task as usize];
        if t.gen != gen {
            return;
        }
        let service = t.service;
        let name = self.scenario.services[service as usize].name.clone();
        match t.state {
            TaskState::Running => {
                self.tasks[task as usize].health = Health::Healthy;
                self.services[service as usize]
                    .target_group
                    .set_healthy(task);
                self.log(FleetEventKind::TaskHealthy, &name, format!("task {task}"));
                self.request_pass(service);
            }
            TaskState::Lost => {
                // Failed `unhealthy_threshold` checks in a row: the ALB stops
                // routing to it, and ECS stops and replaces a task failing
                // its ELB health checks (docs/aws-behaviour.md §1.5).
                self.tasks[task as usize].health = Health::Unhealthy;
                self.log(
                    FleetEventKind::TaskUnhealthy,
                    &name,
                    format!("task {task}: failed its health checks"),
                );
                self.stop_task(task, "failed ELB health checks");
            }
            _ => {}
        }
    }

    /// Schedules the health check that will find a lost task unhealthy:
    /// the `unhealthy_threshold`-th check at or after now, plus its timeout.
    pub(crate) fn schedule_failure_detection(&mut self, task: u32) {
        let hc = self.scenario.load_balancer.health_check;
        let now = self.kernel.now().0;
        let t = &mut self.tasks[task as usize];
        t.gen += 1;
        let gen = t.gen;
        let origin = t.hc_origin.0;
        let first = if now <= origin {
            origin
        } else {
            origin + (now - origin).div_ceil(hc.interval) * hc.interval
        };
        let at = first + (hc.unhealthy_threshold as u64 - 1) * hc.interval + hc.timeout;
        self.kernel
            .schedule_at(SimTime(at), Event::HealthCheck { task, gen });
    }

    /// Deregisters a running task: no new requests; in-flight ones get the
    /// deregistration delay to finish (docs/aws-behaviour.md §2.4).
    pub(crate) fn deregister(&mut self, task: u32) {
        let t = &mut self.tasks[task as usize];
        if !matches!(t.state, TaskState::Running) {
            return;
        }
        t.state = TaskState::Draining;
        t.gen += 1;
        let gen = t.gen;
        let service = t.service;
        let idle = t.outstanding() == 0;
        self.services[service as usize]
            .target_group
            .deregister(task);
        if idle {
            self.stop_task(task, "deregistered");
        } else {
            self.kernel.schedule(
                self.scenario.load_balancer.deregistration_delay,
                Event::DeregistrationTimeout { task, gen },
            );
        }
    }

    pub(crate) fn on_deregistration_timeout(&mut self, task: u32, gen: u32) {
        let t = &self.tasks[task as usize];
        if t.gen != gen || t.state != TaskState::Draining {
            return;
        }
        // Requests still in flight when the delay runs out get 502
        // (docs/aws-behaviour.md §2.3).
        self.fail_requests(task, ErrorKind::Http502);
        self.stop_task(task, "deregistration delay expired");
    }

    /// The task is STOPPED: resources given back, out of the target group,
    /// its service looks again.
    pub(crate) fn stop_task(&mut self, task: u32, why: &str) {
        let t = &mut self.tasks[task as usize];
        if t.state == TaskState::Stopped {
            return;
        }
        t.state = TaskState::Stopped;
        t.gen += 1;
        let service = t.service;
        let host = t.host;
        if t.outstanding() > 0 {
            self.fail_requests(task, ErrorKind::Http502);
        }
        let svc = &mut self.services[service as usize];
        svc.target_group.deregister(task);
        svc.tasks.retain(|&x| x != task);
        let name = self.scenario.services[service as usize].name.clone();
        if let Some(h) = host {
            let hh = &mut self.hosts[h as usize];
            hh.tasks.retain(|&x| x != task);
            if hh.registered() {
                let pid = hh.pid.expect("registered");
                self.placement
                    .release(pid, &self.services[service as usize].spec);
            }
            let host_name = self.hosts[h as usize].name.clone();
            self.log(
                FleetEventKind::TaskStopped,
                &name,
                format!("task {task} on {host_name}: {why}"),
            );
            let hh = &self.hosts[h as usize];
            if hh.state == HostState::Draining && !hh.spot_notice && hh.tasks.is_empty() {
                self.terminate_host(h, "drained for scale-in");
            }
        } else {
            self.log(
                FleetEventKind::TaskStopped,
                &name,
                format!("task {task} (unplaced): {why}"),
            );
        }
        // Freed capacity may let any service's pending tasks in.
        for s in 0..self.services.len() {
            if s == service as usize || self.has_pending(s) {
                self.request_pass(s as u16);
            }
        }
    }

    pub(crate) fn has_pending(&self, service: usize) -> bool {
        self.services[service]
            .tasks
            .iter()
            .any(|&t| self.tasks[t as usize].state == TaskState::Pending)
    }

    pub(crate) fn request_pass(&mut self, service: u16) {
        let s = &mut self.services[service as usize];
        if !s.pass_scheduled {
            s.pass_scheduled = true;
            self.kernel.schedule(0, Event::SchedulerPass { service });
        }
    }

    /// A rolling deploy: every task of an older revision is replaced.
    pub(crate) fn start_deploy(&mut self, service: u16) {
        let now = self.kernel.now();
        let svc = &mut self.services[service as usize];
        svc.revision += 1;
        let rev = svc.revision;
        svc.deployment = Some((rev, now, 0));
        let d = self.scenario.services[service as usize].deployment;
        let name = self.scenario.services[service as usize].name.clone();
        let desired = self.services[service as usize].desired;
        self.log(
            FleetEventKind::DeployStart,
            &name,
            format!(
                "revision {rev}: replacing {desired} tasks with minimum healthy {}%, maximum {}%",
                d.minimum_healthy_percent, d.maximum_percent
            ),
        );
        self.request_pass(service);
    }

    /// A task ECS wants gone: of an older revision, or on a DRAINING host.
    fn obsolete(&self, t: &Task) -> bool {
        t.revision != self.services[t.service as usize].revision
            || t.host
                .is_some_and(|h| self.hosts[h as usize].state == HostState::Draining)
    }

    /// Which of `candidates` to stop first: tasks not yet serving, then
    /// unhealthy ones, then (mirroring spread placement, docs/aws-behaviour.md
    /// §1.4) the one in the AZ with most of the service's tasks, on the
    /// instance with most, newest first.
    fn pick_victim(&self, service: usize, candidates: &[u32]) -> u32 {
        let n_az = self.scenario.cluster.azs.len();
        let mut per_az = vec![0u32; n_az];
        for &t in &self.services[service].tasks {
            if let Some(h) = self.tasks[t as usize].host {
                per_az[self.hosts[h as usize].az as usize] += 1;
            }
        }
        *candidates
            .iter()
            .max_by_key(|&&t| {
                let task = &self.tasks[t as usize];
                let rank = match (task.state, task.health) {
                    (TaskState::Pending, _) => 3,
                    (TaskState::Starting, _) => 2,
                    (_, Health::Healthy) => 0,
                    _ => 1,
                };
                let (az, on_host) = task.host.map_or((0, 0), |h| {
                    let host = &self.hosts[h as usize];
                    (per_az[host.az as usize], host.tasks.len() as u32)
                });
                (rank, az, on_host, t)
            })
            .expect("candidates is not empty")
    }

    /// Stops a task the way its state allows: unstarted ones at once,
    /// running ones through deregistration.
    fn retire(&mut self, task: u32, why: &str) {
        match self.tasks[task as usize].state {
            TaskState::Pending | TaskState::Starting => self.stop_task(task, why),
            TaskState::Running => self.deregister(task),
            _ => {}
        }
    }

    pub(crate) fn on_scheduler_pass(&mut self, service: u16) {
        let si = service as usize;
        self.services[si].pass_scheduled = false;
        let desired = self.services[si].desired;
        let d = self.scenario.services[si].deployment;
        // docs/aws-behaviour.md §1.7: lower = ceil(desired × min%), upper =
        // floor(desired × max%) tasks PENDING, RUNNING or STOPPING.
        let lower = (desired as u64 * d.minimum_healthy_percent as u64).div_ceil(100) as u32;
        let upper = (desired as u64 * d.maximum_percent as u64 / 100) as u32;
        let (mut started, mut stopped) = (0u32, 0u32);

        // 1. Unstarted obsolete tasks go at once (a DRAINING instance's
        //    PENDING tasks are stopped immediately, docs/aws-behaviour.md §4).
        let early: Vec<u32> = self.services[si]
            .tasks
            .iter()
            .copied()
            .filter(|&t| {
                let task = &self.tasks[t as usize];
                matches!(task.state, TaskState::Pending | TaskState::Starting)
                    && self.obsolete(task)
            })
            .collect();
        for t in early {
            self.stop_task(t, "replaced before it started");
            stopped += 1;
        }

        // 2. Too many current tasks (desired went down).
        loop {
            let current: Vec<u32> = self.services[si]
                .tasks
                .iter()
                .copied()
                .filter(|&t| {
                    let task = &self.tasks[t as usize];
                    matches!(
                        task.state,
                        TaskState::Pending
                            | TaskState::Starting
                            | TaskState::Running
                            | TaskState::Lost
                    ) && !self.obsolete(task)
                })
                .collect();
            if current.len() as u32 <= desired {
                break;
            }
            let victims: Vec<u32> = current
                .iter()
                .copied()
                .filter(|&t| self.tasks[t as usize].state != TaskState::Lost)
                .collect();
            if victims.is_empty() {
                break;
            }
            let v = self.pick_victim(si, &victims);
            self.retire(v, "service scaled in");
            stopped += 1;
        }

        // 3. Pending tasks first, in the order they were created.
        let pending: Vec<u32> = self.services[si]
            .tasks
            .iter()
            .copied()
            .filter(|&t| self.tasks[t as usize].state == TaskState::Pending)
            .collect();
        let mut blocked = false;
        for t in pending {
            if !self.place_and_start(t) {
                blocked = true;
                break;
            }
        }

        // 4. Start new tasks up to desired, within the upper bound.
        let count = |sim: &Self, f: &dyn Fn(&Task) -> bool| {
            sim.services[si]
                .tasks
                .iter()
                .filter(|&&t| f(&sim.tasks[t as usize]))
                .count() as u32
        };
        let mut total = count(self, &|t| t.active());
        let mut current = count(self, &|t| {
            !matches!(t.state, TaskState::Draining | TaskState::Stopped) && !self.obsolete(t)
        });
        while current < desired && total < upper {
            let t = self.new_task(service);
            started += 1;
            total += 1;
            current += 1;
            if !blocked && !self.place_and_start(t) {
                blocked = true;
            }
        }

        // 5. Stop obsolete running tasks while enough stay healthy.
        let mut healthy = count(self, &|t| {
            matches!(t.state, TaskState::Running | TaskState::Lost) && t.health == Health::Healthy
        });
        loop {
            let old: Vec<u32> = self.services[si]
                .tasks
                .iter()
                .copied()
                .filter(|&t| {
                    let task = &self.tasks[t as usize];
                    task.state == TaskState::Running && self.obsolete(task)
                })
                .collect();
            if old.is_empty() {
                break;
            }
            let v = self.pick_victim(si, &old);
            let was_healthy = self.tasks[v as usize].health == Health::Healthy;
            if was_healthy && healthy < lower + 1 {
                break;
            }
            self.retire(v, "replaced");
            if was_healthy {
                healthy -= 1;
            }
            stopped += 1;
        }

        // Tasks left PENDING wait for capacity: the next host to register or
        // task to stop brings another pass.
        self.deployment_progress(si, started, stopped);
    }

    fn deployment_progress(&mut self, si: usize, started: u32, stopped: u32) {
        let Some((rev, since, steps)) = self.services[si].deployment else {
            return;
        };
        let name = self.scenario.services[si].name.clone();
        let desired = self.services[si].desired;
        let old = self.services[si]
            .tasks
            .iter()
            .filter(|&&t| self.tasks[t as usize].revision != rev)
            .count();
        let new_healthy = self.services[si]
            .tasks
            .iter()
            .filter(|&&t| {
                let t = &self.tasks[t as usize];
                t.revision == rev && t.state == TaskState::Running && t.health == Health::Healthy
            })
            .count() as u32;
        let mut steps = steps;
        if started + stopped > 0 {
            steps += 1;
            self.log(
                FleetEventKind::DeployStep,
                &name,
                format!(
                    "step {steps}: started {started}, stopping {stopped}; new healthy {new_healthy}/{desired}, old tasks left {old}"
                ),
            );
        }
        if old == 0 && new_healthy >= desired {
            let took = self.kernel.now().0 - since.0;
            self.log(
                FleetEventKind::DeployEnd,
                &name,
                format!(
                    "revision {rev} complete after {steps} steps in {}",
                    format_duration(took)
                ),
            );
            self.services[si].deployment = None;
        } else {
            self.services[si].deployment = Some((rev, since, steps));
        }
    }
}
