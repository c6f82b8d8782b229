//! The whole-run latency distribution, HdrHistogram style: latency against
//! percentile, with the x axis at `−log10(1 − q)` so that 90 %, 99 %,
//! 99.9 %, ... are evenly spaced and the tail gets the room.

use super::plot::{nice_floor, nice_step, Axis, Bars, Figure, Line, Panel};
use super::timeline::{slo_rules, BLUE, DARK};
use crate::recording::Recording;
use hdrhistogram::Histogram;

/// x position of quantile `q` (0 ≤ q < 1).
pub(crate) fn tail_x(q: f64) -> f64 {
    -(1.0 - q).log10()
}

/// How far right the percentile axis goes for `count` samples: the last
/// "nines" the data can support (99 % at least, 99.9999 % at most).
pub(crate) fn tail_max(count: u64) -> f64 {
    (count.max(1) as f64).log10().floor().clamp(2.0, 6.0)
}

/// Tick positions of the percentile axis up to `u_max`: 0, 50, 90, 99, ...
pub(crate) fn tail_ticks(u_max: f64) -> Vec<f64> {
    let mut t = vec![0.0, 2f64.log10()];
    let mut u = 1.0;
    while u <= u_max + 1e-9 {
        t.push(u);
        u += 1.0;
    }
    t
}

/// Label of a percentile-axis position: "0%", "50%", "99.9%".
pub(crate) fn tail_label(u: f64) -> String {
    let pct = 100.0 * (1.0 - 10f64.powf(-u));
    let decimals = (u.round() as i64 - 2).max(0) as usize;
    format!("{pct:.decimals$}%")
}

/// (x, latency ms) points of a µs histogram's percentile distribution,
/// x capped at `u_max` (the maximum lands on the right edge).
pub(crate) fn cdf_points(h: &Histogram<u64>, u_max: f64) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut pts = vec![(0.0, h.min() as f64 / 1000.0)];
    for v in h.iter_quantiles(8) {
        let q = v.quantile_iterated_to();
        let x = if q >= 1.0 {
            u_max
        } else {
            tail_x(q).min(u_max)
        };
        let y = h.highest_equivalent(v.value_iterated_to()) as f64 / 1000.0;
        match pts.last_mut() {
            // One point per x: the highest value reached there.
            Some(last) if (last.0 - x).abs() < 1e-9 => last.1 = last.1.max(y),
            _ => pts.push((x, y)),
        }
    }
    let max = h.max() as f64 / 1000.0;
    if pts.last().is_some_and(|p| p.0 < u_max) {
        pts.push((u_max, max));
    }
    pts
}

/// The y axis of a distribution chart of `hists`: log when the maximum is
/// more than 10 times the median (else the tail squashes the body against
/// the axis), linear from 0 otherwise. A log axis starts at the 1st
/// percentile (rounded down to 1-2-5), not at the minimum, which can sit
/// decades below everything else: [`clamp_to`] lays the lowest 1% (a few
/// pixels at the left edge) on the bottom of the axis. `keep` are values
/// that must stay on the axis (SLO targets).
pub(crate) fn latency_axis(hists: &[&Histogram<u64>], keep: &[f64]) -> Axis {
    let ms = |v: u64| v as f64 / 1000.0;
    let filled: Vec<&&Histogram<u64>> = hists.iter().filter(|h| !h.is_empty()).collect();
    let p50 = filled
        .iter()
        .map(|h| ms(h.value_at_quantile(0.5)))
        .fold(0.0, f64::max);
    let max = filled.iter().map(|h| ms(h.max())).fold(0.0, f64::max);
    if p50 > 0.0 && max / p50 > 10.0 {
        let p1 = filled
            .iter()
            .map(|h| ms(h.value_at_quantile(0.01)))
            .fold(f64::INFINITY, f64::min)
            .max(0.001);
        let lo = keep.iter().copied().fold(p1, f64::min);
        let hi = keep.iter().copied().fold(max, f64::max);
        let (mut lo, hi) = (nice_floor(lo), nice_step(hi * 1.15));
        if hi / lo > 1e3 {
            // Only powers of ten are ticked then: start on one.
            lo = 10f64.powf(lo.log10().floor());
        }
        Axis::log("latency (ms, log scale)").range(lo, hi)
    } else {
        Axis::linear("latency (ms)")
    }
}

/// Points with y below the axis's lower bound moved onto it.
pub(crate) fn clamp_to(axis: &Axis, points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    match axis.range {
        Some((lo, _)) if axis.log => points.into_iter().map(|(x, y)| (x, y.max(lo))).collect(),
        _ => points,
    }
}

pub(crate) fn percentile_axis(u_max: f64) -> Axis {
    Axis::linear("percentile (tail stretched: 90 %, 99 %, 99.9 % evenly spaced)")
        .range(0.0, u_max)
        .ticks(tail_ticks(u_max), tail_label)
}

pub(crate) fn latency_cdf(rec: &Recording, subtitle: &str) -> Option<(Figure, String)> {
    if rec.total.is_empty() {
        return None;
    }
    let u_max = tail_max(rec.total.len());
    let rules = slo_rules(rec);
    let targets: Vec<f64> = rules.iter().map(|r| r.y).collect();
    let axis = latency_axis(&[&rec.total], &targets);
    let points = clamp_to(&axis, cdf_points(&rec.total, u_max));
    let mut p = Panel::new(axis, 380);
    p.lines.push(Line::new("whole run", BLUE, points).width(3));
    p.rules = rules;
    if let Some(r) = &rec.replications {
        let l = &r.latency_ms;
        let bars: Vec<(f64, f64, f64)> =
            [(0.5, l.p50), (0.9, l.p90), (0.99, l.p99), (0.999, l.p999)]
                .into_iter()
                .map(|(q, ci)| (tail_x(q), ci.lo, ci.hi))
                .filter(|b| b.0 <= u_max + 1e-9)
                .collect();
        p.bars.push(Bars {
            label: format!("95% CI over {} replications", r.n),
            color: DARK,
            bars,
        });
    }
    let fig = Figure {
        title: format!(
            "Latency distribution, whole run ({} responses)",
            super::plot::group_thousands(&rec.total.len().to_string())
        ),
        subtitle: Some(subtitle.to_string()),
        x: percentile_axis(u_max),
        panels: vec![p],
        markers: Vec::new(),
    };
    let mut caption = "Every successful response of the run, from the merged histogram: the \
        latency at each percentile. The x axis stretches the tail, so the height of the curve \
        above 99% is the run's p99."
        .to_string();
    if rec.replications.is_some() {
        caption.push_str(
            " Error bars: each percentile's 95% confidence interval across replications.",
        );
    }
    Some((fig, caption))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_axis_labels() {
        assert_eq!(tail_label(0.0), "0%");
        assert_eq!(tail_label(2f64.log10()), "50%");
        assert_eq!(tail_label(1.0), "90%");
        assert_eq!(tail_label(2.0), "99%");
        assert_eq!(tail_label(3.0), "99.9%");
        assert_eq!(tail_label(5.0), "99.999%");
        assert_eq!(tail_max(50), 2.0);
        assert_eq!(tail_max(240_000), 5.0);
        assert_eq!(tail_ticks(3.0).len(), 5);
    }

    #[test]
    fn cdf_is_monotone_and_ends_at_the_max() {
        let mut h = crate::new_histogram();
        for v in 1..=10_000u64 {
            h.record(v * 10).unwrap();
        }
        let pts = cdf_points(&h, tail_max(h.len()));
        assert!(
            pts.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{pts:?}"
        );
        let last = pts.last().unwrap();
        assert_eq!(last.0, 4.0);
        assert!((last.1 - 100.0).abs() < 0.1, "{last:?}");
        // The point at 99% is the p99 (≈ 99 ms).
        let p99 = pts.iter().find(|p| (p.0 - 2.0).abs() < 0.05).unwrap();
        assert!((p99.1 - 99.0).abs() < 0.5, "{p99:?}");
    }
}
