//! The bounds validation puts on a scenario, each with its reason.
//!
//! Two kinds: limits AWS itself has (hosts per cluster, strategies per
//! service), and limits that keep one run within the memory and time of a
//! 24 GiB laptop, so that every value `validate` accepts can be simulated.
//! The second kind were chosen by measuring `dockmaster simulate`'s peak RSS
//! (`/usr/bin/time -f %M`, release build, 2 cores) on scenarios that grow one
//! thing at a time; the figures are quoted where each constant is defined and
//! the per-item costs are those of `crate::estimate`. docs/scenario-format.md
//! has the same table for users.

use crate::time::{Nanos, NANOS_PER_MILLI, NANOS_PER_SEC};

/// Hosts in the ASG (min, max, desired): ECS registers at most 5,000 container
/// instances per cluster (docs/aws-behaviour.md §1.2). Measured: 5,000 hosts
/// cost 2.1 MB (≈ 430 B each).
pub const MAX_HOSTS: u32 = 5000;

/// Tasks of one service (desired, autoscaling min/max, `scale_service`):
/// twice ECS's default quota of 5,000 tasks per service. The bound is time,
/// not memory (a single-slot task costs ≈ 320 B, measured with 20,000): a
/// scheduler pass and every stopped task scan the service's tasks, so a
/// rolling deploy of n tasks costs O(n²) steps, 10⁸ at this bound.
pub const MAX_TASKS_PER_SERVICE: u32 = 10_000;

/// Longest service name: ECS's own limit (docs/aws-behaviour.md §1.12).
pub const MAX_SERVICE_NAME: usize = 255;

/// Services: ECS allows 5,000 per cluster, but each arrival looks at every
/// service's next arrival (`engine::schedule_next_arrival`). Measured: 1,000
/// services run at 1.5 M events/s against 6–40 M for one.
pub const MAX_SERVICES: usize = 1000;

/// `concurrency`: requests a task serves at once. A slot costs ≈ 43 B
/// (measured: 20,000 tasks × 100 slots = 92 MB; 2,000 × 1,000 = 86 MB), so a
/// task at this bound holds 4.3 MB; that is beyond any application server's
/// worker or connection count (Tomcat's default is 200). The product with
/// the task count is bounded by the memory ceiling of the estimate.
pub const MAX_CONCURRENCY: u32 = 100_000;

/// `queue_limit`: waiting requests per task. A waiting request costs 8 B
/// (measured: 10⁷ waiting in one task = 78 MB), and queues grow only as
/// requests wait, so the bound is generous: `scenarios/mmc.toml` uses 10⁶ to
/// mean "unbounded".
pub const MAX_QUEUE_LIMIT: u32 = 10_000_000;

/// Coefficient of variation of lognormal and gamma distributions. The
/// gamma's shape is 1/cv² and rand_distr's `Gamma::new` wants it > 0 and its
/// scale mean·cv² > 0, both finite: cv = 1e200 makes the shape 0 and
/// cv = 1e-200 the scale 0 (both panicked). Below 1e-6 the shape passes 10¹²
/// and Marsaglia–Tsang's acceptance test, `d·(1 − v + ln v)`, loses its
/// precision in f64 (use `constant` for so steady a time); above 100 the
/// shape is below 10⁻⁴ and 99.7 % of draws round to 1 ns, while the
/// lognormal's σ² = ln(1 + cv²) is 9.2 (cv² overflowed at cv = 1e308 and
/// launched every instance in 1 ns). No measured latency distribution comes
/// near either end.
pub const MIN_CV: f64 = 1e-6;
pub const MAX_CV: f64 = 100.0;

/// Shortest reporting window. Each window costs a window-end event, a row of
/// gauges and a histogram (measured: 600,000 empty 1 ms windows took 15.8 s
/// and 525 MB, ≈ 0.9 KB each with the report); below 1 ms a run is mostly
/// windows.
pub const MIN_WINDOW: Nanos = NANOS_PER_MILLI;

/// Windows per run (duration / window): 10⁶ windows cost about 1 GB and
/// half a minute of report writing even when empty.
pub const MAX_WINDOWS: u64 = 1_000_000;

/// Highest rate of a profile point, requests per second: far above what one
/// ALB serves, and the simulator's ≈ 6 M events/s (2–4 events a request)
/// makes each simulated second at this rate take seconds.
pub const MAX_RPS: f64 = 10_000_000.0;

/// Expected requests of one run (the profile's integral over the duration):
/// at 2–4 events a request and ≈ 6 M events/s (flash-sale: 23.9 M events in
/// 3.0 s), 10¹⁰ requests take one to two hours of one core.
pub const MAX_REQUESTS: f64 = 1e10;

/// Shortest `instance_mtbf`. Background failures come at hosts / MTBF; each
/// one costs a scan of the fleet, a replacement launch and the re-placement
/// of the host's tasks. At 10 minutes 5,000 hosts fail 8 times a second of
/// simulated time, which still leaves requests, not failures, the bulk of a
/// run's events (an hour of 5,000 hosts: 3·10⁴ failures); at "1ns" the run
/// never ended. Real EC2 hosts fail every few years.
pub const MIN_MTBF: Nanos = 600 * NANOS_PER_SEC;

/// Relative `weight` of a mix entry: weights are shares, so any bound works
/// that keeps their sum finite (1e308 + 1e308 overflowed, gave every
/// service 0 % and judged "SLO MET" on no requests). 10⁶ × 1,000 services is
/// 10⁹.
pub const MAX_WEIGHT: f64 = 1e6;

/// `price_per_hour` of a custom instance type, USD: the largest EC2 types
/// cost tens of dollars an hour. The bound keeps price × hosts × hours
/// finite: 10⁶ × 5,000 × 2.5·10⁶ h (the longest duration) is 10¹⁶
/// (1e308 gave `"cost_usd": null`).
pub const MAX_PRICE_PER_HOUR: f64 = 1e6;

/// `deployment.maximum_percent`: ECS takes any value ≥ 100, but the
/// scheduler computes desired × maximum_percent / 100 tasks in a `u32`;
/// 10,000 tasks × 1,000 % stays far inside it, and a rolling deploy never
/// starts more than the desired count of new tasks anyway.
pub const MAX_MAXIMUM_PERCENT: u32 = 1000;

/// Peak memory a run may be estimated to need (`crate::estimate`): two
/// thirds of a 24 GiB laptop, leaving the rest to the system, the desktop
/// and the build that is surely running beside it.
pub const MAX_PEAK_MEMORY: u64 = 16 << 30;

/// Events a run may be estimated to fire: at ≈ 6 M events/s, an hour and a
/// half of one core. The per-field bounds each keep a run finite; this keeps
/// their product (say 10,000 hard-limited tasks, an 8 ms CPU period and a
/// 30-day run: 3·10¹³ quota timers) from running for days.
pub const MAX_EVENTS: f64 = 3e10;
