//! The drawing: a [`Figure`] into an SVG string with plotters, panel by
//! panel, then the marker labels and the legend under the plot.

use super::figure::{Figure, Swatch};
use super::scale::{fmt_tick, resolve, Coord, Scale};
use super::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
pub(super) fn runs(points: &[(f64, f64)], to_y: impl Fn(f64) -> f64) -> Vec<Vec<(f64, f64)>> {
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
