//! Replications an earlier plan recorded, reused instead of simulated
//! again (`plan --reuse DIR`): the parts a `--shard I/N` run wrote, or a
//! whole earlier run of the same scenario (then raise `max_replications`
//! or the confidence and pay only for the replications that are new).
//!
//! ```text
//!  part A plan.json ─┐                          ┌─ in a part: its sample, as written
//!  part B plan.json ─┴─► Recorded ──search──► (candidate, r)
//!                                               └─ in none: simulated
//! ```
//!
//! A replication is a function of the scenario as run, the
//! candidate's values and r alone (common random numbers), so the search
//! replayed over the union of the parts takes exactly the decisions an
//! unsharded run takes, replication by replication, and writes the same
//! bytes. Whatever a part holds that the replay does not ask for is left
//! unused; whatever the replay asks for that no part holds is simulated.
//!
//! Architecture invariant: a part is reused only when it was written by
//! this version from the same scenario (its `source` fingerprint),
//! and a sample is looked up by the candidate's full values (the fitted
//! `cluster.asg.desired` included), never by its index alone.

use crate::evaluate::{Objective, Sample};
use dockmaster_reports::RunId;
use dockmaster_sim::scenario::{Problem, MISSING};
use serde_json::Value;
use std::collections::BTreeMap;

/// The fingerprint of the scenario a plan ran (`plan.json`'s `source`):
/// of its TOML as parsed, without the `[plan]` table the simulator ignores,
/// so that comments, layout and the plan's own settings (confidence,
/// max_replications, the dimensions) may change and the replications
/// still be reused; any other value changed makes another scenario.
pub fn fingerprint(text: &str) -> String {
    let canonical = match text.parse::<toml::Table>() {
        Ok(mut t) => {
            t.remove("plan");
            t.to_string()
        }
        Err(_) => text.to_string(),
    };
    RunId::of_parts(&[canonical.as_bytes()])
        .as_str()
        .to_string()
}

/// The version that wrote a plan (`plan.json`'s `version`): samples from
/// another engine may differ, so they are not reused.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What one candidate's recorded replications say.
#[derive(Clone, Debug, PartialEq)]
struct Known {
    objectives: Vec<Objective>,
    /// Replication r at index r.
    samples: Vec<Sample>,
}

/// Every part's samples, by the candidate's values.
#[derive(Default)]
pub struct Recorded {
    /// Keyed by the candidate's values as `plan.json` writes them
    /// ([`crate::file::values_key`]).
    by_values: BTreeMap<String, Known>,
}

impl Recorded {
    /// Nothing recorded: every replication is simulated.
    pub fn none() -> Self {
        Recorded::default()
    }

    /// Replication `r` of the candidate with these `values`, if a part has it.
    pub fn get(&self, key: &str, r: u32) -> Option<(&Sample, &[Objective])> {
        let k = self.by_values.get(key)?;
        Some((k.samples.get(r as usize)?, &k.objectives))
    }

    /// Adds the part `json` (the bytes of a `plan.json`), which must have
    /// been planned over the text whose fingerprint is `source`. Problems
    /// name the part's field, the value and what was expected.
    pub fn add(&mut self, json: &[u8], source: &str) -> Result<(), Problem> {
        let v: Value = serde_json::from_slice(json).map_err(|e| {
            Problem::new(
                format!("line {}, column {}", e.line(), e.column()),
                "not JSON",
                "a plan.json that `dockmaster plan` wrote",
            )
        })?;
        same(
            &v,
            "version",
            VERSION,
            "a plan written by this dockmaster: another version's replications may differ",
        )?;
        same(
            &v,
            "source",
            source,
            "the fingerprint of this run's scenario; the part was planned over another file \
             or other --set overrides",
        )?;
        let candidates = v
            .get("candidates")
            .and_then(Value::as_array)
            .ok_or_else(|| Problem::new("candidates", MISSING, "an array of candidates"))?;
        for (i, c) in candidates.iter().enumerate() {
            let at = format!("candidates[{i}]");
            let (values, known) = candidate(c, &at)?;
            if known.samples.is_empty() {
                continue;
            }
            self.merge(values, known, &at)?;
        }
        Ok(())
    }

    /// Two parts agree on the replications both ran (they are the same
    /// computation); the longer run of them is kept.
    fn merge(&mut self, values: String, known: Known, at: &str) -> Result<(), Problem> {
        match self.by_values.get_mut(&values) {
            None => {
                self.by_values.insert(values, known);
            }
            Some(old) => {
                let n = old.samples.len().min(known.samples.len());
                if old.objectives != known.objectives || old.samples[..n] != known.samples[..n] {
                    return Err(Problem::new(
                        format!("{at}.samples"),
                        "(differs)",
                        "the same figures as another part's for the same candidate and \
                         replication (the same computation); one of the parts was edited",
                    ));
                }
                if known.samples.len() > old.samples.len() {
                    *old = known;
                }
            }
        }
        Ok(())
    }
}

fn candidate(c: &Value, at: &str) -> Result<(String, Known), Problem> {
    let values = c
        .get("values")
        .filter(|v| v.is_object())
        .ok_or_else(|| Problem::new(format!("{at}.values"), MISSING, "a table of values"))?
        .to_string();
    let objectives = array(c, "objectives", at)?
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let at = format!("{at}.objectives[{k}]");
            Ok(Objective {
                service: o.get("service").and_then(Value::as_str).map(String::from),
                name: str_at(o, "name").map_err(|p| in_at(p, &at))?.to_string(),
                target: num(o.get("target"), &format!("{at}.target"))?,
            })
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    let samples = array(c, "samples", at)?
        .iter()
        .enumerate()
        .map(|(r, s)| sample(s, objectives.len(), &format!("{at}.samples[{r}]")))
        .collect::<Result<Vec<_>, Problem>>()?;
    Ok((
        values,
        Known {
            objectives,
            samples,
        },
    ))
}

fn sample(s: &Value, objectives: usize, at: &str) -> Result<Sample, Problem> {
    // plan.json writes what is not finite as null: an objective that is
    // null was missed outright (every request failed), a latency that is
    // null had nothing to measure.
    let nums = |name: &str, null: f64| -> Result<Vec<f64>, Problem> {
        array(s, name, at)?
            .iter()
            .enumerate()
            .map(|(k, x)| match x {
                Value::Null => Ok(null),
                x => num(Some(x), &format!("{at}.{name}[{k}]")),
            })
            .collect()
    };
    let actual = nums("objectives", f64::INFINITY)?;
    if actual.len() != objectives {
        return Err(Problem::new(
            format!("{at}.objectives"),
            format!("{} values", actual.len()),
            format!("one value per objective of the candidate ({objectives})"),
        ));
    }
    let latency = nums("latency_ms", f64::NAN)?;
    let latency_ms: [f64; 6] = latency.try_into().map_err(|l: Vec<f64>| {
        Problem::new(
            format!("{at}.latency_ms"),
            format!("{} values", l.len()),
            "six: mean, p50, p90, p99, p99.9, max",
        )
    })?;
    Ok(Sample {
        cost_usd: num(s.get("cost_usd"), &format!("{at}.cost_usd"))?,
        actual,
        latency_ms,
        error_rate: match s.get("error_rate") {
            Some(Value::Null) => f64::NAN,
            x => num(x, &format!("{at}.error_rate"))?,
        },
    })
}

fn array<'a>(v: &'a Value, name: &str, at: &str) -> Result<&'a Vec<Value>, Problem> {
    v.get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| Problem::new(format!("{at}.{name}"), shown(v.get(name)), "an array"))
}

/// The part's string `name` must be `ours`; `why` says what it stands for.
fn same(v: &Value, name: &str, ours: &str, why: &str) -> Result<(), Problem> {
    let theirs = str_at(v, name)?;
    if theirs == ours {
        return Ok(());
    }
    Err(Problem::new(
        name,
        quoted(theirs),
        format!("{}: {why}", quoted(ours)),
    ))
}

fn str_at<'a>(v: &'a Value, name: &str) -> Result<&'a str, Problem> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Problem::new(name, shown(v.get(name)), "a string"))
}

fn num(v: Option<&Value>, at: &str) -> Result<f64, Problem> {
    v.and_then(Value::as_f64)
        .ok_or_else(|| Problem::new(at, shown(v), "a number"))
}

fn in_at(p: Problem, at: &str) -> Problem {
    Problem::new(format!("{at}.{}", p.path), p.value, p.allowed)
}

fn shown(v: Option<&Value>) -> String {
    v.map_or(MISSING.to_string(), |v| v.to_string())
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}
