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
            .field("cluster.instance_type", &c.instance_type, Text(&type_words))
            .required()
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
                    if let Some(az) = self.check(
                        &path,
                        v,
                        Text("an availability zone name, e.g. \"us-east-1a\""),
                    ) {
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
        let cpu_period = self
            .field(
                "cluster.cpu_period",
                &c.cpu_period,
                Dur(
                    |d| (raw::MIN_CPU_PERIOD..=raw::MAX_CPU_PERIOD).contains(&d),
                    "a duration from 8ms to 100ms (the ECS agent's ECS_CGROUP_CPU_PERIOD range)",
                ),
            )
            .or(raw::DEFAULT_CPU_PERIOD);
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
        let name = self
            .field(
                &format!("{path}.name"),
                &t.name,
                Text("an instance type name, e.g. \"x9.large\""),
            )
            .required();
        let vcpu = self
            .field(
                &format!("{path}.vcpu"),
                &t.vcpu,
                Int(1, 4096, "a whole number of vCPUs from 1 to 4096"),
            )
            .required();
        let memory = self
            .field(
                &format!("{path}.memory"),
                &t.memory,
                Int(1, u32::MAX, "a whole number of MiB >= 1 (nominal memory)"),
            )
            .required();
        let price = self
            .field(
                &format!("{path}.price_per_hour"),
                &t.price_per_hour,
                Number(
                    |p| (0.0..=MAX_PRICE_PER_HOUR).contains(&p),
                    &format!("a price in USD per hour from 0 to {MAX_PRICE_PER_HOUR}"),
                ),
            )
            .required();
        let smallest = MIN_TASK_MEMORY;
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
                let words = format!(
                    "a whole number of MiB from {smallest} (the smallest task) to memory ({hi})"
                );
                self.check(&format!("{path}.registered_memory"), v, Int(smallest, hi, &words))
            }
        };
        let archs: Vec<(&str, &str)> = catalogue::ARCHITECTURES.iter().map(|a| (*a, *a)).collect();
        let arch = self
            .field(&format!("{path}.arch"), &t.arch, OneOf(&archs))
            .or(raw::DEFAULT_ARCH);
        let mut it = catalogue::instance_type(&name?, vcpu?, memory?, price?, arch?);
        it.registered_memory_mib = registered?;
        Some(it)
    }

    pub(super) fn asg(&mut self, a: &raw::RawAsg) -> Option<Asg> {
        let count_words = format!("a whole number of hosts from 0 to {MAX_HOSTS}");
        let max_words = format!("a whole number of hosts from 1 to {MAX_HOSTS}");
        let min = self
            .field("cluster.asg.min", &a.min, Int(0, MAX_HOSTS, &count_words))
            .required();
        let max = self
            .field("cluster.asg.max", &a.max, Int(1, MAX_HOSTS, &max_words))
            .required();
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
                let d = self.check("cluster.asg.desired", v, Int(0, MAX_HOSTS, &count_words));
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
            min: min?,
            max: max?,
            desired: desired?,
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
                let metric = self
                    .field(
                        &format!("{P}.metric"),
                        metric,
                        OneOf(&[
                            ("cpu", AsgMetric::Cpu),
                            ("cpu_reservation", AsgMetric::CpuReservation),
                            ("memory_reservation", AsgMetric::MemoryReservation),
                        ]),
                    )
                    .required();
                let target = self
                    .field(
                        &format!("{P}.target"),
                        target,
                        Number(
                            |t| t > 0.0 && t <= 100.0,
                            "a target percentage > 0 and <= 100",
                        ),
                    )
                    .required();
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
                let target_capacity = self
                    .field(
                        &format!("{P}.target_capacity"),
                        target_capacity,
                        Number(|t| (1.0..=100.0).contains(&t), "a percentage from 1 to 100"),
                    )
                    .or(raw::DEFAULT_TARGET_CAPACITY);
                let step_words = "a whole number of hosts from 1 to 10000";
                let lo = self
                    .field(
                        &format!("{P}.minimum_scaling_step_size"),
                        minimum_scaling_step_size,
                        Int(1, 10_000, step_words),
                    )
                    .or(raw::DEFAULT_MIN_STEP);
                let hi = self
                    .field(
                        &format!("{P}.maximum_scaling_step_size"),
                        maximum_scaling_step_size,
                        Int(1, 10_000, step_words),
                    )
                    .or(raw::DEFAULT_MAX_STEP);
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    if lo > hi {
                        self.bad(
                            &format!("{P}.minimum_scaling_step_size"),
                            lo.to_string(),
                            format!("at most maximum_scaling_step_size ({hi})"),
                        );
                    }
                }
                let warmup = self
                    .field(
                        &format!("{P}.instance_warmup"),
                        instance_warmup,
                        Dur(
                            |d| d <= 10_000 * NANOS_PER_SEC,
                            "a duration from 0s to 10000s",
                        ),
                    )
                    .or(raw::DEFAULT_INSTANCE_WARMUP);
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
