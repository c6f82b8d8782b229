//! ECS tasks: each one a FCFS queue with `concurrency` servers and
//! `queue_limit` waiting places, and a lifecycle (AWS_MODEL.md §1.6).
//!
//! ```text
//!  Pending ──placed──► Starting ──startup_time──► Running ──deregister──► Draining ──► Stopped
//!  (no host fits)                                 (target: initial → healthy)   (in-flight finish
//!                                                                                within the delay)
//! ```

use crate::time::SimTime;
use std::collections::VecDeque;

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

/// The target's health as the ALB sees it (AWS_MODEL.md §2.2).
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
    /// Nominal service time still to do, ns (at full CPU speed).
    pub work: f64,
    /// When `work` was last brought up to date.
    pub since: SimTime,
    /// Bumped whenever the completion is rescheduled or cancelled; a
    /// completion event carrying an older generation is stale.
    pub gen: u32,
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
    /// Indices of idle slots.
    pub idle: Vec<u32>,
    /// Arrival instants of waiting requests, oldest first.
    pub queue: VecDeque<SimTime>,
    pub queue_limit: u32,
}

impl Task {
    pub fn new(service: u16, revision: u32, concurrency: u32, queue_limit: u32) -> Task {
        Task {
            service,
            host: None,
            state: TaskState::Pending,
            health: Health::Initial,
            revision,
            gen: 0,
            hc_origin: SimTime::ZERO,
            slots: vec![Slot::default(); concurrency as usize],
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

    #[inline]
    pub fn busy(&self) -> usize {
        self.slots.len() - self.idle.len()
    }

    /// Counts toward the service's tasks (PENDING, RUNNING or STOPPING in
    /// ECS's words).
    pub fn active(&self) -> bool {
        self.state != TaskState::Stopped
    }
}
