//! The short human table `simulate` and `loadtest` print.

use super::*;
use std::fmt::Write as _;

impl Recording {
    /// A short human table for the terminal.
    pub fn summary_table(&self) -> String {
        let m = &self.meta;
        let mut s = String::new();
        let source = match m.source {
            Source::Simulate => "simulate",
            Source::Loadtest => "loadtest",
        };
        let _ = writeln!(
            s,
            "{} · seed {} · {source} · dockmaster {} · {} s in {} windows of {} s",
            m.scenario,
            m.seed,
            m.version,
            files::fmt_trim(m.duration_s, 3),
            self.windows.len(),
            files::fmt_trim(m.window_s, 3),
        );
        if let Some(t) = &m.target {
            let _ = writeln!(s, "{:<14}{t}", "target");
        }
        let errors = self.errors();
        let _ = writeln!(s, "{:<14}{:>12}", "requests", self.offered);
        let _ = writeln!(s, "{:<14}{:>12}", "ok", self.ok);
        let _ = writeln!(
            s,
            "{:<14}{:>12}  ({:.3}%)",
            "errors",
            errors,
            self.error_rate() * 100.0
        );
        for (k, c) in &self.errors_by_kind {
            if *c > 0 {
                let _ = writeln!(s, "  {:<12}{:>12}", k.name(), c);
            }
        }
        let in_flight = self.offered.saturating_sub(self.ok + errors);
        if in_flight > 0 {
            let _ = writeln!(s, "{:<14}{:>12}", "unfinished", in_flight);
        }
        let lat = self.latency();
        let _ = writeln!(
            s,
            "{:<14}mean {}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            "latency ms",
            fmt_ms(lat.mean_ms),
            fmt_ms(lat.p50_ms),
            fmt_ms(lat.p90_ms),
            fmt_ms(lat.p99_ms),
            fmt_ms(lat.p999_ms),
            fmt_ms(lat.max_ms),
        );
        if let Some(r) = &self.replications {
            let _ = writeln!(
                s,
                "{:<14}n={} (counts above are totals over all replications)",
                "replications", r.n
            );
            for (name, c) in r.latency_ms.named() {
                let label = if name == "p999" { "p99.9" } else { name };
                let _ = writeln!(
                    s,
                    "  {label} {} ms (95% CI {}–{}, n={})",
                    fmt_ms(c.mean),
                    fmt_ms(c.lo),
                    fmt_ms(c.hi),
                    r.n
                );
            }
            let e = r.error_rate;
            let _ = writeln!(
                s,
                "  error rate {:.3}% (95% CI {:.3}–{:.3}%, n={})",
                e.mean * 100.0,
                e.lo * 100.0,
                e.hi * 100.0,
                r.n
            );
        }
        if let Some(h) = self.hosts_peak {
            let _ = writeln!(s, "{:<14}{:>12}", "hosts peak", h);
        }
        if let Some(t) = self.tasks_peak {
            let _ = writeln!(s, "{:<14}{:>12}", "tasks peak", t);
        }
        if let Some(c) = self.cost_usd {
            let _ = write!(s, "{:<14}{:>12}", "cost", format!("${c:.2}"));
            match self.cost_usd_per_month() {
                Some(m) => {
                    let _ = writeln!(s, "  (${m:.0} a month at this run's mean hourly cost)");
                }
                None => s.push('\n'),
            }
        }
        let v = self.slo_verdict();
        if v.checks.is_empty() {
            let _ = write!(s, "{:<14}none set", "SLO");
        } else {
            let parts: Vec<String> = v
                .checks
                .iter()
                .map(|c| {
                    let op = if c.met { "≤" } else { ">" };
                    let mark = if c.met { "ok" } else { "MISSED" };
                    if c.name == "error_rate" {
                        format!(
                            "error rate {:.3}% {op} {:.3}% {mark}",
                            c.actual * 100.0,
                            c.target * 100.0
                        )
                    } else if c.actual.is_nan() {
                        format!("{} – (no responses) {mark}", c.name)
                    } else {
                        format!(
                            "{} {} {op} {} ms {mark}",
                            c.name,
                            fmt_ms(c.actual),
                            fmt_ms(c.target)
                        )
                    }
                })
                .collect();
            let _ = write!(
                s,
                "{:<14}{}: {}",
                "SLO",
                if v.met { "MET" } else { "NOT MET" },
                parts.join(", ")
            );
        }
        s
    }
}

/// Milliseconds for people: about 3 significant digits, `–` for none.
fn fmt_ms(x: f64) -> String {
    if !x.is_finite() {
        "–".to_string()
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}
