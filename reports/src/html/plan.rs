//! `plan.html`: the plan's answer first (the cheapest feasible fleet, or
//! what binds), what "met with confidence" means, the cost–p99 chart, then
//! every candidate ranked with its verdict and reason.

use super::{count, esc, figures, ms, page};
use crate::charts::Chart;
use crate::plan_view::{CandidateView, PlanView};
use crate::RunId;
use std::fmt::Write as _;

fn values(c: &CandidateView) -> String {
    c.values
        .iter()
        .map(|(f, v)| format!("<code>{}={}</code>", esc(f), esc(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn dollars(m: Option<crate::plan_view::MeanInterval>) -> String {
    m.map_or("–".into(), |m| format!("${:.0}", m.mean))
}

/// The page for a plan; `run_id` is the id of its `plan.json`.
pub fn plan_html(plan: &PlanView, charts: &[Chart], run_id: &RunId) -> String {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">dockmaster plan · {} candidates · {} replications run (running every \
         candidate to the maximum: {})</p>\n<h1>{}</h1>\n</header>",
        plan.candidates.len(),
        count(plan.replications),
        count(plan.replications_brute_force),
        esc(&plan.scenario)
    );
    match plan.best.map(|i| &plan.candidates[i]) {
        Some(c) => {
            let _ = writeln!(
                b,
                "<section class=\"verdict met\" id=\"verdict\">\n<h2>The cheapest fleet that holds</h2>\n\
                 <p>Candidate {}: {} — {} a month, p99 {} (mean of {} replications).</p>\n\
                 <p>Reproduce it: <code>dockmaster simulate best.toml --replications {}</code>.</p>\n</section>",
                c.index,
                values(c),
                dollars(c.cost_usd_per_month),
                c.p99_ms.map_or("–".into(), |p| ms(p.mean)),
                c.replications,
                c.replications
            );
        }
        None => {
            let _ = writeln!(
                b,
                "<section class=\"verdict missed\" id=\"verdict\">\n<h2>No candidate holds</h2>\n<p>{}</p>\n</section>",
                esc(plan.binding.as_deref().unwrap_or("no candidate is feasible"))
            );
        }
    }
    let _ = writeln!(b, "<p class=\"missing\">{}</p>", esc(&plan.meaning));
    b.push_str("<h2>Cost against latency</h2>\n");
    figures(&mut b, charts);

    b.push_str(
        "<h2>Every candidate, by cost</h2>\n<table>\n<tr><th class=\"n\">#</th><th>verdict</th>\
         <th class=\"n\">replications</th><th class=\"n\">$ a month</th><th class=\"n\">p99</th>\
         <th>values</th><th>why</th></tr>\n",
    );
    let mut order: Vec<&CandidateView> = plan.candidates.iter().collect();
    let cost = |c: &CandidateView| c.cost_usd_per_month.map_or(f64::INFINITY, |m| m.mean);
    order.sort_by(|x, y| cost(x).total_cmp(&cost(y)).then(x.index.cmp(&y.index)));
    for c in order {
        let class = match c.verdict.as_str() {
            "feasible" => "pass",
            "infeasible" => "fail",
            _ => "skip",
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"n\">{}</td><td class=\"{class}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            c.index,
            esc(&c.verdict),
            c.replications,
            dollars(c.cost_usd_per_month),
            c.p99_ms.map_or("–".into(), |p| ms(p.mean)),
            values(c),
            esc(c.reason.as_deref().unwrap_or(""))
        );
    }
    b.push_str("</table>\n");
    let _ = writeln!(
        b,
        "<footer>Written by <code>dockmaster plan</code>; the numbers are in plan.json.</footer>"
    );
    page(&format!("{} · dockmaster plan", plan.scenario), run_id, &b)
}
