//! The on-disk format of a recording: `summary.json`, `timeseries.csv`,
//! `latency.hlog`. Byte-identical output for identical input: structs (not
//! maps) fix the JSON key order, floats are rounded to a fixed number of
//! decimals, nothing reads the clock.

use super::*;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, LogIteratorError, Tag,
};
use hdrhistogram::serialization::V2DeflateSerializer;
use serde::ser::SerializeMap;
use std::time::{Duration, UNIX_EPOCH};

mod folder;
pub(super) use folder::{read_dir, read_run_id, run_id, write_dir};

pub const SUMMARY_FILE: &str = "summary.json";
pub const TIMESERIES_FILE: &str = "timeseries.csv";
pub const HLOG_FILE: &str = "latency.hlog";
/// `loadtest.json`: written by the load generator, part of its recording.
pub const LOADTEST_FILE: &str = "loadtest.json";

/// Decimals of `in_system` and latency cells in timeseries.csv.
const CSV_DECIMALS: usize = 3;
/// Decimals of gauge cells in timeseries.csv (trailing zeros dropped).
const GAUGE_DECIMALS: usize = 6;
/// Columns before the gauges: t, offered, completed, errors, one per kind,
/// six latency figures, in_system.
const FIXED_COLUMNS: usize = 4 + ErrorKind::ALL.len() + 6 + 1;

// ---------------------------------------------------------------------------
// Number formatting

/// A JSON float rounded to `D` decimals; NaN and infinities are `null`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Fixed<const D: i32>(f64);

type F4 = Fixed<4>;
type F6 = Fixed<6>;

fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let r = (x * scale).round() / scale;
    if r == 0.0 {
        0.0 // no "-0.0"
    } else {
        r
    }
}

impl<const D: i32> Serialize for Fixed<D> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(round_to(self.0, D))
        } else {
            s.serialize_none()
        }
    }
}

impl<'de, const D: i32> Deserialize<'de> for Fixed<D> {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        Ok(Fixed(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN)))
    }
}

/// `x` with `decimals` decimals, trailing zeros and a trailing dot dropped;
/// empty for NaN and infinities.
pub(super) fn fmt_trim(x: f64, decimals: usize) -> String {
    let mut s = fmt_fixed(x, decimals);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// `x` with exactly `decimals` decimals; empty for NaN and infinities.
fn fmt_fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

// ---------------------------------------------------------------------------
// summary.json

/// The errors of every kind, zeros included, in `ErrorKind::ALL` order,
/// keyed by `ErrorKind::name` (`http_503`, ...).
#[derive(Clone, Debug, PartialEq)]
struct KindCounts([u64; 7]);

impl Serialize for KindCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(ErrorKind::ALL.len()))?;
        for k in ErrorKind::ALL {
            m.serialize_entry(k.name(), &self.0[k.index()])?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for KindCounts {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        let raw = BTreeMap::<String, u64>::deserialize(d)?;
        let mut counts = [0; 7];
        for (name, c) in raw {
            let k = ErrorKind::from_name(&name).ok_or_else(|| {
                let allowed: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
                serde::de::Error::custom(format!(
                    "unknown error kind `{name}`, expected one of {}",
                    allowed.join(", ")
                ))
            })?;
            counts[k.index()] = c;
        }
        Ok(KindCounts(counts))
    }
}

#[derive(Serialize, Deserialize)]
struct SummaryFile {
    scenario: String,
    seed: u64,
    source: Source,
    version: String,
    /// Absent in recordings written before run ids (read, never checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run_id: Option<RunId>,
    window_s: f64,
    duration_s: f64,
    requests: RequestsFile,
    latency_ms: LatencyFile,
    hosts: PeakFile,
    tasks: PeakFile,
    cost_usd: Option<F4>,
    /// `cost_usd` per hour of the run × 730 (a month as AWS bills one).
    #[serde(default)]
    cost_usd_per_month: Option<F4>,
    slo: SloFile,
    /// Each service's figures, in the scenario's order; absent in
    /// recordings written before services were.
    #[serde(default, skip_serializing_if = "ServicesFile::is_empty")]
    services: ServicesFile,
    replications: Option<ReplicationsFile>,
    notes: Vec<String>,
    scenario_text: String,
    /// Absent in recordings written before it, and when nobody validated
    /// the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scenario_summary: Option<ScenarioSummary>,
    target: Option<String>,
    start_unix_s: f64,
    /// Only when not the scenario's own arrivals at scale 1 (a load test's
    /// `--rate-scale` or `--closed`).
    #[serde(default, skip_serializing_if = "Replay::is_as_scenario")]
    replay: Replay,
    /// Last, so that determinism tests can cut it off (wall clock).
    engine: Option<EngineFile>,
}

#[derive(Serialize, Deserialize)]
struct RequestsFile {
    total: u64,
    ok: u64,
    errors: u64,
    error_rate: F6,
    errors_by_kind: KindCounts,
}

#[derive(Serialize, Deserialize)]
struct LatencyFile {
    mean: F4,
    p50: F4,
    p90: F4,
    p99: F4,
    p999: F4,
    max: F4,
}

impl From<&LatencyStats> for LatencyFile {
    fn from(l: &LatencyStats) -> Self {
        LatencyFile {
            mean: Fixed(l.mean_ms),
            p50: Fixed(l.p50_ms),
            p90: Fixed(l.p90_ms),
            p99: Fixed(l.p99_ms),
            p999: Fixed(l.p999_ms),
            max: Fixed(l.max_ms),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PeakFile {
    peak: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct SloFile {
    met: bool,
    checks: Vec<SloCheckFile>,
}

#[derive(Serialize, Deserialize)]
struct SloCheckFile {
    /// Whose objective: a service's in the top-level list (absent for the
    /// fleet's, and under `services.NAME.slo`, where it goes without saying).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    name: String,
    target: F6,
    actual: F6,
    met: bool,
}

/// `services`: one entry per service, keyed by name, in the scenario's
/// order (a JSON object whose key order is the file's, not sorted).
#[derive(Default)]
struct ServicesFile(Vec<(String, ServiceFile)>);

impl ServicesFile {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Serialize, Deserialize)]
struct ServiceFile {
    requests: RequestsFile,
    latency_ms: LatencyFile,
    slo: SloFile,
}

impl Serialize for ServicesFile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (name, f) in &self.0 {
            m.serialize_entry(name, f)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for ServicesFile {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        struct InOrder;
        impl<'de> serde::de::Visitor<'de> for InOrder {
            type Value = ServicesFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of services by name")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<ServicesFile, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = a.next_entry::<String, ServiceFile>()? {
                    out.push(entry);
                }
                Ok(ServicesFile(out))
            }
        }
        d.deserialize_map(InOrder)
    }
}

#[derive(Serialize, Deserialize)]
struct ReplicationsFile {
    n: u32,
    latency_ms: RepLatencyFile,
    error_rate: CiFile<6>,
}

#[derive(Serialize, Deserialize)]
struct RepLatencyFile {
    mean: CiFile<4>,
    p50: CiFile<4>,
    p90: CiFile<4>,
    p99: CiFile<4>,
    p999: CiFile<4>,
    max: CiFile<4>,
}

#[derive(Serialize, Deserialize)]
struct CiFile<const D: i32> {
    mean: Fixed<D>,
    ci95: [Fixed<D>; 2],
}

impl<const D: i32> From<Ci95> for CiFile<D> {
    fn from(c: Ci95) -> Self {
        CiFile {
            mean: Fixed(c.mean),
            ci95: [Fixed(c.lo), Fixed(c.hi)],
        }
    }
}

impl<const D: i32> From<&CiFile<D>> for Ci95 {
    fn from(c: &CiFile<D>) -> Self {
        Ci95 {
            mean: c.mean.0,
            lo: c.ci95[0].0,
            hi: c.ci95[1].0,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct EngineFile {
    events: u64,
    wall_seconds: F4,
}

fn requests_file(offered: u64, ok: u64, errors: &BTreeMap<ErrorKind, u64>) -> RequestsFile {
    let mut kinds = [0; 7];
    for (k, c) in errors {
        kinds[k.index()] = *c;
    }
    let total_errors = kinds.iter().sum();
    RequestsFile {
        total: offered,
        ok,
        errors: total_errors,
        error_rate: Fixed(error_rate(ok, total_errors)),
        errors_by_kind: KindCounts(kinds),
    }
}

/// The verdict of `checks`, each naming its service when `named`.
fn slo_file<'a>(checks: impl Iterator<Item = &'a SloCheck>, named: bool) -> SloFile {
    let checks: Vec<SloCheckFile> = checks
        .map(|c| SloCheckFile {
            service: c.service.clone().filter(|_| named),
            name: c.name.clone(),
            target: Fixed(c.target),
            actual: Fixed(c.actual),
            met: c.met,
        })
        .collect();
    SloFile {
        met: checks.iter().all(|c| c.met),
        checks,
    }
}

fn summary_file(r: &Recording) -> SummaryFile {
    let m = &r.meta;
    let verdict = r.slo_verdict();
    SummaryFile {
        scenario: m.scenario.clone(),
        seed: m.seed,
        source: m.source,
        version: m.version.clone(),
        run_id: None,
        window_s: m.window_s,
        duration_s: m.duration_s,
        requests: requests_file(r.offered, r.ok, &r.errors_by_kind),
        latency_ms: (&r.latency()).into(),
        hosts: PeakFile { peak: r.hosts_peak },
        tasks: PeakFile { peak: r.tasks_peak },
        cost_usd: r.cost_usd.map(Fixed),
        // From the cost as this file writes it (4 decimals), so that a
        // recording read back writes the same bytes again.
        cost_usd_per_month: r
            .cost_usd
            .and_then(|c| monthly(round_to(c, 4), m.duration_s))
            .map(Fixed),
        slo: slo_file(verdict.checks.iter(), true),
        services: ServicesFile(
            r.services
                .iter()
                .map(|s| {
                    let f = ServiceFile {
                        requests: requests_file(s.offered, s.ok, &s.errors_by_kind),
                        latency_ms: (&s.latency()).into(),
                        slo: slo_file(verdict.of(Some(&s.name)), false),
                    };
                    (s.name.clone(), f)
                })
                .collect(),
        ),
        replications: r.replications.map(|rep| ReplicationsFile {
            n: rep.n,
            latency_ms: RepLatencyFile {
                mean: rep.latency_ms.mean.into(),
                p50: rep.latency_ms.p50.into(),
                p90: rep.latency_ms.p90.into(),
                p99: rep.latency_ms.p99.into(),
                p999: rep.latency_ms.p999.into(),
                max: rep.latency_ms.max.into(),
            },
            error_rate: rep.error_rate.into(),
        }),
        notes: r.notes.clone(),
        scenario_text: m.scenario_text.clone(),
        scenario_summary: m.scenario_summary.clone(),
        target: m.target.clone(),
        start_unix_s: m.start_unix_s,
        replay: m.replay,
        engine: r.engine.map(|e| EngineFile {
            events: e.events,
            wall_seconds: Fixed(e.wall_seconds),
        }),
    }
}

fn json_bytes(s: &SummaryFile) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(s).expect("summary serializes to memory");
    out.push(b'\n');
    out
}

// ---------------------------------------------------------------------------
// timeseries.csv

/// The latency columns, the fleet's and (suffixed) each service's.
const LATENCY_COLUMNS: [&str; 6] = ["mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"];

/// What each service's columns hold, in order (`<metric>_<service>`):
/// three counts, then [`LATENCY_COLUMNS`].
const SERVICE_COUNTS: [&str; 3] = ["offered", "completed", "errors"];
const SERVICE_METRICS: usize = SERVICE_COUNTS.len() + LATENCY_COLUMNS.len();

/// The columns of one service, after the fleet's and the gauges.
fn service_columns(service: &str) -> impl Iterator<Item = String> + '_ {
    SERVICE_COUNTS
        .iter()
        .chain(&LATENCY_COLUMNS)
        .map(move |m| format!("{m}_{service}"))
}

fn csv_header(gauges: &[Gauge], services: &[ServiceMeta]) -> Vec<String> {
    let mut h: Vec<String> = ["t_start_s", "offered", "completed", "errors"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    h.extend(
        ErrorKind::ALL
            .iter()
            .map(|k| format!("errors_{}", k.name())),
    );
    h.extend(LATENCY_COLUMNS.iter().map(|s| s.to_string()));
    h.push("in_system".to_string());
    h.extend(gauges.iter().map(|g| g.name().into_owned()));
    for s in services {
        h.extend(service_columns(&s.name));
    }
    h
}

/// The bytes of `timeseries.csv`. Counts of a pooled recording are
/// per-replication means (up to 3 decimals).
pub(super) fn timeseries_csv(r: &Recording) -> Vec<u8> {
    let n = r.replication_count();
    let count = |c: u64| -> String {
        if n == 1 {
            c.to_string()
        } else {
            fmt_trim(c as f64 / f64::from(n), 3)
        }
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(csv_header(&r.gauges, &r.meta.services))
        .expect("writing CSV to memory");
    for win in &r.windows {
        let mut row = vec![
            fmt_trim(win.t_start_s, 3),
            count(win.offered),
            count(win.ok),
            count(win.errors_total()),
        ];
        row.extend(win.errors.iter().map(|&e| count(e)));
        row.extend(
            win.latency
                .named()
                .iter()
                .map(|(_, x)| fmt_fixed(*x, CSV_DECIMALS)),
        );
        row.push(fmt_fixed(win.in_system, CSV_DECIMALS));
        row.extend(win.gauges.iter().map(|&g| fmt_trim(g, GAUGE_DECIMALS)));
        for s in &win.services {
            row.extend([count(s.offered), count(s.ok), count(s.errors)]);
            row.extend(
                s.latency
                    .named()
                    .iter()
                    .map(|(_, x)| fmt_fixed(*x, CSV_DECIMALS)),
            );
        }
        w.write_record(&row).expect("writing CSV to memory");
    }
    w.into_inner().expect("flushing CSV to memory")
}

// ---------------------------------------------------------------------------
// latency.hlog

fn secs(x: f64) -> Duration {
    Duration::from_secs_f64(if x.is_finite() { x.max(0.0) } else { 0.0 })
}

/// The bytes of `latency.hlog`: an HdrHistogram interval log, one untagged
/// interval per window for the fleet, then one per service tagged
/// `Tag=<service>` (start relative to BaseTime = `meta.start_unix_s`),
/// values in µs, V2 deflate compressed, max column in ms
/// (`MaxValueDivisor 1000`).
pub(super) fn hlog(r: &Recording) -> Result<Vec<u8>, String> {
    let m = &r.meta;
    let mut buf = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let start = UNIX_EPOCH + secs(m.start_unix_s);
    let mut builder = IntervalLogWriterBuilder::new();
    builder
        .add_comment(&format!(
            "dockmaster {} latency log: scenario {}, seed {}, {} windows of {} s",
            m.version,
            m.scenario,
            m.seed,
            r.windows.len(),
            fmt_trim(m.window_s, 3)
        ))
        .add_comment("values are microseconds; MaxValueDivisor 1000 shows the max column in ms")
        .add_comment("untagged intervals are the fleet's; Tag=<service> intervals each service's")
        .add_comment("[Histogram log format version 1.3]")
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0);
    let mut writer = builder
        .begin_log_with(&mut buf, &mut serializer)
        .map_err(|e| e.to_string())?;
    let tags = m
        .services
        .iter()
        .map(|s| {
            Tag::new(&s.name)
                .ok_or_else(|| format!("service name `{}` cannot be an interval-log tag", s.name))
        })
        .collect::<Result<Vec<Tag>, String>>()?;
    for (i, w) in r.windows.iter().enumerate() {
        let (start, length) = (secs(w.t_start_s), secs(r.window_duration_s(i)));
        writer
            .write_histogram(&w.histogram(), start, length, None)
            .map_err(|e| e.to_string())?;
        for (s, tag) in w.services.iter().zip(&tags) {
            writer
                .write_histogram(&s.histogram(), start, length, Some(*tag))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(buf)
}

/// The encoded (base64-decoded) histograms of an interval log, in order,
/// each with its tag (`None`: the fleet's).
/// An interval's tag (`None`: the fleet's) and its encoded histogram.
pub(super) type TaggedInterval = (Option<String>, Vec<u8>);

fn read_hlog(bytes: &[u8]) -> Result<Vec<TaggedInterval>, String> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for entry in IntervalLogIterator::new(bytes) {
        match entry {
            Ok(LogEntry::Interval(h)) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(h.encoded_histogram())
                    .map_err(|e| format!("interval {}: bad base64: {e}", out.len() + 1))?;
                out.push((h.tag().map(|t| t.as_str().to_string()), raw));
            }
            Ok(LogEntry::StartTime(_) | LogEntry::BaseTime(_)) => {}
            Err(LogIteratorError::ParseError { offset }) => {
                let line = 1 + bytes[..offset.min(bytes.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                return Err(format!(
                    "line {line} is not an interval-log line (a file cut short or edited?); \
                     after {} whole intervals",
                    out.len()
                ));
            }
        }
    }
    Ok(out)
}
