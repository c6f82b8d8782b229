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

use crate::charts::{self, Chart, RECORDING_CHARTS};
use crate::compare::{Comparison, Skip, ERROR_RATE_SLACK, MIN_SAMPLES};
use crate::recording::{ErrorKind, Recording, ReportError, Source};
use crate::{FleetEvent, RunId, ScenarioSummary, Staging, Writes};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const REPORT_HTML: &str = "report.html";

/// What a render wrote.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub html: PathBuf,
    pub charts: Vec<PathBuf>,
}

/// Reads the recording in `dir` (and `dir/events.csv` if present) and
/// draws `dir/charts/*.svg` and `dir/report.html` again from the files
/// alone, swapping them in whole ([`Staging`]): a reader sees the old
/// report or the new one. Refuses a folder whose files come from different
/// runs, and one that another run replaced while this one drew.
pub fn render_dir(dir: &Path) -> Result<Rendered, ReportError> {
    let rec = Recording::read_dir(dir)?;
    let staging = Staging::begin(dir, Writes::Report)?;
    // A recording older than run ids gets the id its content would have.
    let run_id = match &rec.run_id {
        Some(id) => id.clone(),
        None => rec.content_run_id()?,
    };
    let drawn = write_report(&rec, &run_id, staging.path())?;
    let tmp = staging.path().to_path_buf();
    let expected = rec.run_id.clone();
    staging.commit_checked(|new| {
        let found = Recording::read_run_id(new)?;
        if found == expected {
            Ok(())
        } else {
            Err(ReportError::MixedRuns {
                dir: dir.to_path_buf(),
                detail: format!(
                    "another run replaced the recording while its report was drawn \
                     (run {} then run {}); nothing was changed",
                    id_or_none(expected.as_ref()),
                    id_or_none(found.as_ref())
                ),
            })
        }
    })?;
    let moved = |p: &Path| dir.join(p.strip_prefix(&tmp).unwrap_or(p));
    Ok(Rendered {
        html: moved(&drawn.html),
        charts: drawn.charts.iter().map(|p| moved(p)).collect(),
    })
}

fn id_or_none(id: Option<&RunId>) -> String {
    id.map_or_else(|| "without id".to_string(), |i| i.to_string())
}

/// Writes the charts and `report.html` of `rec` into `dir` (which holds,
/// or will hold, its files), each carrying `run_id`, the id its data files
/// carry (what [`Recording::write_dir`] returned). Not atomic by itself:
/// write into a [`Staging`] folder.
pub fn write_report(rec: &Recording, run_id: &RunId, dir: &Path) -> Result<Rendered, ReportError> {
    let charts = charts::recording_charts(rec)?;
    let written = charts::write_charts(dir, &charts, &RECORDING_CHARTS, run_id)?;
    let html = dir.join(REPORT_HTML);
    std::fs::write(&html, report_html(rec, &charts, run_id)).map_err(|source| ReportError::Io {
        action: "write",
        path: html.clone(),
        source,
    })?;
    Ok(Rendered {
        html,
        charts: written,
    })
}

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

fn duration(s: f64) -> String {
    if s >= 3600.0 && (s % 3600.0).abs() < 1e-9 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && (s % 60.0).abs() < 1e-9 {
        format!("{} min", s / 60.0)
    } else {
        format!("{} s", trim(s))
    }
}

/// `x` with up to 3 decimals, trailing zeros dropped.
fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

// ---------------------------------------------------------------------------
// The scenario's story

/// Sentences about the fleet and the traffic, from the scenario summary
/// the recording carries (none in recordings written before it: then only
/// what was measured is told) and from what the recording measured.
fn story(rec: &Recording) -> Vec<String> {
    let mut out = Vec::new();
    let summary = rec.meta.scenario_summary.as_ref();
    if let Some(url) = &rec.meta.target {
        out.push(format!("Load test against {}.", esc(url)));
    }
    if let Some(s) = summary {
        out.push(fleet_sentence(s, rec.meta.source));
    }

    let mut traffic = String::from("Traffic: ");
    if let Some(t) = summary.map(|s| &s.traffic) {
        let arrivals = esc(t.arrivals.name());
        if (t.peak_rps - t.min_rps).abs() < 1e-9 {
            let _ = write!(
                traffic,
                "{arrivals} arrivals at a steady {} req/s",
                trim(t.peak_rps)
            );
        } else {
            let _ = write!(
                traffic,
                "{arrivals} arrivals following a profile from {} to {} req/s",
                trim(t.min_rps),
                trim(t.peak_rps)
            );
        }
    }
    // What was measured.
    let reps = f64::from(rec.replication_count());
    let total_s: f64 = (0..rec.windows.len())
        .map(|i| rec.window_duration_s(i))
        .sum();
    if total_s > 0.0 {
        let mean = rec.offered as f64 / reps / total_s;
        let peak = (0..rec.windows.len())
            .map(|i| {
                let d = rec.window_duration_s(i);
                (
                    rec.windows[i].offered as f64 / reps / d.max(1e-9),
                    rec.windows[i].t_start_s,
                )
            })
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        if traffic.len() > "Traffic: ".len() {
            traffic.push_str("; ");
        }
        let _ = write!(
            traffic,
            "{:.0} req/s offered on average, {:.0} req/s at the peak (window at {})",
            mean,
            peak.0,
            clock(peak.1)
        );
    }
    if traffic.len() > "Traffic: ".len() {
        traffic.push('.');
        out.push(traffic);
    }

    let scripted: Vec<String> = summary
        .map(|s| s.events.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|e| {
            format!(
                "{} {} at {}",
                e.action.words(),
                esc(&e.subject),
                instant(e.at_s)
            )
        })
        .collect();
    if !scripted.is_empty() {
        out.push(format!("Scripted: {}.", scripted.join("; ")));
    }
    out
}

/// The fleet and its services in one paragraph.
fn fleet_sentence(s: &ScenarioSummary, source: Source) -> String {
    let f = &s.fleet;
    let whose = match source {
        Source::Simulate => "Fleet",
        // The measured fleet is whatever answers at the target.
        Source::Loadtest => "Fleet as the scenario describes it",
    };
    let mut out = format!("{whose}: <code>{}</code> hosts", esc(&f.instance_type));
    let azs = f.azs.len();
    if azs > 0 {
        let _ = write!(out, " in {azs} availability zone{}", plural(azs));
    }
    let _ = write!(
        out,
        ", Auto Scaling group {} to start (min {}, max {})",
        f.asg_desired, f.asg_min, f.asg_max
    );
    if let Some(policy) = f.scaling {
        let _ = write!(out, ", scaled by {}", policy.words());
    }
    out.push('.');
    let services: Vec<String> = s
        .services
        .iter()
        .map(|v| {
            format!(
                "<b>{}</b> ({} task{}{})",
                esc(&v.name),
                v.desired,
                plural(v.desired as usize),
                if v.autoscaled { ", autoscaled" } else { "" }
            )
        })
        .collect();
    if !services.is_empty() {
        let _ = write!(
            out,
            " Service{}: {}.",
            plural(services.len()),
            services.join(", ")
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// An instant of the run the way a scenario file writes one: `15m`, `2h`,
/// `90s`.
fn instant(t_s: f64) -> String {
    if t_s >= 3600.0 && (t_s % 3600.0).abs() < 1e-9 {
        format!("{}h", t_s / 3600.0)
    } else if t_s >= 60.0 && (t_s % 60.0).abs() < 1e-9 {
        format!("{}m", t_s / 60.0)
    } else {
        format!("{}s", trim(t_s))
    }
}

/// The SLO verdict as sentences, and whether it was met (None: no SLO).
fn verdict_words(rec: &Recording) -> (Option<bool>, Vec<String>) {
    let v = rec.slo_verdict();
    if v.checks.is_empty() {
        return (
            None,
            vec![
                "No SLO was set for this scenario: the figures below are for reading, not judging."
                    .into(),
            ],
        );
    }
    let parts: Vec<String> = v
        .checks
        .iter()
        .map(|c| {
            if c.name == "error_rate" {
                format!(
                    "{} of requests failed, {} the {} budget",
                    pct(c.actual, 3),
                    if c.met { "within" } else { "over" },
                    pct(c.target, 3)
                )
            } else if c.actual.is_nan() {
                format!("{} could not be measured (no successful response)", c.name)
            } else {
                format!(
                    "{} latency was {}, {} the {} target",
                    c.name,
                    ms(c.actual),
                    if c.met { "within" } else { "over" },
                    ms(c.target)
                )
            }
        })
        .collect();
    let mut out = vec![format!(
        "The SLO was {}: {}.",
        if v.met { "met" } else { "missed" },
        parts.join("; ")
    )];
    // Per window: when was the latency target exceeded?
    let slo = &rec.meta.slo;
    for (name, target, get) in [
        (
            "p99",
            slo.p99_ms,
            (|l: &crate::LatencyStats| l.p99_ms) as fn(&crate::LatencyStats) -> f64,
        ),
        ("p90", slo.p90_ms, |l: &crate::LatencyStats| l.p90_ms),
        ("p50", slo.p50_ms, |l: &crate::LatencyStats| l.p50_ms),
    ] {
        let Some(target) = target else { continue };
        let with_data: Vec<&crate::Window> =
            rec.windows.iter().filter(|w| w.latency.count > 0).collect();
        let over: Vec<&&crate::Window> = with_data
            .iter()
            .filter(|w| get(&w.latency) > target)
            .collect();
        if with_data.is_empty() {
            continue;
        }
        if over.is_empty() {
            out.push(format!(
                "Every window's {name} stayed within {} (worst {}).",
                ms(target),
                ms(with_data
                    .iter()
                    .map(|w| get(&w.latency))
                    .fold(0.0, f64::max))
            ));
        } else {
            let worst = over
                .iter()
                .max_by(|a, b| get(&a.latency).total_cmp(&get(&b.latency)))
                .expect("over is not empty");
            out.push(format!(
                "The {name} was over {} in {} of {} windows, first in the window at {}, worst {} at {}.",
                ms(target),
                over.len(),
                with_data.len(),
                clock(over[0].t_start_s),
                ms(get(&worst.latency)),
                clock(worst.t_start_s)
            ));
        }
        break;
    }
    if let Some(r) = &rec.replications {
        let p99 = r.latency_ms.p99;
        out.push(format!(
            "Across {} replications the run's p99 was {} (95% confidence interval {} – {}).",
            r.n,
            ms(p99.mean),
            ms(p99.lo),
            ms(p99.hi)
        ));
    }
    (Some(v.met), out)
}

fn summary_table(rec: &Recording) -> String {
    let mut t = String::from("<table class=\"summary\">\n");
    let mut row = |k: &str, v: String| {
        // A leading space marks a sub-row (errors by kind).
        let (class, k) = match k.strip_prefix(' ') {
            Some(sub) => (" class=\"sub\"", sub),
            None => ("", k),
        };
        let _ = writeln!(
            t,
            "<tr><th{class}>{}</th><td class=\"n\">{}</td></tr>",
            esc(k),
            v
        );
    };
    let reps = rec.replication_count();
    let per = if reps > 1 {
        format!(" (total over {reps} replications)")
    } else {
        String::new()
    };
    row(&format!("requests offered{per}"), count(rec.offered));
    row("completed ok", count(rec.ok));
    row(
        "failed",
        format!("{} ({})", count(rec.errors()), pct(rec.error_rate(), 3)),
    );
    for k in ErrorKind::ALL {
        let c = rec.errors_by_kind.get(&k).copied().unwrap_or(0);
        if c > 0 {
            row(&format!(" {}", charts_error_label(k)), count(c));
        }
    }
    let unfinished = rec.offered.saturating_sub(rec.ok + rec.errors());
    if unfinished > 0 {
        row("unfinished at the end", count(unfinished));
    }
    let lat = rec.latency();
    let ci = rec.replications.map(|r| r.latency_ms);
    for (name, v, c) in [
        ("latency mean", lat.mean_ms, ci.map(|c| c.mean)),
        ("latency p50", lat.p50_ms, ci.map(|c| c.p50)),
        ("latency p90", lat.p90_ms, ci.map(|c| c.p90)),
        ("latency p99", lat.p99_ms, ci.map(|c| c.p99)),
        ("latency p99.9", lat.p999_ms, ci.map(|c| c.p999)),
        ("latency max", lat.max_ms, ci.map(|c| c.max)),
    ] {
        let extra = c.map_or(String::new(), |c| {
            format!(
                " <span class=\"missing\">(replications: {} – {})</span>",
                ms(c.lo),
                ms(c.hi)
            )
        });
        row(name, format!("{}{extra}", ms(v)));
    }
    if let Some(h) = rec.hosts_peak {
        row("hosts at peak", h.to_string());
    }
    if let Some(n) = rec.tasks_peak {
        row("tasks at peak", n.to_string());
    }
    if let Some(c) = rec.cost_usd {
        let month = rec.cost_usd_per_month().map_or(String::new(), |m| {
            format!(
                "; ${m:.0} a month at this run's mean hourly cost (× {} h)",
                crate::recording::HOURS_PER_MONTH
            )
        });
        row(
            "EC2 cost",
            format!("${c:.2} for the {}{month}", duration(rec.meta.duration_s)),
        );
    }
    row(
        "duration",
        format!(
            "{} in {} windows of {}",
            duration(rec.meta.duration_s),
            rec.windows.len(),
            duration(rec.meta.window_s)
        ),
    );
    t.push_str("</table>\n");
    t
}

fn charts_error_label(k: ErrorKind) -> String {
    crate::charts::error_label(k)
}

/// Notable events as a table (at most 40 rows), plus a line counting the
/// others by kind.
fn events_section(events: &[FleetEvent]) -> String {
    if events.is_empty() {
        return String::new();
    }
    let notable: Vec<&FleetEvent> = events
        .iter()
        .filter(|e| charts::markers::is_notable(e))
        .collect();
    let mut s = String::from("<h2>What happened</h2>\n");
    if !notable.is_empty() {
        s.push_str("<table class=\"events\">\n<tr><th>time</th><th>event</th><th>subject</th><th>detail</th></tr>\n");
        for e in notable.iter().take(40) {
            let _ = writeln!(
                s,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                clock(e.t_s),
                esc(&e.kind.replace('_', " ")),
                esc(&e.subject),
                esc(&e.detail)
            );
        }
        s.push_str("</table>\n");
        if notable.len() > 40 {
            let _ = writeln!(
                s,
                "<p class=\"missing\">… and {} more notable events.</p>",
                notable.len() - 40
            );
        }
    }
    let mut others: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for e in events.iter().filter(|e| !charts::markers::is_notable(e)) {
        *others.entry(e.kind.as_str()).or_default() += 1;
    }
    if !others.is_empty() {
        let list: Vec<String> = others
            .iter()
            .map(|(k, n)| format!("{} {}", count(*n), esc(&k.replace('_', " "))))
            .collect();
        let _ = writeln!(
            s,
            "<p class=\"missing\">Not marked on the charts: {}.</p>",
            list.join(", ")
        );
    }
    s
}

/// A line for each chart the recording has no data for, saying why.
fn missing_charts(charts: &[Chart]) -> String {
    let has = |n: &str| charts.iter().any(|c| c.name == n);
    let mut s = String::new();
    let why = |n: &str| -> &'static str {
        match n {
            "latency" | "latency-cdf" => "no request completed successfully",
            "capacity" => {
                "the recording has no host or task gauges (a load test sees only the endpoint)"
            }
            "utilisation" => "the recording has no CPU or memory gauges",
            _ => "no data",
        }
    };
    for n in RECORDING_CHARTS {
        if !has(n) {
            let _ = writeln!(s, "<p class=\"missing\">No {n} chart: {}.</p>", why(n));
        }
    }
    s
}

/// The page for one recording.
pub fn report_html(rec: &Recording, charts: &[Chart], run_id: &RunId) -> String {
    let m = &rec.meta;
    let mut b = String::new();
    let source = match m.source {
        Source::Simulate => "simulation",
        Source::Loadtest => "load test",
    };
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">dockmaster report · {source} · seed {} · dockmaster {}</p>\n<h1>{}</h1>",
        m.seed,
        esc(&m.version),
        esc(&m.scenario)
    );
    if let Some(s) = m
        .scenario_summary
        .as_ref()
        .filter(|s| !s.description.is_empty())
    {
        let _ = writeln!(b, "<p class=\"lede\">{}</p>", esc(&s.description));
    }
    b.push_str("</header>\n");

    let (met, words) = verdict_words(rec);
    let (class, head) = match met {
        Some(true) => ("met", "SLO met"),
        Some(false) => ("missed", "SLO missed"),
        None => ("none", "No SLO"),
    };
    let _ = writeln!(
        b,
        "<section class=\"verdict {class}\" id=\"verdict\">\n<h2>{head}</h2>"
    );
    for w in &words {
        let _ = writeln!(b, "<p>{}</p>", esc(w));
    }
    b.push_str("</section>\n");

    let story = story(rec);
    if !story.is_empty() {
        b.push_str("<h2>The run</h2>\n");
        for s in &story {
            // Built from escaped parts with <b>/<code> markup.
            let _ = writeln!(b, "<p>{s}</p>");
        }
    }
    b.push_str("<h2>Summary</h2>\n");
    b.push_str(&summary_table(rec));
    b.push_str(&events_section(&rec.events));
    b.push_str("<h2>Charts</h2>\n");
    figures(&mut b, charts);
    b.push_str(&missing_charts(charts));
    if !rec.notes.is_empty() {
        b.push_str("<h2>Notes</h2>\n<ul>\n");
        for n in &rec.notes {
            let _ = writeln!(b, "<li>{}</li>", esc(n));
        }
        b.push_str("</ul>\n");
    }
    if !m.scenario_text.is_empty() {
        let _ = writeln!(
            b,
            "<h2>Scenario file</h2>\n<details><summary>the scenario as it was read</summary>\n<pre>{}</pre>\n</details>",
            esc(&m.scenario_text)
        );
    }
    let rerun = match m.source {
        Source::Simulate => format!(
            "Reproduce with <code>dockmaster simulate {}.toml --seed {}</code>{}.",
            esc(&m.scenario),
            m.seed,
            match rec.replications {
                Some(r) => format!(" --replications {}", r.n),
                None => String::new(),
            }
        ),
        Source::Loadtest => "Recorded by <code>dockmaster loadtest</code>.".to_string(),
    };
    let _ = writeln!(
        b,
        "<footer>{rerun} Re-render this page from the recording's files with <code>dockmaster report DIR</code>.</footer>"
    );
    page(&format!("{} · dockmaster report", m.scenario), run_id, &b)
}

// ---------------------------------------------------------------------------
// comparison.html

fn signed_pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", x * 100.0)
    } else {
        "–".into()
    }
}

/// The page for a comparison.
pub fn comparison_html(c: &Comparison, charts: &[Chart], run_id: &RunId) -> String {
    let o = &c.overall;
    let side = |s: &crate::compare::SideInfo| -> String {
        let src = match s.source {
            Source::Simulate => "simulated",
            Source::Loadtest => "load test",
        };
        match &s.target {
            Some(t) => format!("{} ({src} against {}, seed {})", s.scenario, t, s.seed),
            None => format!("{} ({src}, seed {})", s.scenario, s.seed),
        }
    };
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">dockmaster comparison · tolerance ±{}%</p>\n<h1>{} vs measured</h1>\n\
         <p class=\"lede\">Simulation: {}. Measurement: {}.</p>\n</header>",
        trim(c.tolerance * 100.0),
        esc(&c.sim.scenario),
        esc(&side(&c.sim)),
        esc(&side(&c.measured))
    );
    if !c.differences.is_empty() {
        // Compared only because the user said --allow-different: first
        // thing on the page, in the verdict's "missed" colours.
        let _ = writeln!(
            b,
            "<section class=\"verdict missed\" id=\"differences\">\n<h2>Not like with like</h2>\n\
             <p>These recordings come from different runs; the figures below compare them anyway \
             (--allow-different):</p>\n<ul>"
        );
        for d in &c.differences {
            let _ = writeln!(b, "<li>{}</li>", esc(d));
        }
        b.push_str("</ul>\n</section>\n");
    }
    let (class, head) = if o.pass {
        ("met", "The model matches")
    } else {
        ("missed", "The model does not match")
    };
    let _ = writeln!(
        b,
        "<section class=\"verdict {class}\" id=\"verdict\">\n<h2>{head}</h2>"
    );
    let words = if o.windows_steady == 0 {
        "There is no steady window to judge, so there is no verdict.".to_string()
    } else {
        format!(
            "Over the {} steady windows pooled, the simulated p50, p90 and p99 are {}, {} and {} \
             away from the measured ones (tolerance ±{}%), and the error rates are {} and {}. \
             {} of the {} steady windows pass on their own.",
            o.windows_steady,
            signed_pct(o.rel_error.p50),
            signed_pct(o.rel_error.p90),
            signed_pct(o.rel_error.p99),
            trim(c.tolerance * 100.0),
            pct(o.sim.error_rate, 3),
            pct(o.measured.error_rate, 3),
            o.windows_passed,
            o.windows_steady
        )
    };
    let _ = writeln!(b, "<p>{}</p>\n</section>", esc(&words));

    b.push_str("<h2>Steady windows, pooled</h2>\n<table>\n<tr><th></th><th class=\"n\">sim</th><th class=\"n\">measured</th><th class=\"n\">relative error</th><th class=\"n\">within tolerance</th></tr>\n");
    let tol = c.tolerance;
    for (name, a, m, e) in [
        ("p50", o.sim.p50_ms, o.measured.p50_ms, o.rel_error.p50),
        ("p90", o.sim.p90_ms, o.measured.p90_ms, o.rel_error.p90),
        ("p99", o.sim.p99_ms, o.measured.p99_ms, o.rel_error.p99),
    ] {
        let ok = e.is_finite() && e.abs() <= tol;
        let _ = writeln!(
            b,
            "<tr><th>{name}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n {}\">{}</td></tr>",
            ms(a),
            ms(m),
            signed_pct(e),
            if ok { "pass" } else { "fail" },
            if ok { "yes" } else { "no" }
        );
    }
    let _ = writeln!(
        b,
        "<tr><th>error rate</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:+.3} pp</td><td class=\"n {}\">{}</td></tr>",
        pct(o.sim.error_rate, 3),
        pct(o.measured.error_rate, 3),
        o.error_rate_diff * 100.0,
        if o.error_rate_pass { "pass" } else { "fail" },
        if o.error_rate_pass { "yes" } else { "no" }
    );
    let _ = writeln!(
        b,
        "<tr><th>responses</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td><td></td></tr>\n</table>",
        count(o.sim.ok),
        count(o.measured.ok)
    );
    let skipped = |k: Skip| c.windows.iter().filter(|w| w.skipped == Some(k)).count();
    let _ = writeln!(
        b,
        "<p>{} windows start at the same time in both recordings (sim has {}, measured {}); {} are steady \
         and judged, {} skipped as warm-up, {} for having fewer than {MIN_SAMPLES} successful responses on a side, \
         {} cut short by the end of a run.</p>",
        o.windows_common,
        c.sim.windows,
        c.measured.windows,
        o.windows_steady,
        skipped(Skip::WarmUp),
        skipped(Skip::FewSamples),
        skipped(Skip::Partial)
    );
    let _ = writeln!(
        b,
        "<p class=\"missing\">Relative error = (sim − measured) / measured. A steady window is {}. \
         A window passes when {}. The verdict applies that test to the steady windows pooled \
         (error rates always agree within {} percentage points).</p>",
        esc(&Comparison::steady_rule()),
        esc(&c.pass_rule()),
        ERROR_RATE_SLACK * 100.0
    );
    if !c.notes.is_empty() {
        b.push_str("<ul>\n");
        for n in &c.notes {
            let _ = writeln!(b, "<li>{}</li>", esc(n));
        }
        b.push_str("</ul>\n");
    }
    b.push_str("<h2>Charts</h2>\n");
    figures(&mut b, charts);

    b.push_str("<h2>Window by window</h2>\n<details><summary>every common window</summary>\n<table>\n\
        <tr><th class=\"n\">start</th><th class=\"n\">p50 sim</th><th class=\"n\">p50 meas</th><th class=\"n\">p99 sim</th>\
        <th class=\"n\">p99 meas</th><th class=\"n\">p99 err</th><th class=\"n\">err rate sim</th><th class=\"n\">err rate meas</th><th>judged</th></tr>\n");
    for w in &c.windows {
        let (class, verdict) = match (w.skipped, w.pass) {
            (Some(k), _) => ("skip", k.name().to_string()),
            (None, Some(true)) => ("pass", "pass".to_string()),
            _ => ("fail", "fail".to_string()),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{class}\">{verdict}</td></tr>",
            clock(w.t_start_s),
            ms(w.sim.p50_ms),
            ms(w.measured.p50_ms),
            ms(w.sim.p99_ms),
            ms(w.measured.p99_ms),
            signed_pct(w.rel_error.p99),
            pct(w.sim.error_rate, 3),
            pct(w.measured.error_rate, 3)
        );
    }
    b.push_str("</table>\n</details>\n");
    let _ = writeln!(
        b,
        "<footer>Written by <code>dockmaster compare</code>; the numbers are in comparison.json.</footer>"
    );
    page(
        &format!("{} · dockmaster comparison", c.sim.scenario),
        run_id,
        &b,
    )
}

#[cfg(test)]
mod tests;
