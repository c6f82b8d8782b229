use super::*;
use crate::charts::tests::{assert_balanced, ev, Synth};
use crate::charts::RECORDING_CHARTS;
use crate::recording::SloSpec;
use crate::{Recording, Source};

fn page_of(s: &Synth) -> (Recording, String) {
    let rec = s.record();
    let charts = charts::recording_charts(&rec).unwrap();
    let html = report_html(&rec, &charts, &rec.content_run_id().unwrap());
    (rec, html)
}

/// The page references nothing outside itself: no scripts, no links, no
/// images, no fonts (the only URL is the SVG namespace, an identifier).
fn assert_self_contained(html: &str) {
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in ["http://", "https://", "<script", "src=", "url(", "@import"] {
        assert!(!without_ns.contains(bad), "page contains `{bad}`");
    }
    for href in without_ns
        .match_indices("href=\"")
        .map(|(i, _)| &without_ns[i + 6..])
    {
        assert!(
            href.starts_with("data:"),
            "external href {}",
            &href[..20.min(href.len())]
        );
    }
}

#[test]
fn the_page_tells_the_story_and_inlines_every_chart() {
    let (rec, html) = page_of(&Synth {
        gauges: Synth::all_gauges(),
        events: vec![
            ev(120.0, "deploy_start", "api", "rev 2"),
            ev(130.0, "task_placed", "api", ""),
        ],
        ..Synth::default()
    });
    assert_self_contained(&html);
    assert_balanced(
        html.split("<body>")
            .nth(1)
            .unwrap()
            .split("</body>")
            .next()
            .unwrap(),
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>synthetic · dockmaster report</title>"));
    assert!(html.contains("<h1>synthetic</h1>"));
    assert!(
        html.contains("A made-up run for tests."),
        "lede from the scenario comment"
    );
    assert!(html.contains("<code>m5.large</code> hosts in 2 availability zones"));
    assert!(html.contains("Auto Scaling group 3 to start (min 2, max 6)"));
    assert!(html.contains("<b>api</b> (4 tasks)"));
    assert!(html.contains("steady 40 req/s"));
    assert!(html.contains("The SLO was met"), "verdict in words");
    assert!(html.contains("p99 latency was"));
    for name in RECORDING_CHARTS {
        // One service: no per-service chart, and no line saying so.
        let one_service = name == "latency-services";
        assert_eq!(
            html.contains(&format!("<figure class=\"chart\" id=\"chart-{name}\"")),
            !one_service,
            "{name}"
        );
        assert!(!html.contains(&format!("No {name} chart")), "{name}");
    }
    assert_eq!(html.matches("<svg").count(), 5);
    // Events: the notable one listed, the churn counted.
    assert!(html.contains("<td>deploy start</td>"));
    assert!(html.contains("Not marked on the charts: 1 task placed."));
    assert!(html.contains("EC2 cost"));
    assert!(html.contains(&format!("--seed {}", rec.meta.seed)));
}

#[test]
fn a_missed_slo_says_when() {
    let (_, html) = page_of(&Synth {
        slo: SloSpec {
            p99_ms: Some(20.0),
            ..SloSpec::default()
        },
        ..Synth::default()
    });
    assert!(html.contains("class=\"verdict missed\""));
    assert!(html.contains("The SLO was missed"));
    assert!(html.contains("over the 20.0 ms target"), "{html}");
    assert!(
        html.contains("The p99 was over 20.0 ms in 30 of 30 windows, first in the window at 0:00")
    );
}

#[test]
fn no_slo_no_verdict() {
    let (_, html) = page_of(&Synth {
        slo: SloSpec::default(),
        source: Source::Loadtest,
        ..Synth::default()
    });
    assert!(html.contains("No SLO was set"));
    // A load test has no capacity gauges: the page says why the chart is absent.
    assert!(html.contains("No capacity chart"));
    assert!(html.contains("Recorded by <code>dockmaster loadtest</code>"));
}

#[test]
fn names_are_escaped() {
    let (_, html) = page_of(&Synth {
        scenario: "<script>alert(1)</script>",
        ..Synth::default()
    });
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn render_dir_works_from_the_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let rec = Synth {
        gauges: Synth::all_gauges(),
        events: vec![ev(100.0, "fail_az", "us-east-1b", "")],
        ..Synth::default()
    }
    .record();
    rec.write_dir(dir.path()).unwrap();
    let r = render_dir(dir.path()).unwrap();
    assert_eq!(r.html, dir.path().join(REPORT_HTML));
    assert_eq!(r.charts.len(), 5);
    let html = std::fs::read_to_string(&r.html).unwrap();
    assert!(html.contains("AZ us-east-1b fails"), "events.csv read back");
    assert!(
        html.contains("<code>m5.large</code> hosts") && html.contains("A made-up run for tests."),
        "the scenario summary read back"
    );
    // Same input, same bytes.
    let again = {
        render_dir(dir.path()).unwrap();
        std::fs::read_to_string(&r.html).unwrap()
    };
    assert_eq!(html, again);
    // In-memory and from-files renders agree.
    let direct = tempfile::tempdir().unwrap();
    let run_id = rec.write_dir(direct.path()).unwrap();
    write_report(&rec, &run_id, direct.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(direct.path().join("charts/latency.svg")).unwrap(),
        std::fs::read_to_string(dir.path().join("charts/latency.svg")).unwrap()
    );
}

#[test]
fn missing_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let err = render_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("summary.json"), "{err}");
}

#[test]
fn numbers_for_people() {
    assert_eq!(clock(0.0), "0:00");
    assert_eq!(clock(1510.0), "25:10");
    assert_eq!(clock(3900.0), "1:05:00");
    assert_eq!(count(2_879_128), "2,879,128");
    assert_eq!(duration(2400.0), "40 min");
    assert_eq!(duration(7200.0), "2 h");
    assert_eq!(duration(10.0), "10 s");
}

#[test]
fn a_recording_without_a_scenario_summary_tells_what_it_measured() {
    // Written before recordings carried one: no fleet, no lede, no panic.
    let mut rec = Synth::default().record();
    rec.meta.scenario_summary = None;
    let charts = charts::recording_charts(&rec).unwrap();
    let html = report_html(&rec, &charts, &rec.content_run_id().unwrap());
    assert!(!html.contains("class=\"lede\""));
    assert!(!html.contains("Fleet:"));
    assert!(
        html.contains("<p>Traffic: 40 req/s offered on average"),
        "{html}"
    );
}

#[test]
fn scripted_events_are_told_as_the_scenario_writes_them() {
    use crate::scenario_summary::{EventAction, EventSummary, ScalingPolicy};
    let mut rec = Synth::default().record();
    let s = rec.meta.scenario_summary.as_mut().unwrap();
    s.fleet.scaling = Some(ScalingPolicy::TargetTracking);
    s.services[0].autoscaled = true;
    for (at_s, action, subject) in [
        (900.0, EventAction::FailAz, "b"),
        (7200.0, EventAction::ScaleService, "api"),
        (90.0, EventAction::FailInstance, "random"),
    ] {
        s.events.push(EventSummary {
            at_s,
            action,
            subject: subject.into(),
        });
    }
    let charts = charts::recording_charts(&rec).unwrap();
    let html = report_html(&rec, &charts, &rec.content_run_id().unwrap());
    assert!(html.contains(", scaled by target tracking."), "{html}");
    assert!(html.contains("<b>api</b> (4 tasks, autoscaled)"), "{html}");
    assert!(
        html.contains(
            "Scripted: fail az b at 15m; scale service api at 2h; fail instance random at 90s."
        ),
        "{html}"
    );
}
