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
use crate::recording::{new_histogram, LatencyStats, Recording, ReportError};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// The data lives in `comparison`, which the charts and the page read too.
pub use crate::comparison::*;

mod file;
pub mod like;

pub use crate::staging::{COMPARISON_FILE, COMPARISON_HTML};

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
