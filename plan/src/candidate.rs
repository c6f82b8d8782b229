//! Candidates: the cross product of the search space's dimensions, each a
//! variation of the scenario made the way `--set` makes one (so any
//! candidate is reproduced by `simulate --set FIELD=VALUE ...`).
//!
//! ```text
//!  Space ──cross product──► values [(field, value)] ──--set──► scenario text ──validate──► Scenario
//!                                                     └─ hosts = "fit": + cluster.asg.desired = fewest that place every task
//! ```

use crate::space::{Dimension, Hosts, Space};
use dockmaster_sim::layout::initial_layout;
use dockmaster_sim::scenario::{parse_file_text, Override, Problem, Scenario, ScenarioError};
use std::path::Path;

/// The field `hosts = "fit"` sets.
pub const DESIRED: &str = "cluster.asg.desired";

/// One point of the search space.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Its place in the cross product (the last dimension varies fastest).
    pub index: usize,
    /// Every field of every dimension with its value (TOML text), in
    /// dimension order; `cluster.asg.desired` last when fitted.
    pub values: Vec<(String, String)>,
}

impl Candidate {
    /// The `--set` overrides that make it.
    pub fn overrides(&self) -> Vec<Override> {
        self.values
            .iter()
            .map(|(path, value)| Override {
                path: path.clone(),
                value: value.clone(),
            })
            .collect()
    }

    /// `--set FIELD=VALUE ...` as a shell would take it.
    pub fn set_flags(&self) -> String {
        self.values
            .iter()
            .map(|(f, v)| format!("--set '{f}={v}'"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The `index`-th candidate of `space` (before fitting hosts).
pub fn nth(space: &Space, index: usize) -> Candidate {
    let mut rest = index;
    let mut picks = vec![0usize; space.dimensions.len()];
    for (k, d) in space.dimensions.iter().enumerate().rev() {
        picks[k] = rest % d.values.len();
        rest /= d.values.len();
    }
    let values = space
        .dimensions
        .iter()
        .zip(picks)
        .flat_map(|(d, j)| {
            d.fields
                .iter()
                .map(move |f| (f.clone(), d.values[j].clone()))
        })
        .collect();
    Candidate { index, values }
}

/// Checks every value of every dimension on its own against the scenario:
/// a field the scenario has not, or a value it refuses, is the plan's
/// mistake, named at the plan's path (`plan.vary[1].values[2]`).
pub fn check_values(text: &str, path: &Path, space: &Space) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    for d in &space.dimensions {
        for (j, v) in d.values.iter().enumerate() {
            let overrides: Vec<Override> = d
                .fields
                .iter()
                .map(|f| Override {
                    path: f.clone(),
                    value: v.clone(),
                })
                .collect();
            if let Err(e) = parse_file_text(text, path, &overrides) {
                if let Some(p) = blame(d, j, v, &e) {
                    problems.push(p);
                }
            }
        }
    }
    // One problem per place: a bad field fails every value alike.
    problems.dedup_by(|a, b| a.path == b.path && a.allowed == b.allowed);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The plan's share of a scenario error: a problem at one of the
/// dimension's fields (or at its `--set`) is the plan's; others are the
/// scenario's own and cannot happen here (it loaded before).
fn blame(d: &Dimension, j: usize, v: &str, e: &ScenarioError) -> Option<Problem> {
    for p in &e.problems {
        for (i, f) in d.fields.iter().enumerate() {
            let field_at = if d.fields.len() == 1 {
                format!("{}.field", d.origin)
            } else {
                format!("{}.fields[{i}]", d.origin)
            };
            if p.path == format!("--set {f}")
                || p.allowed.starts_with("unknown key") && p.path == *f
            {
                return Some(Problem::new(field_at, format!("{f:?}"), p.allowed.clone()));
            }
            if p.path == *f
                || p.path.starts_with(&format!("{f}."))
                || p.path.starts_with(&format!("{f}["))
            {
                return Some(Problem::new(
                    format!("{}.values[{j}]", d.origin),
                    v.to_string(),
                    format!("{f}: {}", p.allowed),
                ));
            }
        }
    }
    None
}

/// A candidate made into a scenario, or why it cannot be one.
pub enum Built {
    Scenario(Box<Scenario>, Candidate),
    /// The combination does not validate, or its tasks cannot all be
    /// placed on `asg.max` hosts: the words say which.
    Refused(Candidate, String),
}

/// Builds `c`: applies its values, and with `hosts = "fit"` sets
/// `cluster.asg.desired` to the fewest hosts (at least `asg.min`) on which
/// ECS places every task at t = 0.
pub fn build(text: &str, path: &Path, space: &Space, mut c: Candidate) -> Built {
    let sc = match parse_file_text(text, path, &c.overrides()) {
        Ok(s) => s,
        Err(e) => return Built::Refused(c, words(&e)),
    };
    if space.hosts == Hosts::AsIs {
        return Built::Scenario(Box::new(sc), c);
    }
    let asg = &sc.cluster.asg;
    let wanted: u32 = sc.services.iter().map(|s| s.desired).sum();
    // The dry run needs only the host count changed: the parsed scenario
    // with another `desired`, not the text parsed again at every step.
    let places = |d: u32| -> bool {
        let mut s = sc.clone();
        s.cluster.asg.desired = d;
        let placed: usize = initial_layout(&s, s.seed)
            .iter()
            .map(|h| h.tasks.len())
            .sum();
        placed as u32 >= wanted
    };
    // Placing is monotone in the host count (a host more never unplaces a
    // task), so the fewest is found by bisection over [min, max].
    let (mut lo, mut hi) = (asg.min.min(asg.max), asg.max);
    if !places(hi) {
        return Built::Refused(
            c,
            format!(
                "its {wanted} tasks cannot all be placed on cluster.asg.max = {} {} hosts",
                asg.max, sc.cluster.instance_type.name
            ),
        );
    }
    // Invariant: `hi` hosts place them all.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if places(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    // Once through `--set`, so that the scenario's text (best.toml, the
    // recording's scenario_text) says the fitted count.
    c.values.push((DESIRED.into(), hi.to_string()));
    match parse_file_text(text, path, &c.overrides()) {
        Ok(s) => Built::Scenario(Box::new(s), c),
        Err(e) => Built::Refused(c, words(&e)),
    }
}

fn words(e: &ScenarioError) -> String {
    let parts: Vec<String> = e
        .problems
        .iter()
        .map(|p| format!("{} = {}: {}", p.path, p.value, p.allowed))
        .collect();
    format!("the scenario refuses it ({})", parts.join("; "))
}
