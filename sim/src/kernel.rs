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

#[derive(Clone, Copy)]
struct Entry<E> {
    /// `(at << 64) | seq`: the ordering key in one comparison.
    key: u128,
    event: E,
}

impl<E: Copy> Keyed for Entry<E> {
    type Key = u128;
    #[inline(always)]
    fn key(&self) -> u128 {
        self.key
    }
}

impl<E> Entry<E> {
    #[inline(always)]
    fn at(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

/// What a [`Heap`] orders by.
pub(crate) trait Keyed: Copy {
    type Key: Ord + Copy;
    fn key(&self) -> Self::Key;
}

/// A 4-ary min-heap on the key: half the depth of a binary heap, a node's
/// children side by side in memory, entries moved into a hole rather than
/// swapped. The event loop spends most of its time here; the hosts' queues
/// of full-speed CPU ends (`crate::cpu::FullSpeed`) are one too.
#[derive(Clone, Debug)]
pub(crate) struct Heap<T> {
    v: Vec<T>,
}

impl<T> Default for Heap<T> {
    fn default() -> Self {
        Heap { v: Vec::new() }
    }
}

impl<T: Keyed> Heap<T> {
    #[inline]
    pub(crate) fn push(&mut self, e: T) {
        let mut hole = self.v.len();
        self.v.push(e);
        let v = &mut self.v[..];
        let key = e.key();
        while hole > 0 {
            let parent = (hole - 1) / 4;
            if key < v[parent].key() {
                v[hole] = v[parent];
                hole = parent;
            } else {
                break;
            }
        }
        v[hole] = e;
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        let last = self.v.pop()?;
        let v = &mut self.v[..];
        let n = v.len();
        if n == 0 {
            return Some(last);
        }
        let top = v[0];
        let last_key = last.key();
        let mut hole = 0;
        loop {
            let first = 4 * hole + 1;
            if first >= n {
                break;
            }
            let end = (first + 4).min(n);
            let mut best = first;
            let mut best_key = v[first].key();
            for (c, e) in v[first + 1..end].iter().enumerate() {
                let k = e.key();
                if k < best_key {
                    best_key = k;
                    best = first + 1 + c;
                }
            }
            if best_key < last_key {
                v[hole] = v[best];
                hole = best;
            } else {
                break;
            }
        }
        v[hole] = last;
        Some(top)
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<&T> {
        self.v.first()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.v.clear();
    }

    /// Every entry, in no particular order; the heap is left empty.
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, T> {
        self.v.drain(..)
    }

    /// Keeps the entries `keep` says yes to.
    pub(crate) fn retain(&mut self, keep: impl Fn(&T) -> bool) {
        if self.v.iter().all(&keep) {
            return;
        }
        let kept: Vec<T> = self.v.drain(..).filter(|e| keep(e)).collect();
        for e in kept {
            self.push(e);
        }
    }
}

/// The future event list and the clock.
pub struct Kernel<E> {
    now: SimTime,
    seq: u64,
    fired: u64,
    queue: Heap<Entry<E>>,
}

impl<E: Copy> Default for Kernel<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> Kernel<E> {
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

    /// Schedules `event` at `at`. Scheduling in the past is a bug in the
    /// model, not in the input.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "event scheduled in the past");
        // The top bit puts ordinary events after the "first" class.
        let seq = self.seq | FIRST_CLASS_END;
        self.seq += 1;
        self.queue.push(Entry {
            key: (at.0 as u128) << 64 | seq as u128,
            event,
        });
    }

    /// Schedules `event` at `at`, before every ordinary event of that
    /// nanosecond (so that a window closes before what happens at its end).
    pub fn schedule_first_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "event scheduled in the past");
        let seq = self.seq;
        self.seq += 1;
        self.queue.push(Entry {
            key: (at.0 as u128) << 64 | seq as u128,
            event,
        });
    }

    #[inline]
    pub fn schedule(&mut self, delay: Nanos, event: E) {
        self.schedule_at(self.now.saturating_add(delay), event);
    }

    /// Advances the clock to the next event and returns it.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = self.queue.pop()?;
        self.now = e.at();
        self.fired += 1;
        Some((self.now, e.event))
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
        self.queue.peek().map(|e| e.at())
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
