//! The Recording type, its builder ([`Recorder`]), pooling of replications,
//! the SLO verdict and the terminal table. The on-disk format is in
//! `recording/files.rs`.
//!
//! Architecture invariant: latencies are kept in µs HdrHistograms (1 µs .. 1 h,
//! 3 significant digits) plus an exact ns sum for the mean; closed windows
//! keep only their V2-deflate encoded histogram, so memory grows by a few
//! hundred bytes per window.
use crate::gauge::Gauge;
use crate::scenario_summary::ScenarioSummary;
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
pub fn monthly(cost_usd: f64, duration_s: f64) -> Option<f64> {
    let hours = duration_s / 3600.0;
    (hours > 0.0).then(|| cost_usd / hours * HOURS_PER_MONTH)
}

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
    /// The scenario as the report tells it, filled by whoever validated it
    /// (this crate does not read the scenario format). None in recordings
    /// written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_summary: Option<ScenarioSummary>,
    /// Which arrivals were sent: the scenario's (scaled, for a load test's
    /// dry run) or a closed loop. Comparing is like with like only for the
    /// scenario's own arrivals at scale 1.
    pub replay: Replay,
    /// The scenario's services, in file order: each one's requests are
    /// recorded apart as well (`Window::services`, `Recording::services`).
    /// Empty for a recording written before services were.
    pub services: Vec<ServiceMeta>,
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
use std::path::Path;

mod files;
mod pool;
mod recorder;
mod service;
mod slo;
mod table;
#[cfg(test)]
mod tests;

pub use crate::error::ReportError;
pub use recorder::Recorder;
use service::{by_kind, error_rate};
pub use service::{ServiceMeta, ServiceTotals, ServiceWindow};

pub use files::{HLOG_FILE, LOADTEST_FILE, SUMMARY_FILE, TIMESERIES_FILE};

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

/// Adds error counts kind by kind (both in [`ErrorKind::ALL`] order).
fn add_counts(into: &mut [u64; 7], from: [u64; 7]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

/// A histogram we encoded ourselves, or validated when it was read.
fn decode_known(bytes: &[u8]) -> Histogram<u64> {
    decode_histogram(bytes).expect("window histograms are encoded by us or validated when read")
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
    /// One value per `Recording::gauges`, in its order.
    pub gauges: Vec<f64>,
    /// Exact sum of the ok latencies in ns (for the mean).
    pub sum_ns: u128,
    /// The window's µs histogram, V2 encoded (V2 deflate when read back from
    /// an hlog): a few kB instead of a 190 KB live histogram. See
    /// [`Window::histogram`].
    pub histogram_v2z: Vec<u8>,
    /// Each service's part of the window, in `Meta::services` order; the
    /// counters and histograms above are their sums.
    pub services: Vec<ServiceWindow>,
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
        decode_known(&self.histogram_v2z)
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
    /// The service whose objective it is (`services[].slo`); `None` for
    /// the fleet's (`[slo]`).
    pub service: Option<String>,
    /// `p50`, `p90`, `p99` (ms) or `error_rate` (fraction).
    pub name: String,
    pub target: f64,
    /// NaN when there is no latency to check (no successful response).
    pub actual: f64,
    pub met: bool,
}

/// All SLO checks of a recording, the fleet's first, then each service's
/// in `Meta::services` order; `met` when every check is.
#[derive(Clone, Debug, PartialEq)]
pub struct SloVerdict {
    pub met: bool,
    pub checks: Vec<SloCheck>,
}

/// What a run measured: windows, whole-run totals and where it came from.
/// Written to and read from a folder by [`Recording::write_dir`] and
/// [`Recording::read_dir`].
#[derive(Clone, Debug)]
pub struct Recording {
    pub meta: Meta,
    /// The gauges of every window, in column order.
    pub gauges: Vec<Gauge>,
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
    /// Each service's whole-run figures, in `Meta::services` order; the
    /// fleet's counters and histogram above are their sums.
    pub services: Vec<ServiceTotals>,
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
        error_rate(self.ok, self.errors())
    }

    /// Gauge `g`'s value in each window, or None when the recording does
    /// not carry it.
    pub fn gauge(&self, g: &Gauge) -> Option<impl Iterator<Item = f64> + '_> {
        let i = self.gauges.iter().position(|x| x == g)?;
        Some(self.windows.iter().map(move |w| w.gauges[i]))
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
}
