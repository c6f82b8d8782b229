//! A short, human description of a validated scenario, for
//! `dockmaster validate`: what will run, in ECS words, with back-of-envelope
//! capacity and utilisation so a user sees at a glance whether the fleet is
//! sized for the traffic before simulating anything.
//!
//! The estimates are the textbook ones and ignore queueing and CPU
//! contention: a service's capacity is `desired × concurrency / mean service
//! time` requests per second; its utilisation at peak is the offered rate
//! divided by that capacity; its CPU is `rate × cpu_per_request × mean
//! service time` vCPUs busy.

use super::expr::attribute_name;
use super::*;
use crate::time::{Nanos, NANOS_PER_SEC};
use std::fmt::Write;

/// A few lines saying what the scenario runs.
pub fn describe(s: &Scenario) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(
        o,
        "{}: {}, seed {}, {} windows",
        s.name,
        format_duration(s.duration),
        s.seed,
        format_duration(s.window)
    );

    // Fleet.
    let c = &s.cluster;
    let it = &c.instance_type;
    let _ = writeln!(
        o,
        "fleet: {} x {} ({} vCPU, {} MiB; registers {} CPU units / {} MiB; {}/h, {}) over {} AZ{} ({})",
        c.asg.desired,
        it.name,
        it.vcpu,
        it.memory_mib,
        it.registered_cpu,
        it.registered_memory_mib,
        dollars(it.price_per_hour),
        it.arch,
        c.azs.len(),
        if c.azs.len() == 1 { "" } else { "s" },
        c.azs.join(", ")
    );
    let _ = writeln!(
        o,
        "  ASG min {}, desired {}, max {}; launch time {}",
        c.asg.min,
        c.asg.desired,
        c.asg.max,
        dist_text(&c.asg.launch_time)
    );
    let scaling = match &c.asg.scaling {
        None => "none (the group stays at desired, replacing failed hosts)".to_string(),
        Some(AsgScaling::TargetTracking { metric, target }) => {
            format!(
                "target tracking, {} at {}%",
                asg_metric(*metric),
                num(*target)
            )
        }
        Some(AsgScaling::Managed {
            target_capacity,
            minimum_scaling_step_size,
            maximum_scaling_step_size,
            instance_warmup,
        }) => format!(
            "ECS managed scaling, target capacity {}%, steps {}..{}, instance warm-up {}",
            num(*target_capacity),
            minimum_scaling_step_size,
            maximum_scaling_step_size,
            format_duration(*instance_warmup)
        ),
    };
    let _ = writeln!(o, "  scaling: {scaling}");
    for w in warnings(s) {
        let _ = writeln!(o, "  warning: {w}");
    }
    let hosts = u64::from(c.asg.desired);
    let fleet_cpu = hosts * u64::from(it.registered_cpu);
    let fleet_mem = hosts * u64::from(it.registered_memory_mib);
    let task_cpu: u64 = s
        .services
        .iter()
        .map(|v| u64::from(v.desired) * u64::from(v.cpu))
        .sum();
    let task_mem: u64 = s
        .services
        .iter()
        .map(|v| u64::from(v.desired) * u64::from(v.memory))
        .sum();
    let _ = writeln!(
        o,
        "  at t=0: tasks reserve {task_cpu} of {fleet_cpu} CPU units ({}) and {task_mem} of {fleet_mem} MiB ({}); fleet costs {}/h",
        percent(task_cpu as f64, fleet_cpu as f64),
        percent(task_mem as f64, fleet_mem as f64),
        dollars(hosts as f64 * it.price_per_hour)
    );

    // Services.
    let peak = s.traffic.peak_rps();
    for (i, v) in s.services.iter().enumerate() {
        let share = s.traffic.share(i);
        let mean = dist_mean_secs(&v.service_time);
        let _ = writeln!(
            o,
            "service {}: {} task{} of {} CPU units / {} MiB, concurrency {}, queue {}, starts in {}",
            v.name,
            v.desired,
            if v.desired == 1 { "" } else { "s" },
            v.cpu,
            v.memory,
            v.concurrency,
            v.queue_limit,
            format_duration(v.startup_time)
        );
        let _ = writeln!(
            o,
            "  service time {}; {}% of it on CPU",
            dist_text(&v.service_time),
            num(v.cpu_per_request * 100.0)
        );
        let placement: Vec<String> = v.placement.iter().map(strategy_text).collect();
        let constraints: Vec<String> = v.constraints.iter().map(constraint_text).collect();
        let _ = writeln!(
            o,
            "  placement: {}; constraints: {}",
            placement.join(", then "),
            if constraints.is_empty() {
                "none".to_string()
            } else {
                constraints.join(", ")
            }
        );
        let mut deploy = format!(
            "  deployment: minimum healthy {}%, maximum {}%",
            v.deployment.minimum_healthy_percent, v.deployment.maximum_percent
        );
        if let Some(a) = &v.autoscaling {
            let _ = write!(
                deploy,
                "; autoscaling on {} to {}, {}..{} tasks, cooldowns in {} / out {}",
                service_metric(a.metric),
                match a.metric {
                    ServiceMetric::RequestsPerTarget => format!("{} req/target/min", num(a.target)),
                    _ => format!("{}%", num(a.target)),
                },
                a.min,
                a.max,
                format_duration(a.scale_in_cooldown),
                format_duration(a.scale_out_cooldown)
            );
        }
        let _ = writeln!(o, "{deploy}");

        let capacity = f64::from(v.desired) * f64::from(v.concurrency) / mean;
        let offered = peak * share;
        let mut line = format!(
            "  capacity ~ {} x {} / {} = {} req/s",
            v.desired,
            v.concurrency,
            format_duration(secs_to_nanos(mean)),
            rate(capacity)
        );
        if offered <= 0.0 {
            line.push_str("; receives no traffic");
        } else {
            let busy = offered * v.cpu_per_request * mean;
            let _ = write!(
                line,
                "; at peak {} req/s -> utilisation {}{}",
                rate(offered),
                percent(offered, capacity),
                if offered >= capacity {
                    " (overloaded at the starting task count)"
                } else {
                    ""
                }
            );
            if v.cpu_per_request > 0.0 {
                let reserved = f64::from(v.desired) * f64::from(v.cpu) / 1024.0;
                let _ = write!(
                    line,
                    "; CPU {} vCPU busy = {} of the tasks' reservation ({})",
                    num(busy),
                    percent(busy, reserved),
                    match v.cpu_limit {
                        CpuLimit::Hard => "a hard limit",
                        CpuLimit::Shares => "shares: may borrow idle host CPU",
                    }
                );
            }
        }
        let _ = writeln!(o, "{line}");
    }
    // Load balancer.
    let lb = &s.load_balancer;
    let hc = &lb.health_check;
    let _ = writeln!(
        o,
        "load balancer: {}; health check every {} (timeout {}, healthy after {}, unhealthy after {}); deregistration delay {}",
        algorithm(lb.algorithm),
        format_duration(hc.interval),
        format_duration(hc.timeout),
        hc.healthy_threshold,
        hc.unhealthy_threshold,
        format_duration(lb.deregistration_delay)
    );

    // Traffic.
    let t = &s.traffic;
    let low = t
        .profile
        .iter()
        .map(|p| p.rps)
        .fold(f64::INFINITY, f64::min);
    let arrivals = match t.arrivals {
        ArrivalProcess::Poisson => "poisson",
        ArrivalProcess::Uniform => "uniform",
    };
    let level = if t.profile.len() <= 1 || low == peak {
        format!("flat {} req/s", rate(peak))
    } else {
        format!("{} to {} req/s", rate(low), rate(peak))
    };
    let points: Vec<String> = t
        .profile
        .iter()
        .take(8)
        .map(|p| format!("{} {}", format_duration(p.at), rate(p.rps)))
        .collect();
    let more = if t.profile.len() > 8 { ", ..." } else { "" };
    let _ = writeln!(
        o,
        "traffic: {arrivals} arrivals, {level} ({}{more})",
        points.join(", ")
    );
    if s.services.len() > 1 || t.mix.len() != 1 {
        let mix: Vec<String> = t
            .mix
            .iter()
            .map(|m| format!("{} {}", s.services[m.service].name, percent(m.weight, 1.0)))
            .collect();
        let _ = writeln!(o, "  mix: {}", mix.join(", "));
    }

    // Events, faults, SLO.
    if s.events.is_empty() {
        let _ = writeln!(o, "events: none");
    } else {
        let _ = writeln!(o, "events:");
        for e in &s.events {
            let _ = writeln!(
                o,
                "  at {}: {}",
                format_duration(e.at),
                action_text(s, &e.action)
            );
        }
    }
    if let Some(mtbf) = s.faults.instance_mtbf {
        let _ = writeln!(
            o,
            "faults: each host fails on average every {}",
            format_duration(mtbf)
        );
    }
    let mut slo = Vec::new();
    for (name, v) in [("p50", s.slo.p50), ("p90", s.slo.p90), ("p99", s.slo.p99)] {
        if let Some(v) = v {
            slo.push(format!("{name} <= {}", format_duration(v)));
        }
    }
    if let Some(r) = s.slo.error_rate {
        slo.push(format!("error rate <= {}%", num(r * 100.0)));
    }
    let _ = writeln!(
        o,
        "slo: {}",
        if slo.is_empty() {
            "none".to_string()
        } else {
            slo.join(", ")
        }
    );

    // Work.
    let w = crate::estimate::WorkEstimate::of(s);
    let _ = write!(
        o,
        "work: about {} requests and {} events ({} at {} M events/s); peak memory about {} (limit {})",
        w.requests,
        w.events,
        crate::estimate::duration_words(
            w.events as f64 / crate::estimate::TYPICAL_EVENTS_PER_SECOND
        ),
        crate::estimate::TYPICAL_EVENTS_PER_SECOND / 1e6,
        crate::estimate::bytes_text(w.peak_memory_bytes),
        crate::estimate::bytes_text(super::limits::MAX_PEAK_MEMORY)
    );
    out
}

/// A duration the way a person says it: the largest unit that gives a whole
/// number or one decimal (`90s` → `1.5m`, `100s` stays `100s`, `70m` stays
/// `70m`), unlike [`crate::time::format_duration`], which always takes the
/// largest unit (`1.667m`).
pub(super) fn format_duration(ns: Nanos) -> String {
    const UNITS: [(u64, &str); 7] = [
        (86_400 * NANOS_PER_SEC, "d"),
        (3600 * NANOS_PER_SEC, "h"),
        (60 * NANOS_PER_SEC, "m"),
        (NANOS_PER_SEC, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    if ns == 0 {
        return "0s".into();
    }
    for (per, unit) in UNITS {
        if ns >= per && ns.checked_mul(10).is_some_and(|x| x % per == 0) {
            return format!("{}{unit}", num(ns as f64 / per as f64));
        }
    }
    crate::time::format_duration(ns)
}

/// Mean of a distribution, in seconds.
pub(crate) fn dist_mean_secs(d: &Dist) -> f64 {
    let ns = match d {
        Dist::Constant(v) => *v as f64,
        Dist::Exponential { mean } | Dist::LogNormal { mean, .. } | Dist::Gamma { mean, .. } => {
            *mean as f64
        }
        Dist::Empirical { samples, .. } => {
            samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len().max(1) as f64
        }
    };
    ns / NANOS_PER_SEC as f64
}

fn secs_to_nanos(s: f64) -> Nanos {
    crate::time::secs_to_nanos(s)
}

fn dist_text(d: &Dist) -> String {
    match d {
        Dist::Constant(v) => format!("constant {}", format_duration(*v)),
        Dist::Exponential { mean } => format!("exponential, mean {}", format_duration(*mean)),
        Dist::LogNormal { mean, cv } => format!(
            "lognormal, mean {}, cv {}",
            format_duration(*mean),
            num(*cv)
        ),
        Dist::Gamma { mean, cv } => {
            format!("gamma, mean {}, cv {}", format_duration(*mean), num(*cv))
        }
        Dist::Empirical { file, samples } => format!(
            "empirical from {file} ({} samples, mean {})",
            samples.len(),
            format_duration(secs_to_nanos(dist_mean_secs(d)))
        ),
    }
}

fn strategy_text(p: &PlacementStrategy) -> String {
    match p {
        PlacementStrategy::Binpack(Resource::Cpu) => "binpack on cpu".into(),
        PlacementStrategy::Binpack(Resource::Memory) => "binpack on memory".into(),
        PlacementStrategy::SpreadInstance => "spread across instances".into(),
        PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone) => {
            "spread across availability zones".into()
        }
        PlacementStrategy::SpreadAttribute(a) => format!("spread on {}", attribute_name(*a)),
        PlacementStrategy::Random => "random".into(),
    }
}

fn constraint_text(c: &PlacementConstraint) -> String {
    match c {
        PlacementConstraint::DistinctInstance => "distinctInstance (one task per instance)".into(),
        PlacementConstraint::MemberOf(e) => format!("memberOf({})", e.text.trim()),
    }
}

fn action_text(s: &Scenario, a: &Action) -> String {
    let service = |i: &usize| s.services.get(*i).map_or("?", |v| v.name.as_str());
    match a {
        Action::Deploy { service: i } => format!("deploy a new revision of {}", service(i)),
        Action::FailInstance {
            host: HostSelector::Random,
        } => "a random host fails".into(),
        Action::FailInstance {
            host: HostSelector::Id(id),
        } => format!("host {id} fails"),
        Action::FailAz { az } => format!(
            "availability zone {} fails",
            s.cluster.azs.get(*az).map_or("?", String::as_str)
        ),
        Action::SpotInterruption { count } => {
            format!(
                "{count} random host{} get the 2-minute Spot notice",
                if *count == 1 { "" } else { "s" }
            )
        }
        Action::ScaleService {
            service: i,
            desired,
        } => {
            format!("{} scaled to {desired} tasks", service(i))
        }
    }
}

fn asg_metric(m: AsgMetric) -> &'static str {
    match m {
        AsgMetric::Cpu => "average host CPU",
        AsgMetric::CpuReservation => "cluster CPU reservation",
        AsgMetric::MemoryReservation => "cluster memory reservation",
    }
}

fn service_metric(m: ServiceMetric) -> &'static str {
    match m {
        ServiceMetric::Cpu => "service CPU",
        ServiceMetric::Memory => "service memory",
        ServiceMetric::RequestsPerTarget => "requests per target",
    }
}

fn algorithm(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RoundRobin => "round_robin",
        Algorithm::LeastOutstandingRequests => "least_outstanding_requests",
        Algorithm::WeightedRandom => "weighted_random",
    }
}

/// A number without needless decimals: `3`, `0.25`, `12.5`.
pub(crate) fn num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A request rate: whole numbers from 10 up, one decimal below.
pub(crate) fn rate(x: f64) -> String {
    if x >= 10.0 {
        format!("{}", x.round() as i64)
    } else {
        num((x * 10.0).round() / 10.0)
    }
}

pub(crate) fn percent(part: f64, whole: f64) -> String {
    if whole <= 0.0 {
        "n/a".to_string()
    } else {
        format!("{:.0}%", 100.0 * part / whole)
    }
}

fn dollars(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0');
    let s = if s.ends_with('.') {
        format!("{s}00")
    } else {
        s.to_string()
    };
    let s = if s.split('.').nth(1).is_some_and(|d| d.len() == 1) {
        format!("{s}0")
    } else {
        s
    };
    format!("${s}")
}

/// What is valid but will not do what its author likely meant; printed by
/// `validate` and kept in the recording's notes.
pub fn warnings(s: &Scenario) -> Vec<String> {
    unreachable_reservation_target(s).into_iter().collect()
}

/// Target tracking on ECS reservation can only act if the reservation can
/// pass its target. Tasks are whole: the best packing of one instance with
/// the services' tasks bounds the cluster reservation (PENDING tasks do not
/// count), so a target at or above it never breaches and the ASG never
/// scales out.
fn unreachable_reservation_target(s: &Scenario) -> Option<String> {
    let Some(AsgScaling::TargetTracking { metric, target }) = &s.cluster.asg.scaling else {
        return None;
    };
    let it = &s.cluster.instance_type;
    let cap = (it.registered_cpu, it.registered_memory_mib);
    let sizes: Vec<(u32, u32)> = s.services.iter().map(|v| (v.cpu, v.memory)).collect();
    if sizes.len() > 4 {
        return None; // the search below is exhaustive; keep it small
    }
    let cpu_metric = match metric {
        AsgMetric::CpuReservation => true,
        AsgMetric::MemoryReservation => false,
        AsgMetric::Cpu => return None,
    };
    let best = best_packing(&sizes, cap, cpu_metric);
    let whole = if cpu_metric { cap.0 } else { cap.1 };
    let max_pct = 100.0 * best as f64 / whole as f64;
    (max_pct <= *target).then(|| {
        format!(
            "{} can never pass {}% (the fullest {} holds {} of {} {}), so the \
             ASG's {}% target never breaches and it never scales out; PENDING tasks \
             do not count toward reservation. Lower the target or use policy = \"managed\".",
            asg_metric(*metric),
            num((max_pct * 10.0).floor() / 10.0),
            it.name,
            best,
            whole,
            if cpu_metric { "CPU units" } else { "MiB" },
            num(*target)
        )
    })
}

/// The most CPU (or memory) one instance can have reserved by whole tasks.
fn best_packing(sizes: &[(u32, u32)], free: (u32, u32), cpu: bool) -> u32 {
    let Some((&(c, m), rest)) = sizes.split_first() else {
        return 0;
    };
    let mut best = 0;
    let mut n = 0u32;
    loop {
        let used = (c * n, m * n);
        if used.0 > free.0 || used.1 > free.1 {
            break;
        }
        let here = if cpu { used.0 } else { used.1 };
        best = best.max(here + best_packing(rest, (free.0 - used.0, free.1 - used.1), cpu));
        if c == 0 && m == 0 {
            break;
        }
        n += 1;
    }
    best
}
