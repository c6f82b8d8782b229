//! dockmaster: will our ECS-on-EC2 fleet hold when the traffic comes?
//!
//! This file only parses the command line and dispatches; the work lives in
//! the library crates (`dockmaster-sim`, `dockmaster-reports`), glued by
//! `cmd/`.

mod cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dockmaster",
    version,
    about = "Will our ECS-on-EC2 fleet hold when the traffic comes? Simulate it, load-test it, compare.",
    after_help = "Examples:\n  \
        dockmaster validate scenarios/flash-sale.toml\n  \
        dockmaster simulate scenarios/flash-sale.toml -o out/flash-sale   # then open out/flash-sale/report.html\n  \
        dockmaster testbed scenarios/testbed-small.toml --for 2m          # prints a URL to load-test\n  \
        dockmaster loadtest scenarios/testbed-small.toml --target http://127.0.0.1:PORT -o out/measured\n  \
        dockmaster compare out/sim out/measured -o out/compare\n  \
        dockmaster plan scenarios/plan-sale.toml -o out/plan              # the cheapest fleet that holds"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a scenario file and describe the fleet, traffic and events it defines.
    #[command(
        after_help = "Example:\n  dockmaster validate scenarios/steady.toml\n\n\
        Exit status: 0 when the file is valid, 2 with one line per problem otherwise."
    )]
    Validate(cmd::ScenarioArgs),
    /// Run the discrete-event simulation of a scenario and write a recording.
    #[command(
        after_help = "Example:\n  dockmaster simulate scenarios/mmc.toml -o out/mmc --replications 8\n\n\
        Writes OUT/report.html (charts inlined), OUT/summary.json, OUT/timeseries.csv,\n\
        OUT/events.csv (every scaling decision, launch, deploy step, failure), OUT/latency.hlog\n\
        and OUT/charts/*.svg, every file carrying the run id. They are written in a folder\n\
        beside OUT and swapped in whole at the end: a reader sees the old recording or the new\n\
        one, never a mix. Ctrl-C stops at once, writes nothing and leaves OUT as it was.\n\
        Exit status: 0; 1 with --check-slo when the SLO is missed; 2 on bad input (the\n\
        scenario, or an OUT that holds files but no recording); 3 when the recording cannot\n\
        be written (disk full, folder not writable); 130 when interrupted."
    )]
    Simulate(cmd::simulate::Args),
    /// Draw a recording's charts and report.html again from its files alone.
    #[command(after_help = "Example:\n  dockmaster report out/flash-sale\n\n\
        Reads DIR/summary.json, timeseries.csv, latency.hlog (and events.csv if present);\n\
        writes DIR/charts/*.svg and DIR/report.html, swapped in whole; other files are kept.\n\
        Exit status: 0; 2 on unreadable files or files of different runs (their run ids\n\
        disagree); 3 when the report cannot be written.")]
    Report {
        /// Recording folder (written by simulate or loadtest).
        dir: PathBuf,
        /// Print nothing.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Compare a simulated recording with a measured one, window by window.
    #[command(
        after_help = "Example:\n  dockmaster compare out/flash-sale out/flash-sale-measured -o out/flash-sale-vs-measured\n\n\
        Aligns windows on equal start times and judges the steady ones (not the first, not cut\n\
        short, >= 100 successful responses on each side): p50/p90/p99 within --tolerance of\n\
        the measured value and error rates close. Writes OUT/comparison.json,\n\
        OUT/comparison.html and OUT/charts/compare-*.svg, prints a table.\n\
        Only like with like: recordings of different scenarios (by content: the TOML values,\n\
        not comments), seeds or window lengths are refused unless --allow-different, and then\n\
        every output says so first. With no steady window there is no verdict (it fails).\n\
        Exit status: 0; 1 with --check when the comparison fails; 2 on bad input (unreadable\n\
        or mixed recordings, not like with like); 3 when the comparison cannot be written."
    )]
    Compare(cmd::compare::Args),
    /// Find the cheapest fleet of the scenario's [plan] that meets its SLOs, with confidence.
    #[command(
        after_help = "Example:\n  dockmaster plan scenarios/plan-sale.toml -o out/plan   # then open out/plan/plan.html\n  \
        dockmaster plan scenarios/steady.toml --vary 'services[0].desired=2,3,4,6' -o out/plan\n  \
        dockmaster plan scenarios/plan-sale.toml --shard 0/2 -o out/part0   # and 1/2 elsewhere, then:\n  \
        dockmaster plan scenarios/plan-sale.toml --reuse out/part0 --reuse out/part1 -o out/plan\n\n\
        Candidates are the cross product of [[plan.vary]] (and --vary); each is the scenario\n\
        with --set FIELD=VALUE applied and, with [plan] hosts = \"fit\" (the default), the\n\
        fewest hosts that place its tasks. Replication r of every candidate is simulate\n\
        --replications's replication r; candidates are replicated until each SLO objective\n\
        is met or missed at [plan] confidence (0.95), or max_replications (20) is reached.\n\
        Writes OUT/plan.json (every candidate: verdict, reason, figures), OUT/plan.html\n\
        (cost against p99, the ranking) and OUT/best.toml (the winner), swapped in whole.\n\
        --reuse takes the replications earlier plans of the same scenario text recorded and\n\
        replays the search over them, simulating only what none holds: --shard parts so\n\
        merged write the bytes an unsharded plan writes.\n\
        Exit status: 0 when a candidate is feasible; 1 when none is (the table says which\n\
        objective binds); 2 on bad input (the scenario, [plan], --vary, a --reuse part); 3 when\n\
        OUT cannot be written."
    )]
    Plan(cmd::plan::Args),
    /// Replay a scenario's traffic against a real HTTP endpoint (open model) and record it.
    #[command(
        after_help = "Example:\n  dockmaster testbed scenarios/testbed-small.toml --for 2m &\n  \
        dockmaster loadtest scenarios/testbed-small.toml --target http://127.0.0.1:PORT -o out/small-measured\n  \
        dockmaster loadtest scenarios/steady.toml --target http://127.0.0.1:PORT -o out/dry \\\n      \
        --from 1m --to 2m --rate-scale 0.1\n  \
        dockmaster loadtest scenarios/steady.toml --target http://127.0.0.1:PORT -o out/ceiling --closed 64 --duration 10s\n\n\
        Each request goes out at the instant the simulator draws for the same seed, to\n\
        <target path>/<service>/ by the scenario's mix, whatever earlier requests are doing;\n\
        latency counts from that instant. Writes OUT/summary.json (source loadtest),\n\
        timeseries.csv, latency.hlog and loadtest.json (schedule lag, send-time latency,\n\
        connections).\n\
        Ctrl-C (or SIGTERM, SIGHUP) stops sending, waits up to 2 s for the answers in flight\n\
        and writes everything; a second one stops waiting and writes at once (what was in\n\
        flight counts as unfinished); a third abandons the run and writes nothing. The\n\
        recording is swapped into OUT whole: OUT holds the old one or the new one, never a mix.\n\
        Exit status, one meaning each:\n  \
        0    the run went to its end\n  \
        1    the SLO was missed (with --check-slo)\n  \
        2    bad input, nothing sent: the scenario, the URL (http://, a host, a port from 1\n       \
        to 65535), an option value (--rate-scale above 0 and at most 1,000,000 requests/s\n       \
        at the scaled peak, --from before --to, ...)\n  \
        3    the target or the environment failed: the target never accepted a connection,\n       \
        the recording could not be written\n  \
        130  stopped by a signal; the recording holds what was measured\n  \
        137  abandoned by a third signal; nothing written"
    )]
    Loadtest(cmd::loadtest::Args),
    /// Stand up the scenario's fleet on loopback: emulated tasks behind a real HAProxy.
    #[command(
        after_help = "Examples:\n  dockmaster testbed scenarios/testbed-small.toml --for 5m\n  \
        sudo dockmaster testbed scenarios/testbed-cpu-hard.toml --for 5m   # burns CPU: root, cgroup v1\n  \
        taskset -c 0 dockmaster loadtest scenarios/testbed-cpu-hard.toml --target http://127.0.0.1:PORT -o out/hard\n\n\
        Every task of every service is a small HTTP server on 127.0.0.1 with the service's\n\
        concurrency slots and queue_limit (a full queue answers 503), taking a service time\n\
        drawn from its distribution. HAProxy (Debian package haproxy) routes /<service>/ to\n\
        them with the scenario's algorithm (roundrobin, leastconn, random(1)).\n\
        With cpu_per_request > 0 a request first burns its CPU share on a thread in its task's\n\
        cgroup (cpu_limit hard: CFS quota cpu/1024 x cpu_period; shares: cpu.shares = cpu), on\n\
        the cores of the host the simulator places the task on (one core per vCPU, one core\n\
        kept for HAProxy and the load generator), then sleeps the rest. That needs root and\n\
        cgroup v1 cpu and cpuset; the command prints which cores to taskset the load\n\
        generator to. Prints the URL to load-test; stops everything it started after --for\n\
        or on Ctrl-C.\n\
        Exit status: 0; 2 on bad input; 3 without haproxy, when this machine cannot burn the\n\
        scenario's CPU (no writable cgroups, too few cores) or when HAProxy died; 130 never:\n\
        Ctrl-C is how it is meant to stop (exit 0)."
    )]
    Testbed(cmd::testbed::Args),
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`| head`) would
    // panic; a command-line tool should just end, as cat and grep do.
    // SAFETY: at the start of main, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(a) => cmd::validate::run(&a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Report { dir, quiet } => cmd::report::run(&dir, quiet),
        Command::Compare(a) => cmd::compare::run(a),
        Command::Plan(a) => cmd::plan::run(a),
        Command::Loadtest(a) => cmd::loadtest::run(a),
        Command::Testbed(a) => cmd::testbed::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", cmd::render_error(&e));
            ExitCode::from(cmd::exit_status(&e))
        }
    }
}
