//! A hard task's CFS bandwidth quota: its runtime per period, how much of
//! it is spent, and when its state next changes.

use crate::time::Nanos;

/// A CFS bandwidth quota: `runtime` ns of CPU per `period`.
#[derive(Clone, Debug)]
pub struct Quota {
    pub runtime: f64,
    pub period: Nanos,
    /// Periods start at `origin + k × period`. Set at the task's first CPU
    /// work: the kernel starts a cgroup's period timer when it first runs
    /// and keeps the timer's phase when it restarts after idling
    /// (`hrtimer_forward_now`).
    pub origin: Option<Nanos>,
    /// CPU ns used in the period that holds `since`.
    pub used: f64,
    pub since: Nanos,
    /// End of the period that holds `since` (saves a division per change).
    pub end: Nanos,
    /// The period's runtime is spent: nothing runs until the next period.
    pub throttled: bool,
    /// The quota timer the task relies on: its generation and instant
    /// (`u64::MAX`: none). An earlier one replaces it; a later one is not
    /// scheduled, the pending one fires early and looks again.
    pub gen: u32,
    pub next: Nanos,
}

impl Quota {
    pub fn new(runtime: f64, period: Nanos) -> Quota {
        Quota {
            runtime,
            period,
            origin: None,
            used: 0.0,
            since: 0,
            end: 0,
            throttled: false,
            gen: 0,
            next: u64::MAX,
        }
    }

    /// Start of the period that holds `t` (`origin` set).
    #[inline]
    pub(crate) fn period_start(&self, origin: Nanos, t: Nanos) -> Nanos {
        if t < self.end && t + self.period >= self.end {
            return self.end - self.period; // the usual case: no division
        }
        origin + (t - origin) / self.period * self.period
    }

    /// Starts the period clock at the task's first CPU work.
    pub fn start(&mut self, now: Nanos) {
        self.origin = Some(now);
        self.since = now;
        self.end = now + self.period;
    }

    /// Brings `used` up to `now`, the task having had `alloc` vCPU since
    /// `since`. A new period starts afresh; a throttled task is unthrottled
    /// only by its timer (so that the host's shares change at that instant),
    /// and `since` stays at the instant it was throttled.
    #[inline]
    pub fn advance(&mut self, now: Nanos, alloc: f64) {
        let Some(origin) = self.origin else {
            self.since = now;
            return;
        };
        if self.throttled {
            return;
        }
        if now >= self.end {
            let start = self.period_start(origin, now);
            self.used = alloc * (now - start) as f64;
            self.end = start + self.period;
        } else {
            self.used += alloc * (now - self.since) as f64;
        }
        self.since = now;
    }

    /// When the quota's state may next change at `alloc` vCPU: the end of
    /// the period when throttled, else the instant the runtime would be
    /// spent (this period or, at a rate above the quota, the next).
    pub fn next_change(&self, now: Nanos, alloc: f64) -> Option<Nanos> {
        let origin = self.origin?;
        let end = self.period_start(origin, now) + self.period;
        if self.throttled {
            return Some(end);
        }
        if alloc <= 0.0 {
            return None;
        }
        let left = (self.runtime - self.used).max(0.0);
        // Most changes cannot spend the quota: within this period at this
        // rate, and not above the quota's own rate.
        if alloc * (end - now) as f64 <= left && alloc * self.period as f64 <= self.runtime {
            return None;
        }
        let spent = now as f64 + left / alloc;
        if spent < end as f64 {
            Some((spent.ceil() as Nanos).max(now))
        } else if alloc * self.period as f64 > self.runtime {
            Some(end + (self.runtime / alloc).ceil() as Nanos)
        } else {
            None
        }
    }

    /// Spent, to within a nanosecond's rounding of the timer.
    #[inline]
    pub fn spent(&self) -> bool {
        self.used >= self.runtime - 1.0
    }
}
