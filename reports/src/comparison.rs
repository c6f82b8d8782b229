//! A comparison of a simulated recording with a measured one, as data:
//! each side's figures per common window and pooled over the steady ones,
//! the relative errors and the verdict, with the rules that decide them in
//! words. `compare` computes it, `charts::overlay` draws it, `html` and
//! `compare/file.rs` write it; it depends on none of them.

use crate::recording::{LatencyStats, Recording, Source};
use crate::RunId;
use hdrhistogram::Histogram;

/// A steady window needs this many successful responses on each side.
pub const MIN_SAMPLES: u64 = 100;
/// Error rates within this absolute difference (0.1 percentage point)
/// always match: with error rates near zero a relative test is meaningless.
pub const ERROR_RATE_SLACK: f64 = 0.001;
/// Default `--tolerance`.
pub const DEFAULT_TOLERANCE: f64 = 0.15;

/// Which recording a side came from.
#[derive(Clone, Debug, PartialEq)]
pub struct SideInfo {
    pub scenario: String,
    pub source: Source,
    pub seed: u64,
    pub windows: usize,
    pub window_s: f64,
    pub target: Option<String>,
    /// The run id its files carry (`None`: older than run ids, or not read
    /// from files).
    pub run_id: Option<RunId>,
}

impl SideInfo {
    pub(crate) fn of(r: &Recording) -> SideInfo {
        SideInfo {
            run_id: r.run_id.clone(),
            scenario: r.meta.scenario.clone(),
            source: r.meta.source,
            seed: r.meta.seed,
            windows: r.windows.len(),
            window_s: r.meta.window_s,
            target: r.meta.target.clone(),
        }
    }
}

/// One side's figures over a window (or over the pooled steady windows).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SideStats {
    /// Successful responses.
    pub ok: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    /// errors / (ok + errors); 0 with no responses.
    pub error_rate: f64,
}

impl SideStats {
    pub(crate) fn new(lat: &LatencyStats, ok: u64, errors: u64) -> SideStats {
        let done = ok + errors;
        SideStats {
            ok,
            errors,
            p50_ms: lat.p50_ms,
            p90_ms: lat.p90_ms,
            p99_ms: lat.p99_ms,
            error_rate: if done == 0 {
                0.0
            } else {
                errors as f64 / done as f64
            },
        }
    }
}

/// `(sim − measured) / measured` of each percentile; NaN without data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RelErrors {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

impl RelErrors {
    pub(crate) fn new(sim: &SideStats, measured: &SideStats) -> RelErrors {
        let rel = |s: f64, m: f64| {
            if m > 0.0 && s.is_finite() && m.is_finite() {
                (s - m) / m
            } else {
                f64::NAN
            }
        };
        RelErrors {
            p50: rel(sim.p50_ms, measured.p50_ms),
            p90: rel(sim.p90_ms, measured.p90_ms),
            p99: rel(sim.p99_ms, measured.p99_ms),
        }
    }

    /// The largest |error|; infinite when one is NaN (cannot pass).
    pub fn worst(&self) -> f64 {
        [self.p50, self.p90, self.p99]
            .into_iter()
            .map(|e| if e.is_nan() { f64::INFINITY } else { e.abs() })
            .fold(0.0, f64::max)
    }
}

/// Why a common window is not judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    WarmUp,
    FewSamples,
    Partial,
}

impl Skip {
    pub fn name(self) -> &'static str {
        match self {
            Skip::WarmUp => "warm-up",
            Skip::FewSamples => "few samples",
            Skip::Partial => "partial window",
        }
    }
}

/// One window present in both recordings.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowComparison {
    pub t_start_s: f64,
    pub sim: SideStats,
    pub measured: SideStats,
    pub rel_error: RelErrors,
    /// sim − measured error rate.
    pub error_rate_diff: f64,
    /// Why it is not judged; None for a steady window.
    pub skipped: Option<Skip>,
    /// Pass flag of a steady window; None when skipped.
    pub pass: Option<bool>,
}

/// The pooled steady windows and the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Overall {
    pub sim: SideStats,
    pub measured: SideStats,
    pub rel_error: RelErrors,
    pub error_rate_diff: f64,
    /// Windows whose start is in both recordings.
    pub windows_common: usize,
    pub windows_steady: usize,
    pub windows_passed: usize,
    pub latency_pass: bool,
    pub error_rate_pass: bool,
    pub pass: bool,
}

/// One service's requests compared on their own.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceComparison {
    pub name: String,
    pub windows: Vec<WindowComparison>,
    pub overall: Overall,
}

impl ServiceComparison {
    /// Judged: it has a steady window of its own. A service with too few
    /// requests for one (each window needs [`MIN_SAMPLES`] successes on
    /// both sides) is shown, not judged: its verdict would be noise.
    pub fn judged(&self) -> bool {
        self.overall.windows_steady > 0
    }
}

/// The result of [`crate::compare::compare`].
#[derive(Clone, Debug)]
pub struct Comparison {
    pub tolerance: f64,
    pub sim: SideInfo,
    pub measured: SideInfo,
    pub windows: Vec<WindowComparison>,
    pub overall: Overall,
    /// Each service both recordings name, in the simulation's order: the
    /// same rules applied to its own requests (a slow service can hide
    /// behind a fast one in the fleet's figures).
    pub services: Vec<ServiceComparison>,
    /// How the recordings differ in what they ran: scenario content, seed,
    /// window length ([`crate::compare::like::differences`]). Empty for like with like;
    /// the command refuses otherwise, unless told to go on.
    pub differences: Vec<String>,
    /// Things the reader should know (no steady window, ...).
    pub notes: Vec<String>,
    /// Merged µs histograms of the steady windows of each side (the
    /// distribution chart).
    pub sim_steady: Histogram<u64>,
    pub measured_steady: Histogram<u64>,
}

impl Comparison {
    /// The verdict: the fleet passes ([`Overall::pass`]) and so does every
    /// judged service.
    pub fn pass(&self) -> bool {
        self.overall.pass && self.failing_services().next().is_none()
    }

    /// The judged services that do not pass.
    pub fn failing_services(&self) -> impl Iterator<Item = &ServiceComparison> {
        self.services
            .iter()
            .filter(|s| s.judged() && !s.overall.pass)
    }

    /// The verdict rule in one sentence.
    pub fn verdict_rule() -> &'static str {
        "the fleet's overall pass, and the same for each service with a steady window of its own"
    }

    /// The steady-window rule in one sentence.
    pub fn steady_rule() -> String {
        format!(
            "a window present in both recordings (same t_start_s) that is not the first one \
             (warm-up), is not cut short by the end of either run, and has at least \
             {MIN_SAMPLES} successful responses on each side"
        )
    }

    /// The per-window pass rule in one sentence.
    pub fn pass_rule(&self) -> String {
        format!(
            "|relative error| of p50, p90 and p99 each ≤ {}, and |error-rate difference| ≤ \
             max({} × measured error rate, {})",
            self.tolerance, self.tolerance, ERROR_RATE_SLACK
        )
    }
}
