use super::*;
use std::path::PathBuf;

mod files;

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
