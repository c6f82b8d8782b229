//! The on-disk format of a recording: `summary.json`, `timeseries.csv`,
//! `latency.hlog`. Byte-identical output for identical input: structs (not
//! maps) fix the JSON key order, floats are rounded to a fixed number of
//! decimals, nothing reads the clock.

use super::*;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, LogIteratorError,
};
use hdrhistogram::serialization::V2DeflateSerializer;
use serde::ser::SerializeMap;
use std::time::{Duration, UNIX_EPOCH};

pub const SUMMARY_FILE: &str = "summary.json";
pub const TIMESERIES_FILE: &str = "timeseries.csv";
pub const HLOG_FILE: &str = "latency.hlog";

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
    slo: SloFile,
    replications: Option<ReplicationsFile>,
    notes: Vec<String>,
    scenario_text: String,
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
    name: String,
    target: F6,
    actual: F6,
    met: bool,
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

fn summary_file(r: &Recording) -> SummaryFile {
    let m = &r.meta;
    let mut kinds = [0; 7];
    for (k, c) in &r.errors_by_kind {
        kinds[k.index()] = *c;
    }
    let verdict = r.slo_verdict();
    SummaryFile {
        scenario: m.scenario.clone(),
        seed: m.seed,
        source: m.source,
        version: m.version.clone(),
        run_id: None,
        window_s: m.window_s,
        duration_s: m.duration_s,
        requests: RequestsFile {
            total: r.offered,
            ok: r.ok,
            errors: r.errors(),
            error_rate: Fixed(r.error_rate()),
            errors_by_kind: KindCounts(kinds),
        },
        latency_ms: (&r.latency()).into(),
        hosts: PeakFile { peak: r.hosts_peak },
        tasks: PeakFile { peak: r.tasks_peak },
        cost_usd: r.cost_usd.map(Fixed),
        slo: SloFile {
            met: verdict.met,
            checks: verdict
                .checks
                .iter()
                .map(|c| SloCheckFile {
                    name: c.name.clone(),
                    target: Fixed(c.target),
                    actual: Fixed(c.actual),
                    met: c.met,
                })
                .collect(),
        },
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

fn csv_header(gauge_names: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ["t_start_s", "offered", "completed", "errors"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    h.extend(
        ErrorKind::ALL
            .iter()
            .map(|k| format!("errors_{}", k.name())),
    );
    h.extend(
        [
            "mean_ms",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "p999_ms",
            "max_ms",
            "in_system",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    h.extend(gauge_names.iter().cloned());
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
    w.write_record(csv_header(&r.gauge_names))
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
        w.write_record(&row).expect("writing CSV to memory");
    }
    w.into_inner().expect("flushing CSV to memory")
}

// ---------------------------------------------------------------------------
// latency.hlog

fn secs(x: f64) -> Duration {
    Duration::from_secs_f64(if x.is_finite() { x.max(0.0) } else { 0.0 })
}

/// The bytes of `latency.hlog`: an HdrHistogram interval log, one interval
/// per window (start relative to BaseTime = `meta.start_unix_s`), values in
/// µs, V2 deflate compressed, max column in ms (`MaxValueDivisor 1000`).
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
        .add_comment("[Histogram log format version 1.3]")
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0);
    let mut writer = builder
        .begin_log_with(&mut buf, &mut serializer)
        .map_err(|e| e.to_string())?;
    for (i, w) in r.windows.iter().enumerate() {
        writer
            .write_histogram(
                &w.histogram(),
                secs(w.t_start_s),
                secs(r.window_duration_s(i)),
                None,
            )
            .map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

/// The encoded (base64-decoded) histograms of an interval log, in order.
fn read_hlog(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for entry in IntervalLogIterator::new(bytes) {
        match entry {
            Ok(LogEntry::Interval(h)) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(h.encoded_histogram())
                    .map_err(|e| format!("interval {}: bad base64: {e}", out.len() + 1))?;
                out.push(raw);
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

// ---------------------------------------------------------------------------
// Folder

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, ReportError> {
    std::fs::read(path).map_err(|source| ReportError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

/// A recording's files as bytes, before the run id goes in.
struct Bodies {
    summary: SummaryFile,
    /// `summary` without its engine figures, as hashed for the run id.
    summary_for_id: Vec<u8>,
    timeseries: Vec<u8>,
    hlog: Vec<u8>,
    /// `None` for a load test without fleet events: it writes no events.csv.
    events: Option<Vec<u8>>,
}

impl Bodies {
    fn of(r: &Recording, hlog_path: &Path) -> Result<Bodies, ReportError> {
        let hlog = hlog(r).map_err(|detail| ReportError::Format {
            path: hlog_path.to_path_buf(),
            detail,
        })?;
        // A simulation always tells its fleet's story, even an uneventful one.
        let events = (r.meta.source == Source::Simulate || !r.events.is_empty())
            .then(|| crate::events::csv_bytes(&r.events));
        let mut summary = summary_file(r);
        let engine = summary.engine.take();
        let summary_for_id = json_bytes(&summary);
        summary.engine = engine;
        Ok(Bodies {
            summary,
            summary_for_id,
            timeseries: timeseries_csv(r),
            hlog,
            events,
        })
    }

    /// The content hash of the files, without the wall-clock engine
    /// figures (they differ run to run; see [`RunId`]).
    fn run_id(&self) -> RunId {
        RunId::of_parts(&[
            &self.summary_for_id,
            &self.timeseries,
            &self.hlog,
            self.events.as_deref().unwrap_or(b""),
        ])
    }
}

/// The run id the files of `r` carry (see [`RunId`]).
pub(super) fn run_id(r: &Recording) -> Result<RunId, ReportError> {
    Ok(Bodies::of(r, Path::new(HLOG_FILE))?.run_id())
}

pub(super) fn write_dir(r: &Recording, dir: &Path) -> Result<RunId, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        action: "create the folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut b = Bodies::of(r, &dir.join(HLOG_FILE))?;
    let id = b.run_id();
    b.summary.run_id = Some(id.clone());
    let with_comment = |comment: String, body: &[u8]| [comment.as_bytes(), body].concat();
    write_file(&dir.join(SUMMARY_FILE), &json_bytes(&b.summary))?;
    write_file(
        &dir.join(TIMESERIES_FILE),
        &with_comment(id.csv_comment(), &b.timeseries),
    )?;
    write_file(
        &dir.join(HLOG_FILE),
        &with_comment(format!("#dockmaster run_id={id}\n"), &b.hlog),
    )?;
    if let Some(events) = &b.events {
        write_file(
            &dir.join(crate::EVENTS_FILE),
            &with_comment(id.csv_comment(), events),
        )?;
    }
    Ok(id)
}

/// The run id in `dir/summary.json`, `None` for a recording written
/// before run ids.
pub(super) fn read_run_id(dir: &Path) -> Result<Option<RunId>, ReportError> {
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(default)]
        run_id: Option<RunId>,
    }
    let path = dir.join(SUMMARY_FILE);
    let s: IdOnly = serde_json::from_slice(&read_file(&path)?)
        .map_err(|source| ReportError::Json { path, source })?;
    Ok(s.run_id)
}

/// Every file of the folder must carry the summary's run id (or, in a
/// recording older than run ids, none may carry one).
fn check_run_ids(
    dir: &Path,
    summary: Option<&RunId>,
    files: &[(&str, Option<RunId>)],
) -> Result<(), ReportError> {
    let odd: Vec<String> = files
        .iter()
        .filter(|(_, id)| id.as_ref() != summary)
        .map(|(name, id)| match id {
            Some(id) => format!("{name} is from run {id}"),
            None => format!("{name} carries no run id"),
        })
        .collect();
    if odd.is_empty() {
        return Ok(());
    }
    let of_summary = match summary {
        Some(id) => format!("{SUMMARY_FILE} is from run {id}"),
        None => format!("{SUMMARY_FILE} carries no run id"),
    };
    Err(ReportError::MixedRuns {
        dir: dir.to_path_buf(),
        detail: format!("{of_summary}, {}", odd.join(", ")),
    })
}

/// The run id in a JSON file's top-level `run_id` key (`loadtest.json`).
fn json_run_id(bytes: &[u8]) -> Option<RunId> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    RunId::parse(v.get("run_id")?.as_str()?)
}

pub(super) fn read_dir(dir: &Path) -> Result<Recording, ReportError> {
    // A writer may swap a new recording in between two of our reads; the
    // run ids show it, and a second look then sees the new one whole.
    let mut attempt = 0;
    loop {
        match read_dir_once(dir) {
            Err(ReportError::MixedRuns { .. }) if attempt < 2 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            r => return r,
        }
    }
}

fn read_dir_once(dir: &Path) -> Result<Recording, ReportError> {
    // summary.json
    let path = dir.join(SUMMARY_FILE);
    let s: SummaryFile = serde_json::from_slice(&read_file(&path)?)
        .map_err(|source| ReportError::Json { path, source })?;
    let mut slo = SloSpec::default();
    for c in &s.slo.checks {
        let t = Some(c.target.0);
        match c.name.as_str() {
            "p50" => slo.p50_ms = t,
            "p90" => slo.p90_ms = t,
            "p99" => slo.p99_ms = t,
            "error_rate" => slo.error_rate = t,
            _ => {} // written by a newer version; its verdict is recomputed
        }
    }
    let meta = Meta {
        scenario: s.scenario,
        seed: s.seed,
        source: s.source,
        version: s.version,
        window_s: s.window_s,
        duration_s: s.duration_s,
        slo,
        start_unix_s: s.start_unix_s,
        target: s.target,
        scenario_text: s.scenario_text,
        replay: s.replay,
    };
    let replications = s.replications.as_ref().map(|r| Replications {
        n: r.n,
        latency_ms: ReplicatedLatency {
            mean: (&r.latency_ms.mean).into(),
            p50: (&r.latency_ms.p50).into(),
            p90: (&r.latency_ms.p90).into(),
            p99: (&r.latency_ms.p99).into(),
            p999: (&r.latency_ms.p999).into(),
            max: (&r.latency_ms.max).into(),
        },
        error_rate: (&r.error_rate).into(),
    });
    let n = f64::from(replications.map_or(1, |r| r.n.max(1)));

    let hlog_path = dir.join(HLOG_FILE);

    // timeseries.csv
    let csv_path = dir.join(TIMESERIES_FILE);
    let bad = |detail: String| ReportError::Format {
        path: csv_path.clone(),
        detail,
    };
    let csv_err = |source| ReportError::Csv {
        path: csv_path.clone(),
        source,
    };
    let csv_bytes = read_file(&csv_path)?;
    let hlog_bytes = read_file(&hlog_path)?;
    let events_bytes = crate::events::read_bytes(dir)?;
    let loadtest_path = dir.join(crate::staging::LOADTEST_FILE);
    let loadtest_id = match std::fs::read(&loadtest_path) {
        Ok(b) => Some(json_run_id(&b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ReportError::Io {
                action: "read",
                path: loadtest_path,
                source,
            })
        }
    };
    let mut ids = vec![
        (TIMESERIES_FILE, RunId::from_comments(&csv_bytes)),
        (HLOG_FILE, RunId::from_comments(&hlog_bytes)),
    ];
    if let Some(b) = &events_bytes {
        ids.push((crate::EVENTS_FILE, RunId::from_comments(b)));
    }
    if let Some(id) = loadtest_id {
        ids.push((crate::staging::LOADTEST_FILE, id));
    }
    check_run_ids(dir, s.run_id.as_ref(), &ids)?;
    let encoded = read_hlog(&hlog_bytes).map_err(|detail| ReportError::Format {
        path: hlog_path.clone(),
        detail,
    })?;
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(&csv_bytes[..]);
    let header: Vec<String> = rd
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(str::to_string)
        .collect();
    let expected = csv_header(&[]);
    if header.len() < FIXED_COLUMNS || header[..FIXED_COLUMNS] != expected[..] {
        return Err(bad(format!(
            "header must start with {}, found {}",
            expected.join(","),
            header.join(",")
        )));
    }
    let gauge_names = header[FIXED_COLUMNS..].to_vec();

    let mut windows = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.map_err(csv_err)?;
        let line = i + 2;
        let cell = |c: usize| rec.get(c).unwrap_or("");
        let float = |c: usize| -> Result<f64, ReportError> {
            let v = cell(c);
            if v.is_empty() {
                return Ok(f64::NAN);
            }
            v.parse::<f64>().map_err(|_| {
                bad(format!(
                    "line {line}, column {}: `{v}` is not a number",
                    header[c]
                ))
            })
        };
        let count = |c: usize| -> Result<u64, ReportError> {
            let x = float(c)?;
            if x.is_nan() || x < 0.0 {
                return Err(bad(format!(
                    "line {line}, column {}: `{}` is not a count",
                    header[c],
                    cell(c)
                )));
            }
            Ok((x * n).round() as u64)
        };
        let bytes = encoded.get(i).ok_or_else(|| ReportError::Format {
            path: hlog_path.clone(),
            detail: format!(
                "{} intervals but {TIMESERIES_FILE} has more rows",
                encoded.len()
            ),
        })?;
        let hist = decode_histogram(bytes).map_err(|e| ReportError::Format {
            path: hlog_path.clone(),
            detail: format!("interval {}: {e}", i + 1),
        })?;
        let mut errors = [0; 7];
        for (j, e) in errors.iter_mut().enumerate() {
            *e = count(4 + j)?;
        }
        let ok = hist.len();
        let mean_ms = float(4 + ErrorKind::ALL.len())?;
        let sum_ns = if ok > 0 && mean_ms.is_finite() {
            (mean_ms * 1e6 * ok as f64).round() as u128
        } else {
            0
        };
        let gauges = (FIXED_COLUMNS..header.len())
            .map(float)
            .collect::<Result<Vec<f64>, _>>()?;
        windows.push(Window {
            t_start_s: float(0)?,
            offered: count(1)?,
            ok,
            errors,
            latency: LatencyStats::from_histogram(&hist, sum_ns),
            in_system: float(FIXED_COLUMNS - 1)?,
            gauges,
            sum_ns,
            histogram_v2z: bytes.clone(),
        });
    }
    if windows.len() != encoded.len() {
        return Err(ReportError::Format {
            path: hlog_path,
            detail: format!(
                "{} intervals but {TIMESERIES_FILE} has {} rows",
                encoded.len(),
                windows.len()
            ),
        });
    }

    let mut total = new_histogram();
    for w in &windows {
        total
            .add(w.histogram())
            .expect("histograms with equal bounds add");
    }
    let ok = total.len();
    let mean = s.latency_ms.mean.0;
    let total_sum_ns = if ok > 0 && mean.is_finite() {
        (mean * 1e6 * ok as f64).round() as u128
    } else {
        0
    };
    let kinds = s.requests.errors_by_kind.0;
    Ok(Recording {
        meta,
        gauge_names,
        windows,
        total,
        total_sum_ns,
        offered: s.requests.total,
        ok,
        errors_by_kind: ErrorKind::ALL
            .into_iter()
            .map(|k| (k, kinds[k.index()]))
            .collect(),
        hosts_peak: s.hosts.peak,
        tasks_peak: s.tasks.peak,
        cost_usd: s.cost_usd.map(|c| c.0),
        notes: s.notes,
        engine: s.engine.map(|e| EngineStats {
            events: e.events,
            wall_seconds: e.wall_seconds.0,
        }),
        events: crate::events::parse(dir, events_bytes.as_deref())?,
        replications,
        run_id: s.run_id,
    })
}
