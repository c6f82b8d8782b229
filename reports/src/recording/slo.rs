//! The SLO verdict: the scenario's objectives, the fleet's (`[slo]`) and
//! each service's (`services[].slo`), checked against a run.

use super::*;

impl Recording {
    /// Checks `meta.slo` against the whole run, then each service's
    /// objectives against that service's requests, each in the order p50,
    /// p90, p99, error_rate. A latency objective with no successful
    /// response to measure is met only if nothing failed either (an idle
    /// run). No SLO anywhere: met, no checks.
    pub fn slo_verdict(&self) -> SloVerdict {
        let mut checks = objectives(
            None,
            &self.meta.slo,
            &self.latency(),
            self.errors(),
            self.error_rate(),
        );
        for (m, s) in self.meta.services.iter().zip(&self.services) {
            checks.extend(objectives(
                Some(&m.name),
                &m.slo,
                &s.latency(),
                s.errors(),
                s.error_rate(),
            ));
        }
        SloVerdict {
            met: checks.iter().all(|c| c.met),
            checks,
        }
    }
}

impl SloVerdict {
    /// The checks of one service (`Some(name)`) or of the fleet (`None`).
    pub fn of<'a>(&'a self, service: Option<&'a str>) -> impl Iterator<Item = &'a SloCheck> + 'a {
        self.checks
            .iter()
            .filter(move |c| c.service.as_deref() == service)
    }
}

/// The checks of one objective set against what it covers.
fn objectives(
    service: Option<&str>,
    slo: &SloSpec,
    lat: &LatencyStats,
    errors: u64,
    error_rate: f64,
) -> Vec<SloCheck> {
    let check = |name: &str, target: f64, actual: f64, met: bool| SloCheck {
        service: service.map(str::to_string),
        name: name.to_string(),
        target,
        actual,
        met,
    };
    let mut checks = Vec::new();
    for (name, target, actual) in [
        ("p50", slo.p50_ms, lat.p50_ms),
        ("p90", slo.p90_ms, lat.p90_ms),
        ("p99", slo.p99_ms, lat.p99_ms),
    ] {
        if let Some(target) = target {
            let met = if actual.is_nan() {
                errors == 0
            } else {
                actual <= target
            };
            checks.push(check(name, target, actual, met));
        }
    }
    if let Some(target) = slo.error_rate {
        checks.push(check(
            "error_rate",
            target,
            error_rate,
            error_rate <= target,
        ));
    }
    checks
}
