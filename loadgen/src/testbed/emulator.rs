//! One emulated ECS task: a hyper server on its own loopback port that
//! behaves like the simulator's task model.
//!
//! ```text
//!  request ──► slot free? ──yes──► draw service time s ──► burn s × cpu_per_request ──► sleep the rest ──► 200
//!                 │no                   ▲                   (burner thread in the       (precise timer)   │
//!                 ├─ fewer than queue_limit waiting: wait    task's cgroups)                              │
//!                 │  FCFS ──────────────┘                                                                 │
//!                 └─ else ──► 503                                        slot handed to the next waiter ◄─┘
//! ```
//!
//! The CPU work is done first and the off-CPU wait after it, as the model
//! says (docs/scenario-format.md, "CPU: what a request costs"): the wait
//! starts when the burn ends, so contention and throttling lengthen the
//! request by exactly what they add to the burn. With `cpu_per_request = 0`
//! nothing is burnt and the whole service time is slept.
//!
//! Service times come from the service's distribution, drawn when service
//! starts from the stream `service-time/<service>` under the scenario seed —
//! the stream and draw point the simulator uses. With the same arrivals and
//! routing the testbed therefore replays (nearly) the same sample path as
//! the simulation: common random numbers, so that sim and measured differ
//! by what the model gets wrong, not by sampling noise.

use super::burner::Burner;
use crate::clock::PreciseTimer;
use bytes::Bytes;
use dockmaster_sim::dist::Sampler;
use dockmaster_sim::rng::Rng;
use http::{Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What the tasks of one service share: the service-time distribution and
/// its random stream.
pub(crate) struct ServiceModel {
    sampler: Sampler,
    rng: Mutex<Rng>,
}

impl ServiceModel {
    pub fn new(sampler: Sampler, rng: Rng) -> ServiceModel {
        ServiceModel {
            sampler,
            rng: Mutex::new(rng),
        }
    }

    fn draw(&self) -> Duration {
        let ns = self.sampler.sample(&mut self.rng.lock().expect("rng lock"));
        Duration::from_nanos(ns)
    }
}

/// Counters of one emulated task.
#[derive(Debug, Default)]
pub struct TaskCounters {
    pub served: AtomicU64,
    pub rejected: AtomicU64,
    pub queued: AtomicU64,
    /// Most requests waiting at once.
    pub queue_peak: AtomicU64,
    /// CPU work asked of the burner threads, ns (Σ round(s × cpu_per_request)).
    pub cpu_work_ns: AtomicU64,
    /// CPU time the burner threads measured on their own clocks, ns.
    pub cpu_burnt_ns: AtomicU64,
    /// Wall time the burns took, ns (≥ CPU time: waiting for a core or
    /// for the next quota period).
    pub burn_wall_ns: AtomicU64,
    /// Time from handing a burn over to its thread starting it, ns (waking
    /// the thread, and on a busy host its wait for a turn or a quota).
    pub burn_handoff_ns: AtomicU64,
}

/// How a task does its requests' CPU work.
pub(crate) struct TaskCpu {
    pub cpu_per_request: f64,
    pub burner: Arc<Burner>,
}

struct Slots {
    busy: u32,
    /// Waiting requests, oldest first; each gets a slot handed over.
    waiting: VecDeque<oneshot::Sender<()>>,
}

pub(crate) struct EmulatedTask {
    concurrency: u32,
    queue_limit: u32,
    slots: Mutex<Slots>,
    service: Arc<ServiceModel>,
    timer: Option<PreciseTimer>,
    cpu: Option<TaskCpu>,
    pub counters: Arc<TaskCounters>,
}

enum Admission {
    Now,
    Wait(oneshot::Receiver<()>),
    Full,
}

/// A held slot; dropping it (response sent, or client gone) passes it on.
struct SlotGuard<'a>(&'a EmulatedTask);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// A place in the queue; if dropped after the slot was handed over but
/// before it was taken, the slot is passed on.
struct Waiting<'a> {
    task: &'a EmulatedTask,
    rx: oneshot::Receiver<()>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.rx.try_recv().is_ok() {
            self.task.release();
        }
    }
}

impl EmulatedTask {
    pub fn new(
        concurrency: u32,
        queue_limit: u32,
        service: Arc<ServiceModel>,
        timer: Option<PreciseTimer>,
        cpu: Option<TaskCpu>,
    ) -> EmulatedTask {
        EmulatedTask {
            concurrency,
            queue_limit,
            slots: Mutex::new(Slots {
                busy: 0,
                waiting: VecDeque::new(),
            }),
            service,
            timer,
            cpu,
            counters: Arc::new(TaskCounters::default()),
        }
    }

    fn admit(&self) -> Admission {
        let mut s = self.slots.lock().expect("slots lock");
        if s.busy < self.concurrency {
            s.busy += 1;
            Admission::Now
        } else if s.waiting.len() < self.queue_limit as usize {
            let (tx, rx) = oneshot::channel();
            s.waiting.push_back(tx);
            let c = &self.counters;
            c.queued.fetch_add(1, Ordering::Relaxed);
            c.queue_peak
                .fetch_max(s.waiting.len() as u64, Ordering::Relaxed);
            Admission::Wait(rx)
        } else {
            Admission::Full
        }
    }

    /// The slot goes to the oldest waiter still there, else becomes free.
    fn release(&self) {
        let mut s = self.slots.lock().expect("slots lock");
        while let Some(tx) = s.waiting.pop_front() {
            if tx.send(()).is_ok() {
                return;
            }
        }
        s.busy -= 1;
    }

    async fn serve(&self) -> StatusCode {
        let _slot = match self.admit() {
            Admission::Now => SlotGuard(self),
            Admission::Wait(rx) => {
                let mut w = Waiting { task: self, rx };
                if (&mut w.rx).await.is_err() {
                    // Cannot happen: senders are only dropped after a send
                    // or when the task itself goes away.
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                drop(w);
                SlotGuard(self)
            }
            Admission::Full => {
                self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                return StatusCode::SERVICE_UNAVAILABLE;
            }
        };
        let start = Instant::now();
        let d = self.service.draw();
        let wake = match self.burn(d).await {
            Some(off_cpu) => Instant::now() + off_cpu,
            None => start + d,
        };
        match &self.timer {
            Some(t) => t.sleep_until(wake).await,
            None => tokio::time::sleep_until(wake.into()).await,
        }
        self.counters.served.fetch_add(1, Ordering::Relaxed);
        StatusCode::OK
    }
}

impl EmulatedTask {
    /// Burns the CPU work of a request of service time `d` and returns
    /// the off-CPU time left to wait; `None` if nothing was burnt (no CPU
    /// work, or the burner stopped: shutting down).
    async fn burn(&self, d: Duration) -> Option<Duration> {
        let cpu = self.cpu.as_ref()?;
        let d_ns = d.as_nanos() as u64;
        let work = ((d_ns as f64 * cpu.cpu_per_request).round() as u64).min(d_ns);
        if work == 0 {
            return None;
        }
        let burnt = cpu.burner.burn(work).await?;
        let c = &self.counters;
        c.cpu_work_ns.fetch_add(work, Ordering::Relaxed);
        c.cpu_burnt_ns
            .fetch_add(burnt.cpu.as_nanos() as u64, Ordering::Relaxed);
        c.burn_wall_ns
            .fetch_add(burnt.wall.as_nanos() as u64, Ordering::Relaxed);
        c.burn_handoff_ns
            .fetch_add(burnt.handoff.as_nanos() as u64, Ordering::Relaxed);
        Some(Duration::from_nanos(d_ns - work))
    }
}

/// Accepts connections on `listener` and serves them with `task` until the
/// runtime shuts down.
pub(crate) async fn accept_loop(listener: TcpListener, task: Arc<EmulatedTask>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let task = task.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |_req: hyper::Request<Incoming>| {
                let task = task.clone();
                async move {
                    let status = task.serve().await;
                    let body = if status == StatusCode::OK {
                        Bytes::from_static(b"ok\n")
                    } else {
                        Bytes::from_static(b"queue full\n")
                    };
                    let mut resp = Response::new(Full::new(body));
                    *resp.status_mut() = status;
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dockmaster_sim::rng::stream;

    fn task(concurrency: u32, queue_limit: u32, ms: u64) -> Arc<EmulatedTask> {
        let model = Arc::new(ServiceModel::new(
            Sampler::Constant(ms * 1_000_000),
            stream(1, "t"),
        ));
        Arc::new(EmulatedTask::new(
            concurrency,
            queue_limit,
            model,
            Some(PreciseTimer::start()),
            None,
        ))
    }

    /// c = 2, queue 1, 4 simultaneous requests of 50 ms: two served at once,
    /// one waits (done at ~100 ms), one is refused.
    #[test]
    fn slots_queue_and_refusals_follow_the_task_model() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let t = task(2, 1, 50);
        let start = Instant::now();
        let out = rt.block_on(async {
            let mut hs = Vec::new();
            for _ in 0..4 {
                let t = t.clone();
                hs.push(tokio::spawn(async move {
                    let s = t.serve().await;
                    (s, start.elapsed())
                }));
            }
            let mut out = Vec::new();
            for h in hs {
                out.push(h.await.unwrap());
            }
            out
        });
        let ok: Vec<Duration> = out
            .iter()
            .filter(|(s, _)| *s == StatusCode::OK)
            .map(|(_, d)| *d)
            .collect();
        assert_eq!(ok.len(), 3, "{out:?}");
        assert_eq!(t.counters.rejected.load(Ordering::Relaxed), 1);
        let mut ok = ok;
        ok.sort();
        assert!(ok[1] < Duration::from_millis(60), "{ok:?}");
        assert!(
            ok[2] >= Duration::from_millis(100) && ok[2] < Duration::from_millis(115),
            "{ok:?}"
        );
        // Everything released: the next request is served at once.
        let s = rt.block_on(t.serve());
        assert_eq!(s, StatusCode::OK);
        assert_eq!(t.slots.lock().unwrap().busy, 0);
    }

    /// With cpu_per_request 0.5, a 20 ms request burns 10 ms (measured on
    /// the burner thread's clock) and sleeps the other 10 ms.
    #[test]
    fn a_request_burns_its_cpu_work_then_sleeps_the_rest() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let model = Arc::new(ServiceModel::new(
            Sampler::Constant(20_000_000),
            stream(1, "t"),
        ));
        let burner = Arc::new(Burner::start("t", 1, None).unwrap());
        let timer = PreciseTimer::start();
        let t = EmulatedTask::new(
            1,
            0,
            model,
            Some(timer.clone()),
            Some(TaskCpu {
                cpu_per_request: 0.5,
                burner,
            }),
        );
        let start = Instant::now();
        assert_eq!(rt.block_on(t.serve()), StatusCode::OK);
        let took = start.elapsed();
        let c = &t.counters;
        // The sleep starts when the burn ends: however long a busy machine
        // makes the burn (or the burner thread's wake-up before it, which
        // the burner measures as the hand-over), 10 ms follow it.
        let burn_wall = Duration::from_nanos(c.burn_wall_ns.load(Ordering::Relaxed));
        let handoff = Duration::from_nanos(c.burn_handoff_ns.load(Ordering::Relaxed));
        let after = took.saturating_sub(burn_wall + handoff);
        // And the timer thread's own lateness, which it measures: on a busy
        // machine it wakes milliseconds past the deadline (the testbed
        // reports that as a disturbed measurement, not a wrong sleep).
        let late = timer.stats().max_late;
        assert!(
            took >= Duration::from_millis(20)
                && after >= Duration::from_millis(10)
                && after < Duration::from_millis(13) + late,
            "{took:?} in all, {handoff:?} to hand the burn over, {after:?} after the burn, \
             the timer {late:?} late"
        );
        assert_eq!(c.cpu_work_ns.load(Ordering::Relaxed), 10_000_000);
        let burnt = c.cpu_burnt_ns.load(Ordering::Relaxed);
        assert!((10_000_000..10_100_000).contains(&burnt), "{burnt}");
    }

    /// A waiter that goes away (client disconnected) gives its turn up.
    #[test]
    fn an_abandoned_waiter_does_not_leak_a_slot() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let t = task(1, 5, 20);
        rt.block_on(async {
            let t1 = t.clone();
            let first = tokio::spawn(async move { t1.serve().await });
            tokio::task::yield_now().await;
            let t2 = t.clone();
            let second = tokio::spawn(async move { t2.serve().await });
            tokio::task::yield_now().await;
            second.abort();
            assert_eq!(first.await.unwrap(), StatusCode::OK);
        });
        assert_eq!(t.slots.lock().unwrap().busy, 0);
        assert!(t.slots.lock().unwrap().waiting.is_empty());
    }
}
