//! The testbed: a local stand-in for a scenario's fleet, on loopback.
//!
//! ```text
//!  loadgen ──HTTP──► HAProxy 127.0.0.1:P ──/web/…──► backend svc0 ──► task0 127.0.0.1:p0  (emulated: slots,
//!                    (real process, the     ──/api/…──► backend svc1     task1 127.0.0.1:p1   queue, 503, CPU
//!                     scenario's algorithm)                              …                    burnt, rest slept)
//!
//!  cores:  system (HAProxy, HTTP, timers, children)  │ host i-0001 (its vCPUs) │ host i-0002 │ …
//! ```
//!
//! Each of a service's `desired` tasks is an [`emulator`] server on its own
//! port; HAProxy is configured and started by [`Testbed::start`] and stopped
//! when the [`Testbed`] is dropped. The fleet is static: what the scenario
//! scripts (events, autoscaling, faults) is not emulated, and
//! [`Testbed::notes`] says so.
//!
//! CPU: when a service has `cpu_per_request > 0`, each emulated host the
//! simulator places such tasks on is a cpuset of whole cores of this
//! machine ([`layout`], [`cgroup`]), each task a cpu cgroup with the limit
//! ECS sets, and each request burns its CPU work on a thread in that
//! cgroup ([`burner`]) before sleeping the rest ([`fleet`] wires it up).
//!
//! Timing: service times are slept on a [`PreciseTimer`] (a few µs late)
//! rather than tokio's 1 ms timer wheel, which would add 0.5 ms on average
//! (1 ms at worst) to every service time — measured by
//! `tokio_timer_cost` in this module's tests and reported by
//! `dockmaster testbed --coarse-timer`.

pub mod burner;
pub mod cgroup;
#[cfg(test)]
mod cgroup_tests;
pub mod emulator;
pub mod fleet;
pub mod haproxy;
pub mod layout;

use crate::clock::{set_thread_nice, PreciseTimer, TimerStats};
use crate::error::TestbedError;
use dockmaster_sim::dist::Sampler;
use dockmaster_sim::rng::stream;
use dockmaster_sim::scenario::Scenario;
use emulator::{accept_loop, EmulatedTask, ServiceModel, TaskCounters};
use fleet::{CpuFleet, TaskKernel};
use layout::CpuLayout;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How to run the testbed.
#[derive(Clone, Debug)]
pub struct TestbedOptions {
    /// Seeds the service-time streams (default: the scenario's seed).
    pub seed: u64,
    /// The HAProxy binary.
    pub haproxy: PathBuf,
    /// HAProxy threads (`nbthread`).
    pub haproxy_threads: usize,
    /// Threads of the emulated tasks' runtime.
    pub threads: usize,
    /// Sleep service times on tokio's 1 ms timer instead of the precise one
    /// (to see what the coarse timer costs).
    pub coarse_timer: bool,
    /// Nice value for HAProxy and the emulated tasks' threads (negative:
    /// ahead of neighbouring work; needs root). `None`: inherited.
    pub nice: Option<i32>,
}

impl TestbedOptions {
    pub fn new(scenario: &Scenario) -> TestbedOptions {
        TestbedOptions {
            seed: scenario.seed,
            haproxy: PathBuf::from("haproxy"),
            haproxy_threads: 1,
            threads: 1,
            coarse_timer: false,
            nice: None,
        }
    }
}

/// One emulated task.
#[derive(Clone, Debug)]
pub struct TaskInfo {
    pub service: String,
    /// Index among its service's tasks.
    pub index: u32,
    pub addr: SocketAddr,
    pub concurrency: u32,
    pub queue_limit: u32,
    pub counters: Arc<TaskCounters>,
    /// Its host and cgroups, if it burns CPU.
    pub kernel: Option<TaskKernel>,
}

/// A running testbed. Dropping it stops HAProxy and the emulated tasks.
pub struct Testbed {
    url: String,
    frontend: SocketAddr,
    tasks: Vec<TaskInfo>,
    haproxy_version: String,
    balance: &'static str,
    notes: Vec<String>,
    dir: PathBuf,
    // Field order is drop order: HAProxy first, then the tasks, then the
    // cgroups (the process goes back to its cpuset last).
    haproxy: haproxy::ChildGuard,
    runtime: Option<tokio::runtime::Runtime>,
    timer: Option<PreciseTimer>,
    cpu: Option<CpuFleet>,
}

/// A free loopback port: bind port 0, read it, release it. HAProxy needs a
/// concrete port in its configuration; the window for a clash is tiny.
fn free_port() -> Result<SocketAddr, TestbedError> {
    let l = StdListener::bind("127.0.0.1:0").map_err(TestbedError::io("bind 127.0.0.1:0"))?;
    l.local_addr()
        .map_err(TestbedError::io("read a bound address"))
}

impl Testbed {
    /// Starts every task of every service, then HAProxy in front of them.
    /// HAProxy is tied to the calling thread (it gets SIGTERM if that
    /// thread dies): start the testbed from a thread that outlives it.
    ///
    /// With a service that burns CPU, this also moves the whole calling
    /// process into the testbed's `system` cpuset until the testbed is
    /// dropped, so that HAProxy and any child process started meanwhile
    /// (a load generator) stay off the emulated hosts' cores; one such
    /// testbed per process.
    pub fn start(scenario: &Scenario, opts: &TestbedOptions) -> Result<Testbed, TestbedError> {
        let haproxy_version = haproxy::version(&opts.haproxy)?;
        if scenario.services.iter().all(|s| s.desired == 0) {
            return Err(TestbedError::Unsupported(
                "no service has a task to emulate".into(),
            ));
        }
        // Refuses (before anything runs) a machine that cannot confine the
        // CPU work; then moves this process to the system cores before
        // any thread of the testbed starts.
        let mut cpu = CpuFleet::prepare(scenario, opts.seed)?;
        let nice = opts.nice;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.threads.max(1))
            .thread_name("testbed-task")
            .on_thread_start(move || {
                if let Some(n) = nice {
                    set_thread_nice(n);
                }
            })
            .enable_all()
            .build()
            .map_err(TestbedError::io("start the testbed's runtime"))?;
        let timer = (!opts.coarse_timer).then(|| PreciseTimer::start_with_nice(nice));

        let mut tasks = Vec::new();
        let mut addrs: Vec<Vec<SocketAddr>> = Vec::new();
        for (si, s) in scenario.services.iter().enumerate() {
            let model = Arc::new(ServiceModel::new(
                Sampler::new(&s.service_time),
                stream(opts.seed, &format!("service-time/{}", s.name)),
            ));
            let mut service_addrs = Vec::new();
            for i in 0..s.desired {
                let std_l = StdListener::bind("127.0.0.1:0")
                    .map_err(TestbedError::io("bind 127.0.0.1:0"))?;
                std_l
                    .set_nonblocking(true)
                    .map_err(TestbedError::io("set a socket non-blocking"))?;
                let addr = std_l
                    .local_addr()
                    .map_err(TestbedError::io("read a bound address"))?;
                // Task i of service s is the simulator's task i of s: it
                // burns on the host the simulation places that task on.
                let (task_cpu, kernel) = match cpu.as_mut() {
                    Some(c) => c.add_task(scenario, si, i)?.unzip(),
                    None => (None, None),
                };
                let task = Arc::new(EmulatedTask::new(
                    s.concurrency,
                    s.queue_limit,
                    model.clone(),
                    timer.clone(),
                    task_cpu,
                ));
                let counters = task.counters.clone();
                {
                    let _enter = runtime.enter();
                    let l = tokio::net::TcpListener::from_std(std_l)
                        .map_err(TestbedError::io("register a listener"))?;
                    runtime.spawn(accept_loop(l, task));
                }
                service_addrs.push(addr);
                tasks.push(TaskInfo {
                    service: s.name.clone(),
                    index: i,
                    addr,
                    concurrency: s.concurrency,
                    queue_limit: s.queue_limit,
                    counters,
                    kernel,
                });
            }
            addrs.push(service_addrs);
        }

        let frontend = free_port()?;
        let backends: Vec<haproxy::Backend<'_>> = scenario
            .services
            .iter()
            .zip(&addrs)
            .filter(|(s, _)| s.desired > 0)
            .map(|(s, a)| haproxy::Backend {
                service: &s.name,
                servers: a,
            })
            .collect();
        let algorithm = scenario.load_balancer.algorithm;
        let config = haproxy::config(frontend, &backends, algorithm, opts.haproxy_threads.max(1));
        let dir = std::env::temp_dir().join(format!(
            "dockmaster-testbed-{}-{}",
            std::process::id(),
            frontend.port()
        ));
        std::fs::create_dir_all(&dir).map_err(|source| TestbedError::Write {
            path: dir.clone(),
            source,
        })?;
        let config_path = dir.join("haproxy.cfg");
        std::fs::write(&config_path, &config).map_err(|source| TestbedError::Write {
            path: config_path.clone(),
            source,
        })?;
        let guard = haproxy::start(
            &opts.haproxy,
            &config_path,
            &dir.join("haproxy.log"),
            frontend,
            opts.nice,
        )?;

        let mut notes = not_emulated(scenario);
        if let Some(c) = &cpu {
            notes.extend(c.notes());
        }
        Ok(Testbed {
            url: format!("http://{frontend}"),
            frontend,
            tasks,
            haproxy_version,
            balance: haproxy::balance(algorithm),
            notes,
            dir,
            haproxy: guard,
            runtime: Some(runtime),
            timer,
            cpu,
        })
    }

    /// The URL to load-test: HAProxy's frontend.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn frontend(&self) -> SocketAddr {
        self.frontend
    }

    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    pub fn haproxy_version(&self) -> &str {
        &self.haproxy_version
    }

    pub fn haproxy_pid(&self) -> u32 {
        self.haproxy.id()
    }

    /// HAProxy's `balance` for the scenario's algorithm.
    pub fn balance(&self) -> &'static str {
        self.balance
    }

    /// Where the HAProxy configuration and log are.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Which cores each burning host got and which the rest of the testbed
    /// keeps; `None` if nothing burns CPU.
    pub fn cpu_layout(&self) -> Option<&CpuLayout> {
        self.cpu.as_ref().map(|c| &c.layout)
    }

    /// What the hosts' cores did since the start: the testbed's tasks,
    /// other processes, steal. `None` if nothing burns CPU.
    pub fn host_core_usage(&self) -> Option<fleet::HostCoreUsage> {
        self.cpu.as_ref()?.host_core_usage()
    }

    /// What the scenario asks for that the testbed does not do, and how it
    /// emulates CPU when it burns it.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// How punctual the emulated service times were (`None` with
    /// `coarse_timer`).
    pub fn timer_stats(&self) -> Option<TimerStats> {
        self.timer.as_ref().map(PreciseTimer::stats)
    }

    /// Is HAProxy still running?
    pub fn is_alive(&mut self) -> bool {
        self.haproxy.try_wait().is_none()
    }

    /// Stops HAProxy, then the tasks.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.haproxy.stop();
        if let Some(c) = self.cpu.as_mut() {
            c.stop_burners();
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        // Back to the process's own cpuset; every cgroup removed.
        self.cpu.take();
    }

    /// Per task: served, refused (503), most waiting at once.
    pub fn counters_table(&self) -> String {
        let mut s = String::from("task                  served   503s  queue peak\n");
        for t in &self.tasks {
            let c = &t.counters;
            s.push_str(&format!(
                "{:<20}{:>8}{:>7}{:>12}\n",
                format!("{}/{}", t.service, t.index),
                c.served.load(Ordering::Relaxed),
                c.rejected.load(Ordering::Relaxed),
                c.queue_peak.load(Ordering::Relaxed),
            ));
        }
        s
    }

    /// Per burning task: its host, CPU work asked, CPU its threads
    /// measured, CPU its cgroup was charged, how much longer the burns took
    /// in wall time than on CPU, and periods throttled. Empty if nothing
    /// burns.
    pub fn cpu_table(&self) -> String {
        let mut s = String::new();
        for t in &self.tasks {
            let Some(k) = &t.kernel else { continue };
            if s.is_empty() {
                s.push_str(
                    "task                host      work s  burnt s  cgroup s  wall/cpu  throttled\n",
                );
            }
            let c = &t.counters;
            let secs = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e9;
            let (work, burnt, wall) = (
                secs(&c.cpu_work_ns),
                secs(&c.cpu_burnt_ns),
                secs(&c.burn_wall_ns),
            );
            let usage = k
                .cgroup
                .usage_ns()
                .map_or("-".to_string(), |u| format!("{:.3}", u as f64 / 1e9));
            let st = k.cgroup.stat();
            s.push_str(&format!(
                "{:<20}{:<8}{:>8.3}{:>9.3}{:>10}{:>10.2}{:>7}/{}\n",
                format!("{}/{}", t.service, t.index),
                k.host,
                work,
                burnt,
                usage,
                if burnt > 0.0 { wall / burnt } else { 0.0 },
                st.nr_throttled,
                st.nr_periods,
            ));
        }
        s
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The parts of a scenario a static loopback fleet cannot reproduce.
pub fn not_emulated(s: &Scenario) -> Vec<String> {
    let mut n = Vec::new();
    if !s.events.is_empty() {
        n.push(format!(
            "{} scripted event(s) are not emulated: the testbed's fleet is static",
            s.events.len()
        ));
    }
    if s.services.iter().any(|x| x.autoscaling.is_some()) || s.cluster.asg.scaling.is_some() {
        n.push("autoscaling is not emulated: every service keeps its desired tasks".into());
    }
    if s.faults.instance_mtbf.is_some() {
        n.push("background instance failures are not emulated".into());
    }
    n.push(
        "placement is not emulated: every desired task runs (the simulator leaves tasks that \
         fit no host PENDING)"
            .into(),
    );
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// What tokio's 1 ms timer would cost an emulated service time, next to
    /// the precise timer: prints both median lateness; the precise one must
    /// be the smaller.
    #[test]
    fn tokio_timer_cost() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let timer = PreciseTimer::start();
        let (mut coarse, mut fine) = (Vec::new(), Vec::new());
        rt.block_on(async {
            for i in 0..100u64 {
                let d = Duration::from_micros(2_000 + (i * 131) % 3_000);
                let t = Instant::now();
                tokio::time::sleep(d).await;
                coarse.push(t.elapsed().saturating_sub(d));
                let t = Instant::now();
                timer.sleep(d).await;
                fine.push(t.elapsed().saturating_sub(d));
            }
        });
        coarse.sort();
        fine.sort();
        let (c, f) = (coarse[50], fine[50]);
        eprintln!("median lateness of a sleep: tokio {c:?}, precise timer {f:?}");
        assert!(f < c, "tokio {c:?} vs precise {f:?}");
    }
}
