//! The validated scenario: every value typed, every default applied, every
//! cross-reference resolved to an index. The simulator and the load generator
//! read only this; the raw TOML layer lives in `raw.rs`.

// The instance type is the catalogue's noun; re-exported so that
// `scenario::InstanceType` still names the type of `Cluster::instance_type`,
// while the imports go one way, scenario → catalogue.
pub use crate::catalogue::InstanceType;
use crate::time::Nanos;
use std::sync::Arc;

/// A scenario, validated. Built by [`crate::scenario::load`] /
/// [`crate::scenario::parse`].
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub duration: Nanos,
    pub seed: u64,
    /// Reporting window.
    pub window: Nanos,
    pub cluster: Cluster,
    pub services: Vec<Service>,
    pub load_balancer: LoadBalancer,
    pub traffic: Traffic,
    /// Scripted happenings, sorted by `at` (stable: file order among equal times).
    pub events: Vec<ScriptedEvent>,
    pub faults: Faults,
    pub slo: Slo,
    /// The TOML text the scenario was read from, kept so every recording can
    /// say exactly what produced it.
    pub source_text: String,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    /// The instance type the ASG launches (resolved from the built-in
    /// catalogue or from `[[cluster.instance_types]]`).
    pub instance_type: InstanceType,
    /// Availability zones, in file order. Hosts refer to them by index.
    pub azs: Vec<String>,
    pub asg: Asg,
    /// CFS bandwidth period of hard task CPU limits, ns (8–100 ms).
    pub cpu_period: Nanos,
}

#[derive(Clone, Debug)]
pub struct Asg {
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    /// Launch request → InService.
    pub launch_time: Dist,
    pub scaling: Option<AsgScaling>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AsgScaling {
    /// EC2 Auto Scaling target tracking.
    TargetTracking { metric: AsgMetric, target: f64 },
    /// ECS capacity-provider managed scaling (CapacityProviderReservation).
    Managed {
        target_capacity: f64,
        minimum_scaling_step_size: u32,
        maximum_scaling_step_size: u32,
        instance_warmup: Nanos,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsgMetric {
    /// Average host CPU utilisation, %.
    Cpu,
    /// ECS cluster CPU reservation, %.
    CpuReservation,
    /// ECS cluster memory reservation, %.
    MemoryReservation,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub desired: u32,
    /// ECS CPU units (1024 = 1 vCPU) reserved per task.
    pub cpu: u32,
    /// MiB reserved per task (hard limit).
    pub memory: u32,
    /// Requests a task serves at once (servers of its FCFS queue).
    pub concurrency: u32,
    /// Waiting places per task; a request finding them full gets 503.
    pub queue_limit: u32,
    pub service_time: Dist,
    /// Share of service time spent on CPU, 0..=1: a request drawing service
    /// time `s` needs `s × cpu_per_request` of CPU work (at one full vCPU),
    /// then waits `s × (1 − cpu_per_request)` off the CPU.
    pub cpu_per_request: f64,
    /// How the task's `cpu` units limit its CPU.
    pub cpu_limit: CpuLimit,
    /// Placement → running and ready for its first health check.
    pub startup_time: Nanos,
    /// Strategies in precedence order. Never empty: an absent list becomes
    /// ECS's service default (spread AZ, then spread instanceId).
    pub placement: Vec<PlacementStrategy>,
    pub constraints: Vec<PlacementConstraint>,
    pub deployment: Deployment,
    pub autoscaling: Option<ServiceAutoscaling>,
    /// The service's own objectives (`services[].slo`), judged on its
    /// requests alone.
    pub slo: Slo,
}

/// How ECS turns a task's `cpu` units into a kernel limit
/// (docs/aws-behaviour.md §1.1, §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuLimit {
    /// Task-level `cpu`: a CFS bandwidth quota of cpu/1024 vCPU per
    /// `cluster.cpu_period`. The task runs at full speed until the period's
    /// quota is spent, then waits for the next period.
    Hard,
    /// Container-level `cpu` only: Docker CpuShares. Idle host CPU goes to
    /// whoever wants it; under contention tasks get CPU in proportion to
    /// their `cpu` units.
    Shares,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

/// Instance attributes a strategy or constraint can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribute {
    /// `attribute:ecs.availability-zone`
    AvailabilityZone,
    /// `attribute:ecs.instance-type`
    InstanceType,
    /// `attribute:ecs.cpu-architecture`
    CpuArchitecture,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlacementStrategy {
    /// Least remaining of the resource that still fits.
    Binpack(Resource),
    /// Even spread of this service's tasks over instances.
    SpreadInstance,
    /// Even spread of this service's tasks over the values of an attribute.
    SpreadAttribute(Attribute),
    Random,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlacementConstraint {
    DistinctInstance,
    MemberOf(Expression),
}

/// A cluster query expression, the subset ECS users write in practice:
/// `attribute:ecs.availability-zone in [us-east-1a, us-east-1b]`,
/// `attribute:ecs.instance-type == m5.large`, `attribute:ecs.instance-type =~ t3.*`.
#[derive(Clone, Debug, PartialEq)]
pub struct Expression {
    pub attribute: Attribute,
    pub op: ExprOp,
    /// Operand values as written; for `=~` one glob pattern (`*` wildcard).
    pub values: Vec<String>,
    /// The text as written, for messages.
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExprOp {
    In,
    NotIn,
    Eq,
    Ne,
    Matches,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deployment {
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceAutoscaling {
    pub metric: ServiceMetric,
    pub target: f64,
    pub min: u32,
    pub max: u32,
    pub scale_in_cooldown: Nanos,
    pub scale_out_cooldown: Nanos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceMetric {
    /// ECSServiceAverageCPUUtilization, %.
    Cpu,
    /// ECSServiceAverageMemoryUtilization, %.
    Memory,
    /// ALBRequestCountPerTarget, requests per target per minute.
    RequestsPerTarget,
}

/// A distribution of durations (nanoseconds).
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant(Nanos),
    Exponential {
        mean: Nanos,
    },
    LogNormal {
        mean: Nanos,
        cv: f64,
    },
    Gamma {
        mean: Nanos,
        cv: f64,
    },
    /// Resampled uniformly from recorded samples (bootstrap).
    Empirical {
        file: String,
        samples: Arc<[Nanos]>,
    },
}

#[derive(Clone, Debug)]
pub struct LoadBalancer {
    pub algorithm: Algorithm,
    pub health_check: HealthCheck,
    pub deregistration_delay: Nanos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    LeastOutstandingRequests,
    WeightedRandom,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheck {
    pub interval: Nanos,
    pub timeout: Nanos,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

#[derive(Clone, Debug)]
pub struct Traffic {
    pub arrivals: ArrivalProcess,
    /// Piecewise-linear rate, points strictly increasing in `at`, flat after
    /// the last point and before the first.
    pub profile: Vec<ProfilePoint>,
    /// Share of the traffic each service receives; indices into
    /// `Scenario::services`, weights normalised to sum 1. A scenario with one
    /// service and no `mix` sends it everything; several services and no
    /// `mix` share equally.
    pub mix: Vec<MixEntry>,
}

impl Traffic {
    /// The share of the traffic that goes to `service` (0..=1).
    pub fn share(&self, service: usize) -> f64 {
        self.mix
            .iter()
            .filter(|m| m.service == service)
            .map(|m| m.weight)
            .sum()
    }

    /// The highest rate of the profile, requests/s.
    pub fn peak_rps(&self) -> f64 {
        self.profile.iter().map(|p| p.rps).fold(0.0, f64::max)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrivalProcess {
    Poisson,
    Uniform,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfilePoint {
    pub at: Nanos,
    pub rps: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MixEntry {
    pub service: usize,
    pub weight: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedEvent {
    pub at: Nanos,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Roll out a new revision of a service.
    Deploy {
        service: usize,
    },
    FailInstance {
        host: HostSelector,
    },
    FailAz {
        az: usize,
    },
    /// `count` random hosts get the 2-minute Spot notice.
    SpotInterruption {
        count: u32,
    },
    ScaleService {
        service: usize,
        desired: u32,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum HostSelector {
    Random,
    /// A host id as the recording names it (`i-0003`).
    Id(String),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Mean time between failures of one host (exponential), if set.
    pub instance_mtbf: Option<Nanos>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Slo {
    pub p50: Option<Nanos>,
    pub p90: Option<Nanos>,
    pub p99: Option<Nanos>,
    /// Errors / requests, 0..=1.
    pub error_rate: Option<f64>,
}
