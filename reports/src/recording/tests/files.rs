//! The files of a recording: written, read back, their bytes and their
//! shape; and the folders refused.

use super::*;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

#[test]
fn round_trip_write_read_write() {
    let rec = synthetic(
        7,
        SloSpec {
            p99_ms: Some(75.0),
            error_rate: Some(0.05),
            ..SloSpec::default()
        },
    );
    let d = TempDir::new("round-trip");
    rec.write_dir(d.path()).unwrap();
    let back = Recording::read_dir(d.path()).unwrap();

    assert_eq!(back.meta, rec.meta);
    assert_eq!(back.gauges, rec.gauges);
    assert_eq!(back.windows.len(), rec.windows.len());
    for (a, b) in back.windows.iter().zip(&rec.windows) {
        assert_eq!(a.t_start_s, b.t_start_s);
        assert_eq!((a.offered, a.ok, a.errors), (b.offered, b.ok, b.errors));
        assert_eq!(a.histogram(), b.histogram());
        assert_eq!(a.gauges.len(), b.gauges.len());
        for (x, y) in a.gauges.iter().zip(&b.gauges) {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
        assert!((a.in_system - b.in_system).abs() < 1e-3);
        assert!(same(a.latency.p99_ms, b.latency.p99_ms));
        if b.ok > 0 {
            assert!((a.latency.mean_ms - b.latency.mean_ms).abs() < 1e-3);
        } else {
            assert!(a.latency.mean_ms.is_nan());
        }
    }
    assert_eq!(back.total, rec.total);
    assert_eq!(
        (back.offered, back.ok, &back.errors_by_kind),
        (rec.offered, rec.ok, &rec.errors_by_kind)
    );
    assert!((back.latency().mean_ms - rec.latency().mean_ms).abs() < 1e-4);
    assert_eq!(back.latency().p99_ms, rec.latency().p99_ms);
    assert_eq!((back.hosts_peak, back.tasks_peak), (Some(6), Some(24)));
    assert_eq!(back.cost_usd, Some(1.2346));
    assert_eq!(back.notes, rec.notes);
    assert_eq!(back.engine, rec.engine);
    assert_eq!(back.replications, None);
    assert_eq!(back.slo_verdict().met, rec.slo_verdict().met);

    // Reading and writing again gives the same bytes.
    assert_eq!(
        files_of(&back, "round-trip-again"),
        files_of(&rec, "round-trip-first")
    );
}

#[test]
fn hlog_is_readable_by_the_hdrhistogram_crate() {
    let rec = synthetic(11, SloSpec::default());
    let d = TempDir::new("hlog");
    rec.write_dir(d.path()).unwrap();
    let bytes = read(d.path(), HLOG_FILE);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.contains("#[StartTime: 0.000 "), "{text}");
    assert!(text.contains("#[BaseTime: 0.000 "), "{text}");
    assert!(text.contains("#[MaxValueDivisor: 1000.000]"), "{text}");

    let mut starts = 0;
    let mut bases = 0;
    let mut intervals = Vec::new();
    for e in IntervalLogIterator::new(&bytes) {
        match e.expect("parses") {
            LogEntry::StartTime(_) => starts += 1,
            LogEntry::BaseTime(_) => bases += 1,
            LogEntry::Interval(h) => {
                use base64::Engine as _;
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(h.encoded_histogram())
                    .unwrap();
                let hist: Histogram<u64> = hdrhistogram::serialization::Deserializer::new()
                    .deserialize(&mut &raw[..])
                    .unwrap();
                intervals.push((h.start_timestamp(), h.duration(), h.max(), hist));
            }
        }
    }
    assert_eq!((starts, bases), (1, 1));
    assert_eq!(intervals.len(), rec.windows.len());
    for (i, ((start, dur, max, hist), w)) in intervals.iter().zip(&rec.windows).enumerate() {
        assert_eq!(start.as_secs_f64(), w.t_start_s, "window {i}");
        assert_eq!(dur.as_secs_f64(), 60.0);
        assert_eq!(hist.len(), w.ok, "window {i}");
        assert_eq!(hist, &w.histogram());
        // Max column in ms thanks to the divisor.
        assert!((max - hist.max() as f64 / 1000.0).abs() < 1e-3);
    }
    assert_eq!(
        intervals[2].3.len(),
        0,
        "the empty window is an empty histogram"
    );
}

#[test]
fn hlog_base_time_is_the_load_test_start() {
    let mut m = meta(1, SloSpec::default());
    m.source = Source::Loadtest;
    m.start_unix_s = 1_700_000_000.25;
    m.target = Some("http://127.0.0.1:8080/".to_string());
    let mut r = Recorder::new(m, vec![]);
    r.record_offered(0, 1);
    r.record_ok(0, 5_000_000);
    r.close_window(0.0, 0.1, &[]);
    let rec = r.finish(RunTotals::default());
    let d = TempDir::new("hlog-base");
    rec.write_dir(d.path()).unwrap();
    let text = read_str(d.path(), HLOG_FILE);
    assert!(text.contains("#[StartTime: 1700000000.250 "), "{text}");
    assert!(text.contains("#[BaseTime: 1700000000.250 "), "{text}");
    assert!(text.contains("\n0.000,60.000,5.003,"), "{text}");
    let back = Recording::read_dir(d.path()).unwrap();
    assert_eq!(back.meta.start_unix_s, 1_700_000_000.25);
    assert_eq!(back.meta.target.as_deref(), Some("http://127.0.0.1:8080/"));
}

#[test]
fn same_recording_same_bytes() {
    let a = synthetic(42, SloSpec::default());
    let b = synthetic(42, SloSpec::default());
    let fa = files_of(&a, "det-a");
    assert_eq!(fa, files_of(&b, "det-b"));
    assert_eq!(fa, files_of(&a, "det-a2"));
    // Only the engine section may differ between otherwise identical runs.
    let mut c = synthetic(42, SloSpec::default());
    c.engine = Some(EngineStats {
        events: 1234,
        wall_seconds: 9.75,
    });
    let fc = files_of(&c, "det-c");
    assert_ne!(fa[0], fc[0]);
    assert_eq!(without_engine(&fa[0]), without_engine(&fc[0]));
    assert_eq!(fa[1..], fc[1..]);
}

#[test]
fn summary_json_has_the_documented_shape() {
    let rec = synthetic(
        3,
        SloSpec {
            p99_ms: Some(300.0),
            ..SloSpec::default()
        },
    );
    let d = TempDir::new("shape");
    rec.write_dir(d.path()).unwrap();
    let text = read_str(d.path(), SUMMARY_FILE);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut in_file_order = keys.clone();
    in_file_order.sort_by_key(|k| text.find(&format!("\n  \"{k}\":")).unwrap());
    assert_eq!(
        in_file_order,
        [
            "scenario",
            "seed",
            "source",
            "version",
            "run_id",
            "window_s",
            "duration_s",
            "requests",
            "latency_ms",
            "hosts",
            "tasks",
            "cost_usd",
            "cost_usd_per_month",
            "slo",
            "replications",
            "notes",
            "scenario_text",
            "target",
            "start_unix_s",
            "engine"
        ]
    );
    assert_eq!(v["source"], "simulate");
    assert_eq!(v["seed"], 3);
    let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
    let by_kind = v["requests"]["errors_by_kind"].as_object().unwrap();
    assert_eq!(
        by_kind.keys().map(|k| k.as_str()).collect::<Vec<_>>().len(),
        7
    );
    for k in kinds {
        assert!(by_kind.contains_key(k), "{k}");
    }
    assert!(text.find("\"http_503\"").unwrap() < text.find("\"reset\"").unwrap());
    assert_eq!(v["requests"]["errors_by_kind"]["connect"], 0);
    assert_eq!(v["hosts"]["peak"], 6);
    assert_eq!(v["cost_usd"], 1.2346);
    assert_eq!(v["slo"]["checks"][0]["name"], "p99");
    assert_eq!(v["slo"]["checks"][0]["target"], 300.0);
    assert_eq!(v["slo"]["met"], true);
    assert!(v["replications"].is_null());
    assert_eq!(v["engine"]["events"], 1234);
    for k in ["mean", "p50", "p90", "p99", "p999", "max"] {
        assert!(v["latency_ms"][k].is_f64(), "{k}");
    }
}

#[test]
fn empty_windows_give_empty_cells() {
    // A run with no requests at all, and one with an empty middle window.
    let mut r = Recorder::new(
        meta(
            1,
            SloSpec {
                p99_ms: Some(100.0),
                ..SloSpec::default()
            },
        ),
        gauges(),
    );
    r.close_window(0.0, 0.0, &gauged([1.0, 2.0, f64::NAN]));
    r.close_window(60.0, 0.0, &gauged([1.0, 2.0, 0.0]));
    let idle = r.finish(RunTotals::default());
    assert!(idle.latency().p99_ms.is_nan());
    let v = idle.slo_verdict();
    assert!(v.met, "an idle run meets a latency SLO: {v:?}");
    let d = TempDir::new("empty");
    idle.write_dir(d.path()).unwrap();
    let csv = csv_rows(d.path(), TIMESERIES_FILE);
    let json = read_str(d.path(), SUMMARY_FILE);
    for text in [&csv, &json] {
        assert!(!text.to_lowercase().contains("nan"), "{text}");
        assert!(!text.contains("inf"), "{text}");
    }
    assert_eq!(
        csv.lines().nth(1).unwrap(),
        "0,0,0,0,0,0,0,0,0,0,0,,,,,,,0.000,1,2,"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["latency_ms"]["p99"].is_null());
    assert!(v["slo"]["checks"][0]["actual"].is_null());
    assert!(v["cost_usd"].is_null() && v["hosts"]["peak"].is_null() && v["engine"].is_null());
    let back = Recording::read_dir(d.path()).unwrap();
    assert!(back.windows[0].latency.p50_ms.is_nan());
    assert!(back.windows[0].gauges[2].is_nan());
    assert_eq!(back.windows[1].gauges[2], 0.0);
    let table = idle.summary_table();
    assert!(table.contains("mean –"), "{table}");

    let rec = synthetic(9, SloSpec::default());
    let d = TempDir::new("empty-middle");
    rec.write_dir(d.path()).unwrap();
    let csv = csv_rows(d.path(), TIMESERIES_FILE);
    let row: Vec<&str> = csv.lines().nth(3).unwrap().split(',').collect();
    assert_eq!(row[0], "120");
    assert_eq!(&row[1..4], ["0", "0", "0"]);
    assert_eq!(&row[11..17], ["", "", "", "", "", ""]);
}

#[test]
fn timeseries_header_and_formatting() {
    let rec = synthetic(4, SloSpec::default());
    let d = TempDir::new("csv");
    let id = rec.write_dir(d.path()).unwrap();
    assert_eq!(
        read_str(d.path(), TIMESERIES_FILE).lines().next().unwrap(),
        format!("# dockmaster run_id={id}")
    );
    let csv = csv_rows(d.path(), TIMESERIES_FILE);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "t_start_s,offered,completed,errors,errors_http_503,errors_http_502,errors_http_504,\
         errors_http_other,errors_connect,errors_timeout,errors_reset,mean_ms,p50_ms,p90_ms,\
         p99_ms,p999_ms,max_ms,in_system,hosts,tasks,cpu_util"
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let w = &rec.windows[0];
    assert_eq!(row[1], w.offered.to_string());
    assert_eq!(row[2], w.ok.to_string());
    assert_eq!(row[3], w.errors_total().to_string());
    assert_eq!(row[4], w.errors[0].to_string());
    assert_eq!(row[14], format!("{:.3}", w.latency.p99_ms));
    assert_eq!(row[17], "1.500");
    assert_eq!(&row[18..], ["2", "8", "0.246913"]);
    assert!(!csv.contains('\r'));
    assert_eq!(csv.lines().count(), 6);
}

#[test]
fn a_timeseries_column_that_is_no_gauge_is_refused_naming_it() {
    let rec = synthetic(4, SloSpec::default());
    let d = TempDir::new("unknown-gauge");
    rec.write_dir(d.path()).unwrap();
    let path = d.path().join(TIMESERIES_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen(",tasks,", ",tasks_total,", 1)).unwrap();
    let err = Recording::read_dir(d.path()).unwrap_err().to_string();
    assert!(err.contains(TIMESERIES_FILE), "{err}");
    assert!(err.contains("`tasks_total` is not a gauge"), "{err}");
}

#[test]
fn read_dir_reports_broken_folders() {
    let d = TempDir::new("broken");
    match Recording::read_dir(d.path()) {
        Err(ReportError::Io { path, .. }) => assert!(path.ends_with(SUMMARY_FILE)),
        other => panic!("{other:?}"),
    }
    let rec = synthetic(2, SloSpec::default());
    rec.write_dir(d.path()).unwrap();
    // Drop the last interval: the CSV has more rows than the log.
    let hlog = read_str(d.path(), HLOG_FILE);
    let cut = hlog.trim_end().rfind('\n').unwrap();
    std::fs::write(d.path().join(HLOG_FILE), format!("{}\n", &hlog[..cut])).unwrap();
    let err = Recording::read_dir(d.path()).unwrap_err();
    assert!(matches!(err, ReportError::Format { .. }), "{err}");
    assert!(err.to_string().contains("latency.hlog"), "{err}");

    rec.write_dir(d.path()).unwrap();
    let csv = read_str(d.path(), TIMESERIES_FILE).replacen("t_start_s", "time", 1);
    std::fs::write(d.path().join(TIMESERIES_FILE), csv).unwrap();
    let err = Recording::read_dir(d.path()).unwrap_err();
    assert!(err.to_string().contains("timeseries.csv"), "{err}");
}
