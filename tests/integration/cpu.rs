//! CPU is conserved: the simulator's CPU model (sim/src/cpu.rs) against
//! processor-sharing theory, against the limits ECS sets, and against the
//! simple law that nobody does more work than the hosts have.
//!
//! Derivations are in the comments; tolerances are set so that the
//! statistical error of the pooled replications is a small part of them.

use crate::queueing::erlang_c;
use crate::util::{dockmaster, parse, scenario, write_scenario};
use dockmaster_reports::Gauge;
use dockmaster_sim::engine::{run_replications, Audit, Simulation};
use dockmaster_sim::Scenario;
use proptest::prelude::*;

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want
}

/// Mean response of M/M/c with arrival rate λ and service rate μ per
/// server: 1/μ + C(c, λ/μ)/(cμ − λ) (Erlang C).
fn mmc_mean(lambda: f64, mu: f64, c: u32) -> f64 {
    1.0 / mu + erlang_c(c, lambda / mu) / (c as f64 * mu - lambda)
}

/// One host of `instance`, one service of one task: `cpu` units with
/// `limit`, `concurrency` slots, the given service time and CPU share.
#[allow(clippy::too_many_arguments)]
fn one_task(
    instance: &str,
    cpu: u32,
    limit: &str,
    concurrency: u32,
    service_time: &str,
    cpu_per_request: f64,
    rps: f64,
    duration: &str,
) -> String {
    format!(
        r#"
name = "cpu-theory"
duration = "{duration}"
seed = 5
window = "1m"
[cluster]
instance_type = "{instance}"
azs = ["us-east-1a"]
[cluster.asg]
min = 1
max = 1
desired = 1
[[services]]
name = "svc"
desired = 1
cpu = {cpu}
cpu_limit = "{limit}"
memory = 1024
concurrency = {concurrency}
queue_limit = 100000
service_time = {service_time}
cpu_per_request = {cpu_per_request}
[traffic]
arrivals = "poisson"
profile = [ {{ at = "0s", rps = {rps} }} ]
"#
    )
}

fn audited(s: &Scenario) -> (dockmaster_reports::Recording, Audit) {
    Simulation::new(s, s.seed).run_audited(&|_| {})
}

#[test]
fn pure_cpu_work_on_four_vcpus_is_mg4_processor_sharing() {
    // cpu_per_request = 1 on one 4-vCPU host (m5.xlarge), one task whose
    // 1000 slots never all fill: n requests on the CPU each run at
    // min(1, 4/n) vCPU. That is the 4-server processor-sharing queue, whose
    // number in system is that of M/M/4 for exponential work and which is
    // insensitive to the work's distribution beyond its mean (a symmetric
    // queue, Kelly 1979). So E[T] = M/M/4's: λ = 280/s, work 10 ms (μ = 100),
    // ρ = 0.7: C(4, 2.8) = 8.537 / (11.379 + 8.537) = 0.4287, E[T] = 10 ms +
    // 0.4287 / (400 − 280)/s = 13.57 ms, for exponential and for lognormal
    // cv 2 work alike.
    let want = mmc_mean(280.0, 100.0, 4) * 1e3;
    assert!((want - 13.572).abs() < 0.001, "theory {want}");
    for (dist, reps) in [
        (r#"{ dist = "exponential", mean = "10ms" }"#, 4),
        (r#"{ dist = "lognormal", mean = "10ms", cv = 2.0 }"#, 8),
    ] {
        let s = parse(&one_task(
            "m5.xlarge",
            4096,
            "shares",
            1000,
            dist,
            1.0,
            280.0,
            "30m",
        ));
        let r = run_replications(&s, s.seed, reps, &|_| {});
        let got = r.latency().mean_ms;
        assert!(
            rel(got, want) < 0.02,
            "{dist}: mean {got:.3} ms, M/G/4-PS {want:.3} ms"
        );
        assert_eq!(r.errors(), 0);
    }
}

#[test]
fn half_cpu_requests_add_the_off_cpu_wait_to_the_cpu_phase() {
    // cpu_per_request = 0.5 of an exponential 20 ms service time: CPU work
    // is exponential with mean 10 ms (the M/G/4-PS phase above, 13.23 ms),
    // then the other 10 ms are waited off the CPU, never slowed (slots never
    // bind). E[T] = 13.57 + 10 = 23.57 ms.
    let want = mmc_mean(280.0, 100.0, 4) * 1e3 + 10.0;
    let s = parse(&one_task(
        "m5.xlarge",
        4096,
        "hard",
        1000,
        r#"{ dist = "exponential", mean = "20ms" }"#,
        0.5,
        280.0,
        "30m",
    ));
    let r = run_replications(&s, s.seed, 4, &|_| {});
    let got = r.latency().mean_ms;
    assert!(
        rel(got, want) < 0.02,
        "mean {got:.3} ms, CPU phase + off-CPU {want:.3} ms"
    );
    // A 4096-unit quota on a 4-vCPU host never binds.
    assert_eq!(audited(&s).1.throttled, 0);
}

#[test]
fn a_hard_limit_holds_even_when_the_host_has_cpu_to_spare() {
    // One 1024-unit task (1 vCPU of quota) on a 4-vCPU host asked for 1.5
    // vCPU of work (150/s × 10 ms). The quota, not the host, is the
    // bottleneck: it gets 1 vCPU (≤ 1 vCPU × run + one period's burst), is
    // throttled, and its queue grows; with `shares` the same task borrows the
    // idle host CPU, does all the work, and its service CPU metric passes
    // 100 % of its reservation, as ECS reports it.
    let run = |limit: &str| {
        let s = parse(&one_task(
            "m5.xlarge",
            1024,
            limit,
            8,
            r#"{ dist = "exponential", mean = "10ms" }"#,
            1.0,
            150.0,
            "10m",
        ));
        audited(&s)
    };
    let secs = 600.0;
    let (rec, audit) = run("hard");
    let done: f64 = audit.windows.iter().map(|w| w.cpu_work_done_ns).sum();
    let period = 0.1e9;
    assert!(
        done <= secs * 1e9 + period,
        "hard task completed {:.3} vCPU-s of work in {secs} s with a 1-vCPU quota",
        done / 1e9
    );
    let got = audit.service_cpu_ns[0] / (secs * 1e9);
    assert!(got > 0.97 && got <= 1.0 + 1e-9, "hard task got {got} vCPU");
    assert!(
        audit.throttled > 1000,
        "throttled {} times",
        audit.throttled
    );
    let last = rec.windows.last().expect("windows").in_system;
    assert!(
        last > 10_000.0,
        "the queue should grow: {last} in system at the end"
    );

    let (rec, audit) = run("shares");
    let metric = audit.service_cpu_ns[0] / (secs * 1e9) / (1024.0 / 1024.0);
    assert!(
        rel(metric, 1.5) < 0.03,
        "shares task used {metric} of its reservation"
    );
    assert_eq!(audit.throttled, 0);
    assert_eq!(rec.errors(), 0);
}

#[test]
fn contended_shares_split_by_cpu_units() {
    // Two saturated services on one 2-vCPU host (m5.large), 1024 vs 512
    // units, `shares`, each with more runnable requests than the host has
    // vCPUs: CFS gives 2/3 and 1/3 of the host.
    let text = r#"
name = "shares"
duration = "5m"
seed = 3
window = "10s"
[cluster]
instance_type = "m5.large"
azs = ["us-east-1a"]
[cluster.asg]
min = 1
max = 1
desired = 1
[[services]]
name = "big"
desired = 1
cpu = 1024
cpu_limit = "shares"
memory = 512
concurrency = 4
queue_limit = 1000
service_time = { dist = "exponential", mean = "10ms" }
cpu_per_request = 1.0
[[services]]
name = "small"
desired = 1
cpu = 512
cpu_limit = "shares"
memory = 512
concurrency = 4
queue_limit = 1000
service_time = { dist = "exponential", mean = "10ms" }
cpu_per_request = 1.0
[traffic]
profile = [ { at = "0s", rps = 600 } ]
mix = [ { service = "big", weight = 0.5 }, { service = "small", weight = 0.5 } ]
"#;
    let (_, audit) = audited(&parse(text));
    let (big, small) = (audit.service_cpu_ns[0], audit.service_cpu_ns[1]);
    let total = (big + small) / 300e9;
    assert!(
        total > 0.99 && total <= 2.0 + 1e-9,
        "host delivered {total}"
    );
    assert!(rel(big / small, 2.0) < 0.03, "split {}", big / small);
}

/// The conservation laws on one run: per window the model hands out no
/// more CPU than the registered vCPUs, the host CPU gauge stays ≤ 100 %,
/// and the CPU work counted at each request's finish never runs ahead of
/// what was handed out (cumulatively: work done by t ≤ CPU delivered by t).
fn check_conservation(name: &str, s: &Scenario) {
    let (rec, audit) = audited(s);
    assert_eq!(audit.windows.len(), rec.windows.len(), "{name}");
    let util: Vec<f64> = rec
        .gauge(&Gauge::CpuUtil)
        .expect("cpu_util gauge")
        .collect();
    let (mut done, mut delivered, mut capacity) = (0.0, 0.0, 0.0);
    for (i, (w, util)) in audit.windows.iter().zip(util).enumerate() {
        let slack = 1e-9 * w.vcpu_capacity_ns.max(1.0);
        assert!(
            w.cpu_delivered_ns <= w.vcpu_capacity_ns + slack,
            "{name} window {i}: delivered {} > capacity {} vCPU-ns",
            w.cpu_delivered_ns,
            w.vcpu_capacity_ns
        );
        assert!(util <= 1.0 + 1e-9, "{name} window {i}: cpu_util {util}");
        done += w.cpu_work_done_ns;
        delivered += w.cpu_delivered_ns;
        capacity += w.vcpu_capacity_ns;
        assert!(
            done <= delivered * (1.0 + 1e-9) + 1e3,
            "{name} by window {i}: {done} ns of CPU work done, {delivered} delivered"
        );
        assert!(
            delivered <= capacity * (1.0 + 1e-9) + 1.0,
            "{name} by window {i}"
        );
    }
}

#[test]
fn every_bundled_scenario_conserves_cpu() {
    let dir = scenario("");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for p in names {
        let s = dockmaster_sim::scenario::load(&p).expect("bundled scenario loads");
        check_conservation(&p.display().to_string(), &s);
    }
}

#[test]
fn a_fleet_far_over_its_cpu_queues_refuses_and_misses_its_slo() {
    // 3 × m5.large (6 vCPU), 12 tasks of 512 units (0.5 vCPU each, hard):
    // 8,000 req/s × 20 ms × 0.1 = 16 vCPU of CPU work, 2.7× the fleet. The
    // fleet can finish 6 vCPU / 2 ms = 3,000 req/s; the rest queue until the
    // queues are full (within the first second: 12 × (16 + 100) = 1,392
    // places), then get 503, and the SLO is missed.
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
name = "cpu-starved"
duration = "5m"
seed = 1
window = "10s"
[cluster]
instance_type = "m5.large"
azs = ["us-east-1a", "us-east-1b", "us-east-1c"]
[cluster.asg]
min = 3
max = 3
desired = 3
[[services]]
name = "web"
desired = 12
cpu = 512
memory = 1024
concurrency = 16
service_time = { dist = "lognormal", mean = "20ms", cv = 1.0 }
cpu_per_request = 0.1
[traffic]
profile = [ { at = "0s", rps = 8000 } ]
[slo]
p99 = "300ms"
error_rate = 0.001
"#;
    let s = parse(text);
    check_conservation("cpu-starved", &s);
    let (rec, _) = audited(&s);
    // Requests in system fill every slot and queue place, and stay there.
    let l: Vec<f64> = rec.windows.iter().map(|w| w.in_system).collect();
    assert!(l[0] < l[1], "in system {:?}", &l[..4]);
    assert!(l[1..].iter().all(|&x| x > 0.99 * 1392.0), "in system {l:?}");
    let ok_rate = rec.windows.iter().skip(3).map(|w| w.ok).sum::<u64>() as f64
        / (rec.windows.len() - 3) as f64
        / 10.0;
    assert!(
        rel(ok_rate, 3000.0) < 0.03,
        "completes {ok_rate} req/s; the CPU allows 3,000"
    );
    assert!(rec.errors() as f64 > 0.5 * rec.offered as f64);
    let file = write_scenario(dir.path(), "starved.toml", text);
    let out = dir.path().join("out");
    let o = dockmaster(&[
        "simulate",
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
        "--check-slo",
    ]);
    assert_eq!(o.status.code(), Some(1), "the SLO must be missed");
}

/// A random static fleet: 1–3 hosts of a small type, 1–3 services of
/// random size, CPU share and limit, loaded from a third to three times
/// the fleet's vCPU.
fn random_fleet() -> impl Strategy<Value = String> {
    let service = (
        prop::sample::select(vec![256u32, 512, 1024, 2048]),
        prop::bool::ANY,
        0.0f64..=1.0,
        1u32..12,
        1u32..4,
        prop::sample::select(vec!["exponential", "lognormal"]),
        2u32..60,
    );
    (
        prop::sample::select(vec!["c5.large", "m5.large", "m5.xlarge", "c5.2xlarge"]),
        1u32..4,
        prop::collection::vec(service, 1..4),
        0.3f64..3.0,
        prop::sample::select(vec![8u32, 20, 50, 100]),
    )
        .prop_map(|(itype, hosts, services, load, period)| {
            let vcpu = match itype {
                "c5.large" | "m5.large" => 2.0,
                "m5.xlarge" => 4.0,
                _ => 8.0,
            } * hosts as f64;
            let mut text = format!(
                "name = \"random\"\nduration = \"90s\"\nseed = 7\nwindow = \"5s\"\n\
                 [cluster]\ninstance_type = \"{itype}\"\nazs = [\"us-east-1a\", \"us-east-1b\"]\n\
                 cpu_period = \"{period}ms\"\n\
                 [cluster.asg]\nmin = {hosts}\nmax = {hosts}\ndesired = {hosts}\n"
            );
            let mut cpu_per_s = 0.0;
            for (i, (cpu, hard, c, conc, desired, dist, mean_ms)) in services.iter().enumerate() {
                let st = if *dist == "exponential" {
                    format!("{{ dist = \"exponential\", mean = \"{mean_ms}ms\" }}")
                } else {
                    format!("{{ dist = \"lognormal\", mean = \"{mean_ms}ms\", cv = 1.5 }}")
                };
                text += &format!(
                    "[[services]]\nname = \"s{i}\"\ndesired = {desired}\ncpu = {cpu}\n\
                     cpu_limit = \"{}\"\nmemory = 256\nconcurrency = {conc}\nqueue_limit = 50\n\
                     service_time = {st}\ncpu_per_request = {c:.3}\n",
                    if *hard { "hard" } else { "shares" }
                );
                cpu_per_s += c.max(0.05) * *mean_ms as f64 / 1e3 / services.len() as f64;
            }
            let rps = (load * vcpu / cpu_per_s).min(50_000.0);
            text += &format!("[traffic]\nprofile = [ {{ at = \"0s\", rps = {rps:.1} }} ]\n");
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_fleets_conserve_cpu(text in random_fleet()) {
        let s = parse(&text);
        check_conservation("random fleet", &s);
    }
}
