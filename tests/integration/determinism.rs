//! Same scenario and seed → byte-identical recordings, whatever the thread
//! count (summary.json apart from its `engine` section, which holds wall time).

use crate::util::{dockmaster_env, scenario, stderr};
use std::path::Path;

fn simulate(out: &Path, threads: &str, extra: &[&str]) {
    simulate_file(out, "steady.toml", threads, extra);
}

fn simulate_file(out: &Path, name: &str, threads: &str, extra: &[&str]) {
    let file = scenario(name);
    let mut args = vec![
        "simulate",
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = dockmaster_env(&args, &[("RAYON_NUM_THREADS", threads)]);
    assert!(o.status.success(), "simulate failed: {}", stderr(&o));
}

fn summary_without_engine(dir: &Path) -> String {
    let s = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let i = s
        .find("\"engine\"")
        .expect("summary.json has an engine section");
    s[..i].to_string()
}

fn assert_same(a: &Path, b: &Path) {
    for f in ["timeseries.csv", "latency.hlog", "events.csv"] {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert_eq!(summary_without_engine(a), summary_without_engine(b));
}

#[test]
fn same_seed_same_bytes_across_runs_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    simulate(&a, "1", &["--replications", "3"]);
    simulate(&b, "2", &["--replications", "3"]);
    simulate(&c, "2", &["--replications", "3"]);
    assert_same(&a, &b);
    assert_same(&b, &c);
}

#[test]
fn a_different_seed_gives_a_different_run() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    simulate(&a, "1", &["--seed", "1"]);
    simulate(&b, "1", &["--seed", "2"]);
    let x = std::fs::read(a.join("timeseries.csv")).unwrap();
    let y = std::fs::read(b.join("timeseries.csv")).unwrap();
    assert_ne!(x, y);
}

#[test]
fn a_moving_fleet_is_deterministic_too() {
    // Failures, replacements, health checks and autoscaling all draw from
    // their own streams: the AZ outage replays byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    simulate_file(&a, "az-outage.toml", "1", &["--replications", "2"]);
    simulate_file(&b, "az-outage.toml", "2", &["--replications", "2"]);
    assert_same(&a, &b);
}
