//! Charts of a recording and of a comparison, as standalone SVG documents.
//!
//! ```text
//!  Recording (+ events) ─► timeline::{latency, throughput, capacity, utilisation}
//!                    ├──► services::latency_by_service       ─┐
//!                    └──► distribution::latency_cdf           │
//!  Comparison ─────────► overlay::{latency, cdf, error}       ├─► plot::Figure ──► SVG
//! ```
//!
//! Every chart has a title, axis titles with units, a legend under the
//! plot, 1-2-5 ticks and a colour-blind-safe palette (Okabe–Ito), and is
//! 1000 px wide. A chart whose series are all absent from the recording
//! (capacity for a load test, say) is not produced at all.

pub mod markers;
mod plot;

mod distribution;
mod frontier;
pub(crate) mod overlay;
mod services;
mod timeline;

pub(crate) use plot::group_digits;
pub(crate) use timeline::error_label;

use crate::recording::{Recording, ReportError};
use crate::RunId;
use std::path::{Path, PathBuf};

/// Sub-folder of a recording (or comparison) that holds the SVG files.
pub const CHARTS_DIR: &str = "charts";

/// The charts a recording can get, in page order (file stems).
pub const RECORDING_CHARTS: [&str; 6] = [
    "latency",
    "latency-services",
    "throughput",
    "capacity",
    "utilisation",
    "latency-cdf",
];

/// The charts of a comparison, in page order (file stems).
pub const COMPARISON_CHARTS: [&str; 3] = ["compare-latency", "compare-cdf", "compare-error"];

/// The charts of a plan (file stems).
pub const PLAN_CHARTS: [&str; 1] = ["plan-frontier"];

/// The plan's charts: cost against p99 for every simulated candidate.
pub fn plan_charts(plan: &crate::plan_view::PlanView) -> Result<Vec<Chart>, ReportError> {
    match frontier::frontier(plan) {
        Some((fig, caption)) => Ok(vec![finish("plan-frontier", caption, fig)?]),
        None => Ok(Vec::new()),
    }
}

/// One rendered chart.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File stem: `latency` is written to `charts/latency.svg`.
    pub name: &'static str,
    pub title: String,
    /// One or two sentences saying how to read it (for the HTML page).
    pub caption: String,
    /// The legend labels, in legend order.
    pub series: Vec<String>,
    /// A complete SVG document.
    pub svg: String,
}

impl Chart {
    pub fn file_name(&self) -> String {
        format!("{}.svg", self.name)
    }
}

fn finish(name: &'static str, caption: String, fig: plot::Figure) -> Result<Chart, ReportError> {
    let svg = plot::render(&fig).map_err(|detail| ReportError::Format {
        path: PathBuf::from(CHARTS_DIR).join(format!("{name}.svg")),
        detail,
    })?;
    Ok(Chart {
        name,
        title: fig.title.clone(),
        caption,
        series: fig.labels(),
        svg,
    })
}

/// Every chart that has data in `rec`, in [`RECORDING_CHARTS`] order.
/// The recording's notable events become markers on the time charts.
pub fn recording_charts(rec: &Recording) -> Result<Vec<Chart>, ReportError> {
    let ctx = timeline::Context::new(rec);
    let figures = [
        ("latency", timeline::latency(&ctx)),
        ("latency-services", services::latency_by_service(&ctx)),
        ("throughput", timeline::throughput(&ctx)),
        ("capacity", timeline::capacity(&ctx)),
        ("utilisation", timeline::utilisation(&ctx)),
        ("latency-cdf", distribution::latency_cdf(rec, &ctx.subtitle)),
    ];
    let mut out = Vec::new();
    for (name, fig) in figures {
        if let Some((fig, caption)) = fig {
            out.push(finish(name, caption, fig)?);
        }
    }
    Ok(out)
}

/// Writes `charts` as `dir/charts/NAME.svg` and removes the SVGs of
/// `known` charts that were not produced this time (a re-render must not
/// leave a stale chart behind). Returns the written paths.
pub fn write_charts(
    dir: &Path,
    charts: &[Chart],
    known: &[&str],
    run_id: &RunId,
) -> Result<Vec<PathBuf>, ReportError> {
    let cdir = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&cdir).map_err(|source| ReportError::Io {
        action: "create the folder",
        path: cdir.clone(),
        source,
    })?;
    let mut written = Vec::new();
    for c in charts {
        let p = cdir.join(c.file_name());
        // A comment before the root element is well-formed XML.
        let svg = format!("<!-- dockmaster run_id={run_id} -->\n{}", c.svg);
        std::fs::write(&p, svg).map_err(|source| ReportError::Io {
            action: "write",
            path: p.clone(),
            source,
        })?;
        written.push(p);
    }
    for name in known {
        if !charts.iter().any(|c| c.name == *name) {
            let p = cdir.join(format!("{name}.svg"));
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(ReportError::Io {
                        action: "remove the stale chart",
                        path: p,
                        source,
                    })
                }
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
pub(crate) mod tests;
