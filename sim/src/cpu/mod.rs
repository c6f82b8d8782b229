//! CPU: what a request costs, and how a host's vCPUs are shared among the
//! tasks on it, the way Linux's CFS shares them under the limits ECS sets.
//!
//! ```text
//!  request ──► CPU work: s × cpu_per_request ──► off-CPU wait: s × (1 − cpu_per_request) ──► done
//!              (≤ 1 vCPU at a time, slowed          (a database, another service:
//!               by contention and quotas)            never slowed by the CPU)
//!
//!  host (vCPU V) ── weighted fair share among its tasks (CFS between cgroups):
//!     task A  weight wA, wants nA vCPU ─┐
//!     task B  weight wB, wants nB vCPU ─┼─► Σ wanted ≤ V: each gets what it wants
//!     ...                               ┘   else water-filling: min(n, λ·w), Σ = V
//!  task ── its requests on the CPU share what it gets equally (threads of one cgroup)
//!       ── `hard`: a CFS bandwidth quota: runs until the period's quota is spent,
//!          then gets nothing until the next period
//! ```
//!
//! **CPU first, then waiting.** A request does its CPU work before its
//! off-CPU wait, as a handler that parses, authenticates and computes before
//! it calls downstream and relays the answer. With Poisson arrivals the mean
//! response does not depend on the order (a product-form network of a
//! processor-sharing and a delay station); the order decides which part of
//! a request a burst of contention delays. The testbed burns, then sleeps,
//! in the same order.
//!
//! **Why a quota and not a rate cap.** On EC2 a task-level `cpu` becomes
//! `cpu.cfs_quota_us` = cpu/1024 × `cpu.cfs_period_us` (the ECS agent's
//! `ECS_CGROUP_CPU_PERIOD`, 100 ms by default). The kernel lets the cgroup
//! run at full speed, on as many vCPUs as it has runnable threads, until the
//! period's runtime is spent, then throttles it to the period's end. A fluid
//! "rate × cap" model gets the mean CPU right but misses the stalls that give
//! capped containers their long tails.
//!
//! **The fast path.** Most of the time a host has CPU to spare, every request
//! on it runs at full speed, and its CPU work ends at a known instant. Such a
//! request gets one event (the end of its whole service time) instead of two;
//! its CPU end waits in the host's `full_speed` heap and is retired, at its
//! own instant, by the next look at the host (any change there, a datapoint,
//! a window's end). Contention or a throttle on the host turns these requests
//! back into work-clock requests ([`crate::task::Serving`]).
//!
//! Work is conserved: a host never delivers more than its vCPUs, a request
//! never more than one vCPU, a hard task never more than its quota per
//! period (tests/integration/cpu.rs checks all three on every bundled
//! scenario and against processor-sharing theory).

mod budget;
mod full_speed;

pub use budget::budget;
pub use full_speed::{CpuEnd, FullSpeed};

use crate::engine::{Event, Simulation};
use crate::scenario::{CpuLimit, Service};
use crate::time::{Nanos, SimTime};

/// cgroup v1's default `cpu.shares`. The ECS agent leaves a hard-limited
/// task's cgroup at it (it sets quota and period only), so hard tasks weigh
/// the same against each other whatever their `cpu`.
pub const DEFAULT_SHARES: f64 = 1024.0;
/// The smallest `cpu.shares` the ECS agent writes.
pub const MIN_SHARES: f64 = 2.0;

/// What a task asks of its host's CPU and what it gets.
#[derive(Clone, Debug)]
pub struct TaskCpu {
    /// Requests of the task doing CPU work now.
    pub running: u32,
    /// Of them, the ones counted in its host's `cpu_want` (0 while
    /// throttled).
    pub want: u32,
    /// vCPUs the task gets now (Σ over its running requests, each ≤ 1).
    pub alloc: f64,
    /// Its cgroup's weight against the other tasks of the host.
    pub weight: f64,
    /// The CFS bandwidth quota of a `hard` task.
    pub quota: Option<Quota>,
}

impl TaskCpu {
    pub fn new(service: &Service, period: Nanos) -> TaskCpu {
        let (weight, quota) = match service.cpu_limit {
            CpuLimit::Hard => (
                DEFAULT_SHARES,
                Some(Quota::new(
                    service.cpu as f64 / 1024.0 * period as f64,
                    period,
                )),
            ),
            CpuLimit::Shares => ((service.cpu as f64).max(MIN_SHARES), None),
        };
        TaskCpu {
            running: 0,
            want: 0,
            alloc: 0.0,
            weight,
            quota,
        }
    }

    /// Requests that want a vCPU now.
    #[inline]
    pub fn demand(&self) -> u32 {
        match &self.quota {
            Some(q) if q.throttled => 0,
            _ => self.running,
        }
    }
}

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
    fn period_start(&self, origin: Nanos, t: Nanos) -> Nanos {
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

/// Weighted max-min fair shares ("water-filling"): `want[i]` vCPUs asked,
/// `weight[i]`, `v` vCPUs to give. Each gets `min(want, λ·weight)` with λ
/// chosen so that the shares add up to `min(v, Σ want)`. This is the
/// steady state of CFS between cgroups whose threads each run on at most
/// one CPU. `order` is scratch space.
pub fn water_fill(v: f64, want: &[u32], weight: &[f64], share: &mut [f64], order: &mut Vec<usize>) {
    order.clear();
    order.extend((0..want.len()).filter(|&i| want[i] > 0));
    for s in share.iter_mut() {
        *s = 0.0;
    }
    // Whoever wants least per unit of weight is satisfied first.
    order.sort_by(|&a, &b| {
        (want[a] as f64 / weight[a])
            .total_cmp(&(want[b] as f64 / weight[b]))
            .then(a.cmp(&b))
    });
    let mut left = v;
    let mut w_left: f64 = order.iter().map(|&i| weight[i]).sum();
    for (k, &i) in order.iter().enumerate() {
        let fair = left * weight[i] / w_left;
        if (want[i] as f64) <= fair {
            share[i] = want[i] as f64;
            left -= share[i];
            w_left -= weight[i];
        } else {
            // Everyone from here on is capped by the water level.
            for &j in &order[k..] {
                share[j] = left * weight[j] / w_left;
            }
            return;
        }
    }
}

impl Simulation<'_> {
    /// A request of `task` starts its CPU work (its finish is already in the
    /// task's heap).
    pub(crate) fn cpu_enter(&mut self, task: u32) {
        let now = self.kernel.now();
        // CPU ends that came before go first, at their own instants, so
        // that the change below is accounted at `now`.
        self.retire_own_host(task, now);
        let now = now.0;
        let c = &mut self.tasks[task as usize].cpu;
        c.running += 1;
        if let Some(q) = &mut c.quota {
            if q.origin.is_none() {
                q.start(now);
            }
        }
        self.demand_changed(task);
    }

    /// A request of `task` finished its CPU work or was cancelled.
    pub(crate) fn cpu_leave(&mut self, task: u32, requests: u32) {
        self.retire_own_host(task, self.kernel.now());
        let c = &mut self.tasks[task as usize].cpu;
        c.running -= requests;
        self.demand_changed(task);
    }

    /// The task's demand may have changed: its host's shares follow.
    fn demand_changed(&mut self, task: u32) {
        let now = self.kernel.now();
        let h = self.tasks[task as usize]
            .host
            .expect("a task doing CPU work is placed") as usize;
        self.retire_cpu_ends(h, now);
        let t = &mut self.tasks[task as usize];
        let (old, new) = (t.cpu.want, t.cpu.demand());
        if old == new {
            return;
        }
        t.cpu.want = new;
        let host = &mut self.hosts[h];
        host.cpu_want = host.cpu_want + new - old;
        let contended = host.cpu_want as f64 > host.vcpu;
        if !host.contended && !contended {
            // Enough for everyone before and after: only this task changes,
            // and its requests keep running at full speed.
            self.set_alloc(task, new as f64, now);
            return;
        }
        if contended && !host.contended {
            self.leave_full_speed(h);
        }
        self.hosts[h].contended = contended;
        self.share_host(h);
    }

    /// Shares a host's vCPUs among its tasks (water-filling by weight).
    fn share_host(&mut self, h: usize) {
        let mut scratch = std::mem::take(&mut self.cpu_scratch);
        scratch.want.clear();
        scratch.weight.clear();
        for &t in &self.hosts[h].tasks {
            let c = &self.tasks[t as usize].cpu;
            scratch.want.push(c.want);
            scratch.weight.push(c.weight);
        }
        scratch.share.clear();
        scratch.share.resize(scratch.want.len(), 0.0);
        water_fill(
            self.hosts[h].vcpu,
            &scratch.want,
            &scratch.weight,
            &mut scratch.share,
            &mut scratch.order,
        );
        let now = self.kernel.now();
        for i in 0..scratch.share.len() {
            let t = self.hosts[h].tasks[i];
            self.set_alloc(t, scratch.share[i], now);
        }
        self.cpu_scratch = scratch;
    }

    /// Gives `task` `alloc` vCPU from `at` (now, or for a full-speed
    /// request retired late, the instant its CPU work ended): its work clock
    /// changes speed, its host's, service's and the fleet's CPU in use
    /// follow, its quota timer moves if the runtime will now be spent sooner.
    fn set_alloc(&mut self, task: u32, alloc: f64, at: SimTime) {
        let t = &mut self.tasks[task as usize];
        let old = t.cpu.alloc;
        let running = t.cpu.running as f64;
        // Full speed whenever the task gets what it wants (no division).
        let rate = if alloc >= running {
            1.0
        } else {
            alloc / running
        };
        if alloc == old && rate == t.serving.rate {
            return;
        }
        if rate != t.serving.rate {
            t.serving.advance(at); // the clock is linear at one rate
        }
        if let Some(q) = &mut t.cpu.quota {
            q.advance(at.0, old);
        }
        t.cpu.alloc = alloc;
        let faster = rate > t.serving.rate;
        t.serving.rate = rate;
        let busy = !t.serving.finishing.is_empty();
        let (service, h) = (t.service as usize, t.host.expect("placed") as usize);
        let delta = alloc - old;
        let host = &mut self.hosts[h];
        host.account_cpu(at);
        host.cpu_used += delta;
        self.add_cpu_used(service, delta, at);
        // A speed-up brings the next completion forward: move its event. A
        // slow-down only delays it: the event, now early, reschedules itself
        // when it fires (one event instead of one per change).
        if faster && busy {
            self.schedule_completion(task);
        }
        if alloc > old {
            self.arm_quota_timer(task);
        }
    }

    /// The fast path. On a host with CPU to spare a request runs at full
    /// speed, so its CPU work ends at a known instant and its whole service
    /// time at another: it gets one event (the end of its service time)
    /// instead of two, and its CPU end waits in the host's `full_speed`
    /// heap, retired by the next look at the host. Contention or a throttle
    /// on the host turns these requests back into work-clock requests.
    /// Returns false (the caller takes the work-clock path) when the host
    /// would be contended with one more request, or the task is throttled.
    pub(crate) fn try_full_speed(&mut self, task: u32, slot: u32) -> bool {
        let now = self.kernel.now();
        let h = self.tasks[task as usize].host.expect("placed") as usize;
        self.retire_cpu_ends(h, now);
        let t = &mut self.tasks[task as usize];
        let host = &self.hosts[h];
        if host.contended
            || (host.cpu_want + 1) as f64 > host.vcpu
            || t.cpu.quota.as_ref().is_some_and(|q| q.throttled)
        {
            return false;
        }
        let s = &mut t.slots[slot as usize];
        s.gen = s.gen.wrapping_add(1);
        let gen = s.gen;
        let end = now.0 + s.cpu;
        self.kernel
            .schedule(s.cpu + s.off, Event::SlotDone { task, slot, gen });
        self.hosts[h].full_speed.push(CpuEnd {
            end,
            cpu: s.cpu,
            task,
            slot,
            gen,
        });
        if let Some(q) = &mut self.tasks[task as usize].cpu.quota {
            if q.origin.is_none() {
                q.start(now.0);
            }
        }
        self.full_speed_change(task, h, 1, now);
        true
    }

    /// One request of `task` starts (`delta` = 1) or ends (−1) CPU work at
    /// `at` on its uncontended host `h`, the task not throttled: every task
    /// there gets what it wants and runs at full speed, so only this task's
    /// counts and the CPU integrals move (the common case, kept lean).
    fn full_speed_change(&mut self, task: u32, h: usize, delta: i32, at: SimTime) {
        let t = &mut self.tasks[task as usize];
        let old = t.cpu.alloc;
        t.cpu.running = t.cpu.running.wrapping_add_signed(delta);
        t.cpu.want = t.cpu.running;
        let alloc = t.cpu.running as f64;
        t.cpu.alloc = alloc;
        let mut arm = false;
        if let Some(q) = &mut t.cpu.quota {
            q.advance(at.0, old);
            // Can the runtime be spent before the period ends at this rate?
            arm = delta > 0
                && (q.used + alloc * (q.end - at.0) as f64 > q.runtime
                    || alloc * q.period as f64 > q.runtime);
        }
        let service = t.service as usize;
        let d = f64::from(delta);
        let host = &mut self.hosts[h];
        host.cpu_want = host.cpu_want.wrapping_add_signed(delta);
        host.account_cpu(at);
        host.cpu_used += d;
        self.add_cpu_used(service, d, at);
        if arm {
            self.arm_quota_timer(task);
        }
    }

    /// The service's and the fleet's CPU in use change by `delta` from `at`.
    /// Both span other hosts, whose events may have brought their integrals
    /// past `at` (a CPU end retired late): those are corrected back to it.
    #[inline]
    fn add_cpu_used(&mut self, service: usize, delta: f64, at: SimTime) {
        let svc = &mut self.services[service];
        if at >= svc.cpu_since {
            svc.account(at);
        } else {
            let back = delta * (svc.cpu_since.0 - at.0) as f64;
            svc.cpu_area += back;
            svc.cpu_total += back;
        }
        svc.cpu_used += delta;
        if at < self.last_change {
            self.cpu_area += delta * (self.last_change.0 - at.0) as f64;
        }
        self.cpu_used += delta;
    }

    /// Retires the full-speed requests of host `h` whose CPU work ended by
    /// `now`, in the order they ended, each at its own instant.
    pub(crate) fn retire_cpu_ends(&mut self, h: usize, now: SimTime) {
        while let Some(&CpuEnd { end, cpu, task, .. }) = self.hosts[h].full_speed.peek() {
            if end > now.0 {
                return;
            }
            let e = self.hosts[h].full_speed.pop().expect("peeked");
            debug_assert!({
                let s = &self.tasks[task as usize].slots[e.slot as usize];
                s.busy && s.gen == e.gen
            });
            self.cpu_work_done += cpu as f64;
            // The host has CPU to spare and the task is not throttled (else
            // nothing would be here).
            self.full_speed_change(task, h, -1, SimTime(end));
        }
    }

    fn retire_own_host(&mut self, task: u32, now: SimTime) {
        let h = self.tasks[task as usize].host.expect("placed") as usize;
        self.retire_cpu_ends(h, now);
    }

    /// Every host's full-speed requests retired up to `now` (before reading
    /// CPU integrals: datapoints, windows).
    pub(crate) fn retire_all_cpu_ends(&mut self, now: SimTime) {
        for h in 0..self.hosts.len() {
            self.retire_cpu_ends(h, now);
        }
    }

    /// Contention or a throttle on host `h`: its full-speed requests become
    /// work-clock requests (their CPU work left goes on the task's clock;
    /// the events at the end of their service time are cancelled).
    fn leave_full_speed(&mut self, h: usize) {
        let now = self.kernel.now();
        self.retire_cpu_ends(h, now);
        if self.hosts[h].full_speed.is_empty() {
            return;
        }
        let mut heap = std::mem::take(&mut self.hosts[h].full_speed);
        let mut touched: Vec<u32> = Vec::new();
        for CpuEnd {
            end,
            task,
            slot,
            gen,
            ..
        } in heap.drain()
        {
            let t = &mut self.tasks[task as usize];
            let s = &mut t.slots[slot as usize];
            if !s.busy || s.gen != gen {
                continue;
            }
            s.gen = s.gen.wrapping_add(1);
            t.serving.advance(now);
            let finish = t.serving.clock + (end - now.0) as f64;
            s.finish = finish;
            t.serving
                .finishing
                .push(std::cmp::Reverse((finish.to_bits(), slot)));
            touched.push(task);
        }
        self.hosts[h].full_speed = heap; // keeps its capacity
        touched.sort_unstable();
        touched.dedup();
        for task in touched {
            self.schedule_completion(task);
        }
    }

    /// Schedules the task's quota timer if its state will change sooner
    /// than the pending timer fires.
    fn arm_quota_timer(&mut self, task: u32) {
        let now = self.kernel.now().0;
        let t = &mut self.tasks[task as usize];
        let alloc = t.cpu.alloc;
        let Some(q) = &mut t.cpu.quota else {
            return;
        };
        if let Some(at) = q.next_change(now, alloc) {
            if at < q.next {
                q.gen = q.gen.wrapping_add(1);
                q.next = at;
                let gen = q.gen;
                self.kernel
                    .schedule_at(SimTime(at), Event::QuotaTimer { task, gen });
            }
        }
    }

    /// The quota timer: throttle a task that spent its runtime, refill one
    /// at its period's end, or look again (the timer was early).
    pub(crate) fn on_quota_timer(&mut self, task: u32, gen: u32) {
        let now = self.kernel.now().0;
        let h = self.tasks[task as usize].host.expect("placed") as usize;
        if self.tasks[task as usize]
            .cpu
            .quota
            .as_ref()
            .is_none_or(|q| q.gen != gen)
        {
            return;
        }
        self.retire_cpu_ends(h, SimTime(now));
        let t = &mut self.tasks[task as usize];
        let alloc = t.cpu.alloc;
        let Some(q) = &mut t.cpu.quota else {
            return;
        };
        if q.gen != gen {
            return;
        }
        q.next = u64::MAX;
        let origin = q.origin.expect("a timer is armed after the first CPU work");
        if q.throttled {
            if q.period_start(origin, now) > q.since {
                q.throttled = false;
                q.used = 0.0;
                q.since = now;
                q.end = q.period_start(origin, now) + q.period;
                self.demand_changed(task);
            }
        } else {
            q.advance(now, alloc);
            if alloc > 0.0 && q.spent() {
                // Its requests stop: none may stay on the full-speed path.
                self.leave_full_speed(h);
                let q = self.tasks[task as usize].cpu.quota.as_mut().expect("hard");
                q.throttled = true;
                self.throttled += 1;
                self.demand_changed(task);
            }
        }
        self.arm_quota_timer(task);
    }

    /// A host leaves with its requests failed: nothing of it runs any more.
    pub(crate) fn cpu_host_gone(&mut self, h: usize) {
        let now = self.kernel.now();
        let host = &mut self.hosts[h];
        host.account_cpu(now);
        self.cpu_used -= host.cpu_used;
        host.cpu_used = 0.0;
        host.cpu_want = 0;
        host.contended = false;
        host.full_speed.clear();
        if self.hosts[h].registered() {
            self.registered_vcpu -= self.hosts[h].vcpu;
        }
    }
}

/// Reused buffers of [`Simulation::share_host`] (no allocation per change).
#[derive(Default)]
pub(crate) struct Scratch {
    want: Vec<u32>,
    weight: Vec<f64>,
    share: Vec<f64>,
    order: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(v: f64, want: &[u32], weight: &[f64]) -> Vec<f64> {
        let mut share = vec![0.0; want.len()];
        water_fill(v, want, weight, &mut share, &mut Vec::new());
        share
    }

    #[test]
    fn enough_for_everyone_gives_each_what_it_wants() {
        assert_eq!(fill(4.0, &[1, 2, 0], &[1.0, 1.0, 1.0]), vec![1.0, 2.0, 0.0]);
    }

    #[test]
    fn contention_splits_by_weight_and_never_gives_more_than_wanted() {
        // 2 vCPU; A (weight 2) wants 4, B (weight 1) wants 4: 4/3 and 2/3.
        let s = fill(2.0, &[4, 4], &[2.0, 1.0]);
        assert!((s[0] - 4.0 / 3.0).abs() < 1e-12 && (s[1] - 2.0 / 3.0).abs() < 1e-12);
        // A small wanter is satisfied, the rest goes to the big one.
        let s = fill(4.0, &[1, 8], &[1.0, 1.0]);
        assert_eq!(s, vec![1.0, 3.0]);
        let total: f64 = fill(3.0, &[5, 1, 2, 7], &[1024.0, 512.0, 256.0, 2.0])
            .iter()
            .sum();
        assert!((total - 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_quota_is_spent_at_full_speed_then_refilled_next_period() {
        // 0.5 vCPU per 100 ms; two requests on a 2-vCPU host spend the 50 ms
        // in 25 ms (the kernel's burst), then wait for the period's end.
        let p = 100_000_000;
        let mut q = Quota::new(50_000_000.0, p);
        q.start(0);
        assert_eq!(q.next_change(0, 2.0), Some(25_000_000));
        q.advance(25_000_000, 2.0);
        assert!(q.spent());
        q.throttled = true;
        assert_eq!(q.next_change(25_000_000, 0.0), Some(p));
        // Within its quota's rate a task is never throttled.
        let mut q = Quota::new(50_000_000.0, p);
        q.start(0);
        assert_eq!(q.next_change(0, 0.5), None);
        // Above it after an idle half period: spent early in the next one.
        q.advance(50_000_000, 0.0);
        assert_eq!(q.next_change(50_000_000, 0.6), Some(p + 83_333_334));
    }
}
