//! The fluid bound: what no fleet of that size can serve within its error
//! budget is pruned before it is simulated; what might hold is not.

use dockmaster_plan::prune::cannot_hold;
use std::path::Path;

/// `tasks` tasks of 4 slots, 25 ms mean service, 400 req/s for 10 minutes,
/// a 0.1 % error budget.
fn fleet(tasks: u32, cpu: u32, cpu_per_request: f64, cpu_limit: &str) -> String {
    format!(
        r#"
name = "bound"
duration = "10m"
[cluster]
instance_type = "m5.large"
azs = ["a"]
[cluster.asg]
min = 8
max = 8
desired = 8
[[services]]
name = "api"
desired = {tasks}
cpu = {cpu}
memory = 512
concurrency = 4
queue_limit = 64
service_time = {{ dist = "exponential", mean = "25ms" }}
cpu_per_request = {cpu_per_request}
cpu_limit = "{cpu_limit}"
[traffic]
profile = [ {{ at = "0s", rps = 400 }} ]
[slo]
error_rate = 0.001
"#
    )
}

fn bound(text: &str) -> Option<String> {
    cannot_hold(&dockmaster_sim::scenario::parse(text, Path::new(".")).unwrap())
}

#[test]
fn too_few_slots_for_the_offered_rate_are_pruned() {
    // 2 tasks × 4 slots / 25 ms = 320 req/s against 400: a fifth is refused
    // once 2 × 68 places are full.
    let why = bound(&fleet(2, 256, 0.0, "hard")).expect("pruned");
    assert!(why.contains("refuse 19."), "{why}");
    assert!(
        why.contains("over the fleet's error budget of 0.10%"),
        "{why}"
    );
    // 3 tasks: 480 req/s of slots, nothing overflows.
    assert_eq!(bound(&fleet(3, 256, 0.0, "hard")), None);
}

#[test]
fn a_hard_cpu_limit_caps_what_the_slots_could_do() {
    // 6 tasks: 960 req/s of slots, but each request burns 20 ms of CPU and a
    // 256-unit task gets a quarter vCPU: 6 × 0.25 / 0.02 = 75 req/s.
    let why = bound(&fleet(6, 256, 0.8, "hard")).expect("pruned");
    assert!(why.contains("(75 req/s of capacity"), "{why}");
    // With shares the tasks may use every vCPU of the 8 hosts (16 vCPU:
    // 800 req/s): it might hold.
    assert_eq!(bound(&fleet(6, 256, 0.8, "shares")), None);
}
