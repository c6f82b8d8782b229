//! The fleet at t = 0: which task the simulation starts on which host.

use crate::engine::Simulation;
use crate::scenario::Scenario;

/// One host of the fleet at t = 0 and the tasks placed on it.
#[derive(Clone, Debug, PartialEq)]
pub struct HostLayout {
    /// The id the recording uses (`i-0001`).
    pub name: String,
    pub vcpu: u32,
    /// (service index, index of the task among its service's tasks).
    pub tasks: Vec<(u16, u32)>,
}

/// Where the simulator places every task at t = 0 (the same placement the
/// run starts from), so that the testbed can put each emulated task on the
/// emulated host the simulation has it on.
pub fn initial_layout(scenario: &Scenario, seed: u64) -> Vec<HostLayout> {
    let sim = Simulation::new(scenario, seed);
    sim.hosts
        .iter()
        .filter(|h| h.registered())
        .map(|h| HostLayout {
            name: h.name.clone(),
            vcpu: h.vcpu as u32,
            tasks: h
                .tasks
                .iter()
                .map(|&t| {
                    let service = sim.tasks[t as usize].service;
                    let index = sim.services[service as usize]
                        .tasks
                        .iter()
                        .position(|&x| x == t)
                        .expect("a placed task belongs to its service")
                        as u32;
                    (service, index)
                })
                .collect(),
        })
        .collect()
}
