//! The EC2 Auto Scaling group: launches balanced over AZs, the default
//! termination policy, ECS draining before scale-in, and restoring desired
//! capacity after a loss (docs/aws-behaviour.md §3).

use crate::engine::{Event, Simulation};
use crate::host::{Host, HostState};
use crate::placement::{HostSpec, Placement};
use dockmaster_reports::FleetEventKind;
use rand::Rng as _;

impl Simulation<'_> {
    /// The AZ a launch goes to: the one (not down) with the fewest live
    /// instances, the lowest index among ties (docs/aws-behaviour.md §3.1).
    pub(crate) fn launch_az(&self) -> Option<u16> {
        let mut live = vec![0u32; self.scenario.cluster.azs.len()];
        for h in self.hosts.iter().filter(|h| h.live()) {
            live[h.az as usize] += 1;
        }
        (0..live.len())
            .filter(|&a| !self.asg.az_down[a])
            .min_by_key(|&a| (live[a], a))
            .map(|a| a as u16)
    }

    /// A new instance, launching (billed from the launch request: EC2 bills
    /// from `running`, a few seconds later; the difference is left out).
    pub(crate) fn add_host(&mut self, az: u16) -> u32 {
        let id = self.hosts.len() as u32;
        let now = self.kernel.now();
        self.hosts
            .push(Host::new(id, &self.scenario.cluster.instance_type, az, now));
        self.billed_hosts += 1;
        id
    }

    /// The instance is InService and its ECS agent registers it.
    pub(crate) fn register_host(&mut self, h: u32) {
        let now = self.kernel.now();
        let it = &self.scenario.cluster.instance_type;
        let az = self.hosts[h as usize].az;
        let pid = self.placement.add_host(HostSpec {
            az,
            instance_type: it.name.clone(),
            az_name: self.scenario.cluster.azs[az as usize].clone(),
            cpu_architecture: it.arch.clone(),
            cpu: it.registered_cpu,
            memory: it.registered_memory_mib,
        });
        debug_assert_eq!(pid as usize, self.pid_host.len());
        self.pid_host.push(h);
        let host = &mut self.hosts[h as usize];
        host.pid = Some(pid);
        host.state = HostState::InService;
        host.in_service_at = Some(now);
        host.cpu_since = now;
        self.registered_vcpu += host.vcpu;
        self.note_peaks();
    }

    /// Launches `n` instances; each is InService after `launch_time`.
    pub(crate) fn launch(&mut self, n: u32, why: &str) {
        for _ in 0..n {
            let Some(az) = self.launch_az() else {
                self.log(
                    FleetEventKind::LaunchFailed,
                    "asg",
                    format!("every AZ is down: {why}"),
                );
                return;
            };
            let h = self.add_host(az);
            let delay = self.asg.launch_time.sample(&mut self.asg.rng);
            self.kernel
                .schedule(delay, Event::HostInService { host: h });
            let (name, az_name) = (
                self.hosts[h as usize].name.clone(),
                self.scenario.cluster.azs[az as usize].clone(),
            );
            self.log(
                FleetEventKind::Launch,
                &name,
                format!("in {az_name}: {why}"),
            );
        }
    }

    pub(crate) fn on_host_in_service(&mut self, h: u32) {
        if self.hosts[h as usize].state != HostState::Pending {
            return; // failed while launching
        }
        self.register_host(h);
        let name = self.hosts[h as usize].name.clone();
        let took = self.kernel.now().0 - self.hosts[h as usize].launched_at.0;
        self.log(
            FleetEventKind::InService,
            &name,
            format!("after {}", crate::time::format_duration(took)),
        );
        for s in 0..self.services.len() {
            if self.has_pending(s) {
                self.request_pass(s as u16);
            }
        }
    }

    /// Brings live capacity to desired: launches for a shortfall, drains
    /// and terminates for a surplus.
    pub(crate) fn reconcile_asg(&mut self, why: &str) {
        loop {
            let live = self.hosts.iter().filter(|h| h.live()).count() as u32;
            let desired = self.asg.desired;
            if live < desired {
                self.launch(desired - live, why);
            } else if live > desired {
                // A drained host is no longer live: the loop ends.
                if let Some(h) = self.termination_victim() {
                    self.drain_host(h, why);
                    continue;
                }
            }
            return;
        }
    }

    /// The default termination policy (docs/aws-behaviour.md §3.3): balance AZs
    /// first (the AZ with the most instances), then — all instances sharing one
    /// launch template and per-second billing making "closest to the next
    /// billing hour" moot — prefer instances with no tasks, then random among
    /// ties. Under a capacity provider only empty instances go: ECS computed
    /// the new size from the instances its tasks need, and managed termination
    /// protection (taken as enabled; AWS's default is off) keeps the others
    /// (docs/aws-behaviour.md §1.9).
    fn termination_victim(&mut self) -> Option<u32> {
        let managed = matches!(
            self.scenario.cluster.asg.scaling,
            Some(crate::scenario::AsgScaling::Managed { .. })
        );
        let mut per_az = vec![0u32; self.scenario.cluster.azs.len()];
        for h in self.hosts.iter().filter(|h| h.live()) {
            per_az[h.az as usize] += 1;
        }
        let candidates: Vec<u32> = (0..self.hosts.len() as u32)
            .filter(|&h| {
                let host = &self.hosts[h as usize];
                host.state == HostState::InService && (!managed || host.tasks.is_empty())
            })
            .collect();
        let key = |h: u32| {
            let host = &self.hosts[h as usize];
            (per_az[host.az as usize], host.tasks.is_empty())
        };
        let best = candidates.iter().map(|&h| key(h)).max()?;
        let ties: Vec<u32> = candidates.into_iter().filter(|&h| key(h) == best).collect();
        Some(ties[self.asg.rng.random_range(0..ties.len())])
    }

    /// ECS DRAINING: no new placements; its tasks are replaced elsewhere by
    /// their services, then the instance terminates.
    pub(crate) fn drain_host(&mut self, h: u32, why: &str) {
        let host = &mut self.hosts[h as usize];
        if host.state != HostState::InService {
            return;
        }
        host.state = HostState::Draining;
        let pid = host.pid.expect("in service");
        self.placement.set_accepting(pid, false);
        let name = self.hosts[h as usize].name.clone();
        let n = self.hosts[h as usize].tasks.len();
        self.log(
            FleetEventKind::DrainStart,
            &name,
            format!("{n} tasks to move: {why}"),
        );
        if n == 0 && !self.hosts[h as usize].spot_notice {
            self.terminate_host(h, why);
            return;
        }
        self.request_passes_on(h);
    }

    /// Services with tasks on host `h` look again.
    pub(crate) fn request_passes_on(&mut self, h: u32) {
        let mut services: Vec<u16> = self.hosts[h as usize]
            .tasks
            .iter()
            .map(|&t| self.tasks[t as usize].service)
            .collect();
        services.sort_unstable();
        services.dedup();
        for s in services {
            self.request_pass(s);
        }
    }

    /// The instance is gone for good (scale-in, Spot reclaim): tasks still
    /// on it stop, their requests fail, the ASG restores its desired count.
    pub(crate) fn terminate_host(&mut self, h: u32, why: &str) {
        if self.hosts[h as usize].state == HostState::Terminated {
            return;
        }
        self.host_gone(h);
        let host = &mut self.hosts[h as usize];
        let pid = host.registered().then_some(host.pid).flatten();
        // A Spot instance counted toward capacity until now; one drained for
        // scale-in had already left it.
        let was_live = host.live();
        host.state = HostState::Terminated;
        self.billed_hosts -= 1;
        let tasks = self.hosts[h as usize].tasks.clone();
        for t in tasks {
            self.stop_task(t, "its instance terminated");
        }
        if let Some(pid) = pid {
            self.placement.remove_host(pid);
        }
        let name = self.hosts[h as usize].name.clone();
        self.log(FleetEventKind::Terminate, &name, why.to_string());
        if was_live {
            self.reconcile_asg("replacing a lost instance");
        }
    }
}
