//! How much work a scenario is, before it runs: the requests it offers, the
//! events the engine will fire and the peak memory of one run.
//!
//! ```text
//!  Scenario ──WorkEstimate::of──► requests (the profile's integral)
//!                                 events   (per request + per task, host, window, timer)
//!                                 peak_memory_bytes (hosts, tasks, slots, queues, windows, log)
//!                                       │
//!            validation refuses a scenario above limits::MAX_PEAK_MEMORY / MAX_EVENTS;
//!            `validate` prints it; `wall_time` turns events into minutes
//! ```
//!
//! The figures are estimates, not bounds: they follow what the engine keeps
//! (nothing is freed during a run: a stopped task keeps its slots, a
//! terminated host its entry) with per-item costs measured on release builds
//! (`limits.rs` quotes the measurements) and rounded up, so that a real run
//! stays below the memory figure; tests/integration/estimate.rs checks the
//! bundled scenarios against real runs. Memory is for one replication:
//! `simulate --replications n` keeps n recordings until it pools them.

use crate::scenario::{Action, CpuLimit, Dist, Scenario};
use crate::time::{Nanos, NANOS_PER_SEC};
use crate::traffic::Profile;
use std::time::Duration;

/// What a run of a scenario will cost.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkEstimate {
    /// Requests offered (the profile integrated over the duration): what the
    /// summary counts as the run's total.
    pub requests: u64,
    /// Events the engine fires (`engine.events` of the recording).
    pub events: u64,
    /// Peak resident memory of `dockmaster simulate`, writing included.
    pub peak_memory_bytes: u64,
    /// The parts of the memory figure, largest first, with what they are
    /// made of in the scenario's words (`"services[0] slots: 10000 tasks x
    /// concurrency 100000"`).
    pub memory_parts: Vec<(String, u64)>,
}

// Per-item costs, bytes (measured, rounded up; see limits.rs).
/// The process before any fleet: binary, allocator, two whole-run
/// histograms (measured 6.4 MB for ten hosts and ten tasks).
const BASE: u64 = 8 << 20;
/// A service: its run-time state, streams and target group, and its lines
/// in every chart of the report (measured: 1,000 services of two tasks
/// cost 29 MB more than one).
const PER_SERVICE: u64 = 40 << 10;
/// A host ever launched (measured ≈ 430 B with its placement entry).
const PER_HOST: u64 = 512;
/// A task ever created, without its slots (measured ≈ 320 B).
const PER_TASK: u64 = 384;
/// A slot of a task (measured ≈ 43 B: the slot and its idle-list entry).
const PER_SLOT: u64 = 48;
/// A request in service: its kernel event and its place in the task's
/// finishing heap, in vectors that double (measured ≈ 30 B for 10⁶).
const PER_IN_FLIGHT: u64 = 64;
/// A waiting request: 8 B in a queue that doubles.
const PER_QUEUED: u64 = 16;
/// A window: its row, gauges, CPU audit and share of the report (measured
/// 0.9 KB empty, 2.1 KB with a request or two).
const PER_WINDOW: u64 = 3 << 10;
/// Each service adds to every window a gauge column, its own part of the
/// window (a `ServiceWindow`, ~100 B, and an encoded empty histogram,
/// ~40 B), nine columns of timeseries.csv and its share of the report.
const PER_WINDOW_SERVICE: u64 = 320;
/// A window's histogram costs up to ~4 B per latency bucket it hits
/// (HdrHistogram V2 encoding: a count and a run of zeros); it hits at most
/// one bucket per request, and in practice far fewer than the 23,552 of the
/// 1 µs–1 h range: a lognormal of cv 5 with 10,000 requests a window hit
/// ≈ 3,000 (11.8 KB a window, measured). 8,192 buckets is a spread from
/// 1 ms to 30 s at full resolution.
const HIST_BUCKETS: u64 = 8192;
const PER_BUCKET: u64 = 4;
/// A line of the fleet's story (`events.csv`), in memory and written.
const PER_LOG_LINE: u64 = 256;
/// A sample of an empirical distribution.
const PER_SAMPLE: u64 = 8;

/// Events of the control plane, per item (a task: placed, started, passes,
/// health checks, drained; a host: launch, in service, terminated).
const EVENTS_PER_TASK: f64 = 8.0;
const EVENTS_PER_HOST: f64 = 4.0;
/// `events.csv` lines per task and per host ever created.
const LOG_PER_TASK: f64 = 6.0;
const LOG_PER_HOST: f64 = 4.0;
/// How often a scaling policy can go out and back in: 15 datapoints below
/// target before a scale-in, plus the scale-in cooldown.
const SCALE_IN_DATAPOINTS: Nanos = 15 * 60 * NANOS_PER_SEC;

impl WorkEstimate {
    /// The estimate of one run of a validated scenario.
    pub fn of(s: &Scenario) -> WorkEstimate {
        let secs = s.duration as f64 / NANOS_PER_SEC as f64;
        let minutes = secs / 60.0;
        let requests = if s.traffic.profile.is_empty() {
            0.0
        } else {
            Profile::new(&s.traffic.profile, 1.0).integral(0.0, secs)
        };
        let windows = s.duration.div_ceil(s.window.max(1)) as f64;
        let asg = &s.cluster.asg;

        // Hosts: the group's peak, and every replacement and scaling cycle.
        let scaled_hosts = match asg.scaling {
            Some(_) => asg.max.max(asg.desired),
            None => asg.desired,
        };
        let peak_hosts = f64::from(scaled_hosts.max(1));
        let mut failures = s
            .faults
            .instance_mtbf
            .map_or(0.0, |m| peak_hosts * s.duration as f64 / m as f64);
        let azs = s.cluster.azs.len().max(1) as f64;
        for e in &s.events {
            failures += match e.action {
                Action::FailInstance { .. } => 1.0,
                Action::FailAz { .. } => (peak_hosts / azs).ceil(),
                Action::SpotInterruption { count } => f64::from(count),
                _ => 0.0,
            };
        }
        // A policy scales out to its maximum, and each time it has scaled
        // in (after 15 datapoints below target and its cooldown) it may
        // scale out again: what it may create over the run.
        let churn = |from: u32, min: u32, max: u32, cooldown: Nanos| {
            let again = (s.duration / (SCALE_IN_DATAPOINTS + cooldown)) as f64;
            f64::from(max.saturating_sub(from)) + f64::from(max.saturating_sub(min)) * again
        };
        let asg_churn = match asg.scaling {
            Some(_) => churn(asg.desired, asg.min, asg.max, 0),
            None => 0.0,
        };
        let hosts_ever = f64::from(asg.desired) + asg_churn + failures;

        // Tasks: each service's peak, then everything that replaces tasks.
        let peaks: Vec<f64> = s
            .services
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut peak = v.desired.max(v.autoscaling.as_ref().map_or(0, |a| a.max));
                for e in &s.events {
                    if let Action::ScaleService { service, desired } = e.action {
                        if service == i {
                            peak = peak.max(desired);
                        }
                    }
                }
                f64::from(peak)
            })
            .collect();
        let all_peak: f64 = peaks.iter().sum();
        let per_host = (all_peak / f64::from(asg.desired.max(1))).ceil();
        let mut tasks_ever = Vec::with_capacity(s.services.len());
        for (i, v) in s.services.iter().enumerate() {
            let peak = peaks[i];
            let mut n = f64::from(v.desired);
            for e in &s.events {
                n += match e.action {
                    Action::Deploy { service } if service == i => peak,
                    Action::ScaleService { service, desired } if service == i => f64::from(desired),
                    _ => 0.0,
                };
            }
            if let Some(a) = &v.autoscaling {
                n += churn(v.desired, a.min, a.max, a.scale_in_cooldown);
            }
            // A failed host's tasks start again elsewhere; the share of them
            // this service has.
            let share = if all_peak > 0.0 { peak / all_peak } else { 0.0 };
            n += failures * per_host * share;
            tasks_ever.push(n);
        }

        // Events.
        let mut events = windows + minutes + s.events.len() as f64 + 2.0 * failures;
        events += hosts_ever * EVENTS_PER_HOST + tasks_ever.iter().sum::<f64>() * EVENTS_PER_TASK;
        for (i, v) in s.services.iter().enumerate() {
            let r = requests * s.traffic.share(i);
            // The arrival, then the end of its service; CPU work and the
            // wait after it may each end with an event of their own.
            events += r * if v.cpu_per_request > 0.0 { 3.0 } else { 2.0 };
            if v.cpu_per_request > 0.0 && v.cpu_limit == CpuLimit::Hard {
                // Quota timers: at most a throttle and a refill per period
                // per task, and no more than the CPU phases that arm them.
                let periods = s.duration as f64 / s.cluster.cpu_period.max(1) as f64;
                events += (2.0 * peaks[i] * periods).min(2.0 * r);
            }
        }

        // Memory.
        let mut parts: Vec<(String, f64)> = Vec::new();
        parts.push((
            "the process and its whole-run histograms".into(),
            BASE as f64,
        ));
        parts.push((
            format!("services: {}", s.services.len()),
            s.services.len() as f64 * PER_SERVICE as f64,
        ));
        parts.push((
            format!("hosts: about {} launched", hosts_ever.ceil()),
            hosts_ever * PER_HOST as f64,
        ));
        let peak_rps = s.traffic.peak_rps();
        for (i, v) in s.services.iter().enumerate() {
            let c = f64::from(v.concurrency);
            let n = tasks_ever[i];
            parts.push((
                format!(
                    "services[{i}] tasks and slots: about {} tasks x concurrency {}",
                    n.ceil(),
                    v.concurrency
                ),
                n * (PER_TASK as f64 + c * PER_SLOT as f64),
            ));
            let r = requests * s.traffic.share(i);
            parts.push((
                format!("services[{i}] requests in service"),
                (peaks[i] * c).min(r) * PER_IN_FLIGHT as f64,
            ));
            parts.push((
                format!(
                    "services[{i}] queues: up to {} waiting per task",
                    v.queue_limit
                ),
                (n * f64::from(v.queue_limit)).min(r) * PER_QUEUED as f64,
            ));
        }
        let per_window_requests = peak_rps * s.window as f64 / NANOS_PER_SEC as f64;
        // The fleet's histogram, and the services' between them: each
        // request lands in one bucket of each.
        let services = s.services.len() as f64;
        let hist = 64.0
            + PER_BUCKET as f64
                * (per_window_requests.min(HIST_BUCKETS as f64)
                    + per_window_requests.min(services * HIST_BUCKETS as f64));
        parts.push((
            format!(
                "windows: {windows} of {}",
                crate::time::format_duration(s.window)
            ),
            windows * (PER_WINDOW as f64 + PER_WINDOW_SERVICE as f64 * services + hist),
        ));
        let policies = s
            .services
            .iter()
            .filter(|v| v.autoscaling.is_some())
            .count()
            + usize::from(asg.scaling.is_some());
        let lines = 2.0 * minutes * policies as f64
            + LOG_PER_TASK * tasks_ever.iter().sum::<f64>()
            + LOG_PER_HOST * hosts_ever
            + s.events.len() as f64;
        parts.push((
            "the fleet's story (events.csv)".into(),
            lines * PER_LOG_LINE as f64,
        ));
        let samples: usize = std::iter::once(&asg.launch_time)
            .chain(s.services.iter().map(|v| &v.service_time))
            .map(|d| match d {
                Dist::Empirical { samples, .. } => samples.len(),
                _ => 0,
            })
            .sum();
        parts.push((
            "empirical samples".into(),
            samples as f64 * PER_SAMPLE as f64,
        ));

        let total: f64 = parts.iter().map(|(_, b)| b).sum();
        let mut memory_parts: Vec<(String, u64)> = parts
            .into_iter()
            .filter(|(_, b)| *b > 0.0)
            .map(|(w, b)| (w, saturate(b)))
            .collect();
        memory_parts.sort_by_key(|p| std::cmp::Reverse(p.1));
        WorkEstimate {
            requests: saturate(requests),
            events: saturate(events),
            peak_memory_bytes: saturate(total),
            memory_parts,
        }
    }

    /// How long the run takes at `events_per_second` (measured on this
    /// machine, e.g. a previous run's `engine.events / engine.wall_seconds`).
    pub fn wall_time(&self, events_per_second: f64) -> Duration {
        if events_per_second.is_nan() || events_per_second <= 0.0 {
            return Duration::MAX;
        }
        Duration::from_secs_f64((self.events as f64 / events_per_second).min(1e12))
    }

    /// "this will take about 4 minutes" at `events_per_second`.
    pub fn wall_time_words(&self, events_per_second: f64) -> String {
        format!(
            "this will take {}",
            duration_words(self.wall_time(events_per_second).as_secs_f64())
        )
    }
}

/// Events per second of one core for a typical scenario (flash-sale under
/// the CPU model: 23.9 M events in 3.0 s on the 2-core build machine;
/// mmc, without CPU work, 20 M/s), for a time figure before anything ran.
pub const TYPICAL_EVENTS_PER_SECOND: f64 = 6e6;

/// A duration in seconds as a person rounds it: "about 4 minutes".
pub fn duration_words(secs: f64) -> String {
    let plural = |n: f64, unit: &str| {
        let n = n.round().max(1.0);
        format!("about {n} {unit}{}", if n == 1.0 { "" } else { "s" })
    };
    match secs {
        s if s < 1.0 => "under a second".to_string(),
        s if s < 90.0 => plural(s, "second"),
        s if s < 90.0 * 60.0 => plural(s / 60.0, "minute"),
        s if s < 48.0 * 3600.0 => plural(s / 3600.0, "hour"),
        s => plural(s / 86_400.0, "day"),
    }
}

fn saturate(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= u64::MAX as f64 {
        u64::MAX
    } else {
        x.ceil() as u64
    }
}

/// Bytes as a person reads them: `512 B`, `40.5 MiB`, `16 GiB`.
pub fn bytes_text(b: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (per, unit) in UNITS {
        if b >= per {
            let v = b as f64 / per as f64;
            return if (v - v.round()).abs() < 0.05 {
                format!("{} {unit}", v.round())
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{b} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_say_them() {
        let e = |events| WorkEstimate {
            requests: 0,
            events,
            peak_memory_bytes: 0,
            memory_parts: Vec::new(),
        };
        assert_eq!(
            e(1_000).wall_time_words(6e6),
            "this will take under a second"
        );
        assert_eq!(
            e(30_000_000).wall_time_words(6e6),
            "this will take about 5 seconds"
        );
        assert_eq!(
            e(1_800_000_000).wall_time_words(6e6),
            "this will take about 5 minutes"
        );
        assert_eq!(e(6_000_000).wall_time(0.0), Duration::MAX);
        assert_eq!(bytes_text(16 << 30), "16 GiB");
        assert_eq!(bytes_text(3 << 19), "1.5 MiB");
        assert_eq!(bytes_text(100), "100 B");
    }
}
