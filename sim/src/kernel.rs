//! The discrete-event kernel: one clock, one queue.
//!
//! Ordering contract: events fire in increasing time. At the same
//! nanosecond, events scheduled with [`Kernel::schedule_first_at`] (the
//! bookkeeping of window boundaries) fire before all others; within each of
//! the two classes, events fire in the order they were scheduled (FIFO, by a
//! sequence number assigned at scheduling). Nothing else breaks ties, so a
//! run is a pure function of the scenario and the seed.
//!
//! The queue never cancels; components that need to take an event back keep
//! a generation number and ignore stale events when they fire.

use crate::time::{Nanos, SimTime};

/// Sequence numbers of ordinary events carry this bit.
const FIRST_CLASS_END: u64 = 1 << 63;

struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn before(&self, o: &Self) -> bool {
        (self.at, self.seq) < (o.at, o.seq)
    }
}

/// A 4-ary min-heap on `(at, seq)`: half the depth of a binary heap, and a
/// node's children share a cache line or two; the event loop spends most of
/// its time here.
struct Heap<E> {
    v: Vec<Entry<E>>,
}

impl<E> Heap<E> {
    #[inline]
    fn push(&mut self, e: Entry<E>) {
        self.v.push(e);
        let mut i = self.v.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.v[i].before(&self.v[parent]) {
                self.v.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Entry<E>> {
        let last = self.v.pop()?;
        if self.v.is_empty() {
            return Some(last);
        }
        let top = std::mem::replace(&mut self.v[0], last);
        let n = self.v.len();
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let mut best = first;
            for c in first + 1..(first + 4).min(n) {
                if self.v[c].before(&self.v[best]) {
                    best = c;
                }
            }
            if self.v[best].before(&self.v[i]) {
                self.v.swap(i, best);
                i = best;
            } else {
                break;
            }
        }
        Some(top)
    }

    fn peek(&self) -> Option<&Entry<E>> {
        self.v.first()
    }
}

/// The future event list and the clock.
pub struct Kernel<E> {
    now: SimTime,
    seq: u64,
    fired: u64,
    queue: Heap<E>,
}

impl<E> Default for Kernel<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Kernel<E> {
    pub fn new() -> Self {
        Kernel {
            now: SimTime::ZERO,
            seq: 0,
            fired: 0,
            queue: Heap {
                v: Vec::with_capacity(1024),
            },
        }
    }

    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events fired so far.
    pub fn fired(&self) -> u64 {
        self.fired
    }

    /// Events waiting.
    pub fn pending(&self) -> usize {
        self.queue.v.len()
    }

    /// Schedules `event` at `at`. Scheduling in the past is a bug in the
    /// model, not in the input.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "event scheduled in the past");
        // The top bit puts ordinary events after the "first" class.
        let seq = self.seq | FIRST_CLASS_END;
        self.seq += 1;
        self.queue.push(Entry { at, seq, event });
    }

    /// Schedules `event` at `at`, before every ordinary event of that
    /// nanosecond (so that a window closes before what happens at its end).
    pub fn schedule_first_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "event scheduled in the past");
        let seq = self.seq;
        self.seq += 1;
        self.queue.push(Entry { at, seq, event });
    }

    #[inline]
    pub fn schedule(&mut self, delay: Nanos, event: E) {
        self.schedule_at(self.now.saturating_add(delay), event);
    }

    /// Advances the clock to the next event and returns it.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = self.queue.pop()?;
        self.now = e.at;
        self.fired += 1;
        Some((e.at, e.event))
    }

    /// Moves the clock to `at` for work done outside the queue (an event
    /// source that keeps its own next instant), counting it as an event.
    #[inline]
    pub fn advance_to(&mut self, at: SimTime) {
        debug_assert!(at >= self.now, "time goes forward");
        self.now = at;
        self.fired += 1;
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.queue.peek().map(|e| e.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Shadow model: a sorted list of (time, insertion index).
        #[test]
        fn pops_in_time_then_fifo_order(times in prop::collection::vec(0u64..50, 0..200)) {
            let mut k = Kernel::new();
            for (i, t) in times.iter().enumerate() {
                k.schedule_at(SimTime(*t), i);
            }
            let mut shadow: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            shadow.sort();
            let got: Vec<(u64, usize)> = std::iter::from_fn(|| k.pop()).map(|(t, i)| (t.0, i)).collect();
            prop_assert_eq!(got, shadow);
        }

        /// "First" events precede ordinary ones at the same time, FIFO within each class.
        #[test]
        fn first_class_goes_first(evs in prop::collection::vec((0u64..10, any::<bool>()), 0..200)) {
            let mut k = Kernel::new();
            for (i, (t, first)) in evs.iter().enumerate() {
                if *first { k.schedule_first_at(SimTime(*t), i) } else { k.schedule_at(SimTime(*t), i) }
            }
            let mut shadow: Vec<(u64, bool, usize)> =
                evs.iter().enumerate().map(|(i, (t, f))| (*t, !*f, i)).collect();
            shadow.sort();
            let got: Vec<usize> = std::iter::from_fn(|| k.pop()).map(|(_, i)| i).collect();
            prop_assert_eq!(got, shadow.into_iter().map(|x| x.2).collect::<Vec<_>>());
        }

        /// Interleaved schedule/pop: never goes back in time, FIFO at equal times.
        #[test]
        fn interleaved_never_goes_back(ops in prop::collection::vec((0u64..20, any::<bool>()), 0..300)) {
            let mut k = Kernel::new();
            let mut last: Option<(SimTime, usize)> = None;
            let mut n = 0usize;
            for (delay, pop) in ops {
                if pop {
                    if let Some((t, i)) = k.pop() {
                        if let Some((lt, li)) = last {
                            prop_assert!(t > lt || (t == lt && i > li));
                        }
                        last = Some((t, i));
                    }
                } else {
                    k.schedule(delay, n);
                    n += 1;
                }
            }
        }
    }
}
