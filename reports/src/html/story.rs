//! The report's story in sentences: the fleet, the traffic and the
//! scripted events (from the [`ScenarioSummary`] the recording carries),
//! what was measured, and the SLO verdict in words.

use super::{clock, esc, ms, pct, trim, whole_units};
use crate::recording::{Recording, Source};
use crate::ScenarioSummary;
use std::fmt::Write as _;

/// Sentences about the fleet and the traffic, from the scenario summary
/// the recording carries (none in recordings written before it: then only
/// what was measured is told) and from what the recording measured.
pub(super) fn story(rec: &Recording) -> Vec<String> {
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
    whole_units(t_s, ["h", "m", "s"].map(String::from))
}

/// The SLO verdict as sentences, and whether it was met (None: no SLO).
pub(super) fn verdict_words(rec: &Recording) -> (Option<bool>, Vec<String>) {
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
            // A service's own objectives are said with its name.
            let whose = c
                .service
                .as_ref()
                .map_or(String::new(), |s| format!("{s}'s "));
            if c.name == "error_rate" {
                format!(
                    "{} of {whose}requests failed, {} the {} budget",
                    pct(c.actual, 3),
                    if c.met { "within" } else { "over" },
                    pct(c.target, 3)
                )
            } else if c.actual.is_nan() {
                format!(
                    "{whose}{} could not be measured (no successful response)",
                    c.name
                )
            } else {
                format!(
                    "{whose}{} latency was {}, {} the {} target",
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
