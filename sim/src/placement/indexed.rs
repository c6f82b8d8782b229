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

mod fenwick;
mod treap;

use super::oracle::expression_holds;
use super::{HostId, HostSpec, Placement, TaskSpec};
use crate::scenario::{Attribute, Expression, PlacementConstraint, PlacementStrategy, Resource};
use fenwick::Fenwick;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;
use treap::Forest;

/// A set of feasibility classes, one bit each.
type Mask = u128;

/// How many distinct feasibility classes get an index bit; tasks of further
/// classes are placed by a scan (same decision, O(hosts)).
pub const MAX_CLASSES: usize = Mask::BITS as usize;

/// The attributes, in the order of the arrays indexed by attribute.
const ATTRIBUTES: [Attribute; 3] = [
    Attribute::AvailabilityZone,
    Attribute::InstanceType,
    Attribute::CpuArchitecture,
];

fn attribute_index(a: Attribute) -> usize {
    match a {
        Attribute::AvailabilityZone => 0,
        Attribute::InstanceType => 1,
        Attribute::CpuArchitecture => 2,
    }
}

/// A cell tuple entry for an attribute the scheme does not split on.
const ANY_VALUE: u16 = u16::MAX;

// ---------------------------------------------------------------- state

#[derive(Clone, Debug)]
struct Host {
    spec: HostSpec,
    /// Interned value of each attribute (index into `Indexed::values`).
    values: [u16; 3],
    free_cpu: u32,
    free_memory: u32,
    accepting: bool,
    /// Tasks per group, sorted by group, counts > 0.
    tasks: Vec<(u32, u32)>,
    /// Bit `j`: class `j`'s memberOf expressions hold for this host.
    member_mask: Mask,
    /// Bit `j`: class `j` is distinctInstance for a group with a task here.
    blocked: Mask,
    /// Bit `j`: the host may take a task of class `j` now.
    mask: Mask,
}

impl Host {
    fn tasks_of(&self, group: u32) -> u32 {
        match self.tasks.binary_search_by_key(&group, |&(g, _)| g) {
            Ok(i) => self.tasks[i].1,
            Err(_) => 0,
        }
    }

    fn add_task(&mut self, group: u32) {
        match self.tasks.binary_search_by_key(&group, |&(g, _)| g) {
            Ok(i) => self.tasks[i].1 += 1,
            Err(i) => self.tasks.insert(i, (group, 1)),
        }
    }

    fn free(&self, field: Resource) -> u32 {
        match field {
            Resource::Cpu => self.free_cpu,
            Resource::Memory => self.free_memory,
        }
    }
}

/// What a task needs of a host, strategies aside.
#[derive(Clone, Debug, PartialEq)]
struct Class {
    cpu: u32,
    memory: u32,
    /// distinctInstance: the host must have no task of this group.
    distinct: Option<u32>,
    /// memberOf: every expression holds.
    member_of: Vec<Expression>,
}

impl Class {
    fn member(&self, spec: &HostSpec) -> bool {
        self.member_of.iter().all(|e| expression_holds(e, spec))
    }
}

/// A component of a family's order, from a host-value strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comp {
    Free(Resource),
    /// Tasks of the family's group on the host.
    Count,
}

/// Hosts grouped into cells by their values of some attributes.
#[derive(Clone, Debug)]
struct Scheme {
    splits: [bool; 3],
    /// The cells' values (`ANY_VALUE` for attributes not split on).
    cells: Vec<[u16; 3]>,
    index: BTreeMap<[u16; 3], u32>,
    /// The cell of every host id ever added.
    cell_of: Vec<u32>,
}

impl Scheme {
    fn tuple(&self, values: [u16; 3]) -> [u16; 3] {
        let mut t = [ANY_VALUE; 3];
        for a in 0..3 {
            if self.splits[a] {
                t[a] = values[a];
            }
        }
        t
    }
}

/// Ordered indexes: one treap per cell of `scheme`, keyed by `comps` then id.
#[derive(Clone, Debug)]
struct Family {
    scheme: usize,
    comps: Vec<Comp>,
    /// The group whose task counts `Comp::Count` reads.
    group: u32,
    /// The classes whose bits this family's trees carry.
    classes: Mask,
    /// Whether the key reads free resources / the group's task count.
    reads_free: bool,
    reads_count: bool,
    forest: Forest,
}

impl Family {
    fn key(&self, id: HostId, host: &Host) -> u128 {
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

/// Per-cell counts of the hosts satisfying a class, for `random`.
#[derive(Clone, Debug)]
struct FenwickSet {
    scheme: usize,
    class: usize,
    cells: Vec<Fenwick>,
}

/// Tasks of one group per attribute value, over all registered hosts.
#[derive(Clone, Debug, Default)]
struct GroupCounts {
    per_value: [Vec<u32>; 3],
}

impl GroupCounts {
    fn get(&self, a: usize, v: u16) -> u32 {
        self.per_value[a].get(v as usize).copied().unwrap_or(0)
    }

    fn add(&mut self, a: usize, v: u16, n: u32, up: bool) {
        let list = &mut self.per_value[a];
        if list.len() <= v as usize {
            list.resize(v as usize + 1, 0);
        }
        if up {
            list[v as usize] += n;
        } else {
            list[v as usize] -= n;
        }
    }
}

/// One entry of a chain's full key (strategies before any `random`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Free(Resource),
    Count,
    /// Tasks of the group on the hosts with the host's value of attribute `a`.
    Value(usize),
}

/// How a plan finds its host.
#[derive(Clone, Copy, Debug)]
enum Route {
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
struct Plan {
    class: usize,
    scheme: usize,
    /// The full key of the chain before the first `random`, duplicates dropped.
    parts: Vec<Part>,
    route: Route,
    /// Draws of `random_range(0..1)` after the real draw (later `random`s).
    extra_draws: usize,
}

/// A task shape's strategies and constraints, and its plan's index.
type CachedPlan = (Vec<PlacementStrategy>, Vec<PlacementConstraint>, usize);

/// Longest full key: three host values, three attributes, the id.
const KEY_LEN: usize = 7;
type FullKey = [u32; KEY_LEN];

// ---------------------------------------------------------------- engine

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

    fn get(&self, host: HostId) -> Option<&Host> {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        self.hosts.get(host as usize).and_then(Option::as_ref)
    }

    fn host(&self, host: HostId) -> &Host {
        self.get(host).expect("candidate hosts are registered")
    }

    fn registered(&self) -> impl Iterator<Item = (HostId, &Host)> + '_ {
        self.hosts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (i as HostId, h)))
    }

    fn intern(&mut self, a: usize, value: &str) -> u16 {
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

    /// The classes a host may take a task of now.
    fn mask_of(sizes: &[(u32, u32)], host: &Host) -> Mask {
        if !host.accepting {
            return 0;
        }
        let mut m: Mask = 0;
        for (j, &(cpu, memory)) in sizes.iter().enumerate() {
            m |= Mask::from(host.free_cpu >= cpu && host.free_memory >= memory) << j;
        }
        m & host.member_mask & !host.blocked
    }

    // ------------------------------------------------------------ building

    fn class_for(&mut self, task: &TaskSpec) -> Option<usize> {
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

    fn scheme_for(&mut self, splits: [bool; 3]) -> usize {
        if let Some(s) = self.schemes.iter().position(|s| s.splits == splits) {
            return s;
        }
        let mut scheme = Scheme {
            splits,
            cells: Vec::new(),
            index: BTreeMap::new(),
            cell_of: Vec::with_capacity(self.hosts.len()),
        };
        for h in &self.hosts {
            let cell = match h {
                Some(h) => Self::cell_in(&mut scheme, h.values),
                None => u32::MAX,
            };
            scheme.cell_of.push(cell);
        }
        self.schemes.push(scheme);
        self.schemes.len() - 1
    }

    /// The cell of `values` in `scheme`, created if new (the caller adds it
    /// to the scheme's families and Fenwick sets).
    fn cell_in(scheme: &mut Scheme, values: [u16; 3]) -> u32 {
        let t = scheme.tuple(values);
        if let Some(&c) = scheme.index.get(&t) {
            return c;
        }
        let c = scheme.cells.len() as u32;
        scheme.cells.push(t);
        scheme.index.insert(t, c);
        c
    }

    fn family_for(&mut self, scheme: usize, comps: Vec<Comp>, group: u32, class: usize) -> usize {
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

    fn fenwick_for(&mut self, scheme: usize, class: usize) -> usize {
        if let Some(i) = self
            .fenwicks
            .iter()
            .position(|s| s.scheme == scheme && s.class == class)
        {
            return i;
        }
        let set = self.build_fenwick(scheme, class);
        self.fenwicks.push(set);
        self.fenwicks.len() - 1
    }

    fn build_fenwick(&mut self, scheme: usize, class: usize) -> FenwickSet {
        self.fenwick_capacity = self
            .fenwick_capacity
            .max(self.hosts.len().next_power_of_two())
            .max(1);
        let s = &self.schemes[scheme];
        let mut cells: Vec<Fenwick> = (0..s.cells.len())
            .map(|_| Fenwick::new(self.fenwick_capacity))
            .collect();
        for (id, h) in self.registered() {
            if h.mask >> class & 1 == 1 {
                cells[s.cell_of[id as usize] as usize].set(id, true);
            }
        }
        FenwickSet {
            scheme,
            class,
            cells,
        }
    }

    fn plan_for(&mut self, task: &TaskSpec) -> usize {
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

    fn make_plan(&mut self, task: &TaskSpec) -> Plan {
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

    // ------------------------------------------------------------ choosing

    fn full_key(&self, plan: &Plan, group: u32, id: HostId) -> FullKey {
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
    fn cell_bests(&self, plan: &Plan, family: usize, group: u32) -> Vec<(u32, HostId, FullKey)> {
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

    fn choose(&self, plan: &Plan, task: &TaskSpec, rng: &mut Xoshiro256PlusPlus) -> Option<HostId> {
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
    fn ties(&self, plan: &Plan, family: usize, group: u32) -> Vec<HostId> {
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
    fn scan(&self, task: &TaskSpec, rng: &mut Xoshiro256PlusPlus) -> Option<HostId> {
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

    // ------------------------------------------------------------ updating

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

    /// Adds or takes away `n` tasks of `group` at a host's attribute values.
    fn count_group(&mut self, group: u32, values: [u16; 3], n: u32, up: bool) {
        let counts = self.groups.entry(group).or_default();
        for (a, &v) in values.iter().enumerate() {
            counts.add(a, v, n, up);
        }
    }
}

/// A full key without its id entry.
fn strip_id(mut key: FullKey, plan: &Plan) -> FullKey {
    key[plan.parts.len()] = 0;
    key
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
mod tests {
    use super::*;
    use crate::placement::oracle::Oracle;
    use crate::scenario::ExprOp;
    use rand::SeedableRng;

    use crate::placement::test_fleet::{host, task, AZS};

    fn check_forests(e: &Indexed) {
        let registered = e.registered().count();
        for f in &e.families {
            assert_eq!(f.forest.check(), registered);
        }
    }

    #[test]
    fn spread_az_then_binpack_memory_like_the_oracle_example() {
        let mut e = Indexed::new();
        for (az, memory) in [
            (0, 7680),
            (0, 4096),
            (1, 7680),
            (1, 3072),
            (2, 7680),
            (2, 5000),
        ] {
            e.add_host(host(az, "m5.large", 2048, memory));
        }
        let chain = vec![
            PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
            PlacementStrategy::Binpack(Resource::Memory),
        ];
        let t = task(1, 256, 1024, chain);
        let mut r = Xoshiro256PlusPlus::seed_from_u64(7);
        let placed: Vec<_> = (0..6).map(|_| e.place(&t, &mut r).unwrap()).collect();
        assert_eq!(placed, vec![3, 1, 5, 3, 1, 5]);
        check_forests(&e);
    }

    /// More task shapes than class bits: the extra ones are scanned, with the
    /// same decisions as the oracle.
    #[test]
    fn class_overflow_falls_back_to_the_scan() {
        let mut e = Indexed::new();
        let mut o = Oracle::new();
        for i in 0..12u16 {
            let spec = host(i % 3, "m5.xlarge", 4096 * 8, 15680 * 8);
            e.add_host(spec.clone());
            o.add_host(spec);
        }
        let mut re = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut ro = Xoshiro256PlusPlus::seed_from_u64(3);
        let chains = [
            vec![PlacementStrategy::Binpack(Resource::Cpu)],
            vec![
                PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
                PlacementStrategy::Random,
            ],
            vec![PlacementStrategy::SpreadInstance, PlacementStrategy::Random],
        ];
        for n in 0..(MAX_CLASSES as u32 + 40) {
            let mut t = task(n % 50, 1 + n % 7, 1 + n, chains[n as usize % 3].clone());
            if n % 4 == 0 {
                t.constraints.push(PlacementConstraint::DistinctInstance);
            }
            if n % 5 == 0 {
                t.constraints
                    .push(PlacementConstraint::MemberOf(Expression {
                        attribute: Attribute::AvailabilityZone,
                        op: ExprOp::Ne,
                        values: vec![AZS[1].to_string()],
                        text: String::new(),
                    }));
            }
            assert_eq!(e.place(&t, &mut re), o.place(&t, &mut ro), "task {n}");
        }
        let stats = e.stats();
        assert_eq!(stats.classes, MAX_CLASSES);
        assert!(stats.scan_plans > 0, "{stats:?}");
        assert_eq!(re.random::<u64>(), ro.random::<u64>());
        check_forests(&e);
    }
}
