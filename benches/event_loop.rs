//! Event-loop throughput: simulated requests per second of wall time for a
//! 1,000-task round-robin fleet at ~70% utilisation, without and with CPU.
//!
//! `1000_tasks_rr_rho0.7`: 4 × m5.24xlarge, 1,000 tasks of c = 4,
//! exponential 10 ms service (capacity 400,000 req/s), Poisson 280,000 req/s
//! → ρ = 0.7, no CPU work. Each iteration simulates 5 s (≈ 1.4 M requests).
//!
//! `1000_tasks_rr_rho0.7_cpu20`: its CPU-bound twin. The same traffic and
//! slots, 20 % of each request CPU work (2 ms on average: 560 vCPU at
//! 280,000 req/s), on 12 × m5.24xlarge (1,152 vCPU, hosts ~49 % busy), tasks
//! of 1,024 units with hard limits (each asked 0.56 of its 1 vCPU quota).
//! Every request now has two phases (CPU, then off-CPU) and every CPU phase
//! changes its host's shares.
//!
//! Run: `cargo bench --bench event_loop`. Profile: `cargo build --profile
//! release-debug --benches` then `perf record` the bench binary.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dockmaster_sim::engine;
use std::path::Path;

const SCENARIO: &str = r#"
name = "bench-1000-tasks"
duration = "5s"
seed = 1
window = "1s"
[cluster]
instance_type = "m5.24xlarge"
azs = ["us-east-1a", "us-east-1b"]
[cluster.asg]
min = 4
max = 4
desired = 4
[[services]]
name = "api"
desired = 1000
cpu = 256
memory = 512
concurrency = 4
queue_limit = 1000
service_time = { dist = "exponential", mean = "10ms" }
cpu_per_request = 0.0
[load_balancer]
algorithm = "round_robin"
[traffic]
arrivals = "poisson"
profile = [ { at = "0s", rps = 280000 } ]
"#;

/// The CPU-bound twin of [`SCENARIO`].
fn cpu_twin() -> String {
    SCENARIO
        .replace(
            "name = \"bench-1000-tasks\"",
            "name = \"bench-1000-tasks-cpu\"",
        )
        .replace(
            "min = 4\nmax = 4\ndesired = 4",
            "min = 12\nmax = 12\ndesired = 12",
        )
        .replace("cpu = 256", "cpu = 1024")
        .replace("cpu_per_request = 0.0", "cpu_per_request = 0.2")
}

fn event_loop(c: &mut Criterion) {
    let twin = cpu_twin();
    let mut g = c.benchmark_group("event_loop");
    g.sample_size(10);
    for (name, text) in [
        ("1000_tasks_rr_rho0.7", SCENARIO),
        ("1000_tasks_rr_rho0.7_cpu20", twin.as_str()),
    ] {
        let s = dockmaster_sim::scenario::parse(text, Path::new(".")).expect("bench scenario");
        let probe = engine::run(&s, 1, &|_| {});
        assert_eq!(probe.tasks_peak, Some(1000));
        assert_eq!(
            probe.errors(),
            0,
            "{name}: the fleet is sized not to refuse"
        );
        g.throughput(Throughput::Elements(probe.offered));
        g.bench_function(name, |b| b.iter(|| engine::run(&s, 1, &|_| {})));
    }
    g.finish();
}

criterion_group!(benches, event_loop);
criterion_main!(benches);
