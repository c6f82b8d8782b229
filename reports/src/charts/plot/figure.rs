//! What a chart says, before any pixel: axes, the series of each panel,
//! event markers, and the legend they make.

use super::Rgb;

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
pub(super) enum Swatch {
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
    pub(super) fn legend(&self) -> Vec<(String, Swatch)> {
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
