//! ECS tasks: each one a FCFS queue with `concurrency` servers and
//! `queue_limit` waiting places, and a lifecycle (docs/aws-behaviour.md §1.6).
//!
//! ```text
//!  Pending ──placed──► Starting ──startup_time──► Running ──deregister──► Draining ──► Stopped
//!  (no host fits)                                 (target: initial → healthy)   (in-flight finish
//!                                                                                within the delay)
//! ```

use crate::cpu::TaskCpu;
use crate::time::{Nanos, SimTime};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Wanted but not placed: no container instance fits (PROVISIONING).
    Pending,
    /// Placed; image pull and container start.
    Starting,
    /// Running and registered with the target group.
    Running,
    /// Its host is gone; the control plane has not noticed yet, so the ALB
    /// still routes to it (and those requests fail).
    Lost,
    /// Deregistered from the target group, finishing in-flight requests.
    Draining,
    Stopped,
}

/// The target's health as the ALB sees it (docs/aws-behaviour.md §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Registered, no check passed yet: receives traffic only when the ALB
    /// fails open.
    Initial,
    Healthy,
    Unhealthy,
}

/// One server of a task: the request it is serving.
#[derive(Clone, Copy, Debug, Default)]
pub struct Slot {
    pub busy: bool,
    pub arrival: SimTime,
    /// The task's work clock reading at which this request's CPU work is
    /// done.
    pub finish: f64,
    /// The request's CPU work, ns at one full vCPU.
    pub cpu: Nanos,
    /// Its wait off the CPU, after the CPU work.
    pub off: Nanos,
    /// The request's off-CPU wait ends with an event of its own, fixed when
    /// the wait starts; it carries this, bumped when the request is
    /// cancelled.
    pub gen: u32,
}

/// The requests of a task doing their CPU work, and when they finish it.
///
/// Processor sharing without rescheduling every request: all requests of a
/// task on the CPU get the same share of what the task gets (CFS divides a
/// cgroup's CPU equally among its runnable threads), so they progress at the
/// same rate. A per-task *work clock* advances at `rate` ns of CPU work per
/// ns; a request started with `w` ns of work finishes when the clock
/// reaches `start + w`. Finishing order never changes, so only the earliest
/// finisher has an event in the kernel; a change of speed moves that one
/// event (O(tasks on the host), not O(requests)).
#[derive(Clone, Debug)]
pub struct Serving {
    /// Work clock, ns of CPU work, as of `since`.
    pub clock: f64,
    pub since: SimTime,
    /// vCPU each request on the CPU gets now: 0 (throttled) ..= 1.
    pub rate: f64,
    /// Busy slots by finishing clock reading (f64 bits order as the values:
    /// they are non-negative), earliest first.
    pub finishing: BinaryHeap<Reverse<(u64, u32)>>,
    /// Generation of the one scheduled completion event.
    pub gen: u32,
}

impl Default for Serving {
    fn default() -> Self {
        Serving {
            clock: 0.0,
            since: SimTime::ZERO,
            rate: 1.0,
            finishing: BinaryHeap::new(),
            gen: 0,
        }
    }
}

impl Serving {
    /// Brings the work clock up to `now`.
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        if now != self.since {
            self.clock += (now.0 - self.since.0) as f64 * self.rate;
            self.since = now;
        }
    }

    /// The slot whose CPU work finishes first and the ns of CPU work it
    /// has left (clock brought up to date by the caller).
    #[inline]
    pub fn next_finish(&self, slots: &[Slot]) -> Option<(u32, f64)> {
        let Reverse((_, slot)) = *self.finishing.peek()?;
        let left = (slots[slot as usize].finish - self.clock).max(0.0);
        Some((slot, left))
    }
}

#[derive(Clone, Debug)]
pub struct Task {
    pub service: u16,
    /// Host index, once placed.
    pub host: Option<u32>,
    pub state: TaskState,
    pub health: Health,
    /// The service revision (task definition) it runs; a deploy bumps the
    /// service's revision.
    pub revision: u32,
    /// Bumped at every lifecycle change; timers carrying an older value are
    /// stale.
    pub gen: u32,
    /// Health checks of this target happen at `hc_origin + k × interval`.
    pub hc_origin: SimTime,
    pub slots: Vec<Slot>,
    /// The requests doing CPU work and their finishing order.
    pub serving: Serving,
    /// What the task asks of its host's CPU and what it gets.
    pub cpu: TaskCpu,
    /// Indices of idle slots.
    pub idle: Vec<u32>,
    /// Arrival instants of waiting requests, oldest first.
    pub queue: VecDeque<SimTime>,
    pub queue_limit: u32,
}

impl Task {
    pub fn new(
        service: u16,
        revision: u32,
        concurrency: u32,
        queue_limit: u32,
        cpu: TaskCpu,
    ) -> Task {
        Task {
            service,
            host: None,
            state: TaskState::Pending,
            health: Health::Initial,
            revision,
            gen: 0,
            hc_origin: SimTime::ZERO,
            slots: vec![Slot::default(); concurrency as usize],
            serving: Serving::default(),
            cpu,
            idle: (0..concurrency).rev().collect(),
            queue: VecDeque::new(),
            queue_limit,
        }
    }

    /// Requests in service or waiting: what `least_outstanding_requests`
    /// compares.
    #[inline]
    pub fn outstanding(&self) -> usize {
        self.slots.len() - self.idle.len() + self.queue.len()
    }

    /// Counts toward the service's tasks (PENDING, RUNNING or STOPPING in
    /// ECS's words).
    pub fn active(&self) -> bool {
        self.state != TaskState::Stopped
    }
}
