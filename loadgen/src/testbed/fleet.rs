//! The emulated hosts as the kernel runs them: the cgroup tree built from
//! the [`CpuLayout`], and each burning task's cgroups and burner threads.
//!
//! Order matters and is kept here: everything is checked before anything
//! is created ([`CpuFleet::prepare`] refuses with `CpuUnavailable` first);
//! the process moves into the `system` cpuset before any burner thread or
//! HAProxy starts (moving a process moves all its threads, and children
//! inherit the cpuset); burner threads are stopped before the tree is
//! removed (a cgroup with threads in it cannot be).

use super::burner::Burner;
use super::cgroup::{CgroupTree, Hierarchies, TaskCgroup};
use super::emulator::TaskCpu;
use super::layout::{burns, task_limit, CpuLayout};
use crate::error::TestbedError;
use dockmaster_sim::scenario::Scenario;
use std::sync::Arc;
use std::time::Instant;

/// How many nice-0 processes' worth of weight each host core gets, so that
/// processes outside the testbed — which the kernel may still run on the
/// hosts' cores; only the testbed's own process is confined — take little
/// from a busy emulated host (1/65 of a core each). Not the kernel's
/// ceiling (256): per-CPU kernel threads must still get a turn.
pub const HOST_WEIGHT: u64 = 64;

/// A burning task's kernel side.
#[derive(Clone, Debug)]
pub struct TaskKernel {
    pub host: String,
    pub cgroup: Arc<TaskCgroup>,
}

/// What the hosts' cores did since the testbed started: how much the
/// testbed's tasks used, how much other processes used (the kernel may run
/// them there: only the testbed's own process is confined), and how much
/// the hypervisor withheld (steal). Others and steal disturb the
/// emulation: a burner waking while another process holds its core waits
/// up to a scheduler tick.
#[derive(Clone, Copy, Debug)]
pub struct HostCoreUsage {
    /// Wall time × host cores, s.
    pub capacity_s: f64,
    /// Busy (user, nice, system, irq, softirq), s.
    pub busy_s: f64,
    /// Of it, charged to the tasks' cgroups, s.
    pub testbed_s: f64,
    pub steal_s: f64,
}

impl HostCoreUsage {
    /// CPU used on the hosts' cores by processes outside the testbed, s.
    pub fn others_s(&self) -> f64 {
        (self.busy_s - self.testbed_s).max(0.0)
    }
}

/// (busy, steal) of `cores` from /proc/stat, in USER_HZ ticks.
fn core_ticks(cores: &[u32]) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let mut sum = (0, 0);
    for c in cores {
        let line = text
            .lines()
            .find(|l| l.strip_prefix(&format!("cpu{c} ")).is_some())?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...
        sum.0 += v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)?;
        sum.1 += v.get(7).copied().unwrap_or(0);
    }
    Some(sum)
}

/// The hosts' cgroups and the burners; dropping it stops the burners, puts
/// the process back in its own cpuset and removes every cgroup.
pub struct CpuFleet {
    pub layout: CpuLayout,
    notes: Vec<String>,
    burners: Vec<Arc<Burner>>,
    cgroups: Vec<Arc<TaskCgroup>>,
    /// When the hosts' cores started being watched, and their ticks then.
    since: (Instant, Option<(u64, u64)>),
    // Last: dropped after `Drop::drop` has stopped the burners.
    tree: CgroupTree,
}

impl CpuFleet {
    /// `None` if no service burns CPU. Otherwise checks that this machine
    /// can host the scenario's burning hosts (cgroup v1 cpu and cpuset,
    /// writable; one core per vCPU plus one), builds the tree and moves
    /// the calling process into the `system` cpuset.
    pub fn prepare(sc: &Scenario, seed: u64) -> Result<Option<CpuFleet>, TestbedError> {
        if !sc.services.iter().any(burns) {
            return Ok(None);
        }
        let h = Hierarchies::detect()?;
        let cores = h.cores()?;
        let Some(layout) = CpuLayout::plan(sc, seed, &cores)? else {
            return Ok(None);
        };
        let mut tree = CgroupTree::create(&h, &cores)?;
        tree.confine_process(&layout.system)?;
        for host in &layout.hosts {
            tree.add_host(&host.name, &host.cores, HOST_WEIGHT)?;
        }
        let mut notes = Vec::new();
        for s in sc.services.iter().filter(|s| burns(s)) {
            notes.extend(task_limit(sc, s).1);
        }
        let host_cores: Vec<u32> = layout.hosts.iter().flat_map(|h| h.cores.clone()).collect();
        Ok(Some(CpuFleet {
            since: (Instant::now(), core_ticks(&host_cores)),
            layout,
            notes,
            burners: Vec::new(),
            cgroups: Vec::new(),
            tree,
        }))
    }

    /// The cgroups and burner threads of task `index` of service `si`;
    /// `None` if the service does not burn CPU.
    pub(crate) fn add_task(
        &mut self,
        sc: &Scenario,
        si: usize,
        index: u32,
    ) -> Result<Option<(TaskCpu, TaskKernel)>, TestbedError> {
        let s = &sc.services[si];
        if !burns(s) {
            return Ok(None);
        }
        let host = self
            .layout
            .host_of(si as u16, index)
            .ok_or_else(|| {
                TestbedError::Unsupported(format!("task {}/{index} is on no host", s.name))
            })?
            .name
            .clone();
        let name = format!("{}-{index}", s.name.replace(['/', '.'], "_"));
        let cg = self.tree.add_task(&host, &name, task_limit(sc, s).0)?;
        let burner = Arc::new(Burner::start(
            &name,
            s.concurrency.max(1),
            Some(cg.placement.clone()),
        )?);
        self.burners.push(burner.clone());
        let cg = Arc::new(cg);
        self.cgroups.push(cg.clone());
        Ok(Some((
            TaskCpu {
                cpu_per_request: s.cpu_per_request,
                burner,
            },
            TaskKernel { host, cgroup: cg },
        )))
    }

    /// What is emulated, and how.
    pub fn notes(&self) -> Vec<String> {
        let mut n = vec![format!(
            "CPU is burnt: each request spins its CPU work (service time × cpu_per_request) on \
             a thread of its task's cgroup, then sleeps the rest; hard tasks have the ECS \
             agent's CFS quota (cpu/1024 × cpu_period), shares tasks cpu.shares = cpu; each \
             host owns whole cores (cpuset) and the testbed's other threads, HAProxy and its \
             children run on core(s) {}",
            self.layout.system_list()
        )];
        n.push(
            "processes started outside the testbed may still run on the hosts' cores (the \
             hosts outweigh each by 64 to 1): keep the machine otherwise idle, and start the \
             load generator with taskset on the system cores"
                .into(),
        );
        n.extend(self.notes.iter().cloned());
        n
    }

    /// What the hosts' cores did since the testbed started (`None` if
    /// /proc/stat or cpuacct cannot be read).
    pub fn host_core_usage(&self) -> Option<HostCoreUsage> {
        let cores: Vec<u32> = self
            .layout
            .hosts
            .iter()
            .flat_map(|h| h.cores.clone())
            .collect();
        let (t0, Some((b0, s0))) = self.since else {
            return None;
        };
        let (b1, s1) = core_ticks(&cores)?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let mut testbed = 0.0;
        for c in &self.cgroups {
            testbed += c.usage_ns()? as f64 / 1e9;
        }
        Some(HostCoreUsage {
            capacity_s: t0.elapsed().as_secs_f64() * cores.len() as f64,
            busy_s: b1.saturating_sub(b0) as f64 / hz,
            testbed_s: testbed,
            steal_s: s1.saturating_sub(s0) as f64 / hz,
        })
    }

    /// Stops every burner thread (in-flight burns end at once).
    pub fn stop_burners(&mut self) {
        for b in &self.burners {
            b.stop();
        }
    }
}

impl Drop for CpuFleet {
    fn drop(&mut self) {
        self.stop_burners();
    }
}
