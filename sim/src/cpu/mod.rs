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
mod quota;
mod share;
#[cfg(test)]
mod tests;

pub use budget::budget;
pub(crate) use full_speed::remove_task;
pub use full_speed::CpuEnd;
pub(crate) use full_speed::FullSpeed;
pub use quota::Quota;
pub use share::water_fill;

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
