//! The indexed placement engine: the oracle's decisions without its scans.
//!
//! [`Indexed`] answers every `place` exactly as [`Oracle`](super::oracle)
//! does (same host, same draws from the rng, same `None`), but finds the
//! answer in ordered indexes instead of scanning every host. It is the
//! engine for the simulator's hot path (scale-out, AZ failover, redeploys);
//! the oracle stays as its specification, and `sim/tests/placement_equiv.rs`
//! checks the two against each other. `benches/placement.rs` measures both.
//!
//! ```text
//!  task ──► plan (cached per task shape)
//!             │  class  = feasibility: cpu, memory, distinctInstance, memberOf
//!             │  scheme = cells: hosts grouped by the values of the spread attributes
//!             │  family = order: (binpack / spread-instance values…, host id)
//!             ▼
//!  per cell: first host in the family's order whose class bit is set ──► O(log n)
//!             ▼
//!  min over cells of the chain's full key (spread counts, free, tasks, id)
//! ```
//!
//! # Why one walk is the oracle's answer
//!
//! Without `random`, the oracle's chain of narrowing strategies followed by
//! "lowest id" is a lexicographic minimum over the feasible hosts of the
//! key `(v₁(h), v₂(h), …, id)`, one value per strategy:
//!
//! | strategy | value for host `h` | kind |
//! |---|---|---|
//! | `binpack(f)` | free `f` on `h` | host value |
//! | `spread(instanceId)` | tasks of the group on `h` | host value |
//! | `spread(attribute)` | tasks of the group on all registered hosts with `h`'s value | cell value |
//!
//! (A later strategy whose value repeats an earlier one is dropped: its
//! candidates all tie.) Group the hosts into **cells** by their values of the
//! chain's spread attributes (one cell when there is none, one per AZ for
//! `spread(AZ)`). Inside a cell the cell values are constant, so the cell's
//! best host is the least in the order `(host values…, id)`, the family's
//! order. The oracle's choice is the least, by the full key, of the cells'
//! bests. Feasibility (fits, accepting, constraints) is folded into one bit
//! per **class**: a host's mask has bit `j` when it satisfies class `j`, and
//! each tree node carries the OR of the masks below it, so "least host of
//! the cell that satisfies the class" never enters a subtree without it.
//!
//! With `random` at position `r`, the oracle draws `random_range(0..n)` over
//! the `n` hosts tied on the values of strategies `..r`, in id order, and
//! every later `random` draws `random_range(0..1)`:
//!
//! * strategies `..r` are only spread attributes (or none, `random` first):
//!   the ties are whole cells, and Fenwick trees per (cell, class) give `n`
//!   and the k-th host id of a union of cells in O(cells · log n);
//! * otherwise (a `binpack` or `spread(instanceId)` before `random`): the
//!   tied hosts are a run of equal keys in each tied cell's tree, listed one
//!   by one, O(ties · log n).
//!
//! # Structures and cost (n registered hosts)
//!
//! | structure | what | update |
//! |---|---|---|
//! | host table | free cpu/memory, accepting, tasks per group, attribute values (interned), class masks | O(1) |
//! | classes (≤ [`MAX_CLASSES`]) | (cpu, memory, distinctInstance group, memberOf list) of the tasks seen; memberOf is evaluated once per host and class, distinctInstance kept as per-host "blocked" bits | mask: O(classes) compares per host change |
//! | schemes | cells by values of a set of attributes (∅, {AZ}, …) | O(1) |
//! | families | a treap per cell ordered by `(host values…, id)`, OR of masks | O(log n) per host whose key or mask changed |
//! | Fenwick sets | per (scheme, class, cell), for `random` | O(log n) per mask bit flip |
//! | group counts | tasks per group per attribute value, all registered hosts | O(1) |
//!
//! Structures are built on first use by a task shape (O(n log n) once) and
//! kept up to date from then on. `place` costs O(cells · log n) for the
//! choice plus O(log n) per family whose key or mask changed on the chosen
//! host (one or two in practice); `release`, `add_host`, `remove_host` and
//! `set_accepting` cost the same update. Every walk is O(tree depth),
//! expected O(log n).
//!
//! Memory: a family holds one 64-byte node per host; there is one family
//! per (scheme, order) in use, plus one per group for chains with
//! `spread(instanceId)` (its order reads the group's task counts). 20
//! services on spread AZ → spread instanceId over 50,000 hosts: ≈ 64 MB.
//!
//! # Fast paths and fallbacks
//!
//! * Every chain without `random` (binpack cpu|memory, spread AZ|instanceId
//!   |any attribute, chained in any order, with distinctInstance and
//!   memberOf) is a tree walk per cell: O(cells · log n). This covers
//!   binpack, spread AZ → binpack, spread instanceId, binpack +
//!   distinctInstance and the ECS service default spread AZ → spread
//!   instanceId.
//! * `random` first or after spread attributes only: Fenwick, O(cells · log n).
//! * `random` after `binpack` / `spread(instanceId)`: O(ties · log n).
//! * More than [`MAX_CLASSES`] distinct task shapes (size × distinctInstance
//!   group × memberOf list): tasks of the extra shapes are placed by a plain
//!   scan with the oracle's rules, O(n); the decision is the same either
//!   way, and [`Indexed::stats`] counts the plans that fell back.
//!
//! # Where each part lives
//!
//! `host` the host table, `class` the feasibility classes and masks,
//! `scheme` the cells, `family` the ordered indexes (over `treap`),
//! `fenwick_set` the per-cell counts for `random` (over `fenwick`), `groups`
//! the tasks per attribute value, `plan` the cached plan of a task shape,
//! `choice` running a plan. This file is the engine: its state, and the
//! [`Placement`] calls that keep every index in step with the hosts.

mod choice;
mod class;
mod family;
mod fenwick;
mod fenwick_set;
mod groups;
mod host;
mod plan;
mod scheme;
mod treap;

use super::{HostId, HostSpec, Placement, TaskSpec};
use class::Class;
use family::Family;
use fenwick::Fenwick;
use fenwick_set::FenwickSet;
use groups::GroupCounts;
use host::{Host, ATTRIBUTES};
use plan::{CachedPlan, Plan, Route};
use rand_xoshiro::Xoshiro256PlusPlus;
use scheme::Scheme;
use std::collections::BTreeMap;

/// A set of feasibility classes, one bit each.
type Mask = u128;

/// How many distinct feasibility classes get an index bit; tasks of further
/// classes are placed by a scan (same decision, O(hosts)).
pub const MAX_CLASSES: usize = Mask::BITS as usize;

/// The indexed placement engine; see the [module documentation](self).
#[derive(Clone, Debug, Default)]
pub struct Indexed {
    /// Indexed by [`HostId`]; `None` is a removed host.
    hosts: Vec<Option<Host>>,
    /// Interned attribute values, per attribute.
    value_ids: [BTreeMap<String, u16>; 3],
    classes: Vec<Class>,
    /// (cpu, memory) of every class, for the mask loop.
    sizes: Vec<(u32, u32)>,
    /// Per group, the distinctInstance classes of that group.
    distinct_classes: BTreeMap<u32, Mask>,
    schemes: Vec<Scheme>,
    families: Vec<Family>,
    fenwicks: Vec<FenwickSet>,
    /// Capacity (power of two) of every Fenwick tree.
    fenwick_capacity: usize,
    groups: BTreeMap<u32, GroupCounts>,
    plans: Vec<Plan>,
    /// (group, cpu, memory) → (strategies, constraints, plan).
    plan_cache: BTreeMap<(u32, u32, u32), Vec<CachedPlan>>,
}

/// Sizes of the engine's lazily built structures, for reports and benches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexStats {
    pub classes: usize,
    pub schemes: usize,
    pub families: usize,
    pub fenwick_sets: usize,
    pub plans: usize,
    /// Plans that fell back to the scan (class overflow).
    pub scan_plans: usize,
}

impl Indexed {
    pub fn new() -> Indexed {
        Indexed::default()
    }

    /// Whether a registered host accepts placements; `None` if removed.
    pub fn is_accepting(&self, host: HostId) -> Option<bool> {
        self.get(host).map(|h| h.accepting)
    }

    /// What the engine has built so far.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            classes: self.classes.len(),
            schemes: self.schemes.len(),
            families: self.families.len(),
            fenwick_sets: self.fenwicks.len(),
            plans: self.plans.len(),
            scan_plans: self
                .plans
                .iter()
                .filter(|p| matches!(p.route, Route::Scan))
                .count(),
        }
    }

    /// Recomputes a host's mask and moves it in every family and Fenwick set.
    /// `placed`: the group of a task just placed on or released from the
    /// host (its free resources changed too); `None` when only the accepting
    /// flag changed. Families whose key cannot have changed and whose class
    /// bits did not flip are skipped without touching their trees.
    fn resync(&mut self, id: HostId, placed: Option<u32>) {
        let i = id as usize;
        let Some(host) = self.hosts[i].as_mut() else {
            return;
        };
        let old = host.mask;
        host.mask = Self::mask_of(&self.sizes, host);
        let host = self.hosts[i].as_ref().expect("registered");
        let new = host.mask;
        let flipped = old ^ new;
        for f in &mut self.families {
            let key_moves = placed.is_some_and(|g| f.reads_free || (f.reads_count && f.group == g));
            if !key_moves && flipped & f.classes == 0 {
                continue;
            }
            let cell = self.schemes[f.scheme].cell_of[i];
            let key = f.key(id, host);
            f.forest.update(cell, id, key, new & f.classes);
        }
        if flipped != 0 {
            for s in &mut self.fenwicks {
                if flipped >> s.class & 1 == 1 {
                    let cell = self.schemes[s.scheme].cell_of[i];
                    s.cells[cell as usize].set(id, new >> s.class & 1 == 1);
                }
            }
        }
    }
}

impl Placement for Indexed {
    fn add_host(&mut self, spec: HostSpec) -> HostId {
        let id = HostId::try_from(self.hosts.len()).expect("fewer than 2^32 hosts");
        let mut values = [0u16; 3];
        for (a, attribute) in ATTRIBUTES.iter().enumerate() {
            values[a] = self.intern(a, spec.attribute(*attribute));
        }
        let mut member_mask: Mask = 0;
        for (j, c) in self.classes.iter().enumerate() {
            if c.member(&spec) {
                member_mask |= 1 << j;
            }
        }
        let mut host = Host {
            values,
            free_cpu: spec.cpu,
            free_memory: spec.memory,
            accepting: true,
            tasks: Vec::new(),
            member_mask,
            blocked: 0,
            mask: 0,
            spec,
        };
        host.mask = Self::mask_of(&self.sizes, &host);
        // Cells, creating new ones in the families and Fenwick sets.
        for (s, scheme) in self.schemes.iter_mut().enumerate() {
            let before = scheme.cells.len();
            let cell = Self::cell_in(scheme, values);
            scheme.cell_of.push(cell);
            if scheme.cells.len() > before {
                for f in self.families.iter_mut().filter(|f| f.scheme == s) {
                    f.forest.add_cell();
                }
                for set in self.fenwicks.iter_mut().filter(|f| f.scheme == s) {
                    set.cells.push(Fenwick::new(self.fenwick_capacity));
                }
            }
        }
        for f in &mut self.families {
            let cell = self.schemes[f.scheme].cell_of[id as usize];
            f.forest
                .insert(cell, id, f.key(id, &host), host.mask & f.classes);
        }
        let mask = host.mask;
        self.hosts.push(Some(host));
        if self.hosts.len() > self.fenwick_capacity && !self.fenwicks.is_empty() {
            // Double the id space: rebuild every set (amortised O(1) per host).
            self.fenwick_capacity = self.hosts.len().next_power_of_two();
            for k in 0..self.fenwicks.len() {
                let (scheme, class) = (self.fenwicks[k].scheme, self.fenwicks[k].class);
                self.fenwicks[k] = self.build_fenwick(scheme, class);
            }
        } else {
            for s in &mut self.fenwicks {
                if mask >> s.class & 1 == 1 {
                    let cell = self.schemes[s.scheme].cell_of[id as usize];
                    s.cells[cell as usize].set(id, true);
                }
            }
        }
        id
    }

    fn remove_host(&mut self, host: HostId) {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        let i = host as usize;
        let Some(h) = self.hosts.get_mut(i).and_then(Option::take) else {
            return;
        };
        for &(group, n) in &h.tasks {
            self.count_group(group, h.values, n, false);
        }
        for f in &mut self.families {
            let cell = self.schemes[f.scheme].cell_of[i];
            f.forest.remove(cell, host);
        }
        for s in &mut self.fenwicks {
            if h.mask >> s.class & 1 == 1 {
                let cell = self.schemes[s.scheme].cell_of[i];
                s.cells[cell as usize].set(host, false);
            }
        }
    }

    fn set_accepting(&mut self, host: HostId, accepting: bool) {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        let Some(h) = self.hosts.get_mut(host as usize).and_then(Option::as_mut) else {
            return;
        };
        if h.accepting != accepting {
            h.accepting = accepting;
            self.resync(host, None);
        }
    }

    fn place(&mut self, task: &TaskSpec, rng: &mut Xoshiro256PlusPlus) -> Option<HostId> {
        let p = self.plan_for(task);
        let chosen = self.choose(&self.plans[p], task, rng)?;
        let h = self.hosts[chosen as usize]
            .as_mut()
            .expect("candidate hosts are registered");
        debug_assert!(h.accepting && h.free_cpu >= task.cpu && h.free_memory >= task.memory);
        h.free_cpu -= task.cpu;
        h.free_memory -= task.memory;
        h.add_task(task.group);
        if h.tasks_of(task.group) == 1 {
            h.blocked |= self.distinct_classes.get(&task.group).copied().unwrap_or(0);
        }
        let values = h.values;
        self.count_group(task.group, values, 1, true);
        self.resync(chosen, Some(task.group));
        Some(chosen)
    }

    fn release(&mut self, host: HostId, task: &TaskSpec) {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        // A removed host forgot its tasks: nothing to give back.
        let Some(h) = self.hosts.get_mut(host as usize).and_then(Option::as_mut) else {
            return;
        };
        let found = h.tasks.binary_search_by_key(&task.group, |&(g, _)| g);
        debug_assert!(
            found.is_ok(),
            "release: no task of group {} on host {host}",
            task.group
        );
        let Ok(k) = found else { return };
        if h.tasks[k].1 == 1 {
            h.tasks.remove(k);
            h.blocked &= !self.distinct_classes.get(&task.group).copied().unwrap_or(0);
        } else {
            h.tasks[k].1 -= 1;
        }
        debug_assert!(
            h.free_cpu + task.cpu <= h.spec.cpu,
            "release: cpu above registered"
        );
        debug_assert!(
            h.free_memory + task.memory <= h.spec.memory,
            "release: memory above registered"
        );
        h.free_cpu = (h.free_cpu + task.cpu).min(h.spec.cpu);
        h.free_memory = (h.free_memory + task.memory).min(h.spec.memory);
        let values = h.values;
        self.count_group(task.group, values, 1, false);
        self.resync(host, Some(task.group));
    }

    fn free(&self, host: HostId) -> Option<(u32, u32)> {
        self.get(host).map(|h| (h.free_cpu, h.free_memory))
    }

    fn tasks_of(&self, host: HostId, group: u32) -> u32 {
        self.get(host).map_or(0, |h| h.tasks_of(group))
    }
}

#[cfg(test)]
mod tests;
