//! What is wrong with a scenario file, said so a person can fix it.
//!
//! Every problem names the field (a TOML-style path such as
//! `services[0].service_time.cv`), the value found (as written in TOML:
//! `"40"` for a string, `-3` for a number, `(missing)` when absent) and what
//! is allowed. A [`ScenarioError`] carries all the problems of a file, so a
//! user fixes them in one pass.

use std::fmt;

/// One thing wrong with a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: `cluster.asg.min`, `traffic.profile[2].at`, `events[1].service`,
    /// or `line 3, column 7` for a TOML syntax error.
    pub path: String,
    /// The value found, rendered as TOML (`"40"`, `-3`, `[]`), or `(missing)`.
    pub value: String,
    /// What would be accepted instead, in words.
    pub allowed: String,
}

/// The rendering of an absent value in a [`Problem`].
pub const MISSING: &str = "(missing)";

impl Problem {
    pub fn new(
        path: impl Into<String>,
        value: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Self {
        Problem {
            path: path.into(),
            value: value.into(),
            allowed: allowed.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.path, self.value, self.allowed)
    }
}

/// A scenario that cannot be used, with every problem found in it.
///
/// Displays one line per problem: `{file}: {path} = {value}: {allowed}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file as the user named it (or `scenario` for text given directly).
    pub file: String,
    /// Never empty.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {p}", self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_one_line_per_problem() {
        let e = ScenarioError {
            file: "steady.toml".into(),
            problems: vec![
                Problem::new(
                    "services[0].service_time.cv",
                    "-1",
                    "a coefficient of variation > 0",
                ),
                Problem::new("duration", "\"40\"", "a duration with a unit"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "steady.toml: services[0].service_time.cv = -1: a coefficient of variation > 0\n\
             steady.toml: duration = \"40\": a duration with a unit"
        );
    }
}
