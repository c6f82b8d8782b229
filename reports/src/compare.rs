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
use crate::recording::{
    new_histogram, LatencyStats, Recording, ReportError, ServiceWindow, Window,
};
use hdrhistogram::Histogram;
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
/// for the alignment, the steady rule and the verdict), the fleet's
/// requests and then each service's that both recordings name.
/// `differences` says how the runs differ in what they ran, as
/// [`like::differences`] words it (empty for like with like): this crate
/// does not read scenarios, so the caller compares them.
pub fn compare(
    sim: &Recording,
    measured: &Recording,
    tolerance: f64,
    differences: Vec<String>,
) -> Comparison {
    let mut notes = Vec::new();
    let fleet = judge(sim, measured, tolerance, Slice::fleet, Slice::fleet);
    if fleet.windows.is_empty() {
        notes.push(
            "no window starts at the same time in both recordings: nothing to compare".into(),
        );
    } else if fleet.overall.windows_steady == 0 {
        notes.push(format!(
            "no steady window (each needs {MIN_SAMPLES} successful responses on both sides, \
             and the first is warm-up): no verdict"
        ));
    }
    let mut services = Vec::new();
    for (i, m) in sim.meta.services.iter().enumerate() {
        let Some(j) = measured.meta.services.iter().position(|n| n.name == m.name) else {
            notes.push(format!(
                "service {} is only in the simulation: not compared on its own",
                m.name
            ));
            continue;
        };
        let s = judge(
            sim,
            measured,
            tolerance,
            |w| Slice::service(w, i),
            |w| Slice::service(w, j),
        );
        if s.overall.windows_steady == 0 && fleet.overall.windows_steady > 0 {
            notes.push(format!(
                "service {}: no steady window of its own (each needs {MIN_SAMPLES} successful \
                 responses on both sides): not judged on its own",
                m.name
            ));
        }
        services.push(ServiceComparison {
            name: m.name.clone(),
            windows: s.windows,
            overall: s.overall,
        });
    }
    for m in &measured.meta.services {
        if !sim.meta.services.iter().any(|n| n.name == m.name) {
            notes.push(format!(
                "service {} is only in the measurement: not compared on its own",
                m.name
            ));
        }
    }
    Comparison {
        tolerance,
        sim: SideInfo::of(sim),
        measured: SideInfo::of(measured),
        windows: fleet.windows,
        overall: fleet.overall,
        services,
        differences,
        notes,
        sim_steady: fleet.sim_steady,
        measured_steady: fleet.measured_steady,
    }
}

/// The requests of one window that a comparison looks at: the fleet's or
/// one service's.
struct Slice<'a> {
    ok: u64,
    errors: u64,
    sum_ns: u128,
    latency: &'a LatencyStats,
    /// Where its histogram is: decoded only for a steady window, the only
    /// ones pooled.
    of: Of<'a>,
}

enum Of<'a> {
    Fleet(&'a Window),
    Service(&'a ServiceWindow),
}

impl<'a> Slice<'a> {
    fn fleet(w: &'a Window) -> Slice<'a> {
        Slice {
            ok: w.ok,
            errors: w.errors_total(),
            sum_ns: w.sum_ns,
            latency: &w.latency,
            of: Of::Fleet(w),
        }
    }

    fn service(w: &'a Window, i: usize) -> Slice<'a> {
        let s = &w.services[i];
        Slice {
            ok: s.ok,
            errors: s.errors,
            sum_ns: s.sum_ns,
            latency: &s.latency,
            of: Of::Service(s),
        }
    }

    fn histogram(&self) -> Histogram<u64> {
        match self.of {
            Of::Fleet(w) => w.histogram(),
            Of::Service(s) => s.histogram(),
        }
    }
}

/// One stream of requests judged window by window and pooled.
struct Judged {
    windows: Vec<WindowComparison>,
    overall: Overall,
    sim_steady: Histogram<u64>,
    measured_steady: Histogram<u64>,
}

/// The steady rule, the per-window test and the pooled verdict applied to
/// the requests `sim_slice` and `meas_slice` pick out of each window.
fn judge<'a>(
    sim: &'a Recording,
    measured: &'a Recording,
    tolerance: f64,
    sim_slice: impl Fn(&'a Window) -> Slice<'a>,
    meas_slice: impl Fn(&'a Window) -> Slice<'a>,
) -> Judged {
    let by_start: BTreeMap<i64, usize> = measured
        .windows
        .iter()
        .enumerate()
        .map(|(i, w)| (key(w.t_start_s), i))
        .collect();
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
        let (sw, mw) = (sim_slice(sw), meas_slice(&measured.windows[mi]));
        let s = SideStats::new(sw.latency, sw.ok, sw.errors);
        let m = SideStats::new(mw.latency, mw.ok, mw.errors);
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
            sim_err += sw.errors;
            meas_err += mw.errors;
            sim_sum += sw.sum_ns;
            meas_sum += mw.sum_ns;
        }
        windows.push(WindowComparison {
            t_start_s: sim.windows[si].t_start_s,
            sim: s,
            measured: m,
            rel_error,
            error_rate_diff,
            skipped,
            pass,
        });
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
    Judged {
        windows,
        overall,
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
        if self.services.len() >= 2 {
            let _ = writeln!(
                s,
                "{:<12}{:>7}  {:>17}  {:>17}  {:>11}  verdict",
                "per service", "steady", "p50 sim/meas", "p99 sim/meas", "err rate Δ"
            );
            for c in &self.services {
                let o = &c.overall;
                let _ = writeln!(
                    s,
                    "  {:<10}{:>7}  {:>17}  {:>17}  {:>11}  {}",
                    c.name,
                    o.windows_steady,
                    format!("{}/{}", num(o.sim.p50_ms), num(o.measured.p50_ms)),
                    format!("{}/{}", num(o.sim.p99_ms), num(o.measured.p99_ms)),
                    signed_pp(o.error_rate_diff),
                    match (c.judged(), o.pass) {
                        (false, _) => "not judged",
                        (true, true) => "pass",
                        (true, false) => "FAIL",
                    }
                );
            }
        }
        let _ = write!(s, "verdict       {}", self.verdict_words());
        s
    }
}

impl Comparison {
    /// "PASS: ..." or "FAIL: " and what is off, the fleet first, then each
    /// failing service.
    pub fn verdict_words(&self) -> String {
        if self.pass() {
            return "PASS: the model matches the measurement within tolerance".to_string();
        }
        if self.overall.windows_steady == 0 {
            return "FAIL: no steady window to compare".to_string();
        }
        let mut why = off_by(&self.overall);
        for c in self.failing_services() {
            why.extend(
                off_by(&c.overall)
                    .into_iter()
                    .map(|w| format!("{} {w}", c.name)),
            );
        }
        format!("FAIL: {}", why.join(", "))
    }
}

/// What makes a pooled result fail, in words.
fn off_by(o: &Overall) -> Vec<String> {
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
    why
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
