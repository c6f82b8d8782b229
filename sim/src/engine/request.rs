//! The request path: an arrival routed by the ALB to a task, queued or
//! refused (503), served (CPU work, then the wait off the CPU) and
//! recorded; and the requests that fail with their task or host. Apart
//! from the event loop because it is the hot path and the model's core,
//! read on its own against ARCHITECTURE.md's "The request path".

use super::{Event, Simulation};
use crate::task::TaskState;
use crate::time::{Nanos, SimTime};
use dockmaster_reports::ErrorKind;

impl Simulation<'_> {
    pub(super) fn on_arrival(&mut self, service: u16) {
        let sv = service as usize;
        self.recorder.record_offered(sv, 1);
        self.schedule_next_arrival(service);
        let svc = &mut self.services[service as usize];
        let Some(t) = svc
            .target_group
            .pick(self.algorithm, &self.tasks, &mut svc.alb_rng)
        else {
            self.recorder.record_error(sv, ErrorKind::Http503);
            return;
        };
        svc.routed += 1;
        let now = self.kernel.now();
        let task = &mut self.tasks[t as usize];
        if task.state == TaskState::Lost {
            // The host is gone: the connection is refused
            // (docs/aws-behaviour.md §2.3, "target RST on connect" → 502). A
            // powered-off host would time out instead (504 after 10 s); we take
            // the quick failure.
            self.recorder.record_error(sv, ErrorKind::Http502);
            return;
        }
        if let Some(slot) = task.idle.pop() {
            self.in_system += 1;
            if self.start_service(t, slot, now) {
                self.schedule_completion(t);
            }
            self.slot_busy_changed(t, 1);
        } else if task.queue.len() < task.queue_limit as usize {
            task.queue.push_back(now);
            self.in_system += 1;
        } else {
            self.recorder.record_error(sv, ErrorKind::Http503);
        }
    }

    /// A slot of task `t` became busy (`delta` = 1) or idle (−1): the
    /// service's busy slots (its memory model) change.
    #[inline]
    fn slot_busy_changed(&mut self, t: u32, delta: i32) {
        let now = self.kernel.now();
        let svc = &mut self.services[self.tasks[t as usize].service as usize];
        svc.account(now);
        svc.busy = (svc.busy as i64 + delta as i64) as u64;
    }

    /// Starts serving the request that arrived at `arrival` in `slot`: its
    /// service time splits into CPU work, done first, and a wait off the
    /// CPU ([`crate::cpu`]). Returns true when the task's next completion
    /// must be (re)scheduled: the request finishes its CPU work before every
    /// other on the CPU.
    #[inline]
    fn start_service(&mut self, task: u32, slot: u32, arrival: SimTime) -> bool {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        let svc = &mut self.services[t.service as usize];
        let work = svc.service_time.sample(&mut svc.work_rng);
        let cpu = if svc.cpu_per_request == 0.0 {
            0
        } else {
            // Rounded to the nearest ns (a cast, not libm's `round`).
            ((work as f64 * svc.cpu_per_request + 0.5) as Nanos).min(work)
        };
        let s = &mut t.slots[slot as usize];
        s.busy = true;
        s.arrival = arrival;
        s.cpu = cpu;
        s.off = work - cpu;
        if cpu == 0 {
            // No CPU work: the wait is all there is, fixed now.
            s.gen = s.gen.wrapping_add(1);
            let gen = s.gen;
            self.kernel
                .schedule(work, Event::SlotDone { task, slot, gen });
            return false;
        }
        if self.try_full_speed(task, slot) {
            return false;
        }
        let t = &mut self.tasks[task as usize];
        let s = &mut t.slots[slot as usize];
        t.serving.advance(now);
        let finish = t.serving.clock + cpu as f64;
        s.finish = finish;
        let first = t
            .serving
            .finishing
            .peek()
            .is_none_or(|r| finish < f64::from_bits(r.0 .0));
        t.serving
            .finishing
            .push(std::cmp::Reverse((finish.to_bits(), slot)));
        self.cpu_enter(task);
        first
    }

    /// (Re)schedules the one completion event of a task: its earliest
    /// finisher, at the current speed (none while the task gets no CPU: the
    /// speed-up that ends that schedules it).
    #[inline]
    pub(crate) fn schedule_completion(&mut self, task: u32) {
        let t = &mut self.tasks[task as usize];
        t.serving.gen = t.serving.gen.wrapping_add(1);
        if t.serving.rate <= 0.0 {
            return;
        }
        if let Some((_, left)) = t.serving.next_finish(&t.slots) {
            let gen = t.serving.gen;
            let wall = left / t.serving.rate;
            self.kernel
                .schedule((wall + 0.5) as Nanos, Event::Completion { task, gen });
        }
    }

    pub(super) fn on_completion(&mut self, task: u32, gen: u32) {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        if t.serving.gen != gen {
            return; // rescheduled or cancelled
        }
        t.serving.advance(now);
        let Some((slot, left)) = t.serving.next_finish(&t.slots) else {
            return;
        };
        // Slow-downs do not move the event (see `set_alloc`): it may fire
        // before the CPU work is done, and then moves on to when it is.
        if left >= 1.0 {
            self.schedule_completion(task);
            return;
        }
        t.serving.finishing.pop();
        let s = &mut t.slots[slot as usize];
        self.cpu_work_done += s.cpu as f64;
        let off = s.off;
        if off > 0 {
            s.gen = s.gen.wrapping_add(1);
            let gen = s.gen;
            self.kernel
                .schedule(off, Event::SlotDone { task, slot, gen });
        }
        self.cpu_leave(task, 1);
        if off == 0 {
            self.finish_request(task, slot);
        }
        self.schedule_completion(task);
    }

    pub(super) fn on_slot_done(&mut self, task: u32, slot: u32, gen: u32) {
        let t = &self.tasks[task as usize];
        let s = &t.slots[slot as usize];
        if !s.busy || s.gen != gen {
            return; // cancelled
        }
        if s.cpu > 0 {
            // A full-speed request: its CPU end is retired before the slot
            // moves on.
            let h = t.host.expect("placed") as usize;
            self.retire_cpu_ends(h, self.kernel.now());
        }
        self.finish_request(task, slot);
    }

    /// The request in `slot` is done: record it, then serve the next in
    /// the queue in the same slot, or leave the slot idle.
    #[inline]
    fn finish_request(&mut self, task: u32, slot: u32) {
        let now = self.kernel.now();
        let t = &mut self.tasks[task as usize];
        let s = &mut t.slots[slot as usize];
        self.recorder
            .record_ok(t.service as usize, now.0 - s.arrival.0);
        self.in_system -= 1;
        if let Some(next) = t.queue.pop_front() {
            // Same slot, still busy.
            if self.start_service(task, slot, next) {
                self.schedule_completion(task);
            }
        } else {
            s.busy = false;
            t.idle.push(slot);
            let drained = t.state == TaskState::Draining && t.outstanding() == 0;
            self.slot_busy_changed(task, -1);
            if drained {
                // Deregistration completes early once nothing is in flight
                // (docs/aws-behaviour.md §2.4).
                self.stop_task(task, "drained");
            }
        }
    }

    /// Fails every request queued at or served by `task` with `kind`.
    pub(crate) fn fail_requests(&mut self, task: u32, kind: ErrorKind) {
        if let Some(h) = self.tasks[task as usize].host {
            self.retire_cpu_ends(h as usize, self.kernel.now());
            // Its full-speed requests fail too: out of the host's queue.
            crate::cpu::remove_task(&mut self.hosts[h as usize].full_speed, task);
        }
        let t = &mut self.tasks[task as usize];
        let queued = t.queue.len();
        t.queue.clear();
        t.serving.finishing.clear();
        t.serving.gen = t.serving.gen.wrapping_add(1);
        let on_cpu = t.cpu.running;
        let mut busy = 0;
        for (i, s) in t.slots.iter_mut().enumerate() {
            if s.busy {
                s.busy = false;
                s.gen = s.gen.wrapping_add(1);
                t.idle.push(i as u32);
                busy += 1;
            }
        }
        let sv = t.service as usize;
        for _ in 0..queued + busy {
            self.recorder.record_error(sv, kind);
        }
        self.in_system -= (queued + busy) as u64;
        for _ in 0..busy {
            self.slot_busy_changed(task, -1);
        }
        if on_cpu > 0 {
            self.cpu_leave(task, on_cpu);
        }
    }

    /// A host leaves: its requests fail (502), its CPU stops counting.
    pub(crate) fn host_gone(&mut self, host: u32) {
        let tasks = self.hosts[host as usize].tasks.clone();
        for t in tasks {
            self.fail_requests(t, ErrorKind::Http502);
        }
        self.cpu_host_gone(host as usize);
    }
}
