//! The oracle: a plain, obviously-right placement engine.
//!
//! It follows the four steps of ECS task placement (docs/aws-behaviour.md
//! §1.4) literally, scanning every host on every call.
//! Faster engines are checked against it, so clarity wins over speed here:
//! every step is an O(hosts) scan over a `Vec` in host-id order, and no
//! decision depends on the iteration order of a hash map.
//!
//! # Semantics of [`Oracle::place`]
//!
//! 1. **Filter.** The candidates are the registered hosts that accept
//!    placements (not DRAINING) and whose free CPU and free memory are at
//!    least the task's request. (GPUs, ports and ENIs are not modelled.)
//! 2. **Constraints** (binding: if none is left the task stays PENDING and
//!    `place` returns `None`, leaving every host untouched):
//!    - `distinctInstance`: the host has no task of the task's group;
//!    - `memberOf(expr)`: the expression holds for the host's attribute, see
//!      [`expression_holds`].
//! 3. **Strategies**, in list order (precedence); each keeps only the
//!    candidates it likes best, so a later strategy breaks the ties of the
//!    earlier ones (§1.4 "Multiple strategies"). Strategies never remove the
//!    last candidate: they are best-effort.
//!    - `binpack(field)`: keep the candidates with the least remaining of
//!      `field` after placement, i.e. the least free amount of `field`
//!      (the request is the same for every candidate).
//!    - `spread(attribute)`: for each attribute value present among the
//!      candidates, count the tasks of this group on **all registered hosts**
//!      having that value, accepting or not; keep the candidates whose value
//!      has the least count. *Choice:* DRAINING hosts count, because ECS
//!      spreads on the running tasks of the service and tasks on a DRAINING
//!      instance keep running until they are replaced. Removed hosts do not
//!      count: their tasks are gone.
//!    - `spread(instanceId)`: keep the candidates with the fewest tasks of
//!      this group on the host.
//!    - `random`: keep exactly one candidate, chosen by a single
//!      `rng.random_range(0..n)` over the `n` remaining candidates in
//!      increasing host-id order. The draw is made even when `n == 1`, so
//!      the number of draws depends only on the strategy list and not on the
//!      fleet (determinism contract of [`Placement`]). No draw is made when
//!      the task cannot be placed (no candidate after the constraints).
//! 4. **Pick.** *Choice:* the lowest host id among the candidates left. ECS
//!    does not document its final tie-break; the lowest id makes the result
//!    a function of the calls alone and, since ids increase with
//!    registration time, prefers older instances.
//!
//! The chosen host's free CPU and memory drop by the task's request and its
//! count of tasks of the group goes up by one; [`Oracle::release`] undoes
//! both. A removed host is kept as a tombstone so that ids are never reused;
//! its tasks are forgotten with it, and a later `release` naming it is
//! ignored.

use super::{HostId, HostSpec, Placement, TaskSpec};
use crate::scenario::{
    Attribute, ExprOp, Expression, PlacementConstraint, PlacementStrategy, Resource,
};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;

/// One registered host as the oracle tracks it.
#[derive(Clone, Debug)]
struct HostState {
    spec: HostSpec,
    free_cpu: u32,
    free_memory: u32,
    accepting: bool,
    /// Tasks per group on this host; groups with no task are absent.
    tasks: BTreeMap<u32, u32>,
}

impl HostState {
    fn tasks_of(&self, group: u32) -> u32 {
        self.tasks.get(&group).copied().unwrap_or(0)
    }

    fn free(&self, field: Resource) -> u32 {
        match field {
            Resource::Cpu => self.free_cpu,
            Resource::Memory => self.free_memory,
        }
    }
}

/// A read-only view of a registered host, for tests and reports.
#[derive(Clone, Copy, Debug)]
pub struct HostView<'a> {
    pub id: HostId,
    pub spec: &'a HostSpec,
    pub free_cpu: u32,
    pub free_memory: u32,
    pub accepting: bool,
}

/// The plain placement engine; see the [module documentation](self).
#[derive(Clone, Debug, Default)]
pub struct Oracle {
    /// Indexed by [`HostId`]; `None` is a removed host (tombstone).
    hosts: Vec<Option<HostState>>,
}

impl Oracle {
    pub fn new() -> Oracle {
        Oracle::default()
    }

    /// The registered (not removed) hosts, in increasing id order.
    pub fn hosts(&self) -> impl Iterator<Item = HostView<'_>> + '_ {
        self.registered().map(|(id, h)| HostView {
            id,
            spec: &h.spec,
            free_cpu: h.free_cpu,
            free_memory: h.free_memory,
            accepting: h.accepting,
        })
    }

    /// Whether a registered host accepts placements; `None` if removed.
    pub fn is_accepting(&self, host: HostId) -> Option<bool> {
        self.get(host).map(|h| h.accepting)
    }

    /// Steps 1 and 2 of placement: the hosts, in increasing id order, where
    /// the task may go (registered, accepting, fitting, satisfying every
    /// constraint). `place` returns `None` exactly when this is empty.
    pub fn feasible(&self, task: &TaskSpec) -> Vec<HostId> {
        self.registered()
            .filter(|(_, h)| h.accepting)
            .filter(|(_, h)| h.free_cpu >= task.cpu && h.free_memory >= task.memory)
            .filter(|(_, h)| {
                task.constraints
                    .iter()
                    .all(|c| constraint_holds(c, task.group, h))
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// Step 3 of placement, one strategy: the candidates it prefers, in
    /// increasing id order. Never empty when `candidates` is not.
    fn narrow(
        &self,
        strategy: &PlacementStrategy,
        group: u32,
        candidates: Vec<HostId>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Vec<HostId> {
        match strategy {
            PlacementStrategy::Binpack(field) => {
                keep_min(candidates, |id| self.host(id).free(*field))
            }
            PlacementStrategy::SpreadInstance => {
                keep_min(candidates, |id| self.host(id).tasks_of(group))
            }
            PlacementStrategy::SpreadAttribute(attribute) => keep_min(candidates, |id| {
                let value = self.host(id).spec.attribute(*attribute);
                self.tasks_with_value(*attribute, value, group)
            }),
            PlacementStrategy::Random => {
                let i = rng.random_range(0..candidates.len());
                vec![candidates[i]]
            }
        }
    }

    /// Tasks of `group` on all registered hosts (accepting or not) whose
    /// `attribute` is `value`.
    fn tasks_with_value(&self, attribute: Attribute, value: &str, group: u32) -> u32 {
        self.registered()
            .filter(|(_, h)| h.spec.attribute(attribute) == value)
            .map(|(_, h)| h.tasks_of(group))
            .sum()
    }

    fn registered(&self) -> impl Iterator<Item = (HostId, &HostState)> + '_ {
        self.hosts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (to_id(i), h)))
    }

    fn get(&self, host: HostId) -> Option<&HostState> {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        self.hosts.get(host as usize).and_then(Option::as_ref)
    }

    fn get_mut(&mut self, host: HostId) -> Option<&mut HostState> {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        self.hosts.get_mut(host as usize).and_then(Option::as_mut)
    }

    /// A host known to be registered (a candidate).
    fn host(&self, host: HostId) -> &HostState {
        self.get(host).expect("candidate hosts are registered")
    }
}

impl Placement for Oracle {
    fn add_host(&mut self, spec: HostSpec) -> HostId {
        let id = to_id(self.hosts.len());
        self.hosts.push(Some(HostState {
            free_cpu: spec.cpu,
            free_memory: spec.memory,
            accepting: true,
            tasks: BTreeMap::new(),
            spec,
        }));
        id
    }

    fn remove_host(&mut self, host: HostId) {
        debug_assert!((host as usize) < self.hosts.len(), "unknown host id {host}");
        if let Some(slot) = self.hosts.get_mut(host as usize) {
            *slot = None;
        }
    }

    fn set_accepting(&mut self, host: HostId, accepting: bool) {
        if let Some(h) = self.get_mut(host) {
            h.accepting = accepting;
        }
    }

    fn place(&mut self, task: &TaskSpec, rng: &mut Xoshiro256PlusPlus) -> Option<HostId> {
        // Steps 1 and 2: filter and constraints.
        let mut candidates = self.feasible(task);
        if candidates.is_empty() {
            return None;
        }
        // Step 3: strategies, in precedence order.
        for strategy in &task.strategies {
            candidates = self.narrow(strategy, task.group, candidates, rng);
        }
        // Step 4: the lowest id left (candidates stay in increasing id order).
        let chosen = candidates[0];
        let h = self
            .get_mut(chosen)
            .expect("candidate hosts are registered");
        h.free_cpu -= task.cpu;
        h.free_memory -= task.memory;
        *h.tasks.entry(task.group).or_insert(0) += 1;
        Some(chosen)
    }

    fn release(&mut self, host: HostId, task: &TaskSpec) {
        // A removed host forgot its tasks: nothing to give back.
        let Some(h) = self.get_mut(host) else { return };
        let count = h.tasks.get(&task.group).copied().unwrap_or(0);
        debug_assert!(
            count > 0,
            "release: no task of group {} on host {host}",
            task.group
        );
        match count {
            0 => return,
            1 => {
                h.tasks.remove(&task.group);
            }
            n => {
                h.tasks.insert(task.group, n - 1);
            }
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
    }

    fn free(&self, host: HostId) -> Option<(u32, u32)> {
        self.get(host).map(|h| (h.free_cpu, h.free_memory))
    }

    fn tasks_of(&self, host: HostId, group: u32) -> u32 {
        self.get(host).map_or(0, |h| h.tasks_of(group))
    }
}

/// Whether a host satisfies a constraint for a task of `group`.
fn constraint_holds(constraint: &PlacementConstraint, group: u32, host: &HostState) -> bool {
    match constraint {
        PlacementConstraint::DistinctInstance => host.tasks_of(group) == 0,
        PlacementConstraint::MemberOf(expr) => expression_holds(expr, &host.spec),
    }
}

/// Whether a cluster query expression holds for a host.
///
/// - `in [a, b]` / `== a`: the host's value is one of the listed values;
/// - `not_in [a, b]` / `!= a`: it is none of them;
/// - `=~ pattern`: it matches the glob pattern (`*` matches any run of
///   characters, every other character itself). Should several patterns be
///   listed, matching any one is enough.
pub fn expression_holds(expr: &Expression, host: &HostSpec) -> bool {
    let value = host.attribute(expr.attribute);
    let listed = expr.values.iter().any(|v| v == value);
    match expr.op {
        ExprOp::In | ExprOp::Eq => listed,
        ExprOp::NotIn | ExprOp::Ne => !listed,
        ExprOp::Matches => expr.values.iter().any(|p| glob_matches(p, value)),
    }
}

/// Glob matching with `*` as the only wildcard, over the whole text.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// The candidates with the least key, in their original (id) order.
fn keep_min<K: Ord>(candidates: Vec<HostId>, key: impl Fn(HostId) -> K) -> Vec<HostId> {
    let keyed: Vec<(HostId, K)> = candidates.into_iter().map(|id| (id, key(id))).collect();
    let Some(min) = keyed.iter().map(|(_, k)| k).min() else {
        return Vec::new();
    };
    keyed
        .iter()
        .filter(|(_, k)| k == min)
        .map(|(id, _)| *id)
        .collect()
}

fn to_id(index: usize) -> HostId {
    HostId::try_from(index).expect("fewer than 2^32 hosts")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    use crate::placement::test_fleet::{host, task};

    fn rng() -> Xoshiro256PlusPlus {
        Xoshiro256PlusPlus::seed_from_u64(7)
    }

    fn member_of(attribute: Attribute, op: ExprOp, values: &[&str]) -> PlacementConstraint {
        PlacementConstraint::MemberOf(Expression {
            attribute,
            op,
            values: values.iter().map(|v| v.to_string()).collect(),
            text: String::new(),
        })
    }

    #[test]
    fn spread_az_then_binpack_memory_over_three_azs() {
        // Two hosts per AZ; in each AZ the second host has less memory.
        let mut o = Oracle::new();
        let a0 = o.add_host(host(0, "m5.large", 2048, 7680)); // 0
        let a1 = o.add_host(host(0, "m5.large", 2048, 4096)); // 1
        let b0 = o.add_host(host(1, "m5.large", 2048, 7680)); // 2
        let b1 = o.add_host(host(1, "m5.large", 2048, 3072)); // 3
        let c0 = o.add_host(host(2, "m5.large", 2048, 7680)); // 4
        let c1 = o.add_host(host(2, "m5.large", 2048, 5000)); // 5
        let chain = vec![
            PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
            PlacementStrategy::Binpack(Resource::Memory),
        ];
        let t = task(1, 256, 1024, chain);
        let mut r = rng();
        // All AZs at 0 tasks: binpack memory over all six → host 3 (3072 free).
        assert_eq!(o.place(&t, &mut r), Some(b1));
        // AZ b has 1; a and c have 0: binpack among a0 a1 c0 c1 → a1 (4096).
        assert_eq!(o.place(&t, &mut r), Some(a1));
        // Only c has 0: binpack inside c → c1 (5000).
        assert_eq!(o.place(&t, &mut r), Some(c1));
        // All at 1 again: least free memory is b1 (2048).
        assert_eq!(o.place(&t, &mut r), Some(b1));
        assert_eq!(o.free(b1), Some((2048 - 512, 1024)));
        assert_eq!(o.tasks_of(b1, 1), 2);
        // b at 2, a and c at 1: a1 (3072) vs c1 (3976) → a1.
        assert_eq!(o.place(&t, &mut r), Some(a1));
        assert_eq!(o.place(&t, &mut r), Some(c1));
        // The big hosts stay empty.
        for h in [a0, b0, c0] {
            assert_eq!(o.free(h), Some((2048, 7680)));
        }
        // Another group does not see group 1's tasks: it starts over.
        let other = task(2, 256, 1024, t.strategies.clone());
        assert_eq!(o.place(&other, &mut r), Some(b1));
    }

    #[test]
    fn member_of_limits_to_one_az() {
        let mut o = Oracle::new();
        for az in [0, 1, 2, 0, 1, 2] {
            o.add_host(host(az, "m5.large", 2048, 7680));
        }
        let mut t = task(
            1,
            1024,
            1024,
            vec![
                PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
                PlacementStrategy::SpreadInstance,
            ],
        );
        t.constraints = vec![member_of(
            Attribute::AvailabilityZone,
            ExprOp::In,
            &["us-east-1b"],
        )];
        let mut r = rng();
        // Hosts 1 and 4 are in us-east-1b; each takes two 1024-unit tasks.
        let placed: Vec<_> = (0..5).map(|_| o.place(&t, &mut r)).collect();
        assert_eq!(placed, vec![Some(1), Some(4), Some(1), Some(4), None]);
        // The None left everything untouched.
        assert_eq!(o.free(1), Some((0, 7680 - 2048)));
        assert_eq!(o.free(0), Some((2048, 7680)));
    }

    #[test]
    fn member_of_operators() {
        let spec = host(0, "t3.medium", 2048, 3900);
        let e = |attribute, op, values: &[&str]| match member_of(attribute, op, values) {
            PlacementConstraint::MemberOf(e) => e,
            PlacementConstraint::DistinctInstance => unreachable!(),
        };
        use Attribute::*;
        assert!(expression_holds(
            &e(InstanceType, ExprOp::Eq, &["t3.medium"]),
            &spec
        ));
        assert!(!expression_holds(
            &e(InstanceType, ExprOp::Ne, &["t3.medium"]),
            &spec
        ));
        assert!(expression_holds(
            &e(AvailabilityZone, ExprOp::In, &["x", "us-east-1a"]),
            &spec
        ));
        assert!(!expression_holds(
            &e(AvailabilityZone, ExprOp::NotIn, &["us-east-1a"]),
            &spec
        ));
        assert!(expression_holds(
            &e(CpuArchitecture, ExprOp::NotIn, &["arm64"]),
            &spec
        ));
        assert!(expression_holds(
            &e(InstanceType, ExprOp::Matches, &["t3.*"]),
            &spec
        ));
        assert!(!expression_holds(
            &e(InstanceType, ExprOp::Matches, &["m5.*"]),
            &spec
        ));
        assert!(!expression_holds(&e(InstanceType, ExprOp::In, &[]), &spec));
        assert!(expression_holds(
            &e(InstanceType, ExprOp::NotIn, &[]),
            &spec
        ));
    }

    #[test]
    fn glob() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("*", "m5.large"));
        assert!(glob_matches("m5.*", "m5.large"));
        assert!(glob_matches("*large", "m5.large"));
        assert!(glob_matches("*.*", "m5.large"));
        assert!(glob_matches("m*l*e", "m5.large"));
        assert!(glob_matches("m5.large", "m5.large"));
        assert!(!glob_matches("m5.large", "m5.xlarge"));
        assert!(!glob_matches("m5", "m5.large"));
        assert!(!glob_matches("*a", "m5.large"));
        assert!(!glob_matches("", "a"));
        // `.` and `?` are literal: this is not a regex.
        assert!(!glob_matches("m5?large", "m5.large"));
        assert!(!glob_matches("m5.", "m5x"));
    }

    #[test]
    fn distinct_instance_and_spread_instance() {
        let mut o = Oracle::new();
        for az in [0, 0, 1] {
            o.add_host(host(az, "m5.large", 2048, 7680));
        }
        let mut t = task(3, 128, 128, vec![PlacementStrategy::Binpack(Resource::Cpu)]);
        t.constraints = vec![PlacementConstraint::DistinctInstance];
        let mut r = rng();
        let placed: Vec<_> = (0..4).map(|_| o.place(&t, &mut r)).collect();
        assert_eq!(placed, vec![Some(0), Some(1), Some(2), None]);
        // Releasing frees host 1 for the group again.
        o.release(1, &t);
        assert_eq!(o.tasks_of(1, 3), 0);
        assert_eq!(o.free(1), Some((2048, 7680)));
        assert_eq!(o.place(&t, &mut r), Some(1));
        // spread(instanceId) alone fills hosts round-robin.
        let s = task(4, 128, 128, vec![PlacementStrategy::SpreadInstance]);
        let placed: Vec<_> = (0..6).map(|_| o.place(&s, &mut r).unwrap()).collect();
        assert_eq!(placed, vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn binpack_cpu_fills_the_fullest_host_first() {
        let mut o = Oracle::new();
        o.add_host(host(0, "m5.xlarge", 4096, 15680));
        o.add_host(host(1, "m5.large", 2048, 7680));
        let t = task(
            1,
            1024,
            512,
            vec![PlacementStrategy::Binpack(Resource::Cpu)],
        );
        let mut r = rng();
        let placed: Vec<_> = (0..7).map(|_| o.place(&t, &mut r)).collect();
        // The large host first (2048 free < 4096), until it is full; then
        // the xlarge, the only one left that fits.
        assert_eq!(
            placed,
            vec![Some(1), Some(1), Some(0), Some(0), Some(0), Some(0), None]
        );
    }

    #[test]
    fn draining_and_removed_hosts() {
        let mut o = Oracle::new();
        let a0 = o.add_host(host(0, "m5.large", 2048, 7680));
        let a1 = o.add_host(host(0, "m5.large", 2048, 7680));
        let b0 = o.add_host(host(1, "m5.large", 2048, 7680));
        let spread_az = vec![PlacementStrategy::SpreadAttribute(
            Attribute::AvailabilityZone,
        )];
        let t = task(1, 512, 512, spread_az);
        let mut r = rng();
        assert_eq!(o.place(&t, &mut r), Some(a0));
        // a0 drains: nothing new goes there, but its task still counts for
        // AZ a, so the next task goes to AZ b rather than to a1.
        o.set_accepting(a0, false);
        assert_eq!(o.is_accepting(a0), Some(false));
        assert_eq!(o.place(&t, &mut r), Some(b0));
        // 1 and 1: the lowest accepting id.
        assert_eq!(o.place(&t, &mut r), Some(a1));
        o.set_accepting(a0, true);
        // AZ a has 2, AZ b has 1.
        assert_eq!(o.place(&t, &mut r), Some(b0));
        assert_eq!(o.tasks_of(b0, 1), 2);
        // Removing b0 forgets its tasks; ids are not reused.
        o.remove_host(b0);
        assert_eq!(o.free(b0), None);
        assert_eq!(o.tasks_of(b0, 1), 0);
        assert_eq!(o.is_accepting(b0), None);
        o.release(b0, &t); // ignored
        o.set_accepting(b0, true); // ignored
        let b1 = o.add_host(host(1, "m5.large", 2048, 7680));
        assert_eq!(b1, 3);
        // AZ b is empty again (b0's tasks are gone): the next task goes there.
        assert_eq!(o.place(&t, &mut r), Some(b1));
        assert_eq!(o.hosts().map(|v| v.id).collect::<Vec<_>>(), vec![0, 1, 3]);
    }

    #[test]
    fn random_with_a_fixed_seed_is_reproducible() {
        let fleet = |o: &mut Oracle| {
            for i in 0..10 {
                o.add_host(host(i % 3, "m5.large", 2048, 7680));
            }
        };
        let t = task(1, 128, 128, vec![PlacementStrategy::Random]);
        let run = |seed| {
            let mut o = Oracle::new();
            fleet(&mut o);
            let mut r = Xoshiro256PlusPlus::seed_from_u64(seed);
            (0..50)
                .map(|_| o.place(&t, &mut r).unwrap())
                .collect::<Vec<_>>()
        };
        let a = run(42);
        assert_eq!(a, run(42));
        assert_ne!(a, run(43));
        // Random does pick different hosts.
        let distinct: std::collections::BTreeSet<_> = a.iter().collect();
        assert!(distinct.len() > 5, "{a:?}");
        // One draw per placement, even with a single candidate left.
        let mut o = Oracle::new();
        o.add_host(host(0, "m5.large", 2048, 7680));
        let mut r1 = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut r2 = Xoshiro256PlusPlus::seed_from_u64(5);
        assert_eq!(o.place(&t, &mut r1), Some(0));
        let _: usize = r2.random_range(0..1);
        assert_eq!(r1.random::<u64>(), r2.random::<u64>());
    }

    #[test]
    fn random_after_spread_picks_inside_the_preferred_az() {
        let mut o = Oracle::new();
        for az in [0, 1, 2, 0, 1, 2, 0, 1, 2] {
            o.add_host(host(az, "m5.large", 2048, 7680));
        }
        let t = task(
            1,
            128,
            128,
            vec![
                PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
                PlacementStrategy::Random,
            ],
        );
        let mut r = rng();
        let mut per_az = [0u32; 3];
        for _ in 0..30 {
            let h = o.place(&t, &mut r).unwrap();
            per_az[(h % 3) as usize] += 1;
            assert!(per_az.iter().max().unwrap() - per_az.iter().min().unwrap() <= 1);
        }
    }
}
