//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project's own scenarios folder (never a folder outside the
/// repository: a clone elsewhere has none).
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Every scenario the project bundles (`scenarios/*.toml`), in name order.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

/// Runs the built `dockmaster` binary with `args`.
pub fn dockmaster(args: &[&str]) -> Output {
    dockmaster_env(args, &[])
}

pub fn dockmaster_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dockmaster"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run dockmaster")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` as a scenario file in `dir` and returns its path.
pub fn write_scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write scenario");
    p
}

/// Parses a scenario given inline.
pub fn parse(text: &str) -> dockmaster_sim::Scenario {
    dockmaster_sim::scenario::parse(text, Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("test scenario does not parse:\n{e}"))
}

/// Held by every test that measures latency against the wall clock or
/// burns CPU (e2e.rs, e2e_cpu.rs): a CPU-burning testbed takes a core and
/// moves this whole test process into a cpuset of the others, which would
/// disturb a timing-sensitive run beside it, and two CPU testbeds cannot
/// share a process.
pub static MEASUREMENT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes [`MEASUREMENT`] (a test that panicked while holding it leaves
/// nothing behind that matters: every testbed cleans up on drop).
pub fn measurement_lock() -> std::sync::MutexGuard<'static, ()> {
    MEASUREMENT.lock().unwrap_or_else(|e| e.into_inner())
}

/// A recording's CSV file without its leading `# dockmaster run_id=…`
/// comment line: the header first, then the rows.
pub fn csv_rows(path: &Path) -> String {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("# dockmaster run_id=") => rest.to_string(),
        _ => text,
    }
}

/// The run id a recording's summary.json carries.
pub fn run_id_of(dir: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    v["run_id"]
        .as_str()
        .expect("summary.json has a run_id")
        .to_string()
}

/// `dockmaster plan FILE -o OUT -q`, which must find a feasible candidate:
/// its plan.json.
pub fn plan_quietly(file: &Path, out: &Path) -> serde_json::Value {
    let o = dockmaster(&[
        "plan",
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}: {}",
        file.display(),
        stderr(&o)
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap()
}

/// `dockmaster simulate FILE -o OUT -q EXTRA...`, which must succeed.
pub fn simulate_quietly(file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "simulate",
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = dockmaster(&args);
    assert!(o.status.success(), "{}: {}", file.display(), stderr(&o));
}
