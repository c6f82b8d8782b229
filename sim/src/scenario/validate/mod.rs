//! Raw → model: every value checked, every default applied, every name
//! resolved, and every problem collected (validation never stops at the
//! first).
//!
//! Each check says what is allowed in words a scenario author uses; the
//! defaults are the `DEFAULT_*` constants of `raw.rs`, documented there.

use super::describe::format_duration;
use super::error::{Problem, MISSING};
use super::expr;
use super::raw::{self, quote, render, RawDist, Value};
use super::*;
use crate::catalogue;
use crate::time::{parse_duration, Nanos, NANOS_PER_SEC};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

mod cluster;
mod dist;
mod events;
mod fields;
mod load_balancer;
mod placement;
mod services;
mod traffic;

use fields::{Dur, Int, Number, OneOf, ServiceName, Text};

use super::limits::*;

/// ECS limits, docs/aws-behaviour.md §1.4.
const MAX_STRATEGIES: usize = 5;
const MAX_CONSTRAINTS: usize = 10;
/// Minimum container memory, docs/aws-behaviour.md §1.1.
const MIN_TASK_MEMORY: u32 = 6;

const DURATION_WORDS: &str =
    "a duration with a unit (ns, us, ms, s, m, h, d), e.g. \"40ms\" or \"5m\"";
const CV_WORDS: &str = "a coefficient of variation from 0.000001 to 100";

/// Checks a raw scenario. `base_dir` resolves `empirical` files;
/// `default_name` names a scenario without `name`.
pub fn validate(
    raw: &raw::RawScenario,
    text: &str,
    base_dir: &Path,
    default_name: &str,
) -> Result<Scenario, Vec<Problem>> {
    let mut ck = Checker {
        problems: Vec::new(),
        base_dir,
    };
    let s = ck.scenario(raw, text, default_name);
    if ck.problems.is_empty() {
        ck.work(&s);
    }
    if ck.problems.is_empty() {
        Ok(s)
    } else {
        Err(ck.problems)
    }
}

struct Checker<'a> {
    problems: Vec<Problem>,
    base_dir: &'a Path,
}

/// The span of a scenario, for checks of times against it.
#[derive(Clone, Copy)]
struct Span(Option<Nanos>);

/// What services and events need of the cluster, known even when another
/// part of `[cluster]` is wrong: the instance type if it resolved, the AZs if
/// their list is valid.
#[derive(Default)]
struct Fleet {
    instance_type: Option<InstanceType>,
    azs: Option<Vec<String>>,
    cpu_period: Option<Nanos>,
}

impl Checker<'_> {
    fn scenario(&mut self, raw: &raw::RawScenario, text: &str, default_name: &str) -> Scenario {
        let name = self
            .field("name", &raw.name, Text("a non-empty string"))
            .or(default_name.to_string());
        let duration_words = format!(
            "a duration of at least {} (one reporting window) with a unit, e.g. \"10m\" or \"2h\"",
            format_duration(MIN_WINDOW)
        );
        let duration = self
            .field(
                "duration",
                &raw.duration,
                Dur(|d| d >= MIN_WINDOW, &duration_words),
            )
            .required();
        let span = Span(duration);
        let seed = match &raw.seed {
            None => Some(raw::DEFAULT_SEED),
            Some(v) => self
                .check("seed", v, Int(0, i64::MAX, "a whole number >= 0"))
                .map(|s| s as u64),
        };
        // At least MIN_WINDOW, and no more than MAX_WINDOWS of them in the run.
        let shortest = duration.map_or(MIN_WINDOW, |d| MIN_WINDOW.max(d.div_ceil(MAX_WINDOWS)));
        let window_words = match duration {
            Some(d) if shortest > MIN_WINDOW => format!(
                "a duration > 0: at least {} and at most the scenario duration ({}) \
                 (at most {MAX_WINDOWS} windows per run)",
                format_duration(shortest),
                format_duration(d)
            ),
            Some(d) => format!(
                "a duration > 0: at least {} and at most the scenario duration ({})",
                format_duration(MIN_WINDOW),
                format_duration(d)
            ),
            None => format!(
                "a duration > 0: at least {} and at most the scenario duration",
                format_duration(MIN_WINDOW)
            ),
        };
        let window = self
            .field(
                "window",
                &raw.window,
                Dur(
                    |w| w >= shortest && !matches!(duration, Some(d) if w > d),
                    &window_words,
                ),
            )
            .or(raw::DEFAULT_WINDOW);
        // A window longer than the run, when the window is the default.
        if raw.window.is_none() {
            if let (Some(d), Some(w)) = (duration, window) {
                if w > d {
                    self.bad(
                        "window",
                        format!("(default {})", format_duration(w)),
                        format!("{window_words}: set window for so short a scenario"),
                    );
                }
            }
        }

        let (fleet, asg) = match &raw.cluster {
            Some(c) => self.cluster(c),
            None => {
                self.missing(
                    "cluster",
                    "a [cluster] table with instance_type, azs and [cluster.asg]",
                );
                (Fleet::default(), None)
            }
        };
        let services = match &raw.services {
            Some(list) if !list.is_empty() => {
                if list.len() > MAX_SERVICES {
                    self.bad(
                        "services",
                        format!("({} services)", list.len()),
                        format!("at most {MAX_SERVICES} services (every arrival looks at each service's next one)"),
                    );
                }
                self.services(list, &fleet)
            }
            Some(_) => {
                self.bad("services", "[]", "at least one [[services]] table");
                Vec::new()
            }
            None => {
                self.missing("services", "at least one [[services]] table");
                Vec::new()
            }
        };
        let load_balancer = self.load_balancer(raw.load_balancer.as_ref());
        let traffic = match &raw.traffic {
            Some(t) => self.traffic(t, &services, span),
            None => {
                self.missing("traffic", "a [traffic] table with a profile");
                None
            }
        };
        let events = self.events(
            raw.events.as_deref().unwrap_or(&[]),
            &services,
            &fleet,
            span,
        );
        let mtbf_words = format!(
            "a mean time between failures of one host of at least {}, e.g. \"30d\"",
            format_duration(MIN_MTBF)
        );
        let faults = match &raw.faults {
            None => Faults::default(),
            Some(f) => Faults {
                instance_mtbf: self
                    .field(
                        "faults.instance_mtbf",
                        &f.instance_mtbf,
                        Dur(|d| d >= MIN_MTBF, &mtbf_words),
                    )
                    .optional(),
            },
        };
        let slo = match &raw.slo {
            None => Slo::default(),
            Some(s) => self.slo("slo", s),
        };

        Scenario {
            name: name.unwrap_or_default(),
            duration: duration.unwrap_or(0),
            seed: seed.unwrap_or(raw::DEFAULT_SEED),
            window: window.unwrap_or(raw::DEFAULT_WINDOW),
            cluster: match (fleet.instance_type, fleet.azs, asg, fleet.cpu_period) {
                (Some(instance_type), Some(azs), Some(asg), Some(cpu_period)) => Cluster {
                    instance_type,
                    azs,
                    asg,
                    cpu_period,
                },
                _ => placeholder_cluster(),
            },
            services,
            load_balancer,
            traffic: traffic.unwrap_or(Traffic {
                arrivals: ArrivalProcess::Poisson,
                profile: Vec::new(),
                mix: Vec::new(),
            }),
            events,
            faults,
            slo,
            source_text: text.to_string(),
        }
    }

    /// Every value is within its bounds; their product must fit too: the
    /// memory and events of one run (`crate::estimate`).
    fn work(&mut self, s: &Scenario) {
        use crate::estimate::{
            bytes_text, duration_words, WorkEstimate, TYPICAL_EVENTS_PER_SECOND,
        };
        let w = WorkEstimate::of(s);
        if w.peak_memory_bytes > MAX_PEAK_MEMORY {
            let most = w.memory_parts.first().map_or(String::new(), |(what, b)| {
                format!("; the most is {what} ({})", bytes_text(*b))
            });
            self.bad(
                "(scenario)",
                format!("(peak memory about {})", bytes_text(w.peak_memory_bytes)),
                format!(
                    "at most {} of peak memory for one run{most}: fewer tasks or slots, \
                     fewer windows (a longer window) or a shorter run",
                    bytes_text(MAX_PEAK_MEMORY)
                ),
            );
        }
        if w.events as f64 > MAX_EVENTS {
            self.bad(
                "(scenario)",
                format!("(about {:.1e} events)", w.events as f64),
                format!(
                    "at most {MAX_EVENTS:.0e} events per run ({} at {} M events/s): \
                     less traffic, fewer tasks, a shorter run",
                    duration_words(MAX_EVENTS / TYPICAL_EVENTS_PER_SECOND),
                    TYPICAL_EVENTS_PER_SECOND / 1e6
                ),
            );
        }
    }

    /// The objectives of `[slo]` or of `services[i].slo` (`path`).
    pub(super) fn slo(&mut self, path: &str, s: &raw::RawSlo) -> Slo {
        let words = "a latency > 0, e.g. \"300ms\"";
        let p = |f: &str| format!("{path}.{f}");
        Slo {
            p50: self
                .field(&p("p50"), &s.p50, Dur(|d| d > 0, words))
                .optional(),
            p90: self
                .field(&p("p90"), &s.p90, Dur(|d| d > 0, words))
                .optional(),
            p99: self
                .field(&p("p99"), &s.p99, Dur(|d| d > 0, words))
                .optional(),
            error_rate: self
                .field(
                    &p("error_rate"),
                    &s.error_rate,
                    Number(
                        |r| (0.0..=1.0).contains(&r),
                        "a share of requests from 0 to 1, e.g. 0.001",
                    ),
                )
                .optional(),
        }
    }
}

fn placeholder_cluster() -> Cluster {
    Cluster {
        cpu_period: raw::DEFAULT_CPU_PERIOD,
        instance_type: catalogue::builtin()[0].clone(),
        azs: Vec::new(),
        asg: Asg {
            min: 0,
            max: 0,
            desired: 0,
            launch_time: Dist::Constant(0),
            scaling: None,
        },
    }
}
