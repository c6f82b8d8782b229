//! The plan's chart: every simulated candidate at its monthly cost (x) and
//! p99 (y, its 95 % interval as an error bar), coloured by verdict, the SLO
//! as a rule, the cheapest feasible candidate marked, and the cost–latency
//! frontier (no other candidate is both cheaper and faster) as a line.

use super::plot::{Axis, Bars, Figure, Line, Panel, Rule};
use super::timeline::{ms, BLUE, GREEN, GREY, ORANGE, SLO_RED, VERMILLION};
use crate::plan_view::PlanView;

pub(crate) fn frontier(plan: &PlanView) -> Option<(Figure, String)> {
    let drawn: Vec<_> = plan
        .candidates
        .iter()
        .filter_map(|c| Some((c, c.cost_usd_per_month?, c.p99_ms?)))
        .filter(|(_, x, y)| x.mean.is_finite() && y.mean.is_finite() && y.mean > 0.0)
        .collect();
    if drawn.is_empty() {
        return None;
    }
    let mut p = Panel::new(
        Axis::log("p99 latency, mean over replications (ms, log scale)"),
        420,
    );
    let best = plan.best.map(|b| plan.candidates[b].index);
    for (verdict, color) in [
        ("feasible", GREEN),
        ("infeasible", VERMILLION),
        ("not needed", GREY),
        ("undecided", ORANGE),
    ] {
        let bars: Vec<(f64, f64, f64)> = drawn
            .iter()
            .filter(|(c, _, _)| c.verdict == verdict && Some(c.index) != best)
            .map(|(_, x, y)| (x.mean, y.lo.max(y.mean * 0.2), y.hi.max(y.mean)))
            .collect();
        if !bars.is_empty() {
            p.bars.push(Bars {
                label: verdict.to_string(),
                color,
                bars,
            });
        }
    }
    if let Some((_, x, y)) = drawn.iter().find(|(c, _, _)| Some(c.index) == best) {
        p.bars.push(Bars {
            label: "the cheapest feasible".into(),
            color: BLUE,
            bars: vec![(x.mean, y.lo.max(y.mean * 0.2), y.hi.max(y.mean))],
        });
    }
    // The frontier: by cost, each candidate faster than every cheaper one.
    let mut by_cost: Vec<(f64, f64)> = drawn.iter().map(|(_, x, y)| (x.mean, y.mean)).collect();
    by_cost.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for (x, y) in by_cost {
        if front.last().is_none_or(|&(_, fy)| y < fy) {
            front.push((x, y));
        }
    }
    p.lines.push(
        Line::new("cost–latency frontier", GREY, front)
            .width(1)
            .dashed(),
    );
    if let Some(y) = plan.slo_p99_ms {
        p.rules.push(Rule {
            label: format!("SLO p99 ≤ {}", ms(y)),
            color: SLO_RED,
            y,
        });
    }
    let fig = Figure {
        title: format!("{} candidates: cost against p99", drawn.len()),
        subtitle: Some(format!("{} · dockmaster plan", plan.scenario)),
        x: Axis::linear("EC2 cost, USD a month (mean over replications)"),
        panels: vec![p],
        markers: Vec::new(),
    };
    let caption = "Each simulated candidate at its mean monthly cost and mean p99, the bar its \
        95% interval across replications, coloured by verdict. Below the dashed red SLO line and \
        leftmost is what the plan looks for; the dashed grey line joins the candidates that no \
        other is both cheaper and faster than."
        .to_string();
    Some((fig, caption))
}
