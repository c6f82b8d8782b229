//! The Application Load Balancer: one target group per service, a routing
//! algorithm per target group (docs/aws-behaviour.md §2.1), fail-open when no
//! target is healthy (§2.3).

use crate::rng::Rng;
use crate::scenario::Algorithm;
use crate::task::Task;
use rand::Rng as _;

/// The targets (tasks) registered for one service.
#[derive(Clone, Debug, Default)]
pub struct TargetGroup {
    /// Healthy targets, in the order they became healthy: the ALB routes here.
    pub healthy: Vec<u32>,
    /// Registered but not healthy (initial or unhealthy): routed to only when
    /// no target is healthy (fail open).
    pub other: Vec<u32>,
    cursor: usize,
}

fn remove(v: &mut Vec<u32>, task: u32) -> Option<usize> {
    let i = v.iter().position(|&t| t == task)?;
    v.remove(i);
    Some(i)
}

impl TargetGroup {
    pub fn register(&mut self, task: u32) {
        self.other.push(task);
    }

    pub fn set_healthy(&mut self, task: u32) {
        if remove(&mut self.other, task).is_some() {
            self.healthy.push(task);
        }
    }

    pub fn set_unhealthy(&mut self, task: u32) {
        if let Some(i) = remove(&mut self.healthy, task) {
            if self.cursor > i {
                self.cursor -= 1;
            }
            self.other.push(task);
        }
    }

    pub fn deregister(&mut self, task: u32) {
        if let Some(i) = remove(&mut self.healthy, task) {
            if self.cursor > i {
                self.cursor -= 1;
            }
        } else {
            remove(&mut self.other, task);
        }
    }

    /// Chooses the target of the next request, or `None` when the group has
    /// no registered target (the ALB answers 503).
    #[inline]
    pub fn pick(&mut self, algorithm: Algorithm, tasks: &[Task], rng: &mut Rng) -> Option<u32> {
        let targets = if self.healthy.is_empty() {
            &self.other
        } else {
            &self.healthy
        };
        let n = targets.len();
        if n == 0 {
            return None;
        }
        let i = match algorithm {
            Algorithm::RoundRobin => {
                if self.cursor >= n {
                    self.cursor = 0;
                }
                let i = self.cursor;
                self.cursor += 1;
                i
            }
            // Ties go to the first target at or after the cursor, and the
            // cursor moves past the pick: among equally loaded targets the
            // ALB rotates, as it does between its nodes.
            Algorithm::LeastOutstandingRequests => {
                let start = if self.cursor >= n { 0 } else { self.cursor };
                let mut best = start;
                let mut best_load = usize::MAX;
                for k in 0..n {
                    let i = if start + k >= n {
                        start + k - n
                    } else {
                        start + k
                    };
                    let load = tasks[targets[i] as usize].outstanding();
                    if load < best_load {
                        best_load = load;
                        best = i;
                        if load == 0 {
                            break;
                        }
                    }
                }
                self.cursor = best + 1;
                best
            }
            // Equal weights: uniform over the targets.
            Algorithm::WeightedRandom => rng.random_range(0..n),
        };
        Some(targets[i])
    }
}
