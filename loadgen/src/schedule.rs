//! The schedule: when each request goes out and to which service, taken from
//! the simulator's own arrival generator so that both halves replay the same
//! arrivals for the same seed.
//!
//! ```text
//!  Scenario + seed ──sim::traffic::Arrivals(rate_scale)──► (t, service), all of [0, duration)
//!                  ──keep [from, to), shift by −from─────► Job { at_ns, service }
//! ```
//!
//! Lazy: the schedule is drawn as it is replayed, so a two-hour scenario
//! costs no memory up front.

use dockmaster_sim::scenario::Scenario;
use dockmaster_sim::time::{Nanos, NANOS_PER_SEC};
use dockmaster_sim::traffic::{Arrivals, Profile};

/// One scheduled request: `at_ns` after the start of the replayed slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub at_ns: u64,
    /// Index into `Scenario::services`.
    pub service: u16,
}

/// The replayed part of the scenario's traffic.
pub struct Schedule {
    arrivals: Arrivals,
    from: Nanos,
    to: Nanos,
}

impl Schedule {
    /// Arrivals of `scenario` under `seed` with the rate multiplied by
    /// `rate_scale`, restricted to `[from, to)` (scenario time, ns).
    pub fn new(
        scenario: &Scenario,
        seed: u64,
        rate_scale: f64,
        from: Nanos,
        to: Nanos,
    ) -> Schedule {
        Schedule {
            arrivals: Arrivals::new(scenario, seed, rate_scale),
            from,
            to: to.min(scenario.duration),
        }
    }
}

impl Iterator for Schedule {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        loop {
            let (t, s) = self.arrivals.next()?;
            if t >= self.to {
                return None;
            }
            if t >= self.from {
                return Some(Job {
                    at_ns: t - self.from,
                    service: s as u16,
                });
            }
        }
    }
}

/// Requests the profile promises in `[from, to)` (its integral), before the
/// randomness of the arrival process.
pub fn expected_requests(scenario: &Scenario, rate_scale: f64, from: Nanos, to: Nanos) -> f64 {
    let secs = |ns: Nanos| ns as f64 / NANOS_PER_SEC as f64;
    Profile::new(&scenario.traffic.profile, rate_scale).integral(secs(from), secs(to))
}

/// The request path of each service: `<base>/<service name>/`, so that a
/// load balancer routes by path prefix (the testbed's HAProxy does).
pub fn service_paths(scenario: &Scenario, base_path: &str) -> Vec<String> {
    let base = base_path.trim_end_matches('/');
    scenario
        .services
        .iter()
        .map(|s| format!("{base}/{}/", s.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario() -> Scenario {
        dockmaster_sim::scenario::parse(
            r#"
duration = "20s"
seed = 3
[cluster]
instance_type = "m5.large"
azs = ["a"]
[cluster.asg]
min = 1
max = 1
desired = 1
[[services]]
name = "web"
desired = 1
cpu = 256
memory = 256
concurrency = 1
service_time = { dist = "constant", value = "1ms" }
[[services]]
name = "api"
desired = 1
cpu = 256
memory = 256
concurrency = 1
service_time = { dist = "constant", value = "1ms" }
[load_balancer]
algorithm = "round_robin"
[traffic]
profile = [ { at = "0s", rps = 100 } ]
mix = [ { service = "web", weight = 0.75 }, { service = "api", weight = 0.25 } ]
"#,
            Path::new("."),
        )
        .expect("test scenario parses")
    }

    #[test]
    fn the_schedule_is_the_simulators_arrivals_sliced() {
        let s = scenario();
        let all: Vec<(u64, usize)> = Arrivals::new(&s, 9, 1.0).collect();
        let from = 5 * NANOS_PER_SEC;
        let to = 12 * NANOS_PER_SEC;
        let slice: Vec<Job> = Schedule::new(&s, 9, 1.0, from, to).collect();
        let want: Vec<Job> = all
            .iter()
            .filter(|(t, _)| (from..to).contains(t))
            .map(|&(t, s)| Job {
                at_ns: t - from,
                service: s as u16,
            })
            .collect();
        assert_eq!(slice, want);
        assert!(slice.len() > 500, "about 700 expected, got {}", slice.len());
        assert!((expected_requests(&s, 1.0, from, to) - 700.0).abs() < 1e-9);
    }

    #[test]
    fn paths_are_service_prefixes_under_the_base() {
        let s = scenario();
        assert_eq!(service_paths(&s, ""), ["/web/", "/api/"]);
        assert_eq!(service_paths(&s, "/shop/"), ["/shop/web/", "/shop/api/"]);
    }
}
