//! The host table: a container instance as the engine keeps it. Its
//! attribute values are interned to small integers (cells and group counts
//! are arrays indexed by them); its free resources, tasks per group and
//! class bits are what every index reads, so they live on the host once.

use super::scheme::ANY_VALUE;
use super::{Indexed, Mask};
use crate::placement::{HostId, HostSpec};
use crate::scenario::{Attribute, Resource};

/// The attributes, in the order of the arrays indexed by attribute.
pub(super) const ATTRIBUTES: [Attribute; 3] = [
    Attribute::AvailabilityZone,
    Attribute::InstanceType,
    Attribute::CpuArchitecture,
];

pub(super) fn attribute_index(a: Attribute) -> usize {
    match a {
        Attribute::AvailabilityZone => 0,
        Attribute::InstanceType => 1,
        Attribute::CpuArchitecture => 2,
    }
}

#[derive(Clone, Debug)]
pub(super) struct Host {
    pub(super) spec: HostSpec,
    /// Interned value of each attribute (index into `Indexed::values`).
    pub(super) values: [u16; 3],
    pub(super) free_cpu: u32,
    pub(super) free_memory: u32,
    pub(super) accepting: bool,
    /// Tasks per group, sorted by group, counts > 0.
    pub(super) tasks: Vec<(u32, u32)>,
    /// Bit `j`: class `j`'s memberOf expressions hold for this host.
    pub(super) member_mask: Mask,
    /// Bit `j`: class `j` is distinctInstance for a group with a task here.
    pub(super) blocked: Mask,
    /// Bit `j`: the host may take a task of class `j` now.
    pub(super) mask: Mask,
}

impl Host {
    pub(super) fn tasks_of(&self, group: u32) -> u32 {
        match self.tasks.binary_search_by_key(&group, |&(g, _)| g) {
            Ok(i) => self.tasks[i].1,
            Err(_) => 0,
        }
    }

    pub(super) fn add_task(&mut self, group: u32) {
        match self.tasks.binary_search_by_key(&group, |&(g, _)| g) {
            Ok(i) => self.tasks[i].1 += 1,
            Err(i) => self.tasks.insert(i, (group, 1)),
        }
    }

    pub(super) fn free(&self, field: Resource) -> u32 {
        match field {
            Resource::Cpu => self.free_cpu,
            Resource::Memory => self.free_memory,
        }
    }
}

impl Indexed {
    pub(super) fn get(&self, host: HostId) -> Option<&Host> {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        self.hosts.get(host as usize).and_then(Option::as_ref)
    }

    pub(super) fn host(&self, host: HostId) -> &Host {
        self.get(host).expect("candidate hosts are registered")
    }

    pub(super) fn registered(&self) -> impl Iterator<Item = (HostId, &Host)> + '_ {
        self.hosts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (i as HostId, h)))
    }

    pub(super) fn intern(&mut self, a: usize, value: &str) -> u16 {
        if let Some(&v) = self.value_ids[a].get(value) {
            return v;
        }
        let v = u16::try_from(self.value_ids[a].len())
            .ok()
            .filter(|&v| v != ANY_VALUE)
            .expect("fewer than 65535 values per attribute");
        self.value_ids[a].insert(value.to_string(), v);
        v
    }
}
