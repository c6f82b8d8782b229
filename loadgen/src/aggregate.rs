//! The one aggregator: every request's record arrives here, over one bounded
//! channel, and goes into the [`Recorder`] window by window.
//!
//! ```text
//!  workers ──Record (one per request, sync_channel)──► aggregator thread (polls every 1 ms)
//!  workers ──offered[window] += 1, horizon at dispatch─►     │
//!                                                            ├─ record in the window of its completion
//!                                                            ├─ window k closes once the clock is past its
//!                                                            │  end + grace and every worker has passed it
//!                                                            └─ progress callback every second
//! ```
//!
//! As in the simulator, a request counts as *offered* in the window of its
//! scheduled instant and its latency (or error) in the window it completed.
//! A response that completes after the end of the run is counted in the last
//! window rather than dropped: nothing measured is lost.

use crate::progress::{Progress, ProgressFn};
use crate::shared::Shared;
use dockmaster_reports::{
    new_histogram, ns_to_us, EngineStats, ErrorKind, LoadTestGauges, Recorder, Recording, RunTotals,
};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything measured about one request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record {
    /// Scheduled instant, ns after the start of the run.
    pub sched_ns: u64,
    /// Index into `Scenario::services`.
    pub service: u16,
    /// When it was handed to a connection.
    pub sent_ns: u64,
    pub done_ns: u64,
    pub result: Result<(), ErrorKind>,
    /// Time spent opening a connection for it (0: reused one).
    pub connect_ns: u64,
}

/// How long after a window's end its records may still be on their way
/// (timestamped, not yet through the channel).
const GRACE_NS: u64 = 200_000_000;
/// Close a window after this long even if a worker has not passed its end
/// (it is far behind, or the schedule is empty for a while).
const MAX_WAIT_NS: u64 = 5_000_000_000;
/// Work spent closing windows in one poll, at most.
const CLOSE_BUDGET: Duration = Duration::from_millis(2);

/// What the aggregator measured besides the recording.
pub(crate) struct Measured {
    pub recording: Recording,
    pub lag_us: Histogram<u64>,
    pub send_us: Histogram<u64>,
    pub connect_us: Histogram<u64>,
    pub late_over_1ms: u64,
    /// Records that arrived after their window had closed (counted in the
    /// next open window).
    pub late_records: u64,
    pub completed: u64,
    pub last_sent_ns: u64,
}

pub(crate) struct Aggregator {
    shared: Arc<Shared>,
    recorder: Recorder,
    window_ns: u64,
    /// Windows of the planned run; the last one may be lowered by a stop.
    n_windows: usize,
    /// The window being filled.
    k: usize,
    pending: Vec<Record>,
    in_system: BTreeMap<usize, (f64, u64)>,
    lag_us: Histogram<u64>,
    send_us: Histogram<u64>,
    connect_us: Histogram<u64>,
    win_lag_us: Histogram<u64>,
    win_send_us: Histogram<u64>,
    so_far_us: Histogram<u64>,
    late_over_1ms: u64,
    late_records: u64,
    completed: u64,
    ok: u64,
    errors: u64,
    last_sent_ns: u64,
    is_open: bool,
}

impl Aggregator {
    pub fn new(
        shared: Arc<Shared>,
        recorder: Recorder,
        window_ns: u64,
        slice_ns: u64,
        is_open: bool,
    ) -> Aggregator {
        let n_windows = slice_ns.div_ceil(window_ns).max(1) as usize;
        Aggregator {
            shared,
            recorder,
            window_ns,
            n_windows,
            k: 0,
            pending: Vec::new(),
            in_system: BTreeMap::new(),
            lag_us: new_histogram(),
            send_us: new_histogram(),
            connect_us: new_histogram(),
            win_lag_us: new_histogram(),
            win_send_us: new_histogram(),
            so_far_us: new_histogram(),
            late_over_1ms: 0,
            late_records: 0,
            completed: 0,
            ok: 0,
            errors: 0,
            last_sent_ns: 0,
            is_open,
        }
    }

    fn window_of(&self, t_ns: u64) -> usize {
        ((t_ns / self.window_ns) as usize).min(self.n_windows - 1)
    }

    /// Polls the channel until every worker has hung up, closing windows as
    /// they become complete; then closes the rest and seals the recording.
    pub fn run(
        mut self,
        rx: Receiver<Record>,
        mut progress: Option<ProgressFn>,
        progress_every: Duration,
    ) -> Measured {
        let every_ns = progress_every.as_nanos() as u64;
        let mut next_progress = every_ns;
        let mut last_progress = (0u64, 0u64); // (t, dispatched)
        loop {
            let mut disconnected = false;
            loop {
                match rx.try_recv() {
                    Ok(r) => self.add(r),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        disconnected = true;
                        break;
                    }
                }
            }
            let now = self.shared.now_ns();
            let dispatched = self.shared.dispatched.load(Ordering::Relaxed);
            self.shared.stop.count(dispatched, self.completed);
            if disconnected {
                break;
            }
            let w = self.window_of(now);
            let e = self.in_system.entry(w).or_insert((0.0, 0));
            e.0 += dispatched.saturating_sub(self.completed) as f64;
            e.1 += 1;
            self.close_ready(now);
            if now >= next_progress {
                if let Some(cb) = progress.as_mut() {
                    let dt = (now - last_progress.0) as f64 / 1e9;
                    cb(&Progress {
                        elapsed_s: now as f64 / 1e9,
                        planned_s: self.recorder.meta().duration_s,
                        sent: dispatched,
                        sent_per_s: (dispatched - last_progress.1) as f64 / dt.max(1e-9),
                        ok: self.ok,
                        errors: self.errors,
                        in_flight: dispatched.saturating_sub(self.completed),
                        p99_ms: quantile_ms(&self.so_far_us, 0.99),
                        lag_p99_ms: if self.is_open {
                            quantile_ms(&self.lag_us, 0.99)
                        } else {
                            f64::NAN
                        },
                    });
                }
                last_progress = (now, dispatched);
                next_progress = now + every_ns;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        self.finish()
    }

    fn add(&mut self, r: Record) {
        self.completed += 1;
        self.last_sent_ns = self.last_sent_ns.max(r.sent_ns);
        let lag = r.sent_ns.saturating_sub(r.sched_ns);
        let lag_us = ns_to_us(lag);
        self.lag_us.saturating_record(lag_us);
        if lag > 1_000_000 {
            self.late_over_1ms += 1;
        }
        if r.connect_ns > 0 {
            self.connect_us.saturating_record(ns_to_us(r.connect_ns));
        }
        match r.result {
            Ok(()) => {
                self.ok += 1;
                self.so_far_us
                    .saturating_record(ns_to_us(r.done_ns.saturating_sub(r.sched_ns)));
                self.send_us
                    .saturating_record(ns_to_us(r.done_ns.saturating_sub(r.sent_ns)));
            }
            Err(_) => self.errors += 1,
        }
        let w = self.window_of(r.done_ns);
        if w > self.k {
            self.pending.push(r);
            return;
        }
        if w < self.k {
            self.late_records += 1;
        }
        self.record(&r);
    }

    /// Into the current window.
    fn record(&mut self, r: &Record) {
        self.win_lag_us
            .saturating_record(ns_to_us(r.sent_ns.saturating_sub(r.sched_ns)));
        match r.result {
            Ok(()) => {
                self.recorder
                    .record_ok(r.service as usize, r.done_ns.saturating_sub(r.sched_ns));
                self.win_send_us
                    .saturating_record(ns_to_us(r.done_ns.saturating_sub(r.sent_ns)));
            }
            Err(kind) => self.recorder.record_error(r.service as usize, kind),
        }
    }

    /// Closes the windows that are complete, for at most [`CLOSE_BUDGET`]
    /// of work per call: windows shorter than the work of sealing one would
    /// otherwise keep this loop from ever looking at the channel again.
    fn close_ready(&mut self, now: u64) {
        let started = Instant::now();
        // The clock is read every 16 windows, not for each one.
        let mut until_look = 16u32;
        while self.k < self.n_windows {
            until_look -= 1;
            if until_look == 0 {
                if started.elapsed() >= CLOSE_BUDGET {
                    return;
                }
                until_look = 16;
            }
            let end = ((self.k as u64 + 1) * self.window_ns).min(self.shared.slice_ns);
            // The last window takes everything that completes late: it
            // closes only when every worker has finished (see `finish`).
            if self.k + 1 == self.n_windows {
                return;
            }
            let caught_up = self.shared.horizon() >= end;
            let ready = (now >= end + GRACE_NS && caught_up) || now >= end + MAX_WAIT_NS;
            if !ready {
                return;
            }
            self.close_current(false);
        }
    }

    /// Seals window `k`; `last` also takes every offer still counted.
    fn close_current(&mut self, last: bool) {
        let k = self.k;
        // From now on an offer for window k or earlier (a worker more than
        // MAX_WAIT behind) is counted in window k + 1 (see count_offered).
        // A worker that read the old value just before may still add to
        // window k: the next close sweeps k again, the last one everything.
        // Sweeping two windows, not all before k, keeps a close O(1).
        self.shared.filling.store(k + 1, Ordering::SeqCst);
        let services = self.shared.services;
        let len = self.shared.offered.len() / services;
        let sweep = if last {
            0..len
        } else {
            k.saturating_sub(1).min(len)..(k + 1).min(len)
        };
        for w in sweep {
            for s in 0..services {
                let c = &self.shared.offered[w * services + s];
                self.recorder.record_offered(s, c.swap(0, Ordering::AcqRel));
            }
        }
        let l = match self.in_system.remove(&k) {
            Some((sum, n)) if n > 0 => sum / n as f64,
            _ => f64::NAN,
        };
        let gauges = LoadTestGauges {
            connections: self.shared.client.open.load(Ordering::Relaxed).max(0) as f64,
            schedule_lag_ms_p99: if self.is_open {
                quantile_ms(&self.win_lag_us, 0.99)
            } else {
                f64::NAN
            },
            send_latency_ms_p99: quantile_ms(&self.win_send_us, 0.99),
        };
        self.recorder
            .close_window(k as f64 * self.window_ns as f64 / 1e9, l, &gauges.columns());
        self.win_lag_us.reset();
        self.win_send_us.reset();
        self.k += 1;
        let k = self.k;
        let pending = std::mem::take(&mut self.pending);
        for r in pending {
            if self.window_of(r.done_ns) <= k {
                self.record(&r);
            } else {
                self.pending.push(r);
            }
        }
    }

    fn finish(mut self) -> Measured {
        // A stop shortens the run to the window of the stop instant.
        let stopped_at = self.shared.stopped_at_ns.load(Ordering::Acquire);
        if stopped_at != u64::MAX {
            let last = ((stopped_at / self.window_ns) as usize).min(self.n_windows - 1);
            self.n_windows = last.max(self.k) + 1;
        }
        while self.k + 1 < self.n_windows {
            self.close_current(false);
        }
        // Whatever is left completed after the end: the last window takes it.
        for r in std::mem::take(&mut self.pending) {
            self.record(&r);
        }
        self.close_current(true);
        let s = &self.shared;
        let wall = s.now_ns() as f64 / 1e9;
        let recording = self.recorder.finish(RunTotals {
            engine: Some(EngineStats {
                events: s.dispatched.load(Ordering::Relaxed),
                wall_seconds: wall,
            }),
            ..RunTotals::default()
        });
        Measured {
            recording,
            lag_us: self.lag_us,
            send_us: self.send_us,
            connect_us: self.connect_us,
            late_over_1ms: self.late_over_1ms,
            late_records: self.late_records,
            completed: self.completed,
            last_sent_ns: self.last_sent_ns,
        }
    }
}

/// A quantile of a µs histogram in ms; NaN when empty.
pub(crate) fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        f64::NAN
    } else {
        h.value_at_quantile(q) as f64 / 1000.0
    }
}
