//! Sub-millisecond waiting without burning a core.
//!
//! tokio's timer wheel has a 1 ms tick: `sleep(d)` wakes at the first tick at
//! or after the deadline, so a sleep is late by 0–1 ms (about 0.5 ms on
//! average, plus the driver's own delay). That is too coarse for two things
//! here: sending a request at its scheduled instant (schedule lag p99 under
//! 1 ms at 20,000 requests/s) and emulating a 20 ms service time (a 0.5 ms
//! bias is 2.5 % of the median). Both use plain OS-thread sleeps instead,
//! which Linux backs with high-resolution timers: with the thread's timer
//! slack set to 1 µs (it is 50 µs by default) they wake a few µs to a few
//! tens of µs late, and cost one wake-up each, not a spinning core.
//!
//! * [`sleep_until`] — blocking, for a dedicated thread.
//! * [`FdTimer`] — a Linux timerfd in the calling task's own tokio runtime:
//!   the load generator's workers wait for each request's instant on it, so
//!   sending on time costs one wake-up of the worker and no other thread.
//! * [`PreciseTimer`] — one thread keeping a heap of deadlines, firing tokio
//!   oneshots, for async code on any runtime (the testbed's emulated tasks).

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Asks the kernel to fire this thread's timers at most 1 µs late (the
/// default slack is 50 µs). Best effort: a no-op where unsupported.
pub fn tighten_timer_slack() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes an integer argument and only affects
    // the calling thread; it has no memory-safety preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1000 as libc::c_ulong, 0, 0, 0);
    }
}

/// Sets the calling thread's nice value (Linux: per thread). Negative
/// values need root or CAP_SYS_NICE; best effort, `false` if refused. The
/// testbed and the load generator use it so that neighbouring work on a
/// shared machine does not delay their clocks (see `nice` in their options).
pub fn set_thread_nice(nice: i32) -> bool {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority on our own thread id
    // changes only its scheduling weight.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) == 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = nice;
        false
    }
}

/// Blocks the calling thread until `deadline`, waking early only when
/// `stop` is set (checked at least every 50 ms). Returns `false` if stopped.
pub fn sleep_until(deadline: Instant, stop: &AtomicBool) -> bool {
    const CHUNK: Duration = Duration::from_millis(50);
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(CHUNK));
    }
}

/// A one-shot high-resolution timer inside a tokio runtime (Linux
/// `timerfd`, polled by the runtime's own epoll). Elsewhere it falls back to
/// tokio's 1 ms timer. One per task that waits on it.
pub struct FdTimer {
    #[cfg(target_os = "linux")]
    fd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

impl FdTimer {
    /// Must be called inside a tokio runtime.
    pub fn new() -> std::io::Result<FdTimer> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::FromRawFd;
            // SAFETY: timerfd_create returns a new descriptor we then own.
            let raw = unsafe {
                libc::timerfd_create(
                    libc::CLOCK_MONOTONIC,
                    libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
                )
            };
            if raw < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: `raw` is a fresh, valid descriptor owned by nobody else.
            let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
            // SAFETY: the OwnedFd stays open and is the same descriptor for
            // as long as the AsyncFd owns it (it never hands it out mutably).
            let fd = unsafe {
                tokio::io::unix::AsyncFd::register_with_interest(
                    owned,
                    tokio::io::Interest::READABLE,
                )
            }
            .map_err(|e| std::io::Error::other(e.to_string()))?;
            Ok(FdTimer { fd })
        }
        #[cfg(not(target_os = "linux"))]
        Ok(FdTimer {})
    }

    /// Completes at `deadline` (at once if it has passed).
    pub async fn sleep_until(&self, deadline: Instant) -> std::io::Result<()> {
        let now = Instant::now();
        if deadline <= now {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let d = deadline - now;
            let spec = libc::itimerspec {
                it_interval: libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: libc::timespec {
                    tv_sec: d.as_secs() as libc::time_t,
                    tv_nsec: d.subsec_nanos() as libc::c_long,
                },
            };
            let fd = self.fd.get_ref().as_raw_fd();
            // SAFETY: a valid timerfd and a fully initialised itimerspec;
            // arming also resets any expiration count left from before.
            if unsafe { libc::timerfd_settime(fd, 0, &spec, std::ptr::null_mut()) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
            loop {
                let mut guard = self.fd.readable().await?;
                let mut ticks = [0u8; 8];
                // SAFETY: reading 8 bytes into an 8-byte buffer.
                let n = unsafe { libc::read(fd, ticks.as_mut_ptr().cast(), 8) };
                if n == 8 {
                    return Ok(());
                }
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::WouldBlock {
                    return Err(e);
                }
                guard.clear_ready();
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            tokio::time::sleep_until(deadline.into()).await;
            Ok(())
        }
    }
}

struct Entry {
    deadline: Instant,
    seq: u64,
    tx: oneshot::Sender<()>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed: the earliest deadline is the greatest (top of the max-heap).
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

struct Heap {
    entries: BinaryHeap<Entry>,
    seq: u64,
}

struct Shared {
    heap: Mutex<Heap>,
    wake: Condvar,
    stop: AtomicBool,
    fired: AtomicU64,
    late_over_1ms: AtomicU64,
    max_late_ns: AtomicU64,
}

/// How punctual a [`PreciseTimer`] has been: a wake-up far past its
/// deadline means the machine was too busy to run the thread (the
/// testbed's emulation was disturbed, not the model wrong).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerStats {
    pub fired: u64,
    pub late_over_1ms: u64,
    pub max_late: Duration,
}

/// A timer thread for async code that needs better than tokio's 1 ms.
///
/// `sleep_until` returns a future that completes at the deadline (a few µs
/// late). Pending deadlines are bounded by the callers (the testbed has at
/// most Σ tasks × concurrency requests in service). Dropping the last
/// handle stops the thread; pending sleeps then complete at once.
#[derive(Clone)]
pub struct PreciseTimer {
    shared: Arc<Shared>,
    _thread: Arc<TimerThread>,
}

struct TimerThread {
    shared: Arc<Shared>,
    handle: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for TimerThread {
    fn drop(&mut self) {
        {
            // Under the lock: the thread checks `stop` and starts waiting
            // without releasing it, so the wake-up cannot fall in between.
            let _heap = self.shared.heap.lock().expect("timer heap lock");
            self.shared.stop.store(true, Ordering::Relaxed);
        }
        self.shared.wake.notify_all();
        if let Some(h) = self.handle.lock().expect("timer handle lock").take() {
            let _ = h.join();
        }
    }
}

impl PreciseTimer {
    pub fn start() -> PreciseTimer {
        PreciseTimer::start_with_nice(None)
    }

    /// [`PreciseTimer::start`], the thread at nice value `nice` if given.
    pub fn start_with_nice(nice: Option<i32>) -> PreciseTimer {
        let shared = Arc::new(Shared {
            heap: Mutex::new(Heap {
                entries: BinaryHeap::new(),
                seq: 0,
            }),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            fired: AtomicU64::new(0),
            late_over_1ms: AtomicU64::new(0),
            max_late_ns: AtomicU64::new(0),
        });
        let s = shared.clone();
        let handle = std::thread::Builder::new()
            .name("precise-timer".into())
            .spawn(move || {
                if let Some(n) = nice {
                    set_thread_nice(n);
                }
                timer_loop(&s)
            })
            .expect("spawn the timer thread");
        PreciseTimer {
            shared: shared.clone(),
            _thread: Arc::new(TimerThread {
                shared,
                handle: Mutex::new(Some(handle)),
            }),
        }
    }

    /// Completes at `deadline` (immediately if it has passed).
    pub fn sleep_until(&self, deadline: Instant) -> impl std::future::Future<Output = ()> {
        let (tx, rx) = oneshot::channel();
        {
            let mut h = self.shared.heap.lock().expect("timer heap lock");
            let earliest = h.entries.peek().map(|e| e.deadline);
            h.seq += 1;
            let seq = h.seq;
            h.entries.push(Entry { deadline, seq, tx });
            let sooner = match earliest {
                Some(e) => deadline < e,
                None => true,
            };
            if sooner {
                self.shared.wake.notify_one();
            }
        }
        async move {
            let _ = rx.await;
        }
    }

    pub fn sleep(&self, d: Duration) -> impl std::future::Future<Output = ()> {
        self.sleep_until(Instant::now() + d)
    }

    pub fn stats(&self) -> TimerStats {
        let s = &self.shared;
        TimerStats {
            fired: s.fired.load(Ordering::Relaxed),
            late_over_1ms: s.late_over_1ms.load(Ordering::Relaxed),
            max_late: Duration::from_nanos(s.max_late_ns.load(Ordering::Relaxed)),
        }
    }
}

fn timer_loop(s: &Shared) {
    tighten_timer_slack();
    let mut h = s.heap.lock().expect("timer heap lock");
    loop {
        if s.stop.load(Ordering::Relaxed) {
            for e in h.entries.drain() {
                let _ = e.tx.send(());
            }
            return;
        }
        let now = Instant::now();
        while h.entries.peek().is_some_and(|e| e.deadline <= now) {
            let e = h.entries.pop().expect("peeked");
            let late = (now - e.deadline).as_nanos() as u64;
            s.fired.fetch_add(1, Ordering::Relaxed);
            if late > 1_000_000 {
                s.late_over_1ms.fetch_add(1, Ordering::Relaxed);
            }
            s.max_late_ns.fetch_max(late, Ordering::Relaxed);
            let _ = e.tx.send(());
        }
        h = match h.entries.peek() {
            Some(e) => {
                let d = e.deadline - now;
                s.wake.wait_timeout(h, d).expect("timer heap lock").0
            }
            None => s.wake.wait(h).expect("timer heap lock"),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The point of this module: waits land well under tokio's 1 ms tick.
    /// Generous bound (a loaded 2-core CI box); the typical figure is
    /// 5–60 µs.
    #[test]
    fn precise_timer_is_sub_millisecond() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let timer = PreciseTimer::start();
        let mut late = Vec::new();
        rt.block_on(async {
            for i in 0..200u64 {
                let d = Instant::now() + Duration::from_micros(300 + (i * 37) % 900);
                timer.sleep_until(d).await;
                late.push(Instant::now().saturating_duration_since(d));
            }
        });
        late.sort();
        let median = late[late.len() / 2];
        assert!(
            median < Duration::from_micros(400),
            "median lateness {median:?}"
        );
    }

    #[test]
    fn fd_timer_is_sub_millisecond() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut late = Vec::new();
        rt.block_on(async {
            let t = FdTimer::new().unwrap();
            for i in 0..200u64 {
                let d = Instant::now() + Duration::from_micros(200 + (i * 37) % 900);
                t.sleep_until(d).await.unwrap();
                late.push(Instant::now().saturating_duration_since(d));
            }
            // An abandoned wait leaves no stale wake-up behind.
            let far = Instant::now() + Duration::from_millis(2);
            let _ = tokio::time::timeout(Duration::from_micros(100), t.sleep_until(far)).await;
            let d = Instant::now() + Duration::from_millis(5);
            t.sleep_until(d).await.unwrap();
            assert!(Instant::now() >= d);
        });
        late.sort();
        let median = late[late.len() / 2];
        assert!(
            median < Duration::from_micros(400),
            "median lateness {median:?}"
        );
    }

    #[test]
    fn sleep_until_stops_when_asked() {
        let stop = AtomicBool::new(true);
        assert!(!sleep_until(
            Instant::now() + Duration::from_secs(60),
            &stop
        ));
    }
}
