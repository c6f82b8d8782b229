//! `comparison.json` and the comparison folder: the file's shape, fixed
//! key order and rounding, and the atomic write of the folder.

use super::*;
use crate::{RunId, Source, Staging, Writes};
use serde::Serialize;

// ---------------------------------------------------------------------------
// comparison.json

/// A float rounded to `D` decimals; NaN and infinities are `null`.
struct Fixed<const D: i32>(f64);

impl<const D: i32> Serialize for Fixed<D> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            let scale = 10f64.powi(D);
            let r = (self.0 * scale).round() / scale;
            s.serialize_f64(if r == 0.0 { 0.0 } else { r })
        } else {
            s.serialize_none()
        }
    }
}

#[derive(Serialize)]
struct FileSide<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<&'a RunId>,
    scenario: &'a str,
    source: Source,
    seed: u64,
    windows: usize,
    window_s: f64,
    target: Option<&'a str>,
}

#[derive(Serialize)]
struct FileStats {
    ok: u64,
    errors: u64,
    p50_ms: Fixed<4>,
    p90_ms: Fixed<4>,
    p99_ms: Fixed<4>,
    error_rate: Fixed<6>,
}

impl From<&SideStats> for FileStats {
    fn from(s: &SideStats) -> FileStats {
        FileStats {
            ok: s.ok,
            errors: s.errors,
            p50_ms: Fixed(s.p50_ms),
            p90_ms: Fixed(s.p90_ms),
            p99_ms: Fixed(s.p99_ms),
            error_rate: Fixed(s.error_rate),
        }
    }
}

#[derive(Serialize)]
struct FileRel {
    p50: Fixed<4>,
    p90: Fixed<4>,
    p99: Fixed<4>,
}

impl From<&RelErrors> for FileRel {
    fn from(e: &RelErrors) -> FileRel {
        FileRel {
            p50: Fixed(e.p50),
            p90: Fixed(e.p90),
            p99: Fixed(e.p99),
        }
    }
}

#[derive(Serialize)]
struct FileOverall {
    pass: bool,
    latency_pass: bool,
    error_rate_pass: bool,
    windows_common: usize,
    windows_steady: usize,
    windows_passed: usize,
    sim: FileStats,
    measured: FileStats,
    rel_error: FileRel,
    error_rate_diff: Fixed<6>,
}

#[derive(Serialize)]
struct FileWindow {
    t_start_s: Fixed<3>,
    steady: bool,
    skipped: Option<&'static str>,
    pass: Option<bool>,
    sim: FileStats,
    measured: FileStats,
    rel_error: FileRel,
    error_rate_diff: Fixed<6>,
}

#[derive(Serialize)]
struct FileRules {
    relative_error: &'static str,
    steady_window: String,
    window_pass: String,
    overall_pass: &'static str,
    pass: &'static str,
}

#[derive(Serialize)]
struct FileService {
    /// false: too few requests for a steady window of its own; shown, not
    /// part of the verdict.
    judged: bool,
    overall: FileOverall,
    windows: Vec<FileWindow>,
}

#[derive(Serialize)]
struct ComparisonFile<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<&'a RunId>,
    /// The verdict ([`Comparison::pass`]): the fleet's and every judged
    /// service's.
    pass: bool,
    tolerance: f64,
    sim: FileSide<'a>,
    measured: FileSide<'a>,
    rules: FileRules,
    /// How the two recordings differ in what they ran (empty: like with
    /// like); only with `--allow-different` is a comparison written then.
    differences: &'a [String],
    overall: FileOverall,
    notes: &'a [String],
    windows: Vec<FileWindow>,
    /// By service name, in the simulation's order.
    services: Services<'a>,
}

/// `services` as a JSON object in the simulation's order (serde_json's map
/// would sort the names).
struct Services<'a>(&'a [ServiceComparison]);

impl Serialize for Services<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for c in self.0 {
            m.serialize_entry(
                &c.name,
                &FileService {
                    judged: c.judged(),
                    overall: file_overall(&c.overall),
                    windows: file_windows(&c.windows),
                },
            )?;
        }
        m.end()
    }
}

fn file_overall(o: &Overall) -> FileOverall {
    FileOverall {
        pass: o.pass,
        latency_pass: o.latency_pass,
        error_rate_pass: o.error_rate_pass,
        windows_common: o.windows_common,
        windows_steady: o.windows_steady,
        windows_passed: o.windows_passed,
        sim: (&o.sim).into(),
        measured: (&o.measured).into(),
        rel_error: (&o.rel_error).into(),
        error_rate_diff: Fixed(o.error_rate_diff),
    }
}

fn file_windows(windows: &[WindowComparison]) -> Vec<FileWindow> {
    windows
        .iter()
        .map(|w| FileWindow {
            t_start_s: Fixed(w.t_start_s),
            steady: w.skipped.is_none(),
            skipped: w.skipped.map(Skip::name),
            pass: w.pass,
            sim: (&w.sim).into(),
            measured: (&w.measured).into(),
            rel_error: (&w.rel_error).into(),
            error_rate_diff: Fixed(w.error_rate_diff),
        })
        .collect()
}

fn file_side(s: &SideInfo) -> FileSide<'_> {
    FileSide {
        run_id: s.run_id.as_ref(),
        scenario: &s.scenario,
        source: s.source,
        seed: s.seed,
        windows: s.windows,
        window_s: s.window_s,
        target: s.target.as_deref(),
    }
}

impl Comparison {
    /// The bytes of `comparison.json`, its run id included.
    pub fn json(&self) -> Vec<u8> {
        self.json_with(Some(&self.run_id()))
    }

    /// The comparison's own run id: the hash of its file without the id.
    pub fn run_id(&self) -> RunId {
        RunId::of_parts(&[&self.json_with(None)])
    }

    fn json_with(&self, run_id: Option<&RunId>) -> Vec<u8> {
        let file = ComparisonFile {
            run_id,
            pass: self.pass(),
            differences: &self.differences,
            tolerance: self.tolerance,
            sim: file_side(&self.sim),
            measured: file_side(&self.measured),
            rules: FileRules {
                relative_error: "(sim - measured) / measured",
                steady_window: Comparison::steady_rule(),
                window_pass: self.pass_rule(),
                overall_pass: "the window pass rule applied to all steady windows pooled \
                               (histograms merged, counts summed); needs one steady window",
                pass: Comparison::verdict_rule(),
            },
            overall: file_overall(&self.overall),
            notes: &self.notes,
            windows: file_windows(&self.windows),
            services: Services(&self.services),
        };
        let mut out = serde_json::to_vec_pretty(&file).expect("comparison serializes to memory");
        out.push(b'\n');
        out
    }

    /// Writes `comparison.json`, `charts/compare-*.svg` and
    /// `comparison.html` as one folder at `dir`, swapped in whole
    /// ([`Staging`]). Returns the paths written.
    pub fn write_dir(&self, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let staging = Staging::begin(dir, Writes::Comparison)?;
        let tmp = staging.path().to_path_buf();
        let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, ReportError> {
            let p = tmp.join(name);
            std::fs::write(&p, bytes).map_err(|source| ReportError::Io {
                action: "write",
                path: dir.join(name),
                source,
            })?;
            Ok(p)
        };
        let id = self.run_id();
        let mut written = vec![write(COMPARISON_FILE, &self.json_with(Some(&id)))?];
        let charts = self.charts()?;
        written.extend(charts::write_charts(
            &tmp,
            &charts,
            &COMPARISON_CHARTS,
            &id,
        )?);
        let html = crate::html::comparison_html(self, &charts, &id);
        written.push(write(COMPARISON_HTML, html.as_bytes())?);
        staging.commit()?;
        Ok(written
            .iter()
            .map(|p| dir.join(p.strip_prefix(&tmp).unwrap_or(p)))
            .collect())
    }
}
