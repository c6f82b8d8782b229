//! Feasibility classes: what a task needs of a host, strategies aside
//! (cpu, memory, distinctInstance group, memberOf list). Every class seen
//! gets one bit of a host's [`Mask`], set while the host may take a task of
//! the class, so a walk never enters a subtree where no host can.

use super::host::Host;
use super::{Indexed, Mask, MAX_CLASSES};
use crate::placement::oracle::expression_holds;
use crate::placement::{HostSpec, TaskSpec};
use crate::scenario::{Expression, PlacementConstraint};

/// What a task needs of a host, strategies aside.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Class {
    pub(super) cpu: u32,
    pub(super) memory: u32,
    /// distinctInstance: the host must have no task of this group.
    pub(super) distinct: Option<u32>,
    /// memberOf: every expression holds.
    pub(super) member_of: Vec<Expression>,
}

impl Class {
    pub(super) fn member(&self, spec: &HostSpec) -> bool {
        self.member_of.iter().all(|e| expression_holds(e, spec))
    }
}

impl Indexed {
    /// The classes a host may take a task of now.
    pub(super) fn mask_of(sizes: &[(u32, u32)], host: &Host) -> Mask {
        if !host.accepting {
            return 0;
        }
        let mut m: Mask = 0;
        for (j, &(cpu, memory)) in sizes.iter().enumerate() {
            m |= Mask::from(host.free_cpu >= cpu && host.free_memory >= memory) << j;
        }
        m & host.member_mask & !host.blocked
    }

    pub(super) fn class_for(&mut self, task: &TaskSpec) -> Option<usize> {
        let mut class = Class {
            cpu: task.cpu,
            memory: task.memory,
            distinct: None,
            member_of: Vec::new(),
        };
        for c in &task.constraints {
            match c {
                PlacementConstraint::DistinctInstance => class.distinct = Some(task.group),
                PlacementConstraint::MemberOf(e) => class.member_of.push(e.clone()),
            }
        }
        if let Some(j) = self.classes.iter().position(|c| *c == class) {
            return Some(j);
        }
        if self.classes.len() >= MAX_CLASSES {
            return None;
        }
        let j = self.classes.len();
        let bit: Mask = 1 << j;
        for h in self.hosts.iter_mut().flatten() {
            if class.member(&h.spec) {
                h.member_mask |= bit;
            }
            if class.distinct.is_some_and(|g| h.tasks_of(g) > 0) {
                h.blocked |= bit;
            }
        }
        if let Some(g) = class.distinct {
            *self.distinct_classes.entry(g).or_default() |= bit;
        }
        self.sizes.push((class.cpu, class.memory));
        self.classes.push(class);
        for h in self.hosts.iter_mut().flatten() {
            h.mask = Self::mask_of(&self.sizes, h);
        }
        // No family or Fenwick set carries the new bit yet.
        Some(j)
    }
}
