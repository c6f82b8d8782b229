//! The state the threads of one load test share: the clock origin, the
//! client pool, the per-window offered counts the workers bump, the
//! horizons the aggregator waits for, and the stop.

use crate::client::Client;
use crate::stop::Stop;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

/// State shared by the threads of one run.
pub(crate) struct Shared {
    pub t0: Instant,
    pub client: Client,
    pub slice_ns: u64,
    pub window_ns: u64,
    /// Requests offered per window (by scheduled instant) and service:
    /// window `w`'s count of service `s` is at `w × services + s`.
    pub offered: Vec<AtomicU64>,
    /// The scenario's services (at least one slot, for the indexing).
    pub services: usize,
    /// The window the aggregator is filling: an offer for a window it has
    /// already sealed (a worker far behind) is counted in this one.
    pub filling: AtomicUsize,
    pub dispatched: AtomicU64,
    /// Per worker: every request of its share scheduled before this instant
    /// has been dispatched.
    pub horizons: Vec<AtomicU64>,
    /// When sending stopped early (u64::MAX: it did not).
    pub stopped_at_ns: AtomicU64,
    pub waited_for_connection: AtomicU64,
    pub aggregator_full: AtomicU64,
    pub stop: Stop,
}

impl Shared {
    pub fn now_ns(&self) -> u64 {
        Instant::now().saturating_duration_since(self.t0).as_nanos() as u64
    }

    pub fn ns(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.t0).as_nanos() as u64
    }

    pub fn count_offered(&self, at_ns: u64, service: u16) {
        let w = ((at_ns / self.window_ns) as usize)
            .max(self.filling.load(Ordering::Acquire))
            .min(self.offered.len() / self.services - 1);
        self.offered[w * self.services + service as usize].fetch_add(1, Ordering::Relaxed);
        self.dispatched.fetch_add(1, Ordering::Relaxed);
    }

    /// Every request scheduled before this instant has been dispatched.
    pub fn horizon(&self) -> u64 {
        self.horizons
            .iter()
            .map(|h| h.load(Ordering::Acquire))
            .min()
            .unwrap_or(u64::MAX)
    }

    pub fn mark_stopped(&self) {
        let now = self.now_ns();
        let _ =
            self.stopped_at_ns
                .compare_exchange(u64::MAX, now, Ordering::AcqRel, Ordering::Relaxed);
    }
}
