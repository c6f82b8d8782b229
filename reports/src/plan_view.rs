//! A plan as its page shows it, typed: the planner (crate `dockmaster-plan`)
//! fills it, `charts::frontier` draws it and `html::plan` lays it out. This
//! crate knows nothing of how the candidates were found.

/// A mean with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanInterval {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// One candidate on the page.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateView {
    pub index: usize,
    /// (field, value as TOML text), in dimension order.
    pub values: Vec<(String, String)>,
    /// `feasible`, `infeasible`, `pruned`, `not needed`, `undecided`.
    pub verdict: String,
    pub reason: Option<String>,
    pub replications: usize,
    /// None: never simulated (pruned).
    pub cost_usd_per_month: Option<MeanInterval>,
    pub p99_ms: Option<MeanInterval>,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanView {
    pub scenario: String,
    /// What "met with 95 % confidence" means for this plan, in words.
    pub meaning: String,
    /// The fleet's p99 target, drawn as a rule.
    pub slo_p99_ms: Option<f64>,
    pub candidates: Vec<CandidateView>,
    /// Index into `candidates`.
    pub best: Option<usize>,
    /// Replications run, and what running every candidate to the maximum
    /// would have cost.
    pub replications: u64,
    pub replications_brute_force: u64,
    /// With no feasible candidate: what binds, in words.
    pub binding: Option<String>,
}
