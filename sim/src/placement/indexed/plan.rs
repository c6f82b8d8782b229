//! Plans: how tasks of one shape (group, size, strategies, constraints) are
//! placed. A plan is made once per shape and cached, because making it
//! builds indexes: the chain's full key before the first `random`, its
//! class, its scheme and the route that finds the host.

use super::family::Comp;
use super::host::attribute_index;
use super::Indexed;
use crate::placement::TaskSpec;
use crate::scenario::{PlacementConstraint, PlacementStrategy, Resource};

/// One entry of a chain's full key (strategies before any `random`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    Free(Resource),
    Count,
    /// Tasks of the group on the hosts with the host's value of attribute `a`.
    Value(usize),
}

/// How a plan finds its host.
#[derive(Clone, Copy, Debug)]
pub(super) enum Route {
    /// No `random`: a walk per cell of `family`.
    Ordered { family: usize },
    /// `random` after host values: list the ties from `family`'s trees.
    RandomTies { family: usize },
    /// `random` first or after spread attributes: Fenwick sets.
    RandomCells { fenwick: usize },
    /// No class bit left: the oracle's scan.
    Scan,
}

/// How tasks of one shape are placed (cached).
#[derive(Clone, Debug)]
pub(super) struct Plan {
    pub(super) class: usize,
    pub(super) scheme: usize,
    /// The full key of the chain before the first `random`, duplicates dropped.
    pub(super) parts: Vec<Part>,
    pub(super) route: Route,
    /// Draws of `random_range(0..1)` after the real draw (later `random`s).
    pub(super) extra_draws: usize,
}

/// A task shape's strategies and constraints, and its plan's index.
pub(super) type CachedPlan = (Vec<PlacementStrategy>, Vec<PlacementConstraint>, usize);

impl Indexed {
    pub(super) fn plan_for(&mut self, task: &TaskSpec) -> usize {
        let shape = (task.group, task.cpu, task.memory);
        if let Some(list) = self.plan_cache.get(&shape) {
            for (strategies, constraints, p) in list {
                if *strategies == task.strategies && *constraints == task.constraints {
                    return *p;
                }
            }
        }
        let plan = self.make_plan(task);
        self.plans.push(plan);
        let p = self.plans.len() - 1;
        self.plan_cache.entry(shape).or_default().push((
            task.strategies.clone(),
            task.constraints.clone(),
            p,
        ));
        p
    }

    pub(super) fn make_plan(&mut self, task: &TaskSpec) -> Plan {
        let r = task
            .strategies
            .iter()
            .position(|s| *s == PlacementStrategy::Random)
            .unwrap_or(task.strategies.len());
        let random = r < task.strategies.len();
        let extra_draws = if random {
            task.strategies[r + 1..]
                .iter()
                .filter(|s| **s == PlacementStrategy::Random)
                .count()
        } else {
            0
        };
        let mut parts: Vec<Part> = Vec::new();
        for s in &task.strategies[..r] {
            let part = match s {
                PlacementStrategy::Binpack(f) => Part::Free(*f),
                PlacementStrategy::SpreadInstance => Part::Count,
                PlacementStrategy::SpreadAttribute(a) => Part::Value(attribute_index(*a)),
                PlacementStrategy::Random => unreachable!("before the first random"),
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        let Some(class) = self.class_for(task) else {
            return Plan {
                class: usize::MAX,
                scheme: usize::MAX,
                parts,
                route: Route::Scan,
                extra_draws,
            };
        };
        let mut splits = [false; 3];
        let mut comps = Vec::new();
        for p in &parts {
            match *p {
                Part::Free(f) => comps.push(Comp::Free(f)),
                Part::Count => comps.push(Comp::Count),
                Part::Value(a) => splits[a] = true,
            }
        }
        let scheme = self.scheme_for(splits);
        let route = if !random {
            Route::Ordered {
                family: self.family_for(scheme, comps, task.group, class),
            }
        } else if comps.is_empty() {
            Route::RandomCells {
                fenwick: self.fenwick_for(scheme, class),
            }
        } else {
            Route::RandomTies {
                family: self.family_for(scheme, comps, task.group, class),
            }
        };
        Plan {
            class,
            scheme,
            parts,
            route,
            extra_draws,
        }
    }
}
