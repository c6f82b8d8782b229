//! The one renderer every chart goes through: a [`Figure`] (title, shared x
//! axis, stacked panels, event markers) drawn with plotters' SVG backend
//! into a string, with a legend of our own under the plot so that it never
//! hides data.
//!
//! ```text
//!  Figure ─┬─ title, subtitle
//!          ├─ Panel 1: y axis, bands, lines, rules, error bars, markers + labels
//!          ├─ Panel 2 ...                    (x tick labels on the last panel only)
//!          └─ legend rows: one swatch per line / band / rule / bars / marker kind
//! ```
//!
//! Values are in data units; a log axis is drawn by plotting `log10(v)` on a
//! linear plotters axis with our own ticks, so every chart has the same
//! concrete coordinate type and tick choice is ours (1-2-5 steps).

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(crate) type Rgb = RGBColor;

/// Chart width in px: fits a laptop screen next to nothing else.
pub(crate) const WIDTH: u32 = 1000;

const FONT: &str = "sans-serif";
// plotters writes font-size = size / 1.24 into the SVG; these give 20, 14,
// 13 and 12 px.
const TITLE_SIZE: f64 = 24.8;
const SUBTITLE_SIZE: f64 = 16.1;
const AXIS_TITLE_SIZE: f64 = 17.4;
const TICK_SIZE: f64 = 16.1;
const LEGEND_SIZE: f64 = 16.1;
const MARKER_LABEL_SIZE: f64 = 14.9;
/// Rough width of a character of the legend font (13 px sans-serif).
const LEGEND_CHAR_W: f64 = 7.0;
/// Rough width of a character of the marker label font (12 px).
const MARKER_CHAR_W: f64 = 6.5;

const LEFT_AREA: u32 = 84;
const RIGHT_MARGIN: u32 = 28;
const X_AXIS_AREA: u32 = 50;
const LEGEND_ROW: u32 = 22;
/// Gap under a panel that has another below it (room for tick labels).
const PANEL_GAP: u32 = 16;
/// Room above the first panel for event labels: three rows.
const MARKER_STRIP: u32 = 3 * MARKER_ROW as u32 + 6;
const MARKER_ROW: i32 = 15;
const LEGEND_SWATCH: i32 = 28;

pub(crate) const INK: Rgb = RGBColor(34, 34, 34);
const INK_SOFT: Rgb = RGBColor(90, 90, 90);
const GRID: Rgb = RGBColor(225, 225, 225);
const AXIS: Rgb = RGBColor(120, 120, 120);

/// One axis: title with unit, range (None: from the data), scale, ticks.
pub(crate) struct Axis {
    pub title: String,
    pub range: Option<(f64, f64)>,
    pub log: bool,
    /// Ticks at integers only (counts).
    pub integer: bool,
    /// Fixed ticks in data units; None: 1-2-5 ticks.
    pub ticks: Option<Vec<f64>>,
    /// Tick label of a data value; None: decimals from the tick step.
    pub format: Option<fn(f64) -> String>,
}

impl Axis {
    pub fn linear(title: impl Into<String>) -> Axis {
        Axis {
            title: title.into(),
            range: None,
            log: false,
            integer: false,
            ticks: None,
            format: None,
        }
    }
    pub fn log(title: impl Into<String>) -> Axis {
        Axis {
            log: true,
            ..Axis::linear(title)
        }
    }
    pub fn counts(title: impl Into<String>) -> Axis {
        Axis {
            integer: true,
            ..Axis::linear(title)
        }
    }
    pub fn range(mut self, lo: f64, hi: f64) -> Axis {
        self.range = Some((lo, hi));
        self
    }
    pub fn ticks(mut self, ticks: Vec<f64>, format: fn(f64) -> String) -> Axis {
        self.ticks = Some(ticks);
        self.format = Some(format);
        self
    }
}

/// A polyline through (x, y) points; NaN y values leave gaps.
pub(crate) struct Line {
    pub label: String,
    pub color: Rgb,
    pub width: u32,
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

impl Line {
    pub fn new(label: impl Into<String>, color: Rgb, points: Vec<(f64, f64)>) -> Line {
        Line {
            label: label.into(),
            color,
            width: 2,
            dashed: false,
            points,
        }
    }
    pub fn width(mut self, w: u32) -> Line {
        self.width = w;
        self
    }
    pub fn dashed(mut self) -> Line {
        self.dashed = true;
        self
    }
}

/// A shaded band between `lo` and `hi` over (x, lo, hi) points.
pub(crate) struct Band {
    pub label: String,
    pub color: Rgb,
    pub points: Vec<(f64, f64, f64)>,
}

/// A dashed horizontal reference line (an SLO target), labelled at its
/// right end.
pub(crate) struct Rule {
    pub label: String,
    pub color: Rgb,
    pub y: f64,
}

/// Vertical intervals (x, lo, hi) with caps: confidence intervals.
pub(crate) struct Bars {
    pub label: String,
    pub color: Rgb,
    pub bars: Vec<(f64, f64, f64)>,
}

/// A vertical line at `x` across every panel (an event), with an optional
/// short label at the top of the first panel. `kind` names its legend entry.
#[derive(Clone, Debug)]
pub(crate) struct Marker {
    pub x: f64,
    pub label: Option<String>,
    pub color: Rgb,
    pub kind: &'static str,
}

/// One plot area with its own y axis.
pub(crate) struct Panel {
    pub y: Axis,
    pub height: u32,
    pub lines: Vec<Line>,
    pub bands: Vec<Band>,
    pub rules: Vec<Rule>,
    pub bars: Vec<Bars>,
    /// A short grey remark printed in the panel ("no failed requests").
    pub note: Option<String>,
}

impl Panel {
    pub fn new(y: Axis, height: u32) -> Panel {
        Panel {
            y,
            height,
            lines: Vec::new(),
            bands: Vec::new(),
            rules: Vec::new(),
            bars: Vec::new(),
            note: None,
        }
    }
}

/// A whole chart: stacked panels sharing the x axis.
pub(crate) struct Figure {
    pub title: String,
    pub subtitle: Option<String>,
    pub x: Axis,
    pub panels: Vec<Panel>,
    pub markers: Vec<Marker>,
}

/// A legend entry, in drawing order.
enum Swatch {
    Line {
        color: Rgb,
        width: u32,
        dashed: bool,
    },
    Band(Rgb),
    Rule(Rgb),
    Bars(Rgb),
    Marker(Rgb),
}

impl Figure {
    /// Legend entries (label, swatch), first occurrence of each label.
    fn legend(&self) -> Vec<(String, Swatch)> {
        let mut out: Vec<(String, Swatch)> = Vec::new();
        let mut push = |label: &str, s: Swatch| {
            if !label.is_empty() && !out.iter().any(|(l, _)| l == label) {
                out.push((label.to_string(), s));
            }
        };
        for p in &self.panels {
            for l in &p.lines {
                push(
                    &l.label,
                    Swatch::Line {
                        color: l.color,
                        width: l.width,
                        dashed: l.dashed,
                    },
                );
            }
            for b in &p.bands {
                push(&b.label, Swatch::Band(b.color));
            }
            for r in &p.rules {
                push(&r.label, Swatch::Rule(r.color));
            }
            for b in &p.bars {
                push(&b.label, Swatch::Bars(b.color));
            }
        }
        for m in &self.markers {
            push(m.kind, Swatch::Marker(m.color));
        }
        out
    }

    /// Every legend label: what a reader (and a test) finds in the chart.
    pub fn labels(&self) -> Vec<String> {
        self.legend().into_iter().map(|(l, _)| l).collect()
    }
}

/// Ticks and transform of one axis once its range is known.
struct Scale {
    log: bool,
    lo: f64,
    hi: f64,
    /// In plot units (log10 for a log axis).
    ticks: Vec<f64>,
    step: f64,
}

impl Scale {
    fn to_plot(&self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    }
    fn plot_range(&self) -> (f64, f64) {
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
fn linear_ticks(lo: f64, hi: f64, target: usize, integer: bool) -> (Vec<f64>, f64) {
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
fn fitting_ticks(lo: f64, hi: f64, target: usize, integer: bool) -> (Vec<f64>, f64) {
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
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
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

fn nice_ceil(x: f64) -> f64 {
    nice_step(x)
}

fn resolve(axis: &Axis, data: &[f64], target: usize) -> Scale {
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
struct Coord {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
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

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Coord, Coord>>;
/// Pixel x of each marker (None: off the axis), plot top, plot right.
type PanelPixels = (Vec<Option<i32>>, i32, i32);
type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn text_style(size: f64, color: Rgb) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, size).into_font(),
        color: color.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

/// Splits `points` at NaN/infinite y values into drawable runs.
fn runs(points: &[(f64, f64)], to_y: impl Fn(f64) -> f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for &(x, y) in points {
        if x.is_finite() && y.is_finite() {
            cur.push((x, to_y(y)));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Legend layout: the items of each row, wrapped at `width` px.
fn legend_rows(items: &[(String, Swatch)], width: i32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (i, (label, _)) in items.iter().enumerate() {
        let w = item_width(label);
        if rows.is_empty() || used + w > width {
            rows.push(Vec::new());
            used = 0;
        }
        rows.last_mut().expect("a row was pushed").push(i);
        used += w;
    }
    rows
}

fn item_width(label: &str) -> i32 {
    LEGEND_SWATCH + 8 + (label.chars().count() as f64 * LEGEND_CHAR_W) as i32 + 22
}

/// Renders a figure to an SVG document (a string).
pub(crate) fn render(fig: &Figure) -> Result<String, String> {
    let legend = fig.legend();
    let legend_width = (WIDTH - LEFT_AREA - RIGHT_MARGIN) as i32;
    let rows = legend_rows(&legend, legend_width);
    let title_h: u32 = if fig.subtitle.is_some() { 58 } else { 40 };
    let gaps = PANEL_GAP * (fig.panels.len().max(1) as u32 - 1);
    let panels_h: u32 = fig.panels.iter().map(|p| p.height).sum::<u32>() + gaps + X_AXIS_AREA;
    let legend_h = rows.len() as u32 * LEGEND_ROW + 14;
    let strip_h = if fig.markers.iter().any(|m| m.label.is_some()) {
        MARKER_STRIP
    } else {
        0
    };
    let height = title_h + strip_h + panels_h + legend_h;

    let x_data: Vec<f64> = fig
        .panels
        .iter()
        .flat_map(|p| p.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)))
        .collect();
    let x_scale = resolve(&fig.x, &x_data, 12);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw_figure(fig, &root, &x_scale, &legend, &rows, title_h, strip_h)
            .map_err(|e| format!("drawing {}: {e}", fig.title))?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw_figure(
    fig: &Figure,
    root: &Area<'_>,
    x_scale: &Scale,
    legend: &[(String, Swatch)],
    rows: &[Vec<usize>],
    title_h: u32,
    strip_h: u32,
) -> DrawResult {
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        fig.title.clone(),
        (LEFT_AREA as i32 - 60, 10),
        TextStyle {
            font: (FONT, TITLE_SIZE, FontStyle::Bold).into_font(),
            ..text_style(TITLE_SIZE, INK)
        },
    ))?;
    if let Some(sub) = &fig.subtitle {
        root.draw(&Text::new(
            sub.clone(),
            (LEFT_AREA as i32 - 60, 36),
            text_style(SUBTITLE_SIZE, INK_SOFT).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
    }
    let (_, mut rest) = root.split_vertically(title_h + strip_h);
    let n = fig.panels.len();
    for (i, panel) in fig.panels.iter().enumerate() {
        let last = i + 1 == n;
        let h = panel.height + if last { X_AXIS_AREA } else { PANEL_GAP };
        let (area, next) = rest.split_vertically(h);
        rest = next;
        let (xs, plot_top, plot_right) = draw_panel(fig, panel, &area, x_scale, last)?;
        if i == 0 && strip_h > 0 {
            draw_marker_labels(fig, root, &xs, title_h as i32, plot_top, plot_right)?;
        }
    }
    draw_legend(&rest, legend, rows)
}

/// Draws one panel; returns the absolute pixel x of each marker (None when
/// off the axis), the top and the right edge of its plotting area.
fn draw_panel(
    fig: &Figure,
    panel: &Panel,
    area: &Area<'_>,
    x_scale: &Scale,
    last: bool,
) -> Result<PanelPixels, DrawingAreaErrorKind<std::io::Error>> {
    let mut y_data: Vec<f64> = Vec::new();
    for l in &panel.lines {
        y_data.extend(l.points.iter().map(|p| p.1));
    }
    for b in &panel.bands {
        y_data.extend(b.points.iter().flat_map(|p| [p.1, p.2]));
    }
    y_data.extend(panel.rules.iter().map(|r| r.y));
    for b in &panel.bars {
        y_data.extend(b.bars.iter().flat_map(|p| [p.1, p.2]));
    }
    let target = ((panel.height / 55) as usize).clamp(3, 8);
    let y_scale = resolve(&panel.y, &y_data, target);
    let (x0, x1) = x_scale.plot_range();
    let (y0, y1) = y_scale.plot_range();

    let mut chart: Chart<'_, '_> = ChartBuilder::on(area)
        .margin_top(8)
        .margin_bottom(if last { 0 } else { PANEL_GAP })
        .margin_left(12)
        .margin_right(RIGHT_MARGIN)
        .x_label_area_size(if last { X_AXIS_AREA } else { 0 })
        .y_label_area_size(LEFT_AREA)
        .build_cartesian_2d(
            Coord {
                lo: x0,
                hi: x1,
                ticks: x_scale.ticks.clone(),
            },
            Coord {
                lo: y0,
                hi: y1,
                ticks: y_scale.ticks.clone(),
            },
        )?;

    let fmt_x = |v: &f64| fmt_value(&fig.x, x_scale, *v);
    let fmt_y = |v: &f64| fmt_value(&panel.y, &y_scale, *v);
    chart
        .configure_mesh()
        .x_desc(if last { fig.x.title.as_str() } else { "" })
        .y_desc(panel.y.title.as_str())
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&fmt_y)
        .label_style(text_style(TICK_SIZE, INK_SOFT))
        .axis_desc_style(text_style(AXIS_TITLE_SIZE, INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS)
        .draw()?;

    let ty = |v: f64| y_scale.to_plot(v);
    let tx = |v: f64| x_scale.to_plot(v);

    for b in &panel.bands {
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64, f64)>, chart: &mut Chart<'_, '_>| -> DrawResult {
            if run.len() >= 2 {
                let mut pts: Vec<(f64, f64)> = run.iter().map(|p| (tx(p.0), ty(p.2))).collect();
                pts.extend(run.iter().rev().map(|p| (tx(p.0), ty(p.1))));
                chart.draw_series(std::iter::once(Polygon::new(
                    pts,
                    b.color.mix(0.18).filled(),
                )))?;
            }
            run.clear();
            Ok(())
        };
        for &p in &b.points {
            if p.0.is_finite() && p.1.is_finite() && p.2.is_finite() {
                run.push(p);
            } else {
                flush(&mut run, &mut chart)?;
            }
        }
        flush(&mut run, &mut chart)?;
    }

    // Event markers behind the data lines.
    for m in &fig.markers {
        let x = tx(m.x);
        if x < x0 || x > x1 {
            continue;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, y0), (x, y1)],
            m.color.mix(0.55).stroke_width(1),
        )))?;
    }

    for l in &panel.lines {
        let style = l.color.stroke_width(l.width);
        for run in runs(&l.points, ty) {
            let run: Vec<(f64, f64)> = run.into_iter().map(|(x, y)| (tx(x), y)).collect();
            if run.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(run[0], 2, l.color.filled())))?;
            } else if l.dashed {
                chart.draw_series(DashedLineSeries::new(run, 7, 4, style))?;
            } else {
                chart.draw_series(LineSeries::new(run, style))?;
            }
        }
    }

    let (px, py) = chart.plotting_area().get_pixel_range();
    // Text and error bars are drawn on the panel's area in pixels: plot
    // coordinates → absolute pixels (`abs`) → relative to the area (`rel`).
    let abs = |chart: &Chart<'_, '_>, x: f64, y: f64| chart.backend_coord(&(x, y));
    let (ax, ay) = area.get_base_pixel();
    let rel = |(x, y): (i32, i32)| (x - ax, y - ay);

    for r in &panel.rules {
        let y = ty(r.y);
        if y < y0 || y > y1 {
            continue;
        }
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, y), (x1, y)],
            8,
            5,
            r.color.stroke_width(2),
        ))?;
        let (_, py_rule) = rel(abs(&chart, x1, y));
        let (pxr, _) = rel((px.end, 0));
        area.draw(&Text::new(
            r.label.clone(),
            (pxr - 4, py_rule - 3),
            text_style(MARKER_LABEL_SIZE, r.color).pos(Pos::new(HPos::Right, VPos::Bottom)),
        ))?;
    }

    for b in &panel.bars {
        for &(x, lo, hi) in &b.bars {
            if !(lo.is_finite() && hi.is_finite()) {
                continue;
            }
            let (bx, blo) = rel(abs(&chart, tx(x), ty(lo)));
            let (_, bhi) = rel(abs(&chart, tx(x), ty(hi)));
            let style = b.color.stroke_width(2);
            area.draw(&PathElement::new(vec![(bx, blo), (bx, bhi)], style))?;
            area.draw(&PathElement::new(vec![(bx - 6, blo), (bx + 6, blo)], style))?;
            area.draw(&PathElement::new(vec![(bx - 6, bhi), (bx + 6, bhi)], style))?;
        }
    }

    if let Some(note) = &panel.note {
        let (l, t) = rel((px.start, py.start));
        let (r, _) = rel((px.end, 0));
        area.draw(&Text::new(
            note.clone(),
            ((l + r) / 2, t + 10),
            text_style(LEGEND_SIZE, INK_SOFT).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }

    let marker_xs = fig
        .markers
        .iter()
        .map(|m| {
            let x = tx(m.x);
            (x >= x0 && x <= x1).then(|| chart.backend_coord(&(x, y0)).0)
        })
        .collect();
    Ok((marker_xs, py.start, px.end))
}

/// Marker labels in the strip above the first panel, up to three rows,
/// each label in the first row (from the top) where it does not overlap the
/// previous label, with a thin connector down to the plot. A label that
/// fits nowhere is left out (its line stays). Labels sit to the right of
/// their line, or to the left near the right edge.
fn draw_marker_labels(
    fig: &Figure,
    root: &Area<'_>,
    xs: &[Option<i32>],
    strip_top: i32,
    plot_top: i32,
    plot_right: i32,
) -> DrawResult {
    const ROWS: usize = 3;
    let mut ends = [i32::MIN; ROWS];
    for (m, x) in fig.markers.iter().zip(xs) {
        let (Some(label), Some(mx)) = (&m.label, *x) else {
            continue;
        };
        let w = (label.chars().count() as f64 * MARKER_CHAR_W) as i32 + 4;
        let left_of_line = mx + 3 + w > plot_right + RIGHT_MARGIN as i32 - 4;
        let start = if left_of_line { mx - 3 - w } else { mx + 3 };
        let Some(row) = (0..ROWS).find(|&r| start > ends[r] + 6) else {
            continue;
        };
        ends[row] = start + w;
        let y = strip_top + 2 + row as i32 * MARKER_ROW;
        root.draw(&PathElement::new(
            vec![(mx, y + 2), (mx, plot_top)],
            m.color.mix(0.55).stroke_width(1),
        ))?;
        let (tx, anchor) = if left_of_line {
            (mx - 3, HPos::Right)
        } else {
            (mx + 3, HPos::Left)
        };
        root.draw(&Text::new(
            label.clone(),
            (tx, y),
            text_style(MARKER_LABEL_SIZE, m.color).pos(Pos::new(anchor, VPos::Top)),
        ))?;
    }
    Ok(())
}

fn fmt_value(axis: &Axis, scale: &Scale, plot_v: f64) -> String {
    let v = if scale.log {
        10f64.powf(plot_v)
    } else if plot_v.abs() < 1e-9 * (scale.hi - scale.lo).abs().max(1e-300) {
        0.0 // no "-0" from rounding
    } else {
        plot_v
    };
    match axis.format {
        Some(f) => f(v),
        None if scale.log => fmt_sig(v),
        None => fmt_tick(v, scale.step),
    }
}

fn draw_legend(area: &Area<'_>, items: &[(String, Swatch)], rows: &[Vec<usize>]) -> DrawResult {
    for (r, row) in rows.iter().enumerate() {
        let y = 8 + r as i32 * LEGEND_ROW as i32 + 8;
        let mut x = LEFT_AREA as i32;
        for &i in row {
            let (label, swatch) = &items[i];
            let (s0, s1) = (x, x + LEGEND_SWATCH);
            match *swatch {
                Swatch::Line {
                    color,
                    width,
                    dashed,
                } => {
                    let style = color.stroke_width(width.max(2));
                    if dashed {
                        area.draw(&PathElement::new(vec![(s0, y), (s0 + 10, y)], style))?;
                        area.draw(&PathElement::new(vec![(s0 + 15, y), (s1, y)], style))?;
                    } else {
                        area.draw(&PathElement::new(vec![(s0, y), (s1, y)], style))?;
                    }
                }
                Swatch::Band(color) => {
                    area.draw(&Rectangle::new(
                        [(s0, y - 6), (s1, y + 6)],
                        color.mix(0.25).filled(),
                    ))?;
                }
                Swatch::Rule(color) => {
                    let style = color.stroke_width(2);
                    area.draw(&PathElement::new(vec![(s0, y), (s0 + 8, y)], style))?;
                    area.draw(&PathElement::new(vec![(s0 + 12, y), (s0 + 20, y)], style))?;
                    area.draw(&PathElement::new(vec![(s0 + 24, y), (s1, y)], style))?;
                }
                Swatch::Bars(color) => {
                    let style = color.stroke_width(2);
                    let c = (s0 + s1) / 2;
                    area.draw(&PathElement::new(vec![(c, y - 7), (c, y + 7)], style))?;
                    area.draw(&PathElement::new(
                        vec![(c - 5, y - 7), (c + 5, y - 7)],
                        style,
                    ))?;
                    area.draw(&PathElement::new(
                        vec![(c - 5, y + 7), (c + 5, y + 7)],
                        style,
                    ))?;
                }
                Swatch::Marker(color) => {
                    let c = (s0 + s1) / 2;
                    area.draw(&PathElement::new(
                        vec![(c, y - 8), (c, y + 8)],
                        color.stroke_width(2),
                    ))?;
                }
            }
            area.draw(&Text::new(
                label.clone(),
                (s1 + 8, y),
                text_style(LEGEND_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += item_width(label);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(10.0), 10.0);
        assert_eq!(nice_floor(17.0), 10.0);
        assert_eq!(nice_floor(230.0), 200.0);
        assert_eq!(nice_floor(0.6), 0.5);
    }

    #[test]
    fn linear_ticks_cover_the_range() {
        let (t, step) = linear_ticks(0.0, 120.0, 12, false);
        assert_eq!(step, 10.0);
        assert_eq!(t.first(), Some(&0.0));
        assert_eq!(t.last(), Some(&120.0));
        let (t, step) = linear_ticks(0.0, 3.0, 8, true);
        assert_eq!(step, 1.0);
        assert_eq!(t, vec![0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn fixed_ranges_end_on_a_tick() {
        for (hi, step) in [
            (15.0, 1.0),
            (40.0, 5.0),
            (90.0, 10.0),
            (120.0, 10.0),
            (10.0, 1.0),
        ] {
            let (t, s) = fitting_ticks(0.0, hi, 12, false);
            assert_eq!((s, t.last().copied()), (step, Some(hi)), "range 0..{hi}");
        }
        // 0..13 has no 1-2-5 step ending on 13 with 4 to 16 intervals.
        assert_eq!(fitting_ticks(0.0, 13.0, 12, false).1, 1.0);
    }

    #[test]
    fn log_ticks_are_1_2_5() {
        assert_eq!(
            log_ticks(10.0, 500.0),
            vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        assert_eq!(
            log_ticks(0.1, 10_000.0),
            vec![0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0]
        );
    }

    #[test]
    fn tick_labels() {
        assert_eq!(fmt_tick(2.5, 0.5), "2.5");
        assert_eq!(fmt_tick(3000.0, 500.0), "3,000");
        assert_eq!(fmt_tick(300.0, 50.0), "300");
        assert_eq!(fmt_tick(30000.0, 5000.0), "30,000");
        assert_eq!(fmt_sig(0.2), "0.2");
        assert_eq!(fmt_sig(50.0), "50");
        assert_eq!(fmt_sig(2000.0), "2,000");
        assert_eq!(fmt_sig(1.5), "1.5");
        assert_eq!(group_thousands("-1234567.25"), "-1,234,567.25");
    }

    #[test]
    fn gaps_split_lines() {
        let r = runs(
            &[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 4.0)],
            |y| y,
        );
        assert_eq!(r, vec![vec![(0.0, 1.0)], vec![(2.0, 3.0), (3.0, 4.0)]]);
    }

    #[test]
    fn renders_an_svg_with_its_legend() {
        let mut p = Panel::new(Axis::log("latency (ms, log scale)"), 300);
        p.lines
            .push(Line::new("p50", RED, vec![(0.0, 10.0), (1.0, 12.0)]));
        p.rules.push(Rule {
            label: "SLO p99 ≤ 150 ms".into(),
            color: BLUE,
            y: 150.0,
        });
        let fig = Figure {
            title: "Latency <&>".into(),
            subtitle: None,
            x: Axis::linear("time since start (min)"),
            panels: vec![p],
            markers: vec![Marker {
                x: 0.5,
                label: Some("deploy api".into()),
                color: GREEN,
                kind: "deploy",
            }],
        };
        let svg = render(&fig).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Latency &lt;&amp;&gt;"));
        for l in [
            "p50",
            "SLO p99 ≤ 150 ms",
            "deploy api",
            "deploy",
            "time since start (min)",
        ] {
            assert!(svg.contains(l), "{l} missing");
        }
        assert!(svg.contains("<polyline"));
        assert_eq!(fig.labels(), vec!["p50", "SLO p99 ≤ 150 ms", "deploy"]);
    }
}
