//! The CPU budget at peak, for `dockmaster validate`: per task, the CPU
//! work its requests ask for against its limit; per host (as the run places
//! tasks at t = 0), what its tasks may use against its vCPUs; and which of
//! the two, if either, is the bottleneck.
//!
//! Back-of-envelope, like the rest of the description: a service's peak
//! rate × `cpu_per_request` × mean service time, spread evenly over its
//! tasks (what round robin does on average). Queueing, bursts and the
//! quota's stalls come on top: a budget at 90 % will queue.

use crate::layout::initial_layout;
use crate::scenario::{dist_mean_secs, num, percent, rate, CpuLimit, Scenario};
use std::fmt::Write;

/// Hosts listed one by one up to this many; beyond, the range.
const HOSTS_LISTED: usize = 6;

/// Lines describing the CPU budget; empty when no service spends CPU.
pub fn budget(s: &Scenario) -> String {
    if s.services.iter().all(|v| v.cpu_per_request == 0.0) {
        return String::new();
    }
    let peak = s.traffic.peak_rps();
    // Per task of each service: vCPU its requests ask for at peak, and the
    // most it may use (its hard limit; a shares task may use a whole host).
    let per_task: Vec<(f64, f64)> = s
        .services
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let want =
                peak * s.traffic.share(i) * v.cpu_per_request * dist_mean_secs(&v.service_time)
                    / f64::from(v.desired.max(1));
            let cap = match v.cpu_limit {
                CpuLimit::Hard => f64::from(v.cpu) / 1024.0,
                CpuLimit::Shares => f64::INFINITY,
            };
            (want, cap)
        })
        .collect();

    let mut out = String::from("CPU at peak (requests spread evenly over each service's tasks):\n");
    let o = &mut out;
    let mut limited: Vec<String> = Vec::new();
    for (v, &(want, cap)) in s.services.iter().zip(&per_task) {
        if v.cpu_per_request == 0.0 || v.desired == 0 {
            continue;
        }
        let work = v.cpu_per_request * dist_mean_secs(&v.service_time);
        match v.cpu_limit {
            CpuLimit::Hard => {
                let _ = write!(
                    o,
                    "  service {}: {} vCPU of work per task against its hard limit of {} vCPU ({})",
                    v.name,
                    num(want),
                    num(cap),
                    percent(want, cap)
                );
                if want >= cap {
                    let most = cap / work * f64::from(v.desired);
                    let _ = write!(o, ": the limit caps the service at ~{} req/s", rate(most));
                    limited.push(v.name.clone());
                }
                let _ = writeln!(o);
            }
            CpuLimit::Shares => {
                let _ = writeln!(
                    o,
                    "  service {}: {} vCPU of work per task, {} CPU units of shares ({} of them): may borrow idle host CPU",
                    v.name,
                    num(want),
                    v.cpu,
                    percent(want, f64::from(v.cpu) / 1024.0)
                );
            }
        }
    }

    // Hosts as placed at t = 0: what their tasks may use.
    let hosts: Vec<(String, f64, u32)> = initial_layout(s, s.seed)
        .into_iter()
        .map(|h| {
            let used: f64 = h
                .tasks
                .iter()
                .map(|&(svc, _)| {
                    let (want, cap) = per_task[svc as usize];
                    want.min(cap)
                })
                .sum::<f64>()
                + 0.0; // an empty sum of floats is -0
            (h.name, used, h.vcpu)
        })
        .collect();
    let over: Vec<&str> = hosts
        .iter()
        .filter(|(_, used, vcpu)| *used >= f64::from(*vcpu))
        .map(|(n, _, _)| n.as_str())
        .collect();
    if hosts.len() <= HOSTS_LISTED {
        let list: Vec<String> = hosts
            .iter()
            .map(|(n, used, vcpu)| {
                format!(
                    "{n} {} of {vcpu} ({})",
                    num(*used),
                    percent(*used, f64::from(*vcpu))
                )
            })
            .collect();
        let _ = writeln!(o, "  hosts at t=0: {}", list.join(", "));
    } else {
        let pct: Vec<f64> = hosts
            .iter()
            .map(|(_, used, vcpu)| used / f64::from(*vcpu))
            .collect();
        let lo = pct.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = pct.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(
            o,
            "  hosts at t=0: {} hosts, {:.0}%..{:.0}% of their vCPUs",
            hosts.len(),
            100.0 * lo,
            100.0 * hi
        );
    }
    let (used, vcpu): (f64, f64) = hosts
        .iter()
        .fold((0.0, 0.0), |(u, c), h| (u + h.1, c + f64::from(h.2)));
    let wanted: f64 = s
        .services
        .iter()
        .zip(&per_task)
        .map(|(v, &(want, _))| want * f64::from(v.desired))
        .sum();
    let _ = writeln!(
        o,
        "  fleet: {} vCPU of work asked, {} of {} vCPU usable ({})",
        num(wanted),
        num(used),
        num(vcpu),
        percent(used, vcpu)
    );
    let mut bottleneck = Vec::new();
    if !limited.is_empty() {
        bottleneck.push(format!("the hard CPU limits of {}", limited.join(", ")));
    }
    if !over.is_empty() {
        bottleneck.push(format!("the vCPUs of {}", over.join(", ")));
    }
    let _ = writeln!(
        o,
        "  bottleneck: {}",
        if bottleneck.is_empty() {
            "none: CPU is not what limits this fleet at peak".to_string()
        } else {
            format!(
                "{}: requests queue, then are refused (503)",
                bottleneck.join(" and ")
            )
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fleet(cpu_limit: &str, hosts: u32, rps: u32) -> Scenario {
        let text = format!(
            r#"
duration = "1m"
[cluster]
instance_type = "m5.large"
azs = ["us-east-1a"]
[cluster.asg]
min = {hosts}
max = {hosts}
[[services]]
name = "web"
desired = 12
cpu = 512
cpu_limit = "{cpu_limit}"
memory = 1024
concurrency = 16
service_time = {{ dist = "lognormal", mean = "20ms", cv = 1.0 }}
cpu_per_request = 0.1
[traffic]
profile = [ {{ at = "0s", rps = {rps} }} ]
"#
        );
        crate::scenario::parse(&text, Path::new(".")).expect("test scenario")
    }

    #[test]
    fn the_budget_names_the_bottleneck() {
        // 8,000 req/s × 2 ms = 16 vCPU over 12 tasks: 1.33 vCPU each
        // against 0.5; 3 hosts of 2 vCPU, 4 tasks each, 2 vCPU usable.
        let b = budget(&fleet("hard", 3, 8000));
        assert!(
            b.contains("1.33 vCPU of work per task against its hard limit of 0.5 vCPU (267%)"),
            "{b}"
        );
        assert!(b.contains("caps the service at ~3000 req/s"), "{b}");
        assert!(
            b.contains("fleet: 16 vCPU of work asked, 6 of 6 vCPU usable (100%)"),
            "{b}"
        );
        assert!(
            b.contains(
                "bottleneck: the hard CPU limits of web and the vCPUs of i-0001, i-0002, i-0003"
            ),
            "{b}"
        );
        // With shares the limits go; 6 hosts have room for the work.
        let b = budget(&fleet("shares", 12, 8000));
        assert!(b.contains("bottleneck: none"), "{b}");
        // Light traffic: nothing binds.
        let b = budget(&fleet("hard", 3, 1000));
        assert!(b.contains("(33%)") && b.contains("bottleneck: none"), "{b}");
    }
}
