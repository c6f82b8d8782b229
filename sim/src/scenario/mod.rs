//! Scenario files: TOML in, a validated [`Scenario`] out, or every problem
//! with its path, value and what is allowed.
//!
//! ```text
//!  file ──read──► text ──raw::from_toml──► RawScenario ──validate──► Scenario
//!                  │            │ (syntax, unknown keys,      │ (every value, default,
//!                  │            │  tags: first problem)       │  cross-reference: all problems)
//!                  └────────────┴──────────────┬──────────────┘
//!                                              ▼
//!                        ScenarioError: "{file}: {path} = {value}: {allowed}" per line
//! ```
//!
//! Architecture invariant: this module (with `empirical` sample files) is the
//! only part of the sim crate that reads files. The format is DESIGN.md's
//! "Scenario file"; the defaults are documented on the fields of `raw.rs`.

mod describe;
mod error;
mod expr;
mod model;
mod raw;
mod validate;

pub use describe::{describe, warnings};
pub(crate) use describe::{dist_mean_secs, num, percent, rate};
pub use error::{Problem, ScenarioError};
pub use expr::{attribute_name, matches as expression_matches};
pub use model::*;

use std::path::Path;

/// Reads and validates a scenario file. `empirical` sample files are
/// resolved relative to the scenario file's directory; a scenario without
/// `name` is named after the file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        problems: vec![Problem::new(
            "(file)",
            raw::quote(&file),
            format!("a readable UTF-8 scenario file ({e})"),
        )],
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
    let raw = raw::from_toml(text).map_err(|p| fail(vec![p]))?;
    validate::validate(&raw, text, base_dir, default_name).map_err(fail)
}

#[cfg(test)]
mod tests;
