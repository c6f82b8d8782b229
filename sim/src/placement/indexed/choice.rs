//! Choosing a host: a plan's route run against the indexes (a walk per
//! cell, the ties before `random` listed from the trees, the Fenwick draw),
//! and the oracle's scan for the shapes that got no class bit. Nothing here
//! changes the engine; `place` reserves what was chosen.

use super::fenwick::{self, Fenwick};
use super::host::attribute_index;
use super::plan::{Part, Plan, Route};
use super::{Indexed, Mask};
use crate::placement::oracle::expression_holds;
use crate::placement::{HostId, TaskSpec};
use crate::scenario::{PlacementConstraint, PlacementStrategy};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Longest full key: three host values, three attributes, the id.
pub(super) const KEY_LEN: usize = 7;
pub(super) type FullKey = [u32; KEY_LEN];

impl Indexed {
    pub(super) fn full_key(&self, plan: &Plan, group: u32, id: HostId) -> FullKey {
        let h = self.host(id);
        let counts = self.groups.get(&group);
        let mut key = [0; KEY_LEN];
        for (i, p) in plan.parts.iter().enumerate() {
            key[i] = match *p {
                Part::Free(f) => h.free(f),
                Part::Count => h.tasks_of(group),
                Part::Value(a) => counts.map_or(0, |c| c.get(a, h.values[a])),
            };
        }
        key[plan.parts.len()] = id;
        key
    }

    /// The best host of every cell that has a feasible one, with its full key.
    pub(super) fn cell_bests(
        &self,
        plan: &Plan,
        family: usize,
        group: u32,
    ) -> Vec<(u32, HostId, FullKey)> {
        let bit: Mask = 1 << plan.class;
        let forest = &self.families[family].forest;
        (0..forest.cells() as u32)
            .filter_map(|cell| {
                forest
                    .first(cell, bit)
                    .map(|id| (cell, id, self.full_key(plan, group, id)))
            })
            .collect()
    }

    pub(super) fn choose(
        &self,
        plan: &Plan,
        task: &TaskSpec,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Option<HostId> {
        let chosen = match plan.route {
            Route::Scan => return self.scan(task, rng),
            Route::Ordered { family } => {
                let forest = &self.families[family].forest;
                if forest.cells() == 1 {
                    return forest.first(0, 1 << plan.class);
                }
                return self
                    .cell_bests(plan, family, task.group)
                    .into_iter()
                    .min_by_key(|b| b.2)
                    .map(|b| b.1);
            }
            Route::RandomTies { family } => {
                let ties = self.ties(plan, family, task.group);
                if ties.is_empty() {
                    return None;
                }
                ties[rng.random_range(0..ties.len())]
            }
            Route::RandomCells { fenwick } => {
                let set = &self.fenwicks[fenwick];
                let cells = &self.schemes[plan.scheme].cells;
                let counts = self.groups.get(&task.group);
                let mut best: Option<FullKey> = None;
                let mut tied: Vec<&Fenwick> = Vec::new();
                for (c, tree) in set.cells.iter().enumerate() {
                    if tree.total() == 0 {
                        continue;
                    }
                    let mut key = [0; KEY_LEN];
                    for (i, p) in plan.parts.iter().enumerate() {
                        if let Part::Value(a) = *p {
                            key[i] = counts.map_or(0, |g| g.get(a, cells[c][a]));
                        }
                    }
                    match best {
                        Some(b) if b < key => {}
                        Some(b) if b == key => tied.push(tree),
                        _ => {
                            best = Some(key);
                            tied.clear();
                            tied.push(tree);
                        }
                    }
                }
                let n: u32 = tied.iter().map(|t| t.total()).sum();
                if n == 0 {
                    return None;
                }
                let k = rng.random_range(0..n as usize) as u32;
                fenwick::kth(&tied, k)
            }
        };
        for _ in 0..plan.extra_draws {
            let _: usize = rng.random_range(0..1);
        }
        Some(chosen)
    }

    /// The hosts tied on the strategies before `random`, in id order.
    pub(super) fn ties(&self, plan: &Plan, family: usize, group: u32) -> Vec<HostId> {
        let bests = self.cell_bests(plan, family, group);
        let Some(least) = bests.iter().map(|b| strip_id(b.2, plan)).min() else {
            return Vec::new();
        };
        let bit: Mask = 1 << plan.class;
        let forest = &self.families[family].forest;
        let mut ties = Vec::new();
        for &(cell, first, key) in &bests {
            if strip_id(key, plan) != least {
                continue;
            }
            let values = forest.key(first) >> 32;
            let mut at = first;
            loop {
                ties.push(at);
                match forest.first_after(cell, forest.key(at), bit) {
                    Some(next) if forest.key(next) >> 32 == values => at = next,
                    _ => break,
                }
            }
        }
        ties.sort_unstable();
        ties
    }

    /// The oracle's rules, scanning every host (class overflow only).
    pub(super) fn scan(&self, task: &TaskSpec, rng: &mut Xoshiro256PlusPlus) -> Option<HostId> {
        let mut candidates: Vec<HostId> = self
            .registered()
            .filter(|(_, h)| {
                h.accepting
                    && h.free_cpu >= task.cpu
                    && h.free_memory >= task.memory
                    && task.constraints.iter().all(|c| match c {
                        PlacementConstraint::DistinctInstance => h.tasks_of(task.group) == 0,
                        PlacementConstraint::MemberOf(e) => expression_holds(e, &h.spec),
                    })
            })
            .map(|(id, _)| id)
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let counts = self.groups.get(&task.group);
        for s in &task.strategies {
            let value = |id: HostId| -> u32 {
                let h = self.host(id);
                match s {
                    PlacementStrategy::Binpack(f) => h.free(*f),
                    PlacementStrategy::SpreadInstance => h.tasks_of(task.group),
                    PlacementStrategy::SpreadAttribute(a) => {
                        let a = attribute_index(*a);
                        counts.map_or(0, |c| c.get(a, h.values[a]))
                    }
                    PlacementStrategy::Random => 0,
                }
            };
            if *s == PlacementStrategy::Random {
                let i = rng.random_range(0..candidates.len());
                candidates = vec![candidates[i]];
            } else {
                let least = candidates.iter().map(|&id| value(id)).min()?;
                candidates.retain(|&id| value(id) == least);
            }
        }
        Some(candidates[0])
    }
}

/// A full key without its id entry.
pub(super) fn strip_id(mut key: FullKey, plan: &Plan) -> FullKey {
    key[plan.parts.len()] = 0;
    key
}
