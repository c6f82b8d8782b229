//! The indexed placement engine makes the oracle's decisions.
//!
//! Random fleets (1–60 hosts over 1–3 AZs and five instance types, two CPU
//! architectures) receive random sequences of operations: placing tasks of
//! 1–5 task shapes (group, size, strategy chain, constraints; two shapes
//! may share a group, as two revisions of one service do), releasing placed
//! tasks, adding hosts, removing hosts (their tasks forgotten), draining and
//! undraining hosts, and releasing tasks of removed hosts. The oracle and
//! [`Indexed`] receive the same calls with rngs seeded alike, and after every
//! operation the test checks that
//!
//! * `place` answered the same (host or `None`),
//! * every host's free resources, task counts and accepting flag agree,
//! * the rngs are in the same state (same number of draws).
//!
//! The generators cover every strategy at every position of chains of up to
//! five, `random` included, with distinctInstance and memberOf; one property
//! concentrates on the chains the engine fast-paths, on fleets of identical
//! hosts where ties decide, and one on crowded fleets where `None` is common.

use dockmaster_sim::placement::indexed::Indexed;
use dockmaster_sim::placement::oracle::Oracle;
use dockmaster_sim::placement::{HostId, HostSpec, Placement, TaskSpec};
use dockmaster_sim::scenario::{Attribute, PlacementConstraint, PlacementStrategy, Resource};
use proptest::prelude::*;
use proptest::sample::select;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

mod common;
use common::{
    attribute_s, constraint_s, expression_s, host_spec, resource_s, task_spec_s as shape_s, TYPES,
};

// ---------------------------------------------------------------- fleet

const PATTERNS: [&str; 8] = [
    "m5.*",
    "*large",
    "*.x*",
    "eu-west-1*",
    "*b",
    "arm*",
    "*_64",
    "c6g.*",
];

// ---------------------------------------------------------------- generators

fn strategy_s() -> impl Strategy<Value = PlacementStrategy> {
    prop_oneof![
        3 => resource_s().prop_map(PlacementStrategy::Binpack),
        2 => Just(PlacementStrategy::SpreadInstance),
        3 => attribute_s().prop_map(PlacementStrategy::SpreadAttribute),
        2 => Just(PlacementStrategy::Random),
    ]
}

/// 1–5 shapes; shape `i` belongs to group `7 + 10 * (i % 3)`, so shapes 0
/// and 3 (and 1 and 4) are two revisions of one group.
fn shapes_s(shape: impl Strategy<Value = TaskSpec>) -> impl Strategy<Value = Vec<TaskSpec>> {
    prop::collection::vec(shape, 1..=5).prop_map(|mut shapes| {
        for (i, s) in shapes.iter_mut().enumerate() {
            s.group = 7 + 10 * (i as u32 % 3);
        }
        shapes
    })
}

fn any_shape() -> impl Strategy<Value = TaskSpec> {
    shape_s(
        prop::collection::vec(strategy_s(), 0..=5),
        prop::collection::vec(constraint_s(&PATTERNS), 0..=2),
    )
}

/// The chains the engine fast-paths, with the constraints they come with.
fn common_shape() -> impl Strategy<Value = TaskSpec> {
    use PlacementStrategy::*;
    let az = Attribute::AvailabilityZone;
    shape_s(
        select(vec![
            vec![Binpack(Resource::Memory)],
            vec![Binpack(Resource::Cpu)],
            vec![SpreadAttribute(az), Binpack(Resource::Cpu)],
            vec![SpreadAttribute(az), Binpack(Resource::Memory)],
            vec![SpreadInstance],
            vec![SpreadAttribute(az), SpreadInstance],
            vec![Random],
            vec![SpreadAttribute(az), Random],
            vec![],
        ]),
        prop_oneof![
            2 => Just(vec![]),
            1 => Just(vec![PlacementConstraint::DistinctInstance]),
            1 => expression_s(&PATTERNS).prop_map(|e| vec![PlacementConstraint::MemberOf(e)]),
        ],
    )
}

fn fleet_s(hosts: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<(usize, usize)>> {
    (1..=3usize)
        .prop_flat_map(move |azs| prop::collection::vec((0..TYPES.len(), 0..azs), hosts.clone()))
}

/// Fleets of one instance type: every tie is broken by the rules alone.
fn uniform_fleet_s() -> impl Strategy<Value = Vec<(usize, usize)>> {
    (0..TYPES.len(), 1..=3usize, 1..=40usize)
        .prop_map(|(t, azs, n)| (0..n).map(|i| (t, i % azs)).collect())
}

/// A choice among however many items there are when the op runs.
#[derive(Clone, Copy, Debug)]
struct Pick(u64);

impl Pick {
    fn index(self, len: usize) -> usize {
        (self.0 % len as u64) as usize
    }
}

fn pick() -> impl Strategy<Value = Pick> {
    any::<u64>().prop_map(Pick)
}

#[derive(Clone, Debug)]
enum Op {
    Place(Pick),
    /// Place several tasks of one shape in a row (a scale-out).
    Burst(Pick, u8),
    Release(Pick),
    AddHost {
        type_index: usize,
        az: Pick,
    },
    RemoveHost(Pick),
    SetAccepting(Pick, bool),
    ReleaseOrphan(Pick),
}

fn op_s() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => pick().prop_map(Op::Place),
        2 => (pick(), 2..12u8).prop_map(|(s, n)| Op::Burst(s, n)),
        4 => pick().prop_map(Op::Release),
        1 => (0..TYPES.len(), pick()).prop_map(|(type_index, az)| Op::AddHost { type_index, az }),
        1 => pick().prop_map(Op::RemoveHost),
        1 => (pick(), prop::bool::weighted(0.6).prop_map(|up| !up))
            .prop_map(|(h, accepting)| Op::SetAccepting(h, accepting)),
        1 => pick().prop_map(Op::ReleaseOrphan),
    ]
}

// ---------------------------------------------------------------- harness

struct Pair {
    oracle: Oracle,
    indexed: Indexed,
    rng_o: Xoshiro256PlusPlus,
    rng_i: Xoshiro256PlusPlus,
    shapes: Vec<TaskSpec>,
    azs: usize,
    /// Host ids ever added.
    added: usize,
    /// Placed tasks still running: (host, shape index).
    live: Vec<(HostId, usize)>,
    /// Tasks forgotten with their removed host.
    orphans: Vec<(HostId, usize)>,
    /// Answers of `place`: (placed, unplaceable).
    answers: (u32, u32),
    /// Compare every host's state after every `check_every`-th operation
    /// (decisions and rng are compared at every `place`).
    check_every: u32,
    /// Operations since the last full comparison.
    ops: u32,
}

impl Pair {
    fn new(fleet: &[(usize, usize)], azs: usize, shapes: Vec<TaskSpec>, seed: u64) -> Pair {
        let mut p = Pair {
            oracle: Oracle::new(),
            indexed: Indexed::new(),
            rng_o: Xoshiro256PlusPlus::seed_from_u64(seed),
            rng_i: Xoshiro256PlusPlus::seed_from_u64(seed),
            shapes,
            azs,
            added: 0,
            live: Vec::new(),
            orphans: Vec::new(),
            answers: (0, 0),
            check_every: 1,
            ops: 0,
        };
        for &(type_index, az) in fleet {
            p.add_host(host_spec(type_index, az)).unwrap();
        }
        p
    }

    fn add_host(&mut self, spec: HostSpec) -> Result<(), TestCaseError> {
        let a = self.oracle.add_host(spec.clone());
        let b = self.indexed.add_host(spec);
        prop_assert_eq!(a, b, "host ids");
        self.added += 1;
        Ok(())
    }

    fn place(&mut self, si: usize) -> Result<(), TestCaseError> {
        let task = &self.shapes[si];
        let a = self.oracle.place(task, &mut self.rng_o);
        let b = self.indexed.place(task, &mut self.rng_i);
        prop_assert_eq!(
            a,
            b,
            "place #{} of {:?}",
            self.answers.0 + self.answers.1,
            task
        );
        prop_assert_eq!(
            self.rng_o.clone().random::<u64>(),
            self.rng_i.clone().random::<u64>(),
            "rng states differ after place of {:?}",
            task
        );
        match a {
            Some(h) => {
                self.live.push((h, si));
                self.answers.0 += 1;
            }
            None => self.answers.1 += 1,
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Place(s) => self.place(s.index(self.shapes.len()))?,
            Op::Burst(s, n) => {
                let si = s.index(self.shapes.len());
                for _ in 0..*n {
                    self.place(si)?;
                }
            }
            Op::Release(i) => {
                if !self.live.is_empty() {
                    let (h, si) = self.live.swap_remove(i.index(self.live.len()));
                    self.oracle.release(h, &self.shapes[si]);
                    self.indexed.release(h, &self.shapes[si]);
                }
            }
            Op::AddHost { type_index, az } => {
                self.add_host(host_spec(*type_index, az.index(self.azs)))?;
            }
            Op::RemoveHost(i) => {
                let id = i.index(self.added) as HostId;
                self.oracle.remove_host(id);
                self.indexed.remove_host(id);
                let (gone, kept) = self.live.iter().partition(|&&(h, _)| h == id);
                self.live = kept;
                self.orphans.extend::<Vec<_>>(gone);
            }
            Op::SetAccepting(i, accepting) => {
                let id = i.index(self.added) as HostId;
                self.oracle.set_accepting(id, *accepting);
                self.indexed.set_accepting(id, *accepting);
            }
            Op::ReleaseOrphan(i) => {
                if !self.orphans.is_empty() {
                    let (h, si) = self.orphans.swap_remove(i.index(self.orphans.len()));
                    self.oracle.release(h, &self.shapes[si]);
                    self.indexed.release(h, &self.shapes[si]);
                }
            }
        }
        self.ops += 1;
        if self.ops >= self.check_every {
            self.ops = 0;
            self.check_state()?;
        }
        Ok(())
    }

    /// Same free resources, task counts, accepting flags and rng state.
    fn check_state(&mut self) -> Result<(), TestCaseError> {
        for id in 0..self.added as HostId {
            prop_assert_eq!(
                self.oracle.free(id),
                self.indexed.free(id),
                "free of {}",
                id
            );
            prop_assert_eq!(
                self.oracle.is_accepting(id),
                self.indexed.is_accepting(id),
                "accepting {}",
                id
            );
            for s in &self.shapes {
                prop_assert_eq!(
                    self.oracle.tasks_of(id, s.group),
                    self.indexed.tasks_of(id, s.group)
                );
            }
        }
        // Cloned rngs: comparing must not advance the real ones.
        prop_assert_eq!(
            self.rng_o.clone().random::<u64>(),
            self.rng_i.clone().random::<u64>(),
            "rng states differ: different number of draws"
        );
        Ok(())
    }
}

fn azs_of(fleet: &[(usize, usize)]) -> usize {
    fleet.iter().map(|&(_, az)| az + 1).max().unwrap_or(1)
}

fn run(
    fleet: &[(usize, usize)],
    shapes: Vec<TaskSpec>,
    ops: &[Op],
    seed: u64,
) -> Result<Pair, TestCaseError> {
    let mut p = Pair::new(fleet, azs_of(fleet).max(1), shapes, seed);
    for op in ops {
        p.apply(op)?;
    }
    Ok(p)
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any chain of up to five strategies (random anywhere), up to two
    /// constraints, any sequence of operations: same decisions, same state,
    /// same draws.
    #[test]
    fn indexed_decides_like_the_oracle(
        fleet in fleet_s(1..=60),
        shapes in shapes_s(any_shape()),
        ops in prop::collection::vec(op_s(), 0..150),
        seed in any::<u64>(),
    ) {
        run(&fleet, shapes, &ops, seed)?;
    }

    /// The fast-pathed chains (binpack, spread AZ → binpack, spread
    /// instanceId, binpack + distinctInstance, spread AZ → spread instanceId,
    /// random, spread AZ → random, none) on fleets of one instance type, where
    /// every host starts equal to every other and ties decide.
    #[test]
    fn common_chains_break_ties_like_the_oracle(
        fleet in uniform_fleet_s(),
        shapes in shapes_s(common_shape()),
        ops in prop::collection::vec(op_s(), 0..150),
        seed in any::<u64>(),
    ) {
        run(&fleet, shapes, &ops, seed)?;
    }

    /// Crowded fleets (1–8 hosts, long runs of placements): most answers
    /// near the end are `None`, and hosts fill up exactly.
    #[test]
    fn crowded_fleets_refuse_like_the_oracle(
        fleet in fleet_s(1..=8),
        shapes in shapes_s(any_shape()),
        ops in prop::collection::vec(
            prop_oneof![4 => pick().prop_map(|s| Op::Burst(s, 10)), 1 => op_s()],
            0..40,
        ),
        seed in any::<u64>(),
    ) {
        run(&fleet, shapes, &ops, seed)?;
    }
}

/// One long deterministic run on a fleet of 200 hosts with every chain the
/// simulator uses, several services at once and host churn: catches index
/// corruption that needs many operations to show.
#[test]
fn long_run_on_a_larger_fleet() {
    use PlacementStrategy::*;
    let az = Attribute::AvailabilityZone;
    let chains = [
        vec![Binpack(Resource::Memory)],
        vec![SpreadAttribute(az), Binpack(Resource::Cpu)],
        vec![SpreadInstance],
        vec![SpreadAttribute(az), SpreadInstance],
        vec![Binpack(Resource::Cpu), Random],
        vec![Random],
    ];
    let mut shapes: Vec<TaskSpec> = Vec::new();
    for (i, chain) in chains.iter().enumerate() {
        for (j, &(cpu, memory)) in [(256, 512), (512, 1024), (1024, 2048), (2048, 4096)]
            .iter()
            .enumerate()
        {
            let mut constraints = Vec::new();
            if j == 3 {
                constraints.push(PlacementConstraint::DistinctInstance);
            }
            shapes.push(TaskSpec {
                group: (i * 4 + j) as u32,
                cpu,
                memory,
                strategies: chain.clone(),
                constraints,
            });
        }
    }
    let fleet: Vec<(usize, usize)> = (0..200).map(|i| (i * 7 % TYPES.len(), i % 3)).collect();
    let mut p = Pair::new(&fleet, 3, shapes, 2024);
    p.check_every = 97;
    let mut ops = Xoshiro256PlusPlus::seed_from_u64(99);
    for step in 0..4000 {
        let op = match ops.random_range(0..100) {
            0..60 => Op::Place(Pick(ops.random())),
            60..90 => Op::Release(Pick(ops.random())),
            90..94 => Op::AddHost {
                type_index: ops.random_range(0..TYPES.len()),
                az: Pick(ops.random()),
            },
            94..96 => Op::RemoveHost(Pick(ops.random())),
            _ => Op::SetAccepting(Pick(ops.random()), ops.random_bool(0.5)),
        };
        if let Err(e) = p.apply(&op) {
            panic!("step {step} {op:?}: {e}");
        }
    }
    p.check_state().unwrap();
    assert!(p.answers.0 > 1500, "{:?}", p.answers);
}
