//! The proof: what the simulator predicts is what a real load balancer in
//! front of real (emulated) tasks measures.
//!
//! For `scenarios/testbed-small.toml` under `round_robin` and under
//! `least_outstanding_requests` (both at once, one thread each):
//!
//! ```text
//!  testbed (HAProxy + 5 emulated tasks) ◄── dockmaster loadtest ──► measured/
//!  dockmaster simulate ──────────────────────────────────────────► sim/
//!  dockmaster compare sim/ measured/ --check --tolerance 0.10
//!  + our own checks: same arrivals per window; p50 and p99 within 15 % in
//!    every steady window and within 10 % over the whole run
//! ```
//!
//! Why the agreement can be this tight: the load generator replays the
//! simulator's own arrival instants, and the emulated tasks draw service
//! times from the simulator's stream (`service-time/<service>`, same seed)
//! in the same order — common random numbers. What is left is what the
//! model leaves out (HAProxy, loopback, timer lateness: ~0.4 ms on a 40 ms
//! service, see benches/RESULTS-loadgen.md) and scheduling jitter on a
//! shared 2-core box. Against the jitter, the testbed and the load
//! generator run at nice -10 (as root, as CI does; elsewhere a no-op), and
//! a run whose own clocks show a stall (schedule lag p99 above 2 ms or max
//! above 50 ms, or a service-time timer 50 ms late) is measured once more:
//! it says nothing about the model.
//!
//! Needs HAProxy (`.ci/run` installs it). `DOCKMASTER_E2E=skip` skips the
//! test where it cannot be installed; nothing skips it silently.

use crate::util::{dockmaster, measurement_lock, scenario, stderr, stdout};
use dockmaster_loadgen::clock::TimerStats;
use dockmaster_loadgen::testbed::{Testbed, TestbedOptions};
use dockmaster_loadgen::LoadtestReport;
use dockmaster_reports::Recording;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

const ALGORITHMS: [&str; 2] = ["round_robin", "least_outstanding_requests"];
/// Per steady window, p50 and p99 (issue 4).
const WINDOW_TOLERANCE: f64 = 0.15;
/// Over the whole run.
const RUN_TOLERANCE: f64 = 0.10;

struct Run {
    algorithm: &'static str,
    sim: Recording,
    measured: Recording,
    report: LoadtestReport,
    timer: TimerStats,
    compare_ok: bool,
    compare_out: String,
}

fn rel(sim: f64, measured: f64) -> f64 {
    (sim - measured) / measured
}

fn one(dir: &Path, algorithm: &'static str) -> Run {
    std::fs::create_dir_all(dir).expect("create a run folder");
    let text = std::fs::read_to_string(scenario("testbed-small.toml")).expect("read scenario");
    assert!(
        text.contains("algorithm = \"round_robin\""),
        "scenario changed shape"
    );
    let text = text.replace(
        "algorithm = \"round_robin\"",
        &format!("algorithm = \"{algorithm}\""),
    );
    let file = dir.join(format!("{algorithm}.toml"));
    std::fs::write(&file, &text).expect("write scenario");
    let sc = dockmaster_sim::scenario::load(&file).expect("scenario loads");
    let out = |name: &str| -> PathBuf { dir.join(format!("{algorithm}-{name}")) };
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();

    // The harness runs ahead of the other tests sharing the machine (nice
    // -10 as root; elsewhere a no-op): they would otherwise delay its clocks
    // by milliseconds, and that is not what this test is about.
    let mut opts = TestbedOptions::new(&sc);
    opts.nice = Some(-10);
    let bed = Testbed::start(&sc, &opts).expect("start the testbed");
    let lt = loadtest(&file, bed.url(), &out("measured"));
    let timer = bed.timer_stats().expect("the precise timer is on");
    bed.stop();
    assert!(
        lt.status.success(),
        "loadtest failed: {}\n{}",
        stdout(&lt),
        stderr(&lt)
    );
    simulate(&file, &out("sim"));
    let cmp = dockmaster(&[
        "compare",
        &path(&out("sim")),
        &path(&out("measured")),
        "-o",
        &path(&out("compare")),
        "--tolerance",
        &RUN_TOLERANCE.to_string(),
        "--check",
    ]);
    Run {
        algorithm,
        sim: Recording::read_dir(&out("sim")).expect("read sim recording"),
        measured: Recording::read_dir(&out("measured")).expect("read measured recording"),
        report: LoadtestReport::read(&out("measured")).expect("read loadtest.json"),
        timer,
        compare_ok: cmp.status.success(),
        compare_out: format!("{}{}", stdout(&cmp), stderr(&cmp)),
    }
}

/// `dockmaster loadtest FILE --target URL -o OUT` as the end-to-end tests
/// run it: ahead of neighbouring work (nice -10), quiet.
pub(crate) fn loadtest(file: &Path, url: &str, out: &Path) -> Output {
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    dockmaster(&[
        "loadtest",
        &path(file),
        "--target",
        url,
        "-o",
        &path(out),
        "--timeout",
        "10s",
        "--nice",
        "-10",
        "-q",
    ])
}

/// `dockmaster simulate FILE -o OUT`, which must succeed.
pub(crate) fn simulate(file: &Path, out: &Path) {
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let sim = dockmaster(&["simulate", &path(file), "-o", &path(out), "-q"]);
    assert!(sim.status.success(), "simulate failed: {}", stderr(&sim));
}

/// Was the measurement itself disturbed? The harness watches its own
/// punctuality: the load generator its schedule lag, the testbed how late
/// its service-time timer fired. A stall of tens of ms (another process
/// hogging both cores of a shared box) shifts a window's p99 by more than
/// the tolerance; then the run says nothing about the model.
fn disturbed(r: &Run) -> Option<String> {
    stalled(&r.report, &r.timer, r.algorithm)
}

/// The harness's own clocks stalled: schedule lag p99 over 2 ms or max over
/// 50 ms, or a service-time timer fired 50 ms late (also e2e_cpu.rs's rule).
pub(crate) fn stalled(report: &LoadtestReport, timer: &TimerStats, name: &str) -> Option<String> {
    let lag = report.schedule_lag_ms.as_ref()?;
    let (p99, max) = (lag.p99.unwrap_or(0.0), lag.max.unwrap_or(0.0));
    let timer_max = timer.max_late.as_secs_f64() * 1e3;
    (p99 > 2.0 || max > 50.0 || timer_max > 50.0).then(|| {
        format!(
            "{name}: schedule lag p99 {p99} ms, max {max} ms; service-time timer latest {timer_max:.1} ms late"
        )
    })
}

/// One measurement, made again (once, in `dir/try2`) if the first (in
/// `dir/try1`) was disturbed; returns the run and why it was repeated.
pub(crate) fn measure_again_if_disturbed<R>(
    dir: &Path,
    test: &str,
    one: impl Fn(&Path) -> R,
    disturbed: impl Fn(&R) -> Option<String>,
) -> (R, Option<String>) {
    let first = one(&dir.join("try1"));
    match disturbed(&first) {
        None => (first, None),
        Some(why) => {
            eprintln!("{test}: measurement disturbed, measuring again: {why}");
            (one(&dir.join("try2")), Some(why))
        }
    }
}

/// One algorithm, measured again (once) if the first measurement was
/// disturbed.
fn measured_run(dir: &Path, algorithm: &'static str) -> (Run, Option<String>) {
    measure_again_if_disturbed(dir, "e2e", |d| one(d, algorithm), disturbed)
}

/// Checks one run; returns the problems and appends a table to `log`.
fn judge(r: &Run, log: &mut String) -> Vec<String> {
    let mut bad = Vec::new();
    let (s, m) = (&r.sim, &r.measured);
    let _ = writeln!(
        log,
        "\n{}: window   offered sim/meas   p50 sim  meas    err    p99 sim  meas    err",
        r.algorithm
    );
    if s.windows.len() != m.windows.len() {
        bad.push(format!(
            "{}: {} simulated windows, {} measured",
            r.algorithm,
            s.windows.len(),
            m.windows.len()
        ));
        return bad;
    }
    let n = s.windows.len();
    for (i, (ws, wm)) in s.windows.iter().zip(&m.windows).enumerate() {
        let (e50, e99) = (
            rel(ws.latency.p50_ms, wm.latency.p50_ms),
            rel(ws.latency.p99_ms, wm.latency.p99_ms),
        );
        // Steady: not the first window (both sides start empty, but the
        // real side also opens its connections there) and not the last
        // (the simulation leaves what is in flight at the end unfinished,
        // the load test waits for it).
        let steady = i > 0 && i + 1 < n;
        let _ = writeln!(
            log,
            "{:>14} {:>8}/{:<8} {:>8.1} {:>5.1} {:>+6.1}% {:>9.1} {:>5.1} {:>+6.1}%{}",
            format!("{} s", ws.t_start_s),
            ws.offered,
            wm.offered,
            ws.latency.p50_ms,
            wm.latency.p50_ms,
            e50 * 100.0,
            ws.latency.p99_ms,
            wm.latency.p99_ms,
            e99 * 100.0,
            if steady { "" } else { "  (not steady)" }
        );
        // The load generator replays the simulator's arrivals: every
        // window is offered exactly the same requests.
        if ws.offered != wm.offered {
            bad.push(format!(
                "{} window {i}: offered {} simulated vs {} sent",
                r.algorithm, ws.offered, wm.offered
            ));
        }
        if steady {
            for (name, e) in [("p50", e50), ("p99", e99)] {
                if e.is_nan() || e.abs() > WINDOW_TOLERANCE {
                    bad.push(format!(
                        "{} window {i} (t = {} s): {name} off by {:+.1}% (> {:.0}%)",
                        r.algorithm,
                        ws.t_start_s,
                        e * 100.0,
                        WINDOW_TOLERANCE * 100.0
                    ));
                }
            }
        }
    }
    let (ls, lm) = (s.latency(), m.latency());
    let (e50, e99) = (rel(ls.p50_ms, lm.p50_ms), rel(ls.p99_ms, lm.p99_ms));
    let lag = r
        .report
        .schedule_lag_ms
        .as_ref()
        .expect("open model has a lag");
    let _ = writeln!(
        log,
        "{:>14} {:>8}/{:<8} {:>8.1} {:>5.1} {:>+6.1}% {:>9.1} {:>5.1} {:>+6.1}%\n\
         {:>14} measured errors {}, schedule lag p50 {:?} p99 {:?} max {:?} ms; compare: {}",
        "whole run",
        s.offered,
        m.offered,
        ls.p50_ms,
        lm.p50_ms,
        e50 * 100.0,
        ls.p99_ms,
        lm.p99_ms,
        e99 * 100.0,
        "",
        m.errors(),
        lag.p50,
        lag.p99,
        lag.max,
        if r.compare_ok { "PASS" } else { "FAIL" }
    );
    let _ = writeln!(
        log,
        "{:>14} testbed service-time timer: {} wake-ups, {} over 1 ms late, latest {:.3} ms",
        "",
        r.timer.fired,
        r.timer.late_over_1ms,
        r.timer.max_late.as_secs_f64() * 1e3
    );
    for (name, e) in [("p50", e50), ("p99", e99)] {
        if e.is_nan() || e.abs() > RUN_TOLERANCE {
            bad.push(format!(
                "{} whole run: {name} off by {:+.1}% (> {:.0}%)",
                r.algorithm,
                e * 100.0,
                RUN_TOLERANCE * 100.0
            ));
        }
    }
    if m.errors() > 0 || s.errors() > 0 {
        bad.push(format!(
            "{}: errors at ~70% utilisation (sim {}, measured {})",
            r.algorithm,
            s.errors(),
            m.errors()
        ));
    }
    if r.report.rate.achieved_vs_scheduled.unwrap_or(0.0) < 0.99 {
        bad.push(format!(
            "{}: the generator fell behind: achieved/scheduled rate {:?}",
            r.algorithm, r.report.rate.achieved_vs_scheduled
        ));
    }
    if !r.compare_ok {
        bad.push(format!(
            "{}: dockmaster compare --check failed:\n{}",
            r.algorithm, r.compare_out
        ));
    }
    bad
}

#[test]
fn simulation_agrees_with_a_load_test_of_the_testbed() {
    let _lock = measurement_lock();
    if !haproxy_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // Both algorithms at once: ~45 s instead of ~90 s, at ~300 requests/s
    // each, which a 2-core box carries without strain.
    let runs: Vec<(Run, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = ALGORITHMS
            .iter()
            .map(|a| {
                let d = dir.path();
                s.spawn(move || measured_run(d, a))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an end-to-end run panicked"))
            .collect()
    });
    let mut log = String::new();
    let mut bad = Vec::new();
    for (r, retried) in &runs {
        if let Some(why) = retried {
            let _ = writeln!(log, "\n(measured twice: the first was disturbed: {why})");
        }
        if let Some(why) = disturbed(r) {
            bad.push(format!("the machine was too busy to measure, twice: {why}"));
        }
        bad.extend(judge(r, &mut log));
    }
    eprintln!("{log}");
    if !bad.is_empty() {
        let kept = dir.keep();
        log.push_str(&format!("recordings kept in {}\n", kept.display()));
    }
    assert!(
        bad.is_empty(),
        "simulation and measurement disagree:\n  {}\n{log}",
        bad.join("\n  ")
    );
}

pub(crate) fn haproxy_or_skip() -> bool {
    if std::env::var("DOCKMASTER_E2E").as_deref() == Ok("skip") {
        eprintln!("DOCKMASTER_E2E=skip: end-to-end test skipped");
        return false;
    }
    if let Err(e) = dockmaster_loadgen::testbed::haproxy::version(Path::new("haproxy")) {
        panic!("{e}\n(.ci/run installs haproxy; DOCKMASTER_E2E=skip skips this test)");
    }
    true
}

fn interrupt(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(ok.success(), "kill -INT {pid}");
}

/// Waits for a child to exit, at most `secs`; kills it if it does not.
fn wait_bounded(child: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} did not exit within {secs} s", child.id());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The two commands as a user runs them: `testbed` prints the URL, a
/// `loadtest` slice goes through HAProxy, Ctrl-C on the load test still
/// writes its recording (exit 130), Ctrl-C on the testbed stops HAProxy.
#[test]
fn testbed_and_loadtest_commands_stop_cleanly_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let _lock = measurement_lock();
    if !haproxy_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = scenario("testbed-small.toml");
    let file = file.to_str().unwrap();
    let mut bed = Command::new(env!("CARGO_BIN_EXE_dockmaster"))
        .args(["testbed", file, "--for", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dockmaster testbed");
    let mut lines = BufReader::new(bed.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut haproxy_pid = None;
    for line in lines.by_ref() {
        let line = line.expect("testbed output");
        if let Some(p) = line.split("(pid ").nth(1) {
            haproxy_pid = p.split(',').next().map(|s| s.to_string());
        }
        if let Some(u) = line.split("listening on ").nth(1) {
            url = Some(u.trim().to_string());
            break;
        }
    }
    let url = url.expect("testbed printed its URL");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    // Into a folder that holds a simulation: the load test's recording
    // replaces it whole, so no simulated events.csv is left to appear in
    // the load test's report as happenings that never happened.
    let m1 = dir.path().join("slice");
    let sim = dockmaster(&["simulate", file, "-o", m1.to_str().unwrap(), "-q"]);
    assert!(sim.status.success(), "{}", stderr(&sim));
    assert!(m1.join("events.csv").exists());
    let slice = dockmaster(&[
        "loadtest",
        file,
        "--target",
        &url,
        "-o",
        m1.to_str().unwrap(),
        "--from",
        "10s",
        "--to",
        "12s",
        "--rate-scale",
        "0.5",
        "-q",
    ]);
    assert!(slice.status.success(), "{}", stderr(&slice));
    let rec = Recording::read_dir(&m1).unwrap();
    // 300/s × 0.5 × 2 s ≈ 300 requests, all answered.
    assert!(
        (230..=370).contains(&rec.offered),
        "offered {}",
        rec.offered
    );
    assert_eq!(rec.ok, rec.offered);
    assert_eq!(rec.meta.duration_s, 2.0);
    assert!(
        !m1.join("events.csv").exists(),
        "a stale events.csv survived"
    );

    let m2 = dir.path().join("interrupted");
    let mut lt = Command::new(env!("CARGO_BIN_EXE_dockmaster"))
        .args([
            "loadtest",
            file,
            "--target",
            &url,
            "-o",
            m2.to_str().unwrap(),
            "-q",
        ])
        .spawn()
        .expect("start dockmaster loadtest");
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    interrupt(lt.id());
    let status = wait_bounded(&mut lt, 10);
    assert_eq!(status.code(), Some(130));
    let rec = Recording::read_dir(&m2).expect("the recording is written after Ctrl-C");
    let report = LoadtestReport::read(&m2).expect("loadtest.json is written after Ctrl-C");
    assert!(report.stopped_early);
    assert!(
        rec.meta.duration_s < 5.0 && rec.offered > 200,
        "{} s, {}",
        rec.meta.duration_s,
        rec.offered
    );
    assert_eq!(
        rec.ok + rec.errors(),
        rec.offered,
        "in-flight requests were drained"
    );

    interrupt(bed.id());
    let status = wait_bounded(&mut bed, 10);
    assert!(status.success(), "testbed exit {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("stopped HAProxy")),
        "{rest:?}"
    );
    if let Some(pid) = haproxy_pid {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z")),
            "haproxy {pid} outlived the testbed"
        );
    }
}
