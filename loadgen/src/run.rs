//! A load test from start to finish: options in, recording out.
//!
//! ```text
//!  open:   worker i of T (a current-thread tokio runtime on its own thread)
//!          walks the schedule, takes every T-th request, waits for its
//!          instant on a timerfd in its own epoll, sends it on a keep-alive
//!          connection from its pool ─────────────┐
//!  closed: worker i runs N/T connections back to back  │ Record (one per request,
//!                                                      ▼  bounded sync_channel)
//!                                              aggregator thread ──► Recording
//! ```
//!
//! Open model: a request goes out at its scheduled instant whatever earlier
//! ones are doing; latency is measured from that instant, so a slow target
//! cannot hide its slowness by slowing the generator down (no coordinated
//! omission). A request that finds all of its worker's connections busy
//! waits for one — latency still counts from the schedule, and the wait
//! shows up as schedule lag. Nothing is ever sent early.
//!
//! Each worker keeps its own time: no dispatcher thread hands requests
//! over, so sending on time costs the worker one wake-up (its timerfd) and
//! no cross-thread hop.

use crate::aggregate::{Aggregator, Measured, Record};
use crate::client::{Client, Target};
use crate::clock::set_thread_nice;
use crate::error::LoadgenError;
use crate::options::{Mode, Options};
use crate::report::LoadtestReport;
use crate::schedule::{expected_requests, service_paths, Schedule};
use crate::shared::Shared;
use crate::worker::{mix_weights, worker, WorkerJob};
use dockmaster_reports::{ErrorKind, LoadTestGauges, Meta, Recorder, Recording, Replay, Source};
use dockmaster_sim::scenario::Scenario;
use dockmaster_sim::time::{Nanos, NANOS_PER_SEC};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What a load test produced.
pub struct Outcome {
    /// The same recording `simulate` writes, `source = loadtest`.
    pub recording: Recording,
    /// What only a load test knows (loadtest.json).
    pub report: LoadtestReport,
    /// Every request ended in a connect error (and there was at least
    /// one): why, in words. A failure of the target, not of the run.
    pub never_connected: Option<String>,
}

/// The highest scaled rate a run may ask for, requests/s.
pub const MAX_RPS: f64 = 1_000_000.0;
/// The most windows one run records.
pub const MAX_WINDOWS: u64 = 100_000;
/// The most windows × services one run records: each service's part of a
/// window costs a few hundred bytes (≈ 300 MB at this bound).
pub const MAX_SERVICE_WINDOWS: u64 = 1_000_000;

/// Time before the first request, for the workers to start.
const LEAD: Duration = Duration::from_millis(50);
/// Records waiting for the aggregator, at most.
const RECORD_QUEUE: usize = 1 << 16;

fn check(ok: bool, option: &'static str, value: String, detail: &str) -> Result<(), LoadgenError> {
    if ok {
        Ok(())
    } else {
        Err(LoadgenError::Option {
            option,
            value,
            detail: detail.to_string(),
        })
    }
}

/// Runs a load test to its end (or to `stop` plus `drain`) and returns the
/// recording. Blocks the calling thread; starts and joins its own threads.
pub fn run(mut opts: Options) -> Result<Outcome, LoadgenError> {
    let sc = &opts.scenario;
    check(
        opts.max_connections >= 1,
        "--max-connections",
        opts.max_connections.to_string(),
        "at least 1",
    )?;
    check(
        opts.threads >= 1,
        "--threads",
        opts.threads.to_string(),
        "at least 1",
    )?;
    check(
        !opts.timeout.is_zero(),
        "--timeout",
        fmt_s(duration_ns(opts.timeout)),
        "longer than 0",
    )?;
    let (slice_ns, threads, open) = match &opts.mode {
        Mode::Open {
            rate_scale,
            from,
            to,
        } => {
            check(
                rate_scale.is_finite() && *rate_scale > 0.0,
                "--rate-scale",
                fmt_num(*rate_scale),
                "a number above 0",
            )?;
            let to = to.unwrap_or(sc.duration);
            check(
                to <= sc.duration,
                "--to",
                fmt_s(to),
                &format!("at most the scenario's duration ({})", fmt_s(sc.duration)),
            )?;
            check(
                *from < to,
                "--from",
                fmt_s(*from),
                &format!("before --to ({})", fmt_s(to)),
            )?;
            // Past a sane rate the arrival generator's steps vanish below
            // the clock's resolution and the schedule never reaches its end.
            let peak = peak_rps(sc, *from, to) * rate_scale;
            check(
                peak <= MAX_RPS,
                "--rate-scale",
                fmt_num(*rate_scale),
                &format!(
                    "the scaled peak rate would be {} requests/s; at most {} requests/s \
                     (the scenario's peak in the slice is {} requests/s)",
                    fmt_num(peak),
                    group(MAX_RPS as u64),
                    fmt_num(peak_rps(sc, *from, to)),
                ),
            )?;
            (to - from, opts.threads.min(opts.max_connections), true)
        }
        Mode::Closed {
            connections,
            duration,
        } => {
            check(
                *connections >= 1,
                "--closed",
                connections.to_string(),
                "at least 1 connection",
            )?;
            check(
                !duration.is_zero(),
                "--duration",
                fmt_s(duration_ns(*duration)),
                "longer than 0",
            )?;
            (
                duration.as_nanos() as u64,
                opts.threads.min(*connections),
                false,
            )
        }
    };

    let window_ns = sc.window.max(1);
    let n_windows = slice_ns.div_ceil(window_ns).max(1);
    // Every window costs the aggregator a histogram to seal and the
    // recording a row; the scenario's own validation is not relied on.
    check(
        n_windows <= MAX_WINDOWS,
        "window",
        fmt_s(window_ns),
        &format!(
            "windows of {} over the {} replayed make {}; a load test records at most {} \
             (windows of at least {} for this run)",
            fmt_s(window_ns),
            fmt_s(slice_ns),
            group(n_windows),
            group(MAX_WINDOWS),
            fmt_s(slice_ns.div_ceil(MAX_WINDOWS)),
        ),
    )?;
    let services = sc.services.len().max(1);
    check(
        n_windows * services as u64 <= MAX_SERVICE_WINDOWS,
        "window",
        fmt_s(window_ns),
        &format!(
            "{} windows for each of {services} services make {}; a load test records at most {} \
             (windows of at least {} for this run)",
            group(n_windows),
            group(n_windows * services as u64),
            group(MAX_SERVICE_WINDOWS),
            fmt_s(slice_ns.div_ceil(MAX_SERVICE_WINDOWS / services as u64)),
        ),
    )?;
    let n_windows = n_windows as usize;
    let target = Target::parse(&opts.target)?;
    let paths = service_paths(sc, &target.base_path);
    let client = Client::new(target, &paths, opts.timeout)?;
    let start_wall = SystemTime::now() + LEAD;
    let shared = Arc::new(Shared {
        t0: Instant::now() + LEAD,
        client,
        slice_ns,
        window_ns,
        offered: (0..n_windows * services)
            .map(|_| AtomicU64::new(0))
            .collect(),
        services,
        filling: AtomicUsize::new(0),
        dispatched: AtomicU64::new(0),
        horizons: (0..threads)
            .map(|_| AtomicU64::new(if open { 0 } else { u64::MAX }))
            .collect(),
        stopped_at_ns: AtomicU64::new(u64::MAX),
        waited_for_connection: AtomicU64::new(0),
        aggregator_full: AtomicU64::new(0),
        stop: opts.stop.clone(),
    });

    let meta = Meta {
        window_s: window_ns as f64 / NANOS_PER_SEC as f64,
        duration_s: slice_ns as f64 / NANOS_PER_SEC as f64,
        start_unix_s: start_wall
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
        target: Some(opts.target.clone()),
        replay: match &opts.mode {
            Mode::Open { rate_scale, .. } => Replay::Open {
                rate_scale: *rate_scale,
            },
            Mode::Closed { connections, .. } => Replay::Closed {
                connections: *connections as u64,
            },
        },
        ..sc.meta(opts.seed, Source::Loadtest)
    };
    opts.stop.attach(opts.drain);
    let recorder = Recorder::new(meta, LoadTestGauges::declared());
    let (rec_tx, rec_rx) = sync_channel::<Record>(RECORD_QUEUE);
    let aggregator = Aggregator::new(shared.clone(), recorder, window_ns, slice_ns, open);
    let progress = opts.progress.take();
    let nice = opts.nice;
    let every = opts.progress_every;
    let agg = std::thread::Builder::new()
        .name("loadgen-aggregator".into())
        .spawn(move || {
            if let Some(n) = nice {
                set_thread_nice(n);
            }
            aggregator.run(rec_rx, progress, every)
        })
        .map_err(LoadgenError::Start)?;

    let mut workers = Vec::new();
    for i in 0..threads {
        let share = |n: usize| n / threads + usize::from(i < n % threads);
        let shared = shared.clone();
        let rec_tx = rec_tx.clone();
        let drain = opts.drain;
        let job = match opts.mode {
            Mode::Open {
                rate_scale,
                from,
                to,
            } => WorkerJob::Open {
                schedule: Schedule::new(sc, opts.seed, rate_scale, from, to.unwrap_or(sc.duration)),
                index: i,
                stride: threads,
                connections: share(opts.max_connections),
            },
            Mode::Closed { connections, .. } => WorkerJob::Closed {
                connections: share(connections),
                seed: opts.seed,
                index: i,
            },
        };
        let mix: Vec<f64> = mix_weights(sc);
        workers.push(
            std::thread::Builder::new()
                .name(format!("loadgen-worker-{i}"))
                .spawn(move || {
                    if let Some(n) = nice {
                        set_thread_nice(n);
                    }
                    worker(shared, job, rec_tx, drain, mix)
                })
                .map_err(LoadgenError::Start)?,
        );
    }
    drop(rec_tx);

    for w in workers {
        w.join().expect("worker thread panicked");
    }
    let measured = agg.join().expect("aggregator thread panicked");
    opts.stop.finished();
    Ok(finish(&opts, &shared, measured, threads))
}

fn fmt_s(ns: Nanos) -> String {
    dockmaster_sim::time::format_duration(ns)
}

fn duration_ns(d: Duration) -> Nanos {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A number as a person writes it: 0.5, 1000, 1e308 (never 309 digits).
fn fmt_num(x: f64) -> String {
    if x.is_infinite() {
        return "beyond 1e308".to_string();
    }
    if x.is_finite() && (x == 0.0 || (1e-3..1e7).contains(&x.abs())) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// 1000000 as 1,000,000.
fn group(n: u64) -> String {
    let d = n.to_string();
    let mut s = String::new();
    for (i, c) in d.chars().enumerate() {
        let left = d.len() - i;
        if i > 0 && left / 3 * 3 == left {
            s.push(',');
        }
        s.push(c);
    }
    s
}

/// The scenario's highest rate in `[from, to]` (scenario time, ns): the
/// profile is piecewise linear, so at an end or at one of its points.
fn peak_rps(sc: &Scenario, from: Nanos, to: Nanos) -> f64 {
    let p = dockmaster_sim::traffic::Profile::new(&sc.traffic.profile, 1.0);
    let s = |ns: Nanos| ns as f64 / NANOS_PER_SEC as f64;
    sc.traffic
        .profile
        .iter()
        .filter(|pt| (from..=to).contains(&pt.at))
        .map(|pt| pt.rps)
        .fold(p.rate(s(from)).max(p.rate(s(to))), f64::max)
}

fn finish(opts: &Options, sh: &Shared, m: Measured, threads: usize) -> Outcome {
    let mut recording = m.recording;
    let dispatched = sh.dispatched.load(Ordering::Relaxed);
    let stopped_at = sh.stopped_at_ns.load(Ordering::Acquire);
    let stopped = stopped_at != u64::MAX;
    let slice_s = sh.slice_ns as f64 / 1e9;
    if stopped {
        let s = (stopped_at as f64 / 1e9).min(slice_s);
        recording.meta.duration_s = s;
    }
    let expected = match opts.mode {
        Mode::Open {
            rate_scale,
            from,
            to,
        } => Some(expected_requests(
            &opts.scenario,
            rate_scale,
            from,
            to.unwrap_or(opts.scenario.duration),
        )),
        Mode::Closed { .. } => None,
    };
    let report = LoadtestReport::build(crate::report::Inputs {
        opts,
        measured: &m.lag_us,
        send_us: &m.send_us,
        connect_us: &m.connect_us,
        latency: recording.latency(),
        dispatched,
        completed: m.completed,
        ok: recording.ok,
        errors: recording.errors(),
        late_over_1ms: m.late_over_1ms,
        late_records: m.late_records,
        last_sent_s: m.last_sent_ns as f64 / 1e9,
        slice_s,
        stopped_at_s: stopped.then(|| stopped_at as f64 / 1e9),
        finished_schedule: !stopped,
        expected_requests: expected,
        threads,
        connections_opened: sh.client.opened.load(Ordering::Relaxed),
        connections_peak: sh.client.open_peak.load(Ordering::Relaxed).max(0) as u64,
        waited_for_connection: sh.waited_for_connection.load(Ordering::Relaxed),
        aggregator_full: sh.aggregator_full.load(Ordering::Relaxed),
        wall_s: recording.engine.map_or(0.0, |e| e.wall_seconds),
    });
    recording.notes.extend(report.notes());
    let connect_errors = recording.errors_by_kind.get(&ErrorKind::Connect).copied();
    let never_connected =
        (m.completed > 0 && recording.ok == 0 && connect_errors == Some(m.completed)).then(|| {
            let client = &sh.client;
            format!(
                "the target never accepted a connection: all {} requests failed to connect to {} \
             (first failure: {})",
                m.completed,
                client.target.addrs_text(),
                client.first_connect_error()
            )
        });
    Outcome {
        recording,
        report,
        never_connected,
    }
}
