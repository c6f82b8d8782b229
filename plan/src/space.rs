//! The search space: a scenario's `[plan]` table (and `--vary` from the
//! command line), checked, as the candidates' dimensions.
//!
//! ```text
//!  [plan] confidence, max_replications, hosts
//!  [[plan.vary]] field | fields, values | range  ──►  Space { dimensions }
//! ```
//!
//! A dimension is one or more fields moved together through a list of
//! values; the candidates are the cross product of the dimensions. A field
//! is any path `--set` takes (`services[0].desired`,
//! `cluster.instance_type`); whether a value is right for it is the
//! scenario's validation to say, per candidate.

use dockmaster_sim::scenario::Problem;
use toml::Value;

/// Default `confidence`.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;
/// Default `max_replications` per candidate.
pub const DEFAULT_MAX_REPLICATIONS: u32 = 20;
/// The most replications a candidate may be given.
pub const MAX_REPLICATIONS: u32 = 1000;
/// The most candidates a plan may have (the cross product's size).
pub const MAX_CANDIDATES: usize = 10_000;
/// The most values one dimension may have (a `range` included).
pub const MAX_VALUES: usize = 1000;

/// How a candidate's host count is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hosts {
    /// The fewest hosts that place every task at t = 0, as ECS would place
    /// them (`cluster.asg.desired` is set to it, and `min` lowered to it
    /// when above).
    Fit,
    /// `cluster.asg.desired` as the candidate has it.
    AsIs,
}

/// One dimension: `fields` set together to each of `values`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    pub fields: Vec<String>,
    /// Each value as TOML text (what `--set FIELD=VALUE` takes).
    pub values: Vec<String>,
    /// Where it was written (`plan.vary[1]` or `--vary 2`), for errors.
    pub origin: String,
}

/// The checked `[plan]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    pub confidence: f64,
    pub max_replications: u32,
    pub hosts: Hosts,
    pub dimensions: Vec<Dimension>,
}

impl Space {
    /// The number of candidates (the cross product), saturating.
    pub fn candidates(&self) -> usize {
        self.dimensions
            .iter()
            .fold(1usize, |n, d| n.saturating_mul(d.values.len()))
    }
}

/// Reads `[plan]` from the scenario's text (already valid TOML: the
/// scenario was loaded first). No `[plan]`: the defaults and no dimension.
pub fn from_text(text: &str) -> Result<Space, Vec<Problem>> {
    let doc: toml::Table = text.parse().map_err(|_| {
        vec![Problem::new(
            "plan",
            "(the file)",
            "a file that is valid TOML",
        )]
    })?;
    let mut problems = Vec::new();
    let mut space = Space {
        confidence: DEFAULT_CONFIDENCE,
        max_replications: DEFAULT_MAX_REPLICATIONS,
        hosts: Hosts::Fit,
        dimensions: Vec::new(),
    };
    let Some(plan) = doc.get("plan") else {
        return Ok(space);
    };
    let Some(plan) = plan.as_table() else {
        return Err(vec![Problem::new(
            "plan",
            render(plan),
            "a [plan] table, e.g. with confidence = 0.95 and [[plan.vary]] tables",
        )]);
    };
    for (k, v) in plan {
        match k.as_str() {
            "confidence" => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
                Some(c) if c > 0.5 && c < 1.0 => space.confidence = c,
                _ => problems.push(Problem::new(
                    "plan.confidence",
                    render(v),
                    "a probability above 0.5 and below 1, e.g. 0.95",
                )),
            },
            "max_replications" => match v.as_integer() {
                Some(n) if (1..=i64::from(MAX_REPLICATIONS)).contains(&n) => {
                    space.max_replications = n as u32
                }
                _ => problems.push(Problem::new(
                    "plan.max_replications",
                    render(v),
                    format!("a whole number of replications from 1 to {MAX_REPLICATIONS}"),
                )),
            },
            "hosts" => match v.as_str() {
                Some("fit") => space.hosts = Hosts::Fit,
                Some("as_is") => space.hosts = Hosts::AsIs,
                _ => problems.push(Problem::new(
                    "plan.hosts",
                    render(v),
                    "\"fit\" (the fewest hosts that place every task) or \"as_is\" (cluster.asg.desired as written)",
                )),
            },
            "vary" => match v.as_array() {
                Some(dims) => {
                    for (i, d) in dims.iter().enumerate() {
                        match dimension(&format!("plan.vary[{i}]"), d) {
                            Ok(d) => space.dimensions.push(d),
                            Err(p) => problems.extend(p),
                        }
                    }
                }
                None => problems.push(Problem::new(
                    "plan.vary",
                    render(v),
                    "[[plan.vary]] tables, each like { field = \"services[0].desired\", values = [4, 6, 8] }",
                )),
            },
            other => problems.push(Problem::new(
                format!("plan.{other}"),
                render(v),
                "unknown key; the keys allowed here are confidence, max_replications, hosts, vary",
            )),
        }
    }
    check_size(&space, &mut problems);
    if problems.is_empty() {
        Ok(space)
    } else {
        Err(problems)
    }
}

/// `--vary FIELD=v1,v2` (or `FIELD1+FIELD2=v1,v2` to move fields together):
/// one more dimension, numbered `n` in errors.
pub fn from_flag(s: &str, n: usize) -> Result<Dimension, Problem> {
    let origin = format!("--vary {s}");
    let bad = |allowed: &str| Problem::new(format!("--vary {n}"), format!("{s:?}"), allowed);
    let Some((fields, values)) = s.split_once('=') else {
        return Err(bad(
            "FIELD=v1,v2,... e.g. services[0].desired=4,6,8 (FIELD1+FIELD2=... moves fields together)",
        ));
    };
    let fields: Vec<String> = fields.split('+').map(|f| f.trim().to_string()).collect();
    if fields.iter().any(String::is_empty) {
        return Err(bad("a field path before '=', e.g. services[0].desired"));
    }
    let values: Vec<String> = values
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() || values.len() > MAX_VALUES {
        return Err(bad(&format!(
            "from 1 to {MAX_VALUES} values after '=', separated by commas"
        )));
    }
    Ok(Dimension {
        fields,
        values,
        origin,
    })
}

/// Adds `--vary` dimensions, checking the size again.
pub fn with_flags(mut space: Space, flags: &[Dimension]) -> Result<Space, Vec<Problem>> {
    space.dimensions.extend(flags.iter().cloned());
    let mut problems = Vec::new();
    check_size(&space, &mut problems);
    if problems.is_empty() {
        Ok(space)
    } else {
        Err(problems)
    }
}

fn check_size(space: &Space, problems: &mut Vec<Problem>) {
    let n = space.candidates();
    if n > MAX_CANDIDATES {
        problems.push(Problem::new(
            "plan.vary",
            format!("{n} candidates"),
            format!(
                "at most {MAX_CANDIDATES} candidates (the product of the dimensions' value counts)"
            ),
        ));
    }
}

fn dimension(at: &str, v: &Value) -> Result<Dimension, Vec<Problem>> {
    let Some(t) = v.as_table() else {
        return Err(vec![Problem::new(
            at,
            render(v),
            "a table like { field = \"services[0].desired\", values = [4, 6, 8] }",
        )]);
    };
    let mut problems = Vec::new();
    for k in t.keys() {
        if !["field", "fields", "values", "range"].contains(&k.as_str()) {
            problems.push(Problem::new(
                format!("{at}.{k}"),
                render(&t[k]),
                "unknown key; the keys allowed here are field, fields, values, range",
            ));
        }
    }
    let fields = match (t.get("field"), t.get("fields")) {
        (Some(f), None) => match f.as_str() {
            Some(s) if !s.trim().is_empty() => vec![s.trim().to_string()],
            _ => {
                problems.push(field_problem(&format!("{at}.field"), f));
                Vec::new()
            }
        },
        (None, Some(fs)) => match fs.as_array() {
            Some(a) if !a.is_empty() => a
                .iter()
                .enumerate()
                .filter_map(|(i, f)| match f.as_str() {
                    Some(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                    _ => {
                        problems.push(field_problem(&format!("{at}.fields[{i}]"), f));
                        None
                    }
                })
                .collect(),
            _ => {
                problems.push(Problem::new(
                    format!("{at}.fields"),
                    render(fs),
                    "a non-empty array of field paths moved together, e.g. [\"services[0].desired\", \"services[0].autoscaling.min\"]",
                ));
                Vec::new()
            }
        },
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                at,
                "field and fields",
                "one of field (one path) or fields (paths moved together), not both",
            ));
            Vec::new()
        }
        (None, None) => {
            problems.push(Problem::new(
                format!("{at}.field"),
                dockmaster_sim::scenario::MISSING,
                "required: the path of the field to vary, e.g. \"services[0].desired\" (or fields = [...])",
            ));
            Vec::new()
        }
    };
    let values = match (t.get("values"), t.get("range")) {
        (Some(vs), None) => match vs.as_array() {
            Some(a) if !a.is_empty() && a.len() <= MAX_VALUES => a.iter().map(render).collect(),
            _ => {
                problems.push(Problem::new(
                    format!("{at}.values"),
                    render(vs),
                    format!("a non-empty array of at most {MAX_VALUES} values, e.g. [4, 6, 8] or [\"c5.large\", \"m5.large\"]"),
                ));
                Vec::new()
            }
        },
        (None, Some(r)) => match range(&format!("{at}.range"), r) {
            Ok(v) => v,
            Err(p) => {
                problems.push(p);
                Vec::new()
            }
        },
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                at,
                "values and range",
                "one of values (a list) or range (from, to, step), not both",
            ));
            Vec::new()
        }
        (None, None) => {
            problems.push(Problem::new(
                format!("{at}.values"),
                dockmaster_sim::scenario::MISSING,
                "required: the values to try, e.g. [4, 6, 8], or range = { from = 4, to = 16, step = 2 }",
            ));
            Vec::new()
        }
    };
    if problems.is_empty() {
        Ok(Dimension {
            fields,
            values,
            origin: at.to_string(),
        })
    } else {
        Err(problems)
    }
}

fn field_problem(at: &str, v: &Value) -> Problem {
    Problem::new(
        at,
        render(v),
        "a field path as --set takes it, e.g. \"services[0].desired\" or \"cluster.instance_type\"",
    )
}

/// `{ from, to, step }`: whole numbers from `from` to `to` inclusive.
fn range(at: &str, v: &Value) -> Result<Vec<String>, Problem> {
    let words = format!(
        "a table {{ from = 4, to = 16, step = 2 }} of whole numbers, from ≤ to, step ≥ 1 \
         (step 1 by default), at most {MAX_VALUES} values"
    );
    let t = v
        .as_table()
        .ok_or_else(|| Problem::new(at, render(v), words.clone()))?;
    let int = |k: &str| t.get(k).and_then(Value::as_integer);
    let unknown = t
        .keys()
        .find(|k| !["from", "to", "step"].contains(&k.as_str()));
    match (
        int("from"),
        int("to"),
        t.get("step").map_or(Some(1), Value::as_integer),
    ) {
        (Some(from), Some(to), Some(step))
            if unknown.is_none()
                && from <= to
                && step >= 1
                && (to - from) / step < MAX_VALUES as i64 =>
        {
            Ok((0..=(to - from) / step)
                .map(|k| (from + k * step).to_string())
                .collect())
        }
        _ => Err(Problem::new(at, render(v), words)),
    }
}

/// A value as TOML text, as a problem shows it and `--set` takes it.
pub(crate) fn render(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", render(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(render).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
