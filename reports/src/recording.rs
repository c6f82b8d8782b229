//! The Recording type, its builder ([`Recorder`]), pooling of replications,
//! the SLO verdict and the terminal table. The on-disk format is in
//! `recording/files.rs`.
//!
//! Architecture invariant: latencies are kept in µs HdrHistograms (1 µs .. 1 h,
//! 3 significant digits) plus an exact ns sum for the mean; closed windows
//! keep only their V2-deflate encoded histogram, so memory grows by a few
//! hundred bytes per window.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Smallest and largest latency a histogram holds, in microseconds
/// (1 µs .. 1 h), at 3 significant digits.
pub const HIST_LOWEST_US: u64 = 1;
pub const HIST_HIGHEST_US: u64 = 3_600_000_000;
pub const HIST_SIGFIG: u8 = 3;

/// Hours in a month as AWS prices one (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// `cost_usd` over a run of `duration_s`, as a month of it costs.
pub(crate) fn monthly(cost_usd: f64, duration_s: f64) -> Option<f64> {
    let hours = duration_s / 3600.0;
    (hours > 0.0).then(|| cost_usd / hours * HOURS_PER_MONTH)
}

/// Gauges [`Recording::pool`] adds: each window's p50 and p99 95%
/// confidence interval across replications (ms).
pub const WINDOW_CI_GAUGES: [&str; 4] = [
    "p50_ms_ci95_lo",
    "p50_ms_ci95_hi",
    "p99_ms_ci95_lo",
    "p99_ms_ci95_hi",
];

/// What produced a recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Simulate,
    Loadtest,
}

/// Why a request failed. Fixed set, fixed order: it names the columns of
/// timeseries.csv and the keys of `errors_by_kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 503: no registered target, or the task's queue was full.
    #[serde(rename = "http_503")]
    Http503,
    /// 502: the target's host died with the request in flight or queued.
    #[serde(rename = "http_502")]
    Http502,
    /// 504: the target did not answer in time.
    #[serde(rename = "http_504")]
    Http504,
    /// Any other non-2xx status.
    HttpOther,
    /// Could not connect (load test).
    Connect,
    /// Client-side timeout (load test).
    Timeout,
    /// Connection reset / closed mid-request (load test).
    Reset,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Http503,
        ErrorKind::Http502,
        ErrorKind::Http504,
        ErrorKind::HttpOther,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
    ];
    /// The name used in files: `http_503`, `connect`, ...
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Http503 => "http_503",
            ErrorKind::Http502 => "http_502",
            ErrorKind::Http504 => "http_504",
            ErrorKind::HttpOther => "http_other",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
        }
    }
}

/// Identity of a recording: enough to say how to reproduce it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub scenario: String,
    pub seed: u64,
    pub source: Source,
    /// dockmaster version that wrote it.
    pub version: String,
    pub window_s: f64,
    pub duration_s: f64,
    pub slo: SloSpec,
    /// Wall-clock start (Unix seconds) for load tests; 0 for simulations, so
    /// that simulated recordings are byte-identical run to run.
    pub start_unix_s: f64,
    /// Load-test target URL, if any.
    pub target: Option<String>,
    /// The scenario TOML as it was read.
    pub scenario_text: String,
    /// Which arrivals were sent: the scenario's (scaled, for a load test's
    /// dry run) or a closed loop. Comparing is like with like only for the
    /// scenario's own arrivals at scale 1.
    pub replay: Replay,
}

/// The traffic a run sent.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum Replay {
    /// The scenario's arrival instants, the rate multiplied by `rate_scale`.
    Open { rate_scale: f64 },
    /// `connections` connections sending back to back (`loadtest --closed`).
    Closed { connections: u64 },
}

impl Default for Replay {
    fn default() -> Replay {
        Replay::Open { rate_scale: 1.0 }
    }
}

impl Replay {
    /// The scenario's arrivals as they are (what a simulation sends).
    pub fn is_as_scenario(&self) -> bool {
        *self == Replay::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SloSpec {
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate: Option<f64>,
}

// ---------------------------------------------------------------------------
// Everything below is the behaviour behind the fixed types above.

use crate::stats::{mean_ci95, MeanCi};
use crate::RunId;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod files;
#[cfg(test)]
mod tests;

pub use files::{HLOG_FILE, SUMMARY_FILE, TIMESERIES_FILE};

impl ErrorKind {
    /// Inverse of [`ErrorKind::name`].
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Position in [`ErrorKind::ALL`] (and in `Window::errors`).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// An empty histogram with the recording bounds (µs, 1 µs .. 1 h, 3 digits).
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(HIST_LOWEST_US, HIST_HIGHEST_US, HIST_SIGFIG)
        .expect("constant histogram bounds are valid")
}

/// Nanoseconds to whole microseconds, rounded half up, clamped to the
/// histogram range.
pub fn ns_to_us(latency_ns: u64) -> u64 {
    (latency_ns.saturating_add(500) / 1000).clamp(HIST_LOWEST_US, HIST_HIGHEST_US)
}

/// Windows keep their histogram in the V2 encoding without deflate: a few
/// kB for a window's sparse counts, and compressing happens once, when
/// latency.hlog is written.
fn encode_histogram(h: &Histogram<u64>, serializer: &mut V2Serializer) -> Vec<u8> {
    let mut buf = Vec::new();
    serializer
        .serialize(h, &mut buf)
        .expect("serializing a histogram into memory cannot fail");
    buf
}

fn decode_histogram(bytes: &[u8]) -> Result<Histogram<u64>, String> {
    let mut h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut &bytes[..])
        .map_err(|e| format!("undecodable histogram: {e:?}"))?;
    // Whatever bounds it was written with, compare and merge it in ours.
    if h.low() != HIST_LOWEST_US || h.high() != HIST_HIGHEST_US || h.sigfig() != HIST_SIGFIG {
        let mut ours = new_histogram();
        for v in h.iter_recorded() {
            ours.record_n(
                v.value_iterated_to().clamp(HIST_LOWEST_US, HIST_HIGHEST_US),
                v.count_at_value(),
            )
            .expect("clamped value is in range");
        }
        h = ours;
    }
    Ok(h)
}

/// Latency figures of a window or of a whole run, in milliseconds.
/// Percentiles and max are HdrHistogram values (highest equivalent value of
/// the bucket, 3 significant digits); the mean is exact. All NaN when
/// `count == 0`: empty cells in CSV, `null` in JSON.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyStats {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl LatencyStats {
    /// No responses: count 0, every figure NaN.
    pub const EMPTY: LatencyStats = LatencyStats {
        count: 0,
        mean_ms: f64::NAN,
        p50_ms: f64::NAN,
        p90_ms: f64::NAN,
        p99_ms: f64::NAN,
        p999_ms: f64::NAN,
        max_ms: f64::NAN,
    };

    /// From a µs histogram and the exact sum of the same latencies in ns.
    pub fn from_histogram(h: &Histogram<u64>, sum_ns: u128) -> LatencyStats {
        let count = h.len();
        if count == 0 {
            return LatencyStats::EMPTY;
        }
        let q = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        LatencyStats {
            count,
            mean_ms: sum_ns as f64 / count as f64 / 1e6,
            p50_ms: q(0.5),
            p90_ms: q(0.9),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            max_ms: h.max() as f64 / 1000.0,
        }
    }

    /// The six figures with their file names, in file order.
    pub fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("mean", self.mean_ms),
            ("p50", self.p50_ms),
            ("p90", self.p90_ms),
            ("p99", self.p99_ms),
            ("p999", self.p999_ms),
            ("max", self.max_ms),
        ]
    }
}

/// One window `[t_start_s, t_start_s + window_s)` of a recording.
///
/// In a pooled recording (see [`Recording::pool`]) the counters and the
/// histogram are sums over the replications, `in_system` and the gauges are
/// means.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub t_start_s: f64,
    /// Requests that arrived in the window.
    pub offered: u64,
    /// Successful responses completed in the window.
    pub ok: u64,
    /// Failed responses, in [`ErrorKind::ALL`] order.
    pub errors: [u64; 7],
    pub latency: LatencyStats,
    /// Time-averaged number of requests in the system (Little's L).
    pub in_system: f64,
    /// One value per `Recording::gauge_names`.
    pub gauges: Vec<f64>,
    /// Exact sum of the ok latencies in ns (for the mean).
    pub sum_ns: u128,
    /// The window's µs histogram, V2 encoded (V2 deflate when read back from
    /// an hlog): a few kB instead of a 190 KB live histogram. See
    /// [`Window::histogram`].
    pub histogram_v2z: Vec<u8>,
}

impl Window {
    /// All failed responses in the window.
    pub fn errors_total(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Failed responses of one kind.
    pub fn error_count(&self, kind: ErrorKind) -> u64 {
        self.errors[kind.index()]
    }

    /// Decodes the window's histogram.
    pub fn histogram(&self) -> Histogram<u64> {
        decode_histogram(&self.histogram_v2z)
            .expect("window histograms are encoded by us or validated when read")
    }
}

/// Whole-run figures that only the producer knows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunTotals {
    pub hosts_peak: Option<u32>,
    pub tasks_peak: Option<u32>,
    pub cost_usd: Option<f64>,
    pub notes: Vec<String>,
    pub engine: Option<EngineStats>,
    /// The fleet's happenings, in time order (simulations only).
    pub events: Vec<crate::FleetEvent>,
}

/// How much work the producer did (not deterministic: wall clock).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EngineStats {
    pub events: u64,
    pub wall_seconds: f64,
}

/// A mean over replications with its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ci95 {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

impl From<MeanCi> for Ci95 {
    fn from(c: MeanCi) -> Ci95 {
        Ci95 {
            mean: c.mean,
            lo: c.lo,
            hi: c.hi,
        }
    }
}

impl Ci95 {
    /// Does the interval contain `x` (inclusive)?
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// Each replication's latency figure, averaged, with its CI (ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicatedLatency {
    pub mean: Ci95,
    pub p50: Ci95,
    pub p90: Ci95,
    pub p99: Ci95,
    pub p999: Ci95,
    pub max: Ci95,
}

impl ReplicatedLatency {
    /// The six intervals with their file names, in file order.
    pub fn named(&self) -> [(&'static str, Ci95); 6] {
        [
            ("mean", self.mean),
            ("p50", self.p50),
            ("p90", self.p90),
            ("p99", self.p99),
            ("p999", self.p999),
            ("max", self.max),
        ]
    }
}

/// What pooling replications adds: the spread between them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Replications {
    /// Number of replications pooled.
    pub n: u32,
    pub latency_ms: ReplicatedLatency,
    pub error_rate: Ci95,
}

/// One SLO objective checked against a recording.
#[derive(Clone, Debug, PartialEq)]
pub struct SloCheck {
    /// `p50`, `p90`, `p99` (ms) or `error_rate` (fraction).
    pub name: String,
    pub target: f64,
    /// NaN when there is no latency to check (no successful response).
    pub actual: f64,
    pub met: bool,
}

/// All SLO checks of a recording; `met` when every check is.
#[derive(Clone, Debug, PartialEq)]
pub struct SloVerdict {
    pub met: bool,
    pub checks: Vec<SloCheck>,
}

/// Errors reading or writing a recording's files.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a valid summary", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: not a valid time series", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{}: {detail}", path.display())]
    Format { path: PathBuf, detail: String },
    /// `-o` names something a recording may not replace.
    #[error("cannot write to {}: {why}", path.display())]
    NotReplaceable { path: PathBuf, why: String },
    /// The files of one folder come from different runs.
    #[error("{}: its files come from different runs ({detail}); write the recording again", dir.display())]
    MixedRuns { dir: PathBuf, detail: String },
}

impl ReportError {
    /// The environment failed (a disk full, a folder not writable), not
    /// the input: exit status 3 rather than 2.
    pub fn is_environment(&self) -> bool {
        match self {
            ReportError::Io { action, .. } => *action != "read",
            _ => false,
        }
    }
}

/// Collects one run window by window. See the crate docs for the flow.
///
/// Latencies go into the current window's histogram (µs) and an exact ns
/// sum; errors are only counted. `close_window` seals the window into a
/// compressed [`Window`] and merges it into the run total.
pub struct Recorder {
    meta: Meta,
    gauge_names: Vec<String>,
    hist: Histogram<u64>,
    sum_ns: u128,
    offered: u64,
    errors: [u64; 7],
    total: Histogram<u64>,
    total_sum_ns: u128,
    windows: Vec<Window>,
    serializer: V2Serializer,
    next_t_start_s: f64,
}

impl Recorder {
    /// `gauge_names`: extra per-window columns (e.g. "hosts", "tasks",
    /// "cpu_util"), in order.
    pub fn new(meta: Meta, gauge_names: Vec<String>) -> Recorder {
        Recorder {
            meta,
            gauge_names,
            hist: new_histogram(),
            sum_ns: 0,
            offered: 0,
            errors: [0; 7],
            total: new_histogram(),
            total_sum_ns: 0,
            windows: Vec::new(),
            serializer: V2Serializer::new(),
            next_t_start_s: 0.0,
        }
    }

    pub fn gauge_names(&self) -> &[String] {
        &self.gauge_names
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Requests that arrived in the current window.
    #[inline]
    pub fn record_offered(&mut self, n: u64) {
        self.offered += n;
    }

    /// A successful response: its latency (rounded to µs, clamped to
    /// 1 µs .. 1 h) into the window's histogram, the exact ns into the sum.
    #[inline]
    pub fn record_ok(&mut self, latency_ns: u64) {
        self.hist
            .record(ns_to_us(latency_ns))
            .expect("clamped value is in range");
        self.sum_ns += u128::from(latency_ns);
    }

    /// A failed response: counted, not put in the latency histogram.
    #[inline]
    pub fn record_error(&mut self, kind: ErrorKind) {
        self.errors[kind.index()] += 1;
    }

    /// Ends the current window `[t_start_s, t_start_s + meta.window_s)`.
    /// `in_system_mean` is the time-averaged number of requests in the
    /// system over the window.
    ///
    /// # Panics
    /// If `gauges.len() != gauge_names.len()` (a caller bug).
    pub fn close_window(&mut self, t_start_s: f64, in_system_mean: f64, gauges: &[f64]) {
        assert_eq!(
            gauges.len(),
            self.gauge_names.len(),
            "close_window: one gauge per gauge name ({:?})",
            self.gauge_names
        );
        let window = Window {
            t_start_s,
            offered: self.offered,
            ok: self.hist.len(),
            errors: self.errors,
            latency: LatencyStats::from_histogram(&self.hist, self.sum_ns),
            in_system: in_system_mean,
            gauges: gauges.to_vec(),
            sum_ns: self.sum_ns,
            histogram_v2z: encode_histogram(&self.hist, &mut self.serializer),
        };
        self.total
            .add(&self.hist)
            .expect("histograms with equal bounds add");
        self.total_sum_ns += self.sum_ns;
        self.windows.push(window);
        self.hist.reset();
        self.sum_ns = 0;
        self.offered = 0;
        self.errors = [0; 7];
        self.next_t_start_s = t_start_s + self.meta.window_s;
    }

    /// Seals the recording. Anything recorded after the last `close_window`
    /// is not lost: it becomes one more window (at the next window start,
    /// with unknown `in_system` and gauges) and a note says so.
    pub fn finish(mut self, totals: RunTotals) -> Recording {
        let mut notes = totals.notes;
        if self.offered > 0 || !self.hist.is_empty() || self.errors.iter().any(|&e| e > 0) {
            let t = self.next_t_start_s;
            let gauges = vec![f64::NAN; self.gauge_names.len()];
            self.close_window(t, f64::NAN, &gauges);
            notes.push(format!(
                "requests recorded after the last window closed were put in an extra window at t={t} s"
            ));
        }
        let offered = self.windows.iter().map(|w| w.offered).sum();
        let errors_by_kind = ErrorKind::ALL
            .into_iter()
            .map(|k| (k, self.windows.iter().map(|w| w.error_count(k)).sum()))
            .collect();
        Recording {
            meta: self.meta,
            gauge_names: self.gauge_names,
            windows: self.windows,
            ok: self.total.len(),
            total: self.total,
            total_sum_ns: self.total_sum_ns,
            offered,
            errors_by_kind,
            hosts_peak: totals.hosts_peak,
            tasks_peak: totals.tasks_peak,
            cost_usd: totals.cost_usd,
            notes,
            engine: totals.engine,
            events: totals.events,
            replications: None,
            run_id: None,
        }
    }
}

/// What a run measured: windows, whole-run totals and where it came from.
/// Written to and read from a folder by [`Recording::write_dir`] and
/// [`Recording::read_dir`].
#[derive(Clone, Debug)]
pub struct Recording {
    pub meta: Meta,
    pub gauge_names: Vec<String>,
    pub windows: Vec<Window>,
    /// Merge of every window's histogram (µs).
    pub total: Histogram<u64>,
    /// Exact sum of all ok latencies in ns.
    pub total_sum_ns: u128,
    /// Requests that arrived.
    pub offered: u64,
    /// Successful responses (`total.len()`).
    pub ok: u64,
    /// Every kind, zeros included.
    pub errors_by_kind: BTreeMap<ErrorKind, u64>,
    pub hosts_peak: Option<u32>,
    pub tasks_peak: Option<u32>,
    pub cost_usd: Option<f64>,
    pub notes: Vec<String>,
    pub engine: Option<EngineStats>,
    /// The fleet's happenings (`events.csv`); for pooled replications, those
    /// of the first replication.
    pub events: Vec<crate::FleetEvent>,
    /// Set by [`Recording::pool`].
    pub replications: Option<Replications>,
    /// The run id its files carry, when it was read from files
    /// ([`Recording::read_dir`]); `None` for a fresh one (its id is
    /// [`Recording::content_run_id`]) or one older than run ids.
    pub run_id: Option<RunId>,
}

impl Recording {
    /// The run's mean hourly cost × 730 h (AWS's month of 365 × 24 / 12
    /// hours), as a bill for a month of this fleet would read; `None` without
    /// a cost or a duration.
    pub fn cost_usd_per_month(&self) -> Option<f64> {
        monthly(self.cost_usd?, self.meta.duration_s)
    }

    /// Latency of the whole run.
    pub fn latency(&self) -> LatencyStats {
        LatencyStats::from_histogram(&self.total, self.total_sum_ns)
    }

    /// All failed responses.
    pub fn errors(&self) -> u64 {
        self.errors_by_kind.values().sum()
    }

    /// Failed / (ok + failed) responses; 0 when there were none. Requests
    /// still in flight at the end do not count.
    pub fn error_rate(&self) -> f64 {
        let done = self.ok + self.errors();
        if done == 0 {
            0.0
        } else {
            self.errors() as f64 / done as f64
        }
    }

    /// How many replications the counters add up (1 unless pooled).
    pub fn replication_count(&self) -> u32 {
        self.replications.map_or(1, |r| r.n.max(1))
    }

    /// Length of window `i` in seconds: `window_s`, shorter for a last
    /// window cut by the end of the run.
    pub fn window_duration_s(&self, i: usize) -> f64 {
        let t = self.windows[i].t_start_s;
        let left = self.meta.duration_s - t;
        if left > 0.0 {
            self.meta.window_s.min(left)
        } else {
            self.meta.window_s
        }
    }

    /// Pools replications of one scenario (same windows, same gauges):
    /// per-window histograms merged, counters summed, `in_system` and gauges
    /// averaged; top-level figures from the pooled histogram. Peaks are the
    /// maximum over replications, cost the mean, engine stats the sum; notes
    /// are kept once each, in order, plus a note naming the seeds.
    /// `replications` holds each replication's latency figures and error
    /// rate: mean and 95% Student-t interval. Depends only on the input
    /// order.
    ///
    /// # Panics
    /// If `reps` is empty, or the replications differ in window count or
    /// gauge names (they are not replications of one scenario).
    pub fn pool(reps: Vec<Recording>) -> Recording {
        assert!(!reps.is_empty(), "pool needs at least one recording");
        let first = &reps[0];
        for r in &reps[1..] {
            assert_eq!(
                r.windows.len(),
                first.windows.len(),
                "pool: replications must have the same windows"
            );
            assert_eq!(
                r.gauge_names, first.gauge_names,
                "pool: replications must have the same gauges"
            );
        }
        let n = reps.len();

        let lats: Vec<LatencyStats> = reps.iter().map(Recording::latency).collect();
        let ci = |f: fn(&LatencyStats) -> f64| -> Ci95 {
            let xs: Vec<f64> = lats.iter().map(f).filter(|x| x.is_finite()).collect();
            mean_ci95(&xs).into()
        };
        let rates: Vec<f64> = reps.iter().map(Recording::error_rate).collect();
        let replications = Replications {
            n: n as u32,
            latency_ms: ReplicatedLatency {
                mean: ci(|l| l.mean_ms),
                p50: ci(|l| l.p50_ms),
                p90: ci(|l| l.p90_ms),
                p99: ci(|l| l.p99_ms),
                p999: ci(|l| l.p999_ms),
                max: ci(|l| l.max_ms),
            },
            error_rate: mean_ci95(&rates).into(),
        };

        let mut serializer = V2Serializer::new();
        let windows = (0..first.windows.len())
            .map(|i| {
                let mut hist = new_histogram();
                let mut w = Window {
                    t_start_s: first.windows[i].t_start_s,
                    offered: 0,
                    ok: 0,
                    errors: [0; 7],
                    latency: LatencyStats::EMPTY,
                    in_system: 0.0,
                    gauges: vec![0.0; first.gauge_names.len()],
                    sum_ns: 0,
                    histogram_v2z: Vec::new(),
                };
                for r in &reps {
                    let rw = &r.windows[i];
                    hist.add(rw.histogram())
                        .expect("histograms with equal bounds add");
                    w.offered += rw.offered;
                    w.sum_ns += rw.sum_ns;
                    for (a, b) in w.errors.iter_mut().zip(rw.errors) {
                        *a += b;
                    }
                    w.in_system += rw.in_system;
                    for (a, b) in w.gauges.iter_mut().zip(&rw.gauges) {
                        *a += b;
                    }
                }
                w.in_system /= n as f64;
                for g in &mut w.gauges {
                    *g /= n as f64;
                }
                w.ok = hist.len();
                w.latency = LatencyStats::from_histogram(&hist, w.sum_ns);
                w.histogram_v2z = encode_histogram(&hist, &mut serializer);
                // Each window's p50 and p99 across replications: a 95%
                // confidence band per window (Student t over the replications
                // that had responses in it).
                for pick in [|l: &LatencyStats| l.p50_ms, |l: &LatencyStats| l.p99_ms] {
                    let xs: Vec<f64> = reps
                        .iter()
                        .map(|r| pick(&r.windows[i].latency))
                        .filter(|x| x.is_finite())
                        .collect();
                    let c = mean_ci95(&xs);
                    let (lo, hi) = if xs.len() >= 2 {
                        (c.lo, c.hi)
                    } else {
                        (f64::NAN, f64::NAN)
                    };
                    w.gauges.extend([lo, hi]);
                }
                w
            })
            .collect();
        let mut gauge_names = first.gauge_names.clone();
        gauge_names.extend(WINDOW_CI_GAUGES.iter().map(|g| g.to_string()));

        let mut total = new_histogram();
        for r in &reps {
            total
                .add(&r.total)
                .expect("histograms with equal bounds add");
        }
        let errors_by_kind = ErrorKind::ALL
            .into_iter()
            .map(|k| {
                let c = reps
                    .iter()
                    .map(|r| r.errors_by_kind.get(&k).copied().unwrap_or(0))
                    .sum();
                (k, c)
            })
            .collect();
        let peak = |f: fn(&Recording) -> Option<u32>| reps.iter().filter_map(f).max();
        let costs: Vec<f64> = reps.iter().filter_map(|r| r.cost_usd).collect();
        let engines: Vec<EngineStats> = reps.iter().filter_map(|r| r.engine).collect();
        let mut notes: Vec<String> = Vec::new();
        for r in &reps {
            for note in &r.notes {
                if !notes.contains(note) {
                    notes.push(note.clone());
                }
            }
        }
        let seeds: Vec<String> = reps.iter().map(|r| r.meta.seed.to_string()).collect();
        notes.push(format!(
            "pooled {n} replications (seeds {}); counts are totals over all replications",
            seeds.join(", ")
        ));

        Recording {
            meta: first.meta.clone(),
            gauge_names,
            windows,
            ok: total.len(),
            total,
            total_sum_ns: reps.iter().map(|r| r.total_sum_ns).sum(),
            offered: reps.iter().map(|r| r.offered).sum(),
            errors_by_kind,
            hosts_peak: peak(|r| r.hosts_peak),
            tasks_peak: peak(|r| r.tasks_peak),
            cost_usd: (!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64),
            notes,
            engine: (!engines.is_empty()).then(|| EngineStats {
                events: engines.iter().map(|e| e.events).sum(),
                wall_seconds: engines.iter().map(|e| e.wall_seconds).sum(),
            }),
            events: first.events.clone(),
            replications: Some(replications),
            run_id: None,
        }
    }

    /// Checks `meta.slo` against the whole run, in the order p50, p90, p99,
    /// error_rate. A latency objective with no successful response to
    /// measure is met only if nothing failed either (an idle run). No SLO:
    /// met, no checks.
    pub fn slo_verdict(&self) -> SloVerdict {
        let lat = self.latency();
        let slo = &self.meta.slo;
        let mut checks = Vec::new();
        for (name, target, actual) in [
            ("p50", slo.p50_ms, lat.p50_ms),
            ("p90", slo.p90_ms, lat.p90_ms),
            ("p99", slo.p99_ms, lat.p99_ms),
        ] {
            if let Some(target) = target {
                let met = if actual.is_nan() {
                    self.errors() == 0
                } else {
                    actual <= target
                };
                checks.push(SloCheck {
                    name: name.to_string(),
                    target,
                    actual,
                    met,
                });
            }
        }
        if let Some(target) = slo.error_rate {
            let actual = self.error_rate();
            checks.push(SloCheck {
                name: "error_rate".to_string(),
                target,
                actual,
                met: actual <= target,
            });
        }
        SloVerdict {
            met: checks.iter().all(|c| c.met),
            checks,
        }
    }

    /// Creates `dir` and writes `summary.json`, `timeseries.csv`,
    /// `latency.hlog` (and `events.csv`) into it, each carrying the run id
    /// it returns. Same recording, same bytes. Not atomic by itself: the
    /// commands write into a [`crate::Staging`] folder.
    pub fn write_dir(&self, dir: &Path) -> Result<RunId, ReportError> {
        files::write_dir(self, dir)
    }

    /// The run id [`Recording::write_dir`] writes into the files.
    pub fn content_run_id(&self) -> Result<RunId, ReportError> {
        files::run_id(self)
    }

    /// The run id `dir/summary.json` carries; `None` for a recording
    /// written before run ids.
    pub fn read_run_id(dir: &Path) -> Result<Option<RunId>, ReportError> {
        files::read_run_id(dir)
    }

    /// Reads a folder written by [`Recording::write_dir`]. Counters,
    /// histograms, gauges and totals come back exactly; means come back to
    /// the precision of the files (µs per window, 0.1 µs for the run), which
    /// is enough to write the same bytes again.
    pub fn read_dir(dir: &Path) -> Result<Recording, ReportError> {
        files::read_dir(dir)
    }

    /// A short human table for the terminal.
    pub fn summary_table(&self) -> String {
        let m = &self.meta;
        let mut s = String::new();
        let source = match m.source {
            Source::Simulate => "simulate",
            Source::Loadtest => "loadtest",
        };
        let _ = writeln!(
            s,
            "{} · seed {} · {source} · dockmaster {} · {} s in {} windows of {} s",
            m.scenario,
            m.seed,
            m.version,
            files::fmt_trim(m.duration_s, 3),
            self.windows.len(),
            files::fmt_trim(m.window_s, 3),
        );
        if let Some(t) = &m.target {
            let _ = writeln!(s, "{:<14}{t}", "target");
        }
        let errors = self.errors();
        let _ = writeln!(s, "{:<14}{:>12}", "requests", self.offered);
        let _ = writeln!(s, "{:<14}{:>12}", "ok", self.ok);
        let _ = writeln!(
            s,
            "{:<14}{:>12}  ({:.3}%)",
            "errors",
            errors,
            self.error_rate() * 100.0
        );
        for (k, c) in &self.errors_by_kind {
            if *c > 0 {
                let _ = writeln!(s, "  {:<12}{:>12}", k.name(), c);
            }
        }
        let in_flight = self.offered.saturating_sub(self.ok + errors);
        if in_flight > 0 {
            let _ = writeln!(s, "{:<14}{:>12}", "unfinished", in_flight);
        }
        let lat = self.latency();
        let _ = writeln!(
            s,
            "{:<14}mean {}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            "latency ms",
            fmt_ms(lat.mean_ms),
            fmt_ms(lat.p50_ms),
            fmt_ms(lat.p90_ms),
            fmt_ms(lat.p99_ms),
            fmt_ms(lat.p999_ms),
            fmt_ms(lat.max_ms),
        );
        if let Some(r) = &self.replications {
            let _ = writeln!(
                s,
                "{:<14}n={} (counts above are totals over all replications)",
                "replications", r.n
            );
            for (name, c) in r.latency_ms.named() {
                let label = if name == "p999" { "p99.9" } else { name };
                let _ = writeln!(
                    s,
                    "  {label} {} ms (95% CI {}–{}, n={})",
                    fmt_ms(c.mean),
                    fmt_ms(c.lo),
                    fmt_ms(c.hi),
                    r.n
                );
            }
            let e = r.error_rate;
            let _ = writeln!(
                s,
                "  error rate {:.3}% (95% CI {:.3}–{:.3}%, n={})",
                e.mean * 100.0,
                e.lo * 100.0,
                e.hi * 100.0,
                r.n
            );
        }
        if let Some(h) = self.hosts_peak {
            let _ = writeln!(s, "{:<14}{:>12}", "hosts peak", h);
        }
        if let Some(t) = self.tasks_peak {
            let _ = writeln!(s, "{:<14}{:>12}", "tasks peak", t);
        }
        if let Some(c) = self.cost_usd {
            let _ = write!(s, "{:<14}{:>12}", "cost", format!("${c:.2}"));
            match self.cost_usd_per_month() {
                Some(m) => {
                    let _ = writeln!(s, "  (${m:.0} a month at this run's mean hourly cost)");
                }
                None => s.push('\n'),
            }
        }
        let v = self.slo_verdict();
        if v.checks.is_empty() {
            let _ = write!(s, "{:<14}none set", "SLO");
        } else {
            let parts: Vec<String> = v
                .checks
                .iter()
                .map(|c| {
                    let op = if c.met { "≤" } else { ">" };
                    let mark = if c.met { "ok" } else { "MISSED" };
                    if c.name == "error_rate" {
                        format!(
                            "error rate {:.3}% {op} {:.3}% {mark}",
                            c.actual * 100.0,
                            c.target * 100.0
                        )
                    } else if c.actual.is_nan() {
                        format!("{} – (no responses) {mark}", c.name)
                    } else {
                        format!(
                            "{} {} {op} {} ms {mark}",
                            c.name,
                            fmt_ms(c.actual),
                            fmt_ms(c.target)
                        )
                    }
                })
                .collect();
            let _ = write!(
                s,
                "{:<14}{}: {}",
                "SLO",
                if v.met { "MET" } else { "NOT MET" },
                parts.join(", ")
            );
        }
        s
    }
}

/// Milliseconds for people: about 3 significant digits, `–` for none.
fn fmt_ms(x: f64) -> String {
    if !x.is_finite() {
        "–".to_string()
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}
