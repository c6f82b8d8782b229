//! Event-loop throughput: simulated requests per second of wall time for a
//! 1,000-task round-robin fleet at ~70% utilisation.
//!
//! Fleet: 4 × m5.24xlarge, 1,000 tasks of c = 4, exponential 10 ms service
//! (capacity 400,000 req/s), Poisson 280,000 req/s → ρ = 0.7. Each iteration
//! simulates 5 s (≈ 1.4 M requests).
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

fn event_loop(c: &mut Criterion) {
    let s = dockmaster_sim::scenario::parse(SCENARIO, Path::new(".")).expect("bench scenario");
    let probe = engine::run(&s, 1, &|_| {});
    let requests = probe.offered;
    assert_eq!(probe.tasks_peak, Some(1000));
    let mut g = c.benchmark_group("event_loop");
    g.sample_size(10);
    g.throughput(Throughput::Elements(requests));
    g.bench_function("1000_tasks_rr_rho0.7", |b| {
        b.iter(|| engine::run(&s, 1, &|_| {}))
    });
    g.finish();
}

criterion_group!(benches, event_loop);
criterion_main!(benches);
