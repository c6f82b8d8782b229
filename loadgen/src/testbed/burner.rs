//! The burner threads of one emulated task: where a request's CPU work is
//! really done, on an OS thread that lives in the task's cgroups, so that
//! the kernel — its CFS shares, bandwidth quota and the host's cores —
//! decides how long the work takes.
//!
//! ```text
//!  request handler (tokio, system cores) ──Job{work}──► channel ──► one of `concurrency` threads (host cores,
//!                    ▲                                                task cgroup): spin until its own CPU
//!                    └──────────── oneshot: Burnt{cpu, wall} ◄─────── clock has advanced by `work`
//! ```
//!
//! A task has one thread per slot: the handler holds a slot while it waits,
//! so at most `concurrency` jobs are ever queued and each finds an idle
//! thread. The spin reads `CLOCK_THREAD_CPUTIME_ID`, the CPU time the
//! kernel has charged to the thread itself: preemption, contention and
//! throttling stretch the burn in wall time and leave its CPU time exact.

use super::cgroup::Placement;
use crate::error::TestbedError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What one burn took.
#[derive(Clone, Copy, Debug)]
pub struct Burnt {
    /// CPU time the thread consumed (the work, plus under a µs of spin
    /// granularity; less only if the burner was stopped).
    pub cpu: Duration,
    /// Wall time from start to end of the spin.
    pub wall: Duration,
    /// From the hand-over to the start of the spin: waking a burner thread
    /// (tens of µs, not in the model) and, on a busy host, waiting for its
    /// turn on the core or for the task's next quota period (which the
    /// model has). The reply's way back is not counted.
    pub handoff: Duration,
}

struct Job {
    work_ns: u64,
    sent: Instant,
    reply: oneshot::Sender<Burnt>,
}

/// One task's burner threads; dropping it stops and joins them.
pub struct Burner {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop: Arc<AtomicBool>,
}

/// The calling thread's CPU time, ns.
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only the timespec we pass.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Spins until this thread has used `work_ns` of CPU, or `stop`.
fn spin(work_ns: u64, sent: Instant, stop: &AtomicBool) -> Burnt {
    let wall = Instant::now();
    let handoff = wall.saturating_duration_since(sent);
    let start = thread_cpu_ns();
    loop {
        let used = thread_cpu_ns().saturating_sub(start);
        if used >= work_ns || stop.load(Ordering::Relaxed) {
            return Burnt {
                cpu: Duration::from_nanos(used),
                wall: wall.elapsed(),
                handoff,
            };
        }
    }
}

impl Burner {
    /// Starts `threads` threads named after `name`; each first joins
    /// `placement` (the task's cgroups). Fails if any cannot.
    pub fn start(
        name: &str,
        threads: u32,
        placement: Option<Placement>,
    ) -> Result<Burner, TestbedError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let stop = Arc::new(AtomicBool::new(false));
        let burner = Burner {
            tx: Mutex::new(Some(tx)),
            threads: Mutex::new(Vec::new()),
            stop: stop.clone(),
        };
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), TestbedError>>();
        for i in 0..threads {
            let (rx, stop, placement, ready) = (
                rx.clone(),
                stop.clone(),
                placement.clone(),
                ready_tx.clone(),
            );
            let h = std::thread::Builder::new()
                .name(format!("burn-{name}-{i}"))
                .spawn(move || {
                    let joined = placement.as_ref().map_or(Ok(()), Placement::join);
                    let ok = joined.is_ok();
                    let _ = ready.send(joined);
                    if !ok {
                        return;
                    }
                    loop {
                        // One idle thread waits on the channel, the others on
                        // the lock; a poisoned lock (cannot happen: nothing
                        // panics while holding it) is still usable.
                        let job = {
                            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
                            match rx.recv() {
                                Ok(j) => j,
                                Err(_) => return,
                            }
                        };
                        let burnt = spin(job.work_ns, job.sent, &stop);
                        let _ = job.reply.send(burnt);
                    }
                })
                .map_err(TestbedError::io("start a burner thread"))?;
            burner.lock_threads().push(h);
        }
        drop(ready_tx);
        for _ in 0..threads {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(TestbedError::Unsupported(
                        "a burner thread ended before joining its cgroups".into(),
                    ))
                }
            }
        }
        Ok(burner)
    }

    fn lock_threads(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `work_ns` of CPU work to a thread; the receiver gets what it
    /// took. `None` once stopped.
    pub fn submit(&self, work_ns: u64) -> Option<oneshot::Receiver<Burnt>> {
        let (reply, rx) = oneshot::channel();
        let g = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        g.as_ref()?
            .send(Job {
                work_ns,
                sent: Instant::now(),
                reply,
            })
            .ok()?;
        Some(rx)
    }

    /// Does `work_ns` of CPU work on a burner thread. `None` once stopped.
    pub async fn burn(&self, work_ns: u64) -> Option<Burnt> {
        self.submit(work_ns)?.await.ok()
    }

    /// Ends burns in progress, stops and joins the threads.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        for h in self.lock_threads().drain(..) {
            let _ = h.join();
        }
    }
}

impl Drop for Burner {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without cgroups: a burn uses the CPU time asked for, and a stopped
    /// burner refuses work.
    #[test]
    fn a_burn_uses_the_cpu_time_asked_for() {
        let b = Burner::start("t", 1, None).unwrap();
        let rx = b.submit(3_000_000).unwrap();
        let burnt = rx.blocking_recv().unwrap();
        assert!(
            burnt.cpu >= Duration::from_millis(3) && burnt.cpu < Duration::from_micros(3_200),
            "{burnt:?}"
        );
        assert!(burnt.wall >= burnt.cpu, "{burnt:?}");
        b.stop();
        assert!(b.submit(1).is_none());
    }
}
