use super::*;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use std::path::PathBuf;

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("dockmaster-reports-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn meta(seed: u64, slo: SloSpec) -> Meta {
    Meta {
        scenario: "mmc".to_string(),
        seed,
        source: Source::Simulate,
        version: "0.1.0-test".to_string(),
        window_s: 60.0,
        duration_s: 300.0,
        slo,
        start_unix_s: 0.0,
        target: None,
        scenario_text: "name = \"mmc\"\n[traffic]\nrate = \"100/s\"\n".to_string(),
        scenario_summary: None,
        replay: Replay::default(),
        services: vec![],
    }
}

fn gauges() -> Vec<Gauge> {
    vec![Gauge::Hosts, Gauge::Tasks, Gauge::CpuUtil]
}

/// `values` as the gauges of [`gauges`], in order.
fn gauged(values: [f64; 3]) -> Vec<(Gauge, f64)> {
    gauges().into_iter().zip(values).collect()
}

/// Small deterministic generator (64-bit LCG, top bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// Five windows of synthetic traffic; window 2 is empty (no requests).
fn synthetic(seed: u64, slo: SloSpec) -> Recording {
    let mut rng = Lcg(seed);
    let mut r = Recorder::new(meta(seed, slo), gauges());
    for w in 0..5u64 {
        if w != 2 {
            let n = 200 + rng.next() % 100;
            r.record_offered(0, n);
            for _ in 0..n {
                match rng.next() % 100 {
                    0 => r.record_error(0, ErrorKind::Http503),
                    1 => r.record_error(0, ErrorKind::Http504),
                    // 1 ms .. 80 ms, in ns, not on µs boundaries
                    _ => r.record_ok(0, 1_000_000 + (rng.next() % 79_000_000) + 123),
                }
            }
        }
        let hosts = 2.0 + w as f64;
        r.close_window(
            w as f64 * 60.0,
            1.5 + w as f64 / 3.0,
            &gauged([hosts, hosts * 4.0, 0.123_456_7 * hosts]),
        );
    }
    r.finish(RunTotals {
        hosts_peak: Some(6),
        tasks_peak: Some(24),
        cost_usd: Some(1.234_567),
        notes: vec!["a note".to_string()],
        engine: Some(EngineStats {
            events: 1234,
            wall_seconds: 0.5,
        }),
        events: vec![crate::FleetEvent {
            t_s: 60.0,
            kind: crate::FleetEventKind::ScaleOut,
            subject: "asg".into(),
            detail: "cpu 91% > 80%, \"quoted\", for 3 datapoints: desired 3 -> 4".into(),
        }],
    })
}

/// Equal, or both NaN.
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

fn read_str(dir: &Path, file: &str) -> String {
    String::from_utf8(read(dir, file)).unwrap()
}

/// The three files of a recording written to `name`.
fn files_of(r: &Recording, name: &str) -> [Vec<u8>; 3] {
    let d = TempDir::new(name);
    r.write_dir(d.path()).unwrap();
    [
        read(d.path(), SUMMARY_FILE),
        read(d.path(), TIMESERIES_FILE),
        read(d.path(), HLOG_FILE),
    ]
}

/// summary.json without the trailing engine section (wall clock).
fn without_engine(summary: &[u8]) -> String {
    let s = std::str::from_utf8(summary).unwrap();
    s[..s.find("\"engine\"").expect("engine key")].to_string()
}

#[test]
fn error_kind_index_follows_all() {
    for (i, k) in ErrorKind::ALL.into_iter().enumerate() {
        assert_eq!(k.index(), i);
        assert_eq!(ErrorKind::from_name(k.name()), Some(k));
    }
    assert_eq!(ErrorKind::from_name("http503"), None);
}

#[test]
fn ns_to_us_rounds_and_clamps() {
    assert_eq!(ns_to_us(0), 1);
    assert_eq!(ns_to_us(499), 1);
    assert_eq!(ns_to_us(1_499), 1);
    assert_eq!(ns_to_us(1_500), 2);
    assert_eq!(ns_to_us(12_345_678), 12_346);
    assert_eq!(ns_to_us(u64::MAX), HIST_HIGHEST_US);
}

#[test]
fn recorder_counts_and_errors_stay_out_of_the_histogram() {
    let mut r = Recorder::new(meta(1, SloSpec::default()), vec![Gauge::Hosts]);
    r.record_offered(0, 5);
    r.record_ok(0, 2_000_000); // 2 ms
    r.record_ok(0, 4_000_000); // 4 ms
    r.record_error(0, ErrorKind::Http502);
    r.record_error(0, ErrorKind::Reset);
    r.record_error(0, ErrorKind::Reset);
    r.close_window(0.0, 0.25, &[(Gauge::Hosts, 3.0)]);
    let rec = r.finish(RunTotals::default());
    assert_eq!(rec.windows.len(), 1);
    let w = &rec.windows[0];
    assert_eq!((w.offered, w.ok, w.errors_total()), (5, 2, 3));
    assert_eq!(w.errors, [0, 1, 0, 0, 0, 0, 2]);
    assert_eq!(w.latency.count, 2);
    assert_eq!(w.latency.mean_ms, 3.0);
    assert!((w.latency.max_ms - 4.0).abs() < 0.004, "{:?}", w.latency);
    assert_eq!(rec.ok, 2);
    assert_eq!(rec.errors(), 3);
    assert_eq!(rec.error_rate(), 0.6);
    assert_eq!(rec.errors_by_kind.len(), 7);
    assert_eq!(rec.errors_by_kind[&ErrorKind::Reset], 2);
    assert_eq!(rec.total.len(), 2);
    assert_eq!(rec.latency().mean_ms, 3.0);
}

#[test]
fn data_after_the_last_window_is_not_lost() {
    let mut r = Recorder::new(meta(1, SloSpec::default()), vec![Gauge::Hosts]);
    r.record_offered(0, 1);
    r.record_ok(0, 1_000_000);
    r.close_window(0.0, 1.0, &[(Gauge::Hosts, 1.0)]);
    r.record_offered(0, 1);
    r.record_error(0, ErrorKind::Timeout);
    let rec = r.finish(RunTotals::default());
    assert_eq!(rec.windows.len(), 2);
    assert_eq!(rec.windows[1].t_start_s, 60.0);
    assert_eq!(rec.offered, 2);
    assert_eq!(rec.errors(), 1);
    assert!(rec.notes[0].contains("extra window"), "{:?}", rec.notes);
}

#[test]
#[should_panic(expected = "the gauges declared")]
fn close_window_checks_the_gauges_against_the_declared_ones() {
    let mut r = Recorder::new(meta(1, SloSpec::default()), gauges());
    r.close_window(0.0, 0.0, &[(Gauge::Tasks, 1.0), (Gauge::Hosts, 1.0)]);
}

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
fn pool_merges_counts_and_ci_contains_the_mean() {
    let reps: Vec<Recording> = (1..=3).map(|s| synthetic(s, SloSpec::default())).collect();
    let sum = |f: fn(&Recording) -> u64| reps.iter().map(f).sum::<u64>();
    let (offered, ok, errors) = (sum(|r| r.offered), sum(|r| r.ok), sum(|r| r.errors()));
    let p99s: Vec<f64> = reps.iter().map(|r| r.latency().p99_ms).collect();
    let window_ok: Vec<u64> = (0..5)
        .map(|i| reps.iter().map(|r| r.windows[i].ok).sum())
        .collect();
    let window_hosts: Vec<f64> = (0..5)
        .map(|i| reps.iter().map(|r| r.windows[i].gauges[0]).sum::<f64>() / 3.0)
        .collect();
    let mut merged = new_histogram();
    for r in &reps {
        merged.add(&r.total).unwrap();
    }

    let pooled = Recording::pool(reps);
    assert_eq!(
        (pooled.offered, pooled.ok, pooled.errors()),
        (offered, ok, errors)
    );
    assert_eq!(pooled.total, merged);
    assert_eq!(pooled.windows.len(), 5);
    for (i, w) in pooled.windows.iter().enumerate() {
        assert_eq!(w.ok, window_ok[i]);
        assert_eq!(w.histogram().len(), window_ok[i]);
        assert_eq!(w.gauges[0], window_hosts[i]);
    }
    assert_eq!(
        pooled.latency().p99_ms,
        LatencyStats::from_histogram(&merged, 0).p99_ms
    );
    let rep = pooled.replications.expect("replications");
    assert_eq!(rep.n, 3);
    let m = crate::stats::mean(&p99s);
    assert!((rep.latency_ms.p99.mean - m).abs() < 1e-9);
    assert!(rep.latency_ms.p99.contains(m));
    for (name, c) in rep.latency_ms.named() {
        assert!(c.lo <= c.mean && c.mean <= c.hi, "{name}: {c:?}");
    }
    assert!(rep.error_rate.contains(rep.error_rate.mean));
    assert_eq!(pooled.hosts_peak, Some(6));
    assert_eq!(pooled.engine.unwrap().events, 3 * 1234);
    assert_eq!(pooled.notes[0], "a note");
    assert!(pooled.notes[1].contains("seeds 1, 2, 3"));
    assert!(pooled.summary_table().contains("(95% CI "));

    // Per-replication means in the CSV, and the pooled folder reads back.
    let d = TempDir::new("pooled");
    pooled.write_dir(d.path()).unwrap();
    let csv = csv_rows(d.path(), TIMESERIES_FILE);
    let row1: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let mean_ok = window_ok[0] as f64 / 3.0;
    assert!(
        (row1[2].parse::<f64>().unwrap() - mean_ok).abs() < 5e-4,
        "{csv}"
    );
    let back = Recording::read_dir(d.path()).unwrap();
    assert_eq!(back.replications.unwrap().n, 3);
    assert_eq!(
        (back.offered, back.ok, back.errors()),
        (offered, ok, errors)
    );
    for (a, b) in back.windows.iter().zip(&pooled.windows) {
        assert_eq!((a.offered, a.ok, a.errors), (b.offered, b.ok, b.errors));
    }
    assert_eq!(
        files_of(&back, "pooled-again"),
        files_of(&pooled, "pooled-first")
    );
}

#[test]
fn pool_of_one_has_a_point_interval() {
    let one = synthetic(5, SloSpec::default());
    let p99 = one.latency().p99_ms;
    let pooled = Recording::pool(vec![one]);
    let c = pooled.replications.unwrap().latency_ms.p99;
    assert_eq!((c.mean, c.lo, c.hi), (p99, p99, p99));
}

#[test]
fn pool_is_deterministic() {
    let make = || Recording::pool((1..=3).map(|s| synthetic(s, SloSpec::default())).collect());
    assert_eq!(
        files_of(&make(), "pool-det-a"),
        files_of(&make(), "pool-det-b")
    );
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

/// A CSV file of a recording without its leading `# dockmaster run_id=`
/// line (checked in `timeseries_header_and_formatting`).
fn csv_rows(dir: &Path, name: &str) -> String {
    let text = read_str(dir, name);
    match text.split_once('\n') {
        Some((first, rest)) if first.starts_with('#') => rest.to_string(),
        _ => text,
    }
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

fn verdict(slo: SloSpec, ok: &[u64], errors: u64) -> SloVerdict {
    let mut r = Recorder::new(meta(1, slo), vec![]);
    for &ms in ok {
        r.record_ok(0, ms * 1_000_000);
    }
    for _ in 0..errors {
        r.record_error(0, ErrorKind::Http503);
    }
    r.close_window(0.0, 0.0, &[]);
    r.finish(RunTotals::default()).slo_verdict()
}

#[test]
fn slo_verdicts() {
    let lat: Vec<u64> = (1..=100).collect(); // p50 = 50 ms, p99 = 99 ms
                                             // No SLO: met, nothing checked.
    let v = verdict(SloSpec::default(), &lat, 50);
    assert!(v.met && v.checks.is_empty());

    // Every objective met.
    let v = verdict(
        SloSpec {
            p50_ms: Some(60.0),
            p90_ms: Some(95.0),
            p99_ms: Some(120.0),
            error_rate: Some(0.05),
        },
        &lat,
        1,
    );
    assert!(v.met, "{v:?}");
    let names: Vec<&str> = v.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["p50", "p90", "p99", "error_rate"]);
    assert!((v.checks[2].actual - 99.0).abs() < 0.1);
    assert!((v.checks[3].actual - 1.0 / 101.0).abs() < 1e-12);

    // p99 missed, p50 met.
    let v = verdict(
        SloSpec {
            p50_ms: Some(60.0),
            p99_ms: Some(90.0),
            ..SloSpec::default()
        },
        &lat,
        0,
    );
    assert!(!v.met);
    assert!(v.checks[0].met && !v.checks[1].met);

    // Error rate missed: 10 errors in 110 responses > 5%.
    let v = verdict(
        SloSpec {
            error_rate: Some(0.05),
            ..SloSpec::default()
        },
        &lat,
        10,
    );
    assert!(!v.met && !v.checks[0].met);

    // Exactly on target is met.
    let v = verdict(
        SloSpec {
            error_rate: Some(0.5),
            ..SloSpec::default()
        },
        &[1],
        1,
    );
    assert!(v.met);

    // Everything failed: no latency to measure, the latency objective fails.
    let v = verdict(
        SloSpec {
            p99_ms: Some(100.0),
            ..SloSpec::default()
        },
        &[],
        5,
    );
    assert!(!v.met && v.checks[0].actual.is_nan());
}

#[test]
fn summary_table_shows_what_matters() {
    let rec = synthetic(
        8,
        SloSpec {
            p99_ms: Some(10.0),
            ..SloSpec::default()
        },
    );
    let t = rec.summary_table();
    for needle in [
        "mmc",
        "seed 8",
        "requests",
        "errors",
        "http_503",
        "p99",
        "hosts peak",
        "cost",
        "$1.23",
        "SLO",
        "NOT MET",
    ] {
        assert!(t.contains(needle), "{needle} missing in\n{t}");
    }
    assert!(!t.contains("connect"), "zero kinds are left out\n{t}");

    let pooled = Recording::pool((1..=8).map(|s| synthetic(s, SloSpec::default())).collect());
    let t = pooled.summary_table();
    let rep = pooled.replications.unwrap().latency_ms.p99;
    let line = format!(
        "p99 {:.1} ms (95% CI {:.1}–{:.1}, n=8)",
        rep.mean, rep.lo, rep.hi
    );
    assert!(t.contains(&line), "{line} missing in\n{t}");
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
