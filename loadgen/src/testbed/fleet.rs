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

/// The hosts' cgroups and the burners; dropping it stops the burners, puts
/// the process back in its own cpuset and removes every cgroup.
pub struct CpuFleet {
    pub layout: CpuLayout,
    notes: Vec<String>,
    burners: Vec<Arc<Burner>>,
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
        Ok(Some(CpuFleet {
            layout,
            notes,
            burners: Vec::new(),
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
        Ok(Some((
            TaskCpu {
                cpu_per_request: s.cpu_per_request,
                burner,
            },
            TaskKernel {
                host,
                cgroup: Arc::new(cg),
            },
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
