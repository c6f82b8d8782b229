//! EC2 container instances: where tasks run. How their CPU is shared is
//! [`crate::cpu`]'s.

use crate::cpu::FullSpeed;
use crate::placement::HostId;
use crate::scenario::InstanceType;
use crate::time::SimTime;

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
    /// The id the recording uses (`i-0001`), stable for a seed.
    pub name: String,
    pub az: u16,
    pub state: HostState,
    /// Placement engine id, from registration on.
    pub pid: Option<HostId>,
    pub vcpu: f64,
    /// Requests on this host that want a vCPU now (doing CPU work, not held
    /// back by their task's quota): the CPUs it would need to run them all
    /// at full speed.
    pub cpu_want: u32,
    /// `cpu_want` > `vcpu`: the tasks share less than they want.
    pub contended: bool,
    /// vCPUs delivered now (Σ over its tasks; never above `vcpu`).
    pub cpu_used: f64,
    /// Requests doing CPU work at full speed on this uncontended host, by
    /// the instant their CPU work ends. See `crate::cpu` ("the fast path").
    pub(crate) full_speed: FullSpeed,
    /// CPU-nanoseconds used since the last datapoint, up to `cpu_since`.
    pub cpu_area: f64,
    pub cpu_since: SimTime,
    /// Tasks on this host (ids into the simulation's task table).
    pub tasks: Vec<u32>,
    pub launched_at: SimTime,
    pub in_service_at: Option<SimTime>,
    /// Got the Spot two-minute notice.
    pub spot_notice: bool,
}

impl Host {
    pub fn new(index: u32, itype: &InstanceType, az: u16, now: SimTime) -> Host {
        Host {
            name: format!("i-{:04}", index + 1),
            az,
            state: HostState::Pending,
            pid: None,
            vcpu: itype.vcpu as f64,
            cpu_want: 0,
            contended: false,
            cpu_used: 0.0,
            full_speed: FullSpeed::default(),
            cpu_area: 0.0,
            cpu_since: now,
            tasks: Vec::new(),
            launched_at: now,
            in_service_at: None,
            spot_notice: false,
        }
    }

    /// Brings the CPU integral up to `now`.
    #[inline]
    pub fn account_cpu(&mut self, now: SimTime) {
        self.cpu_area += self.cpu_used * (now.0 - self.cpu_since.0) as f64;
        self.cpu_since = now;
    }

    /// Registered with the cluster (InService or Draining).
    pub fn registered(&self) -> bool {
        matches!(self.state, HostState::InService | HostState::Draining)
    }

    /// Counts toward the ASG's capacity: launching or InService, and a
    /// Spot instance under notice until it is reclaimed (the ASG replaces it
    /// after the loss); not an instance draining for scale-in.
    pub fn live(&self) -> bool {
        match self.state {
            HostState::Pending | HostState::InService => true,
            HostState::Draining => self.spot_notice,
            HostState::Terminated => false,
        }
    }
}
