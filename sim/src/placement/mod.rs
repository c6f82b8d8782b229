//! ECS task placement on EC2 container instances (docs/aws-behaviour.md §1.4).
//!
//! ```text
//!  registered hosts ──► filter: fits cpu & memory, accepting placements
//!                   ──► constraints: distinctInstance, memberOf(expr)   (binding)
//!                   ──► strategies, in precedence order, each narrowing  (best effort)
//!                       the candidates to the ones it prefers; later ones
//!                       break the ties of earlier ones
//!                   ──► lowest host id among what is left
//! ```
//!
//! Resources are reserved by `place` and given back by `release`; a host is
//! never over-committed. An engine is a [`Placement`]; [`oracle::Oracle`] is
//! the plain, obviously-right one that faster engines are tested against.

pub mod indexed;
pub mod oracle;
#[cfg(test)]
mod test_fleet;

use crate::scenario::{Attribute, PlacementConstraint, PlacementStrategy};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Index of a host in the engine, assigned by [`Placement::add_host`] in
/// increasing order and never reused.
pub type HostId = u32;

/// What the engine knows of a container instance when it registers.
#[derive(Clone, Debug, PartialEq)]
pub struct HostSpec {
    /// Index into the scenario's AZ list.
    pub az: u16,
    /// The values of the instance's attributes, for spread and memberOf.
    pub instance_type: String,
    pub az_name: String,
    pub cpu_architecture: String,
    /// Registered CPU units and memory MiB.
    pub cpu: u32,
    pub memory: u32,
}

impl HostSpec {
    pub fn attribute(&self, a: Attribute) -> &str {
        match a {
            Attribute::AvailabilityZone => &self.az_name,
            Attribute::InstanceType => &self.instance_type,
            Attribute::CpuArchitecture => &self.cpu_architecture,
        }
    }
}

/// What a task asks of placement. `group` identifies the service (task
/// group): spread and distinctInstance count only tasks of the same group.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskSpec {
    pub group: u32,
    pub cpu: u32,
    pub memory: u32,
    pub strategies: Vec<PlacementStrategy>,
    pub constraints: Vec<PlacementConstraint>,
}

/// A placement engine: the cluster's free resources and task counts, and the
/// decision of where the next task goes.
///
/// Determinism contract: decisions depend only on the sequence of calls and
/// on the draws from `rng` (used by the `random` strategy only: one
/// `random_range(0..n)` over the remaining candidates in host-id order, so
/// that two engines given the same seed agree).
pub trait Placement {
    /// Registers a container instance, accepting placements. Returns its id.
    fn add_host(&mut self, spec: HostSpec) -> HostId;
    /// Deregisters a host (terminated or failed). Its tasks are forgotten with
    /// it: the caller stops them.
    fn remove_host(&mut self, host: HostId);
    /// A DRAINING instance accepts no new placements but keeps its tasks.
    fn set_accepting(&mut self, host: HostId, accepting: bool);
    /// Chooses a host for the task and reserves its resources there, or
    /// returns `None` when no registered, accepting host satisfies resources
    /// and constraints (the task stays PENDING).
    fn place(&mut self, task: &TaskSpec, rng: &mut Xoshiro256PlusPlus) -> Option<HostId>;
    /// Gives back the resources of a task of `task.group` on `host`.
    fn release(&mut self, host: HostId, task: &TaskSpec);
    /// Free CPU units and memory MiB on a registered host.
    fn free(&self, host: HostId) -> Option<(u32, u32)>;
    /// Tasks of `group` on a registered host.
    fn tasks_of(&self, host: HostId, group: u32) -> u32;
}
