//! The built-in EC2 instance catalogue (docs/aws-behaviour.md §5).
//!
//! ```text
//!  docs/aws-behaviour.md §5 table ──► builtin()  (static, in table order)
//!  [[cluster.instance_types]] ──► scenario validation: custom entries extend
//!                                 the catalogue or override a built-in name
//! ```
//!
//! Each entry is an instance type *as ECS sees it*: vCPUs and nominal memory
//! from the EC2 API, the CPU units and MiB the container instance registers,
//! the On-Demand Linux price in us-east-1, and the CPU architecture (the
//! value of the `ecs.cpu-architecture` attribute).

use std::sync::LazyLock;

/// An EC2 instance type as ECS sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceType {
    pub name: String,
    pub vcpu: u32,
    /// Nominal memory, MiB.
    pub memory_mib: u32,
    /// CPU units the container instance registers (vCPU × 1024).
    pub registered_cpu: u32,
    /// Memory the container instance registers, MiB (below nominal: the OS
    /// takes its share, docs/aws-behaviour.md §1.2).
    pub registered_memory_mib: u32,
    /// On-Demand Linux price, USD per hour.
    pub price_per_hour: f64,
    pub arch: String,
}

/// ECS CPU units per vCPU (docs/aws-behaviour.md §1.1).
pub const CPU_UNITS_PER_VCPU: u32 = 1024;

/// Share of nominal memory a container instance registers, in percent.
///
/// docs/aws-behaviour.md §1.2: registered memory is the OS-visible total, about
/// 95–98 % of the advertised GiB (m4.large 7985 of 8192 MiB, c4.large 3768 of
/// 3840, m6i.large 7817 of 8192). We take 96 %, rounded down, for every type; a
/// scenario that needs the exact figure gives `registered_memory` in a
/// `[[cluster.instance_types]]` entry.
pub const REGISTERED_MEMORY_PERCENT: u32 = 96;

/// Registered memory (MiB) for a nominal memory size when none is given:
/// `nominal × 96 %`, rounded down.
pub fn default_registered_memory(memory_mib: u32) -> u32 {
    (u64::from(memory_mib) * u64::from(REGISTERED_MEMORY_PERCENT) / 100) as u32
}

/// Builds an instance type from its table values, deriving the registered
/// resources (vCPU × 1024 CPU units, [`default_registered_memory`]).
pub fn instance_type(
    name: &str,
    vcpu: u32,
    memory_mib: u32,
    price_per_hour: f64,
    arch: &str,
) -> InstanceType {
    InstanceType {
        name: name.to_string(),
        vcpu,
        memory_mib,
        registered_cpu: vcpu.saturating_mul(CPU_UNITS_PER_VCPU),
        registered_memory_mib: default_registered_memory(memory_mib),
        price_per_hour,
        arch: arch.to_string(),
    }
}

/// docs/aws-behaviour.md §5: name, arch, vCPU, memory GiB, On-Demand us-east-1
/// $/h (prices are unconfirmed list prices, ≈ 2024–2026).
const TABLE: [(&str, &str, u32, u32, f64); 15] = [
    ("t3.medium", "x86_64", 2, 4, 0.0416),
    ("t3.large", "x86_64", 2, 8, 0.0832),
    ("m5.large", "x86_64", 2, 8, 0.096),
    ("m5.xlarge", "x86_64", 4, 16, 0.192),
    ("m5.2xlarge", "x86_64", 8, 32, 0.384),
    ("c5.large", "x86_64", 2, 4, 0.085),
    ("c5.xlarge", "x86_64", 4, 8, 0.17),
    ("c5.2xlarge", "x86_64", 8, 16, 0.34),
    ("r5.large", "x86_64", 2, 16, 0.126),
    ("m6i.large", "x86_64", 2, 8, 0.096),
    ("m7g.large", "arm64", 2, 8, 0.0816),
    ("m5.4xlarge", "x86_64", 16, 64, 0.768),
    ("m5.12xlarge", "x86_64", 48, 192, 2.304),
    ("m5.24xlarge", "x86_64", 96, 384, 4.608),
    ("c5.4xlarge", "x86_64", 16, 32, 0.68),
];

static BUILTIN: LazyLock<Vec<InstanceType>> = LazyLock::new(|| {
    TABLE
        .iter()
        .map(|&(name, arch, vcpu, gib, price)| instance_type(name, vcpu, gib * 1024, price, arch))
        .collect()
});

/// Every built-in instance type, in the order of docs/aws-behaviour.md §5.
pub fn builtin() -> &'static [InstanceType] {
    &BUILTIN
}

/// The built-in instance type called `name` (exact, case-sensitive, as EC2
/// spells it).
pub fn lookup(name: &str) -> Option<InstanceType> {
    builtin().iter().find(|t| t.name == name).cloned()
}

/// The names of the built-in types, in catalogue order.
pub fn names() -> Vec<&'static str> {
    TABLE.iter().map(|row| row.0).collect()
}

/// The CPU architectures ECS reports in `ecs.cpu-architecture`.
pub const ARCHITECTURES: [&str; 2] = ["x86_64", "arm64"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_aws_model_table() {
        assert_eq!(builtin().len(), 15);
        let m5 = lookup("m5.large").unwrap();
        assert_eq!(m5.vcpu, 2);
        assert_eq!(m5.memory_mib, 8192);
        assert_eq!(m5.registered_cpu, 2048);
        // 8192 × 0.96 = 7864.32 → 7864, inside docs/aws-behaviour.md §1.2's
        // 95–98 %.
        assert_eq!(m5.registered_memory_mib, 7864);
        assert_eq!(m5.price_per_hour, 0.096);
        assert_eq!(lookup("m7g.large").unwrap().arch, "arm64");
        assert_eq!(lookup("m5.24xlarge").unwrap().registered_cpu, 98304);
        assert!(lookup("m5.huge").is_none());
    }

    #[test]
    fn registered_memory_is_95_to_98_percent_of_nominal() {
        for t in builtin() {
            let share = f64::from(t.registered_memory_mib) / f64::from(t.memory_mib);
            assert!((0.95..=0.98).contains(&share), "{}: {share}", t.name);
            assert_eq!(t.registered_cpu, t.vcpu * 1024);
            assert!(ARCHITECTURES.contains(&t.arch.as_str()));
        }
    }

    #[test]
    fn names_are_unique() {
        let mut n = names();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), builtin().len());
    }
}
