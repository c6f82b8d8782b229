//! The SLO verdict: the scenario's objectives checked against a run.

use super::*;

impl Recording {
    /// Checks `meta.slo` against the whole run, in the order p50, p90, p99,
    /// error_rate. A latency objective with no successful response to
    /// measure is met only if nothing failed either (an idle run). No SLO:
    /// met, no checks.
    pub fn slo_verdict(&self) -> SloVerdict {
        let lat = self.latency();
        let slo = &self.meta.slo;
        let mut checks = Vec::new();
        for (name, target, actual) in [
            ("p50", slo.p50_ms, lat.p50_ms),
            ("p90", slo.p90_ms, lat.p90_ms),
            ("p99", slo.p99_ms, lat.p99_ms),
        ] {
            if let Some(target) = target {
                let met = if actual.is_nan() {
                    self.errors() == 0
                } else {
                    actual <= target
                };
                checks.push(SloCheck {
                    name: name.to_string(),
                    target,
                    actual,
                    met,
                });
            }
        }
        if let Some(target) = slo.error_rate {
            let actual = self.error_rate();
            checks.push(SloCheck {
                name: "error_rate".to_string(),
                target,
                actual,
                met: actual <= target,
            });
        }
        SloVerdict {
            met: checks.iter().all(|c| c.met),
            checks,
        }
    }
}
