//! The comparison charts: simulation (warm colours) over measurement (blues)
//! on one axis.
//!
//! | chart | shows |
//! |---|---|
//! | compare-latency | per-window p50 and p99 of both sides, the tolerance band around measured p99 |
//! | compare-cdf | both latency distributions of the steady windows |
//! | compare-error | per-window relative error of p50/p90/p99 against ±tolerance |

use super::distribution::{cdf_points, clamp_to, latency_axis, percentile_axis, tail_max};
use super::plot::{group_thousands, Axis, Band, Figure, Line, Panel, Rule};
use super::timeline::{
    source_word, time_unit, BLUE, DARK, GREEN, ORANGE, SKY, SLO_RED, VERMILLION,
};
use super::{finish, Chart};
use crate::comparison::Comparison;
use crate::recording::{ReportError, Source};

pub(crate) use super::timeline::trim;

pub(crate) fn source_name(s: Source) -> &'static str {
    source_word(s)
}

fn subtitle(c: &Comparison) -> String {
    format!(
        "sim: {} seed {} · measured: {} · {} common windows, {} steady · tolerance ±{}%",
        c.sim.scenario,
        c.sim.seed,
        c.measured.target.clone().unwrap_or_else(|| format!(
            "{} ({})",
            c.measured.scenario,
            source_word(c.measured.source)
        )),
        c.overall.windows_common,
        c.overall.windows_steady,
        trim(c.tolerance * 100.0)
    )
}

/// The charts of a comparison that have data, in `COMPARISON_CHARTS` order.
pub(crate) fn charts(c: &Comparison) -> Result<Vec<Chart>, ReportError> {
    let mut out = Vec::new();
    if let Some((fig, caption)) = latency(c) {
        out.push(finish("compare-latency", caption, fig)?);
    }
    if let Some((fig, caption)) = cdf(c) {
        out.push(finish("compare-cdf", caption, fig)?);
    }
    if let Some((fig, caption)) = error(c) {
        out.push(finish("compare-error", caption, fig)?);
    }
    Ok(out)
}

/// (unit, title, x of each common window, end of the axis).
fn time_axis(c: &Comparison) -> (f64, &'static str, Vec<f64>, f64) {
    let w = c.sim.window_s;
    let end = c.windows.last().map_or(w, |x| x.t_start_s + w);
    let (unit, title) = time_unit(end);
    let xs = c
        .windows
        .iter()
        .map(|x| (x.t_start_s + w / 2.0) / unit)
        .collect();
    (unit, title, xs, end / unit)
}

fn latency(c: &Comparison) -> Option<(Figure, String)> {
    if c.windows
        .iter()
        .all(|w| w.sim.ok == 0 && w.measured.ok == 0)
    {
        return None;
    }
    let (_, title, xs, end) = time_axis(c);
    let pts = |f: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
        xs.iter().enumerate().map(|(i, &x)| (x, f(i))).collect()
    };
    let w = &c.windows;
    let tol = c.tolerance;
    let mut p = Panel::new(Axis::log("latency (ms, log scale)"), 400);
    p.bands.push(Band {
        label: format!("measured p99 ± {}% (steady windows)", trim(tol * 100.0)),
        color: BLUE,
        points: xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let m = w[i].measured.p99_ms;
                if w[i].skipped.is_none() {
                    (x, m * (1.0 - tol), m * (1.0 + tol))
                } else {
                    (x, f64::NAN, f64::NAN)
                }
            })
            .collect(),
    });
    p.lines = vec![
        Line::new("measured p99", BLUE, pts(&|i| w[i].measured.p99_ms)).width(3),
        Line::new("sim p99", VERMILLION, pts(&|i| w[i].sim.p99_ms)),
        Line::new("measured p50", SKY, pts(&|i| w[i].measured.p50_ms)).width(3),
        Line::new("sim p50", ORANGE, pts(&|i| w[i].sim.p50_ms)),
    ];
    let fig = Figure {
        title: "Simulated vs measured latency per window".into(),
        subtitle: Some(subtitle(c)),
        x: Axis::linear(title).range(0.0, end),
        panels: vec![p],
        markers: Vec::new(),
    };
    let caption = format!(
        "p50 and p99 of each window that starts at the same time in both recordings: blues \
         measured, oranges simulated. The shaded band is the measured p99 ± {}%: a simulated \
         p99 inside it is within tolerance. Gaps in the band are windows not judged (warm-up, \
         too few samples, cut short).",
        trim(tol * 100.0)
    );
    Some((fig, caption))
}

fn cdf(c: &Comparison) -> Option<(Figure, String)> {
    let (s, m) = (&c.sim_steady, &c.measured_steady);
    if s.is_empty() && m.is_empty() {
        return None;
    }
    let n = match (s.len(), m.len()) {
        (0, b) => b,
        (a, 0) => a,
        (a, b) => a.min(b),
    };
    let u_max = tail_max(n);
    let axis = latency_axis(&[s, m], &[]);
    let (sim_pts, meas_pts) = (
        clamp_to(&axis, cdf_points(s, u_max)),
        clamp_to(&axis, cdf_points(m, u_max)),
    );
    let mut p = Panel::new(axis, 380);
    p.lines = vec![
        Line::new(
            format!(
                "measured ({} responses)",
                group_thousands(&m.len().to_string())
            ),
            BLUE,
            meas_pts,
        )
        .width(3),
        Line::new(
            format!("sim ({} responses)", group_thousands(&s.len().to_string())),
            VERMILLION,
            sim_pts,
        ),
    ];
    let fig = Figure {
        title: "Latency distribution of the steady windows".into(),
        subtitle: Some(subtitle(c)),
        x: percentile_axis(u_max),
        panels: vec![p],
        markers: Vec::new(),
    };
    let caption = "Both latency distributions over the steady windows only (the ones the verdict \
        judges), on a stretched percentile axis: where the curves part is where the model and \
        the system disagree — in the body (p50) or in the tail (p99 and beyond)."
        .to_string();
    Some((fig, caption))
}

fn error(c: &Comparison) -> Option<(Figure, String)> {
    if c.overall.windows_steady == 0 {
        return None;
    }
    let (_, title, xs, end) = time_axis(c);
    let w = &c.windows;
    let pts = |f: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let e = if w[i].skipped.is_none() {
                    f(i) * 100.0
                } else {
                    f64::NAN
                };
                (x, e)
            })
            .collect()
    };
    let tol = c.tolerance * 100.0;
    let mut p = Panel::new(
        Axis::linear("relative error, (sim − measured) / measured (%)"),
        340,
    );
    p.lines = vec![
        Line::new("p50", BLUE, pts(&|i| w[i].rel_error.p50)),
        Line::new("p90", GREEN, pts(&|i| w[i].rel_error.p90)),
        Line::new("p99", VERMILLION, pts(&|i| w[i].rel_error.p99)),
    ];
    let reach = p
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1.abs()))
        .filter(|v| v.is_finite())
        .fold(tol * 1.6, f64::max)
        * 1.08;
    p.y = p.y.range(-reach, reach);
    p.rules = vec![
        Rule {
            label: format!("+{}% tolerance", trim(tol)),
            color: SLO_RED,
            y: tol,
        },
        Rule {
            label: format!("−{}% tolerance", trim(tol)),
            color: SLO_RED,
            y: -tol,
        },
    ];
    p.lines
        .push(Line::new("", DARK, vec![(0.0, 0.0), (end, 0.0)]).width(1));
    let fig = Figure {
        title: "Relative error per steady window".into(),
        subtitle: Some(subtitle(c)),
        x: Axis::linear(title).range(0.0, end),
        panels: vec![p],
        markers: Vec::new(),
    };
    let caption = format!(
        "How far the simulated percentiles are from the measured ones in each steady window \
         (above zero: the model predicts slower than measured). A window passes when all three \
         stay between the dashed lines (±{}%) and its error rates agree.",
        trim(tol)
    );
    Some((fig, caption))
}
