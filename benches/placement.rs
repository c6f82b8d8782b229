//! Placement throughput: the indexed engine against the oracle, and packing
//! quality per strategy.
//!
//! Run: `cargo bench --bench placement` (all, ≈ 4.5 min on 2 cores; figures
//! in `benches/RESULTS.md`);
//! `cargo bench --bench placement -- binpack_memory/10000` (one group);
//! `cargo bench --bench placement -- packing` (the packing table only).
//! Profile: `cargo build --profile release-debug --benches`, then
//! `perf record` the `placement-*` binary with `--bench <filter>`.
//!
//! # Throughput (criterion groups `<case>/<hosts>`)
//!
//! 100,000 tasks of a realistic mix are placed, one `place` call each, on a
//! fleet of 1,000, 10,000 or 50,000 hosts over three AZs:
//!
//! | task | cpu | MiB | share |
//! |---|---|---|---|
//! | web | 512 | 1024 | 40 % |
//! | worker | 1024 | 2048 | 25 % |
//! | sidecar | 256 | 512 | 25 % |
//! | search | 2048 | 4096 | 10 % |
//!
//! (mean 729.6 cpu / 1459.2 MiB). The fleet is sized so that the 100,000
//! tasks take most of the CPU: 1,000 hosts of m5.24xlarge and m5.12xlarge
//! (2:1, 89 % of CPU), 10,000 of m5.2xlarge and c5.2xlarge (1:1, 89 %),
//! 50,000 of m5.large, c5.large and r5.large (1:1:1, 71 %).
//!
//! | case | strategies | constraints | services |
//! |---|---|---|---|
//! | `binpack_memory` (a) | binpack(memory) | | 8 (2 per size) |
//! | `spread_az_binpack_cpu` (b) | spread(AZ), binpack(cpu) | | 8 |
//! | `spread_instance` (c) | spread(instanceId) | | 8 |
//! | `binpack_distinct` (d) | binpack(memory) | distinctInstance | 100 (1,000 tasks each) |
//!
//! Each group times `indexed` on all 100,000 tasks, and `indexed` and
//! `oracle` on the same first K tasks (K below 100,000 where the oracle is
//! too slow; K is in the benchmark name). The oracle scans every host per
//! placement, and `spread(attribute)` costs it a scan per candidate, O(n²).
//! Each iteration starts from a freshly built, empty fleet; building it and
//! the indexed engine's one-off index construction (one `place` + `release`
//! of each task shape) are outside the timed region.
//!
//! After criterion, a summary table of medians per placement goes to stderr.
//!
//! # Packing quality
//!
//! For three task mixes on fleets of one instance type, places 10,000 tasks
//! (arrival order random, seeded) with each strategy and prints hosts used
//! against the lower bound `max(⌈Σcpu / host cpu⌉, ⌈Σmemory / host memory⌉)`.
//! The fleet has 50 % more hosts than the bound, so spreading strategies
//! show how far they spread.

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use dockmaster_sim::catalogue;
use dockmaster_sim::placement::indexed::Indexed;
use dockmaster_sim::placement::oracle::Oracle;
use dockmaster_sim::placement::{HostSpec, Placement, TaskSpec};
use dockmaster_sim::rng;
use dockmaster_sim::scenario::{Attribute, PlacementConstraint, PlacementStrategy, Resource};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- workload

const AZS: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// (name, cpu, memory MiB, share in %)
const MIX: [(&str, u32, u32, u32); 4] = [
    ("web", 512, 1024, 40),
    ("worker", 1024, 2048, 25),
    ("sidecar", 256, 512, 25),
    ("search", 2048, 4096, 10),
];

const TASKS: usize = 100_000;
const FLEETS: [usize; 3] = [1_000, 10_000, 50_000];

/// SplitMix64: the workload's own deterministic stream.
struct Mix64(u64);

impl Mix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn host(type_name: &str, i: usize) -> HostSpec {
    let t = catalogue::lookup(type_name).expect("catalogue type");
    HostSpec {
        az: (i % 3) as u16,
        instance_type: t.name.clone(),
        az_name: AZS[i % 3].to_string(),
        cpu_architecture: t.arch.clone(),
        cpu: t.registered_cpu,
        memory: t.registered_memory_mib,
    }
}

/// The bench fleet of `n` hosts (see the module docs).
fn fleet(n: usize) -> Vec<HostSpec> {
    let types: &[&str] = match n {
        1_000 => &["m5.24xlarge", "m5.24xlarge", "m5.12xlarge"],
        10_000 => &["m5.2xlarge", "c5.2xlarge"],
        _ => &["m5.large", "c5.large", "r5.large"],
    };
    (0..n).map(|i| host(types[i % types.len()], i)).collect()
}

/// A task stream: the distinct task shapes and, per task, its shape.
struct Workload {
    shapes: Vec<TaskSpec>,
    order: Vec<u16>,
}

impl Workload {
    fn tasks(&self, count: usize) -> impl Iterator<Item = &TaskSpec> + '_ {
        self.order[..count]
            .iter()
            .map(|&s| &self.shapes[s as usize])
    }
}

fn size_index(draw: u64) -> usize {
    let mut acc = 0;
    for (i, m) in MIX.iter().enumerate() {
        acc += u64::from(m.3);
        if draw < acc {
            return i;
        }
    }
    unreachable!("shares sum to 100")
}

/// 8 services, two per size; each task draws its size by share.
fn mixed_workload(strategies: Vec<PlacementStrategy>, tasks: usize, seed: u64) -> Workload {
    let shapes = (0..8)
        .map(|s| TaskSpec {
            group: s as u32,
            cpu: MIX[s / 2].1,
            memory: MIX[s / 2].2,
            strategies: strategies.clone(),
            constraints: Vec::new(),
        })
        .collect();
    let mut r = Mix64(seed);
    let order = (0..tasks)
        .map(|_| (size_index(r.below(100)) * 2 + r.below(2) as usize) as u16)
        .collect();
    Workload { shapes, order }
}

/// 100 services with distinctInstance, sized by share (40 web, 25 worker,
/// 25 sidecar, 10 search), tasks arriving round-robin over services.
fn distinct_workload() -> Workload {
    let mut shapes = Vec::new();
    for (i, m) in MIX.iter().enumerate() {
        for _ in 0..m.3 {
            shapes.push(TaskSpec {
                group: shapes.len() as u32,
                cpu: MIX[i].1,
                memory: MIX[i].2,
                strategies: vec![PlacementStrategy::Binpack(Resource::Memory)],
                constraints: vec![PlacementConstraint::DistinctInstance],
            });
        }
    }
    let order = (0..TASKS).map(|i| (i % shapes.len()) as u16).collect();
    Workload { shapes, order }
}

struct Case {
    name: &'static str,
    workload: Workload,
}

fn cases() -> Vec<Case> {
    use PlacementStrategy::*;
    vec![
        Case {
            name: "binpack_memory",
            workload: mixed_workload(vec![Binpack(Resource::Memory)], TASKS, 1),
        },
        Case {
            name: "spread_az_binpack_cpu",
            workload: mixed_workload(
                vec![
                    SpreadAttribute(Attribute::AvailabilityZone),
                    Binpack(Resource::Cpu),
                ],
                TASKS,
                2,
            ),
        },
        Case {
            name: "spread_instance",
            workload: mixed_workload(vec![SpreadInstance], TASKS, 3),
        },
        Case {
            name: "binpack_distinct",
            workload: distinct_workload(),
        },
    ]
}

/// Tasks the oracle places per iteration: ≈ 0.1–0.5 s per iteration.
fn oracle_tasks(case: &str, hosts: usize) -> usize {
    match (case, hosts) {
        // spread(attribute) costs the oracle O(hosts²) per placement: 3.5 ms
        // at 1,000 hosts, 0.35 s at 10,000; at 50,000 one placement is timed
        // once, outside criterion (see `ORACLE_ONCE`).
        ("spread_az_binpack_cpu", 1_000) => 50,
        ("spread_az_binpack_cpu", _) => 1,
        (_, 1_000) => 20_000,
        (_, 10_000) => 2_000,
        _ => 400,
    }
}

/// Oracle benchmarks too slow for 10 criterion samples: timed once.
const ORACLE_ONCE: [(&str, usize); 1] = [("spread_az_binpack_cpu", 50_000)];

// ---------------------------------------------------------------- running

/// An engine with the fleet registered and, for the indexed engine, the
/// indexes of every task shape built (one `place` + `release` per shape,
/// which leaves the state as it was).
trait Engine: Placement + Default {
    const PRIME: bool;
}

impl Engine for Indexed {
    const PRIME: bool = true;
}

impl Engine for Oracle {
    const PRIME: bool = false;
}

fn build<E: Engine>(fleet: &[HostSpec], w: &Workload) -> E {
    let mut e = E::default();
    for h in fleet {
        e.add_host(h.clone());
    }
    if E::PRIME {
        let mut scratch = rng::stream(0, "prime");
        for s in &w.shapes {
            if let Some(h) = e.place(s, &mut scratch) {
                e.release(h, s);
            }
        }
    }
    e
}

/// Places the first `count` tasks; returns how many found a host.
fn run<E: Placement>(e: &mut E, w: &Workload, count: usize) -> usize {
    let mut r = rng::stream(42, "placement");
    let mut placed = 0;
    for t in w.tasks(count) {
        if black_box(e.place(t, &mut r)).is_some() {
            placed += 1;
        }
    }
    placed
}

/// Per-placement times (ns) of every timed iteration, by benchmark, and
/// placed counts, for the summary.
type Samples = BTreeMap<(String, usize, String), (Vec<f64>, usize, usize)>;
static SAMPLES: Mutex<Samples> = Mutex::new(BTreeMap::new());

fn timed<E: Engine>(
    fleet: &[HostSpec],
    w: &Workload,
    count: usize,
    key: (String, usize, String),
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let mut e: E = build(fleet, w);
        let start = Instant::now();
        let placed = run(&mut e, w, count);
        let t = start.elapsed();
        total += t;
        let mut s = SAMPLES.lock().unwrap();
        let entry = s.entry(key.clone()).or_insert((Vec::new(), count, 0));
        entry.0.push(t.as_nanos() as f64 / count as f64);
        entry.2 = placed;
    }
    total
}

/// `quick` (test mode, `cargo test --benches`): 1,000 hosts, 2,000 tasks,
/// each benchmark run once, to check that the benches work.
fn throughput(c: &mut Criterion, quick: bool) {
    let fleets: &[usize] = if quick { &FLEETS[..1] } else { &FLEETS };
    for case in cases() {
        for &hosts in fleets {
            let fleet = fleet(hosts);
            let w = &case.workload;
            let k = if quick {
                2_000.min(oracle_tasks(case.name, hosts))
            } else {
                oracle_tasks(case.name, hosts)
            };
            let all = if quick { 2_000 } else { TASKS };
            let mut g = c.benchmark_group(format!("{}/{hosts}", case.name));
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_secs(1));
            let mut counts = vec![all];
            if k > 0 && k < all {
                counts.push(k);
            }
            for &count in &counts {
                g.throughput(Throughput::Elements(count as u64));
                let key = (case.name.to_string(), hosts, "indexed".to_string());
                let key = (key.0, key.1, format!("{}/{count}", key.2));
                g.bench_function(BenchmarkId::new("indexed", count), |b| {
                    b.iter_custom(|iters| timed::<Indexed>(&fleet, w, count, key.clone(), iters))
                });
            }
            let key = (case.name.to_string(), hosts, format!("oracle/{k}"));
            if ORACLE_ONCE.contains(&(case.name, hosts)) {
                if !quick && filter_matches(&format!("{}/{hosts}/oracle/{k}", case.name)) {
                    eprintln!(
                        "{}/{hosts}/oracle/{k}: timed once, outside criterion",
                        case.name
                    );
                    timed::<Oracle>(&fleet, w, k, key, 1);
                }
            } else {
                g.throughput(Throughput::Elements(k as u64));
                g.bench_function(BenchmarkId::new("oracle", k), |b| {
                    b.iter_custom(|iters| timed::<Oracle>(&fleet, w, k, key.clone(), iters))
                });
            }
            g.finish();
        }
    }
}

/// Whether criterion's filter (the first free argument, a regex; here a
/// plain substring test) selects a benchmark id.
fn filter_matches(id: &str) -> bool {
    match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(filter) => id.contains(&filter),
        None => true,
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn print_summary() {
    let s = SAMPLES.lock().unwrap();
    if s.is_empty() {
        return;
    }
    // (case rank, case, hosts) → engine/count → (median ns, count, placed)
    type Row = BTreeMap<String, (f64, usize, usize)>;
    let mut rows: BTreeMap<(usize, String, usize), Row> = BTreeMap::new();
    for ((case, hosts, what), (xs, count, placed)) in s.iter() {
        rows.entry((case_rank(case), case.clone(), *hosts))
            .or_default()
            .insert(what.clone(), (median(xs), *count, *placed));
    }
    let cell = |x: Option<&(f64, usize, usize)>| match x {
        Some((ns, count, placed)) => format!("{ns:.1} ({placed}/{count})"),
        None => "-".to_string(),
    };
    eprintln!();
    eprintln!("placement summary: median ns per placement (tasks placed / tasks); speed-up = oracle K / indexed K");
    eprintln!(
        "{:<28} {:>24} {:>20} {:>22} {:>10}",
        "case/hosts", "indexed, 100000 tasks", "indexed, first K", "oracle, first K", "speed-up"
    );
    for ((_, case, hosts), m) in rows {
        let full = m.get(&format!("indexed/{TASKS}"));
        let oracle = m.iter().find(|(k, _)| k.starts_with("oracle/"));
        let same = oracle.and_then(|(k, _)| m.get(&k.replace("oracle/", "indexed/")));
        let speedup = match (oracle, same) {
            (Some((_, o)), Some(i)) => format!("{:.0}x", o.0 / i.0),
            _ => "-".to_string(),
        };
        eprintln!(
            "{:<28} {:>24} {:>20} {:>22} {:>10}",
            format!("{case}/{hosts}"),
            cell(full),
            cell(same),
            cell(oracle.map(|(_, v)| v)),
            speedup
        );
    }
}

fn case_rank(case: &str) -> usize {
    cases().iter().position(|c| c.name == case).unwrap_or(99)
}

// ---------------------------------------------------------------- packing

/// (mix name, [(task cpu, task memory, share %)])
type TaskMix = (&'static str, &'static [(u32, u32, u32)]);

const PACKING_MIXES: [TaskMix; 3] = [
    (
        "web/worker/sidecar/search",
        &[
            (512, 1024, 40),
            (1024, 2048, 25),
            (256, 512, 25),
            (2048, 4096, 10),
        ],
    ),
    (
        "cpu-heavy batch",
        &[(1024, 1024, 50), (2048, 2048, 30), (512, 512, 20)],
    ),
    (
        "memory-heavy jvm/cache",
        &[(256, 2048, 40), (512, 4096, 40), (1024, 6144, 20)],
    ),
];

const PACKING_TYPES: [&str; 3] = ["m5.xlarge", "c5.xlarge", "r5.large"];
const PACKING_TASKS: usize = 10_000;

/// (column label, strategies)
fn packing_strategies() -> Vec<(&'static str, Vec<PlacementStrategy>)> {
    use PlacementStrategy::*;
    let az = Attribute::AvailabilityZone;
    vec![
        ("binpack(mem)", vec![Binpack(Resource::Memory)]),
        ("binpack(cpu)", vec![Binpack(Resource::Cpu)]),
        (
            "bp(cpu),bp(mem)",
            vec![Binpack(Resource::Cpu), Binpack(Resource::Memory)],
        ),
        (
            "spr(AZ),bp(mem)",
            vec![SpreadAttribute(az), Binpack(Resource::Memory)],
        ),
        (
            "spr(AZ),spr(inst)",
            vec![SpreadAttribute(az), SpreadInstance],
        ),
        ("random", vec![Random]),
    ]
}

fn packing() {
    let strategies = packing_strategies();
    eprintln!();
    eprintln!(
        "packing quality: {PACKING_TASKS} tasks in random order on one instance type, \
         fleet = 1.5 x bound hosts over 3 AZs"
    );
    eprintln!(
        "bound = max(ceil(sum cpu / host cpu), ceil(sum memory / host memory)); \
         cell = hosts used (used / bound)[, tasks left unplaced]"
    );
    eprintln!("bp = binpack, spr = spread, inst = instanceId");
    eprint!("{:<26} {:<10} {:>5}", "mix", "type", "bound");
    for (name, _) in &strategies {
        eprint!(" {:>20}", name);
    }
    eprintln!();
    for (mix_name, mix) in PACKING_MIXES {
        // One service per size; arrival order drawn by share.
        let mut r = Mix64(7);
        let order: Vec<usize> = (0..PACKING_TASKS)
            .map(|_| {
                let d = r.below(100) as u32;
                let mut acc = 0;
                mix.iter()
                    .position(|m| {
                        acc += m.2;
                        d < acc
                    })
                    .expect("shares sum to 100")
            })
            .collect();
        let cpu: u64 = order.iter().map(|&s| u64::from(mix[s].0)).sum();
        let memory: u64 = order.iter().map(|&s| u64::from(mix[s].1)).sum();
        for type_name in PACKING_TYPES {
            let t = catalogue::lookup(type_name).expect("catalogue type");
            let (host_cpu, host_memory) = (t.registered_cpu, t.registered_memory_mib);
            let bound = cpu
                .div_ceil(u64::from(host_cpu))
                .max(memory.div_ceil(u64::from(host_memory)));
            let hosts = (bound as usize * 3).div_ceil(2);
            eprint!("{:<26} {:<10} {:>5}", mix_name, type_name, bound);
            for (_, chain) in &strategies {
                let shapes: Vec<TaskSpec> = mix
                    .iter()
                    .enumerate()
                    .map(|(g, m)| TaskSpec {
                        group: g as u32,
                        cpu: m.0,
                        memory: m.1,
                        strategies: chain.clone(),
                        constraints: Vec::new(),
                    })
                    .collect();
                let mut e = Indexed::new();
                for i in 0..hosts {
                    e.add_host(host(type_name, i));
                }
                let mut rr = rng::stream(11, "placement");
                let unplaced = order
                    .iter()
                    .filter(|&&s| e.place(&shapes[s], &mut rr).is_none())
                    .count();
                let used = (0..hosts as u32)
                    .filter(|&h| e.free(h) != Some((host_cpu, host_memory)))
                    .count();
                let mut cell = format!("{used} ({:.3})", used as f64 / bound as f64);
                if unplaced > 0 {
                    cell += &format!(", {unplaced} left");
                }
                eprint!(" {:>20}", cell);
            }
            eprintln!();
        }
    }
}

// ---------------------------------------------------------------- main

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .cloned()
        .unwrap_or_default();
    let benchmarking =
        args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list");
    let mut c = Criterion::default().configure_from_args();
    if filter.is_empty() || !"packing".contains(filter.as_str()) {
        throughput(&mut c, !benchmarking);
    }
    c.final_summary();
    if benchmarking {
        print_summary();
    }
    if filter.is_empty() || "packing".contains(filter.as_str()) {
        packing();
    }
}
