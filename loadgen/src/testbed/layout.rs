//! The CPU layout of a CPU-burning testbed: which emulated host gets which
//! of this machine's cores, which emulated task burns on which host, and
//! what the kernel is told to limit each task to.
//!
//! Tasks go on the hosts the simulator places them on at t = 0
//! ([`initial_layout`]), so that tasks that share a host in the simulation
//! compete for the same cores here. Only hosts holding a task that burns
//! CPU (`cpu_per_request > 0`) need cores. At least one core stays outside
//! every host, for HAProxy, the testbed's own HTTP and timer threads and
//! the load generator: their CPU is not what the scenario models.

use super::cgroup::{format_cpu_list, TaskLimit};
use crate::error::TestbedError;
use dockmaster_sim::layout::initial_layout;
use dockmaster_sim::scenario::{CpuLimit, Scenario, Service};

/// Burner threads in all, at most: one per slot of every burning task.
pub const MAX_BURNER_THREADS: u32 = 2048;

/// One emulated host that burns CPU.
#[derive(Clone, Debug)]
pub struct HostCores {
    /// The simulator's name for it (`i-0001`).
    pub name: String,
    pub vcpu: u32,
    /// This machine's cores it owns.
    pub cores: Vec<u32>,
    /// (service index, task index within the service), burning or not.
    pub tasks: Vec<(u16, u32)>,
}

#[derive(Clone, Debug)]
pub struct CpuLayout {
    /// The cores kept for everything that is not an emulated host.
    pub system: Vec<u32>,
    pub hosts: Vec<HostCores>,
}

/// Does the service's CPU work get burnt (and therefore need cgroups)?
pub fn burns(s: &Service) -> bool {
    s.desired > 0 && s.cpu_per_request > 0.0
}

impl CpuLayout {
    /// Plans the layout over `cores` (the CPUs this process may use), or
    /// says why it cannot be done. `None`: nothing burns CPU.
    pub fn plan(
        sc: &Scenario,
        seed: u64,
        cores: &[u32],
    ) -> Result<Option<CpuLayout>, TestbedError> {
        if !sc.services.iter().any(burns) {
            return Ok(None);
        }
        let threads: u64 = sc
            .services
            .iter()
            .filter(|s| burns(s))
            .map(|s| u64::from(s.desired) * u64::from(s.concurrency))
            .sum();
        if threads > u64::from(MAX_BURNER_THREADS) {
            return Err(TestbedError::Unsupported(format!(
                "burning CPU takes one thread per slot (desired × concurrency) and the scenario \
                 has {threads}; the testbed starts at most {MAX_BURNER_THREADS}: lower \
                 concurrency or desired"
            )));
        }
        let layout = initial_layout(sc, seed);
        for (si, s) in sc.services.iter().enumerate().filter(|(_, s)| burns(s)) {
            let placed = layout
                .iter()
                .flat_map(|h| &h.tasks)
                .filter(|&&(x, _)| x as usize == si)
                .count() as u32;
            if placed < s.desired {
                return Err(TestbedError::Unsupported(format!(
                    "{} of service {}'s {} tasks fit no host at t = 0 in the simulation; a task \
                     that burns CPU must run on the host the simulation places it on: lower \
                     services[].desired, or give the cluster more or larger hosts",
                    s.desired - placed,
                    s.name,
                    s.desired
                )));
            }
        }
        let hosts: Vec<_> = layout
            .into_iter()
            .filter(|h| {
                h.tasks
                    .iter()
                    .any(|&(si, _)| burns(&sc.services[si as usize]))
            })
            .collect();
        let need: u32 = hosts.iter().map(|h| h.vcpu).sum();
        let spare = (cores.len() as u32).saturating_sub(1);
        if need > spare {
            let n = hosts.len() as u32;
            let advice = if spare == 0 {
                format!(
                    "run the testbed on a machine with at least {} cores",
                    need + 1
                )
            } else if n <= spare {
                format!(
                    "use a [[cluster.instance_types]] entry with vcpu = {} (and instance_type = \
                     its name), or run on a machine with at least {} cores",
                    spare / n,
                    need + 1
                )
            } else {
                format!(
                    "put the burning tasks on at most {spare} host(s) (cluster.asg) of a \
                     [[cluster.instance_types]] entry with vcpu = 1, or run on a machine with \
                     at least {} cores",
                    need + 1
                )
            };
            return Err(TestbedError::CpuUnavailable(format!(
                "the scenario's hosts have {need} vCPU in all ({n} host(s) of {} vCPU holding \
                 tasks that burn CPU); this machine can give away {spare} core(s) ({} cores, 1 \
                 kept for HAProxy and the load generator): {advice}",
                sc.cluster.instance_type.vcpu,
                cores.len()
            )));
        }
        // Hosts take the highest-numbered cores: core 0 usually takes more
        // interrupts, which belong with the system.
        let keep = cores.len() - need as usize;
        let mut next = keep;
        let hosts = hosts
            .into_iter()
            .map(|h| {
                let c = cores[next..next + h.vcpu as usize].to_vec();
                next += h.vcpu as usize;
                HostCores {
                    name: h.name,
                    vcpu: h.vcpu,
                    cores: c,
                    tasks: h.tasks,
                }
            })
            .collect();
        Ok(Some(CpuLayout {
            system: cores[..keep].to_vec(),
            hosts,
        }))
    }

    /// The host a task is on.
    pub fn host_of(&self, service: u16, index: u32) -> Option<&HostCores> {
        self.hosts
            .iter()
            .find(|h| h.tasks.contains(&(service, index)))
    }

    /// The system cores as a `taskset -c` list.
    pub fn system_list(&self) -> String {
        format_cpu_list(&self.system)
    }
}

/// The kernel limit of a task of `s`, and a note if the kernel's minimum
/// quota (1 ms) raises it.
pub fn task_limit(sc: &Scenario, s: &Service) -> (TaskLimit, Option<String>) {
    match s.cpu_limit {
        CpuLimit::Hard => {
            let period_us = sc.cluster.cpu_period / 1_000;
            let exact = (f64::from(s.cpu) / 1024.0 * period_us as f64).round() as u64;
            let quota_us = exact.max(1_000);
            let note = (exact < 1_000).then(|| {
                format!(
                    "service {}: a quota of {exact} µs per {period_us} µs is below the kernel's \
                     minimum; its tasks get 1000 µs",
                    s.name
                )
            });
            (
                TaskLimit::Hard {
                    period_us,
                    quota_us,
                },
                note,
            )
        }
        CpuLimit::Shares => (TaskLimit::Shares(u64::from(s.cpu).max(2)), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dockmaster_sim::scenario::parse;
    use std::path::Path;

    fn scenario(vcpu: u32, hosts: u32, tasks: u32, limit: &str) -> Scenario {
        let text = format!(
            r#"
name = "t"
duration = "10s"
[cluster]
instance_type = "tb.custom"
azs = ["a"]
cpu_period = "50ms"
[[cluster.instance_types]]
name = "tb.custom"
vcpu = {vcpu}
memory = 4096
price_per_hour = 0.05
[cluster.asg]
min = {hosts}
max = {hosts}
[[services]]
name = "web"
desired = {tasks}
cpu = 512
memory = 256
concurrency = 2
service_time = {{ dist = "constant", value = "10ms" }}
cpu_per_request = 0.5
cpu_limit = "{limit}"
[traffic]
profile = [ {{ at = "0s", rps = 10 }} ]
"#
        );
        parse(&text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn hosts_take_the_top_cores_and_the_system_keeps_the_rest() {
        let sc = scenario(1, 2, 2, "hard");
        let l = CpuLayout::plan(&sc, 1, &[0, 1, 2, 3]).unwrap().unwrap();
        assert_eq!(l.system, vec![0, 1]);
        assert_eq!(l.hosts.len(), 2);
        assert_eq!(l.hosts[0].cores, vec![2]);
        assert_eq!(l.hosts[1].cores, vec![3]);
        assert!(l.host_of(0, 0).is_some() && l.host_of(0, 1).is_some());
        assert_eq!(l.system_list(), "0-1");
        let (lim, note) = task_limit(&sc, &sc.services[0]);
        assert_eq!(
            lim,
            TaskLimit::Hard {
                period_us: 50_000,
                quota_us: 25_000
            }
        );
        assert!(note.is_none());
    }

    #[test]
    fn too_many_vcpus_are_refused_with_advice() {
        let sc = scenario(4, 1, 1, "shares");
        let e = CpuLayout::plan(&sc, 1, &[0, 1]).unwrap_err().to_string();
        assert!(e.contains("hosts have 4 vCPU in all"), "{e}");
        assert!(
            e.contains("can give away 1 core(s) (2 cores, 1 kept"),
            "{e}"
        );
        assert!(e.contains("vcpu = 1"), "{e}");
        let e = CpuLayout::plan(&sc, 1, &[0]).unwrap_err().to_string();
        assert!(e.contains("at least 5 cores"), "{e}");
        assert_eq!(task_limit(&sc, &sc.services[0]).0, TaskLimit::Shares(512));
    }

    #[test]
    fn nothing_burns_without_cpu_per_request() {
        let mut sc = scenario(4, 1, 1, "hard");
        sc.services[0].cpu_per_request = 0.0;
        assert!(CpuLayout::plan(&sc, 1, &[0]).unwrap().is_none());
    }
}
