//! The gauges a recording carries: one value per window per gauge, a
//! column of `timeseries.csv` each. Typed so that producers push and charts
//! look up a [`Gauge`], never a position or a column name; the column names
//! are written once, here, and so is each source's set: [`FleetGauges`] the
//! simulator's, [`LoadTestGauges`] the load generator's (the per-window
//! confidence intervals are [`crate::Recording::pool`]'s).

use std::borrow::Cow;
use std::fmt;

/// Declares [`Gauge`]'s fixed variants with each column name written once:
/// the variant, its name and `FIXED` come from one list.
macro_rules! gauges {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// A per-window measurement: a column of `timeseries.csv`.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Gauge {
            $($(#[doc = $doc])* $variant,)*
            /// A service's desiredCount (ECS), by service name.
            Desired(String),
        }

        impl Gauge {
            /// Every gauge but the per-service ones.
            const FIXED: [Gauge; [$($name),*].len()] = [$(Gauge::$variant),*];

            /// Its column in `timeseries.csv`.
            pub fn name(&self) -> Cow<'_, str> {
                match self {
                    $(Gauge::$variant => Cow::Borrowed($name),)*
                    Gauge::Desired(service) => Cow::Owned(format!("{DESIRED_PREFIX}{service}")),
                }
            }
        }
    };
}

/// The column of [`Gauge::Desired`] is this and the service's name.
const DESIRED_PREFIX: &str = "desired_";

gauges! {
    // The simulator's fleet, at the end of each window.
    /// EC2 instances registered with the cluster (InService or Draining).
    Hosts = "hosts",
    /// EC2 instances launched, not yet InService.
    HostsPending = "hosts_pending",
    /// EC2 instances InService.
    HostsInService = "hosts_in_service",
    /// ECS tasks running (their host may be lost, not yet noticed).
    Tasks = "tasks",
    /// ECS tasks PENDING placement or starting.
    TasksPending = "tasks_pending",
    /// ECS tasks RUNNING.
    TasksRunning = "tasks_running",
    /// ECS tasks draining from their target group.
    TasksDraining = "tasks_draining",
    /// CPU delivered over the registered vCPUs, time-averaged over the window, 0..1.
    CpuUtil = "cpu_util",
    /// The cluster's CPUReservation, 0..1.
    CpuReservation = "cpu_reservation",
    /// The cluster's MemoryReservation, 0..1.
    MemoryReservation = "memory_reservation",
    /// The Auto Scaling group's desired capacity.
    AsgDesired = "asg_desired",
    /// What the window's instance hours cost (USD).
    CostUsd = "cost_usd",
    // The load generator's, per window.
    /// Open connections to the target at the window's close.
    Connections = "connections",
    /// p99 of how late requests were sent after their scheduled instant (ms).
    ScheduleLagMsP99 = "schedule_lag_ms_p99",
    /// p99 of the latency measured from the send, not the schedule (ms).
    SendLatencyMsP99 = "send_latency_ms_p99",
    // Pooled replications' per-window 95% confidence intervals (ms).
    /// Lower end of the window's p50 interval.
    P50MsCi95Lo = "p50_ms_ci95_lo",
    /// Upper end of the window's p50 interval.
    P50MsCi95Hi = "p50_ms_ci95_hi",
    /// Lower end of the window's p99 interval.
    P99MsCi95Lo = "p99_ms_ci95_lo",
    /// Upper end of the window's p99 interval.
    P99MsCi95Hi = "p99_ms_ci95_hi",
}

impl Gauge {
    /// The gauge of a `timeseries.csv` column, or None when dockmaster
    /// writes no such gauge.
    pub fn from_column(column: &str) -> Option<Gauge> {
        if let Some(g) = Gauge::FIXED.iter().find(|g| g.name() == column) {
            return Some(g.clone());
        }
        column
            .strip_prefix(DESIRED_PREFIX)
            .filter(|service| !service.is_empty())
            .map(|service| Gauge::Desired(service.to_string()))
    }

    /// The service of a [`Gauge::Desired`].
    pub fn desired_service(&self) -> Option<&str> {
        match self {
            Gauge::Desired(service) => Some(service),
            _ => None,
        }
    }
}

impl fmt::Display for Gauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One window's gauges of a simulated fleet: the simulator's set, declared
/// once, here. [`FleetGauges::columns`] names each value as it goes into
/// the recorder, so no value is placed by position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetGauges {
    pub hosts: f64,
    pub hosts_pending: f64,
    pub hosts_in_service: f64,
    pub tasks: f64,
    pub tasks_pending: f64,
    pub tasks_running: f64,
    pub tasks_draining: f64,
    pub cpu_util: f64,
    pub cpu_reservation: f64,
    pub memory_reservation: f64,
    pub asg_desired: f64,
    /// Each service's desiredCount, by service name, in the scenario's
    /// order.
    pub desired: Vec<(String, f64)>,
    pub cost_usd: f64,
}

impl FleetGauges {
    /// The values with their gauges, in `timeseries.csv` order: the
    /// `desired_<service>` columns go before `cost_usd`.
    pub fn columns(&self) -> Vec<(Gauge, f64)> {
        let mut c = vec![
            (Gauge::Hosts, self.hosts),
            (Gauge::HostsPending, self.hosts_pending),
            (Gauge::HostsInService, self.hosts_in_service),
            (Gauge::Tasks, self.tasks),
            (Gauge::TasksPending, self.tasks_pending),
            (Gauge::TasksRunning, self.tasks_running),
            (Gauge::TasksDraining, self.tasks_draining),
            (Gauge::CpuUtil, self.cpu_util),
            (Gauge::CpuReservation, self.cpu_reservation),
            (Gauge::MemoryReservation, self.memory_reservation),
            (Gauge::AsgDesired, self.asg_desired),
        ];
        c.extend(
            self.desired
                .iter()
                .map(|(service, d)| (Gauge::Desired(service.clone()), *d)),
        );
        c.push((Gauge::CostUsd, self.cost_usd));
        c
    }

    /// The gauges a fleet of `services` declares to the recorder: those of
    /// [`FleetGauges::columns`], so the two cannot disagree.
    pub fn declared<S: Into<String>>(services: impl IntoIterator<Item = S>) -> Vec<Gauge> {
        let fleet = FleetGauges {
            desired: services.into_iter().map(|s| (s.into(), 0.0)).collect(),
            ..FleetGauges::default()
        };
        fleet.columns().into_iter().map(|(g, _)| g).collect()
    }
}

/// One window's gauges of a load test: the load generator's set, declared
/// once, here, as [`FleetGauges`] is the simulator's.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoadTestGauges {
    pub connections: f64,
    pub schedule_lag_ms_p99: f64,
    pub send_latency_ms_p99: f64,
}

impl LoadTestGauges {
    /// The values with their gauges, in `timeseries.csv` order.
    pub fn columns(&self) -> Vec<(Gauge, f64)> {
        vec![
            (Gauge::Connections, self.connections),
            (Gauge::ScheduleLagMsP99, self.schedule_lag_ms_p99),
            (Gauge::SendLatencyMsP99, self.send_latency_ms_p99),
        ]
    }

    /// The gauges a load test declares to the recorder.
    pub fn declared() -> Vec<Gauge> {
        LoadTestGauges::default()
            .columns()
            .into_iter()
            .map(|(g, _)| g)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_name_reads_back_as_its_gauge() {
        let mut all = Gauge::FIXED.to_vec();
        all.push(Gauge::Desired("api".into()));
        for g in all {
            assert_eq!(Gauge::from_column(&g.name()), Some(g.clone()), "{g}");
        }
        assert_eq!(Gauge::Desired("web".into()).name(), "desired_web");
        assert_eq!(Gauge::from_column("desired_"), None);
        assert_eq!(Gauge::from_column("hosts_total"), None);
    }

    #[test]
    fn the_simulators_columns_are_todays() {
        let names: Vec<String> = FleetGauges::declared(["api", "worker"])
            .iter()
            .map(|g| g.name().into_owned())
            .collect();
        assert_eq!(
            names.join(","),
            "hosts,hosts_pending,hosts_in_service,tasks,tasks_pending,tasks_running,\
             tasks_draining,cpu_util,cpu_reservation,memory_reservation,asg_desired,\
             desired_api,desired_worker,cost_usd"
        );
        let names: Vec<String> = LoadTestGauges::declared()
            .iter()
            .map(|g| g.name().into_owned())
            .collect();
        assert_eq!(
            names.join(","),
            "connections,schedule_lag_ms_p99,send_latency_ms_p99"
        );
    }
}
