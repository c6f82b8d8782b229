//! `loadtest.json`: what only a load test knows — how closely the generator
//! kept to its schedule, latency measured from the actual send, connection
//! use — beside the shared Recording files. Its headline figures are also
//! written as notes into `summary.json`.

use crate::aggregate::quantile_ms;
use crate::options::{Mode, Options};
use dockmaster_reports::LatencyStats;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `loadtest.json`; the recording folder owns it (reports::staging).
pub use dockmaster_reports::staging::LOADTEST_FILE;

/// Latency figures in ms (null when there is nothing to measure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
}

fn r4(x: f64) -> Option<f64> {
    x.is_finite().then(|| (x * 1e4).round() / 1e4)
}

impl Percentiles {
    /// From a µs histogram.
    pub fn from_us(h: &Histogram<u64>) -> Percentiles {
        let empty = h.is_empty();
        let q = |q: f64| if empty { None } else { r4(quantile_ms(h, q)) };
        Percentiles {
            count: h.len(),
            mean: if empty { None } else { r4(h.mean() / 1000.0) },
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            max: if empty {
                None
            } else {
                r4(h.max() as f64 / 1000.0)
            },
        }
    }

    fn from_stats(l: &LatencyStats) -> Percentiles {
        Percentiles {
            count: l.count,
            mean: r4(l.mean_ms),
            p50: r4(l.p50_ms),
            p90: r4(l.p90_ms),
            p99: r4(l.p99_ms),
            p999: r4(l.p999_ms),
            max: r4(l.max_ms),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    pub from_s: f64,
    pub to_s: f64,
    pub rate_scale: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// What the traffic profile promises for the replayed slice (open model).
    pub expected: Option<f64>,
    /// Sent, or about to be (open: reached their instant), or started (closed).
    pub sent: u64,
    /// Answered or failed.
    pub completed: u64,
    pub ok: u64,
    pub errors: u64,
    /// Still in flight when the drain period after a stop ended.
    pub unfinished: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// The profile's mean rate over the slice (open model).
    pub expected_rps: Option<f64>,
    /// Requests in the schedule / slice length (open model, run to the end).
    pub scheduled_rps: Option<f64>,
    /// Sent / the time it took (at least the slice). Closed model:
    /// completed / duration, the target's throughput.
    pub achieved_rps: f64,
    /// achieved / scheduled: 1.0 when the generator kept up.
    pub achieved_vs_scheduled: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Connections {
    /// --max-connections (open) or --closed N.
    pub limit: usize,
    pub opened: u64,
    pub peak_open: u64,
    /// Requests that found every connection of their worker busy and waited
    /// for one (the wait is part of their schedule lag and latency).
    pub waited_for_connection: u64,
}

/// The contents of `loadtest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadtestReport {
    /// `open` or `closed`.
    pub mode: String,
    pub target: String,
    pub scenario: String,
    pub seed: u64,
    pub replay: Option<Replay>,
    pub closed_connections: Option<usize>,
    /// Planned length of the run (the replayed slice, or --duration).
    pub duration_s: f64,
    pub wall_s: f64,
    pub threads: usize,
    pub timeout_s: f64,
    pub stopped_early: bool,
    pub stopped_at_s: Option<f64>,
    pub requests: Requests,
    pub rate: Rate,
    /// Sent − scheduled (open model): how far behind its schedule the
    /// generator was; includes any wait for a free connection and the
    /// connect time of a new one.
    pub schedule_lag_ms: Option<Percentiles>,
    pub sent_late_over_1ms: Option<u64>,
    /// Scheduled instant → response (what summary.json reports).
    pub latency_ms: Percentiles,
    /// Actual send → response: what a closed-loop tool would report.
    pub send_latency_ms: Percentiles,
    /// Time to open a connection, for the requests that opened one.
    pub connect_ms: Percentiles,
    pub connections: Connections,
    /// Times a worker found the aggregator's queue full and waited.
    pub aggregator_backpressure: u64,
    /// Responses recorded in a later window than the one they completed in.
    pub late_records: u64,
}

pub(crate) struct Inputs<'a> {
    pub opts: &'a Options,
    pub measured: &'a Histogram<u64>,
    pub send_us: &'a Histogram<u64>,
    pub connect_us: &'a Histogram<u64>,
    pub latency: LatencyStats,
    pub dispatched: u64,
    pub completed: u64,
    pub ok: u64,
    pub errors: u64,
    pub late_over_1ms: u64,
    pub late_records: u64,
    pub last_sent_s: f64,
    pub slice_s: f64,
    pub stopped_at_s: Option<f64>,
    pub finished_schedule: bool,
    pub expected_requests: Option<f64>,
    pub threads: usize,
    pub connections_opened: u64,
    pub connections_peak: u64,
    pub waited_for_connection: u64,
    pub aggregator_full: u64,
    pub wall_s: f64,
}

impl LoadtestReport {
    pub(crate) fn build(i: Inputs<'_>) -> LoadtestReport {
        let o = i.opts;
        let open = matches!(o.mode, Mode::Open { .. });
        let (replay, closed_connections, limit) = match &o.mode {
            Mode::Open {
                rate_scale,
                from,
                to,
            } => (
                Some(Replay {
                    from_s: *from as f64 / 1e9,
                    to_s: to.unwrap_or(o.scenario.duration) as f64 / 1e9,
                    rate_scale: *rate_scale,
                }),
                None,
                o.max_connections,
            ),
            Mode::Closed { connections, .. } => (None, Some(*connections), *connections),
        };
        let scheduled_rps = (open && i.finished_schedule && i.stopped_at_s.is_none())
            .then(|| i.dispatched as f64 / i.slice_s);
        let achieved_rps = if open {
            let span = match i.stopped_at_s {
                Some(s) => s.max(i.last_sent_s),
                None => i.slice_s.max(i.last_sent_s),
            };
            i.dispatched as f64 / span.max(1e-9)
        } else {
            i.completed as f64 / i.slice_s
        };
        LoadtestReport {
            mode: if open { "open" } else { "closed" }.to_string(),
            target: o.target.clone(),
            scenario: o.scenario.name.clone(),
            seed: o.seed,
            replay,
            closed_connections,
            duration_s: i.slice_s,
            wall_s: r4(i.wall_s).unwrap_or(0.0),
            threads: i.threads,
            timeout_s: o.timeout.as_secs_f64(),
            stopped_early: i.stopped_at_s.is_some(),
            stopped_at_s: i.stopped_at_s.and_then(r4),
            requests: Requests {
                expected: i.expected_requests.and_then(r4),
                sent: i.dispatched,
                completed: i.completed,
                ok: i.ok,
                errors: i.errors,
                unfinished: i.dispatched.saturating_sub(i.completed),
            },
            rate: Rate {
                expected_rps: i.expected_requests.and_then(|x| r4(x / i.slice_s)),
                scheduled_rps: scheduled_rps.and_then(r4),
                achieved_rps: r4(achieved_rps).unwrap_or(0.0),
                achieved_vs_scheduled: scheduled_rps.and_then(|s| r4(achieved_rps / s)),
            },
            schedule_lag_ms: open.then(|| Percentiles::from_us(i.measured)),
            sent_late_over_1ms: open.then_some(i.late_over_1ms),
            latency_ms: Percentiles::from_stats(&i.latency),
            send_latency_ms: Percentiles::from_us(i.send_us),
            connect_ms: Percentiles::from_us(i.connect_us),
            connections: Connections {
                limit,
                opened: i.connections_opened,
                peak_open: i.connections_peak,
                waited_for_connection: i.waited_for_connection,
            },
            aggregator_backpressure: i.aggregator_full,
            late_records: i.late_records,
        }
    }

    /// The headline figures as notes for summary.json.
    pub fn notes(&self) -> Vec<String> {
        let f = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.3}"));
        let mut notes = Vec::new();
        match &self.replay {
            Some(r) => notes.push(format!(
                "load test, open model, of {}: scenario time [{} s, {} s) at rate ×{}; latency \
                 counts from each request's scheduled instant (no coordinated omission); schedule \
                 lag, send-time latency and connections are in {LOADTEST_FILE}",
                self.target, r.from_s, r.to_s, r.rate_scale
            )),
            None => notes.push(format!(
                "load test, closed model, of {}: {} connections back to back for {} s, {:.0} \
                 requests/s; latency counts from each send (a ceiling, not the scenario's \
                 traffic); details in {LOADTEST_FILE}",
                self.target,
                self.closed_connections.unwrap_or(0),
                self.duration_s,
                self.rate.achieved_rps
            )),
        }
        if let Some(l) = &self.schedule_lag_ms {
            let late = self.sent_late_over_1ms.unwrap_or(0);
            let behind = l.p99.is_some_and(|p| p > 1.0);
            notes.push(format!(
                "schedule lag (sent − scheduled): p50 {} ms, p99 {} ms, p99.9 {} ms, max {} ms; \
                 {late} of {} requests went out more than 1 ms late{}",
                f(l.p50),
                f(l.p99),
                f(l.p999),
                f(l.max),
                l.count,
                if behind {
                    " — the generator fell behind its schedule; latencies still count from the \
                     schedule"
                } else {
                    ""
                }
            ));
            if let (Some(s), Some(r)) = (self.rate.scheduled_rps, self.rate.achieved_vs_scheduled) {
                notes.push(format!(
                    "rate: scheduled {s:.1} requests/s, achieved {:.1} ({:.2}% of schedule)",
                    self.rate.achieved_rps,
                    r * 100.0
                ));
            }
        }
        if let Some(s) = self.stopped_at_s {
            notes.push(format!(
                "stopped early at t = {s:.3} s (signal): the recording covers what was sent until \
                 then, and the responses that came back within the drain period"
            ));
        }
        if self.requests.unfinished > 0 {
            notes.push(format!(
                "{} requests were still in flight when the run ended; they count as offered, not \
                 as completed or failed",
                self.requests.unfinished
            ));
        }
        if self.late_records > 0 {
            notes.push(format!(
                "{} responses were counted in a later window than the one they completed in \
                 (the aggregator fell behind)",
                self.late_records
            ));
        }
        notes
    }

    /// Writes `dir/loadtest.json` (pretty, trailing newline).
    /// Writes `loadtest.json` with the recording's run id as its first key.
    pub fn write(&self, dir: &Path, run_id: &dockmaster_reports::RunId) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct WithId<'a> {
            run_id: &'a dockmaster_reports::RunId,
            #[serde(flatten)]
            report: &'a LoadtestReport,
        }
        std::fs::create_dir_all(dir)?;
        let file = WithId {
            run_id,
            report: self,
        };
        let mut s = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
        s.push('\n');
        std::fs::write(dir.join(LOADTEST_FILE), s)
    }

    pub fn read(dir: &Path) -> std::io::Result<LoadtestReport> {
        let text = std::fs::read_to_string(dir.join(LOADTEST_FILE))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }
}
