//! The indexed engine's own cases: the oracle's worked example and the
//! class-overflow fallback. The engine is checked against the oracle on
//! random fleets by `sim/tests/placement_equiv.rs` and `placement_props.rs`.

use super::*;
use crate::placement::oracle::Oracle;
use crate::placement::test_fleet::{host, task, AZS};
use crate::scenario::{
    Attribute, ExprOp, Expression, PlacementConstraint, PlacementStrategy, Resource,
};
use rand::{Rng, SeedableRng};

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
