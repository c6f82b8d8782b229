//! `[cluster]`: the instance type (built-in or `[[cluster.instance_types]]`),
//! the AZs, the CFS period and `[cluster.asg]` with its scaling policy.

use super::*;

impl Checker<'_> {
    pub(super) fn cluster(&mut self, c: &raw::RawCluster) -> (Fleet, Option<Asg>) {
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

    pub(super) fn instance_type(
        &mut self,
        path: &str,
        t: &raw::RawInstanceType,
    ) -> Option<InstanceType> {
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
            |p| (0.0..=MAX_PRICE_PER_HOUR).contains(&p),
            &format!("a price in USD per hour from 0 to {MAX_PRICE_PER_HOUR}"),
        );
        let smallest = MIN_TASK_MEMORY as u32;
        let registered = match (&t.registered_memory, memory) {
            (None, m) => m.and_then(|m| {
                let r = catalogue::default_registered_memory(m);
                if r < smallest {
                    // Without registered_memory ECS registers a share of the
                    // nominal memory; so small a host could take no task, and
                    // every service would say it fits no host.
                    let least = (1..)
                        .find(|&n| catalogue::default_registered_memory(n) >= smallest)
                        .unwrap_or(u32::MAX);
                    self.bad(
                        &format!("{path}.memory"),
                        m.to_string(),
                        format!(
                            "a whole number of MiB of at least {least}: the container instance registers {}% of it ({r} MiB for {m}), and the smallest task needs {smallest} MiB",
                            catalogue::REGISTERED_MEMORY_PERCENT
                        ),
                    );
                    return None;
                }
                Some(r)
            }),
            (Some(v), m) => {
                let hi = m.unwrap_or(u32::MAX).max(smallest);
                self.int(
                    &format!("{path}.registered_memory"),
                    v,
                    smallest.into(),
                    hi.into(),
                    &format!(
                        "a whole number of MiB from {smallest} (the smallest task) to memory ({hi})"
                    ),
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

    pub(super) fn asg(&mut self, a: &raw::RawAsg) -> Option<Asg> {
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
                    MAX_HOSTS.into(),
                    &format!("a whole number of hosts from 0 to {MAX_HOSTS}"),
                )
            });
        let max = self
            .req("cluster.asg.max", &a.max, &max_words)
            .and_then(|v| self.int("cluster.asg.max", v, 1, MAX_HOSTS.into(), &max_words));
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
                    MAX_HOSTS.into(),
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

    pub(super) fn scaling(&mut self, s: &raw::RawScaling) -> Option<AsgScaling> {
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
}
