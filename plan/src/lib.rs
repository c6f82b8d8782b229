//! The planner: the cheapest fleet whose SLOs are met with a stated
//! confidence, among the variations of a scenario its `[plan]` names.
//!
//! ```text
//!  scenario.toml + [plan] ──space──► dimensions ──candidate──► scenarios (--set, hosts fitted)
//!        ──prune──► open ──search (rounds of replications, rayon)──► verdicts ──► Plan ──file──► plan.json, best.toml
//! ```
//!
//! Architecture invariant: a candidate is a scenario made by `--set`, and
//! its replications are `simulate --replications`'s: whatever the plan
//! says of a candidate, `simulate --set ... --replications N` reproduces.

pub mod candidate;
pub mod confidence;
pub mod evaluate;
pub mod file;
pub mod part;
pub mod prune;
pub mod search;
pub mod space;

use candidate::{build, check_values, nth, Built};
use dockmaster_sim::scenario::{Problem, ScenarioError};
use search::{Evaluated, Verdict};
use space::Space;
use std::path::Path;

/// A finished plan.
pub struct Plan {
    pub scenario: String,
    /// The fingerprint of the scenario text planned over
    /// ([`part::fingerprint`]): parts to reuse must carry the same.
    pub source: String,
    pub space: Space,
    pub candidates: Vec<Evaluated>,
    /// Index into `candidates` of the cheapest feasible one.
    pub best: Option<usize>,
    /// Candidates this run evaluated (`--shard I/N`: every N-th).
    pub shard: Shard,
    /// Replications taken from `--reuse` parts rather than simulated.
    pub reused: u64,
}

/// `--shard I/N`: this run evaluates candidates `I, I+N, I+2N, ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    pub fn has(&self, candidate: usize) -> bool {
        candidate % self.count == self.index
    }
}

impl Plan {
    pub fn replications(&self) -> u64 {
        self.candidates.iter().map(|c| c.samples.len() as u64).sum()
    }
}

/// Plans over `text` (the scenario file `path` holds, already loaded
/// without error) and its checked `space`, reusing what `recorded` holds.
/// Bad values in the space are the caller's input errors.
pub fn plan(
    text: &str,
    path: &Path,
    space: Space,
    shard: Shard,
    recorded: &part::Recorded,
    watch: &dyn search::Watch,
) -> Result<Plan, ScenarioError> {
    let file = path.display().to_string();
    check_values(text, path, &space).map_err(|problems: Vec<Problem>| ScenarioError {
        file: file.clone(),
        problems,
    })?;
    let n = space.candidates();
    let mut candidates: Vec<Evaluated> = (0..n)
        .filter(|&i| shard.has(i))
        .map(|i| nth(&space, i))
        .map(|c| match build(text, path, &space, c) {
            Built::Scenario(sc, c) => match prune::cannot_hold(&sc) {
                Some(why) => Evaluated::new(c, Some(sc), Verdict::Pruned(why)),
                None => Evaluated::new(c, Some(sc), Verdict::Open),
            },
            Built::Refused(c, why) => Evaluated::new(c, None, Verdict::Pruned(why)),
        })
        .collect();
    let reused = search::run(
        &mut candidates,
        space.confidence,
        space.max_replications,
        recorded,
        watch,
    );
    let best = search::cheapest(&candidates);
    let scenario = candidates
        .iter()
        .find_map(|c| c.scenario.as_ref().map(|s| s.name.clone()))
        .unwrap_or_default();
    Ok(Plan {
        scenario,
        source: part::fingerprint(text),
        space,
        candidates,
        best,
        shard,
        reused,
    })
}
