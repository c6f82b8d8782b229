//! The workers: each walks its share of the schedule (open model) or keeps
//! its connections busy (closed model) on its own single-threaded tokio
//! runtime, and hands one [`Record`] per request to the aggregator.
//!
//! A stop ([`crate::stop::Level`]) is looked at wherever a worker may wait:
//! before each request's instant, for a free connection, and while waiting
//! for in-flight requests (`Drain` gives them the drain period, `WriteNow`
//! none; dropping the runtime cancels what is left).

use crate::aggregate::Record;
use crate::client::{OwnedConn, Sender};
use crate::clock::FdTimer;
use crate::schedule::Schedule;
use crate::shared::Shared;
use crate::stop::Level;
use dockmaster_sim::rng::{open01, stream};
use dockmaster_sim::scenario::Scenario;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub(crate) enum WorkerJob {
    Open {
        schedule: Schedule,
        index: usize,
        stride: usize,
        connections: usize,
    },
    Closed {
        connections: usize,
        seed: u64,
        index: usize,
    },
}

pub(crate) fn worker(
    sh: Arc<Shared>,
    job: WorkerJob,
    rec: SyncSender<Record>,
    drain: Duration,
    mix: Vec<f64>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    rt.block_on(async move {
        match job {
            WorkerJob::Open {
                schedule,
                index,
                stride,
                connections,
            } => open_worker(sh, schedule, index, stride, connections, rec, drain).await,
            WorkerJob::Closed {
                connections,
                seed,
                index,
            } => closed_worker(sh, connections, seed, index, rec, drain, mix).await,
        }
    });
    // Dropping the runtime cancels whatever the drain period cut off.
}

/// Hands a record to the aggregator; blocks only if its queue is full
/// (it fell 65,536 records behind), counting how often.
fn send_record(sh: &Shared, rec: &SyncSender<Record>, r: Record) {
    match rec.try_send(r) {
        Ok(()) => {}
        Err(TrySendError::Full(r)) => {
            sh.aggregator_full.fetch_add(1, Ordering::Relaxed);
            let _ = rec.send(r);
        }
        Err(TrySendError::Disconnected(_)) => {}
    }
}

fn to_record(sh: &Shared, sched_ns: u64, service: u16, ex: &crate::client::Exchange) -> Record {
    Record {
        sched_ns,
        service,
        sent_ns: sh.ns(ex.sent).max(sched_ns),
        done_ns: sh.ns(ex.done),
        result: ex.result.map(|_| ()),
        connect_ns: ex.connect.map_or(0, |d| (d.as_nanos() as u64).max(1)),
    }
}

/// Waits until `deadline`: tokio's coarse timer for most of a long wait
/// (checking `stop` every 50 ms), the timerfd for the last 2 ms. `false`
/// if stopped.
async fn wait_until(sh: &Shared, timer: Option<&FdTimer>, deadline: Instant) -> bool {
    const FINE: Duration = Duration::from_millis(2);
    loop {
        if sh.stop.requested() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        let left = deadline - now;
        if left > FINE {
            // Wakes up to ~1 ms late: still before the deadline.
            tokio::time::sleep(
                (left - FINE / 2 - Duration::from_millis(1)).min(Duration::from_millis(50)),
            )
            .await;
            continue;
        }
        let precise = match timer {
            Some(t) => t.sleep_until(deadline).await.is_ok(),
            None => false,
        };
        if !precise {
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// A free connection slot; if there is none, waits for one (the request
/// and the schedule with it: the lag will say by how much), unless a stop
/// comes first.
async fn connection_slot(sh: &Shared, slots: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    if let Ok(p) = slots.clone().try_acquire_owned() {
        return Some(p);
    }
    sh.waited_for_connection.fetch_add(1, Ordering::Relaxed);
    let acquire = slots.clone().acquire_owned();
    tokio::pin!(acquire);
    loop {
        tokio::select! {
            p = &mut acquire => return Some(p.expect("the semaphore is never closed")),
            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                if sh.stop.requested() {
                    return None;
                }
            }
        }
    }
}

/// Sends this worker's share of the schedule (every `stride`-th request
/// from `index`), each at its instant.
async fn open_worker(
    sh: Arc<Shared>,
    schedule: Schedule,
    index: usize,
    stride: usize,
    connections: usize,
    rec: SyncSender<Record>,
    drain: Duration,
) {
    // Without a timerfd (not Linux, or refused), tokio's 1 ms timer: the
    // schedule lag will show the cost.
    let timer = FdTimer::new().ok();
    let slots = Arc::new(Semaphore::new(connections));
    let idle: Arc<Mutex<Vec<Sender>>> = Arc::new(Mutex::new(Vec::with_capacity(connections)));
    let horizon = &sh.horizons[index];
    for job in schedule.skip(index).step_by(stride) {
        horizon.store(job.at_ns, Ordering::Release);
        if !wait_until(&sh, timer.as_ref(), sh.t0 + Duration::from_nanos(job.at_ns)).await {
            sh.mark_stopped();
            break;
        }
        sh.count_offered(job.at_ns, job.service);
        let Some(permit) = connection_slot(&sh, &slots).await else {
            sh.mark_stopped();
            break;
        };
        let conn = idle.lock().expect("pool lock").pop();
        let (sh, idle, rec) = (sh.clone(), idle.clone(), rec.clone());
        tokio::spawn(async move {
            let mut ex = sh.client.exchange(job.service, conn).await;
            if let Some(tx) = ex.reusable.take() {
                idle.lock().expect("pool lock").push(tx);
            }
            drop(permit);
            send_record(&sh, &rec, to_record(&sh, job.at_ns, job.service, &ex));
        });
    }
    horizon.store(u64::MAX, Ordering::Release);
    let all = slots.acquire_many(connections as u32);
    wait_in_flight(&sh, all, drain).await;
}

/// Waits for `all_done`; once a stop is requested, for at most `drain`,
/// and not at all from `WriteNow` on (a second signal).
async fn wait_in_flight<F: std::future::Future>(sh: &Shared, all_done: F, drain: Duration) {
    tokio::pin!(all_done);
    let mut stop_seen: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = &mut all_done => return,
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                match sh.stop.level() {
                    Level::Running => {}
                    Level::Drain => {
                        let seen = *stop_seen.get_or_insert_with(Instant::now);
                        if seen.elapsed() >= drain {
                            return;
                        }
                    }
                    Level::WriteNow | Level::Abandon => return,
                }
            }
        }
    }
}

pub(crate) fn mix_weights(sc: &Scenario) -> Vec<f64> {
    let mut w = vec![0.0; sc.services.len()];
    for m in &sc.traffic.mix {
        w[m.service] += m.weight;
    }
    w
}

/// Draws a service by the mix weights.
fn pick(mix: &[f64], u: f64) -> u16 {
    let total: f64 = mix.iter().sum();
    let mut x = u * total;
    for (i, w) in mix.iter().enumerate() {
        if x < *w {
            return i as u16;
        }
        x -= w;
    }
    mix.iter().rposition(|w| *w > 0.0).unwrap_or(0) as u16
}

async fn closed_worker(
    sh: Arc<Shared>,
    connections: usize,
    seed: u64,
    index: usize,
    rec: SyncSender<Record>,
    drain: Duration,
    mix: Vec<f64>,
) {
    let wait = sh.t0.saturating_duration_since(Instant::now());
    tokio::time::sleep(wait).await;
    let mix = Arc::new(mix);
    let mut set = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (sh, rec, mix) = (sh.clone(), rec.clone(), mix.clone());
        let mut rng = stream(seed, &format!("loadgen/closed/{index}/{c}"));
        set.spawn(async move {
            let mut conn: Option<OwnedConn> = None;
            loop {
                if sh.stop.requested() {
                    sh.mark_stopped();
                    break;
                }
                let now = sh.now_ns();
                if now >= sh.slice_ns {
                    break;
                }
                let service = pick(&mix, open01(&mut rng));
                sh.count_offered(now, service);
                let ex = sh.client.exchange_owned(service, &mut conn).await;
                send_record(&sh, &rec, to_record(&sh, now, service, &ex));
            }
        });
    }
    let all = async { while set.join_next().await.is_some() {} };
    wait_in_flight(&sh, all, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_follows_the_weights() {
        let mix = [0.75, 0.0, 0.25];
        assert_eq!(pick(&mix, 0.0), 0);
        assert_eq!(pick(&mix, 0.74), 0);
        assert_eq!(pick(&mix, 0.76), 2);
        assert_eq!(pick(&mix, 1.0), 2);
    }
}
