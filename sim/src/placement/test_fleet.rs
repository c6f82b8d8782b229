//! Hosts and tasks for the placement engines' hand-worked unit tests.

use super::{HostSpec, TaskSpec};
use crate::scenario::PlacementStrategy;

pub(crate) const AZS: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// An x86_64 host in AZ `az` registering `cpu` units and `memory` MiB.
pub(crate) fn host(az: u16, instance_type: &str, cpu: u32, memory: u32) -> HostSpec {
    HostSpec {
        az,
        instance_type: instance_type.to_string(),
        az_name: AZS[az as usize].to_string(),
        cpu_architecture: "x86_64".to_string(),
        cpu,
        memory,
    }
}

/// A task of `group` with a strategy chain and no constraints.
pub(crate) fn task(
    group: u32,
    cpu: u32,
    memory: u32,
    strategies: Vec<PlacementStrategy>,
) -> TaskSpec {
    TaskSpec {
        group,
        cpu,
        memory,
        strategies,
        constraints: Vec::new(),
    }
}
