//! `comparison.html`: the simulation against the measurement, the verdict
//! first, then the pooled table, the overlay charts and every window.

use super::{clock, count, esc, figures, ms, page, pct, signed_pct, trim};
use crate::charts::Chart;
use crate::comparison::{Comparison, SideInfo, Skip, ERROR_RATE_SLACK, MIN_SAMPLES};
use crate::recording::Source;
use crate::RunId;
use std::fmt::Write as _;

/// The page for a comparison.
pub fn comparison_html(c: &Comparison, charts: &[Chart], run_id: &RunId) -> String {
    let o = &c.overall;
    let side = |s: &SideInfo| -> String {
        let src = match s.source {
            Source::Simulate => "simulated",
            Source::Loadtest => "load test",
        };
        match &s.target {
            Some(t) => format!("{} ({src} against {}, seed {})", s.scenario, t, s.seed),
            None => format!("{} ({src}, seed {})", s.scenario, s.seed),
        }
    };
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">dockmaster comparison · tolerance ±{}%</p>\n<h1>{} vs measured</h1>\n\
         <p class=\"lede\">Simulation: {}. Measurement: {}.</p>\n</header>",
        trim(c.tolerance * 100.0),
        esc(&c.sim.scenario),
        esc(&side(&c.sim)),
        esc(&side(&c.measured))
    );
    if !c.differences.is_empty() {
        // Compared only because the user said --allow-different: first
        // thing on the page, in the verdict's "missed" colours.
        let _ = writeln!(
            b,
            "<section class=\"verdict missed\" id=\"differences\">\n<h2>Not like with like</h2>\n\
             <p>These recordings come from different runs; the figures below compare them anyway \
             (--allow-different):</p>\n<ul>"
        );
        for d in &c.differences {
            let _ = writeln!(b, "<li>{}</li>", esc(d));
        }
        b.push_str("</ul>\n</section>\n");
    }
    let (class, head) = if c.pass() {
        ("met", "The model matches")
    } else {
        ("missed", "The model does not match")
    };
    let _ = writeln!(
        b,
        "<section class=\"verdict {class}\" id=\"verdict\">\n<h2>{head}</h2>"
    );
    let words = if o.windows_steady == 0 {
        "There is no steady window to judge, so there is no verdict.".to_string()
    } else {
        format!(
            "Over the {} steady windows pooled, the simulated p50, p90 and p99 are {}, {} and {} \
             away from the measured ones (tolerance ±{}%), and the error rates are {} and {}. \
             {} of the {} steady windows pass on their own.",
            o.windows_steady,
            signed_pct(o.rel_error.p50),
            signed_pct(o.rel_error.p90),
            signed_pct(o.rel_error.p99),
            trim(c.tolerance * 100.0),
            pct(o.sim.error_rate, 3),
            pct(o.measured.error_rate, 3),
            o.windows_passed,
            o.windows_steady
        )
    };
    let _ = writeln!(b, "<p>{}</p>", esc(&words));
    let failing: Vec<&str> = c.failing_services().map(|s| s.name.as_str()).collect();
    if !failing.is_empty() {
        let _ = writeln!(
            b,
            "<p>{}: {}.</p>",
            if o.pass {
                "The fleet matches, but not every service on its own"
            } else {
                "Services that do not match on their own"
            },
            esc(&failing.join(", "))
        );
    }
    b.push_str("</section>\n");

    b.push_str("<h2>Steady windows, pooled</h2>\n<table>\n<tr><th></th><th class=\"n\">sim</th><th class=\"n\">measured</th><th class=\"n\">relative error</th><th class=\"n\">within tolerance</th></tr>\n");
    let tol = c.tolerance;
    for (name, a, m, e) in [
        ("p50", o.sim.p50_ms, o.measured.p50_ms, o.rel_error.p50),
        ("p90", o.sim.p90_ms, o.measured.p90_ms, o.rel_error.p90),
        ("p99", o.sim.p99_ms, o.measured.p99_ms, o.rel_error.p99),
    ] {
        let ok = e.is_finite() && e.abs() <= tol;
        let _ = writeln!(
            b,
            "<tr><th>{name}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n {}\">{}</td></tr>",
            ms(a),
            ms(m),
            signed_pct(e),
            if ok { "pass" } else { "fail" },
            if ok { "yes" } else { "no" }
        );
    }
    let _ = writeln!(
        b,
        "<tr><th>error rate</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:+.3} pp</td><td class=\"n {}\">{}</td></tr>",
        pct(o.sim.error_rate, 3),
        pct(o.measured.error_rate, 3),
        o.error_rate_diff * 100.0,
        if o.error_rate_pass { "pass" } else { "fail" },
        if o.error_rate_pass { "yes" } else { "no" }
    );
    let _ = writeln!(
        b,
        "<tr><th>responses</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td><td></td></tr>\n</table>",
        count(o.sim.ok),
        count(o.measured.ok)
    );
    let skipped = |k: Skip| c.windows.iter().filter(|w| w.skipped == Some(k)).count();
    let _ = writeln!(
        b,
        "<p>{} windows start at the same time in both recordings (sim has {}, measured {}); {} are steady \
         and judged, {} skipped as warm-up, {} for having fewer than {MIN_SAMPLES} successful responses on a side, \
         {} cut short by the end of a run.</p>",
        o.windows_common,
        c.sim.windows,
        c.measured.windows,
        o.windows_steady,
        skipped(Skip::WarmUp),
        skipped(Skip::FewSamples),
        skipped(Skip::Partial)
    );
    let _ = writeln!(
        b,
        "<p class=\"missing\">Relative error = (sim − measured) / measured. A steady window is {}. \
         A window passes when {}. The verdict applies that test to the steady windows pooled \
         (error rates always agree within {} percentage points).</p>",
        esc(&Comparison::steady_rule()),
        esc(&c.pass_rule()),
        ERROR_RATE_SLACK * 100.0
    );
    if !c.notes.is_empty() {
        b.push_str("<ul>\n");
        for n in &c.notes {
            let _ = writeln!(b, "<li>{}</li>", esc(n));
        }
        b.push_str("</ul>\n");
    }
    if c.services.len() >= 2 {
        b.push_str(&services_table(c));
    }
    b.push_str("<h2>Charts</h2>\n");
    figures(&mut b, charts);

    b.push_str("<h2>Window by window</h2>\n<details><summary>every common window</summary>\n<table>\n\
        <tr><th class=\"n\">start</th><th class=\"n\">p50 sim</th><th class=\"n\">p50 meas</th><th class=\"n\">p99 sim</th>\
        <th class=\"n\">p99 meas</th><th class=\"n\">p99 err</th><th class=\"n\">err rate sim</th><th class=\"n\">err rate meas</th><th>judged</th></tr>\n");
    for w in &c.windows {
        let (class, verdict) = match (w.skipped, w.pass) {
            (Some(k), _) => ("skip", k.name().to_string()),
            (None, Some(true)) => ("pass", "pass".to_string()),
            _ => ("fail", "fail".to_string()),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{class}\">{verdict}</td></tr>",
            clock(w.t_start_s),
            ms(w.sim.p50_ms),
            ms(w.measured.p50_ms),
            ms(w.sim.p99_ms),
            ms(w.measured.p99_ms),
            signed_pct(w.rel_error.p99),
            pct(w.sim.error_rate, 3),
            pct(w.measured.error_rate, 3)
        );
    }
    b.push_str("</table>\n</details>\n");
    let _ = writeln!(
        b,
        "<footer>Written by <code>dockmaster compare</code>; the numbers are in comparison.json.</footer>"
    );
    page(
        &format!("{} · dockmaster comparison", c.sim.scenario),
        run_id,
        &b,
    )
}

/// Each service's steady windows pooled, one row each.
fn services_table(c: &Comparison) -> String {
    let mut b = String::from(
        "<h2>Per service</h2>\n<table>\n<tr><th>service</th><th class=\"n\">steady windows</th>\
         <th class=\"n\">p50 sim</th><th class=\"n\">p50 meas</th><th class=\"n\">p99 sim</th>\
         <th class=\"n\">p99 meas</th><th class=\"n\">worst rel err</th><th class=\"n\">err rate sim</th>\
         <th class=\"n\">err rate meas</th><th>judged</th></tr>\n",
    );
    for s in &c.services {
        let o = &s.overall;
        let (class, verdict) = match (s.judged(), o.pass) {
            (false, _) => ("skip", "too few requests"),
            (true, true) => ("pass", "pass"),
            (true, false) => ("fail", "fail"),
        };
        let _ = writeln!(
            b,
            "<tr><th>{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"{class}\">{verdict}</td></tr>",
            esc(&s.name),
            o.windows_steady,
            ms(o.sim.p50_ms),
            ms(o.measured.p50_ms),
            ms(o.sim.p99_ms),
            ms(o.measured.p99_ms),
            pct(o.rel_error.worst(), 1),
            pct(o.sim.error_rate, 3),
            pct(o.measured.error_rate, 3)
        );
    }
    let _ = writeln!(
        b,
        "</table>\n<p class=\"missing\">Each service's requests judged as the fleet's are: the same \
         steady rule and tolerance, over its own windows. The verdict is {}.</p>",
        esc(Comparison::verdict_rule())
    );
    b
}
