//! Simulation against measurement, window by window.
//!
//! ```text
//!  sim Recording ─┐  align windows on equal t_start_s   ┌► per-window figures, pass flags
//!                 ├─ (common starts only) ─ steady rule ┤
//!  measured ──────┘                                      └► pooled steady windows ► verdict
//! ```
//!
//! **Relative error** of a percentile: `(sim − measured) / measured`;
//! positive means the model predicts slower than measured.
//!
//! **Steady windows.** Only these are judged; the others are listed with
//! the reason they were skipped:
//! 1. the first common window is warm-up (empty pools, cold connections,
//!    JIT on the real side; an empty queue on the simulated side);
//! 2. a window with fewer than [`MIN_SAMPLES`] successful responses on
//!    either side is too thin: its p99 would be one of its largest few
//!    values;
//! 3. a window cut short by the end of either run is not comparable.
//!
//! **Verdict.** A steady window passes when its p50, p90 and p99 are each
//! within `tolerance` (relative to measured) and its error rates are close:
//! `|sim − measured| ≤ max(tolerance × measured rate, ERROR_RATE_SLACK)`.
//! The overall verdict applies the same test to the steady windows pooled
//! (their histograms merged, their counts summed); it needs at least one
//! steady window. The per-window pass share is reported beside it, not
//! folded into it: a 10 s window's p99 is noisy, the pooled one is not.

use crate::charts::{self, Chart, COMPARISON_CHARTS};
use crate::recording::{new_histogram, LatencyStats, Recording, ReportError, Source};
use crate::RunId;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

mod file;
pub mod like;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const COMPARISON_FILE: &str = "comparison.json";
pub const COMPARISON_HTML: &str = "comparison.html";

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
    fn of(r: &Recording) -> SideInfo {
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
    fn new(lat: &LatencyStats, ok: u64, errors: u64) -> SideStats {
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
    fn new(sim: &SideStats, measured: &SideStats) -> RelErrors {
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

/// The result of [`compare`].
#[derive(Clone, Debug)]
pub struct Comparison {
    pub tolerance: f64,
    pub sim: SideInfo,
    pub measured: SideInfo,
    pub windows: Vec<WindowComparison>,
    pub overall: Overall,
    /// How the recordings differ in what they ran: scenario content, seed,
    /// window length ([`like::differences`]). Empty for like with like;
    /// the command refuses otherwise, unless told to go on.
    pub differences: Vec<String>,
    /// Things the reader should know (no steady window, ...).
    pub notes: Vec<String>,
    /// Merged µs histograms of the steady windows of each side (the
    /// distribution chart).
    pub sim_steady: Histogram<u64>,
    pub measured_steady: Histogram<u64>,
}

fn key(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

fn error_rate_ok(diff: f64, measured_rate: f64, tolerance: f64) -> bool {
    diff.abs() <= (tolerance * measured_rate).max(ERROR_RATE_SLACK)
}

/// Compares `sim` with `measured` window by window (see the module docs
/// for the alignment, the steady rule and the verdict).
/// `differences` says how the runs differ in what they ran, as
/// [`like::differences`] words it (empty for like with like): this crate
/// does not read scenarios, so the caller compares them.
pub fn compare(
    sim: &Recording,
    measured: &Recording,
    tolerance: f64,
    differences: Vec<String>,
) -> Comparison {
    let by_start: BTreeMap<i64, usize> = measured
        .windows
        .iter()
        .enumerate()
        .map(|(i, w)| (key(w.t_start_s), i))
        .collect();
    let mut notes = Vec::new();
    let full = |r: &Recording, i: usize| r.window_duration_s(i) >= r.meta.window_s - 1e-9;

    let mut windows = Vec::new();
    let mut sim_hist = new_histogram();
    let mut meas_hist = new_histogram();
    let (mut sim_err, mut meas_err) = (0u64, 0u64);
    let (mut sim_sum, mut meas_sum) = (0u128, 0u128);
    for (si, sw) in sim.windows.iter().enumerate() {
        let Some(&mi) = by_start.get(&key(sw.t_start_s)) else {
            continue;
        };
        let mw = &measured.windows[mi];
        let s = SideStats::new(&sw.latency, sw.ok, sw.errors_total());
        let m = SideStats::new(&mw.latency, mw.ok, mw.errors_total());
        let rel_error = RelErrors::new(&s, &m);
        let error_rate_diff = s.error_rate - m.error_rate;
        let skipped = if windows.is_empty() {
            Some(Skip::WarmUp)
        } else if !full(sim, si) || !full(measured, mi) {
            Some(Skip::Partial)
        } else if sw.ok < MIN_SAMPLES || mw.ok < MIN_SAMPLES {
            Some(Skip::FewSamples)
        } else {
            None
        };
        let pass = skipped.is_none().then(|| {
            rel_error.worst() <= tolerance
                && error_rate_ok(error_rate_diff, m.error_rate, tolerance)
        });
        if skipped.is_none() {
            sim_hist
                .add(sw.histogram())
                .expect("histograms with equal bounds add");
            meas_hist
                .add(mw.histogram())
                .expect("histograms with equal bounds add");
            sim_err += sw.errors_total();
            meas_err += mw.errors_total();
            sim_sum += sw.sum_ns;
            meas_sum += mw.sum_ns;
        }
        windows.push(WindowComparison {
            t_start_s: sw.t_start_s,
            sim: s,
            measured: m,
            rel_error,
            error_rate_diff,
            skipped,
            pass,
        });
    }
    if windows.is_empty() {
        notes.push(
            "no window starts at the same time in both recordings: nothing to compare".into(),
        );
    }

    let s = SideStats::new(
        &LatencyStats::from_histogram(&sim_hist, sim_sum),
        sim_hist.len(),
        sim_err,
    );
    let m = SideStats::new(
        &LatencyStats::from_histogram(&meas_hist, meas_sum),
        meas_hist.len(),
        meas_err,
    );
    let rel_error = RelErrors::new(&s, &m);
    let error_rate_diff = s.error_rate - m.error_rate;
    let steady = windows.iter().filter(|w| w.skipped.is_none()).count();
    let latency_pass = steady > 0 && rel_error.worst() <= tolerance;
    let error_rate_pass = steady > 0 && error_rate_ok(error_rate_diff, m.error_rate, tolerance);
    if steady == 0 && !windows.is_empty() {
        notes.push(format!(
            "no steady window (each needs {MIN_SAMPLES} successful responses on both sides, \
             and the first is warm-up): no verdict"
        ));
    }
    let overall = Overall {
        sim: s,
        measured: m,
        rel_error,
        error_rate_diff,
        windows_common: windows.len(),
        windows_steady: steady,
        windows_passed: windows.iter().filter(|w| w.pass == Some(true)).count(),
        latency_pass,
        error_rate_pass,
        pass: latency_pass && error_rate_pass,
    };
    Comparison {
        tolerance,
        sim: SideInfo::of(sim),
        measured: SideInfo::of(measured),
        windows,
        overall,
        differences,
        notes,
        sim_steady: sim_hist,
        measured_steady: meas_hist,
    }
}

impl Comparison {
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

    /// The overlay charts (see [`COMPARISON_CHARTS`]).
    pub fn charts(&self) -> Result<Vec<Chart>, ReportError> {
        charts::overlay::charts(self)
    }

    /// A table for the terminal: the pooled figures, the window counts and
    /// the failing windows (at most ten).
    pub fn table(&self) -> String {
        let o = &self.overall;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "compare · sim {} (seed {}) vs measured {} ({}) · tolerance {}",
            self.sim.scenario,
            self.sim.seed,
            self.measured.scenario,
            match (&self.measured.target, self.measured.source) {
                (Some(t), _) => t.clone(),
                (None, src) => crate::charts::overlay::source_name(src).to_string(),
            },
            pct(self.tolerance)
        );
        for d in &self.differences {
            let _ = writeln!(s, "NOT LIKE WITH LIKE: {d}");
        }
        let _ = writeln!(
            s,
            "windows       {} common, {} steady, {} pass, {} fail",
            o.windows_common,
            o.windows_steady,
            o.windows_passed,
            o.windows_steady - o.windows_passed
        );
        let _ = writeln!(
            s,
            "{:<12}{:>12}{:>12}{:>10}",
            "steady", "sim", "measured", "rel err"
        );
        for (name, a, b, e) in [
            ("p50 ms", o.sim.p50_ms, o.measured.p50_ms, o.rel_error.p50),
            ("p90 ms", o.sim.p90_ms, o.measured.p90_ms, o.rel_error.p90),
            ("p99 ms", o.sim.p99_ms, o.measured.p99_ms, o.rel_error.p99),
        ] {
            let _ = writeln!(
                s,
                "{name:<12}{:>12}{:>12}{:>10}",
                num(a),
                num(b),
                signed_pct(e)
            );
        }
        let _ = writeln!(
            s,
            "{:<12}{:>12}{:>12}{:>10}",
            "error rate",
            rate(o.sim.error_rate),
            rate(o.measured.error_rate),
            signed_pp(o.error_rate_diff)
        );
        let failing: Vec<&WindowComparison> = self
            .windows
            .iter()
            .filter(|w| w.pass == Some(false))
            .collect();
        if !failing.is_empty() {
            let _ = writeln!(
                s,
                "failing windows{}:",
                if failing.len() > 10 {
                    format!(" (first 10 of {})", failing.len())
                } else {
                    String::new()
                }
            );
            let _ = writeln!(
                s,
                "  {:>8}  {:>17}  {:>17}  {:>9}",
                "t (s)", "p50 sim/meas", "p99 sim/meas", "err rate"
            );
            for w in failing.iter().take(10) {
                let _ = writeln!(
                    s,
                    "  {:>8}  {:>17}  {:>17}  {:>9}",
                    super::charts::overlay::trim(w.t_start_s),
                    format!("{}/{}", num(w.sim.p50_ms), num(w.measured.p50_ms)),
                    format!("{}/{}", num(w.sim.p99_ms), num(w.measured.p99_ms)),
                    signed_pp(w.error_rate_diff)
                );
            }
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        let _ = write!(
            s,
            "verdict       {}",
            if o.pass {
                "PASS: the model matches the measurement within tolerance".to_string()
            } else if o.windows_steady == 0 {
                "FAIL: no steady window to compare".to_string()
            } else {
                let mut why = Vec::new();
                if !o.latency_pass {
                    why.push(format!("latency off by up to {}", pct(o.rel_error.worst())));
                }
                if !o.error_rate_pass {
                    why.push(format!(
                        "error rate off by {}",
                        signed_pp(o.error_rate_diff)
                    ));
                }
                format!("FAIL: {}", why.join(", "))
            }
        );
        s
    }
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "–".into()
    }
}

/// An error rate: 3 decimals of a percent.
fn rate(x: f64) -> String {
    if x.is_finite() {
        format!("{:.3}%", x * 100.0)
    } else {
        "–".into()
    }
}

fn signed_pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", x * 100.0)
    } else {
        "–".into()
    }
}

/// A difference of two rates in percentage points.
fn signed_pp(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.3} pp", x * 100.0)
    } else {
        "–".into()
    }
}

#[cfg(test)]
mod tests;
