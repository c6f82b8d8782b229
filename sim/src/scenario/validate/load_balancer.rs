//! `[load_balancer]`: routing algorithm, health checks, deregistration delay.

use super::*;

impl Checker<'_> {
    pub(super) fn load_balancer(&mut self, lb: Option<&raw::RawLoadBalancer>) -> LoadBalancer {
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
}
