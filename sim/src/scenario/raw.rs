//! The raw layer: serde structs that mirror the TOML file, before any check.
//!
//! ```text
//!  TOML text ──toml──► syntax ok? ──serde──► Raw* (shape ok?) ──validate──► Scenario
//!                         │                      │                    │
//!                  Problem at line:col    one Problem with      every Problem, each
//!                                         path, value, allowed  with path, value, allowed
//! ```
//!
//! Division of labour: serde checks the *shape* of the file (which keys exist,
//! `deny_unknown_fields` everywhere, which tables and arrays, the tags of the
//! tagged enums: `dist = "lognormal"`, `type = "binpack"`, `policy = ...`,
//! `action = ...`). Leaf values are kept as [`Value`] and checked by
//! `validate.rs`, so that a file with five wrong numbers gets five messages
//! in one run, each with its exact path, instead of one. Serde stops at the
//! first shape error; the file is then reported with that one problem.
//!
//! Every field is optional here; the doc comment of each says whether the
//! validated model requires it or what its default is (and where the default
//! comes from). The defaults themselves are the `DEFAULT_*` constants below.

use crate::time::{Nanos, NANOS_PER_MILLI, NANOS_PER_SEC};
use serde::Deserialize;

/// A leaf value as written in the file; its type and range are checked by
/// validation.
pub type Value = toml::Value;

// ---------------------------------------------------------------- defaults

/// `seed`: 1. A run is reproducible even when the file names no seed.
pub const DEFAULT_SEED: u64 = 1;
/// `window`: 10 s reporting windows.
pub const DEFAULT_WINDOW: Nanos = 10 * NANOS_PER_SEC;
/// `cluster.asg.launch_time`: lognormal, mean 90 s, cv 0.3.
/// docs/aws-behaviour.md §3.5: bare EC2 boot ≈ 25–40 s, launch → ECS container
/// instance ACTIVE typically 1–3 min (unconfirmed estimate); 90 s sits in that
/// range.
pub const DEFAULT_LAUNCH_MEAN: Nanos = 90 * NANOS_PER_SEC;
pub const DEFAULT_LAUNCH_CV: f64 = 0.3;
/// Managed scaling `target_capacity`: 100 % (docs/aws-behaviour.md §1.9).
pub const DEFAULT_TARGET_CAPACITY: f64 = 100.0;
/// Managed scaling `minimum_scaling_step_size`: 1 (docs/aws-behaviour.md
/// §1.9).
pub const DEFAULT_MIN_STEP: u32 = 1;
/// Managed scaling `maximum_scaling_step_size`: 10000
/// (docs/aws-behaviour.md §1.9).
pub const DEFAULT_MAX_STEP: u32 = 10_000;
/// Managed scaling `instance_warmup`: 300 s (docs/aws-behaviour.md §1.9).
pub const DEFAULT_INSTANCE_WARMUP: Nanos = 300 * NANOS_PER_SEC;
/// Service `queue_limit`: 100 waiting requests per task. Not an AWS setting
/// (it stands for the application server's accept queue); 100 is the figure
/// the project's design example of a scenario uses.
pub const DEFAULT_QUEUE_LIMIT: u32 = 100;
/// Service `cpu_per_request`: 0.0, requests do not load the CPU (pure
/// waiting, e.g. on a database) unless the file says so.
pub const DEFAULT_CPU_PER_REQUEST: f64 = 0.0;
/// `cluster.cpu_period`: 100 ms, the ECS agent's `ECS_CGROUP_CPU_PERIOD`
/// default; the agent accepts 8 ms to 100 ms.
pub const DEFAULT_CPU_PERIOD: Nanos = 100 * NANOS_PER_MILLI;
pub const MIN_CPU_PERIOD: Nanos = 8 * NANOS_PER_MILLI;
pub const MAX_CPU_PERIOD: Nanos = 100 * NANOS_PER_MILLI;
/// Service `startup_time`: 20 s from placement to ready for the first health
/// check (image already cached, small JVM/Node start). Not an AWS figure: a
/// modelling choice; AWS gives no typical start time (docs/aws-behaviour.md
/// §1.6).
pub const DEFAULT_STARTUP_TIME: Nanos = 20 * NANOS_PER_SEC;
/// `minimumHealthyPercent` 100 (REPLICA), docs/aws-behaviour.md §1.7 / §6.
pub const DEFAULT_MIN_HEALTHY_PERCENT: u32 = 100;
/// `maximumPercent` 200 (REPLICA), docs/aws-behaviour.md §1.7 / §6.
pub const DEFAULT_MAXIMUM_PERCENT: u32 = 200;
/// Service auto scaling cooldowns, 300 s each way (docs/aws-behaviour.md
/// §1.10: scale-in documented, scale-out assumed the same). The scale-out
/// cooldown is accepted but has no effect of its own: the scale-out test
/// (a larger desired count than now) already is the cooldown rule
/// (`crate::autoscale`).
pub const DEFAULT_SCALE_IN_COOLDOWN: Nanos = 300 * NANOS_PER_SEC;
pub const DEFAULT_SCALE_OUT_COOLDOWN: Nanos = 300 * NANOS_PER_SEC;
/// Health check interval 30 s (docs/aws-behaviour.md §2.2).
pub const DEFAULT_HC_INTERVAL: Nanos = 30 * NANOS_PER_SEC;
/// Health check timeout 5 s (docs/aws-behaviour.md §2.2).
pub const DEFAULT_HC_TIMEOUT: Nanos = 5 * NANOS_PER_SEC;
/// Healthy threshold 5 (docs/aws-behaviour.md §2.2). It governs recovery
/// from unhealthy, which the simulator has none of (a new target needs one
/// passing check; an unhealthy one is stopped), so it has no effect.
pub const DEFAULT_HEALTHY_THRESHOLD: u32 = 5;
/// Unhealthy threshold 2 (docs/aws-behaviour.md §2.2).
pub const DEFAULT_UNHEALTHY_THRESHOLD: u32 = 2;
/// Deregistration delay 300 s (docs/aws-behaviour.md §2.4).
pub const DEFAULT_DEREGISTRATION_DELAY: Nanos = 300 * NANOS_PER_SEC;
/// Custom instance type `arch`.
pub const DEFAULT_ARCH: &str = "x86_64";
/// `fail_instance` `host`.
pub const DEFAULT_HOST: &str = "random";
/// `spot_interruption` `count`.
pub const DEFAULT_SPOT_COUNT: u32 = 1;

// ---------------------------------------------------------------- the file

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Name used in reports. Default: the file name without `.toml`
    /// (`scenario` when the text did not come from a file).
    pub name: Option<Value>,
    /// Required: simulated time, a duration > 0 (`"2h"`).
    pub duration: Option<Value>,
    /// Default [`DEFAULT_SEED`]. Whole number ≥ 0.
    pub seed: Option<Value>,
    /// Reporting window. Default [`DEFAULT_WINDOW`]; > 0 and ≤ `duration`.
    pub window: Option<Value>,
    /// Required.
    pub cluster: Option<RawCluster>,
    /// Required, at least one.
    pub services: Option<Vec<RawService>>,
    /// Default: every field at its default.
    pub load_balancer: Option<RawLoadBalancer>,
    /// Required.
    pub traffic: Option<RawTraffic>,
    /// Default: none.
    pub events: Option<Vec<RawEvent>>,
    /// Default: no background failures.
    pub faults: Option<RawFaults>,
    /// Default: no objective.
    pub slo: Option<RawSlo>,
    /// `[plan]`: the search space of `dockmaster plan` (the plan crate
    /// reads and checks it); the simulator ignores it, so a planned
    /// scenario runs as it is.
    #[serde(rename = "plan")]
    pub _plan: Option<Value>,
}

/// `[cluster]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    /// Required: a name of the built-in catalogue (docs/aws-behaviour.md §5)
    /// or of `instance_types`.
    pub instance_type: Option<Value>,
    /// Required: at least one AZ name, no repeats.
    pub azs: Option<Vec<Value>>,
    /// Required.
    pub asg: Option<RawAsg>,
    /// `[[cluster.instance_types]]`: custom types that extend the catalogue,
    /// or replace a built-in entry of the same name. Default: none.
    pub instance_types: Option<Vec<RawInstanceType>>,
    /// The CFS period of task CPU quotas (the ECS agent's
    /// `ECS_CGROUP_CPU_PERIOD`). Default [`DEFAULT_CPU_PERIOD`]; 8 ms–100 ms.
    pub cpu_period: Option<Value>,
}

/// `[[cluster.instance_types]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstanceType {
    /// Required, non-empty.
    pub name: Option<Value>,
    /// Required, whole number ≥ 1; registers vCPU × 1024 CPU units.
    pub vcpu: Option<Value>,
    /// Required: nominal memory, MiB.
    pub memory: Option<Value>,
    /// Required: USD per hour, ≥ 0.
    pub price_per_hour: Option<Value>,
    /// MiB the container instance registers. Default: 96 % of `memory`,
    /// rounded down (docs/aws-behaviour.md §1.2: 95–98 %).
    pub registered_memory: Option<Value>,
    /// `x86_64` or `arm64`. Default [`DEFAULT_ARCH`].
    pub arch: Option<Value>,
}

/// `[cluster.asg]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAsg {
    /// Required (as in the EC2 Auto Scaling API), 0 ≤ min ≤ max.
    pub min: Option<Value>,
    /// Required, 1 ≤ max ≤ 5000 (ECS: 5,000 container instances per cluster,
    /// docs/aws-behaviour.md §1.2).
    pub max: Option<Value>,
    /// Hosts InService at t = 0, min ≤ desired ≤ max (docs/aws-behaviour.md
    /// §3.1).
    /// Default: `min`, as the EC2 Auto Scaling API does.
    pub desired: Option<Value>,
    /// Default: lognormal, mean [`DEFAULT_LAUNCH_MEAN`], cv [`DEFAULT_LAUNCH_CV`].
    pub launch_time: Option<RawDist>,
    /// Default: no scaling policy (the group stays at `desired`, replacing
    /// failed hosts).
    pub scaling: Option<RawScaling>,
}

/// `cluster.asg.scaling`, tagged by `policy`.
#[derive(Debug, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawScaling {
    /// EC2 Auto Scaling target tracking.
    TargetTracking {
        /// Required: `cpu`, `cpu_reservation` or `memory_reservation`.
        metric: Option<Value>,
        /// Required: a percentage, 0 < target ≤ 100.
        target: Option<Value>,
    },
    /// ECS capacity-provider managed scaling (docs/aws-behaviour.md §1.9).
    Managed {
        /// 1–100 %. Default [`DEFAULT_TARGET_CAPACITY`].
        target_capacity: Option<Value>,
        /// 1–10000. Default [`DEFAULT_MIN_STEP`].
        minimum_scaling_step_size: Option<Value>,
        /// 1–10000, ≥ the minimum. Default [`DEFAULT_MAX_STEP`].
        maximum_scaling_step_size: Option<Value>,
        /// 0–10000 s. Default [`DEFAULT_INSTANCE_WARMUP`].
        instance_warmup: Option<Value>,
    },
}

/// A distribution of durations, tagged by `dist`.
#[derive(Debug, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawDist {
    Constant {
        /// Required duration.
        value: Option<Value>,
    },
    Exponential {
        /// Required duration > 0.
        mean: Option<Value>,
    },
    Lognormal {
        /// Required duration > 0.
        mean: Option<Value>,
        /// Required coefficient of variation > 0.
        cv: Option<Value>,
    },
    Gamma {
        /// Required duration > 0.
        mean: Option<Value>,
        /// Required coefficient of variation > 0.
        cv: Option<Value>,
    },
    Empirical {
        /// Required: a file of samples, relative to the scenario file's
        /// directory. Every field of every line is a sample: a number of
        /// seconds (like an ALB access log's `target_processing_time`) or a
        /// duration with a unit (`"40ms"`). An optional header line without
        /// numbers, blank lines and `#` comments are skipped.
        file: Option<Value>,
    },
}

/// `[[services]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// Required, unique among services.
    pub name: Option<Value>,
    /// Required: tasks running and healthy at t = 0, whole number ≥ 0.
    pub desired: Option<Value>,
    /// Required: ECS CPU units per task, 1 ≤ cpu ≤ the instance type's
    /// registered CPU.
    pub cpu: Option<Value>,
    /// Required: MiB per task (hard limit), 6 ≤ memory ≤ the instance type's
    /// registered memory (docs/aws-behaviour.md §1.1: minimum container
    /// memory 6 MiB).
    pub memory: Option<Value>,
    /// Required: requests a task serves at once, ≥ 1.
    pub concurrency: Option<Value>,
    /// Waiting requests per task before 503. Default [`DEFAULT_QUEUE_LIMIT`].
    pub queue_limit: Option<Value>,
    /// Required distribution.
    pub service_time: Option<RawDist>,
    /// Share of service time on CPU, 0..=1. Default [`DEFAULT_CPU_PER_REQUEST`].
    pub cpu_per_request: Option<Value>,
    /// How the task's `cpu` limits it. Default `"hard"`: on EC2 the ECS agent
    /// turns a task-level `cpu` into a CFS bandwidth quota (cpu/1024 vCPU per
    /// period), so a task never gets more than it reserved. `"shares"` is the
    /// container-level-only case: `cpu` is a relative weight (CpuShares) and
    /// idle host CPU may be borrowed.
    pub cpu_limit: Option<Value>,
    /// Placement → ready. Default [`DEFAULT_STARTUP_TIME`].
    pub startup_time: Option<Value>,
    /// Strategies in precedence order, at most 5 (docs/aws-behaviour.md §1.4).
    /// Default (absent or `[]`): the ECS service default, spread over
    /// `attribute:ecs.availability-zone`, then over instances —
    /// docs/aws-behaviour.md §1.4: with no strategy the scheduler balances
    /// this service's tasks per AZ, then per instance.
    pub placement: Option<Vec<RawStrategy>>,
    /// Binding constraints, at most 10 (docs/aws-behaviour.md §1.4). Default:
    /// none (ECS has no default constraint).
    pub constraints: Option<Vec<RawConstraint>>,
    /// Default 100 / 200 (docs/aws-behaviour.md §1.7).
    pub deployment: Option<RawDeployment>,
    /// Default: none (the service stays at `desired`).
    pub autoscaling: Option<RawAutoscaling>,
    /// The service's own objectives, beside the fleet's `[slo]`.
    pub slo: Option<RawSlo>,
}

/// A placement strategy, tagged by `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawStrategy {
    Spread {
        /// Required: `instanceId` (or `host`), or `attribute:ecs.availability-zone`,
        /// `attribute:ecs.instance-type`, `attribute:ecs.cpu-architecture`.
        field: Option<Value>,
    },
    Binpack {
        /// Required: `cpu` or `memory`.
        field: Option<Value>,
    },
    Random {},
}

/// A placement constraint, tagged by `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum RawConstraint {
    DistinctInstance {},
    MemberOf {
        /// Required cluster query expression (see `expr.rs`).
        expression: Option<Value>,
    },
}

/// `deployment = { ... }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeployment {
    /// 0..=100. Default [`DEFAULT_MIN_HEALTHY_PERCENT`].
    pub minimum_healthy_percent: Option<Value>,
    /// ≥ 100 and > minimum_healthy_percent. Default [`DEFAULT_MAXIMUM_PERCENT`].
    pub maximum_percent: Option<Value>,
}

/// `autoscaling = { ... }`: Application Auto Scaling target tracking.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscaling {
    /// Required: `cpu`, `memory` or `requests_per_target`.
    pub metric: Option<Value>,
    /// Required: > 0; a percentage ≤ 100 for `cpu` and `memory`, requests
    /// per target per minute for `requests_per_target`.
    pub target: Option<Value>,
    /// Required task count, ≤ max.
    pub min: Option<Value>,
    /// Required task count ≥ 1.
    pub max: Option<Value>,
    /// Default [`DEFAULT_SCALE_IN_COOLDOWN`].
    pub scale_in_cooldown: Option<Value>,
    /// Default [`DEFAULT_SCALE_OUT_COOLDOWN`].
    pub scale_out_cooldown: Option<Value>,
}

/// `[load_balancer]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancer {
    /// `round_robin` (default, docs/aws-behaviour.md §2.1),
    /// `least_outstanding_requests` or `weighted_random`.
    pub algorithm: Option<Value>,
    /// Default: every field at its AWS default.
    pub health_check: Option<RawHealthCheck>,
    /// 0–3600 s. Default [`DEFAULT_DEREGISTRATION_DELAY`].
    pub deregistration_delay: Option<Value>,
}

/// `health_check = { ... }`, with the target-group ranges of
/// docs/aws-behaviour.md §2.2.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    /// 5–300 s. Default [`DEFAULT_HC_INTERVAL`].
    pub interval: Option<Value>,
    /// 2–120 s, less than `interval`. Default [`DEFAULT_HC_TIMEOUT`].
    pub timeout: Option<Value>,
    /// 2–10. Default [`DEFAULT_HEALTHY_THRESHOLD`].
    pub healthy_threshold: Option<Value>,
    /// 2–10. Default [`DEFAULT_UNHEALTHY_THRESHOLD`].
    pub unhealthy_threshold: Option<Value>,
}

/// `[traffic]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    /// `poisson` (default) or `uniform`.
    pub arrivals: Option<Value>,
    /// Required, at least one point, `at` strictly increasing.
    pub profile: Option<Vec<RawProfilePoint>>,
    /// Default: one service gets everything; several share equally.
    pub mix: Option<Vec<RawMixEntry>>,
}

/// `{ at = "30m", rps = 500 }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfilePoint {
    /// Required time within the scenario duration.
    pub at: Option<Value>,
    /// Required requests per second ≥ 0.
    pub rps: Option<Value>,
}

/// `{ service = "web", weight = 0.7 }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMixEntry {
    /// Required: the name of a service.
    pub service: Option<Value>,
    /// Required, > 0. Weights are normalised to sum to 1.
    pub weight: Option<Value>,
}

/// `[[events]]`, tagged by `action`. Every action has `at` (required, a time
/// before the end of the scenario).
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawEvent {
    Deploy {
        at: Option<Value>,
        /// Required service name.
        service: Option<Value>,
    },
    FailInstance {
        at: Option<Value>,
        /// `"random"` (default) or a host id as the recording names it (`"i-0003"`).
        host: Option<Value>,
    },
    FailAz {
        at: Option<Value>,
        /// Required: one of `cluster.azs`.
        az: Option<Value>,
    },
    SpotInterruption {
        at: Option<Value>,
        /// Hosts that get the notice, ≥ 1. Default [`DEFAULT_SPOT_COUNT`].
        count: Option<Value>,
    },
    ScaleService {
        at: Option<Value>,
        /// Required service name.
        service: Option<Value>,
        /// Required new desired count.
        desired: Option<Value>,
    },
}

impl RawEvent {
    pub fn at(&self) -> &Option<Value> {
        match self {
            RawEvent::Deploy { at, .. }
            | RawEvent::FailInstance { at, .. }
            | RawEvent::FailAz { at, .. }
            | RawEvent::SpotInterruption { at, .. }
            | RawEvent::ScaleService { at, .. } => at,
        }
    }
}

/// `[faults]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaults {
    /// Mean time between failures of one host, > 0. Default: none.
    pub instance_mtbf: Option<Value>,
}

/// `[slo]`. Every objective is optional; absent means not judged.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub p50: Option<Value>,
    pub p90: Option<Value>,
    pub p99: Option<Value>,
    /// Errors / requests, 0..=1.
    pub error_rate: Option<Value>,
}

// ---------------------------------------------------------------- tags

pub const DIST_KINDS: &[&str] = &["constant", "exponential", "lognormal", "gamma", "empirical"];
pub const STRATEGY_KINDS: &[&str] = &["spread", "binpack", "random"];
pub const CONSTRAINT_KINDS: &[&str] = &["distinctInstance", "memberOf"];
pub const SCALING_POLICIES: &[&str] = &["target_tracking", "managed"];
pub const EVENT_ACTIONS: &[&str] = &[
    "deploy",
    "fail_instance",
    "fail_az",
    "spot_interruption",
    "scale_service",
];

// The parsing into these structs, with its problems, is `shape.rs`.
pub use super::shape::{quote, render};
