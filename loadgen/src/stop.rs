//! Stopping on a signal, in steps, the way a user pressing Ctrl-C expects:
//!
//! ```text
//!  signals  level      what the run does                          what stderr says
//!  0        Running    sends on schedule
//!  1        Drain      sends nothing new; in-flight requests get   stopping: no new requests, waiting up to
//!                      the drain period; writes the recording      2s for N in flight; Ctrl-C again to write now
//!  2        WriteNow   stops waiting, writes at once (what was     writing what was measured (N in flight
//!                      in flight counts as unfinished)             count as unfinished); Ctrl-C again to abandon
//!  3        Abandon    the process exits 137, nothing written      abandoned: nothing written; N requests …
//! ```
//!
//! SIGINT, SIGTERM and SIGHUP all count (a closed terminal or an
//! orchestrator's stop deserves the recording as much as Ctrl-C). The signal
//! handler only adds one to a counter and wakes a watcher thread through a
//! socket (both async-signal-safe); the watcher prints the line and, on the
//! third, exits itself: the process never dies silently inside a handler.
//! The third signal's exit is 137, what a shell reports after SIGKILL, the
//! other way to abandon a run: 130 stays "interrupted, recording written".

use dockmaster_sim::time::format_duration;
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The exit status of a run abandoned by a third signal (nothing written).
pub const ABANDONED_EXIT: u8 = 137;

/// How far a stop has gone: one step per signal received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// No stop requested.
    Running,
    /// Send nothing new; let in-flight requests finish for the drain period.
    Drain,
    /// Stop waiting for in-flight requests; write what was measured now.
    WriteNow,
    /// Write nothing; the watcher thread of [`on_signals`] exits the process.
    Abandon,
}

impl Level {
    fn from_count(n: u8) -> Level {
        match n {
            0 => Level::Running,
            1 => Level::Drain,
            2 => Level::WriteNow,
            _ => Level::Abandon,
        }
    }
}

/// Where the run is, for the line a signal prints; 0 (the default): no
/// run attached (the testbed, or a load test still loading).
const PHASE_RUNNING: u8 = 1;
const PHASE_FINISHED: u8 = 2;

#[derive(Default)]
struct Inner {
    signals: AtomicU8,
    phase: AtomicU8,
    drain_ns: AtomicU64,
    /// Requests dispatched and requests recorded, as the aggregator last
    /// saw them (at most a millisecond old).
    sent: AtomicU64,
    recorded: AtomicU64,
}

/// A stop request shared by the signal handler, the run and its threads.
/// Cloning shares it. [`Stop::new`] is not tied to signals: tests and
/// embedders call [`Stop::escalate`] themselves.
#[derive(Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    pub fn level(&self) -> Level {
        Level::from_count(self.inner.signals.load(Ordering::Acquire))
    }

    /// Any stop at all: send nothing new.
    pub fn requested(&self) -> bool {
        self.level() >= Level::Drain
    }

    /// One step further, as one more signal would (no line printed, no
    /// exit: that is the watcher's part). Returns the new level.
    pub fn escalate(&self) -> Level {
        Level::from_count(add_one(&self.inner.signals))
    }

    /// The run has started: signal lines now speak of its requests.
    pub(crate) fn attach(&self, drain: Duration) {
        let ns = u64::try_from(drain.as_nanos()).unwrap_or(u64::MAX);
        self.inner.drain_ns.store(ns, Ordering::Relaxed);
        self.inner.phase.store(PHASE_RUNNING, Ordering::Release);
    }

    /// Requests dispatched and recorded so far (the aggregator calls it).
    pub(crate) fn count(&self, sent: u64, recorded: u64) {
        self.inner.sent.store(sent, Ordering::Relaxed);
        self.inner.recorded.store(recorded, Ordering::Relaxed);
    }

    /// The run has returned its recording; the caller is writing it.
    pub(crate) fn finished(&self) {
        self.inner.phase.store(PHASE_FINISHED, Ordering::Release);
    }

    /// Prints the abandon line and exits with [`ABANDONED_EXIT`]. The
    /// signal watcher calls it on the third signal; a caller that finds the
    /// level at `Abandon` before writing calls it too, so that nothing is
    /// written in the moment before the watcher runs. Whoever comes first
    /// prints and exits; the other waits for the exit.
    pub fn abandon(&self) -> ! {
        static EXITING: std::sync::Once = std::sync::Once::new();
        EXITING.call_once(|| {
            say(&self.line(Level::Abandon));
            std::process::exit(i32::from(ABANDONED_EXIT));
        });
        loop {
            std::thread::park();
        }
    }

    /// The line printed when a signal brings the stop to `level`.
    pub fn line(&self, level: Level) -> String {
        let i = &self.inner;
        let sent = i.sent.load(Ordering::Relaxed);
        let in_flight = sent.saturating_sub(i.recorded.load(Ordering::Relaxed));
        let drain = format_duration(i.drain_ns.load(Ordering::Relaxed));
        match (i.phase.load(Ordering::Acquire), level) {
            (_, Level::Running) => String::new(),
            (PHASE_RUNNING, Level::Drain) => format!(
                "stopping: no new requests, waiting up to {drain} for {in_flight} in flight; \
                 Ctrl-C again to write now"
            ),
            (PHASE_RUNNING, Level::WriteNow) => format!(
                "writing what was measured ({in_flight} requests still in flight count as \
                 unfinished); Ctrl-C again to abandon"
            ),
            (PHASE_RUNNING, Level::Abandon) => format!(
                "abandoned: nothing written; the {sent} requests sent are lost from the record"
            ),
            (PHASE_FINISHED, Level::Drain | Level::WriteNow) => {
                "the run is over, writing what was measured; a third Ctrl-C abandons".to_string()
            }
            (PHASE_FINISHED, Level::Abandon) => {
                "abandoned while writing: the recording may be incomplete".to_string()
            }
            (_, Level::Drain) => "stopping; Ctrl-C twice more exits at once".to_string(),
            (_, Level::WriteNow) => "still stopping; Ctrl-C again exits at once".to_string(),
            (_, Level::Abandon) => "abandoned: exiting at once".to_string(),
        }
    }
}

/// Adds one, stopping at 255 (a wrap would read as "running" again).
/// Lock-free, so it may run in a signal handler.
fn add_one(n: &AtomicU8) -> u8 {
    let before = n
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
            Some(v.saturating_add(1))
        })
        .unwrap_or(u8::MAX);
    before.saturating_add(1)
}

/// A [`Stop`] that SIGINT, SIGTERM and SIGHUP escalate, with a watcher
/// thread that prints one line on stderr per signal and exits the process
/// with [`ABANDONED_EXIT`] on the third. Call once per process.
pub fn on_signals() -> std::io::Result<Stop> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use std::os::unix::net::UnixStream;
    let stop = Stop::new();
    let (mut wake_rx, wake_tx) = UnixStream::pair()?;
    // A full socket must not block the handler; a full one is readable
    // anyway, and the watcher reads the counter, not the bytes.
    wake_tx.set_nonblocking(true)?;
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        let inner = stop.inner.clone();
        // SAFETY: the action only does a lock-free atomic update, which is
        // async-signal-safe (no allocation, no lock, no I/O).
        unsafe {
            signal_hook::low_level::register(sig, move || {
                add_one(&inner.signals);
            })?;
        }
        // Registered second, so the counter is up before the watcher wakes.
        signal_hook::low_level::pipe::register(sig, wake_tx.try_clone()?)?;
    }
    let watched = stop.clone();
    std::thread::Builder::new()
        .name("loadgen-signals".into())
        .spawn(move || {
            let mut said = Level::Running;
            let mut buf = [0u8; 64];
            loop {
                match wake_rx.read(&mut buf) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                }
                let now = watched.level();
                while said < now.min(Level::WriteNow) {
                    said = Level::from_count(said as u8 + 1);
                    say(&watched.line(said));
                }
                if now == Level::Abandon {
                    watched.abandon();
                }
            }
        })?;
    Ok(stop)
}

/// On its own line, even if a progress line is being rewritten in place.
fn say(line: &str) {
    use std::io::IsTerminal;
    let nl = if std::io::stderr().is_terminal() {
        "\n"
    } else {
        ""
    };
    eprintln!("{nl}{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_is_one_step_and_the_count_never_wraps() {
        let s = Stop::new();
        assert_eq!(s.level(), Level::Running);
        assert!(!s.requested());
        assert_eq!(s.escalate(), Level::Drain);
        assert!(s.requested());
        assert_eq!(s.escalate(), Level::WriteNow);
        assert_eq!(s.escalate(), Level::Abandon);
        for _ in 0..300 {
            s.escalate();
        }
        assert_eq!(s.level(), Level::Abandon);
        // A clone is the same stop.
        assert_eq!(s.clone().level(), Level::Abandon);
    }

    #[test]
    fn lines_say_what_happens_now() {
        let s = Stop::new();
        assert!(s.line(Level::Drain).contains("Ctrl-C twice more"));
        s.attach(Duration::from_secs(2));
        s.count(120, 83);
        let l = s.line(Level::Drain);
        assert_eq!(
            l,
            "stopping: no new requests, waiting up to 2s for 37 in flight; \
             Ctrl-C again to write now"
        );
        assert!(s
            .line(Level::WriteNow)
            .starts_with("writing what was measured (37 "));
        assert_eq!(
            s.line(Level::Abandon),
            "abandoned: nothing written; the 120 requests sent are lost from the record"
        );
        s.finished();
        assert!(s.line(Level::Abandon).contains("may be incomplete"));
    }
}
