//! Scenario files: TOML in, a validated [`Scenario`] out, or every problem
//! with its path, value and what is allowed.
//!
//! ```text
//!  file ──read──► text ─shape::from_toml─► RawScenario ──validate──► Scenario
//!                  │            │ (syntax, unknown keys,      │ (every value, default,
//!                  │            │  tags: first problem)       │  cross-reference: all problems)
//!                  └────────────┴──────────────┬──────────────┘
//!                                              ▼
//!                        ScenarioError: "{file}: {path} = {value}: {allowed}" per line
//! ```
//!
//! Architecture invariant: this module (with `empirical` sample files) is the
//! only part of the sim crate that reads files. The format is
//! `docs/scenario-format.md`; the defaults are documented on the fields of
//! `raw.rs`.

mod describe;
mod differences;
mod error;
mod expr;
pub mod limits;
mod model;
mod overrides;
mod raw;
mod recorded;
mod shape;
mod summary;
mod tables;
mod validate;

pub use describe::{describe, warnings};
pub(crate) use describe::{dist_mean_secs, num, percent, rate};
pub use differences::differences;
pub use error::{Problem, ScenarioError, MISSING};
pub use expr::{attribute_name, matches as expression_matches};
pub use model::*;
pub use overrides::Override;

use std::path::Path;

/// Reads and validates a scenario file. `empirical` sample files are
/// resolved relative to the scenario file's directory; a scenario without
/// `name` is named after the file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &[])
}

/// [`load`] with `--set` overrides applied to the file's text first (see
/// `overrides.rs`); the scenario's `source_text` is the text as run.
pub fn load_with(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let fail = |p: Problem| ScenarioError {
        file: file.clone(),
        problems: vec![p],
    };
    let bytes = std::fs::read(path).map_err(|e| {
        fail(Problem::new(
            "(file)",
            raw::quote(&file),
            format!("a readable scenario file ({e})"),
        ))
    })?;
    let text =
        String::from_utf8(bytes).map_err(|e| fail(not_utf8(e.as_bytes(), e.utf8_error())))?;
    parse_file_text(&text, path, overrides)
}

/// [`load_with`] of a file's text already read: `text` is what `path`
/// holds (the planner reads a file once and builds many variations of it).
pub fn parse_file_text(
    text: &str,
    path: &Path,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = overrides::apply(text, overrides).map_err(|p| ScenarioError {
        file: file.clone(),
        problems: vec![p],
    })?;
    let base_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let default_name = path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    parse_named(&text, base_dir, &file, &default_name)
}

/// Validates scenario text. `empirical` sample files are resolved relative
/// to `base_dir`. Problems are reported against the file name `scenario`.
pub fn parse(text: &str, base_dir: &Path) -> Result<Scenario, ScenarioError> {
    parse_named(text, base_dir, "scenario", "scenario")
}

fn parse_named(
    text: &str,
    base_dir: &Path,
    file: &str,
    default_name: &str,
) -> Result<Scenario, ScenarioError> {
    let fail = |problems| ScenarioError {
        file: file.to_string(),
        problems,
    };
    // A number TOML cannot hold stops the parser with no word on what the
    // field allows. Put the largest TOML number of its sign in its place and
    // let validation say (with the number as written).
    let mut patched = text.to_string();
    let mut patches: Vec<Patch> = Vec::new();
    let raw = loop {
        match shape::from_toml(&patched) {
            Ok(raw) => break Ok(raw),
            Err(shape::ShapeError::Number { path, span, float }) if patches.len() < 100 => {
                let written = patched[span.clone()].to_string();
                let negative = written.trim_start().starts_with('-');
                let largest = match (float, negative) {
                    (false, false) => i64::MAX.to_string(),
                    (false, true) => i64::MIN.to_string(),
                    (true, false) => format!("{:?}", f64::MAX),
                    (true, true) => format!("{:?}", f64::MIN),
                };
                patched.replace_range(span, &largest);
                patches.push(Patch {
                    path,
                    written,
                    largest,
                    float,
                });
            }
            Err(shape::ShapeError::Number { path, span, float }) => {
                let written = patched[span].to_string();
                return Err(fail(vec![too_large(&path, &written, float)]));
            }
            Err(shape::ShapeError::Problem(p)) => break Err(vec![p]),
        }
    };
    let result = match raw {
        Ok(raw) => validate::validate(&raw, text, base_dir, default_name),
        Err(problems) => Err(problems),
    };
    if patches.is_empty() {
        return result.map_err(fail);
    }
    // Each replaced number is reported as written, with what its field
    // allows if a check said so, or with what TOML holds.
    let mut problems = result.err().unwrap_or_default();
    for q in &patches {
        let mut said = false;
        for p in problems
            .iter_mut()
            // Serde may name the table (`events[0]`), validation the field.
            .filter(|p| p.path.starts_with(&q.path) && p.value == q.largest)
        {
            p.value = q.written.clone();
            said = true;
        }
        if !said {
            problems.push(too_large(&q.path, &q.written, q.float));
        }
    }
    Err(fail(problems))
}

/// A number of the file replaced by the largest TOML number.
struct Patch {
    path: String,
    written: String,
    largest: String,
    float: bool,
}

/// A number TOML cannot hold, where the field takes any TOML number.
fn too_large(path: &str, written: &str, float: bool) -> Problem {
    let allowed = if float {
        format!("a number TOML can hold: at most {:?} in size", f64::MAX)
    } else {
        format!(
            "a whole number TOML can hold: from {} to {}",
            i64::MIN,
            i64::MAX
        )
    };
    Problem::new(path, written, allowed)
}

/// A file that is not UTF-8: the line and column of its first bad byte
/// (columns count characters, as editors do).
fn not_utf8(bytes: &[u8], e: std::str::Utf8Error) -> Problem {
    let good = &bytes[..e.valid_up_to()];
    let before = std::str::from_utf8(good).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let byte = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
    Problem::new(
        format!("line {line}, column {column}"),
        format!("byte 0x{byte:02X}"),
        format!(
            "text in UTF-8: byte {} of the file starts no UTF-8 character \
             (save the file as UTF-8; Latin-1 and Windows-1252 accents are the usual cause)",
            e.valid_up_to() + 1
        ),
    )
}

#[cfg(test)]
mod tests;
