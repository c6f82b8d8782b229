//! The queue of a host's full-speed CPU ends (see the fast path in
//! [`super`]): a 4-ary min-heap on the instant, entries moved into a hole
//! rather than swapped, as the kernel's event queue is. Ties pop in no
//! particular order; that is harmless (requests ending at one instant are
//! retired at that instant) and deterministic (the same pushes give the same
//! pops).

use crate::time::Nanos;

/// One request whose CPU work (`cpu` ns) ends at `end`: its task, slot and
/// the slot's generation when it started. Every entry is live: a failed
/// task's entries are taken out ([`FullSpeed::remove_task`]), a host's are
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

#[derive(Clone, Debug, Default)]
pub struct FullSpeed {
    v: Vec<CpuEnd>,
}

impl FullSpeed {
    #[inline]
    pub fn push(&mut self, e: CpuEnd) {
        let mut hole = self.v.len();
        self.v.push(e);
        let v = &mut self.v[..];
        while hole > 0 {
            let parent = (hole - 1) / 4;
            if e.end < v[parent].end {
                v[hole] = v[parent];
                hole = parent;
            } else {
                break;
            }
        }
        v[hole] = e;
    }

    #[inline]
    pub fn peek(&self) -> Option<&CpuEnd> {
        self.v.first()
    }

    #[inline]
    pub fn pop(&mut self) -> Option<CpuEnd> {
        let last = self.v.pop()?;
        let v = &mut self.v[..];
        let n = v.len();
        if n == 0 {
            return Some(last);
        }
        let top = v[0];
        let mut hole = 0;
        loop {
            let first = 4 * hole + 1;
            if first >= n {
                break;
            }
            let stop = (first + 4).min(n);
            let mut best = first;
            for c in first + 1..stop {
                if v[c].end < v[best].end {
                    best = c;
                }
            }
            if v[best].end < last.end {
                v[hole] = v[best];
                hole = best;
            } else {
                break;
            }
        }
        v[hole] = last;
        Some(top)
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    pub fn clear(&mut self) {
        self.v.clear();
    }

    /// Takes out every entry of `task` (its requests failed).
    pub fn remove_task(&mut self, task: u32) {
        if self.v.iter().all(|e| e.task != task) {
            return;
        }
        let kept: Vec<CpuEnd> = self.v.drain(..).filter(|e| e.task != task).collect();
        for e in kept {
            self.push(e);
        }
    }

    /// Every entry, in no particular order; the queue is left empty.
    pub fn drain(&mut self) -> std::vec::Drain<'_, CpuEnd> {
        self.v.drain(..)
    }
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
