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

/// Largest ASG, AWS_MODEL.md §1.2 (5,000 container instances per cluster).
const MAX_HOSTS: i64 = 5000;
/// ECS limits, AWS_MODEL.md §1.4.
const MAX_STRATEGIES: usize = 5;
const MAX_CONSTRAINTS: usize = 10;
/// Minimum container memory, AWS_MODEL.md §1.1.
const MIN_TASK_MEMORY: i64 = 6;

const DURATION_WORDS: &str =
    "a duration with a unit (ns, us, ms, s, m, h, d), e.g. \"40ms\" or \"5m\"";
const CV_WORDS: &str = "a coefficient of variation > 0";

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
    // ------------------------------------------------------------ primitives

    fn bad(&mut self, path: &str, value: impl Into<String>, allowed: impl Into<String>) {
        self.problems.push(Problem::new(path, value, allowed));
    }

    fn missing(&mut self, path: &str, allowed: &str) {
        self.bad(path, MISSING, format!("required: {allowed}"));
    }

    /// The value if present; a "required" problem if not.
    fn req<'v>(&mut self, path: &str, v: &'v Option<Value>, allowed: &str) -> Option<&'v Value> {
        if v.is_none() {
            self.missing(path, allowed);
        }
        v.as_ref()
    }

    /// A whole number in `lo..=hi`.
    fn int(&mut self, path: &str, v: &Value, lo: i64, hi: i64, allowed: &str) -> Option<i64> {
        match v {
            Value::Integer(i) if (lo..=hi).contains(i) => Some(*i),
            _ => {
                self.bad(path, render(v), allowed);
                None
            }
        }
    }

    fn u32_req(
        &mut self,
        path: &str,
        v: &Option<Value>,
        lo: u32,
        hi: u32,
        allowed: &str,
    ) -> Option<u32> {
        let v = self.req(path, v, allowed)?;
        self.int(path, v, lo.into(), hi.into(), allowed)
            .map(|i| i as u32)
    }

    fn u32_or(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: u32,
        lo: u32,
        hi: u32,
        allowed: &str,
    ) -> Option<u32> {
        match v {
            None => Some(default),
            Some(v) => self
                .int(path, v, lo.into(), hi.into(), allowed)
                .map(|i| i as u32),
        }
    }

    /// A finite number (integer or float) for which `ok` holds.
    fn num(
        &mut self,
        path: &str,
        v: &Value,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> Option<f64> {
        let x = match v {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            _ => None,
        };
        match x {
            Some(x) if ok(x) => Some(x),
            _ => {
                self.bad(path, render(v), allowed);
                None
            }
        }
    }

    fn num_req(
        &mut self,
        path: &str,
        v: &Option<Value>,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> Option<f64> {
        let v = self.req(path, v, allowed)?;
        self.num(path, v, ok, allowed)
    }

    fn num_or(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: f64,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> Option<f64> {
        match v {
            None => Some(default),
            Some(v) => self.num(path, v, ok, allowed),
        }
    }

    /// A duration string with a unit, for which `ok` holds (`allowed` says
    /// what `ok` wants). Unit mistakes get the unit message.
    fn dur(
        &mut self,
        path: &str,
        v: &Value,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        let Value::String(s) = v else {
            let words = if matches!(v, Value::Integer(_) | Value::Float(_)) {
                format!("{DURATION_WORDS}; a bare number has no unit")
            } else {
                DURATION_WORDS.to_string()
            };
            self.bad(path, render(v), words);
            return None;
        };
        if s.trim_start().starts_with('-') {
            self.bad(path, render(v), allowed);
            return None;
        }
        match parse_duration(s) {
            Ok(ns) if ok(ns) => Some(ns),
            Ok(_) => {
                self.bad(path, render(v), allowed);
                None
            }
            Err(msg) => {
                let has_number = s
                    .trim_start()
                    .starts_with(|c: char| c.is_ascii_digit() || c == '.');
                let words = if has_number && msg.starts_with("unknown unit") {
                    msg
                } else {
                    DURATION_WORDS.to_string()
                };
                self.bad(path, render(v), words);
                None
            }
        }
    }

    fn dur_req(
        &mut self,
        path: &str,
        v: &Option<Value>,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        let v = self.req(path, v, allowed)?;
        self.dur(path, v, ok, allowed)
    }

    fn dur_or(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: Nanos,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        match v {
            None => Some(default),
            Some(v) => self.dur(path, v, ok, allowed),
        }
    }

    fn dur_opt(
        &mut self,
        path: &str,
        v: &Option<Value>,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        v.as_ref().and_then(|v| self.dur(path, v, ok, allowed))
    }

    /// A non-empty string.
    fn text(&mut self, path: &str, v: &Value, allowed: &str) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => {
                self.bad(path, render(v), allowed);
                None
            }
        }
    }

    fn text_req(&mut self, path: &str, v: &Option<Value>, allowed: &str) -> Option<String> {
        let v = self.req(path, v, allowed)?;
        self.text(path, v, allowed)
    }

    /// One of a fixed set of words.
    fn choice<T: Copy>(&mut self, path: &str, v: &Value, choices: &[(&str, T)]) -> Option<T> {
        if let Value::String(s) = v {
            if let Some((_, t)) = choices.iter().find(|(name, _)| name == s) {
                return Some(*t);
            }
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        self.bad(path, render(v), format!("one of {}", names.join(", ")));
        None
    }

    fn choice_or<T: Copy>(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: T,
        choices: &[(&str, T)],
    ) -> Option<T> {
        match v {
            None => Some(default),
            Some(v) => self.choice(path, v, choices),
        }
    }

    fn choice_req<T: Copy>(
        &mut self,
        path: &str,
        v: &Option<Value>,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let v = self.req(path, v, &format!("one of {}", names.join(", ")))?;
        self.choice(path, v, choices)
    }

    // ------------------------------------------------------------ sections

    fn scenario(&mut self, raw: &raw::RawScenario, text: &str, default_name: &str) -> Scenario {
        let name = match &raw.name {
            None => Some(default_name.to_string()),
            Some(v) => self.text("name", v, "a non-empty string"),
        };
        let duration = self.dur_req(
            "duration",
            &raw.duration,
            |d| d > 0,
            "a duration > 0 with a unit, e.g. \"10m\" or \"2h\"",
        );
        let span = Span(duration);
        let seed = match &raw.seed {
            None => Some(raw::DEFAULT_SEED),
            Some(v) => self
                .int("seed", v, 0, i64::MAX, "a whole number >= 0")
                .map(|s| s as u64),
        };
        let window_words = match duration {
            Some(d) => format!(
                "a duration > 0 and at most the scenario duration ({})",
                format_duration(d)
            ),
            None => "a duration > 0 and at most the scenario duration".to_string(),
        };
        let window = self.dur_or(
            "window",
            &raw.window,
            raw::DEFAULT_WINDOW,
            |w| w > 0 && !matches!(duration, Some(d) if w > d),
            &window_words,
        );
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
            Some(list) if !list.is_empty() => self.services(list, &fleet),
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
        let faults = match &raw.faults {
            None => Faults::default(),
            Some(f) => Faults {
                instance_mtbf: self.dur_opt(
                    "faults.instance_mtbf",
                    &f.instance_mtbf,
                    |d| d > 0,
                    "a mean time between failures > 0, e.g. \"30d\"",
                ),
            },
        };
        let slo = match &raw.slo {
            None => Slo::default(),
            Some(s) => self.slo(s),
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

    fn cluster(&mut self, c: &raw::RawCluster) -> (Fleet, Option<Asg>) {
        // Custom types first: they extend the catalogue and may replace a
        // built-in type of the same name.
        let mut custom: BTreeMap<String, InstanceType> = BTreeMap::new();
        for (i, t) in c
            .instance_types
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let path = format!("cluster.instance_types[{i}]");
            if let Some(it) = self.instance_type(&path, t) {
                if custom.contains_key(&it.name) {
                    self.bad(
                        &format!("{path}.name"),
                        quote(&it.name),
                        "a name not used by another [[cluster.instance_types]] entry",
                    );
                } else {
                    custom.insert(it.name.clone(), it);
                }
            }
        }
        let mut known: Vec<String> = catalogue::names().into_iter().map(str::to_string).collect();
        for name in custom.keys() {
            if !known.contains(name) {
                known.push(name.clone());
            }
        }
        let type_words = format!(
            "an instance type of the catalogue ({}) or of [[cluster.instance_types]]",
            known.join(", ")
        );
        let instance_type = self
            .text_req("cluster.instance_type", &c.instance_type, &type_words)
            .and_then(|name| {
                let found = custom
                    .get(&name)
                    .cloned()
                    .or_else(|| catalogue::lookup(&name));
                if found.is_none() {
                    self.bad("cluster.instance_type", quote(&name), type_words.clone());
                }
                found
            });

        let azs_words = "at least one availability zone, e.g. [\"us-east-1a\", \"us-east-1b\"]";
        let mut azs: Vec<String> = Vec::new();
        let problems_before = self.problems.len();
        match &c.azs {
            None => self.missing("cluster.azs", azs_words),
            Some(list) if list.is_empty() => self.bad("cluster.azs", "[]", azs_words),
            Some(list) => {
                for (i, v) in list.iter().enumerate() {
                    let path = format!("cluster.azs[{i}]");
                    if let Some(az) =
                        self.text(&path, v, "an availability zone name, e.g. \"us-east-1a\"")
                    {
                        if azs.contains(&az) {
                            self.bad(&path, render(v), "an availability zone not already listed");
                        } else {
                            azs.push(az);
                        }
                    }
                }
            }
        }

        let azs = (self.problems.len() == problems_before).then_some(azs);
        let asg = match &c.asg {
            Some(a) => self.asg(a),
            None => {
                self.missing("cluster.asg", "a [cluster.asg] table with min and max");
                None
            }
        };
        let cpu_period = self.dur_or(
            "cluster.cpu_period",
            &c.cpu_period,
            raw::DEFAULT_CPU_PERIOD,
            |d| (raw::MIN_CPU_PERIOD..=raw::MAX_CPU_PERIOD).contains(&d),
            "a duration from 8ms to 100ms (the ECS agent's ECS_CGROUP_CPU_PERIOD range)",
        );
        (
            Fleet {
                instance_type,
                azs,
                cpu_period,
            },
            asg,
        )
    }

    fn instance_type(&mut self, path: &str, t: &raw::RawInstanceType) -> Option<InstanceType> {
        let name = self.text_req(
            &format!("{path}.name"),
            &t.name,
            "an instance type name, e.g. \"x9.large\"",
        );
        let vcpu = self.u32_req(
            &format!("{path}.vcpu"),
            &t.vcpu,
            1,
            4096,
            "a whole number of vCPUs from 1 to 4096",
        );
        let memory = self.u32_req(
            &format!("{path}.memory"),
            &t.memory,
            1,
            u32::MAX,
            "a whole number of MiB >= 1 (nominal memory)",
        );
        let price = self.num_req(
            &format!("{path}.price_per_hour"),
            &t.price_per_hour,
            |p| p >= 0.0,
            "a price in USD per hour >= 0",
        );
        let registered = match (&t.registered_memory, memory) {
            (None, m) => m.map(catalogue::default_registered_memory),
            (Some(v), m) => {
                let hi = m.unwrap_or(u32::MAX);
                self.int(
                    &format!("{path}.registered_memory"),
                    v,
                    1,
                    hi.into(),
                    &format!("a whole number of MiB from 1 to memory ({hi})"),
                )
                .map(|i| i as u32)
            }
        };
        let archs: Vec<(&str, &str)> = catalogue::ARCHITECTURES.iter().map(|a| (*a, *a)).collect();
        let arch = self.choice_or(&format!("{path}.arch"), &t.arch, raw::DEFAULT_ARCH, &archs);
        let mut it = catalogue::instance_type(&name?, vcpu?, memory?, price?, arch?);
        it.registered_memory_mib = registered?;
        Some(it)
    }

    fn asg(&mut self, a: &raw::RawAsg) -> Option<Asg> {
        let max_words = format!("a whole number of hosts from 1 to {MAX_HOSTS}");
        let min = self
            .req(
                "cluster.asg.min",
                &a.min,
                &format!("a whole number of hosts from 0 to {MAX_HOSTS}"),
            )
            .and_then(|v| {
                self.int(
                    "cluster.asg.min",
                    v,
                    0,
                    MAX_HOSTS,
                    &format!("a whole number of hosts from 0 to {MAX_HOSTS}"),
                )
            });
        let max = self
            .req("cluster.asg.max", &a.max, &max_words)
            .and_then(|v| self.int("cluster.asg.max", v, 1, MAX_HOSTS, &max_words));
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                self.bad(
                    "cluster.asg.min",
                    lo.to_string(),
                    format!("at most cluster.asg.max ({hi}): min <= desired <= max"),
                );
            }
        }
        let desired = match &a.desired {
            None => min,
            Some(v) => {
                let d = self.int(
                    "cluster.asg.desired",
                    v,
                    0,
                    MAX_HOSTS,
                    &format!("a whole number of hosts from 0 to {MAX_HOSTS}"),
                );
                if let (Some(d), Some(lo), Some(hi)) = (d, min, max) {
                    if lo <= hi && !(lo..=hi).contains(&d) {
                        self.bad(
                            "cluster.asg.desired",
                            d.to_string(),
                            format!("between cluster.asg.min ({lo}) and cluster.asg.max ({hi})"),
                        );
                    }
                }
                d
            }
        };
        let launch_time = match &a.launch_time {
            None => Some(Dist::LogNormal {
                mean: raw::DEFAULT_LAUNCH_MEAN,
                cv: raw::DEFAULT_LAUNCH_CV,
            }),
            Some(d) => self.dist("cluster.asg.launch_time", d, true),
        };
        let scaling = a.scaling.as_ref().map(|s| self.scaling(s));
        Some(Asg {
            min: min? as u32,
            max: max? as u32,
            desired: desired? as u32,
            launch_time: launch_time?,
            scaling: match scaling {
                None => None,
                Some(s) => Some(s?),
            },
        })
    }

    fn scaling(&mut self, s: &raw::RawScaling) -> Option<AsgScaling> {
        const P: &str = "cluster.asg.scaling";
        match s {
            raw::RawScaling::TargetTracking { metric, target } => {
                let metric = self.choice_req(
                    &format!("{P}.metric"),
                    metric,
                    &[
                        ("cpu", AsgMetric::Cpu),
                        ("cpu_reservation", AsgMetric::CpuReservation),
                        ("memory_reservation", AsgMetric::MemoryReservation),
                    ],
                );
                let target = self.num_req(
                    &format!("{P}.target"),
                    target,
                    |t| t > 0.0 && t <= 100.0,
                    "a target percentage > 0 and <= 100",
                );
                Some(AsgScaling::TargetTracking {
                    metric: metric?,
                    target: target?,
                })
            }
            raw::RawScaling::Managed {
                target_capacity,
                minimum_scaling_step_size,
                maximum_scaling_step_size,
                instance_warmup,
            } => {
                let target_capacity = self.num_or(
                    &format!("{P}.target_capacity"),
                    target_capacity,
                    raw::DEFAULT_TARGET_CAPACITY,
                    |t| (1.0..=100.0).contains(&t),
                    "a percentage from 1 to 100",
                );
                let step_words = "a whole number of hosts from 1 to 10000";
                let lo = self.u32_or(
                    &format!("{P}.minimum_scaling_step_size"),
                    minimum_scaling_step_size,
                    raw::DEFAULT_MIN_STEP,
                    1,
                    10_000,
                    step_words,
                );
                let hi = self.u32_or(
                    &format!("{P}.maximum_scaling_step_size"),
                    maximum_scaling_step_size,
                    raw::DEFAULT_MAX_STEP,
                    1,
                    10_000,
                    step_words,
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    if lo > hi {
                        self.bad(
                            &format!("{P}.minimum_scaling_step_size"),
                            lo.to_string(),
                            format!("at most maximum_scaling_step_size ({hi})"),
                        );
                    }
                }
                let warmup = self.dur_or(
                    &format!("{P}.instance_warmup"),
                    instance_warmup,
                    raw::DEFAULT_INSTANCE_WARMUP,
                    |d| d <= 10_000 * NANOS_PER_SEC,
                    "a duration from 0s to 10000s",
                );
                Some(AsgScaling::Managed {
                    target_capacity: target_capacity?,
                    minimum_scaling_step_size: lo?,
                    maximum_scaling_step_size: hi?,
                    instance_warmup: warmup?,
                })
            }
        }
    }

    /// A distribution of durations. `allow_zero`: whether a constant 0 or a
    /// sample 0 is meaningful (a launch time may be 0; a service time may not).
    fn dist(&mut self, path: &str, d: &RawDist, allow_zero: bool) -> Option<Dist> {
        let mean_words = "a mean duration > 0, e.g. \"40ms\"";
        let mean = |ck: &mut Self, v: &Option<Value>| {
            ck.dur_req(&format!("{path}.mean"), v, |m| m > 0, mean_words)
        };
        let cv = |ck: &mut Self, v: &Option<Value>| {
            ck.num_req(&format!("{path}.cv"), v, |c| c > 0.0, CV_WORDS)
        };
        match d {
            RawDist::Constant { value } => {
                let (ok, words): (fn(Nanos) -> bool, &str) = if allow_zero {
                    (|_| true, "a duration >= 0")
                } else {
                    (|v| v > 0, "a duration > 0, e.g. \"40ms\"")
                };
                self.dur_req(&format!("{path}.value"), value, ok, words)
                    .map(Dist::Constant)
            }
            RawDist::Exponential { mean: m } => Some(Dist::Exponential {
                mean: mean(self, m)?,
            }),
            RawDist::Lognormal { mean: m, cv: c } => {
                let (m, c) = (mean(self, m), cv(self, c));
                Some(Dist::LogNormal { mean: m?, cv: c? })
            }
            RawDist::Gamma { mean: m, cv: c } => {
                let (m, c) = (mean(self, m), cv(self, c));
                Some(Dist::Gamma { mean: m?, cv: c? })
            }
            RawDist::Empirical { file } => {
                let path = format!("{path}.file");
                let name = self.text_req(
                    &path,
                    file,
                    "a file of samples, relative to the scenario file",
                )?;
                match read_samples(&self.base_dir.join(&name), allow_zero) {
                    Ok(samples) => Some(Dist::Empirical {
                        file: name,
                        samples: samples.into(),
                    }),
                    Err(why) => {
                        self.bad(&path, quote(&name), why);
                        None
                    }
                }
            }
        }
    }

    /// Every service, in file order. A service that fails validation keeps
    /// its place as a placeholder with its name, so that later checks (mix,
    /// events) still resolve names to the right index.
    fn services(&mut self, list: &[raw::RawService], fleet: &Fleet) -> Vec<Service> {
        let mut names: Vec<(usize, &str)> = Vec::new();
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let path = format!("services[{i}]");
            let raw_name = match &s.name {
                Some(Value::String(n)) => n.as_str(),
                _ => "",
            };
            if let Some((j, _)) = names
                .iter()
                .find(|(_, m)| !raw_name.is_empty() && *m == raw_name)
            {
                self.bad(
                    &format!("{path}.name"),
                    quote(raw_name),
                    format!(
                        "a name not used by another service (services[{j}] is already {})",
                        quote(raw_name)
                    ),
                );
            }
            names.push((i, raw_name));
            let svc = self.service(&path, s, fleet);
            out.push(svc.unwrap_or_else(|| placeholder_service(raw_name.to_string())));
        }
        out
    }

    fn service(&mut self, path: &str, s: &raw::RawService, fleet: &Fleet) -> Option<Service> {
        let p = |f: &str| format!("{path}.{f}");
        let name = self.text_req(&p("name"), &s.name, "a non-empty service name");
        let desired = self.u32_req(
            &p("desired"),
            &s.desired,
            0,
            u32::MAX,
            "a whole number of tasks >= 0",
        );
        let it = fleet.instance_type.as_ref();
        let cpu_words = match it {
            Some(t) => format!(
                "a whole number of CPU units from 1 to {} (what one {} registers: a bigger task fits no host)",
                t.registered_cpu, t.name
            ),
            None => "a whole number of CPU units >= 1 (1024 = 1 vCPU)".to_string(),
        };
        let cpu = self.req(&p("cpu"), &s.cpu, &cpu_words).and_then(|v| {
            self.int(
                &p("cpu"),
                v,
                1,
                it.map_or(u32::MAX, |t| t.registered_cpu).into(),
                &cpu_words,
            )
        });
        let mem_words = match it {
            Some(t) => format!(
                "a whole number of MiB from {MIN_TASK_MEMORY} to {} (what one {} registers: a bigger task fits no host)",
                t.registered_memory_mib, t.name
            ),
            None => format!("a whole number of MiB >= {MIN_TASK_MEMORY}"),
        };
        let memory = self.req(&p("memory"), &s.memory, &mem_words).and_then(|v| {
            self.int(
                &p("memory"),
                v,
                MIN_TASK_MEMORY,
                it.map_or(u32::MAX, |t| t.registered_memory_mib).into(),
                &mem_words,
            )
        });
        let concurrency = self.u32_req(
            &p("concurrency"),
            &s.concurrency,
            1,
            u32::MAX,
            "a whole number >= 1 (requests a task serves at once)",
        );
        let queue_limit = self.u32_or(
            &p("queue_limit"),
            &s.queue_limit,
            raw::DEFAULT_QUEUE_LIMIT,
            0,
            u32::MAX,
            "a whole number >= 0 (waiting requests per task)",
        );
        let service_time = match &s.service_time {
            Some(d) => self.dist(&p("service_time"), d, false),
            None => {
                self.missing(
                    &p("service_time"),
                    "a distribution, e.g. { dist = \"lognormal\", mean = \"40ms\", cv = 1.0 }",
                );
                None
            }
        };
        let cpu_per_request = self.num_or(
            &p("cpu_per_request"),
            &s.cpu_per_request,
            raw::DEFAULT_CPU_PER_REQUEST,
            |x| (0.0..=1.0).contains(&x),
            "a share of the service time from 0 to 1",
        );
        let cpu_limit = self.choice_or(
            &p("cpu_limit"),
            &s.cpu_limit,
            CpuLimit::Hard,
            &[("hard", CpuLimit::Hard), ("shares", CpuLimit::Shares)],
        );
        let startup_time = self.dur_or(
            &p("startup_time"),
            &s.startup_time,
            raw::DEFAULT_STARTUP_TIME,
            |_| true,
            "a duration >= 0",
        );
        let placement = self.placement(path, s.placement.as_deref());
        let constraints = self.constraints(path, s.constraints.as_deref(), fleet);
        let deployment = self.deployment(path, s.deployment.as_ref());
        let autoscaling = s.autoscaling.as_ref().map(|a| self.autoscaling(path, a));
        Some(Service {
            name: name?,
            desired: desired?,
            cpu: cpu? as u32,
            memory: memory? as u32,
            concurrency: concurrency?,
            queue_limit: queue_limit?,
            service_time: service_time?,
            cpu_per_request: cpu_per_request?,
            cpu_limit: cpu_limit?,
            startup_time: startup_time?,
            placement: placement?,
            constraints: constraints?,
            deployment: deployment?,
            autoscaling: match autoscaling {
                None => None,
                Some(a) => Some(a?),
            },
        })
    }

    fn placement(
        &mut self,
        path: &str,
        list: Option<&[raw::RawStrategy]>,
    ) -> Option<Vec<PlacementStrategy>> {
        let list = match list {
            None | Some([]) => {
                return Some(vec![
                    PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
                    PlacementStrategy::SpreadInstance,
                ])
            }
            Some(l) => l,
        };
        let mut ok = true;
        if list.len() > MAX_STRATEGIES {
            ok = false;
            self.bad(
                &format!("{path}.placement"),
                format!("({} strategies)", list.len()),
                format!("at most {MAX_STRATEGIES} strategies (ECS limit)"),
            );
        }
        let spread_fields = [
            ("instanceId", PlacementStrategy::SpreadInstance),
            ("host", PlacementStrategy::SpreadInstance),
            (
                expr::attribute_name(Attribute::AvailabilityZone),
                PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
            ),
            (
                expr::attribute_name(Attribute::InstanceType),
                PlacementStrategy::SpreadAttribute(Attribute::InstanceType),
            ),
            (
                expr::attribute_name(Attribute::CpuArchitecture),
                PlacementStrategy::SpreadAttribute(Attribute::CpuArchitecture),
            ),
        ];
        let mut out = Vec::new();
        for (i, st) in list.iter().enumerate() {
            let fp = format!("{path}.placement[{i}].field");
            let got = match st {
                raw::RawStrategy::Spread { field } => {
                    let names: Vec<&str> = spread_fields.iter().map(|(n, _)| *n).collect();
                    let v = self.req(&fp, field, &format!("one of {}", names.join(", ")));
                    v.and_then(|v| match v {
                        Value::String(s) => spread_fields
                            .iter()
                            .find(|(n, _)| n == s)
                            .map(|(_, st)| st.clone()),
                        _ => None,
                    })
                    .or_else(|| {
                        if let Some(v) = v {
                            self.bad(
                                &fp,
                                render(v),
                                format!("a spread field: one of {}", names.join(", ")),
                            );
                        }
                        None
                    })
                }
                raw::RawStrategy::Binpack { field } => self
                    .req(&fp, field, "one of cpu, memory")
                    .and_then(|v| {
                        self.choice(
                            &fp,
                            v,
                            &[("cpu", Resource::Cpu), ("memory", Resource::Memory)],
                        )
                    })
                    .map(PlacementStrategy::Binpack),
                raw::RawStrategy::Random {} => Some(PlacementStrategy::Random),
            };
            match got {
                Some(g) => out.push(g),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn constraints(
        &mut self,
        path: &str,
        list: Option<&[raw::RawConstraint]>,
        fleet: &Fleet,
    ) -> Option<Vec<PlacementConstraint>> {
        let list = list.unwrap_or(&[]);
        let mut ok = true;
        if list.len() > MAX_CONSTRAINTS {
            ok = false;
            self.bad(
                &format!("{path}.constraints"),
                format!("({} constraints)", list.len()),
                format!("at most {MAX_CONSTRAINTS} constraints (ECS limit)"),
            );
        }
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            match c {
                raw::RawConstraint::DistinctInstance {} => {
                    out.push(PlacementConstraint::DistinctInstance)
                }
                raw::RawConstraint::MemberOf { expression } => {
                    let ep = format!("{path}.constraints[{i}].expression");
                    match self.member_of(&ep, expression, fleet) {
                        Some(e) => out.push(PlacementConstraint::MemberOf(e)),
                        None => ok = false,
                    }
                }
            }
        }
        ok.then_some(out)
    }

    fn member_of(&mut self, path: &str, v: &Option<Value>, fleet: &Fleet) -> Option<Expression> {
        let v = self.req(path, v, expr::GRAMMAR)?;
        let text = self.text(path, v, expr::GRAMMAR)?;
        let e = match expr::parse(&text) {
            Ok(e) => e,
            Err(why) => {
                self.bad(path, render(v), why);
                return None;
            }
        };
        // Values that can be checked: AZ names and architectures are closed
        // sets; instance types must at least exist.
        if e.op != ExprOp::Matches {
            let (known, what): (Vec<String>, &str) = match e.attribute {
                Attribute::AvailabilityZone => match &fleet.azs {
                    Some(azs) => (azs.clone(), "cluster.azs"),
                    None => return Some(e),
                },
                Attribute::CpuArchitecture => (
                    catalogue::ARCHITECTURES
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    "the architectures",
                ),
                Attribute::InstanceType => {
                    let mut k: Vec<String> =
                        catalogue::names().into_iter().map(str::to_string).collect();
                    if let Some(it) = &fleet.instance_type {
                        if !k.contains(&it.name) {
                            k.push(it.name.clone());
                        }
                    }
                    (k, "the instance types")
                }
            };
            if let Some(bad) = e.values.iter().find(|x| !known.contains(x)) {
                self.bad(
                    path,
                    render(v),
                    format!("{} is not one of {what} ({})", quote(bad), known.join(", ")),
                );
                return None;
            }
        }
        // Every host of this cluster has the same type and architecture; an
        // expression no AZ satisfies leaves the service PENDING for ever.
        let (Some(it), Some(azs)) = (&fleet.instance_type, &fleet.azs) else {
            return Some(e);
        };
        let fits = azs.iter().any(|az| {
            let value = match e.attribute {
                Attribute::AvailabilityZone => az.as_str(),
                Attribute::InstanceType => it.name.as_str(),
                Attribute::CpuArchitecture => it.arch.as_str(),
            };
            expr::matches(&e, value)
        });
        if !fits {
            self.bad(
                path,
                render(v),
                format!(
                    "an expression some host satisfies: hosts are {} ({}) in {}, so every task would stay PENDING",
                    it.name,
                    it.arch,
                    azs.join(", ")
                ),
            );
            return None;
        }
        Some(e)
    }

    fn deployment(&mut self, path: &str, d: Option<&raw::RawDeployment>) -> Option<Deployment> {
        let default = raw::RawDeployment::default();
        let d = d.unwrap_or(&default);
        let min = self.u32_or(
            &format!("{path}.deployment.minimum_healthy_percent"),
            &d.minimum_healthy_percent,
            raw::DEFAULT_MIN_HEALTHY_PERCENT,
            0,
            100,
            "a percentage from 0 to 100",
        );
        let max = self.u32_or(
            &format!("{path}.deployment.maximum_percent"),
            &d.maximum_percent,
            raw::DEFAULT_MAXIMUM_PERCENT,
            100,
            u32::MAX,
            "a percentage >= 100 (REPLICA services)",
        );
        if let (Some(lo), Some(hi)) = (min, max) {
            if hi <= lo {
                self.bad(
                    &format!("{path}.deployment.maximum_percent"),
                    hi.to_string(),
                    format!(
                        "more than minimum_healthy_percent ({lo}): with both at 100 a rolling deployment can neither start nor stop a task"
                    ),
                );
            }
        }
        Some(Deployment {
            minimum_healthy_percent: min?,
            maximum_percent: max?,
        })
    }

    fn autoscaling(&mut self, path: &str, a: &raw::RawAutoscaling) -> Option<ServiceAutoscaling> {
        let p = |f: &str| format!("{path}.autoscaling.{f}");
        let metric = self.choice_req(
            &p("metric"),
            &a.metric,
            &[
                ("cpu", ServiceMetric::Cpu),
                ("memory", ServiceMetric::Memory),
                ("requests_per_target", ServiceMetric::RequestsPerTarget),
            ],
        );
        let target = match metric {
            Some(ServiceMetric::RequestsPerTarget) => self.num_req(
                &p("target"),
                &a.target,
                |t| t > 0.0,
                "requests per target per minute > 0",
            ),
            _ => self.num_req(
                &p("target"),
                &a.target,
                |t| t > 0.0 && t <= 100.0,
                "a target percentage > 0 and <= 100",
            ),
        };
        let min = self.u32_req(
            &p("min"),
            &a.min,
            0,
            u32::MAX,
            "a whole number of tasks >= 0",
        );
        let max = self.u32_req(
            &p("max"),
            &a.max,
            1,
            u32::MAX,
            "a whole number of tasks >= 1",
        );
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                self.bad(
                    &p("min"),
                    lo.to_string(),
                    format!("at most autoscaling.max ({hi})"),
                );
            }
        }
        let scale_in = self.dur_or(
            &p("scale_in_cooldown"),
            &a.scale_in_cooldown,
            raw::DEFAULT_SCALE_IN_COOLDOWN,
            |_| true,
            "a duration >= 0",
        );
        let scale_out = self.dur_or(
            &p("scale_out_cooldown"),
            &a.scale_out_cooldown,
            raw::DEFAULT_SCALE_OUT_COOLDOWN,
            |_| true,
            "a duration >= 0",
        );
        Some(ServiceAutoscaling {
            metric: metric?,
            target: target?,
            min: min?,
            max: max?,
            scale_in_cooldown: scale_in?,
            scale_out_cooldown: scale_out?,
        })
    }

    fn load_balancer(&mut self, lb: Option<&raw::RawLoadBalancer>) -> LoadBalancer {
        let default = raw::RawLoadBalancer::default();
        let lb = lb.unwrap_or(&default);
        let algorithm = self.choice_or(
            "load_balancer.algorithm",
            &lb.algorithm,
            Algorithm::RoundRobin,
            &[
                ("round_robin", Algorithm::RoundRobin),
                (
                    "least_outstanding_requests",
                    Algorithm::LeastOutstandingRequests,
                ),
                ("weighted_random", Algorithm::WeightedRandom),
            ],
        );
        let hc_default = raw::RawHealthCheck::default();
        let hc = lb.health_check.as_ref().unwrap_or(&hc_default);
        const P: &str = "load_balancer.health_check";
        let interval = self.dur_or(
            &format!("{P}.interval"),
            &hc.interval,
            raw::DEFAULT_HC_INTERVAL,
            |d| (5 * NANOS_PER_SEC..=300 * NANOS_PER_SEC).contains(&d),
            "a duration from 5s to 300s (ALB target group range)",
        );
        let timeout = self.dur_or(
            &format!("{P}.timeout"),
            &hc.timeout,
            raw::DEFAULT_HC_TIMEOUT,
            |d| (2 * NANOS_PER_SEC..=120 * NANOS_PER_SEC).contains(&d),
            "a duration from 2s to 120s (ALB target group range)",
        );
        if let (Some(i), Some(t)) = (interval, timeout) {
            if t >= i {
                self.bad(
                    &format!("{P}.timeout"),
                    hc.timeout
                        .as_ref()
                        .map_or_else(|| quote(&format_duration(t)), render),
                    format!("less than the interval ({})", format_duration(i)),
                );
            }
        }
        let threshold_words = "a whole number from 2 to 10 (ALB target group range)";
        let healthy = self.u32_or(
            &format!("{P}.healthy_threshold"),
            &hc.healthy_threshold,
            raw::DEFAULT_HEALTHY_THRESHOLD,
            2,
            10,
            threshold_words,
        );
        let unhealthy = self.u32_or(
            &format!("{P}.unhealthy_threshold"),
            &hc.unhealthy_threshold,
            raw::DEFAULT_UNHEALTHY_THRESHOLD,
            2,
            10,
            threshold_words,
        );
        let dereg = self.dur_or(
            "load_balancer.deregistration_delay",
            &lb.deregistration_delay,
            raw::DEFAULT_DEREGISTRATION_DELAY,
            |d| d <= 3600 * NANOS_PER_SEC,
            "a duration from 0s to 3600s",
        );
        LoadBalancer {
            algorithm: algorithm.unwrap_or(Algorithm::RoundRobin),
            health_check: HealthCheck {
                interval: interval.unwrap_or(raw::DEFAULT_HC_INTERVAL),
                timeout: timeout.unwrap_or(raw::DEFAULT_HC_TIMEOUT),
                healthy_threshold: healthy.unwrap_or(raw::DEFAULT_HEALTHY_THRESHOLD),
                unhealthy_threshold: unhealthy.unwrap_or(raw::DEFAULT_UNHEALTHY_THRESHOLD),
            },
            deregistration_delay: dereg.unwrap_or(raw::DEFAULT_DEREGISTRATION_DELAY),
        }
    }

    fn traffic(
        &mut self,
        t: &raw::RawTraffic,
        services: &[Service],
        span: Span,
    ) -> Option<Traffic> {
        let arrivals = self.choice_or(
            "traffic.arrivals",
            &t.arrivals,
            ArrivalProcess::Poisson,
            &[
                ("poisson", ArrivalProcess::Poisson),
                ("uniform", ArrivalProcess::Uniform),
            ],
        );
        let profile_words = "at least one point, e.g. [ { at = \"0s\", rps = 100 } ]";
        let mut profile = Vec::new();
        let mut ok = true;
        match &t.profile {
            None => {
                self.missing("traffic.profile", profile_words);
                ok = false;
            }
            Some(points) if points.is_empty() => {
                self.bad("traffic.profile", "[]", profile_words);
                ok = false;
            }
            Some(points) => {
                let mut prev: Option<(usize, Nanos)> = None;
                for (i, pt) in points.iter().enumerate() {
                    let p = format!("traffic.profile[{i}]");
                    let at = self.time_within(&format!("{p}.at"), &pt.at, span, true);
                    let rps = self.num_req(
                        &format!("{p}.rps"),
                        &pt.rps,
                        |r| r >= 0.0,
                        "a request rate >= 0 (requests per second)",
                    );
                    if let (Some(at), Some((j, before))) = (at, prev) {
                        if at <= before {
                            self.bad(
                                &format!("{p}.at"),
                                pt.at.as_ref().map_or_else(String::new, render),
                                format!(
                                    "a time after traffic.profile[{j}].at ({}): profile times strictly increase",
                                    format_duration(before)
                                ),
                            );
                        }
                    }
                    if let Some(at) = at {
                        prev = Some((i, at));
                    }
                    match (at, rps) {
                        (Some(at), Some(rps)) => profile.push(ProfilePoint { at, rps }),
                        _ => ok = false,
                    }
                }
            }
        }

        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let mix = match &t.mix {
            None => {
                let n = services.len().max(1) as f64;
                (0..services.len())
                    .map(|service| MixEntry {
                        service,
                        weight: 1.0 / n,
                    })
                    .collect()
            }
            Some(entries) if entries.is_empty() => {
                self.bad(
                    "traffic.mix",
                    "[]",
                    "at least one entry, e.g. [ { service = \"web\", weight = 1 } ] (or no mix at all)",
                );
                ok = false;
                Vec::new()
            }
            Some(entries) => {
                let mut mix: Vec<MixEntry> = Vec::new();
                for (i, m) in entries.iter().enumerate() {
                    let p = format!("traffic.mix[{i}]");
                    let service = self.service_ref(&format!("{p}.service"), &m.service, &names);
                    let weight = self.num_req(
                        &format!("{p}.weight"),
                        &m.weight,
                        |w| w > 0.0,
                        "a weight > 0",
                    );
                    if let Some(s) = service {
                        if mix.iter().any(|e| e.service == s) {
                            self.bad(
                                &format!("{p}.service"),
                                quote(names[s]),
                                "a service not already in the mix",
                            );
                            ok = false;
                        }
                    }
                    match (service, weight) {
                        (Some(service), Some(weight)) => mix.push(MixEntry { service, weight }),
                        _ => ok = false,
                    }
                }
                let total: f64 = mix.iter().map(|m| m.weight).sum();
                for m in &mut mix {
                    m.weight /= total;
                }
                mix
            }
        };
        ok.then_some(Traffic {
            arrivals: arrivals?,
            profile,
            mix,
        })
    }

    /// A service named by a field: its index.
    fn service_ref(&mut self, path: &str, v: &Option<Value>, names: &[&str]) -> Option<usize> {
        let words = format!("the name of a service: one of {}", names.join(", "));
        let v = self.req(path, v, &words)?;
        match v {
            Value::String(s) => {
                let found = names.iter().position(|n| n == s);
                if found.is_none() {
                    self.bad(path, render(v), words);
                }
                found
            }
            _ => {
                self.bad(path, render(v), words);
                None
            }
        }
    }

    /// A time of the run, required. `inclusive`: whether the end itself is
    /// allowed (a profile point may sit at the end; an event there would never
    /// have an effect).
    fn time_within(
        &mut self,
        path: &str,
        v: &Option<Value>,
        span: Span,
        inclusive: bool,
    ) -> Option<Nanos> {
        let words = match (span.0, inclusive) {
            (Some(d), true) => format!(
                "a time within the scenario duration (0s to {})",
                format_duration(d)
            ),
            (Some(d), false) => format!(
                "a time within the scenario duration (before {})",
                format_duration(d)
            ),
            (None, _) => "a time within the scenario duration".to_string(),
        };
        self.dur_req(
            path,
            v,
            |t| match span.0 {
                None => true,
                Some(d) if inclusive => t <= d,
                Some(d) => t < d,
            },
            &words,
        )
    }

    fn events(
        &mut self,
        list: &[raw::RawEvent],
        services: &[Service],
        fleet: &Fleet,
        span: Span,
    ) -> Vec<ScriptedEvent> {
        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let mut out = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let p = |f: &str| format!("events[{i}].{f}");
            let at = self.time_within(&p("at"), e.at(), span, false);
            let action = match e {
                raw::RawEvent::Deploy { service, .. } => self
                    .service_ref(&p("service"), service, &names)
                    .map(|service| Action::Deploy { service }),
                raw::RawEvent::FailInstance { host, .. } => match host {
                    None => Some(Action::FailInstance {
                        host: HostSelector::Random,
                    }),
                    Some(Value::String(h)) if h == raw::DEFAULT_HOST => {
                        Some(Action::FailInstance {
                            host: HostSelector::Random,
                        })
                    }
                    Some(Value::String(h))
                        if h.len() > 2
                            && h.starts_with("i-")
                            && h[2..].chars().all(|c| c.is_ascii_alphanumeric()) =>
                    {
                        Some(Action::FailInstance {
                            host: HostSelector::Id(h.clone()),
                        })
                    }
                    Some(v) => {
                        self.bad(
                            &p("host"),
                            render(v),
                            "\"random\" or a host id such as \"i-0003\"",
                        );
                        None
                    }
                },
                raw::RawEvent::FailAz { az, .. } => {
                    let azs: Vec<&str> = fleet
                        .azs
                        .as_deref()
                        .map_or(Vec::new(), |a| a.iter().map(String::as_str).collect());
                    let words = format!("one of cluster.azs ({})", azs.join(", "));
                    self.req(&p("az"), az, &words).and_then(|v| {
                        let found = match v {
                            Value::String(s) => azs.iter().position(|a| a == s),
                            _ => None,
                        };
                        if found.is_none() && fleet.azs.is_some() {
                            self.bad(&p("az"), render(v), words);
                        }
                        found.map(|az| Action::FailAz { az })
                    })
                }
                raw::RawEvent::SpotInterruption { count, .. } => self
                    .u32_or(
                        &p("count"),
                        count,
                        raw::DEFAULT_SPOT_COUNT,
                        1,
                        u32::MAX,
                        "a whole number of hosts >= 1",
                    )
                    .map(|count| Action::SpotInterruption { count }),
                raw::RawEvent::ScaleService {
                    service, desired, ..
                } => {
                    let service = self.service_ref(&p("service"), service, &names);
                    let desired = self.u32_req(
                        &p("desired"),
                        desired,
                        0,
                        u32::MAX,
                        "a whole number of tasks >= 0",
                    );
                    match (service, desired) {
                        (Some(service), Some(desired)) => {
                            Some(Action::ScaleService { service, desired })
                        }
                        _ => None,
                    }
                }
            };
            if let (Some(at), Some(action)) = (at, action) {
                out.push(ScriptedEvent { at, action });
            }
        }
        // Stable: events at the same time keep their file order.
        out.sort_by_key(|e| e.at);
        out
    }

    fn slo(&mut self, s: &raw::RawSlo) -> Slo {
        let words = "a latency > 0, e.g. \"300ms\"";
        Slo {
            p50: self.dur_opt("slo.p50", &s.p50, |d| d > 0, words),
            p90: self.dur_opt("slo.p90", &s.p90, |d| d > 0, words),
            p99: self.dur_opt("slo.p99", &s.p99, |d| d > 0, words),
            error_rate: s.error_rate.as_ref().and_then(|v| {
                self.num(
                    "slo.error_rate",
                    v,
                    |r| (0.0..=1.0).contains(&r),
                    "a share of requests from 0 to 1, e.g. 0.001",
                )
            }),
        }
    }
}

/// Reads an empirical sample file. The error says what a good file is.
fn read_samples(path: &Path, allow_zero: bool) -> Result<Vec<Nanos>, String> {
    const GOOD: &str =
        "samples in seconds (e.g. 0.042) or durations (e.g. 42ms), one per line or comma-separated";
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("a readable file of samples ({}: {e})", path.display()))?;
    let mut samples = Vec::new();
    let mut first_data_line = true;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        let parsed: Vec<Option<Nanos>> = fields.iter().map(|f| sample(f)).collect();
        if first_data_line && parsed.iter().all(Option::is_none) {
            first_data_line = false; // a header
            continue;
        }
        first_data_line = false;
        for (f, s) in fields.iter().zip(parsed) {
            match s {
                Some(0) if !allow_zero => {
                    return Err(format!("{GOOD}, each > 0 (line {}: {f})", n + 1));
                }
                Some(ns) => samples.push(ns),
                None => return Err(format!("{GOOD} (line {}: {:?} is not a sample)", n + 1, f)),
            }
        }
    }
    if samples.is_empty() {
        return Err(format!("a file with at least one sample: {GOOD}"));
    }
    Ok(samples)
}

/// A sample: seconds as a plain number, or a duration with a unit.
fn sample(field: &str) -> Option<Nanos> {
    match field.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Some((s * NANOS_PER_SEC as f64).round() as Nanos),
        Ok(_) => None,
        Err(_) => parse_duration(field).ok(),
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

fn placeholder_service(name: String) -> Service {
    Service {
        name,
        desired: 0,
        cpu: 0,
        memory: 0,
        concurrency: 0,
        queue_limit: 0,
        service_time: Dist::Empirical {
            file: String::new(),
            samples: Arc::from(Vec::new()),
        },
        cpu_per_request: 0.0,
        cpu_limit: CpuLimit::Hard,
        startup_time: 0,
        placement: Vec::new(),
        constraints: Vec::new(),
        deployment: Deployment {
            minimum_healthy_percent: 0,
            maximum_percent: 0,
        },
        autoscaling: None,
    }
}
