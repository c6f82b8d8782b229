//! What a recording keeps of the scenario: its name, seed, window and
//! objectives, the fleet's and each service's, in `reports`' vocabulary.
//! The simulator and the load generator both start their `Meta` here, so
//! the two halves name a scenario the same way.

use super::{Scenario, Service, Slo};
use crate::time::{Nanos, NANOS_PER_MILLI, NANOS_PER_SEC};
use dockmaster_reports::{Meta, Replay, ServiceMeta, SloSpec, Source};

impl Scenario {
    /// The recording's `Meta` for a run of the whole scenario from `seed`,
    /// as a simulation makes it (no wall clock, no target, the scenario's
    /// own arrivals); a load test overrides what differs.
    pub fn meta(&self, seed: u64, source: Source) -> Meta {
        Meta {
            scenario: self.name.clone(),
            seed,
            source,
            version: env!("CARGO_PKG_VERSION").to_string(),
            window_s: secs(self.window),
            duration_s: secs(self.duration),
            slo: self.slo.spec(),
            start_unix_s: 0.0,
            target: None,
            scenario_text: self.source_text.clone(),
            replay: Replay::default(),
            scenario_summary: Some(self.summary()),
            services: self.services.iter().map(Service::meta).collect(),
        }
    }
}

impl Slo {
    /// The objectives in milliseconds, as a recording judges them.
    pub fn spec(&self) -> SloSpec {
        SloSpec {
            p50_ms: self.p50.map(ms),
            p90_ms: self.p90.map(ms),
            p99_ms: self.p99.map(ms),
            error_rate: self.error_rate,
        }
    }
}

impl Service {
    /// The service as a recording names it.
    pub fn meta(&self) -> ServiceMeta {
        ServiceMeta {
            name: self.name.clone(),
            slo: self.slo.spec(),
        }
    }
}

fn secs(ns: Nanos) -> f64 {
    ns as f64 / NANOS_PER_SEC as f64
}

fn ms(ns: Nanos) -> f64 {
    ns as f64 / NANOS_PER_MILLI as f64
}
