//! The search: replications spent where the cheapest-feasible decision is
//! still open, in rounds, in parallel.
//!
//! ```text
//!  candidates ──prune (fluid bound, placement)──► open
//!  round n = 2, 4, 8, 12, 16, 20 …: every open candidate replicated up to n (rayon)
//!    ├─ every objective's upper bound within target ──► feasible
//!    ├─ one objective's lower bound beyond target ───► infeasible (stops)
//!    └─ cost's lower bound above the best feasible's upper bound ──► not needed (stops)
//!  until nothing is open, or n = max_replications (then: undecided)
//! ```
//!
//! A feasible candidate stays open while its cost interval overlaps the
//! cheapest feasible one's: under autoscaling, cost is random too, and the
//! ranking is decided the way feasibility is, by intervals that no longer
//! overlap (sequential elimination, in the spirit of Kim and Nelson's
//! procedure, without its indifference zone: at `max_replications` the
//! ranking falls back on the means).

use crate::candidate::Candidate;
use crate::confidence::Bound;
use crate::evaluate::{replicate, Objective, Sample};
use crate::file::values_key;
use crate::part::Recorded;
use dockmaster_sim::scenario::Scenario;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Where a candidate stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Still being replicated.
    Open,
    /// Every objective met at the confidence asked for.
    Feasible,
    /// One objective missed at that confidence: the words say which.
    Infeasible(String),
    /// Refused before simulating: the words say why.
    Pruned(String),
    /// Feasible or not, certainly dearer than a feasible candidate.
    NotNeeded,
    /// Neither decided at `max_replications`.
    Undecided,
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Open => "open",
            Verdict::Feasible => "feasible",
            Verdict::Infeasible(_) => "infeasible",
            Verdict::Pruned(_) => "pruned",
            Verdict::NotNeeded => "not needed",
            Verdict::Undecided => "undecided",
        }
    }
}

/// One candidate and what the search learnt of it.
pub struct Evaluated {
    pub candidate: Candidate,
    /// `None` for a candidate refused before simulating.
    pub scenario: Option<Box<Scenario>>,
    pub objectives: Vec<Objective>,
    /// Replication r at index r.
    pub samples: Vec<Sample>,
    pub verdict: Verdict,
    /// ECS reservation, CPU units (Σ desired × cpu): the first tie-break.
    pub reservation: u64,
}

impl Evaluated {
    pub fn new(candidate: Candidate, scenario: Option<Box<Scenario>>, verdict: Verdict) -> Self {
        let reservation = scenario.as_ref().map_or(0, |s| {
            s.services
                .iter()
                .map(|v| u64::from(v.desired) * u64::from(v.cpu))
                .sum()
        });
        Evaluated {
            candidate,
            scenario,
            objectives: Vec::new(),
            samples: Vec::new(),
            verdict,
            reservation,
        }
    }

    /// The cost bound at confidence `c` (two-sided: `(1 + c)/2` each way).
    pub fn cost(&self, c: f64) -> Bound {
        let xs: Vec<f64> = self.samples.iter().map(|s| s.cost_usd).collect();
        Bound::of(&xs, (1.0 + c) / 2.0)
    }

    /// Objective k's bound at the Bonferroni level of `c`.
    pub fn objective(&self, k: usize, c: f64) -> Bound {
        let xs: Vec<f64> = self.samples.iter().map(|s| s.actual[k]).collect();
        if xs.iter().any(|x| x.is_infinite()) {
            // A replication in which every request failed: nothing to
            // estimate, and certainly not met.
            return Bound {
                mean: f64::INFINITY,
                half: 0.0,
            };
        }
        Bound::of(&xs, 1.0 - (1.0 - c) / self.objectives.len().max(1) as f64)
    }

    /// Mean cost over the replications; infinite with none (it sorts last).
    pub fn mean_cost(&self) -> f64 {
        if self.samples.is_empty() {
            return f64::INFINITY;
        }
        self.samples.iter().map(|s| s.cost_usd).sum::<f64>() / self.samples.len() as f64
    }

    /// The fleet's mean p99 over the replications that measured one (ms),
    /// as plan.json's figures pool them.
    pub fn p99_mean(&self) -> f64 {
        let xs: Vec<f64> = self
            .samples
            .iter()
            .map(|s| s.latency_ms[3])
            .filter(|x| x.is_finite())
            .collect();
        xs.iter().sum::<f64>() / xs.len().max(1) as f64
    }

    /// Feasible, infeasible or still open, from the samples so far.
    fn decide(&self, c: f64, last_round: bool) -> Verdict {
        let n = self.samples.len();
        if self.objectives.is_empty() {
            return Verdict::Feasible;
        }
        let mut all_met = true;
        for (k, o) in self.objectives.iter().enumerate() {
            let b = self.objective(k, c);
            // One replication measures no spread: its point value decides
            // only when no more may be run (max_replications = 1).
            let (lo, hi) = if n == 1 && last_round {
                (b.mean, b.mean)
            } else {
                (b.lower(), b.upper())
            };
            if lo > o.target {
                return Verdict::Infeasible(format!(
                    "{}: mean {} over {n} replications, at least {} at {:.0}% confidence",
                    o.words(),
                    value(o, b.mean),
                    value(o, lo),
                    c * 100.0
                ));
            }
            all_met &= hi <= o.target;
        }
        if all_met {
            Verdict::Feasible
        } else if last_round {
            Verdict::Undecided
        } else {
            Verdict::Open
        }
    }
}

fn value(o: &Objective, x: f64) -> String {
    if o.name == "error_rate" {
        format!("{:.3}%", x * 100.0)
    } else {
        format!("{x:.1} ms")
    }
}

/// The rounds' replication counts up to `max`.
fn rounds(max: u32) -> Vec<u32> {
    let mut out: Vec<u32> = [2, 4, 8, 12, 16, 20]
        .into_iter()
        .filter(|&n| n < max)
        .collect();
    let mut n = 20;
    while n + 10 < max {
        n += 10;
        out.push(n);
    }
    out.push(max);
    out
}

/// The index of the cheapest feasible candidate: lowest mean cost, then
/// the smaller reservation, then the lower mean p99.
pub fn cheapest(all: &[Evaluated]) -> Option<usize> {
    (0..all.len())
        .filter(|&i| all[i].verdict == Verdict::Feasible)
        .min_by(|&a, &b| {
            let (x, y) = (&all[a], &all[b]);
            x.mean_cost()
                .total_cmp(&y.mean_cost())
                .then(x.reservation.cmp(&y.reservation))
                .then(x.p99_mean().total_cmp(&y.p99_mean()))
                .then(a.cmp(&b))
        })
}

/// What a search tells whoever watches it (the command's progress bar and
/// its running table).
pub trait Watch: Sync {
    /// Replications run so far.
    fn replications(&self, done: u64);
    /// A candidate's verdict changed (decided, or found not needed).
    fn decided(&self, e: &Evaluated);
}

/// Runs the search over `all` (pruned ones included, untouched) at
/// confidence `c` with at most `max` replications each, taking from
/// `recorded` the replications a part already ran. Returns how many were
/// taken from it (the rest were simulated).
pub fn run(all: &mut [Evaluated], c: f64, max: u32, recorded: &Recorded, watch: &dyn Watch) -> u64 {
    let done = AtomicU64::new(0);
    let reused = AtomicU64::new(0);
    let keys: Vec<String> = all.iter().map(|e| values_key(&e.candidate)).collect();
    let plan = rounds(max);
    for (round, &n) in plan.iter().enumerate() {
        let last_round = round + 1 == plan.len();
        let best = cheapest(all);
        // Who gets replications this round: the open, and the feasible whose
        // cost still overlaps the best's.
        let rivals_best = |i: usize| {
            best.is_some_and(|b| {
                if i == b {
                    // The best too: both intervals must narrow to part.
                    (0..all.len()).any(|j| {
                        j != b
                            && all[j].verdict == Verdict::Feasible
                            && overlaps(&all[j], &all[b], c)
                    })
                } else {
                    overlaps(&all[i], &all[b], c)
                }
            })
        };
        let wanted: Vec<usize> = (0..all.len())
            .filter(|&i| match all[i].verdict {
                Verdict::Open => true,
                Verdict::Feasible => rivals_best(i),
                _ => false,
            })
            .filter(|&i| (all[i].samples.len() as u32) < n)
            .collect();
        if wanted.is_empty() {
            break;
        }
        let jobs: Vec<(usize, u32)> = wanted
            .iter()
            .flat_map(|&i| (all[i].samples.len() as u32..n).map(move |r| (i, r)))
            .collect();
        let results: Vec<(usize, Sample, Vec<Objective>)> = jobs
            .par_iter()
            .map(|&(i, r)| {
                let (s, o) = match recorded.get(&keys[i], r) {
                    Some((s, o)) => {
                        reused.fetch_add(1, Relaxed);
                        (s.clone(), o.to_vec())
                    }
                    None => {
                        let sc = all[i]
                            .scenario
                            .as_ref()
                            .expect("open candidates have a scenario");
                        replicate(sc, r)
                    }
                };
                watch.replications(done.fetch_add(1, Relaxed) + 1);
                (i, s, o)
            })
            .collect();
        // Jobs are in (candidate, replication) order: pushing in that
        // order keeps replication r at index r whatever the threads did.
        for (i, s, o) in results {
            all[i].objectives = o;
            all[i].samples.push(s);
        }
        for &i in &wanted {
            if all[i].verdict == Verdict::Open {
                all[i].verdict = all[i].decide(c, last_round);
                if all[i].verdict != Verdict::Open {
                    watch.decided(&all[i]);
                }
            }
        }
        // Dearer for certain than the best feasible: not needed.
        if let Some(b) = cheapest(all) {
            let upper = all[b].cost(c).upper();
            for (i, e) in all.iter_mut().enumerate() {
                if i != b
                    && matches!(e.verdict, Verdict::Open | Verdict::Feasible)
                    && !e.samples.is_empty()
                    && e.cost(c).lower() > upper
                {
                    e.verdict = Verdict::NotNeeded;
                    watch.decided(e);
                }
            }
        }
    }
    reused.into_inner()
}

fn overlaps(a: &Evaluated, b: &Evaluated, c: f64) -> bool {
    let (x, y) = (a.cost(c), b.cost(c));
    // Two fixed fleets cost what they cost: equal costs are a tie, which
    // the tie-breaks settle, not more replications.
    if x.half == 0.0 && y.half == 0.0 {
        return false;
    }
    x.lower() <= y.upper() && y.lower() <= x.upper()
}
