//! Fuzzing the scenario parser with mutated bundled scenarios
//! (`scenarios/*.toml`): values set to extremes and to other types, keys
//! deleted and duplicated, files truncated and bytes flipped.
//!
//! For every mutant: loading never panics; a refusal has problems, each with
//! a path, a value and words, and none of serde's or Rust's own text; a
//! scenario that loads also simulates (shortened so that its estimate is at
//! most `EVENT_BUDGET` events), in bounded time, with its heap's peak within
//! its own memory estimate. The heap is counted by the allocator of this
//! test binary, so the one test here owns the process.

use dockmaster_sim::estimate::WorkEstimate;
use dockmaster_sim::{engine, scenario};
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- heap

/// The system allocator, counting the bytes live now and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, size) };
        if !q.is_null() {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
            grew(size);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result and the peak of the heap above what was
/// live when it started.
fn heap_peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

// ---------------------------------------------------------------- mutants

/// Events a mutant's simulation may be estimated to fire: its duration is
/// cut to fit (debug builds get a tenth).
const EVENT_BUDGET: f64 = if cfg!(debug_assertions) { 3e4 } else { 3e5 };
/// A mutant estimated above this is only validated, not run: the test must
/// not need the memory the ceiling allows.
const RUN_MEMORY: u64 = 1 << 30;
/// Wall time a shortened mutant may take.
const RUN_TIME: Duration = Duration::from_secs(30);

fn bundled() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ next to the workspace root")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Replacement values: extremes, lookalikes and other types.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "0.5",
    "100",
    "10000",
    "100000",
    "1000000000",
    "4294967295",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "99999999999999999999999",
    "1e308",
    "-1e308",
    "1e-308",
    "1e400",
    "1e12",
    "0.000001",
    "nan",
    "inf",
    "-inf",
    "true",
    "\"nan\"",
    "\"inf\"",
    "\"\"",
    "\"x\"",
    "\"1ns\"",
    "\"1us\"",
    "\"1ms\"",
    "\"1e3s\"",
    "\"-5s\"",
    "\"30d\"",
    "\"5s\"",
    "\"2m\"",
    "\"290y\"",
    "\"100000d\"",
    "[]",
    "[1, 2, 3]",
    "{}",
    "{ a = 1 }",
    "{ dist = \"gamma\", mean = \"1ms\", cv = 100 }",
    "1979-05-27T07:32:00Z",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// The `which`-th value of the file (after `key =`) becomes `VALUES[v]`.
    Value { which: usize, v: usize },
    /// A line is deleted.
    Delete { line: usize },
    /// A line is written twice (a duplicate key, or a second table header).
    Duplicate { line: usize },
    /// The file ends at a byte offset (as a fraction of its length, ‰).
    Truncate { permille: usize },
    /// A byte becomes another.
    Flip { permille: usize, byte: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), 0..VALUES.len()).prop_map(|(which, v)| Mutation::Value { which, v }),
        1 => any::<usize>().prop_map(|line| Mutation::Delete { line }),
        1 => any::<usize>().prop_map(|line| Mutation::Duplicate { line }),
        1 => (0usize..1000).prop_map(|permille| Mutation::Truncate { permille }),
        1 => ((0usize..1000), any::<u8>()).prop_map(|(permille, byte)| Mutation::Flip { permille, byte }),
    ]
}

/// Where the values of `key = value` pairs are, on lines and in inline
/// tables: (start, end) byte ranges.
fn value_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find(" = ") {
        let start = i + off + 3;
        let mut end = start;
        let mut depth = 0i32;
        let mut in_str = false;
        while end < b.len() {
            let c = b[end];
            match c {
                b'"' => in_str = !in_str,
                b'[' | b'{' if !in_str => depth += 1,
                b']' | b'}' if !in_str && depth == 0 => break,
                b']' | b'}' if !in_str => depth -= 1,
                b',' if !in_str && depth == 0 => break,
                b'\n' if depth == 0 => break,
                b'#' if !in_str && depth == 0 => break,
                _ => {}
            }
            end += 1;
        }
        let trimmed = text[start..end].trim_end().len();
        if trimmed > 0 {
            out.push((start, start + trimmed));
        }
        i = start;
    }
    out
}

fn apply(text: &[u8], m: &Mutation) -> Vec<u8> {
    let s = String::from_utf8_lossy(text).into_owned();
    let lines: Vec<&str> = s.split_inclusive('\n').collect();
    match m {
        Mutation::Value { which, v } => {
            let spans = value_spans(&s);
            if spans.is_empty() {
                return text.to_vec();
            }
            let (a, b) = spans[which % spans.len()];
            format!("{}{}{}", &s[..a], VALUES[*v], &s[b..]).into_bytes()
        }
        Mutation::Delete { line } => {
            let n = line % lines.len().max(1);
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != n)
                .map(|(_, l)| *l)
                .collect::<String>()
                .into_bytes()
        }
        Mutation::Duplicate { line } => {
            let n = line % lines.len().max(1);
            let mut out = String::new();
            for (i, l) in lines.iter().enumerate() {
                out.push_str(l);
                if i == n {
                    out.push_str(l);
                    if !l.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
            out.into_bytes()
        }
        Mutation::Truncate { permille } => text[..text.len() * permille / 1000].to_vec(),
        Mutation::Flip { permille, byte } => {
            let mut t = text.to_vec();
            if !t.is_empty() {
                let i = (t.len() * permille / 1000).min(t.len() - 1);
                t[i] = *byte;
            }
            t
        }
    }
}

// ---------------------------------------------------------------- checks

/// Text that is serde's, the TOML parser's or Rust's, not ours.
const FOREIGN: &[&str] = &[
    "Error {",
    "ParseError",
    "invalid type",
    "variant",
    "identifier",
    "i128",
    "u64",
    "struct ",
    "enum ",
    "Raw",
    "`",
    "Some(",
    "None",
    "expected any",
    "TOML value",
    "panicked",
];

fn check_refusal(e: &scenario::ScenarioError, file: &str) -> Result<(), TestCaseError> {
    prop_assert!(!e.problems.is_empty(), "an error with no problem");
    for p in &e.problems {
        prop_assert!(!p.path.trim().is_empty(), "no path: {p}");
        prop_assert!(!p.value.trim().is_empty(), "no value: {p}");
        prop_assert!(!p.allowed.trim().is_empty(), "no words: {p}");
        for f in FOREIGN {
            prop_assert!(!p.allowed.contains(f), "{f:?} in the words of: {p}");
        }
        prop_assert!(!p.value.contains("Some("), "debug text in: {p}");
    }
    for line in e.to_string().lines() {
        prop_assert!(line.starts_with(&format!("{file}: ")), "{line}");
    }
    Ok(())
}

/// Simulates a scenario that loaded, shortened to the event budget.
fn check_run(mut s: scenario::Scenario) -> Result<(), TestCaseError> {
    let full = WorkEstimate::of(&s);
    if full.events as f64 > EVENT_BUDGET {
        let keep = EVENT_BUDGET / full.events as f64;
        s.duration = ((s.duration as f64 * keep) as u64).max(1);
    }
    let w = WorkEstimate::of(&s);
    if w.peak_memory_bytes > RUN_MEMORY {
        return Ok(());
    }
    let started = Instant::now();
    let (rec, peak) = heap_peak(|| engine::run(&s, s.seed, &|_| {}));
    let took = started.elapsed();
    prop_assert!(took < RUN_TIME, "{} took {took:?}", s.name);
    // Of the estimate's 8 MiB base, about 4 MiB are not heap (the binary,
    // its libraries, stacks: `dockmaster simulate` of ten hosts peaks at
    // 6.4 MB of RSS, the heap of such a run at 2.6 MB). The heap the run
    // adds must fit in the rest.
    let base = 4u64 << 20;
    prop_assert!(
        peak as u64 <= w.peak_memory_bytes.saturating_sub(base),
        "{}: the run's heap peaked at {peak} B, the estimate is {} B ({:?})",
        s.name,
        w.peak_memory_bytes,
        w.memory_parts
    );
    // Offered requests: whatever the mutation, the engine counted what it
    // was given.
    prop_assert!(
        rec.offered <= w.requests * 2 + 1000,
        "{} offered {}",
        s.name,
        rec.offered
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // DOCKMASTER_FUZZ_CASES=5000 for a deeper run.
        cases: std::env::var("DOCKMASTER_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if cfg!(debug_assertions) { 64 } else { 500 }),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_scenarios_validate_or_say_why_and_run_when_valid(
        pick in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let files = bundled();
        let (name, text) = &files[pick % files.len()];
        let mut bytes = text.clone().into_bytes();
        for m in &mutations {
            bytes = apply(&bytes, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let file = path.display().to_string();
        match scenario::load(&path) {
            Err(e) => check_refusal(&e, &file)?,
            Ok(s) => {
                // Describing (what `validate` prints) must work too.
                let _ = scenario::describe(&s);
                check_run(s)?;
            }
        }
    }
}

#[test]
fn the_mutations_reach_values_everywhere() {
    // The value finder sees inline tables and arrays, not only whole lines.
    let spans = value_spans("a = 1\nb = { c = \"x\", d = [1, 2] }\n");
    let texts: Vec<&str> = spans
        .iter()
        .map(|&(a, b)| &"a = 1\nb = { c = \"x\", d = [1, 2] }\n"[a..b])
        .collect();
    assert_eq!(texts, ["1", "{ c = \"x\", d = [1, 2] }", "\"x\"", "[1, 2]"]);
}
