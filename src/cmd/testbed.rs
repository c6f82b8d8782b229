//! `dockmaster testbed`: the scenario's fleet as emulated tasks behind a
//! real HAProxy on loopback, until `--for` runs out or Ctrl-C.

use anyhow::{Context, Result};
use dockmaster_loadgen::testbed::{Testbed, TestbedOptions};
use dockmaster_loadgen::TestbedError;
use dockmaster_sim::scenario::Algorithm;
use dockmaster_sim::time::{format_duration, Nanos};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The command's options (parsed by clap in main.rs).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
    /// Stop after this long ("90s", "10m"); default: until Ctrl-C.
    #[arg(long = "for", value_name = "DURATION", value_parser = super::loadtest::duration_arg)]
    pub run_for: Option<Nanos>,
    /// Seed of the service-time streams (overrides the file's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The HAProxy program.
    #[arg(long, default_value = "haproxy")]
    pub haproxy: PathBuf,
    /// HAProxy threads (nbthread).
    #[arg(long, default_value_t = 1)]
    pub haproxy_threads: usize,
    /// Sleep service times on tokio's 1 ms timer (to see what it costs).
    #[arg(long)]
    pub coarse_timer: bool,
    /// Nice value of HAProxy and the emulated tasks; negative (needs root)
    /// keeps neighbouring work from delaying their clocks.
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
    pub nice: Option<i32>,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let sc = match a.scenario.load() {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mut opts = TestbedOptions::new(&sc);
    opts.seed = a.seed.unwrap_or(sc.seed);
    opts.haproxy = a.haproxy;
    opts.haproxy_threads = a.haproxy_threads;
    opts.coarse_timer = a.coarse_timer;
    opts.nice = a.nice;
    let stop = dockmaster_loadgen::stop::on_signals().context("installing the Ctrl-C handler")?;
    dockmaster_loadgen::raise_fd_limit();
    // The scenario was valid: whatever stops the testbed now is this
    // machine's (no haproxy, no writable cgroups, too few cores, a port).
    let mut bed = match Testbed::start(&sc, &opts) {
        Ok(b) => b,
        Err(e @ (TestbedError::HaproxyMissing { .. } | TestbedError::CpuUnavailable(_))) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(super::ENVIRONMENT));
        }
        Err(e) => {
            eprintln!(
                "{}",
                super::render_error(&anyhow::Error::new(e).context("starting the testbed"))
            );
            return Ok(ExitCode::from(super::ENVIRONMENT));
        }
    };

    let mut per_service: Vec<String> = Vec::new();
    for s in &sc.services {
        if s.desired > 0 {
            per_service.push(format!(
                "{} × {} (concurrency {}, queue {})",
                s.desired, s.name, s.concurrency, s.queue_limit
            ));
        }
    }
    println!(
        "testbed for {}: {} emulated tasks on 127.0.0.1: {}",
        sc.name,
        bed.tasks().len(),
        per_service.join(", ")
    );
    let algorithm = match sc.load_balancer.algorithm {
        Algorithm::RoundRobin => "round_robin",
        Algorithm::LeastOutstandingRequests => "least_outstanding_requests",
        Algorithm::WeightedRandom => "weighted_random",
    };
    println!(
        "{} (pid {}, balance {} for {algorithm}) listening on {}",
        bed.haproxy_version(),
        bed.haproxy_pid(),
        bed.balance(),
        bed.url()
    );
    if let Some(l) = bed.cpu_layout() {
        for h in &l.hosts {
            let tasks: Vec<String> = h
                .tasks
                .iter()
                .map(|&(s, i)| format!("{}/{i}", sc.services[s as usize].name))
                .collect();
            println!(
                "host {} ({} vCPU): core(s) {} of this machine, tasks {}",
                h.name,
                h.vcpu,
                dockmaster_loadgen::testbed::cgroup::format_cpu_list(&h.cores),
                tasks.join(", ")
            );
        }
        println!(
            "system: core(s) {} (HAProxy, the tasks' HTTP and timers, children of this process)",
            l.system_list()
        );
    }
    for n in bed.notes() {
        println!("note: {n}");
    }
    if a.coarse_timer {
        println!(
            "note: --coarse-timer: service times sleep on tokio's 1 ms timer and come out \
             0.5 ms longer on average (up to 1 ms)"
        );
    }
    println!("\nload-test it with:");
    // A load generator started from another shell is not in the testbed's
    // cpuset: taskset keeps it off the hosts' cores.
    let taskset = bed
        .cpu_layout()
        .map(|l| format!("taskset -c {} ", l.system_list()))
        .unwrap_or_default();
    println!(
        "  {taskset}dockmaster loadtest {} --target {} -o out/{}-measured\n",
        a.scenario.file.display(),
        bed.url(),
        sc.name
    );
    match a.run_for {
        Some(d) => println!(
            "running for {} (Ctrl-C stops it sooner)",
            format_duration(d)
        ),
        None => println!("running until Ctrl-C"),
    }

    let deadline = a.run_for.map(|d| Instant::now() + Duration::from_nanos(d));
    let mut died = false;
    loop {
        if stop.requested() || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if !bed.is_alive() {
            died = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let table = bed.counters_table();
    let cpu_table = bed.cpu_table();
    let usage = bed.host_core_usage();
    let timer = bed.timer_stats();
    let n = bed.tasks().len();
    bed.stop();
    print!("\n{table}");
    if !cpu_table.is_empty() {
        print!("\n{cpu_table}");
    }
    if let Some(u) = usage {
        println!(
            "hosts' cores: {:.1} s of {:.1} s busy: {:.1} s the emulated tasks, {:.1} s other \
             processes; {:.1} s stolen by the hypervisor",
            u.busy_s,
            u.capacity_s,
            u.testbed_s,
            u.others_s(),
            u.steal_s
        );
        if u.others_s() + u.steal_s > 0.05 * u.capacity_s {
            println!(
                "note: other processes and steal took more than 5 % of the hosts' cores: a burn \
                 waiting for one of them to yield is slower than on an idle host"
            );
        }
    }
    if let Some(t) = timer {
        println!(
            "service-time timer: {} wake-ups, {} more than 1 ms late, latest {:.3} ms late",
            t.fired,
            t.late_over_1ms,
            t.max_late.as_secs_f64() * 1e3
        );
    }
    if died {
        eprintln!("error: haproxy exited on its own; stopped the {n} tasks");
        return Ok(ExitCode::from(super::ENVIRONMENT));
    }
    println!("stopped HAProxy and the {n} emulated tasks");
    Ok(ExitCode::SUCCESS)
}
