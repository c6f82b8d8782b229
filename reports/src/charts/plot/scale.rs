//! Where things go: an axis's range and ticks once the data is known
//! (1-2-5 steps, decades on a log axis), tick labels, and the plotters
//! coordinate that puts grid lines exactly on our ticks.

use super::figure::Axis;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Ticks and transform of one axis once its range is known.
pub(super) struct Scale {
    pub(super) log: bool,
    pub(super) lo: f64,
    pub(super) hi: f64,
    /// In plot units (log10 for a log axis).
    pub(super) ticks: Vec<f64>,
    pub(super) step: f64,
}

impl Scale {
    pub(super) fn to_plot(&self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    }
    pub(super) fn plot_range(&self) -> (f64, f64) {
        (self.to_plot(self.lo), self.to_plot(self.hi))
    }
}

/// 1, 2 or 5 times a power of ten, the smallest such ≥ `x` (> 0).
pub(crate) fn nice_step(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= x * (1.0 - 1e-9) {
            return m * p;
        }
    }
    10.0 * p
}

/// Evenly spaced 1-2-5 ticks covering [lo, hi], about `target` of them.
pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize, integer: bool) -> (Vec<f64>, f64) {
    let mut step = nice_step((hi - lo) / target.max(1) as f64);
    if integer {
        step = step.max(1.0).round();
    }
    let first = (lo / step - 1e-9).ceil();
    let mut ticks = Vec::new();
    let mut k = first;
    while k * step <= hi + step * 1e-9 {
        ticks.push(k * step);
        k += 1.0;
        if ticks.len() > 100 {
            break;
        }
    }
    (ticks, step)
}

/// Ticks for a fixed range: among the 1-2-5 steps giving 4 to 16
/// intervals, one that lands on `hi` with a count nearest `target`;
/// plain [`linear_ticks`] when none does.
pub(super) fn fitting_ticks(lo: f64, hi: f64, target: usize, integer: bool) -> (Vec<f64>, f64) {
    let span = hi - lo;
    if span > 0.0 && lo == 0.0 {
        let base = nice_step(span / 16.0);
        let fits = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
            .iter()
            .map(|m| nice_step(base * m))
            .filter(|&step| !integer || step >= 1.0)
            .filter(|&step| {
                let n = span / step;
                (4.0..=16.0 + 1e-9).contains(&n) && (n - n.round()).abs() < 1e-9
            })
            .min_by(|a, b| {
                let d = |s: f64| ((span / s) - target as f64).abs();
                d(*a).total_cmp(&d(*b))
            });
        if let Some(step) = fits {
            return linear_ticks(lo, hi, (span / step).round() as usize, integer);
        }
    }
    linear_ticks(lo, hi, target, integer)
}

/// 1-2-5 ticks per decade (only powers of ten over more than 3 decades).
pub(super) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let d0 = lo.log10().floor() as i32;
    let d1 = hi.log10().ceil() as i32;
    let mults: &[f64] = if d1 - d0 > 3 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut out = Vec::new();
    for d in d0..=d1 {
        for m in mults {
            let v = m * 10f64.powi(d);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                out.push(v);
            }
        }
    }
    out
}

/// The largest 1-2-5 value ≤ x, the smallest ≥ x (x > 0).
pub(crate) fn nice_floor(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    for m in [5.0, 2.0, 1.0] {
        if m * p <= x * (1.0 + 1e-9) {
            return m * p;
        }
    }
    p
}

pub(super) fn nice_ceil(x: f64) -> f64 {
    nice_step(x)
}

pub(super) fn resolve(axis: &Axis, data: &[f64], target: usize) -> Scale {
    let finite = data.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = match axis.range {
        Some(r) => r,
        None if axis.log => {
            let pos: Vec<f64> = finite.filter(|v| *v > 0.0).collect();
            let mn = pos.iter().copied().fold(f64::INFINITY, f64::min);
            let mx = pos.iter().copied().fold(0.0, f64::max);
            if pos.is_empty() {
                (1.0, 10.0)
            } else {
                let hi = nice_ceil(mx * 1.15);
                // Over more than 3 decades only powers of ten are ticked:
                // start on one so that the bottom of the axis is labelled.
                let lo = if hi / mn > 1e3 {
                    10f64.powf(mn.log10().floor())
                } else {
                    nice_floor(mn)
                };
                (lo, if hi > lo { hi } else { lo * 10.0 })
            }
        }
        None => {
            let (mut mn, mut mx) = (f64::INFINITY, f64::NEG_INFINITY);
            for v in finite {
                mn = mn.min(v);
                mx = mx.max(v);
            }
            if !mn.is_finite() {
                (0.0, 1.0)
            } else {
                let lo = if mn >= 0.0 { 0.0 } else { mn * 1.08 };
                let hi = if mx <= 0.0 { 0.0 } else { mx * 1.08 };
                if hi - lo <= 0.0 {
                    (lo, lo + 1.0)
                } else {
                    (lo, hi)
                }
            }
        }
    };
    if axis.log {
        let ticks = match &axis.ticks {
            Some(t) => t.clone(),
            None => log_ticks(lo, hi),
        };
        Scale {
            log: true,
            lo,
            hi,
            ticks: ticks.iter().map(|v| v.log10()).collect(),
            step: 0.0,
        }
    } else {
        let (ticks, step) = match &axis.ticks {
            Some(t) => (t.clone(), 0.0),
            // A fixed range (a run's duration) reads best ending on a tick.
            None if axis.range.is_some() => fitting_ticks(lo, hi, target, axis.integer),
            None => linear_ticks(lo, hi, target, axis.integer),
        };
        // Let the axis end on a tick when the data leaves room for it.
        let hi = if axis.range.is_none() && step > 0.0 {
            (hi / step).ceil() * step
        } else {
            hi
        };
        let ticks = if axis.range.is_none() && step > 0.0 {
            linear_ticks(lo, hi, target, axis.integer).0
        } else {
            ticks
        };
        Scale {
            log: false,
            lo,
            hi,
            ticks,
            step,
        }
    }
}

/// A number for a tick label: decimals from the tick step, thousands
/// grouped (also 4-digit ones, so that one axis reads alike).
pub(crate) fn fmt_tick(v: f64, step: f64) -> String {
    let decimals = if step > 0.0 && step < 1.0 {
        (-step.log10().floor()) as usize
    } else {
        0
    };
    group_thousands(&format!("{v:.decimals$}"))
}

/// A value on a log axis: up to 3 significant digits, no trailing zeros.
pub(crate) fn fmt_sig(v: f64) -> String {
    if v >= 100.0 {
        group_thousands(&format!("{v:.0}"))
    } else {
        let decimals = (2 - v.log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// `12345.6` → `12,345.6`.
pub(crate) fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if int.len() <= 3 {
        return s.to_string();
    }
    format!("{sign}{}{frac}", group_digits(int))
}

/// A linear plotters axis over plot units whose grid lines and labels are
/// exactly our ticks (no light grid).
#[derive(Clone)]
pub(super) struct Coord {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<f64>,
}

impl Ranged for Coord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        let f = if span > 0.0 {
            (v - self.lo) / span
        } else {
            0.5
        };
        // Far outside values are clamped so pixel arithmetic cannot overflow.
        let f = if f.is_finite() {
            f.clamp(-4.0, 5.0)
        } else {
            0.0
        };
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks
                .iter()
                .copied()
                .filter(|t| *t >= self.lo - 1e-9 && *t <= self.hi + 1e-9)
                .collect()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// `1234567` → `1,234,567` (digits only).
pub(crate) fn group_digits(int: &str) -> String {
    let first = int.len() % 3;
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && i % 3 == first {
            out.push(',');
        }
        out.push(c);
    }
    out
}
