//! CloudWatch datapoints and target tracking: the EC2 Auto Scaling group's
//! policy (target tracking on CPU or ECS reservation, or an ECS capacity
//! provider's managed scaling) and Service Auto Scaling (docs/aws-behaviour.md
//! §1.9, §1.10, §3.2).
//!
//! Every minute each policy gets one datapoint, logged as a `datapoint` row
//! of events.csv (`metric=… value=… target=…`), so every scaling action can
//! be traced to the breaching datapoints before it. Target tracking's
//! managed alarms: scale out after 3 datapoints above target, scale in
//! after 15 below the low threshold; new capacity = ⌈capacity × metric /
//! target⌉, rounded up when adding and (so) conservatively when removing.

use crate::engine::Simulation;
use crate::host::HostState;
use crate::scenario::{AsgMetric, AsgScaling, ServiceMetric};
use crate::target_tracking::{
    proportional, ASG_LOW_FACTOR, ASG_WARMUP, HIGH_DATAPOINTS, LOW_DATAPOINTS, MINUTE,
    SERVICE_LOW_FACTOR,
};
use crate::task::{Health, TaskState};
use crate::time::{Nanos, SimTime};
use dockmaster_reports::FleetEventKind;

impl Simulation<'_> {
    pub(crate) fn on_datapoint(&mut self) {
        let now = self.kernel.now();
        self.retire_all_cpu_ends(now);
        for h in &mut self.hosts {
            if h.registered() {
                h.account_cpu(now);
            }
        }
        for s in &mut self.services {
            s.account(now);
        }
        self.asg_datapoint(now);
        for s in 0..self.services.len() {
            self.service_datapoint(s, now);
        }
        for h in &mut self.hosts {
            h.cpu_area = 0.0;
        }
        for s in &mut self.services {
            s.cpu_area = 0.0;
            s.busy_area = 0.0;
            s.routed = 0;
        }
    }

    fn warming(&self, now: SimTime, warmup: Nanos) -> usize {
        self.hosts
            .iter()
            .filter(|h| {
                h.state == HostState::Pending
                    || (h.state == HostState::InService
                        && h.in_service_at.is_some_and(|t| now.0 < t.0 + warmup))
            })
            .count()
    }

    fn asg_datapoint(&mut self, now: SimTime) {
        let Some(scaling) = self.scenario.cluster.asg.scaling.clone() else {
            return;
        };
        let asg = &self.scenario.cluster.asg;
        let in_service: Vec<usize> = (0..self.hosts.len())
            .filter(|&h| self.hosts[h].state == HostState::InService)
            .collect();
        let n = in_service.len() as u32;
        let desired = self.asg.desired;
        match scaling {
            AsgScaling::TargetTracking { metric, target } => {
                let warmup = ASG_WARMUP;
                let warm = |h: usize| {
                    self.hosts[h]
                        .in_service_at
                        .is_some_and(|t| now.0 >= t.0 + warmup)
                };
                let (value, capacity, name) = match metric {
                    // ASGAverageCPUUtilization: instances in warm-up are left
                    // out of the metric.
                    AsgMetric::Cpu => {
                        let warm_hosts: Vec<usize> =
                            in_service.iter().copied().filter(|&h| warm(h)).collect();
                        if warm_hosts.is_empty() {
                            return; // INSUFFICIENT_DATA
                        }
                        let sum: f64 = warm_hosts
                            .iter()
                            .map(|&h| {
                                let host = &self.hosts[h];
                                host.cpu_area / (host.vcpu * MINUTE as f64)
                            })
                            .sum();
                        (
                            100.0 * sum / warm_hosts.len() as f64,
                            warm_hosts.len() as u32,
                            "cpu",
                        )
                    }
                    AsgMetric::CpuReservation | AsgMetric::MemoryReservation => {
                        if n == 0 {
                            return;
                        }
                        let (c, m) = self.reservation();
                        if metric == AsgMetric::CpuReservation {
                            (100.0 * c, n, "cpu_reservation")
                        } else {
                            (100.0 * m, n, "memory_reservation")
                        }
                    }
                };
                let warming = self.warming(now, warmup) as u32;
                let (high, low) = self
                    .asg
                    .policy
                    .datapoint(value, target, ASG_LOW_FACTOR * target);
                self.log(
                    FleetEventKind::Datapoint,
                    "asg",
                    format!("metric={name} value={value:.3} target={target:.3}"),
                );
                if high >= HIGH_DATAPOINTS {
                    // Instances still warming count toward the new capacity.
                    let extra = if metric == AsgMetric::Cpu { warming } else { 0 };
                    let want =
                        (proportional(capacity, value, target) + extra).clamp(asg.min, asg.max);
                    if want > desired {
                        self.set_asg_desired(
                            want,
                            FleetEventKind::ScaleOut,
                            format!("{name} {value:.1}% > target {target}% for {high} datapoints"),
                        );
                    }
                } else if low >= LOW_DATAPOINTS && warming == 0 {
                    let want = proportional(capacity, value, target).clamp(asg.min, asg.max);
                    self.asg.policy.low = 0;
                    if want < desired {
                        self.set_asg_desired(
                            want,
                            FleetEventKind::ScaleIn,
                            format!(
                                "{name} {value:.1}% < {:.1}% for {low} datapoints",
                                ASG_LOW_FACTOR * target
                            ),
                        );
                    }
                }
            }
            AsgScaling::Managed {
                target_capacity,
                minimum_scaling_step_size,
                maximum_scaling_step_size,
                instance_warmup,
            } => {
                // CapacityProviderReservation = M / N × 100
                // (docs/aws-behaviour.md §1.9).
                let m = self.instances_needed();
                let value = if n == 0 {
                    if m > 0 {
                        200.0
                    } else {
                        100.0
                    }
                } else {
                    100.0 * m as f64 / n as f64
                };
                let target = target_capacity;
                let (high, low) = self.asg.policy.datapoint(value, target, target);
                self.log(
                    FleetEventKind::Datapoint,
                    "asg",
                    format!(
                        "metric=capacity_provider_reservation value={value:.3} target={target:.3}"
                    ),
                );
                let warming = self.warming(now, instance_warmup);
                if high >= HIGH_DATAPOINTS && warming == 0 {
                    let want = proportional(m.max(1), 100.0, target).max(n + 1);
                    let step =
                        (want - n).clamp(minimum_scaling_step_size, maximum_scaling_step_size);
                    let new = (n + step).clamp(asg.min, asg.max);
                    if new > desired {
                        self.set_asg_desired(
                            new,
                            FleetEventKind::ScaleOut,
                            format!(
                                "capacity_provider_reservation {value:.1}% > target {target}% for {high} datapoints ({m} instances needed, {n} running)"
                            ),
                        );
                    }
                } else if low >= LOW_DATAPOINTS && warming == 0 {
                    self.asg.policy.low = 0;
                    // Each scale-in step removes at most half the group.
                    let want = proportional(m, 100.0, target)
                        .max(n - n / 2)
                        .clamp(asg.min, asg.max);
                    if want < desired {
                        self.set_asg_desired(
                            want,
                            FleetEventKind::ScaleIn,
                            format!(
                                "capacity_provider_reservation {value:.1}% < target {target}% for {low} datapoints ({m} instances needed, {n} running)"
                            ),
                        );
                    }
                }
            }
        }
    }

    fn set_asg_desired(&mut self, new: u32, kind: FleetEventKind, why: String) {
        let old = self.asg.desired;
        self.asg.desired = new;
        self.log(kind, "asg", format!("{why}: desired {old} -> {new}"));
        self.reconcile_asg(kind.as_str());
    }

    /// M of the capacity-provider metric: instances with tasks, plus the
    /// instances the PENDING tasks would need, binpacked first-fit
    /// decreasing onto empty instances of the group's type.
    fn instances_needed(&self) -> u32 {
        let non_empty = self
            .hosts
            .iter()
            .filter(|h| h.state == HostState::InService && !h.tasks.is_empty())
            .count() as u32;
        let it = &self.scenario.cluster.instance_type;
        let mut pending: Vec<(u32, u32)> = self
            .tasks
            .iter()
            .filter(|t| t.state == TaskState::Pending)
            .map(|t| {
                let s = &self.scenario.services[t.service as usize];
                (s.cpu, s.memory)
            })
            .collect();
        pending.sort_unstable_by(|a, b| b.cmp(a));
        let mut bins: Vec<(u32, u32)> = Vec::new();
        for (c, m) in pending {
            match bins.iter_mut().find(|(fc, fm)| *fc >= c && *fm >= m) {
                Some(b) => {
                    b.0 -= c;
                    b.1 -= m;
                }
                None => bins.push((it.registered_cpu - c, it.registered_memory_mib - m)),
            }
        }
        non_empty + bins.len() as u32
    }

    fn service_datapoint(&mut self, si: usize, now: SimTime) {
        let Some(a) = self.scenario.services[si].autoscaling.clone() else {
            return;
        };
        let spec = &self.scenario.services[si];
        let svc = &self.services[si];
        let running = svc
            .tasks
            .iter()
            .filter(|&&t| {
                matches!(
                    self.tasks[t as usize].state,
                    TaskState::Running | TaskState::Lost
                )
            })
            .count() as u32;
        if running == 0 {
            return; // INSUFFICIENT_DATA
        }
        let (value, name) = match a.metric {
            // ECSServiceAverageCPUUtilization: CPU used by the service's
            // tasks / CPU reserved for them (docs/aws-behaviour.md §1.1).
            // "Used" is what the host delivered (crate::cpu); it exceeds 100%
            // only when `shares` tasks borrow idle host CPU.
            ServiceMetric::Cpu => (
                100.0 * svc.cpu_area / MINUTE as f64 * 1024.0 / (spec.cpu as f64 * running as f64),
                "cpu",
            ),
            // Memory is not modelled per request; a modelling choice: a task
            // holds 40% of its reservation idle, and busy slots use the rest
            // in proportion.
            ServiceMetric::Memory => (
                40.0 + 60.0 * svc.busy_area
                    / (MINUTE as f64 * spec.concurrency as f64 * running as f64),
                "memory",
            ),
            // ALBRequestCountPerTarget: requests in the minute per healthy
            // target.
            ServiceMetric::RequestsPerTarget => {
                let healthy = svc
                    .tasks
                    .iter()
                    .filter(|&&t| self.tasks[t as usize].health == Health::Healthy)
                    .count()
                    .max(1);
                (svc.routed as f64 / healthy as f64, "requests_per_target")
            }
        };
        let deploying = svc.deployment.is_some();
        let desired = svc.desired;
        let target = a.target;
        let p = &mut self.services[si].policy;
        let (high, low) = p
            .alarms
            .datapoint(value, target, SERVICE_LOW_FACTOR * target);
        let last_in = p.last_in;
        let sname = spec.name.clone();
        self.log(
            FleetEventKind::Datapoint,
            &sname,
            format!("metric={name} value={value:.3} target={target:.3}"),
        );
        // The starting point is the running count, not desired
        // (docs/aws-behaviour.md §1.10).
        let want = proportional(running, value, target).clamp(a.min, a.max);
        if high >= HIGH_DATAPOINTS {
            // Capacity added during the scale-out cooldown counts toward the
            // next scale-out, so only a larger desired count proceeds: the
            // same test as outside the cooldown (docs/aws-behaviour.md §1.10).
            if want > desired {
                // A scale-out cancels the scale-in cooldown.
                self.services[si].policy.last_in = None;
                self.set_service_desired(
                    si,
                    want,
                    FleetEventKind::ScaleOut,
                    format!("{name} {value:.1} > target {target} for {high} datapoints"),
                );
            }
        } else if low >= LOW_DATAPOINTS && !deploying {
            // Scale-in waits out its cooldown and any deployment.
            let cooling = last_in.is_some_and(|t| now.0 < t.0 + a.scale_in_cooldown);
            if !cooling && want < desired {
                let p = &mut self.services[si].policy;
                p.last_in = Some(now);
                p.alarms.low = 0;
                self.set_service_desired(
                    si,
                    want,
                    FleetEventKind::ScaleIn,
                    format!(
                        "{name} {value:.1} < {:.1} for {low} datapoints",
                        SERVICE_LOW_FACTOR * target
                    ),
                );
            }
        }
    }

    pub(crate) fn set_service_desired(
        &mut self,
        si: usize,
        new: u32,
        kind: FleetEventKind,
        why: String,
    ) {
        let old = self.services[si].desired;
        self.services[si].desired = new;
        let name = self.scenario.services[si].name.clone();
        self.log(kind, &name, format!("{why}: desired {old} -> {new}"));
        self.request_pass(si as u16);
    }
}
