//! Families: the ordered indexes. A family is one treap per cell of a
//! scheme, ordered by a chain's host values (free resources, the group's
//! task count) then the host id, so a cell's best host for a class is one
//! walk from the root.

use super::host::Host;
use super::treap::Forest;
use super::{Indexed, Mask};
use crate::placement::HostId;
use crate::scenario::Resource;

/// A component of a family's order, from a host-value strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Comp {
    Free(Resource),
    /// Tasks of the family's group on the host.
    Count,
}

/// Ordered indexes: one treap per cell of `scheme`, keyed by `comps` then id.
#[derive(Clone, Debug)]
pub(super) struct Family {
    pub(super) scheme: usize,
    pub(super) comps: Vec<Comp>,
    /// The group whose task counts `Comp::Count` reads.
    pub(super) group: u32,
    /// The classes whose bits this family's trees carry.
    pub(super) classes: Mask,
    /// Whether the key reads free resources / the group's task count.
    pub(super) reads_free: bool,
    pub(super) reads_count: bool,
    pub(super) forest: Forest,
}

impl Family {
    pub(super) fn key(&self, id: HostId, host: &Host) -> u128 {
        let mut k: u128 = 0;
        for c in &self.comps {
            let v = match c {
                Comp::Free(f) => host.free(*f),
                Comp::Count => host.tasks_of(self.group),
            };
            k = (k << 32) | u128::from(v);
        }
        (k << 32) | u128::from(id)
    }
}

impl Indexed {
    pub(super) fn family_for(
        &mut self,
        scheme: usize,
        comps: Vec<Comp>,
        group: u32,
        class: usize,
    ) -> usize {
        let group = if comps.contains(&Comp::Count) {
            group
        } else {
            0
        };
        let f = match self
            .families
            .iter()
            .position(|f| f.scheme == scheme && f.comps == comps && f.group == group)
        {
            Some(f) => f,
            None => {
                let mut family = Family {
                    scheme,
                    reads_free: comps.iter().any(|c| matches!(c, Comp::Free(_))),
                    reads_count: comps.contains(&Comp::Count),
                    comps,
                    group,
                    classes: 0,
                    forest: Forest::default(),
                };
                for _ in 0..self.schemes[scheme].cells.len() {
                    family.forest.add_cell();
                }
                for (id, h) in self.registered() {
                    let cell = self.schemes[scheme].cell_of[id as usize];
                    family.forest.insert(cell, id, family.key(id, h), 0);
                }
                self.families.push(family);
                self.families.len() - 1
            }
        };
        let bit: Mask = 1 << class;
        let family = &mut self.families[f];
        if family.classes & bit == 0 {
            family.classes |= bit;
            let classes = family.classes;
            let hosts = &self.hosts;
            family
                .forest
                .remask(|id| hosts[id as usize].as_ref().map_or(0, |h| h.mask & classes));
        }
        f
    }
}
