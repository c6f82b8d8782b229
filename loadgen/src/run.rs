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

use crate::aggregate::{Aggregator, Measured, Record, GAUGES};
use crate::client::{Client, OwnedConn, Sender, Target};
use crate::clock::{set_thread_nice, FdTimer};
use crate::error::LoadgenError;
use crate::report::LoadtestReport;
use crate::schedule::{expected_requests, service_paths, Schedule};
use dockmaster_reports::{Meta, Recorder, Recording, SloSpec, Source};
use dockmaster_sim::rng::{open01, stream};
use dockmaster_sim::scenario::Scenario;
use dockmaster_sim::time::{Nanos, NANOS_PER_MILLI, NANOS_PER_SEC};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How requests are issued.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Replay the scenario's arrivals in `[from, to)` (scenario time, ns),
    /// the rate multiplied by `rate_scale`.
    Open {
        rate_scale: f64,
        from: Nanos,
        /// `None`: the end of the scenario.
        to: Option<Nanos>,
    },
    /// `connections` connections, each sending its next request as soon as
    /// the previous answer is in, for `duration`: the target's ceiling.
    Closed {
        connections: usize,
        duration: Duration,
    },
}

/// What [`run`] needs. [`Options::new`] gives the defaults.
pub struct Options {
    pub scenario: Scenario,
    pub seed: u64,
    /// `http://host[:port][/base]`; requests go to `<base>/<service>/`.
    pub target: String,
    pub mode: Mode,
    /// Keep-alive connections at most (split between the threads).
    pub max_connections: usize,
    /// Per request, from the moment it gets a connection.
    pub timeout: Duration,
    /// Worker threads (each a single-threaded tokio runtime).
    pub threads: usize,
    /// After a stop, how long in-flight requests may still finish.
    pub drain: Duration,
    /// Set it (from a signal handler, say) to stop sending: in-flight
    /// requests get `drain` to finish and the recording is still written.
    pub stop: Arc<AtomicBool>,
    /// Called from the aggregator thread every `progress_every`.
    pub progress: Option<ProgressFn>,
    pub progress_every: Duration,
    /// Nice value for the worker and aggregator threads (negative: ahead of
    /// neighbouring work on a shared machine; needs root). `None`: inherited.
    pub nice: Option<i32>,
}

impl Options {
    /// Open model over the whole scenario with its own seed, 1000
    /// connections, 30 s timeout, one thread per core, 2 s drain.
    pub fn new(scenario: Scenario, target: impl Into<String>) -> Options {
        let seed = scenario.seed;
        Options {
            scenario,
            seed,
            target: target.into(),
            mode: Mode::Open {
                rate_scale: 1.0,
                from: 0,
                to: None,
            },
            max_connections: 1000,
            timeout: Duration::from_secs(30),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            drain: Duration::from_secs(2),
            stop: Arc::new(AtomicBool::new(false)),
            progress: None,
            progress_every: Duration::from_secs(1),
            nice: None,
        }
    }
}

/// Receives a [`Progress`] snapshot every `progress_every`.
pub type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// A snapshot for the live progress line.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub elapsed_s: f64,
    pub planned_s: f64,
    /// Requests dispatched so far.
    pub sent: u64,
    /// Over the last interval.
    pub sent_per_s: f64,
    pub ok: u64,
    pub errors: u64,
    pub in_flight: u64,
    /// Of the responses so far, from the scheduled instant; NaN if none.
    pub p99_ms: f64,
    /// Open model only; NaN otherwise.
    pub lag_p99_ms: f64,
}

/// What a load test produced.
pub struct Outcome {
    /// The same recording `simulate` writes, `source = loadtest`.
    pub recording: Recording,
    /// What only a load test knows (loadtest.json).
    pub report: LoadtestReport,
}

/// State shared by the threads of one run.
pub(crate) struct Shared {
    t0: Instant,
    pub client: Client,
    pub slice_ns: u64,
    window_ns: u64,
    /// Requests offered per window (by scheduled instant).
    pub offered: Vec<AtomicU64>,
    pub dispatched: AtomicU64,
    /// Per worker: every request of its share scheduled before this instant
    /// has been dispatched.
    horizons: Vec<AtomicU64>,
    /// When sending stopped early (u64::MAX: it did not).
    pub stopped_at_ns: AtomicU64,
    pub waited_for_connection: AtomicU64,
    pub aggregator_full: AtomicU64,
    stop: Arc<AtomicBool>,
}

impl Shared {
    pub fn now_ns(&self) -> u64 {
        Instant::now().saturating_duration_since(self.t0).as_nanos() as u64
    }

    fn ns(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.t0).as_nanos() as u64
    }

    fn count_offered(&self, at_ns: u64) {
        let w = ((at_ns / self.window_ns) as usize).min(self.offered.len() - 1);
        self.offered[w].fetch_add(1, Ordering::Relaxed);
        self.dispatched.fetch_add(1, Ordering::Relaxed);
    }

    /// Every request scheduled before this instant has been dispatched.
    pub fn horizon(&self) -> u64 {
        self.horizons
            .iter()
            .map(|h| h.load(Ordering::Acquire))
            .min()
            .unwrap_or(u64::MAX)
    }

    fn mark_stopped(&self) {
        let now = self.now_ns();
        let _ =
            self.stopped_at_ns
                .compare_exchange(u64::MAX, now, Ordering::AcqRel, Ordering::Relaxed);
    }
}

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
        format!("{:?}", opts.timeout),
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
                rate_scale.to_string(),
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
                format!("{duration:?}"),
                "longer than 0",
            )?;
            (
                duration.as_nanos() as u64,
                opts.threads.min(*connections),
                false,
            )
        }
    };

    let target = Target::parse(&opts.target)?;
    let paths = service_paths(sc, &target.base_path);
    let client = Client::new(target, &paths, opts.timeout)?;
    let window_ns = sc.window.max(1);
    let n_windows = slice_ns.div_ceil(window_ns).max(1) as usize;
    let start_wall = SystemTime::now() + LEAD;
    let shared = Arc::new(Shared {
        t0: Instant::now() + LEAD,
        client,
        slice_ns,
        window_ns,
        offered: (0..n_windows).map(|_| AtomicU64::new(0)).collect(),
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
        scenario: sc.name.clone(),
        seed: opts.seed,
        source: Source::Loadtest,
        version: env!("CARGO_PKG_VERSION").to_string(),
        window_s: window_ns as f64 / NANOS_PER_SEC as f64,
        duration_s: slice_ns as f64 / NANOS_PER_SEC as f64,
        slo: SloSpec {
            p50_ms: sc.slo.p50.map(ms),
            p90_ms: sc.slo.p90.map(ms),
            p99_ms: sc.slo.p99.map(ms),
            error_rate: sc.slo.error_rate,
        },
        start_unix_s: start_wall
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
        target: Some(opts.target.clone()),
        scenario_text: sc.source_text.clone(),
    };
    let recorder = Recorder::new(meta, GAUGES.iter().map(|g| g.to_string()).collect());
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
    Ok(finish(&opts, &shared, measured, threads))
}

enum WorkerJob {
    Open {
        schedule: Schedule,
        index: usize,
        stride: usize,
        connections: usize,
    },
    Closed {
        connections: usize,
        seed: u64,
        index: usize,
    },
}

fn worker(
    sh: Arc<Shared>,
    job: WorkerJob,
    rec: SyncSender<Record>,
    drain: Duration,
    mix: Vec<f64>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    rt.block_on(async move {
        match job {
            WorkerJob::Open {
                schedule,
                index,
                stride,
                connections,
            } => open_worker(sh, schedule, index, stride, connections, rec, drain).await,
            WorkerJob::Closed {
                connections,
                seed,
                index,
            } => closed_worker(sh, connections, seed, index, rec, drain, mix).await,
        }
    });
    // Dropping the runtime cancels whatever the drain period cut off.
}

/// Hands a record to the aggregator; blocks only if its queue is full
/// (it fell 65,536 records behind), counting how often.
fn send_record(sh: &Shared, rec: &SyncSender<Record>, r: Record) {
    match rec.try_send(r) {
        Ok(()) => {}
        Err(TrySendError::Full(r)) => {
            sh.aggregator_full.fetch_add(1, Ordering::Relaxed);
            let _ = rec.send(r);
        }
        Err(TrySendError::Disconnected(_)) => {}
    }
}

fn to_record(sh: &Shared, sched_ns: u64, ex: &crate::client::Exchange) -> Record {
    Record {
        sched_ns,
        sent_ns: sh.ns(ex.sent).max(sched_ns),
        done_ns: sh.ns(ex.done),
        result: ex.result.map(|_| ()),
        connect_ns: ex.connect.map_or(0, |d| (d.as_nanos() as u64).max(1)),
    }
}

/// Waits until `deadline`: tokio's coarse timer for most of a long wait
/// (checking `stop` every 50 ms), the timerfd for the last 2 ms. `false`
/// if stopped.
async fn wait_until(sh: &Shared, timer: Option<&FdTimer>, deadline: Instant) -> bool {
    const FINE: Duration = Duration::from_millis(2);
    loop {
        if sh.stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        let left = deadline - now;
        if left > FINE {
            // Wakes up to ~1 ms late: still before the deadline.
            tokio::time::sleep(
                (left - FINE / 2 - Duration::from_millis(1)).min(Duration::from_millis(50)),
            )
            .await;
            continue;
        }
        let precise = match timer {
            Some(t) => t.sleep_until(deadline).await.is_ok(),
            None => false,
        };
        if !precise {
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// A free connection slot; if there is none, waits for one (the request
/// and the schedule with it: the lag will say by how much), unless a stop
/// comes first.
async fn connection_slot(sh: &Shared, slots: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    if let Ok(p) = slots.clone().try_acquire_owned() {
        return Some(p);
    }
    sh.waited_for_connection.fetch_add(1, Ordering::Relaxed);
    let acquire = slots.clone().acquire_owned();
    tokio::pin!(acquire);
    loop {
        tokio::select! {
            p = &mut acquire => return Some(p.expect("the semaphore is never closed")),
            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                if sh.stop.load(Ordering::Relaxed) {
                    return None;
                }
            }
        }
    }
}

/// Sends this worker's share of the schedule (every `stride`-th request
/// from `index`), each at its instant.
async fn open_worker(
    sh: Arc<Shared>,
    schedule: Schedule,
    index: usize,
    stride: usize,
    connections: usize,
    rec: SyncSender<Record>,
    drain: Duration,
) {
    // Without a timerfd (not Linux, or refused), tokio's 1 ms timer: the
    // schedule lag will show the cost.
    let timer = FdTimer::new().ok();
    let slots = Arc::new(Semaphore::new(connections));
    let idle: Arc<Mutex<Vec<Sender>>> = Arc::new(Mutex::new(Vec::with_capacity(connections)));
    let horizon = &sh.horizons[index];
    for job in schedule.skip(index).step_by(stride) {
        horizon.store(job.at_ns, Ordering::Release);
        if !wait_until(&sh, timer.as_ref(), sh.t0 + Duration::from_nanos(job.at_ns)).await {
            sh.mark_stopped();
            break;
        }
        sh.count_offered(job.at_ns);
        let Some(permit) = connection_slot(&sh, &slots).await else {
            sh.mark_stopped();
            break;
        };
        let conn = idle.lock().expect("pool lock").pop();
        let (sh, idle, rec) = (sh.clone(), idle.clone(), rec.clone());
        tokio::spawn(async move {
            let mut ex = sh.client.exchange(job.service, conn).await;
            if let Some(tx) = ex.reusable.take() {
                idle.lock().expect("pool lock").push(tx);
            }
            drop(permit);
            send_record(&sh, &rec, to_record(&sh, job.at_ns, &ex));
        });
    }
    horizon.store(u64::MAX, Ordering::Release);
    let all = slots.acquire_many(connections as u32);
    wait_in_flight(&sh, all, drain).await;
}

/// Waits for `all_done`; once a stop is requested, for at most `drain`.
async fn wait_in_flight<F: std::future::Future>(sh: &Shared, all_done: F, drain: Duration) {
    tokio::pin!(all_done);
    let mut stop_seen: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = &mut all_done => return,
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                if sh.stop.load(Ordering::Relaxed) {
                    let seen = *stop_seen.get_or_insert_with(Instant::now);
                    if seen.elapsed() >= drain {
                        return;
                    }
                }
            }
        }
    }
}

fn mix_weights(sc: &Scenario) -> Vec<f64> {
    let mut w = vec![0.0; sc.services.len()];
    for m in &sc.traffic.mix {
        w[m.service] += m.weight;
    }
    w
}

/// Draws a service by the mix weights.
fn pick(mix: &[f64], u: f64) -> u16 {
    let total: f64 = mix.iter().sum();
    let mut x = u * total;
    for (i, w) in mix.iter().enumerate() {
        if x < *w {
            return i as u16;
        }
        x -= w;
    }
    mix.iter().rposition(|w| *w > 0.0).unwrap_or(0) as u16
}

async fn closed_worker(
    sh: Arc<Shared>,
    connections: usize,
    seed: u64,
    index: usize,
    rec: SyncSender<Record>,
    drain: Duration,
    mix: Vec<f64>,
) {
    let wait = sh.t0.saturating_duration_since(Instant::now());
    tokio::time::sleep(wait).await;
    let mix = Arc::new(mix);
    let mut set = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (sh, rec, mix) = (sh.clone(), rec.clone(), mix.clone());
        let mut rng = stream(seed, &format!("loadgen/closed/{index}/{c}"));
        set.spawn(async move {
            let mut conn: Option<OwnedConn> = None;
            loop {
                if sh.stop.load(Ordering::Relaxed) {
                    sh.mark_stopped();
                    break;
                }
                let now = sh.now_ns();
                if now >= sh.slice_ns {
                    break;
                }
                let service = pick(&mix, open01(&mut rng));
                sh.count_offered(now);
                let ex = sh.client.exchange_owned(service, &mut conn).await;
                send_record(&sh, &rec, to_record(&sh, now, &ex));
            }
        });
    }
    let all = async { while set.join_next().await.is_some() {} };
    wait_in_flight(&sh, all, drain).await;
}

fn ms(ns: Nanos) -> f64 {
    ns as f64 / NANOS_PER_MILLI as f64
}

fn fmt_s(ns: Nanos) -> String {
    dockmaster_sim::time::format_duration(ns)
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
    Outcome { recording, report }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_follows_the_weights() {
        let mix = [0.75, 0.0, 0.25];
        assert_eq!(pick(&mix, 0.0), 0);
        assert_eq!(pick(&mix, 0.74), 0);
        assert_eq!(pick(&mix, 0.76), 2);
        assert_eq!(pick(&mix, 1.0), 2);
    }
}
