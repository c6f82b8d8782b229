//! The simulator against queueing theory, where the exact answer is known.
//!
//! Each check runs several replications (pooled) so that the statistical
//! error is a small fraction of the tolerance; the derivation of each
//! expected value is in the comments.

use crate::util::parse;
use dockmaster_sim::engine::run_replications;

/// Erlang C: the probability that an arrival waits in an M/M/c queue with
/// offered load a = λ/μ Erlangs (a < c).
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    // Σ_{k<c} a^k/k!, and a^c/c!, computed by recurrence to avoid overflow.
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    let top = term * c as f64 / (c as f64 - a);
    top / (sum + top)
}

/// M/M/c response time T = S + Wq: S ~ Exp(μ); Wq = 0 with probability
/// 1 − C, else Exp(θ) with θ = cμ − λ. Returns (mean, P(T > t) as a closure).
pub(crate) fn mmc(lambda: f64, mu: f64, c: u32) -> (f64, impl Fn(f64) -> f64) {
    let pc = erlang_c(c, lambda / mu);
    let theta = c as f64 * mu - lambda;
    let mean = 1.0 / mu + pc / theta;
    let tail = move |t: f64| {
        // P(S + E_θ > t): (θe^{−μt} − μe^{−θt})/(θ − μ), or (1 + μt)e^{−μt} when θ = μ.
        let sum_tail = if (theta - mu).abs() < 1e-12 {
            (1.0 + mu * t) * (-mu * t).exp()
        } else {
            (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - pc) * (-mu * t).exp() + pc * sum_tail
    };
    (mean, tail)
}

/// The q-quantile of a distribution given by its tail, by bisection.
pub(crate) fn quantile(tail: impl Fn(f64) -> f64, q: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 100.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if tail(mid) > 1.0 - q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want
}

/// A one-host, one-service scenario: `tasks` tasks of `c` slots each,
/// Poisson arrivals at `rps`, the given service time, no CPU contention,
/// for `duration` ("2h").
pub(crate) fn single_service(
    rps: f64,
    tasks: u32,
    c: u32,
    service_time: &str,
    algorithm: &str,
    duration: &str,
) -> String {
    format!(
        r#"
name = "theory"
duration = "{duration}"
seed = 11
window = "1m"
[cluster]
instance_type = "m5.24xlarge"
azs = ["us-east-1a"]
[cluster.asg]
min = 1
max = 1
desired = 1
[[services]]
name = "svc"
desired = {tasks}
cpu = 256
memory = 256
concurrency = {c}
queue_limit = 1000000
service_time = {service_time}
cpu_per_request = 0.0
[load_balancer]
algorithm = "{algorithm}"
[traffic]
arrivals = "poisson"
profile = [ {{ at = "0s", rps = {rps} }} ]
"#
    )
}

#[test]
fn mmc_scenario_matches_erlang_c() {
    // scenarios/mmc.toml: λ = 900/s, μ = 100/s, c = 10, ρ = 0.9.
    // Erlang C: C(10, 9) = 0.6687, so E[T] = 1/μ + C/(cμ − λ) = 10 ms + 6.69 ms
    // = 16.69 ms; θ = cμ − λ = 100 = μ, so P(T > t) = (1 − C)e^{−μt} +
    // C(1 + μt)e^{−μt}, and P(T > t) = 0.01 at t = 62.50 ms.
    let s = dockmaster_sim::scenario::load(&crate::util::scenario("mmc.toml")).unwrap();
    let (mean, tail) = mmc(900.0, 100.0, 10);
    let p99 = quantile(&tail, 0.99);
    assert!(rel(mean * 1e3, 16.69) < 0.001, "theory mean {mean}");
    assert!(rel(p99 * 1e3, 62.50) < 0.001, "theory p99 {p99}");
    let r = run_replications(&s, s.seed, 4, &|_| {});
    let l = r.latency();
    assert!(
        rel(l.mean_ms, mean * 1e3) < 0.02,
        "mean {} vs {}",
        l.mean_ms,
        mean * 1e3
    );
    assert!(
        rel(l.p99_ms, p99 * 1e3) < 0.03,
        "p99 {} vs {}",
        l.p99_ms,
        p99 * 1e3
    );
    assert_eq!(r.errors(), 0);
}

#[test]
fn mm1_matches_theory() {
    // M/M/1, λ = 80/s, μ = 100/s: T ~ Exp(μ − λ), E[T] = 50 ms,
    // p99 = ln(100)/(μ − λ) = 230.3 ms.
    let s = parse(&single_service(
        80.0,
        1,
        1,
        r#"{ dist = "exponential", mean = "10ms" }"#,
        "round_robin",
        "2h",
    ));
    let r = run_replications(&s, 5, 8, &|_| {});
    let l = r.latency();
    assert!(rel(l.mean_ms, 50.0) < 0.02, "mean {}", l.mean_ms);
    assert!(
        rel(l.p99_ms, 100f64.ln() / 20.0 * 1e3) < 0.03,
        "p99 {}",
        l.p99_ms
    );
}

#[test]
fn weighted_random_tasks_are_each_mmc() {
    // 4 tasks of c = 4 behind weighted_random: a random split of a Poisson
    // stream is Poisson, so each task is M/M/4 with λ = 1200/4 = 300/s,
    // μ = 100/s (ρ = 0.75), and so is the pooled response time.
    let s = parse(&single_service(
        1200.0,
        4,
        4,
        r#"{ dist = "exponential", mean = "10ms" }"#,
        "weighted_random",
        "1h",
    ));
    let (mean, tail) = mmc(300.0, 100.0, 4);
    let r = run_replications(&s, 9, 6, &|_| {});
    let l = r.latency();
    assert!(
        rel(l.mean_ms, mean * 1e3) < 0.02,
        "mean {} vs {}",
        l.mean_ms,
        mean * 1e3
    );
    let p99 = quantile(tail, 0.99) * 1e3;
    assert!(rel(l.p99_ms, p99) < 0.03, "p99 {} vs {p99}", l.p99_ms);
}

#[test]
fn md1_mean_wait_is_pollaczek_khinchine() {
    // M/D/1, λ = 70/s, D = 10 ms (ρ = 0.7): Pollaczek–Khinchine gives
    // Wq = ρD/(2(1 − ρ)) = 11.667 ms, so E[T] = 21.667 ms.
    let s = parse(&single_service(
        70.0,
        1,
        1,
        r#"{ dist = "constant", value = "10ms" }"#,
        "round_robin",
        "2h",
    ));
    let r = run_replications(&s, 3, 6, &|_| {});
    let wq = r.latency().mean_ms - 10.0;
    assert!(rel(wq, 0.7 * 10.0 / (2.0 * 0.3)) < 0.02, "Wq {wq}");
}

#[test]
fn littles_law_holds_on_every_window() {
    // L = λW per window: the time-averaged number in system equals the
    // completions' total time in system divided by the window, up to the
    // few requests that straddle a window edge (≪ 1%).
    let s = dockmaster_sim::scenario::load(&crate::util::scenario("mmc.toml")).unwrap();
    let r = run_replications(&s, s.seed, 1, &|_| {});
    assert!(r.windows.len() >= 100);
    for w in &r.windows {
        let lambda_w = w.ok as f64 * w.latency.mean_ms / 1e3 / r.meta.window_s;
        assert!(
            rel(lambda_w, w.in_system) < 0.01,
            "window at {} s: L = {} but λW = {}",
            w.t_start_s,
            w.in_system,
            lambda_w
        );
    }
}

#[test]
fn arrivals_follow_a_time_varying_profile() {
    // A ramp 100 → 1000 rps over 10 min, then flat: offered per 1-minute
    // window is Poisson with mean ∫rate; check each within 5 σ and the total
    // within 3 σ.
    let text = single_service(
        0.0,
        4,
        64,
        r#"{ dist = "constant", value = "1ms" }"#,
        "round_robin",
        "1h",
    )
    .replace(
        r#"profile = [ { at = "0s", rps = 0 } ]"#,
        r#"profile = [ { at = "0s", rps = 100 }, { at = "10m", rps = 1000 } ]"#,
    );
    let s = parse(&text);
    let r = run_replications(&s, 21, 1, &|_| {});
    let mut total = 0.0;
    let mut want_total = 0.0;
    for w in &r.windows {
        let (a, b) = (w.t_start_s, w.t_start_s + 60.0);
        let rate = |t: f64| {
            if t < 600.0 {
                100.0 + 900.0 * t / 600.0
            } else {
                1000.0
            }
        };
        let want = (rate(a) + rate(b)) / 2.0 * 60.0;
        assert!(
            (w.offered as f64 - want).abs() < 5.0 * want.sqrt(),
            "window {a}: offered {} vs {want}",
            w.offered
        );
        total += w.offered as f64;
        want_total += want;
    }
    assert!(
        (total - want_total).abs() < 3.0 * want_total.sqrt(),
        "{total} vs {want_total}"
    );
}
