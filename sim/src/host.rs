//! EC2 container instances: where tasks run and where CPU is contended.

use crate::placement::HostId;
use crate::scenario::InstanceType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostState {
    /// Launch requested, not yet InService.
    Pending,
    /// Registered with the cluster, accepting placements.
    InService,
    /// ECS DRAINING: no new placements; its tasks are being replaced.
    Draining,
    /// Gone (terminated or failed).
    Terminated,
}

/// One container instance.
#[derive(Clone, Debug)]
pub struct Host {
    pub id: HostId,
    /// The id the recording uses (`i-0001`), stable for a seed.
    pub name: String,
    pub az: u16,
    pub state: HostState,
    pub vcpu: f64,
    /// Σ `cpu_per_request` over the requests in service on this host: the
    /// CPUs the host would need to run them all at full speed.
    pub cpu_demand: f64,
    /// Tasks on this host (ids into the simulation's task table).
    pub tasks: Vec<u32>,
}

impl Host {
    pub fn new(id: HostId, itype: &InstanceType, az: u16) -> Host {
        Host {
            id,
            name: format!("i-{:04}", id + 1),
            az,
            state: HostState::InService,
            vcpu: itype.vcpu as f64,
            cpu_demand: 0.0,
            tasks: Vec::new(),
        }
    }

    /// CPUs in use: demand, capped by what the host has.
    #[inline]
    pub fn cpu_used(&self) -> f64 {
        self.cpu_demand.min(self.vcpu)
    }

    /// How much longer than nominal a request with on-CPU share `c` takes
    /// now: its CPU part is stretched by demand/vCPU when the host is
    /// oversubscribed (processor sharing), its off-CPU part is not.
    #[inline]
    pub fn dilation(&self, c: f64) -> f64 {
        if self.cpu_demand <= self.vcpu {
            1.0
        } else {
            1.0 + c * (self.cpu_demand / self.vcpu - 1.0)
        }
    }

    #[inline]
    pub fn congested(&self) -> bool {
        self.cpu_demand > self.vcpu
    }
}
