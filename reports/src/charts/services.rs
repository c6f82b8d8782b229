//! The per-service latency chart: behind one ALB a fast service can hide a
//! slow one in the fleet's percentiles, so each service gets its own p50
//! and p99 per window, with its own SLO target. Drawn only for a recording
//! of two services or more (with one, it is the fleet's latency chart).

use super::plot::{Axis, Figure, Line, Panel, Rgb, Rule};
use super::timeline::{ms, Context, BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION};

/// A colour per service, in scenario order (Okabe–Ito, as the other charts).
const COLORS: [Rgb; 6] = [BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY];

pub(crate) fn latency_by_service(ctx: &Context<'_>) -> Option<(Figure, String)> {
    let rec = ctx.rec;
    if rec.meta.services.len() < 2 || rec.services.iter().all(|s| s.ok == 0) {
        return None;
    }
    let mut p = Panel::new(Axis::log("latency (ms, log scale)"), 380);
    for (i, m) in rec.meta.services.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let percentile = |get: fn(&crate::LatencyStats) -> f64| {
            ctx.series(|k| {
                rec.windows[k]
                    .services
                    .get(i)
                    .map_or(f64::NAN, |s| get(&s.latency))
            })
        };
        p.lines.push(Line::new(
            format!("{} p99", m.name),
            color,
            percentile(|l| l.p99_ms),
        ));
        p.lines.push(
            Line::new(format!("{} p50", m.name), color, percentile(|l| l.p50_ms))
                .width(1)
                .dashed(),
        );
        if let Some(y) = m.slo.p99_ms {
            p.rules.push(Rule {
                label: format!("{} SLO p99 ≤ {}", m.name, ms(y)),
                color,
                y,
            });
        }
    }
    let mut caption = "Each service's latency of successful responses per window: p99 solid, \
        p50 dashed, one colour per service (log scale)."
        .to_string();
    if !p.rules.is_empty() {
        caption.push_str(" Dashed rules: a service's own p99 target, in its colour.");
    }
    Some((ctx.figure("Latency per service", vec![p]), caption))
}
