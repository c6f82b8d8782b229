//! What cannot hold, found before simulating: a service whose tasks at
//! their most (autoscaling `max`, else `desired`) cannot serve the offered
//! peak long enough to keep its error budget.
//!
//! ```text
//!  λ(t) = profile(t) × share   μ = min(tasks_max × concurrency / E[S], vCPU / (E[S] × cpu_per_request))
//!  Q = tasks_max × (concurrency + queue_limit)
//!  fluid queue q' = λ − μ on [0, Q]; what overflows Q is refused (503) ──► refused / offered > error budget ⇒ pruned
//! ```
//!
//! The fluid queue is the best any fleet of that size can do: every task
//! at full speed from t = 0, no start-up, the CPU shared without loss (a
//! hard limit's vCPU per task, else every vCPU of `asg.max` hosts),
//! arrivals at their mean rate. Real requests only queue more, so a candidate whose
//! fluid overflow alone exceeds the budget cannot meet it.

use dockmaster_sim::dist::Sampler;
use dockmaster_sim::scenario::{CpuLimit, Scenario};
use dockmaster_sim::traffic::Profile;

/// The fluid model's step, seconds: far below any queue's drain time that
/// matters, and ≤ 7,200 steps for a two-hour scenario.
const STEP_S: f64 = 1.0;

/// Why `sc` cannot meet an error-rate objective, or `None`.
pub fn cannot_hold(sc: &Scenario) -> Option<String> {
    let profile = Profile::new(&sc.traffic.profile, 1.0);
    let duration_s = sc.duration as f64 / 1e9;
    let offered_total = profile.integral(0.0, duration_s);
    if offered_total <= 0.0 {
        return None;
    }
    for (i, s) in sc.services.iter().enumerate() {
        let share = sc.traffic.share(i);
        let tasks = s
            .autoscaling
            .as_ref()
            .map_or(s.desired, |a| a.max.max(s.desired));
        let mean_s = Sampler::new(&s.service_time).mean() / 1e9;
        if share <= 0.0 || mean_s <= 0.0 {
            continue;
        }
        // Completions per second: the slots' rate, and the CPU's (a hard
        // limit gives each task cpu/1024 vCPU; shares at most the whole
        // fleet at asg.max hosts).
        let slots = f64::from(tasks) * f64::from(s.concurrency) / mean_s;
        let cpu_s = mean_s * s.cpu_per_request;
        let fleet_vcpu = f64::from(sc.cluster.asg.max) * f64::from(sc.cluster.instance_type.vcpu);
        let vcpu = match s.cpu_limit {
            CpuLimit::Hard => (f64::from(tasks) * f64::from(s.cpu) / 1024.0).min(fleet_vcpu),
            CpuLimit::Shares => fleet_vcpu,
        };
        let mu = if cpu_s > 0.0 {
            slots.min(vcpu / cpu_s)
        } else {
            slots
        };
        let cap = f64::from(tasks) * f64::from(s.concurrency + s.queue_limit);
        let (mut q, mut refused) = (0.0f64, 0.0f64);
        let mut t = 0.0;
        while t < duration_s {
            let dt = STEP_S.min(duration_s - t);
            let arrived = profile.integral(t, t + dt) * share;
            q += arrived - mu * dt;
            if q > cap {
                refused += q - cap;
                q = cap;
            }
            q = q.max(0.0);
            t += dt;
        }
        // Each budget against the refusals among the requests it covers:
        // the fleet's among all, the service's among its own.
        let budgets = [
            (
                sc.slo.error_rate,
                refused / offered_total,
                "the fleet's",
                "the fleet's",
            ),
            (
                s.slo.error_rate,
                refused / (offered_total * share),
                "its",
                "its own",
            ),
        ];
        for (budget, refused_share, whose_requests, whose_budget) in budgets {
            let Some(b) = budget else { continue };
            if refused_share > b {
                return Some(format!(
                    "service {}: even {} tasks at full speed from the start ({:.0} req/s of \
                     capacity (slots and CPU), {:.0} places to queue) refuse {:.2}% of \
                     {whose_requests} requests, over {whose_budget} error budget of {:.2}%",
                    s.name,
                    tasks,
                    mu,
                    cap,
                    refused_share * 100.0,
                    b * 100.0
                ));
            }
        }
    }
    None
}
