//! One self-contained HTML page per recording (`report.html`) and per
//! comparison (`comparison.html`): the SVG charts inlined, the style
//! inline, no script, no external fetch (a Content-Security-Policy of
//! `default-src 'none'` makes the browser refuse any), so the page opens
//! offline and can be mailed as one file.
//!
//! ```text
//!  DIR/summary.json, timeseries.csv, latency.hlog ─► Recording ─┐
//!  DIR/events.csv (optional) ──────────────────────┘            ├─► charts ─► DIR/charts/*.svg
//!                                                               └──────────► DIR/report.html
//! ```
//!
//! The report tells the scenario's story top-down: what it is (the
//! scenario file's leading comment), the fleet and traffic, the SLO verdict
//! in words, the summary table, the events, then the charts.

mod comparison;
mod plan;
mod report;
mod story;

pub use comparison::comparison_html;
pub use plan::plan_html;
pub use report::{render_dir, report_html, write_report, Rendered, REPORT_HTML};

use crate::charts::{self, Chart};
use crate::RunId;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------
// Page frame

const CSS: &str = r#"
:root { color-scheme: light; --ink: #222; --soft: #5a5a5a; --line: #ddd; --ok: #0b7a3e; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f6f4; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 30px; margin: 4px 0 6px; }
h2 { font-size: 20px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.kicker { color: var(--soft); margin: 0; text-transform: uppercase; letter-spacing: .06em; font-size: 12px; }
.lede { font-size: 17px; color: #333; margin: 6px 0 0; }
.verdict { border-left: 6px solid var(--soft); background: #f3f3f3; padding: 10px 16px; margin: 20px 0; }
.verdict.met { border-color: var(--ok); background: #eaf5ee; }
.verdict.missed { border-color: var(--bad); background: #fbeceb; }
.verdict h2 { border: 0; margin: 0 0 4px; padding: 0; }
.verdict.met h2 { color: var(--ok); } .verdict.missed h2 { color: var(--bad); }
.verdict p { margin: 4px 0; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 14px 3px 0; border-bottom: 1px solid #eee; vertical-align: top; }
td.n, th.n { text-align: right; }
th { color: var(--soft); font-weight: 600; }
th.sub { font-weight: 400; padding-left: 18px; }
td.pass { color: var(--ok); } td.fail { color: var(--bad); font-weight: 600; } td.skip { color: var(--soft); }
figure.chart { margin: 18px 0 30px; }
figure.chart svg { display: block; width: 100%; max-width: 1000px; height: auto; border: 1px solid #eee; }
figcaption { color: var(--soft); font-size: 14px; margin-top: 6px; max-width: 1000px; }
.missing { color: var(--soft); font-size: 14px; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 13px; }
code { font-size: 13px; }
footer { margin-top: 40px; color: var(--soft); font-size: 13px; }
"#;

fn page(title: &str, run_id: &RunId, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"dockmaster-run-id\" content=\"{run_id}\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n\
         <body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        esc(title)
    )
}

/// Text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn figures(out: &mut String, charts: &[Chart]) {
    for c in charts {
        let _ = write!(
            out,
            "<figure class=\"chart\" id=\"chart-{name}\" data-chart=\"{name}\">\n{svg}<figcaption>{caption}</figcaption>\n</figure>\n",
            name = c.name,
            svg = c.svg,
            caption = esc(&c.caption)
        );
    }
}

// ---------------------------------------------------------------------------
// Numbers for people

/// "0:00", "25:10", "1:05:00".
pub fn clock(t_s: f64) -> String {
    let t = t_s.max(0.0).round() as u64;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn ms(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x >= 100.0 {
        format!("{x:.0} ms")
    } else if x >= 10.0 {
        format!("{x:.1} ms")
    } else {
        format!("{x:.2} ms")
    }
}

fn pct(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{:.decimals$}%", x * 100.0)
    } else {
        "–".into()
    }
}

fn count(n: u64) -> String {
    charts::group_digits(&n.to_string())
}

/// A length of time for a sentence: `40 min`, `2 h`, `10 s`.
fn duration(s: f64) -> String {
    whole_units(s, ["h", "min", "s"].map(|u| format!(" {u}")))
}

/// `s` seconds in the largest of hours, minutes and seconds that it is a
/// whole number of, each followed by its name in `units`.
fn whole_units(s: f64, units: [String; 3]) -> String {
    let [h, m, sec] = units;
    if s >= 3600.0 && (s % 3600.0).abs() < 1e-9 {
        format!("{}{h}", s / 3600.0)
    } else if s >= 60.0 && (s % 60.0).abs() < 1e-9 {
        format!("{}{m}", s / 60.0)
    } else {
        format!("{}{sec}", trim(s))
    }
}

/// `x` with up to 3 decimals, trailing zeros dropped.
fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A relative difference with its sign: "+4.2%".
fn signed_pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", x * 100.0)
    } else {
        "–".into()
    }
}

#[cfg(test)]
mod tests;
