//! The work estimate against real runs: requests within a few percent of
//! what the simulation counts, events within a factor of two of the
//! engine's count, and the run's peak RSS below the memory estimate.
//!
//! A run's RSS is measured in a child process of its own: this test binary
//! runs itself with only [`measured_child`] selected, which simulates one
//! scenario as `dockmaster simulate` does (engine, recording, report) and
//! prints its `VmHWM` from /proc/self/status.

use crate::util::{dockmaster, scenario, stderr, stdout};
use dockmaster_sim::{engine, WorkEstimate};
use std::process::Command;

/// The child's scenario, when this process is the child.
const CHILD_ENV: &str = "DOCKMASTER_ESTIMATE_CHILD";

/// What a measured run reports: offered requests, events, peak RSS bytes.
struct Measured {
    offered: u64,
    events: u64,
    peak_rss: u64,
}

fn measure(file: &str) -> Measured {
    let exe = std::env::current_exe().unwrap();
    let o = Command::new(exe)
        .args([
            "--exact",
            "estimate::measured_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, scenario(file))
        .output()
        .expect("run the test binary as a child");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "child failed: {out}\n{}", stderr(&o));
    let field = |name: &str| -> u64 {
        out.lines()
            // The harness may print "test ... " before the first line.
            .find_map(|l| l.split_once(&format!("{name} ")).map(|(_, v)| v))
            .unwrap_or_else(|| panic!("no {name} in the child's output:\n{out}"))
            .trim()
            .parse()
            .unwrap()
    };
    Measured {
        offered: field("OFFERED"),
        events: field("EVENTS"),
        peak_rss: field("VMHWM_KB") * 1024,
    }
}

/// Not a test of its own: the child of [`estimates_match_real_runs`].
#[test]
#[ignore = "run as a child process by estimates_match_real_runs"]
fn measured_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let s = dockmaster_sim::scenario::load(std::path::Path::new(&path)).unwrap();
    let rec = engine::run(&s, s.seed, &|_| {});
    let dir = tempfile::tempdir().unwrap();
    let run_id = rec.write_dir(dir.path()).unwrap();
    dockmaster_reports::html::write_report(&rec, &run_id, dir.path()).unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .expect("VmHWM in /proc/self/status")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .to_string();
    println!("OFFERED {}", rec.offered);
    println!("EVENTS {}", rec.engine.as_ref().map_or(0, |e| e.events));
    println!("VMHWM_KB {hwm}");
}

#[test]
fn estimates_match_real_runs() {
    // A queue without CPU work, a CPU-bound steady fleet, and two services
    // losing an AZ under load.
    for file in ["mmc.toml", "steady.toml", "az-outage.toml"] {
        let s = dockmaster_sim::scenario::load(&scenario(file)).unwrap();
        let w = WorkEstimate::of(&s);
        let m = measure(file);
        let requests = w.requests as f64 / m.offered as f64;
        assert!(
            (0.98..=1.02).contains(&requests),
            "{file}: {} requests estimated, {} offered",
            w.requests,
            m.offered
        );
        let events = w.events as f64 / m.events as f64;
        assert!(
            (0.5..=2.0).contains(&events),
            "{file}: {} events estimated, {} fired",
            w.events,
            m.events
        );
        assert!(
            m.peak_rss < w.peak_memory_bytes,
            "{file}: peak RSS {} B above the estimate {} B ({:?})",
            m.peak_rss,
            w.peak_memory_bytes,
            w.memory_parts
        );
    }
}

#[test]
fn validate_prints_the_estimate() {
    let f = scenario("steady.toml");
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let w = WorkEstimate::of(&dockmaster_sim::scenario::load(&f).unwrap());
    let line = out
        .lines()
        .find(|l| l.starts_with("work: "))
        .unwrap_or_else(|| panic!("no work line in:\n{out}"));
    assert!(
        line.contains(&format!(
            "about {} requests and {} events",
            w.requests, w.events
        )),
        "{line}"
    );
    assert!(
        line.contains("peak memory about ") && line.contains("(limit 16 GiB)"),
        "{line}"
    );
}

#[test]
fn wall_time_words_come_from_a_measured_rate() {
    let s = dockmaster_sim::scenario::load(&scenario("flash-sale.toml")).unwrap();
    let w = WorkEstimate::of(&s);
    // 40 M events at 100,000 events/s is 400 s.
    let events_per_s = w.events as f64 / 400.0;
    assert_eq!(
        w.wall_time_words(events_per_s),
        "this will take about 7 minutes"
    );
    assert!((w.wall_time(events_per_s).as_secs_f64() - 400.0).abs() < 1e-6);
}
