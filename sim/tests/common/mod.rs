//! Fleets and generators shared by the placement property tests
//! (`placement_props.rs`: the oracle against its own books;
//! `placement_equiv.rs`: the indexed engine against the oracle).
#![allow(dead_code)] // each test binary uses its own subset

use dockmaster_sim::placement::{HostSpec, TaskSpec};
use dockmaster_sim::scenario::{
    Attribute, ExprOp, Expression, PlacementConstraint, PlacementStrategy, Resource,
};
use proptest::prelude::*;
use proptest::sample::{select, Index};

pub const AZS: [&str; 3] = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
/// (name, architecture, registered cpu, registered memory MiB)
pub const TYPES: [(&str, &str, u32, u32); 5] = [
    ("m5.large", "x86_64", 2048, 7680),
    ("m5.xlarge", "x86_64", 4096, 15680),
    ("c6g.large", "arm64", 2048, 3700),
    ("t3.medium", "x86_64", 2048, 3900),
    ("m5.2xlarge", "x86_64", 8192, 31616),
];
pub const ARCHS: [&str; 2] = ["x86_64", "arm64"];

pub fn host_spec(type_index: usize, az: usize) -> HostSpec {
    let (name, arch, cpu, memory) = TYPES[type_index];
    HostSpec {
        az: az as u16,
        instance_type: name.to_string(),
        az_name: AZS[az].to_string(),
        cpu_architecture: arch.to_string(),
        cpu,
        memory,
    }
}

pub fn universe(a: Attribute) -> Vec<&'static str> {
    match a {
        Attribute::AvailabilityZone => AZS.to_vec(),
        Attribute::InstanceType => TYPES.iter().map(|t| t.0).collect(),
        Attribute::CpuArchitecture => ARCHS.to_vec(),
    }
}

pub fn attribute_s() -> impl Strategy<Value = Attribute> {
    select(vec![
        Attribute::AvailabilityZone,
        Attribute::InstanceType,
        Attribute::CpuArchitecture,
    ])
}

pub fn resource_s() -> impl Strategy<Value = Resource> {
    select(vec![Resource::Cpu, Resource::Memory])
}

/// A memberOf expression over the fleet's attribute values; `=~` draws
/// from `patterns`.
pub fn expression_s(patterns: &'static [&'static str]) -> impl Strategy<Value = Expression> {
    (
        attribute_s(),
        0..5usize,
        prop::collection::vec(any::<Index>(), 0..=2),
        any::<Index>(),
    )
        .prop_map(|(attribute, op, picks, one)| {
            let u = universe(attribute);
            let list: Vec<String> = picks.iter().map(|i| i.get(&u).to_string()).collect();
            let (op, values) = match op {
                0 => (ExprOp::In, list),
                1 => (ExprOp::NotIn, list),
                2 => (ExprOp::Eq, vec![one.get(&u).to_string()]),
                3 => (ExprOp::Ne, vec![one.get(&u).to_string()]),
                _ => (ExprOp::Matches, vec![one.get(patterns).to_string()]),
            };
            let text = format!("{attribute:?} {op:?} {values:?}");
            Expression {
                attribute,
                op,
                values,
                text,
            }
        })
}

pub fn constraint_s(
    patterns: &'static [&'static str],
) -> impl Strategy<Value = PlacementConstraint> {
    prop_oneof![
        1 => Just(PlacementConstraint::DistinctInstance),
        2 => expression_s(patterns).prop_map(PlacementConstraint::MemberOf),
    ]
}

/// A task shape: size, strategy chain, constraints; `group` is left 0 for
/// the caller to assign.
pub fn task_spec_s(
    strategies: impl Strategy<Value = Vec<PlacementStrategy>>,
    constraints: impl Strategy<Value = Vec<PlacementConstraint>>,
) -> impl Strategy<Value = TaskSpec> {
    (
        select(vec![0u32, 128, 256, 512, 1024, 2048]),
        select(vec![128u32, 256, 512, 1024, 2048, 4096]),
        strategies,
        constraints,
    )
        .prop_map(|(cpu, memory, strategies, constraints)| TaskSpec {
            group: 0,
            cpu,
            memory,
            strategies,
            constraints,
        })
}
