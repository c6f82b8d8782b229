//! The queue of a host's full-speed CPU ends (see the fast path in
//! [`super`]): the kernel's 4-ary min-heap, keyed by the instant. Ties pop
//! in no particular order; that is harmless (requests ending at one instant
//! are retired at that instant) and deterministic (the same pushes give the
//! same pops).

use crate::kernel::{Heap, Keyed};
use crate::time::Nanos;

/// One request whose CPU work (`cpu` ns) ends at `end`: its task, slot and
/// the slot's generation when it started. Every entry is live: a failed
/// task's entries are taken out ([`remove_task`]), a host's are
/// all moved to the work clock at once, so retiring one needs no look at
/// its slot (a cache miss saved per request).
#[derive(Clone, Copy, Debug)]
pub struct CpuEnd {
    pub end: Nanos,
    pub cpu: Nanos,
    pub task: u32,
    pub slot: u32,
    pub gen: u32,
}

impl Keyed for CpuEnd {
    type Key = Nanos;
    #[inline(always)]
    fn key(&self) -> Nanos {
        self.end
    }
}

/// The queue: the kernel's 4-ary heap, keyed by the CPU end.
pub(crate) type FullSpeed = Heap<CpuEnd>;

/// Takes out every entry of `task` (its requests failed).
pub(crate) fn remove_task(q: &mut FullSpeed, task: u32) {
    q.retain(|e| e.task != task);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn pops_in_order_of_end(ends in prop::collection::vec(0u64..1000, 0..300)) {
            let mut q = FullSpeed::default();
            for (i, &end) in ends.iter().enumerate() {
                q.push(CpuEnd { end, cpu: 1, task: i as u32, slot: 0, gen: 0 });
            }
            let mut got = Vec::new();
            while let Some(e) = q.pop() {
                got.push(e.end);
            }
            let mut want = ends.clone();
            want.sort_unstable();
            prop_assert_eq!(got, want);
        }
    }
}
