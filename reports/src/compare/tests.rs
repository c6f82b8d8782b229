use super::*;
use crate::charts::tests::{assert_balanced, Synth};
use crate::Source;

fn run(s: Synth) -> Recording {
    s.record()
}

#[test]
fn a_recording_matches_itself_except_for_warm_up() {
    let r = run(Synth::default());
    let c = compare(&r, &r, 0.15, Vec::new());
    assert_eq!(c.overall.windows_common, 30);
    // 40 req/s × 10 s = 400 responses a window: all steady but the first.
    assert_eq!(c.windows[0].skipped, Some(Skip::WarmUp));
    assert_eq!(c.windows[0].pass, None);
    assert_eq!(c.overall.windows_steady, 29);
    assert_eq!(c.overall.windows_passed, 29);
    assert!(c.overall.pass);
    assert_eq!(c.overall.rel_error.p99, 0.0);
    assert_eq!(c.overall.error_rate_diff, 0.0);
    assert_eq!(c.overall.sim.ok, 29 * 400);
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn windows_align_on_common_starts_only() {
    // Measured: 12 windows; sim: 30. Only the first 12 starts are shared.
    let sim = run(Synth::default());
    let measured = run(Synth {
        windows: 12,
        source: Source::Loadtest,
        seed: 2,
        ..Synth::default()
    });
    let c = compare(&sim, &measured, 0.15, Vec::new());
    assert_eq!(c.overall.windows_common, 12);
    assert_eq!(c.sim.windows, 30);
    assert_eq!(c.measured.windows, 12);
    let starts: Vec<f64> = c.windows.iter().map(|w| w.t_start_s).collect();
    assert_eq!(starts, (0..12).map(|i| i as f64 * 10.0).collect::<Vec<_>>());

    // Shifted by one window: the measurement starts at t = 10 s.
    let mut shifted = measured.clone();
    for w in &mut shifted.windows {
        w.t_start_s += 10.0;
    }
    let c = compare(&sim, &shifted, 0.15, Vec::new());
    assert_eq!(c.windows.first().map(|w| w.t_start_s), Some(10.0));
    assert_eq!(
        c.windows[0].skipped,
        Some(Skip::WarmUp),
        "first common window is warm-up"
    );
    assert_eq!(c.overall.windows_common, 12);
}

#[test]
fn a_slower_measurement_fails_unless_the_tolerance_allows_it() {
    let sim = run(Synth::default());
    // Same shape, 30% slower: relative error (20 − 26) / 26 ≈ −23%.
    let measured = run(Synth {
        p50_ms: 26.0,
        seed: 9,
        ..Synth::default()
    });
    let c = compare(&sim, &measured, 0.15, Vec::new());
    assert!(!c.overall.pass);
    assert!(!c.overall.latency_pass);
    assert!(c.overall.error_rate_pass);
    let e = c.overall.rel_error.p50;
    assert!((-0.30..-0.16).contains(&e), "p50 relative error {e}");
    assert!(c.table().contains("FAIL: latency off by"), "{}", c.table());
    assert!(c.windows.iter().filter(|w| w.pass == Some(false)).count() > 20);

    let c = compare(&sim, &measured, 0.5, Vec::new());
    assert!(c.overall.pass, "{}", c.table());
}

#[test]
fn thin_windows_are_skipped() {
    // 5 req/s × 10 s = 50 responses a window: fewer than MIN_SAMPLES.
    let thin = run(Synth {
        rps: 5.0,
        ..Synth::default()
    });
    let c = compare(&thin, &thin, 0.15, Vec::new());
    assert_eq!(c.overall.windows_steady, 0);
    assert!(c.windows[1..]
        .iter()
        .all(|w| w.skipped == Some(Skip::FewSamples)));
    assert!(!c.overall.pass, "no steady window, no pass");
    assert!(c.notes.iter().any(|n| n.contains("no steady window")));
    assert!(c.table().contains("FAIL: no steady window"));
}

#[test]
fn a_window_cut_short_is_skipped() {
    let mut r = run(Synth::default());
    // The run ends 4 s into its last window.
    r.meta.duration_s = 29.0 * 10.0 + 4.0;
    let c = compare(&r, &r, 0.15, Vec::new());
    assert_eq!(c.windows.last().unwrap().skipped, Some(Skip::Partial));
    assert_eq!(c.overall.windows_steady, 28);
}

#[test]
fn error_rates_must_agree() {
    let clean = run(Synth::default());
    // 5% of requests fail from window 10 on: about 3.3% overall.
    let failing = run(Synth {
        errors_from: Some(10),
        ..Synth::default()
    });
    let c = compare(&clean, &failing, 0.15, Vec::new());
    assert!(!c.overall.error_rate_pass);
    assert!(!c.overall.pass);
    assert!(
        c.overall.error_rate_diff < -0.02,
        "{}",
        c.overall.error_rate_diff
    );
    // Before window 10 both are clean, after it the error rates differ.
    assert!(c.windows[1..10].iter().all(|w| w.pass == Some(true)));
    assert!(c.windows[10..].iter().all(|w| w.pass == Some(false)));
    // Tiny error rates within the slack agree.
    assert!(error_rate_ok(0.0009, 0.0, 0.15));
    assert!(!error_rate_ok(0.0011, 0.0, 0.15));
    assert!(error_rate_ok(0.014, 0.1, 0.15));
}

#[test]
fn write_dir_writes_json_charts_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let sim = run(Synth::default());
    let measured = run(Synth {
        windows: 20,
        seed: 3,
        source: Source::Loadtest,
        ..Synth::default()
    });
    let c = compare(&sim, &measured, 0.15, Vec::new());
    let written = c.write_dir(dir.path()).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        vec![
            "comparison.json",
            "charts/compare-latency.svg",
            "charts/compare-cdf.svg",
            "charts/compare-error.svg",
            "comparison.html"
        ]
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(COMPARISON_FILE)).unwrap()).unwrap();
    assert_eq!(json["tolerance"], 0.15);
    assert_eq!(json["overall"]["windows_common"], 20);
    assert_eq!(json["overall"]["windows_steady"], 19);
    assert!(json["overall"]["pass"].is_boolean());
    for k in ["p50_ms", "p90_ms", "p99_ms", "error_rate"] {
        assert!(json["overall"]["sim"][k].is_number(), "overall.sim.{k}");
        assert!(
            json["overall"]["measured"][k].is_number(),
            "overall.measured.{k}"
        );
    }
    for k in ["p50", "p90", "p99"] {
        assert!(json["overall"]["rel_error"][k].is_number(), "rel_error.{k}");
    }
    let windows = json["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 20);
    assert_eq!(windows[0]["skipped"], "warm-up");
    assert_eq!(windows[0]["pass"], serde_json::Value::Null);
    assert_eq!(windows[1]["steady"], true);
    assert!(windows[1]["pass"].is_boolean());
    assert!(json["rules"]["steady_window"]
        .as_str()
        .unwrap()
        .contains("100"));
    assert_eq!(json["measured"]["source"], "loadtest");

    for chart in COMPARISON_CHARTS {
        let svg = std::fs::read_to_string(dir.path().join("charts").join(format!("{chart}.svg")))
            .unwrap();
        assert_balanced(&svg);
        assert!(svg.contains("<polyline"), "{chart}");
    }
    let html = std::fs::read_to_string(dir.path().join(COMPARISON_HTML)).unwrap();
    for id in COMPARISON_CHARTS {
        assert!(
            html.contains(&format!("id=\"chart-{id}\"")),
            "{id} not in the page"
        );
    }
    assert!(html.contains("Window by window"));
}

#[test]
fn the_overlay_charts_name_both_sides() {
    let r = run(Synth::default());
    let c = compare(&r, &r, 0.15, Vec::new());
    let charts = c.charts().unwrap();
    let lat = charts.iter().find(|c| c.name == "compare-latency").unwrap();
    assert_eq!(
        lat.series,
        vec![
            "measured p99",
            "sim p99",
            "measured p50",
            "sim p50",
            "measured p99 ± 15% (steady windows)"
        ]
    );
    let cdf = charts.iter().find(|c| c.name == "compare-cdf").unwrap();
    assert_eq!(
        cdf.series,
        vec!["measured (11,600 responses)", "sim (11,600 responses)"]
    );
    let err = charts.iter().find(|c| c.name == "compare-error").unwrap();
    assert_eq!(
        err.series,
        vec!["p50", "p90", "p99", "+15% tolerance", "−15% tolerance"]
    );
}

/// Recordings whose windows never start together (a load test sliced at
/// 5 s against 10 s simulated windows): nothing is compared, and the
/// verdict fails rather than passing on nothing.
#[test]
fn no_overlapping_window_never_passes() {
    let sim = run(Synth::default());
    let mut measured = run(Synth::default());
    for w in &mut measured.windows {
        w.t_start_s += 5.0;
    }
    let c = compare(&sim, &measured, 0.15, Vec::new());
    assert_eq!(c.overall.windows_common, 0);
    assert!(!c.overall.pass, "{}", c.table());
    assert!(c.notes.iter().any(|n| n.contains("nothing to compare")));
}

/// Two services behind one ALB, 30 windows of 10 s: `web` at 400 req/s
/// with a 20 ms median, `api` at `api_rps` with `api_p50_ms` (exponential
/// latencies, drawn from `seed`).
fn two_services(api_rps: f64, api_p50_ms: f64, seed: u64) -> Recording {
    use crate::recording::{Recorder, RunTotals, ServiceMeta};
    let mut meta = Synth::default().record().meta;
    meta.seed = seed;
    meta.services = ["web", "api"]
        .map(|n| ServiceMeta {
            name: n.into(),
            ..ServiceMeta::default()
        })
        .to_vec();
    let mut r = Recorder::new(meta, Vec::new());
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 / (1u64 << 53) as f64).max(1e-12)
    };
    for w in 0..30 {
        for (svc, rps, p50_ms) in [(0, 400.0, 20.0), (1, api_rps, api_p50_ms)] {
            let n = (rps * 10.0_f64).round() as u64;
            r.record_offered(svc, n);
            for _ in 0..n {
                let ms = p50_ms * (-uniform().ln()) / std::f64::consts::LN_2;
                r.record_ok(svc, (ms * 1e6) as u64);
            }
        }
        r.close_window(f64::from(w) * 10.0, 1.0, &[]);
    }
    r.finish(RunTotals::default())
}

#[test]
fn a_slow_service_fails_the_comparison_though_the_fleet_matches() {
    // api is 3% of the requests (120 of 4120 a window): twice as slow in
    // the measurement, it moves the fleet's percentiles by a few percent
    // (within 15%) and its own by 100%.
    let sim = two_services(12.0, 20.0, 1);
    let measured = two_services(12.0, 40.0, 2);
    let c = compare(&sim, &measured, 0.15, Vec::new());
    assert!(c.overall.pass, "{}", c.table());
    let names: Vec<&str> = c.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "api"]);
    let (web, api) = (&c.services[0], &c.services[1]);
    assert!(web.judged() && web.overall.pass, "{}", c.table());
    assert!(api.judged() && !api.overall.pass, "{}", c.table());
    let e = api.overall.rel_error.p50;
    assert!((-0.6..-0.4).contains(&e), "api p50 relative error {e}");
    assert!(!c.pass());
    let table = c.table();
    assert!(table.contains("FAIL: api latency off by up to"), "{table}");

    // The parts add up: each side's steady responses, fleet = web + api
    // (the same windows are steady for all three here).
    assert_eq!(c.overall.sim.ok, web.overall.sim.ok + api.overall.sim.ok);
    assert_eq!(
        c.overall.measured.ok,
        web.overall.measured.ok + api.overall.measured.ok
    );

    let bytes = c.json();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["pass"], false);
    assert_eq!(json["overall"]["pass"], true);
    // In the scenario's order (serde_json's Value would sort the keys, so
    // the order is read off the text).
    let text = String::from_utf8(bytes).unwrap();
    let services = &text[text.find("\"services\": {").unwrap()..];
    let at = |n: &str| services.find(&format!("\"{n}\": {{")).unwrap();
    assert!(at("web") < at("api"), "{services}");
    assert_eq!(json["services"]["api"]["judged"], true);
    assert_eq!(json["services"]["api"]["overall"]["pass"], false);
    assert_eq!(json["services"]["web"]["overall"]["pass"], true);
    assert_eq!(
        json["services"]["api"]["windows"].as_array().unwrap().len(),
        30
    );

    // Like with like, both pass.
    let same = compare(&sim, &two_services(12.0, 20.0, 3), 0.15, Vec::new());
    assert!(same.pass(), "{}", same.table());
}

#[test]
fn a_service_too_thin_for_a_steady_window_is_shown_not_judged() {
    // 5 req/s: 50 responses a window, fewer than MIN_SAMPLES.
    let sim = two_services(5.0, 20.0, 1);
    let measured = two_services(5.0, 80.0, 2);
    let c = compare(&sim, &measured, 0.15, Vec::new());
    let api = &c.services[1];
    assert!(!api.judged());
    assert_eq!(api.overall.windows_steady, 0);
    assert_eq!(c.pass(), c.overall.pass);
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("service api: no steady window")),
        "{:?}",
        c.notes
    );
    assert!(c.table().contains("not judged"), "{}", c.table());
}

#[test]
fn a_service_on_one_side_only_is_named_in_a_note() {
    let sim = two_services(12.0, 20.0, 1);
    let mut measured = two_services(12.0, 20.0, 2);
    measured.meta.services[1].name = "billing".into();
    let c = compare(&sim, &measured, 0.15, Vec::new());
    assert_eq!(c.services.len(), 1);
    for n in [
        "service api is only in the simulation",
        "service billing is only in the measurement",
    ] {
        assert!(c.notes.iter().any(|x| x.contains(n)), "{n}: {:?}", c.notes);
    }
}
