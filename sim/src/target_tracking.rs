//! Target tracking's arithmetic and the state of its managed CloudWatch
//! alarms (docs/aws-behaviour.md §1.10, §3.2): plain values, no
//! `Simulation`. Apart from [`crate::autoscale`] (the `impl Simulation` that
//! measures the metrics and acts on them) so that the engine, which keeps
//! each policy's alarms in its run-time state, need not import autoscale:
//! `engine → target_tracking ← autoscale → engine`, no circle.

use crate::time::{Nanos, SimTime, NANOS_PER_SEC};

/// Datapoints above target before a scale-out (AlarmHigh: 3 of 3).
pub(crate) const HIGH_DATAPOINTS: u32 = 3;
/// Datapoints below the low threshold before a scale-in (AlarmLow: 15 of 15).
pub(crate) const LOW_DATAPOINTS: u32 = 15;
/// EC2 target tracking's AlarmLow threshold as a share of the target
/// (observed 50 → 35, 40 → 28; docs/aws-behaviour.md §3.2).
pub(crate) const ASG_LOW_FACTOR: f64 = 0.7;
/// Application Auto Scaling's AlarmLow threshold (observed 30 → 27;
/// docs/aws-behaviour.md §1.10).
pub(crate) const SERVICE_LOW_FACTOR: f64 = 0.9;
/// EC2 target tracking instance warm-up: EstimatedInstanceWarmup falls back
/// to DefaultCooldown, 300 s (docs/aws-behaviour.md §3.2).
pub(crate) const ASG_WARMUP: Nanos = 300 * NANOS_PER_SEC;
/// The period of a datapoint.
pub(crate) const MINUTE: Nanos = 60 * NANOS_PER_SEC;

/// Consecutive breaching datapoints of a policy's two alarms, AlarmHigh
/// and AlarmLow.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Alarms {
    pub high: u32,
    pub low: u32,
}

impl Alarms {
    /// One datapoint: AlarmHigh counts it when above `target`, AlarmLow
    /// when below `low`; a datapoint that does not breach an alarm resets
    /// its count. Returns the counts after it, (high, low).
    pub fn datapoint(&mut self, value: f64, target: f64, low: f64) -> (u32, u32) {
        self.high = if value > target { self.high + 1 } else { 0 };
        self.low = if value < low { self.low + 1 } else { 0 };
        (self.high, self.low)
    }
}

/// Consecutive breaching datapoints and the scale-in cooldown clock of a
/// Service Auto Scaling policy.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServicePolicy {
    pub alarms: Alarms,
    /// When the last scale-in happened (its cooldown runs from there).
    pub last_in: Option<SimTime>,
}

/// ⌈capacity × metric / target⌉, robust to float noise at exact ratios.
pub(crate) fn proportional(capacity: u32, metric: f64, target: f64) -> u32 {
    let x = capacity as f64 * metric / target;
    (x - 1e-9).ceil().max(0.0) as u32
}
