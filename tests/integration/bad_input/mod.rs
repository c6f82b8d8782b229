//! Bad scenario files: `dockmaster validate` exits 2 and says, one line per
//! problem, `{file}: {path} = {value}: {allowed}`.
//!
//! Each test starts from [`BASE`], a small valid scenario that uses every
//! section, changes one thing, and checks the path, the value and the words
//! of what is allowed.
//!
//! `values.rs`: wrong values, keys and tags; `bounds.rs` and `messages.rs`:
//! issue 10, values that validated but could not run, and messages a user
//! could not act on.

use crate::util::{dockmaster, stderr, stdout, write_scenario};

mod bounds;
mod messages;
mod values;

/// A valid scenario touching every section. Tests edit it by replacing text.
const BASE: &str = r#"name = "base"
duration = "10m"
seed = 3
window = "10s"

[cluster]
instance_type = "m5.large"
azs = ["us-east-1a", "us-east-1b"]

[cluster.asg]
min = 2
max = 6
desired = 3
launch_time = { dist = "lognormal", mean = "90s", cv = 0.3 }
scaling = { policy = "target_tracking", metric = "cpu", target = 60 }

[[services]]
name = "api"
desired = 4
cpu = 512
memory = 1024
concurrency = 8
queue_limit = 50
service_time = { dist = "lognormal", mean = "40ms", cv = 1.2 }
cpu_per_request = 0.5
startup_time = "20s"
placement = [ { type = "spread", field = "attribute:ecs.availability-zone" },
              { type = "binpack", field = "memory" } ]
constraints = [ { type = "memberOf", expression = "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]" } ]
deployment = { minimum_healthy_percent = 100, maximum_percent = 200 }
autoscaling = { metric = "cpu", target = 50, min = 2, max = 20 }

[[services]]
name = "web"
desired = 2
cpu = 256
memory = 512
concurrency = 4
service_time = { dist = "exponential", mean = "10ms" }

[load_balancer]
algorithm = "round_robin"
health_check = { interval = "30s", timeout = "5s", healthy_threshold = 5, unhealthy_threshold = 2 }
deregistration_delay = "300s"

[traffic]
arrivals = "poisson"
profile = [ { at = "0s", rps = 100 }, { at = "5m", rps = 300 } ]
mix = [ { service = "api", weight = 0.7 }, { service = "web", weight = 0.3 } ]

[[events]]
at = "2m"
action = "deploy"
service = "api"

[[events]]
at = "3m"
action = "fail_az"
az = "us-east-1b"

[slo]
p99 = "300ms"
error_rate = 0.001
"#;

/// BASE with each `(from, to)` replaced (each `from` must occur), written
/// into `dir` as `bad.toml`; runs `dockmaster validate` on it, expects exit
/// status 2 and returns stderr.
fn rejected_in(dir: &std::path::Path, edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_string();
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "test bug: {from:?} is not in the base scenario"
        );
        text = text.replacen(from, to, 1);
    }
    let f = write_scenario(dir, "bad.toml", &text);
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2\nstdout: {}\nstderr: {err}",
        stdout(&o)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains("Some(") && !err.contains("\\\""),
        "no Debug output: {err}"
    );
    for line in err.lines() {
        assert!(
            line.contains("bad.toml: "),
            "every line names the file: {line}"
        );
    }
    err
}

fn rejected(edits: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    rejected_in(dir.path(), edits)
}

/// Asserts that one line reads `{path} = {value}: ...` and that its
/// allowed part contains every one of `allowed`.
#[track_caller]
fn has_problem(err: &str, path: &str, value: &str, allowed: &[&str]) {
    let head = format!(": {path} = {value}: ");
    let line = err
        .lines()
        .find(|l| l.contains(&head))
        .unwrap_or_else(|| panic!("no line with {head:?} in:\n{err}"));
    for a in allowed {
        assert!(line.contains(a), "{line:?} lacks {a:?}");
    }
}
