//! `[[services]]`: each service's task size, slots, queue, service time,
//! CPU, deployment and autoscaling (placement is `placement.rs`).

use super::*;

impl Checker<'_> {
    /// Every service, in file order. A service that fails validation keeps
    /// its place as a placeholder with its name, so that later checks (mix,
    /// events) still resolve names to the right index.
    pub(super) fn services(&mut self, list: &[raw::RawService], fleet: &Fleet) -> Vec<Service> {
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

    pub(super) fn service(
        &mut self,
        path: &str,
        s: &raw::RawService,
        fleet: &Fleet,
    ) -> Option<Service> {
        let p = |f: &str| format!("{path}.{f}");
        let name = self
            .field(&p("name"), &s.name, Text("a non-empty service name"))
            .required();
        let name = name.and_then(|n| self.ecs_name(&p("name"), n));
        let desired = self
            .field(
                &p("desired"),
                &s.desired,
                Int(
                    0,
                    MAX_TASKS_PER_SERVICE,
                    &format!("a whole number of tasks from 0 to {MAX_TASKS_PER_SERVICE}"),
                ),
            )
            .required();
        let it = fleet.instance_type.as_ref();
        let cpu_words = match it {
            Some(t) => format!(
                "a whole number of CPU units from 1 to {} (what one {} registers: a bigger task fits no host)",
                t.registered_cpu, t.name
            ),
            None => "a whole number of CPU units >= 1 (1024 = 1 vCPU)".to_string(),
        };
        let cpu_max = it.map_or(u32::MAX, |t| t.registered_cpu);
        let cpu = self
            .field(&p("cpu"), &s.cpu, Int(1, cpu_max, &cpu_words))
            .required();
        let mem_words = match it {
            Some(t) => format!(
                "a whole number of MiB from {MIN_TASK_MEMORY} to {} (what one {} registers: a bigger task fits no host)",
                t.registered_memory_mib, t.name
            ),
            None => format!("a whole number of MiB >= {MIN_TASK_MEMORY}"),
        };
        let memory_max = it.map_or(u32::MAX, |t| t.registered_memory_mib);
        let memory = self
            .field(
                &p("memory"),
                &s.memory,
                Int(MIN_TASK_MEMORY, memory_max, &mem_words),
            )
            .required();
        let concurrency_words =
            format!("a whole number from 1 to {MAX_CONCURRENCY} (requests a task serves at once)");
        let concurrency = self
            .field(
                &p("concurrency"),
                &s.concurrency,
                Int(1, MAX_CONCURRENCY, &concurrency_words),
            )
            .required();
        let queue_limit = self
            .field(
                &p("queue_limit"),
                &s.queue_limit,
                Int(
                    0,
                    MAX_QUEUE_LIMIT,
                    &format!(
                        "a whole number from 0 to {MAX_QUEUE_LIMIT} (waiting requests per task)"
                    ),
                ),
            )
            .or(raw::DEFAULT_QUEUE_LIMIT);
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
        let cpu_per_request = self
            .field(
                &p("cpu_per_request"),
                &s.cpu_per_request,
                Number(
                    |x| (0.0..=1.0).contains(&x),
                    "a share of the service time from 0 to 1",
                ),
            )
            .or(raw::DEFAULT_CPU_PER_REQUEST);
        let cpu_limit = self
            .field(
                &p("cpu_limit"),
                &s.cpu_limit,
                OneOf(&[("hard", CpuLimit::Hard), ("shares", CpuLimit::Shares)]),
            )
            .or(CpuLimit::Hard);
        let startup_time = self
            .field(
                &p("startup_time"),
                &s.startup_time,
                Dur(|_| true, "a duration >= 0"),
            )
            .or(raw::DEFAULT_STARTUP_TIME);
        let placement = self.placement(path, s.placement.as_deref());
        let constraints = self.constraints(path, s.constraints.as_deref(), fleet);
        let deployment = self.deployment(path, s.deployment.as_ref());
        let autoscaling = s.autoscaling.as_ref().map(|a| self.autoscaling(path, a));
        let slo = s.slo.as_ref().map(|o| self.slo(&p("slo"), o));
        Some(Service {
            name: name?,
            desired: desired?,
            cpu: cpu?,
            memory: memory?,
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
            slo: slo.unwrap_or_default(),
        })
    }

    pub(super) fn deployment(
        &mut self,
        path: &str,
        d: Option<&raw::RawDeployment>,
    ) -> Option<Deployment> {
        let default = raw::RawDeployment::default();
        let d = d.unwrap_or(&default);
        let min = self
            .field(
                &format!("{path}.deployment.minimum_healthy_percent"),
                &d.minimum_healthy_percent,
                Int(0, 100, "a percentage from 0 to 100"),
            )
            .or(raw::DEFAULT_MIN_HEALTHY_PERCENT);
        let max = self
            .field(
                &format!("{path}.deployment.maximum_percent"),
                &d.maximum_percent,
                Int(
                    100,
                    MAX_MAXIMUM_PERCENT,
                    &format!("a percentage from 100 to {MAX_MAXIMUM_PERCENT} (REPLICA services)"),
                ),
            )
            .or(raw::DEFAULT_MAXIMUM_PERCENT);
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

    pub(super) fn autoscaling(
        &mut self,
        path: &str,
        a: &raw::RawAutoscaling,
    ) -> Option<ServiceAutoscaling> {
        let p = |f: &str| format!("{path}.autoscaling.{f}");
        let metric = self
            .field(
                &p("metric"),
                &a.metric,
                OneOf(&[
                    ("cpu", ServiceMetric::Cpu),
                    ("memory", ServiceMetric::Memory),
                    ("requests_per_target", ServiceMetric::RequestsPerTarget),
                ]),
            )
            .required();
        let target = match metric {
            Some(ServiceMetric::RequestsPerTarget) => self
                .field(
                    &p("target"),
                    &a.target,
                    Number(|t| t > 0.0, "requests per target per minute > 0"),
                )
                .required(),
            _ => self
                .field(
                    &p("target"),
                    &a.target,
                    Number(
                        |t| t > 0.0 && t <= 100.0,
                        "a target percentage > 0 and <= 100",
                    ),
                )
                .required(),
        };
        let min = self
            .field(
                &p("min"),
                &a.min,
                Int(
                    0,
                    MAX_TASKS_PER_SERVICE,
                    &format!("a whole number of tasks from 0 to {MAX_TASKS_PER_SERVICE}"),
                ),
            )
            .required();
        let max = self
            .field(
                &p("max"),
                &a.max,
                Int(
                    1,
                    MAX_TASKS_PER_SERVICE,
                    &format!("a whole number of tasks from 1 to {MAX_TASKS_PER_SERVICE}"),
                ),
            )
            .required();
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                self.bad(
                    &p("min"),
                    lo.to_string(),
                    format!("at most autoscaling.max ({hi})"),
                );
            }
        }
        let scale_in = self
            .field(
                &p("scale_in_cooldown"),
                &a.scale_in_cooldown,
                Dur(|_| true, "a duration >= 0"),
            )
            .or(raw::DEFAULT_SCALE_IN_COOLDOWN);
        let scale_out = self
            .field(
                &p("scale_out_cooldown"),
                &a.scale_out_cooldown,
                Dur(|_| true, "a duration >= 0"),
            )
            .or(raw::DEFAULT_SCALE_OUT_COOLDOWN);
        Some(ServiceAutoscaling {
            metric: metric?,
            target: target?,
            min: min?,
            max: max?,
            scale_in_cooldown: scale_in?,
            scale_out_cooldown: scale_out?,
        })
    }
}

impl Checker<'_> {
    /// ECS's rule for a service name (docs/aws-behaviour.md §1.12): it also
    /// names the service's columns, its `latency.hlog` tag and its key in
    /// summary.json, so nothing there needs quoting.
    fn ecs_name(&mut self, path: &str, name: String) -> Option<String> {
        let ok = name.len() <= MAX_SERVICE_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Some(name)
        } else {
            self.bad(
                path,
                quote(&name),
                format!(
                    "up to {MAX_SERVICE_NAME} letters, digits, underscores and hyphens, as ECS names a service"
                ),
            );
            None
        }
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
        slo: Slo::default(),
    }
}
