//! `[load_balancer]`: routing algorithm, health checks, deregistration delay.

use super::*;

impl Checker<'_> {
    pub(super) fn load_balancer(&mut self, lb: Option<&raw::RawLoadBalancer>) -> LoadBalancer {
        let default = raw::RawLoadBalancer::default();
        let lb = lb.unwrap_or(&default);
        let algorithm = self
            .field(
                "load_balancer.algorithm",
                &lb.algorithm,
                OneOf(&[
                    ("round_robin", Algorithm::RoundRobin),
                    (
                        "least_outstanding_requests",
                        Algorithm::LeastOutstandingRequests,
                    ),
                    ("weighted_random", Algorithm::WeightedRandom),
                ]),
            )
            .or(Algorithm::RoundRobin);
        let hc_default = raw::RawHealthCheck::default();
        let hc = lb.health_check.as_ref().unwrap_or(&hc_default);
        const P: &str = "load_balancer.health_check";
        let interval = self
            .field(
                &format!("{P}.interval"),
                &hc.interval,
                Dur(
                    |d| (5 * NANOS_PER_SEC..=300 * NANOS_PER_SEC).contains(&d),
                    "a duration from 5s to 300s (ALB target group range)",
                ),
            )
            .or(raw::DEFAULT_HC_INTERVAL);
        let timeout = self
            .field(
                &format!("{P}.timeout"),
                &hc.timeout,
                Dur(
                    |d| (2 * NANOS_PER_SEC..=120 * NANOS_PER_SEC).contains(&d),
                    "a duration from 2s to 120s (ALB target group range)",
                ),
            )
            .or(raw::DEFAULT_HC_TIMEOUT);
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
        let healthy = self
            .field(
                &format!("{P}.healthy_threshold"),
                &hc.healthy_threshold,
                Int(2, 10, threshold_words),
            )
            .or(raw::DEFAULT_HEALTHY_THRESHOLD);
        let unhealthy = self
            .field(
                &format!("{P}.unhealthy_threshold"),
                &hc.unhealthy_threshold,
                Int(2, 10, threshold_words),
            )
            .or(raw::DEFAULT_UNHEALTHY_THRESHOLD);
        let dereg = self
            .field(
                "load_balancer.deregistration_delay",
                &lb.deregistration_delay,
                Dur(|d| d <= 3600 * NANOS_PER_SEC, "a duration from 0s to 3600s"),
            )
            .or(raw::DEFAULT_DEREGISTRATION_DELAY);
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
