//! One replication of one candidate, reduced to what the plan decides on:
//! its cost and the actual value of every SLO objective.
//!
//! Replication `r` of every candidate runs with the seed `simulate
//! --replications` gives replication `r` (common random numbers: the
//! candidates see the same arrivals and draws, so their differences are
//! theirs, not the dice's), and the figures are computed as `simulate`
//! computes them, so `simulate --set ... --replications N` reproduces a
//! candidate's figures exactly.

use dockmaster_reports::Recording;
use dockmaster_sim::rng::replication_seed;
use dockmaster_sim::scenario::Scenario;

/// One objective of a candidate's scenario, as its recording checks it.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// `None`: the fleet's `[slo]`; else the service's `services[].slo`.
    pub service: Option<String>,
    /// `p50`, `p90`, `p99` (ms) or `error_rate` (fraction).
    pub name: String,
    pub target: f64,
}

impl Objective {
    /// "p99 ≤ 300 ms", "api p99 ≤ 300 ms", "error rate ≤ 0.1%".
    pub fn words(&self) -> String {
        let what = match self.name.as_str() {
            "error_rate" => format!("error rate ≤ {}%", trim(self.target * 100.0)),
            n => format!("{n} ≤ {} ms", trim(self.target)),
        };
        match &self.service {
            Some(s) => format!("{s} {what}"),
            None => what,
        }
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What one replication measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub cost_usd: f64,
    /// Each objective's actual value, in [`objectives`] order. A latency
    /// with nothing to measure counts as met (0) in an idle run and as
    /// missed (∞) when requests failed, as the SLO verdict has it.
    pub actual: Vec<f64>,
    /// The fleet's whole-run latency (ms): mean, p50, p90, p99, p99.9, max.
    pub latency_ms: [f64; 6],
    pub error_rate: f64,
}

/// The objectives of a scenario (the same for every replication).
pub fn objectives(rec: &Recording) -> Vec<Objective> {
    rec.slo_verdict()
        .checks
        .into_iter()
        .map(|c| Objective {
            service: c.service,
            name: c.name,
            target: c.target,
        })
        .collect()
}

/// Replication `r` of `sc`, and the objectives it was checked against.
pub fn replicate(sc: &Scenario, r: u32) -> (Sample, Vec<Objective>) {
    let rec = dockmaster_sim::engine::run(sc, replication_seed(sc.seed, r), &|_| {});
    let checks = rec.slo_verdict().checks;
    let lat = rec.latency();
    let sample = Sample {
        cost_usd: rec.cost_usd.unwrap_or(0.0),
        actual: checks
            .iter()
            .map(|c| match (c.actual.is_nan(), c.met) {
                (false, _) => c.actual,
                (true, true) => 0.0,
                (true, false) => f64::INFINITY,
            })
            .collect(),
        latency_ms: [
            lat.mean_ms,
            lat.p50_ms,
            lat.p90_ms,
            lat.p99_ms,
            lat.p999_ms,
            lat.max_ms,
        ],
        error_rate: rec.error_rate(),
    };
    (sample, objectives(&rec))
}
