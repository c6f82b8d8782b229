//! What a plan writes: `plan.json` (every candidate, its verdict, reason
//! and figures; the best), `best.toml` (the winning scenario, ready to
//! `simulate`) and the terminal table.
//!
//! Figures are `simulate --replications`'s: mean and 95 % Student-t
//! interval of each replication's whole-run value (`reports::stats`).

use crate::candidate::Candidate;
use crate::evaluate::Objective;
use crate::search::{Evaluated, Verdict};
use crate::space::Hosts;
use crate::Plan;
use dockmaster_reports::charts::Chart;
use dockmaster_reports::plan_view::{CandidateView, MeanInterval, PlanView};
use dockmaster_reports::stats::mean_ci95;
use dockmaster_reports::{ReportError, RunId};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

pub use dockmaster_reports::staging::{BEST_FILE, PLAN_FILE, PLAN_HTML};

impl Plan {
    /// What "met with 95 % confidence" means here, in words.
    pub fn meaning(&self) -> String {
        let c = self.space.confidence * 100.0;
        format!(
            "A candidate is feasible when, for each of its K SLO objectives, the one-sided upper \
             {c:.0}%/K bound (Bonferroni) of the objective's mean across replications is within \
             the target (e.g. the mean of the replications' p99 is below the p99 target with \
             {c:.0}% confidence, all K together); infeasible when one objective's lower bound is \
             beyond its target; it is replicated until one of the two is decided, at most {} \
             times (then: undecided). Replication r of every candidate uses the seed of \
             `simulate --replications` replication r (common random numbers). The cheapest \
             feasible candidate has the lowest mean cost; ties go to the smaller reservation \
             (tasks × cpu), then the lower mean p99. A candidate whose cost is above the cheapest \
             feasible one's at {c:.0}% confidence is not needed.",
            self.space.max_replications
        )
    }

    /// The bytes of `plan.json`.
    pub fn json(&self) -> Vec<u8> {
        let v = json!({
            "scenario": self.scenario,
            "source": self.source,
            "version": crate::part::VERSION,
            "confidence": self.space.confidence,
            "max_replications": self.space.max_replications,
            "hosts": match self.space.hosts { Hosts::Fit => "fit", Hosts::AsIs => "as_is" },
            "shard": { "index": self.shard.index, "count": self.shard.count },
            "meaning": self.meaning(),
            "dimensions": self.space.dimensions.iter().map(|d| json!({
                "fields": d.fields, "values": d.values, "origin": d.origin,
            })).collect::<Vec<_>>(),
            "candidates_total": self.space.candidates(),
            "replications": self.replications(),
            "best": self.best.map(|b| figures(&self.candidates[b], self.space.confidence)),
            "candidates": self.candidates.iter()
                .map(|c| figures(c, self.space.confidence)).collect::<Vec<_>>(),
        });
        let mut out = serde_json::to_vec_pretty(&v).expect("plan serializes to memory");
        out.push(b'\n');
        out
    }

    /// The winning scenario's text: the file with the best candidate's
    /// values written in, as `--set` writes them.
    pub fn best_toml(&self) -> Option<String> {
        let b = &self.candidates[self.best?];
        let sc = b.scenario.as_ref()?;
        Some(format!(
            "# dockmaster plan: the cheapest candidate of {} meeting its SLOs ({}).\n{}",
            self.scenario,
            b.candidate.set_flags(),
            sc.source_text
        ))
    }

    /// A table for the terminal: every simulated candidate by mean cost,
    /// then the verdict.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let mut order: Vec<&Evaluated> = self.candidates.iter().collect();
        order.sort_by(|a, b| {
            a.mean_cost()
                .total_cmp(&b.mean_cost())
                .then(a.candidate.index.cmp(&b.candidate.index))
        });
        let _ = writeln!(
            s,
            "{:>4}  {:<11} {:>5}  {:>12}  {:>10}  values",
            "#", "verdict", "reps", "cost $/month", "p99 ms"
        );
        for c in order {
            let month = monthly(c, c.mean_cost());
            let values: Vec<String> = c
                .candidate
                .values
                .iter()
                .map(|(f, v)| format!("{f}={v}"))
                .collect();
            let star = if Some(c.candidate.index)
                == self.best.map(|b| self.candidates[b].candidate.index)
            {
                "*"
            } else {
                " "
            };
            let _ = writeln!(
                s,
                "{star}{:>3}  {:<11} {:>5}  {:>12}  {:>10}  {}",
                c.candidate.index,
                c.verdict.word(),
                c.samples.len(),
                month
                    .filter(|m| m.is_finite())
                    .map_or("–".into(), |m| format!("{m:.0}")),
                if c.samples.is_empty() {
                    "–".into()
                } else {
                    format!("{:.1}", c.p99_mean())
                },
                values.join(" ")
            );
        }
        match self.best {
            Some(b) => {
                let c = &self.candidates[b];
                let _ = write!(
                    s,
                    "best: #{} ({}), {} replications\n  reproduce: dockmaster simulate FILE {} --replications {}",
                    c.candidate.index,
                    c.candidate.values.iter().map(|(f, v)| format!("{f}={v}")).collect::<Vec<_>>().join(", "),
                    c.samples.len(),
                    c.candidate.set_flags(),
                    c.samples.len()
                );
            }
            None => {
                let _ = write!(s, "no feasible candidate: {}", self.binding());
            }
        }
        s
    }

    /// With no feasible candidate: the objective that most candidates miss.
    pub fn binding(&self) -> String {
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for c in &self.candidates {
            if let Verdict::Infeasible(why) | Verdict::Pruned(why) = &c.verdict {
                let key = why.split(':').next().unwrap_or(why).to_string();
                *counts.entry(key).or_default() += 1;
            }
        }
        match counts.iter().max_by_key(|(_, n)| **n) {
            Some((k, n)) => format!("{k} binds ({n} of {} candidates)", self.candidates.len()),
            None => "every candidate is undecided at max_replications".to_string(),
        }
    }
}

/// Why a candidate has its verdict, in words (none for feasible or open).
fn reason(v: &Verdict) -> Option<String> {
    match v {
        Verdict::Infeasible(w) | Verdict::Pruned(w) => Some(w.clone()),
        Verdict::NotNeeded => Some(
            "its cost is above the cheapest feasible candidate's at the confidence asked for"
                .into(),
        ),
        Verdict::Undecided => {
            Some("neither met nor missed with confidence at max_replications".into())
        }
        Verdict::Open | Verdict::Feasible => None,
    }
}

/// `usd` over the candidate's run, as a month of it costs
/// (`reports::recording::monthly`, the one rule for monthly cost).
fn monthly(c: &Evaluated, usd: f64) -> Option<f64> {
    let sc = c.scenario.as_ref()?;
    dockmaster_reports::recording::monthly(usd, sc.duration as f64 / 1e9)
}

/// Mean and 95 % interval of the finite values, as `simulate` pools
/// replications, times `scale` (1, or hours of a month per run hour).
fn interval(xs: impl Iterator<Item = f64>, scale: f64) -> Option<MeanInterval> {
    let xs: Vec<f64> = xs.filter(|x| x.is_finite()).collect();
    (!xs.is_empty()).then(|| {
        let m = mean_ci95(&xs);
        MeanInterval {
            mean: m.mean * scale,
            lo: m.lo * scale,
            hi: m.hi * scale,
        }
    })
}

/// `{mean, ci95: [lo, hi]}` of finite values; null without any.
fn ci(xs: impl Iterator<Item = f64>) -> Value {
    interval(xs, 1.0).map_or(
        Value::Null,
        |m| json!({ "mean": m.mean, "ci95": [m.lo, m.hi] }),
    )
}

fn objective(o: &Objective, c: &Evaluated, k: usize, confidence: f64) -> Value {
    let b = c.objective(k, confidence);
    json!({
        "service": o.service, "name": o.name, "target": o.target,
        "mean": finite(b.mean), "lower": finite(b.lower()), "upper": finite(b.upper()),
    })
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// A candidate's values as `plan.json` writes them: `{FIELD: VALUE}`.
fn values(c: &Candidate) -> Value {
    let mut values = Map::new();
    for (f, v) in &c.values {
        values.insert(f.clone(), toml_to_json(v));
    }
    Value::Object(values)
}

/// The key under which `plan --reuse` finds a candidate's recorded
/// replications: its values as `plan.json` writes them, compact.
pub fn values_key(c: &Candidate) -> String {
    values(c).to_string()
}

fn figures(c: &Evaluated, confidence: f64) -> Value {
    let values = values(&c.candidate);
    let reason = reason(&c.verdict);
    let lat = |k: usize| ci(c.samples.iter().map(|s| s.latency_ms[k]));
    let cost = ci(c.samples.iter().map(|s| s.cost_usd));
    let month = monthly(c, c.mean_cost());
    json!({
        "index": c.candidate.index,
        "values": values,
        "verdict": c.verdict.word(),
        "reason": reason,
        "replications": c.samples.len(),
        "cost_usd": cost,
        "cost_usd_per_month": month.filter(|m| m.is_finite()),
        "latency_ms": if c.samples.is_empty() { Value::Null } else { json!({
            "mean": lat(0), "p50": lat(1), "p90": lat(2), "p99": lat(3), "p999": lat(4), "max": lat(5),
        })},
        "error_rate": ci(c.samples.iter().map(|s| s.error_rate)),
        "objectives": c.objectives.iter().enumerate()
            .map(|(k, o)| objective(o, c, k, confidence)).collect::<Vec<_>>(),
        // Every replication's own figures, replication r at index r: they
        // are a function of (candidate, r) alone (common random numbers),
        // so plans over parts of the candidates (--shard) can be merged by
        // replaying the decisions over the union of their samples.
        "samples": c.samples.iter().map(|s| json!({
            "cost_usd": s.cost_usd,
            "objectives": s.actual.iter().map(|&x| finite(x)).collect::<Vec<_>>(),
            "latency_ms": s.latency_ms.iter().map(|&x| finite(x)).collect::<Vec<_>>(),
            "error_rate": s.error_rate,
        })).collect::<Vec<_>>(),
    })
}

/// A value as TOML text to JSON: `6` a number, `"c5.large"` (or a bare
/// word) a string, a table or array its JSON shape.
fn toml_to_json(v: &str) -> Value {
    let doc = format!("v = {v}");
    match doc
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("v").cloned())
    {
        Some(t) => serde_json::to_value(t).unwrap_or_else(|_| json!(v)),
        None => json!(v),
    }
}

impl Plan {
    /// The plan as its page shows it.
    pub fn view(&self) -> PlanView {
        let candidates = self
            .candidates
            .iter()
            .map(|c| {
                let month = monthly(c, 1.0);
                CandidateView {
                    index: c.candidate.index,
                    values: c.candidate.values.clone(),
                    verdict: c.verdict.word().to_string(),
                    reason: reason(&c.verdict),
                    replications: c.samples.len(),
                    cost_usd_per_month: month
                        .and_then(|k| interval(c.samples.iter().map(|s| s.cost_usd), k)),
                    p99_ms: interval(c.samples.iter().map(|s| s.latency_ms[3]), 1.0),
                }
            })
            .collect();
        let slo_p99_ms = self
            .candidates
            .iter()
            .flat_map(|c| &c.objectives)
            .find(|o| o.service.is_none() && o.name == "p99")
            .map(|o| o.target);
        PlanView {
            scenario: self.scenario.clone(),
            meaning: self.meaning(),
            slo_p99_ms,
            candidates,
            best: self.best,
            replications: self.replications(),
            replications_brute_force: self.candidates.len() as u64
                * u64::from(self.space.max_replications),
            binding: self.best.is_none().then(|| self.binding()),
        }
    }

    /// `plan.html` and its chart, the page carrying `plan.json`'s run id.
    pub fn html(&self) -> Result<(String, Vec<Chart>), ReportError> {
        let view = self.view();
        let charts = dockmaster_reports::charts::plan_charts(&view)?;
        let id = RunId::of_parts(&[&self.json()]);
        Ok((
            dockmaster_reports::html::plan_html(&view, &charts, &id),
            charts,
        ))
    }
}
