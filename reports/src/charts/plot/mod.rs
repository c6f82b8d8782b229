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
//!
//! `figure.rs` is what a chart says (axes, lines, bands, rules, bars,
//! markers, panels), `scale.rs` where things go (ranges, 1-2-5 and log
//! ticks, tick labels, the plotters coordinate), `svg.rs` the drawing.

use plotters::style::RGBColor;

mod figure;
mod scale;
mod svg;
#[cfg(test)]
mod tests;

pub(crate) use figure::{Axis, Band, Bars, Figure, Line, Marker, Panel, Rule};
pub(crate) use scale::{fmt_sig, group_digits, group_thousands, nice_floor, nice_step};
pub(crate) use svg::render;

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
