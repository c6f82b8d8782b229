//! The reporting window: the time integrals every event brings up to date,
//! and the close of a window into the recorder (its gauges, its CPU audit).
//! Apart from the request path because a window sees the whole fleet at
//! once, and the request path sees one request.

use super::{CpuWindow, Simulation};
use crate::host::HostState;
use crate::placement::Placement;
use crate::task::TaskState;
use crate::time::{SimTime, NANOS_PER_SEC};
use dockmaster_reports::FleetGauges;

impl Simulation<'_> {
    #[inline]
    pub(super) fn advance_integrals(&mut self, now: SimTime) {
        let dt = (now.0 - self.last_change.0) as f64;
        self.in_system_area += self.in_system as f64 * dt;
        self.cpu_area += self.cpu_used * dt;
        self.vcpu_area += self.registered_vcpu * dt;
        self.billed_area += self.billed_hosts as f64 * dt;
        self.last_change = now;
    }

    pub(super) fn close_window(&mut self, now: SimTime) {
        self.retire_all_cpu_ends(now);
        let span = (now.0 - self.window_start.0) as f64;
        let count = |st: HostState| self.hosts.iter().filter(|h| h.state == st).count() as f64;
        let (pending_h, in_service, draining) = (
            count(HostState::Pending),
            count(HostState::InService),
            count(HostState::Draining),
        );
        let vcpus: f64 = self
            .hosts
            .iter()
            .filter(|h| h.registered())
            .map(|h| h.vcpu)
            .sum();
        let tcount =
            |f: &dyn Fn(TaskState) -> bool| self.tasks.iter().filter(|t| f(t.state)).count() as f64;
        let running = tcount(&|s| matches!(s, TaskState::Running | TaskState::Lost));
        let price = self.scenario.cluster.instance_type.price_per_hour;
        let window_cost = self.billed_area * price / (3600.0 * NANOS_PER_SEC as f64);
        self.cost_usd += window_cost;
        let (cpu_res, mem_res) = self.reservation();
        let gauges = FleetGauges {
            hosts: in_service + draining,
            hosts_pending: pending_h,
            hosts_in_service: in_service,
            tasks: running,
            tasks_pending: tcount(&|s| matches!(s, TaskState::Pending | TaskState::Starting)),
            tasks_running: running,
            tasks_draining: tcount(&|s| s == TaskState::Draining),
            cpu_util: if vcpus > 0.0 && span > 0.0 {
                self.cpu_area / (vcpus * span)
            } else {
                0.0
            },
            cpu_reservation: cpu_res,
            memory_reservation: mem_res,
            asg_desired: self.asg.desired as f64,
            desired: self
                .scenario
                .services
                .iter()
                .zip(&self.services)
                .map(|(spec, s)| (spec.name.clone(), s.desired as f64))
                .collect(),
            cost_usd: window_cost,
        };
        let l = if span > 0.0 {
            self.in_system_area / span
        } else {
            0.0
        };
        self.recorder
            .close_window(self.window_start.as_secs_f64(), l, &gauges.columns());
        self.audit.windows.push(CpuWindow {
            cpu_delivered_ns: self.cpu_area,
            cpu_work_done_ns: self.cpu_work_done,
            vcpu_capacity_ns: self.vcpu_area,
        });
        self.window_start = now;
        self.in_system_area = 0.0;
        self.cpu_area = 0.0;
        self.vcpu_area = 0.0;
        self.cpu_work_done = 0.0;
        self.billed_area = 0.0;
    }

    /// Cluster CPU and memory reservation, 0..1: reserved by tasks / registered
    /// by ACTIVE and DRAINING instances (docs/aws-behaviour.md §1.1).
    pub(crate) fn reservation(&self) -> (f64, f64) {
        let (mut cpu, mut mem, mut rcpu, mut rmem) = (0u64, 0u64, 0u64, 0u64);
        let it = &self.scenario.cluster.instance_type;
        for h in self.hosts.iter().filter(|h| h.registered()) {
            let (fc, fm) = self
                .placement
                .free(h.pid.expect("registered hosts have a placement id"))
                .expect("registered");
            rcpu += it.registered_cpu as u64;
            rmem += it.registered_memory_mib as u64;
            cpu += (it.registered_cpu - fc) as u64;
            mem += (it.registered_memory_mib - fm) as u64;
        }
        if rcpu == 0 {
            (0.0, 0.0)
        } else {
            (cpu as f64 / rcpu as f64, mem as f64 / rmem as f64)
        }
    }
}
