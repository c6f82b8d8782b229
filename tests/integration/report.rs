//! Reports as a person sees them: every bundled scenario is simulated, its
//! report.html opened in headless Chromium, and the page checked as the
//! browser parsed it (`--dump-dom`): no console message at all (the page has
//! no script, so any message is the browser complaining: a blocked fetch, a
//! missing file, a parse error), every expected chart present as an inline
//! SVG with lines and its legend labels, no chart the recording has no data
//! for. A screenshot of each page is kept under
//! `target/tmp/report-screenshots/` for a human to look at.
//!
//! Chromium is required: CI installs it (`.ci/run`); without it these tests
//! fail and say how to install it. `DOCKMASTER_CHROMIUM` names another
//! binary.

use crate::util::{bundled_scenarios, dockmaster, simulate_quietly, stderr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "the report tests need headless Chromium. Install it with\n  \
    sudo apt-get install -y --no-install-recommends chromium fonts-liberation   (Debian/Ubuntu)\n\
    or point DOCKMASTER_CHROMIUM at a Chromium or Chrome binary.";

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("DOCKMASTER_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("{INSTALL_HINT}");
}

/// Where screenshots are kept after the test (the temp dirs are not).
fn screenshot_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&d).expect("create the screenshot folder");
    d
}

/// What the browser made of a page.
struct Page {
    dom: String,
    /// Every `CONSOLE` line Chromium logged while loading the page.
    console: Vec<String>,
}

/// One browser at a time: the tests of this binary run in parallel on a
/// small shared machine, and some of them (the end-to-end load test) time
/// things.
static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs headless Chromium on `url` with a fresh profile, offline-minded
/// flags and `extra` arguments; kills it after a minute.
fn headless(url: &str, extra: &[&str]) -> (String, String) {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}\n{INSTALL_HINT}", chromium().display()));
    // Drain the pipes on threads so a chatty browser cannot block on them.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (o, e) = (t_out.join().unwrap(), t_err.join().unwrap());
            assert!(status.success(), "chromium failed on {url}: {status}\n{e}");
            return (o, e);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish {url} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Opens `html` twice: once to dump the DOM with console logging on, once
/// to take a screenshot to `shot`.
fn open(html: &Path, shot: &Path) -> Page {
    let page = open_without_screenshot(html);
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    headless(
        &url,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,3000",
        ],
    );
    let png = std::fs::read(shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{}: empty screenshot",
        shot.display()
    );
    page
}

fn open_without_screenshot(html: &Path) -> Page {
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let (dom, log) = headless(&url, &["--enable-logging=stderr", "--v=0", "--dump-dom"]);
    Page {
        dom,
        console: log
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

impl Page {
    /// The `<figure id="chart-NAME">` element's markup, if present.
    fn figure(&self, name: &str) -> Option<&str> {
        let start = self.dom.find(&format!("id=\"chart-{name}\""))?;
        let end = self.dom[start..].find("</figure>")? + start;
        Some(&self.dom[start..end])
    }

    fn assert_clean(&self, what: &str) {
        assert!(
            self.console.is_empty(),
            "{what}: the browser logged console messages:\n{}",
            self.console.join("\n")
        );
    }

    /// The chart is an inline SVG with lines and every `labels` entry.
    fn assert_chart(&self, what: &str, name: &str, labels: &[String]) {
        let fig = self
            .figure(name)
            .unwrap_or_else(|| panic!("{what}: no {name} chart in the page"));
        let svg_start = fig
            .find("<svg")
            .unwrap_or_else(|| panic!("{what}: {name} has no <svg>"));
        let svg = &fig[svg_start..fig.find("</svg>").expect("closed svg")];
        assert!(svg.len() > 2_000, "{what}: {name} svg is nearly empty");
        let lines = svg.matches("<polyline").count();
        assert!(lines > 0, "{what}: {name} has no line");
        assert!(
            svg.matches("<text").count() > 10,
            "{what}: {name} has no axis labels"
        );
        for l in labels {
            let escaped = l
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert!(svg.contains(&escaped), "{what}: {name} lacks series `{l}`");
        }
    }
}

/// The charts a recording folder should have, with the series each must
/// show, worked out from its own files (not from the renderer).
fn expected_charts(dir: &Path) -> Vec<(&'static str, Vec<String>)> {
    let csv = crate::util::csv_rows(&dir.join("timeseries.csv"));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let has = |g: &str| header.contains(&g);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let s = |x: &str| x.to_string();
    let mut out = Vec::new();
    if summary["requests"]["ok"].as_u64().unwrap() > 0 {
        let mut lat = vec![s("p50"), s("p90"), s("p99"), s("max")];
        for c in summary["slo"]["checks"].as_array().unwrap() {
            let name = c["name"].as_str().unwrap();
            if name != "error_rate" {
                lat.push(format!("SLO {name} ≤"));
            }
        }
        out.push(("latency", lat));
    }
    out.push(("throughput", vec![s("completed (ok)"), s("offered")]));
    let mut cap = Vec::new();
    if has("hosts_in_service") || has("hosts") {
        cap.push(s("hosts in service"));
    }
    for (g, l) in [
        ("hosts_pending", "hosts pending"),
        ("asg_desired", "ASG desired"),
        ("tasks_pending", "tasks pending"),
        ("tasks_draining", "tasks draining"),
    ] {
        if has(g) {
            cap.push(s(l));
        }
    }
    if has("tasks_running") || has("tasks") {
        cap.push(s("tasks running"));
    }
    for g in &header {
        if let Some(svc) = g.strip_prefix("desired_") {
            cap.push(format!("desired {svc}"));
        }
    }
    if !cap.is_empty() {
        out.push(("capacity", cap));
    }
    let mut util = Vec::new();
    for (g, l) in [
        ("cpu_util", "CPU utilisation"),
        ("cpu_reservation", "CPU reserved by tasks"),
        ("memory_reservation", "memory reserved by tasks"),
    ] {
        if has(g) {
            util.push(s(l));
        }
    }
    if !util.is_empty() {
        out.push(("utilisation", util));
    }
    if summary["requests"]["ok"].as_u64().unwrap() > 0 {
        out.push(("latency-cdf", vec![s("whole run")]));
    }
    out
}

const ALL_CHARTS: [&str; 5] = [
    "latency",
    "throughput",
    "capacity",
    "utilisation",
    "latency-cdf",
];

fn check_report(what: &str, dir: &Path, extra_labels: &[(&str, &str)]) {
    let shot = screenshot_dir().join(format!("{what}.png"));
    let page = open(&dir.join("report.html"), &shot);
    page.assert_clean(what);
    assert!(page.dom.contains("<h1>"), "{what}: no heading");
    assert!(page.dom.contains("id=\"verdict\""), "{what}: no verdict");
    let expected = expected_charts(dir);
    for (name, labels) in &expected {
        page.assert_chart(what, name, labels);
        assert!(
            dir.join("charts").join(format!("{name}.svg")).is_file(),
            "{what}: charts/{name}.svg"
        );
    }
    for name in ALL_CHARTS {
        if !expected.iter().any(|(n, _)| *n == name) {
            assert!(
                page.figure(name).is_none(),
                "{what}: {name} drawn without data"
            );
            assert!(!dir.join("charts").join(format!("{name}.svg")).exists());
        }
    }
    for (chart, label) in extra_labels {
        page.assert_chart(what, chart, &[label.to_string()]);
    }
    eprintln!(
        "{what}: {} charts ok, screenshot {}",
        expected.len(),
        shot.display()
    );
}

#[test]
fn every_bundled_scenario_renders_a_clean_report_in_chromium() {
    let _ = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = bundled_scenarios();
    assert!(scenarios.len() >= 5);
    for sc in &scenarios {
        let name = sc.file_stem().unwrap().to_str().unwrap();
        let out = tmp.path().join(name);
        simulate_quietly(sc, &out, &[]);
        check_report(name, &out, &[]);
    }
}

#[test]
fn report_rerenders_from_files_with_events_marked() {
    let _ = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("steady-events");
    simulate_quietly(&crate::util::scenario("steady.toml"), &out, &[]);
    // The events of a busy run, as the fleet dynamics write them: a few
    // notable ones among hundreds of task events, under the run's id (a
    // file without it would be refused as another run's).
    let mut csv = format!(
        "# dockmaster run_id={}\nt_s,kind,subject,detail\n",
        crate::util::run_id_of(&out)
    );
    for i in 0..300 {
        csv.push_str(&format!("{}.000,task_placed,api,host i-{}\n", i, i % 3));
    }
    csv.push_str(
        "90.000,scale_out,asg,3→5\n\
         150.000,deploy_start,api,revision 2\n\
         180.000,deploy_step,api,2 of 6 replaced\n\
         240.000,deploy_end,api,\n\
         330.000,fail_az,us-east-1b,\n\
         420.000,spot_notice,i-0007,two-minute warning\n",
    );
    std::fs::write(out.join("events.csv"), csv).unwrap();
    std::fs::remove_dir_all(out.join("charts")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();

    let o = dockmaster(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let labels = [
        ("latency", "scale out asg 3→5"),
        ("latency", "deploy api"),
        ("latency", "deployed api"),
        ("latency", "AZ us-east-1b fails"),
        ("latency", "Spot notice i-0007"),
        ("throughput", "AZ us-east-1b fails"),
        ("capacity", "deploy api"),
        ("latency", "failure"),
        ("latency", "scaling"),
    ];
    check_report("steady-with-events", &out, &labels);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!page.contains("task placed ×"), "task churn labelled");
    assert!(page.contains("300 task placed"), "task churn counted");
}

#[test]
fn a_load_test_recorded_elsewhere_renders_without_fleet_charts() {
    // A load test sees only the endpoint: no gauges, no events. Made here
    // from a simulation's files by cutting the gauge columns and relabelling
    // the source, as another machine's loadtest would have written them.
    let _ = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("measured");
    simulate_quietly(&crate::util::scenario("steady.toml"), &out, &[]);
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let fixed = 4 + 7 + 6 + 1; // t, counts, errors by kind, latency, in_system
    let cut: String = csv
        .lines()
        .map(|l| l.split(',').take(fixed).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    std::fs::write(out.join("timeseries.csv"), cut).unwrap();
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    summary["source"] = "loadtest".into();
    summary["target"] = "http://testbed.local:8080/".into();
    summary["hosts"]["peak"] = serde_json::Value::Null;
    summary["tasks"]["peak"] = serde_json::Value::Null;
    // Recorded before recordings had services: no per-service columns (cut
    // above), no services in the summary, no tagged intervals.
    summary.as_object_mut().unwrap().remove("services");
    std::fs::write(out.join("summary.json"), summary.to_string()).unwrap();
    let hlog = std::fs::read_to_string(out.join("latency.hlog")).unwrap();
    let untagged: String = hlog
        .lines()
        .filter(|l| !l.starts_with("Tag="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(out.join("latency.hlog"), untagged).unwrap();
    std::fs::remove_file(out.join("events.csv")).ok();
    std::fs::remove_dir_all(out.join("charts")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();

    let o = dockmaster(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let charts: Vec<&str> = expected_charts(&out).iter().map(|(n, _)| *n).collect();
    assert_eq!(charts, vec!["latency", "throughput", "latency-cdf"]);
    check_report("loadtest", &out, &[]);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("Load test against http://testbed.local:8080/"));
    assert!(page.contains("No capacity chart"));
}

#[test]
fn compare_writes_overlay_charts_and_a_clean_comparison_page() {
    let _ = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let sc = crate::util::scenario("steady.toml");
    let (sim, measured, cmp) = (
        tmp.path().join("sim"),
        tmp.path().join("measured"),
        tmp.path().join("cmp"),
    );
    simulate_quietly(&sc, &sim, &[]);
    // Another seed stands in for a measurement of the same fleet; compare
    // refuses unlike seeds unless told, and the page then says so first.
    simulate_quietly(&sc, &measured, &["--seed", "8"]);
    let o = dockmaster(&[
        "compare",
        sim.to_str().unwrap(),
        measured.to_str().unwrap(),
        "-o",
        cmp.to_str().unwrap(),
        "--tolerance",
        "0.15",
        "--allow-different",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = crate::util::stdout(&o);
    assert!(table.contains("verdict       PASS"), "{table}");
    assert!(table.contains("60 common, 59 steady"), "{table}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cmp.join("comparison.json")).unwrap())
            .unwrap();
    assert_eq!(json["overall"]["pass"], true);
    assert_eq!(json["windows"].as_array().unwrap().len(), 60);

    let shot = screenshot_dir().join("comparison.png");
    let page = open(&cmp.join("comparison.html"), &shot);
    page.assert_clean("comparison");
    let s = |x: &str| x.to_string();
    page.assert_chart(
        "comparison",
        "compare-latency",
        &[
            s("sim p50"),
            s("sim p99"),
            s("measured p50"),
            s("measured p99"),
        ],
    );
    page.assert_chart("comparison", "compare-cdf", &[s("sim ("), s("measured (")]);
    page.assert_chart(
        "comparison",
        "compare-error",
        &[s("p50"), s("p99"), s("+15% tolerance")],
    );
    eprintln!("comparison: screenshot {}", shot.display());
    let html = std::fs::read_to_string(cmp.join("comparison.html")).unwrap();
    assert!(
        html.contains("Not like with like")
            && html.contains("the seeds differ (sim 7, measured 8)"),
        "the page does not say first that the seeds differ"
    );

    // --check turns a failed comparison into exit status 1.
    let o = dockmaster(&[
        "compare",
        sim.to_str().unwrap(),
        measured.to_str().unwrap(),
        "-o",
        cmp.to_str().unwrap(),
        "--tolerance",
        "0.001",
        "--check",
        "--allow-different",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn the_console_check_catches_a_broken_page() {
    // The harness itself: a page that fetches from outside and logs an
    // error must not pass as clean.
    let _ = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>\
         <img src=\"https://example.invalid/x.png\"><script>console.error('boom')</script>\
         <p>not a report</p></body></html>",
    )
    .unwrap();
    let page = open_without_screenshot(&bad);
    assert!(
        page.console.iter().any(|l| l.contains("boom")),
        "{:?}",
        page.console
    );
    assert!(
        page.console.iter().any(|l| l.contains("example.invalid")),
        "{:?}",
        page.console
    );
    assert!(page.figure("latency").is_none());
}

#[test]
fn report_of_a_folder_without_a_recording_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = dockmaster(&["report", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("summary.json"), "{}", stderr(&o));
}
