//! `report.html`: one recording's page, drawn from the recording alone
//! (in memory after a run, or from its files by `dockmaster report`).

use super::story::{story, verdict_words};
use super::{clock, count, duration, esc, figures, ms, page, pct};
use crate::charts::{self, Chart, RECORDING_CHARTS};
use crate::recording::{ErrorKind, Recording, ReportError, Source};
use crate::{FleetEvent, RunId, Staging, Writes};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use crate::staging::REPORT_HTML;

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

/// One row per service (with two or more: with one, the summary is its
/// row): its requests, latency and its own SLO checks.
fn services_table(rec: &Recording) -> String {
    if rec.meta.services.len() < 2 {
        return String::new();
    }
    let verdict = rec.slo_verdict();
    let mut t = String::from(
        "<h2>Per service</h2>\n<table class=\"services\">\n<tr><th>service</th><th class=\"n\">offered</th>\
         <th class=\"n\">ok</th><th class=\"n\">failed</th><th class=\"n\">p50</th><th class=\"n\">p90</th>\
         <th class=\"n\">p99</th><th class=\"n\">max</th><th>its SLO</th></tr>\n",
    );
    for (m, s) in rec.meta.services.iter().zip(&rec.services) {
        let lat = s.latency();
        let checks: Vec<&crate::SloCheck> = verdict.of(Some(&m.name)).collect();
        let (class, slo) = if checks.is_empty() {
            ("", "none".to_string())
        } else if checks.iter().all(|c| c.met) {
            ("pass", "met".to_string())
        } else {
            let missed: Vec<String> = checks
                .iter()
                .filter(|c| !c.met)
                .map(|c| {
                    if c.name == "error_rate" {
                        format!("error rate {} > {}", pct(c.actual, 3), pct(c.target, 3))
                    } else {
                        format!("{} {} > {}", c.name, ms(c.actual), ms(c.target))
                    }
                })
                .collect();
            ("fail", format!("missed: {}", missed.join(", ")))
        };
        let _ = writeln!(
            t,
            "<tr><th>{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} ({})</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"{class}\">{}</td></tr>",
            esc(&m.name),
            count(s.offered),
            count(s.ok),
            count(s.errors()),
            pct(s.error_rate(), 3),
            ms(lat.p50_ms),
            ms(lat.p90_ms),
            ms(lat.p99_ms),
            ms(lat.max_ms),
            esc(&slo)
        );
    }
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
                esc(&e.kind.as_str().replace('_', " ")),
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
fn missing_charts(charts: &[Chart], rec_services: usize) -> String {
    let has = |n: &str| charts.iter().any(|c| c.name == n);
    let mut s = String::new();
    let why = |n: &str| -> &'static str {
        match n {
            "latency" | "latency-cdf" | "latency-services" => "no request completed successfully",
            "capacity" => {
                "the recording has no host or task gauges (a load test sees only the endpoint)"
            }
            "utilisation" => "the recording has no CPU or memory gauges",
            _ => "no data",
        }
    };
    for n in RECORDING_CHARTS {
        // With one service the fleet's latency chart is the service's.
        if n == "latency-services" && rec_services < 2 {
            continue;
        }
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
    b.push_str(&services_table(rec));
    b.push_str(&events_section(&rec.events));
    b.push_str("<h2>Charts</h2>\n");
    figures(&mut b, charts);
    b.push_str(&missing_charts(charts, rec.meta.services.len()));
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
