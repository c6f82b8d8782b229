//! A recording's folder: its files written together under one run id,
//! and read back whole (every file must carry the summary's run id).
//! The bytes of each file are `files.rs`'s.

use super::*;

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
pub(in crate::recording) fn run_id(r: &Recording) -> Result<RunId, ReportError> {
    Ok(Bodies::of(r, Path::new(HLOG_FILE))?.run_id())
}

pub(in crate::recording) fn write_dir(r: &Recording, dir: &Path) -> Result<RunId, ReportError> {
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
pub(in crate::recording) fn read_run_id(dir: &Path) -> Result<Option<RunId>, ReportError> {
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

pub(in crate::recording) fn read_dir(dir: &Path) -> Result<Recording, ReportError> {
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
    let slo = slo_spec(s.slo.checks.iter().filter(|c| c.service.is_none()));
    let services: Vec<ServiceMeta> = s
        .services
        .0
        .iter()
        .map(|(name, f)| ServiceMeta {
            name: name.clone(),
            slo: slo_spec(f.slo.checks.iter()),
        })
        .collect();
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
        scenario_summary: s.scenario_summary,
        replay: s.replay,
        services,
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
    let loadtest_path = dir.join(LOADTEST_FILE);
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
        ids.push((LOADTEST_FILE, id));
    }
    check_run_ids(dir, s.run_id.as_ref(), &ids)?;
    let hlog_bad = |detail: String| ReportError::Format {
        path: hlog_path.clone(),
        detail,
    };
    let (encoded, mut tagged) =
        by_tag(read_hlog(&hlog_bytes).map_err(hlog_bad)?, &meta.services).map_err(hlog_bad)?;
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
    let expected = csv_header(&[], &[]);
    if header.len() < FIXED_COLUMNS || header[..FIXED_COLUMNS] != expected[..] {
        return Err(bad(format!(
            "header must start with {}, found {}",
            expected.join(","),
            header.join(",")
        )));
    }
    let service_cols = SERVICE_METRICS * meta.services.len();
    let gauges_end = header.len().saturating_sub(service_cols).max(FIXED_COLUMNS);
    let expected_services = csv_header(&[], &meta.services)[FIXED_COLUMNS..].to_vec();
    if header[gauges_end..] != expected_services[..] {
        return Err(bad(format!(
            "header must end with the columns of the services in {SUMMARY_FILE}: {}",
            expected_services.join(",")
        )));
    }
    // Strict: a column dockmaster does not write is refused, not dropped
    // (the files are ours; a column silently lost would be a chart missing).
    let gauges = header[FIXED_COLUMNS..gauges_end]
        .iter()
        .map(|c| {
            Gauge::from_column(c)
                .ok_or_else(|| bad(format!("column `{c}` is not a gauge dockmaster writes")))
        })
        .collect::<Result<Vec<Gauge>, _>>()?;

    let mut windows = Vec::new();
    // The run's histograms, added up as each interval is decoded (once).
    let mut total = new_histogram();
    let mut service_total: Vec<Histogram<u64>> = tagged.iter().map(|_| new_histogram()).collect();
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
        let sum_ns = sum_from_mean(mean_ms, ok);
        let values = (FIXED_COLUMNS..gauges_end)
            .map(float)
            .collect::<Result<Vec<f64>, _>>()?;
        let mut services = Vec::with_capacity(tagged.len());
        for (j, intervals) in tagged.iter_mut().enumerate() {
            let c = gauges_end + j * SERVICE_METRICS;
            let n_tagged = intervals.len();
            let bytes =
                std::mem::take(intervals.get_mut(i).ok_or_else(|| ReportError::Format {
                    path: hlog_path.clone(),
                    detail: format!(
                        "{n_tagged} intervals tagged {} but {TIMESERIES_FILE} has more rows",
                        meta.services[j].name
                    ),
                })?);
            let hist = decode_histogram(&bytes).map_err(|e| ReportError::Format {
                path: hlog_path.clone(),
                detail: format!("interval {} of {}: {e}", i + 1, meta.services[j].name),
            })?;
            service_total[j]
                .add(&hist)
                .expect("histograms with equal bounds add");
            let ok = hist.len();
            let sum_ns = sum_from_mean(float(c + SERVICE_COUNTS.len())?, ok);
            services.push(ServiceWindow {
                offered: count(c)?,
                ok,
                errors: count(c + 2)?,
                latency: LatencyStats::from_histogram(&hist, sum_ns),
                sum_ns,
                histogram_v2z: bytes,
            });
        }
        total.add(&hist).expect("histograms with equal bounds add");
        windows.push(Window {
            t_start_s: float(0)?,
            offered: count(1)?,
            ok,
            errors,
            latency: LatencyStats::from_histogram(&hist, sum_ns),
            in_system: float(FIXED_COLUMNS - 1)?,
            gauges: values,
            sum_ns,
            histogram_v2z: bytes.clone(),
            services,
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

    if let Some((j, t)) = tagged
        .iter()
        .enumerate()
        .find(|(_, t)| t.len() != windows.len())
    {
        return Err(ReportError::Format {
            path: hlog_path,
            detail: format!(
                "{} intervals tagged {} but {TIMESERIES_FILE} has {} rows",
                t.len(),
                meta.services[j].name,
                windows.len()
            ),
        });
    }
    let ok = total.len();
    let total_sum_ns = sum_from_mean(s.latency_ms.mean.0, ok);
    let kinds = s.requests.errors_by_kind.0;
    let service_totals = s
        .services
        .0
        .iter()
        .zip(service_total)
        .map(|((name, f), total)| {
            let ok = total.len();
            ServiceTotals {
                name: name.clone(),
                total_sum_ns: sum_from_mean(f.latency_ms.mean.0, ok),
                total,
                offered: f.requests.total,
                ok,
                errors_by_kind: by_kind(f.requests.errors_by_kind.0),
            }
        })
        .collect();
    Ok(Recording {
        meta,
        gauges,
        windows,
        total,
        total_sum_ns,
        offered: s.requests.total,
        ok,
        errors_by_kind: by_kind(kinds),
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
        services: service_totals,
        run_id: s.run_id,
    })
}

/// The objectives a verdict's checks were made against (a check a newer
/// version wrote under another name is skipped: its verdict is recomputed).
fn slo_spec<'a>(checks: impl Iterator<Item = &'a SloCheckFile>) -> SloSpec {
    let mut slo = SloSpec::default();
    for c in checks {
        let t = Some(c.target.0);
        match c.name.as_str() {
            "p50" => slo.p50_ms = t,
            "p90" => slo.p90_ms = t,
            "p99" => slo.p99_ms = t,
            "error_rate" => slo.error_rate = t,
            _ => {}
        }
    }
    slo
}

/// The untagged (fleet) intervals, and each service's tagged ones in
/// `services` order. A tag no service has is refused: the log is not the
/// summary's.
#[allow(clippy::type_complexity)]
fn by_tag(
    intervals: Vec<(Option<String>, Vec<u8>)>,
    services: &[ServiceMeta],
) -> Result<(Vec<Vec<u8>>, Vec<Vec<Vec<u8>>>), String> {
    let mut fleet = Vec::new();
    let mut tagged = vec![Vec::new(); services.len()];
    for (tag, bytes) in intervals {
        match tag {
            None => fleet.push(bytes),
            Some(t) => match services.iter().position(|s| s.name == t) {
                Some(j) => tagged[j].push(bytes),
                None => {
                    return Err(format!(
                        "intervals tagged `{t}`, a service {SUMMARY_FILE} does not have"
                    ))
                }
            },
        }
    }
    Ok((fleet, tagged))
}

/// The exact ns sum back from a mean the files round.
fn sum_from_mean(mean_ms: f64, ok: u64) -> u128 {
    if ok > 0 && mean_ms.is_finite() {
        (mean_ms * 1e6 * ok as f64).round() as u128
    } else {
        0
    }
}
