//! What a recording says about the scenario that produced it, typed: the
//! fleet, its services, the traffic and the scripted events, as far as the
//! report tells them.
//!
//! The simulator fills it from its validated scenario (defaults applied,
//! names resolved), so this crate never reads the scenario format itself:
//! a key renamed in the scenario file changes the one reader that owns it,
//! not a sentence of the report. Recordings written before it have none,
//! and their report then leaves the fleet's story out.
//!
//! Only what the report uses is here; a field the report does not print
//! would be a second copy of the scenario to keep in step for nothing.

use serde::{Deserialize, Serialize};

/// The scenario behind a recording, as its report tells it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    /// The scenario file's leading comment, its lines joined: its
    /// one-paragraph story ("A sale announced on the news: ..."). Empty
    /// when the file starts with a key.
    pub description: String,
    pub fleet: FleetSummary,
    /// In file order.
    pub services: Vec<ServiceSummary>,
    pub traffic: TrafficSummary,
    /// In the order they happen.
    pub events: Vec<EventSummary>,
}

/// The EC2 side: one instance type in an Auto Scaling group over AZs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetSummary {
    pub instance_type: String,
    pub azs: Vec<String>,
    pub asg_min: u32,
    pub asg_max: u32,
    pub asg_desired: u32,
    /// None: the group stays at desired.
    pub scaling: Option<ScalingPolicy>,
}

/// How the Auto Scaling group is scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalingPolicy {
    /// EC2 Auto Scaling target tracking.
    TargetTracking,
    /// An ECS capacity provider's managed scaling.
    Managed,
}

impl ScalingPolicy {
    /// In words: "target tracking", "managed".
    pub fn words(self) -> &'static str {
        match self {
            ScalingPolicy::TargetTracking => "target tracking",
            ScalingPolicy::Managed => "managed",
        }
    }
}

/// One ECS service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub name: String,
    /// Tasks at the start.
    pub desired: u32,
    /// Whether Service Auto Scaling changes `desired` during the run.
    pub autoscaled: bool,
}

/// The arrivals the scenario sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrafficSummary {
    pub arrivals: Arrivals,
    /// The lowest and highest rate of the profile, requests/s (equal for
    /// steady traffic).
    pub min_rps: f64,
    pub peak_rps: f64,
}

/// The arrival process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    Poisson,
    Uniform,
}

impl Arrivals {
    pub fn name(self) -> &'static str {
        match self {
            Arrivals::Poisson => "poisson",
            Arrivals::Uniform => "uniform",
        }
    }
}

/// A scripted event: what happens to whom, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Seconds from the start of the run.
    pub at_s: f64,
    pub action: EventAction,
    /// What it happens to: the service, the AZ, the host (`random` or an
    /// id), or the number of hosts.
    pub subject: String,
}

/// The scripted actions, as the scenario file names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    Deploy,
    FailInstance,
    FailAz,
    SpotInterruption,
    ScaleService,
}

impl EventAction {
    /// In words: "fail az", "spot interruption".
    pub fn words(self) -> &'static str {
        match self {
            EventAction::Deploy => "deploy",
            EventAction::FailInstance => "fail instance",
            EventAction::FailAz => "fail az",
            EventAction::SpotInterruption => "spot interruption",
            EventAction::ScaleService => "scale service",
        }
    }
}
