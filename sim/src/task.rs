//! ECS tasks: each one a FCFS queue with `concurrency` servers and
//! `queue_limit` waiting places.

use crate::placement::HostId;
use crate::time::SimTime;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Not placed: no container instance fits.
    Pending,
    /// Placed, starting (image pull, container start).
    Starting,
    /// Running; receives traffic once the target group finds it healthy.
    Running,
    /// Deregistered from the target group, finishing in-flight requests.
    Draining,
    Stopped,
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
    /// Bumped whenever the completion is rescheduled; a completion event
    /// carrying an older generation is stale.
    pub gen: u32,
}

#[derive(Clone, Debug)]
pub struct Task {
    pub service: u16,
    pub host: HostId,
    pub state: TaskState,
    pub slots: Vec<Slot>,
    /// Indices of idle slots.
    pub idle: Vec<u32>,
    /// Arrival instants of waiting requests, oldest first.
    pub queue: VecDeque<SimTime>,
    pub queue_limit: u32,
}

impl Task {
    pub fn new(service: u16, host: HostId, concurrency: u32, queue_limit: u32) -> Task {
        Task {
            service,
            host,
            state: TaskState::Running,
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
}
