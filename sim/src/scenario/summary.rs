//! The scenario as a recording's report tells it
//! ([`dockmaster_reports::ScenarioSummary`]): taken from the validated
//! scenario, so the report says what ran (defaults applied, names
//! resolved), and the reports crate never reads the scenario format.

use super::*;
use crate::time::NANOS_PER_SEC;
use dockmaster_reports::scenario_summary::{
    Arrivals, EventAction, EventSummary, FleetSummary, ScalingPolicy, ServiceSummary,
    TrafficSummary,
};
use dockmaster_reports::ScenarioSummary;

impl Scenario {
    /// What a recording of this scenario says about it.
    pub fn summary(&self) -> ScenarioSummary {
        let c = &self.cluster;
        let rps = self.traffic.profile.iter().map(|p| p.rps);
        ScenarioSummary {
            description: leading_comment(&self.source_text),
            fleet: FleetSummary {
                instance_type: c.instance_type.name.clone(),
                azs: c.azs.clone(),
                asg_min: c.asg.min,
                asg_max: c.asg.max,
                asg_desired: c.asg.desired,
                scaling: c.asg.scaling.as_ref().map(|s| match s {
                    AsgScaling::TargetTracking { .. } => ScalingPolicy::TargetTracking,
                    AsgScaling::Managed { .. } => ScalingPolicy::Managed,
                }),
            },
            services: self
                .services
                .iter()
                .map(|s| ServiceSummary {
                    name: s.name.clone(),
                    desired: s.desired,
                    autoscaled: s.autoscaling.is_some(),
                })
                .collect(),
            traffic: TrafficSummary {
                arrivals: match self.traffic.arrivals {
                    ArrivalProcess::Poisson => Arrivals::Poisson,
                    ArrivalProcess::Uniform => Arrivals::Uniform,
                },
                min_rps: rps.clone().fold(f64::INFINITY, f64::min),
                peak_rps: self.traffic.peak_rps(),
            },
            events: self.events.iter().map(|e| self.event(e)).collect(),
        }
    }

    fn event(&self, e: &ScriptedEvent) -> EventSummary {
        let service = |i: usize| self.services[i].name.clone();
        let (action, subject) = match &e.action {
            Action::Deploy { service: s } => (EventAction::Deploy, service(*s)),
            Action::FailInstance { host } => (
                EventAction::FailInstance,
                match host {
                    HostSelector::Random => "random".to_string(),
                    HostSelector::Id(id) => id.clone(),
                },
            ),
            Action::FailAz { az } => (EventAction::FailAz, self.cluster.azs[*az].clone()),
            Action::SpotInterruption { count } => {
                (EventAction::SpotInterruption, count.to_string())
            }
            Action::ScaleService { service: s, .. } => (EventAction::ScaleService, service(*s)),
        };
        EventSummary {
            at_s: e.at as f64 / NANOS_PER_SEC as f64,
            action,
            subject,
        }
    }
}

/// The file's leading comment lines, joined into one paragraph (blank
/// lines among them skipped); empty when the file starts with a key.
fn leading_comment(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .filter_map(|l| l.strip_prefix('#'))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_summary_says_what_validation_resolved() {
        let text = "# A sale.\n#\n# Big one.\nname = \"s\"\nduration = \"10m\"\n\
             [cluster]\ninstance_type = \"m5.large\"\nazs = [\"a\", \"b\"]\n\
             [cluster.asg]\nmin = 2\nmax = 6\ndesired = 3\n\
             scaling = { policy = \"managed\" }\n\
             [[services]]\nname = \"api\"\ndesired = 4\ncpu = 256\nmemory = 512\nconcurrency = 8\nservice_time = { dist = \"exponential\", mean = \"20ms\" }\n\
             [traffic]\nprofile = [ { at = \"0s\", rps = 10 }, { at = \"5m\", rps = 40 } ]\n\
             [[events]]\nat = \"5m\"\naction = \"fail_az\"\naz = \"b\"\n\
             [[events]]\nat = \"1m\"\naction = \"fail_instance\"\n";
        let s = parse(text, Path::new(".")).unwrap().summary();
        assert_eq!(s.description, "A sale. Big one.");
        assert_eq!(
            leading_comment("# one\n# two\n\nname = \"x\"\n# not this"),
            "one two"
        );
        assert_eq!(s.fleet.instance_type, "m5.large");
        assert_eq!(s.fleet.azs, ["a", "b"]);
        assert_eq!(
            (s.fleet.asg_min, s.fleet.asg_max, s.fleet.asg_desired),
            (2, 6, 3)
        );
        assert_eq!(s.fleet.scaling, Some(ScalingPolicy::Managed));
        assert_eq!(s.services.len(), 1);
        assert!(!s.services[0].autoscaled);
        assert_eq!((s.traffic.min_rps, s.traffic.peak_rps), (10.0, 40.0));
        assert_eq!(s.traffic.arrivals, Arrivals::Poisson);
        // Sorted by time; the host defaults to a random one.
        assert_eq!(s.events[0].action, EventAction::FailInstance);
        assert_eq!(s.events[0].subject, "random");
        assert_eq!(
            (s.events[1].at_s, s.events[1].subject.as_str()),
            (300.0, "b")
        );
    }
}
