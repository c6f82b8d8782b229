//! Things that go wrong, and the scripted events of a scenario: instance
//! and AZ failures, Spot interruptions, background failures at a given MTBF,
//! deploys and manual scaling (docs/aws-behaviour.md §4).

use crate::engine::{Event, Simulation};
use crate::host::HostState;
use crate::rng::exp_secs;
use crate::scenario::{Action, HostSelector};
use crate::task::TaskState;
use crate::time::{secs_to_nanos, NANOS_PER_SEC};
use dockmaster_reports::FleetEventKind;
use rand::Rng as _;

/// The Spot interruption notice (docs/aws-behaviour.md §4).
const SPOT_NOTICE_NS: u64 = 120 * NANOS_PER_SEC;

impl Simulation<'_> {
    pub(crate) fn on_scripted(&mut self, index: usize) {
        let action = self.scenario.events[index].action.clone();
        match action {
            Action::Deploy { service } => self.start_deploy(service as u16),
            Action::FailInstance { host } => {
                let h = match host {
                    HostSelector::Random => self.random_registered_host(),
                    HostSelector::Id(id) => (0..self.hosts.len() as u32).find(|&h| {
                        let host = &self.hosts[h as usize];
                        host.name == id && host.state != HostState::Terminated
                    }),
                };
                match h {
                    Some(h) => self.fail_host(h, "scripted instance failure"),
                    None => self.log(
                        FleetEventKind::FailInstance,
                        "-",
                        "no such running instance; nothing failed".into(),
                    ),
                }
            }
            Action::FailAz { az } => {
                let name = self.scenario.cluster.azs[az].clone();
                self.asg.az_down[az] = true;
                let victims: Vec<u32> = (0..self.hosts.len() as u32)
                    .filter(|&h| {
                        let host = &self.hosts[h as usize];
                        host.az as usize == az && host.state != HostState::Terminated
                    })
                    .collect();
                self.log(
                    FleetEventKind::FailAz,
                    &name,
                    format!(
                        "{} instances lost; launches there fail from now on",
                        victims.len()
                    ),
                );
                for h in victims {
                    self.fail_host(h, &format!("{name} is down"));
                }
            }
            Action::SpotInterruption { count } => {
                for _ in 0..count {
                    let candidates: Vec<u32> = (0..self.hosts.len() as u32)
                        .filter(|&h| self.hosts[h as usize].state == HostState::InService)
                        .collect();
                    if candidates.is_empty() {
                        break;
                    }
                    let h = candidates[self.faults_rng.random_range(0..candidates.len())];
                    self.spot_notice(h);
                }
            }
            Action::ScaleService { service, desired } => {
                self.set_service_desired(
                    service,
                    desired,
                    FleetEventKind::ScaleService,
                    "scripted".into(),
                );
            }
        }
    }

    fn random_registered_host(&mut self) -> Option<u32> {
        let candidates: Vec<u32> = (0..self.hosts.len() as u32)
            .filter(|&h| self.hosts[h as usize].registered())
            .collect();
        (!candidates.is_empty())
            .then(|| candidates[self.faults_rng.random_range(0..candidates.len())])
    }

    /// The instance dies at once. Its requests fail (502); its tasks are
    /// lost to the control plane until their targets fail their health
    /// checks; the ASG sees a non-running instance at once and launches a
    /// replacement (docs/aws-behaviour.md §3.1).
    pub(crate) fn fail_host(&mut self, h: u32, why: &str) {
        let state = self.hosts[h as usize].state;
        if state == HostState::Terminated {
            return;
        }
        self.host_gone(h);
        let pid = self.hosts[h as usize]
            .registered()
            .then_some(self.hosts[h as usize].pid)
            .flatten();
        self.hosts[h as usize].state = HostState::Terminated;
        self.billed_hosts -= 1;
        let name = self.hosts[h as usize].name.clone();
        self.log(FleetEventKind::FailInstance, &name, why.to_string());
        let tasks = self.hosts[h as usize].tasks.clone();
        for t in tasks {
            match self.tasks[t as usize].state {
                TaskState::Running => {
                    self.tasks[t as usize].state = TaskState::Lost;
                    self.schedule_failure_detection(t);
                }
                // Starting tasks find out when they would have started;
                // draining ones were already out of the target group.
                TaskState::Draining => self.stop_task(t, "its instance failed"),
                _ => {}
            }
        }
        if let Some(pid) = pid {
            use crate::placement::Placement;
            self.placement.remove_host(pid);
        }
        self.reconcile_asg("replacing a failed instance");
    }

    /// Two minutes' notice: ECS drains the instance (we model the
    /// recommended `ECS_ENABLE_SPOT_INSTANCE_DRAINING=true`), its tasks are
    /// replaced elsewhere, then EC2 reclaims it.
    fn spot_notice(&mut self, h: u32) {
        self.hosts[h as usize].spot_notice = true;
        let name = self.hosts[h as usize].name.clone();
        self.log(FleetEventKind::SpotNotice, &name, "reclaimed in 2m".into());
        self.drain_host(h, "Spot interruption notice");
        self.kernel
            .schedule(SPOT_NOTICE_NS, Event::SpotTermination { host: h });
    }

    pub(crate) fn on_spot_termination(&mut self, h: u32) {
        let left = self.hosts[h as usize]
            .tasks
            .iter()
            .filter(|&&t| self.tasks[t as usize].state != TaskState::Stopped)
            .count();
        self.terminate_host(
            h,
            &format!("Spot instance reclaimed with {left} tasks still on it"),
        );
    }

    /// Background failures: each registered host fails at rate 1/MTBF; the
    /// fleet's rate is taken at each failure (the count changes slowly).
    pub(crate) fn schedule_random_failure(&mut self) {
        let Some(mtbf) = self.scenario.faults.instance_mtbf else {
            return;
        };
        let n = self.hosts.iter().filter(|h| h.registered()).count().max(1);
        let rate = n as f64 * NANOS_PER_SEC as f64 / mtbf as f64;
        let dt = secs_to_nanos(exp_secs(&mut self.faults_rng, rate));
        self.kernel.schedule(dt, Event::RandomFailure);
    }

    pub(crate) fn on_random_failure(&mut self) {
        if let Some(h) = self.random_registered_host() {
            self.fail_host(h, "random failure (instance_mtbf)");
        }
        self.schedule_random_failure();
    }
}
