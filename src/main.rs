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
        dockmaster compare out/sim out/measured -o out/compare"
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
    Validate {
        /// Scenario file (TOML).
        file: PathBuf,
    },
    /// Run the discrete-event simulation of a scenario and write a recording.
    #[command(
        after_help = "Example:\n  dockmaster simulate scenarios/mmc.toml -o out/mmc --replications 8\n\n\
        Writes OUT/report.html (charts inlined), OUT/summary.json, OUT/timeseries.csv,\n\
        OUT/events.csv (every scaling decision, launch, deploy step, failure), OUT/latency.hlog\n\
        and OUT/charts/*.svg.\n\
        Exit status: 0; 1 with --check-slo when the SLO is missed; 2 on bad input."
    )]
    Simulate {
        /// Scenario file (TOML).
        file: PathBuf,
        /// Output directory for the recording.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Seed for every random stream (overrides the file's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Independent replications, run in parallel and pooled; the summary
        /// gives each percentile's mean and 95% confidence interval.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        replications: u32,
        /// Exit with status 1 when the scenario's SLO is missed.
        #[arg(long)]
        check_slo: bool,
        /// No progress bar, no summary table.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Draw a recording's charts and report.html again from its files alone.
    #[command(after_help = "Example:\n  dockmaster report out/flash-sale\n\n\
        Reads DIR/summary.json, timeseries.csv, latency.hlog (and events.csv if present);\n\
        writes DIR/charts/*.svg and DIR/report.html. Exit status: 0; 2 on unreadable files.")]
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
        Exit status: 0; 1 with --check when the comparison fails; 2 on bad input."
    )]
    Compare {
        /// Recording folder of the simulation.
        sim: PathBuf,
        /// Recording folder of the measurement (a load test).
        measured: PathBuf,
        /// Output directory for the comparison.
        #[arg(short, long)]
        out: PathBuf,
        /// Largest relative error of p50, p90 and p99 that passes (0.15 = ±15%).
        #[arg(long, default_value_t = 0.15)]
        tolerance: f64,
        /// Exit with status 1 when the comparison fails.
        #[arg(long)]
        check: bool,
        /// Print nothing.
        #[arg(short, long)]
        quiet: bool,
    },
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
        connections). Ctrl-C stops sending, waits briefly for answers, writes everything.\n\
        Exit status: 0; 1 with --check-slo when the SLO is missed; 2 on bad input;\n\
        130 when stopped by a signal (the recording is written)."
    )]
    Loadtest {
        /// Scenario file (TOML).
        file: PathBuf,
        /// Base URL of the endpoint, http://host[:port][/path].
        #[arg(long)]
        target: String,
        /// Output directory for the recording.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Seed of the arrival streams (overrides the file's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Multiply the traffic's rate (0.1 = a tenth, for dry runs).
        #[arg(long, default_value_t = 1.0)]
        rate_scale: f64,
        /// Replay from this scenario time on ("90s", "5m").
        #[arg(long, value_parser = cmd::loadtest::duration_arg)]
        from: Option<u64>,
        /// Replay up to this scenario time (default: its end).
        #[arg(long, value_parser = cmd::loadtest::duration_arg)]
        to: Option<u64>,
        /// Keep-alive connections at most; a request finding all busy waits (schedule lag).
        #[arg(long, default_value_t = 1000)]
        max_connections: usize,
        /// Per-request timeout ("30s").
        #[arg(long, default_value = "30s", value_parser = cmd::loadtest::duration_arg)]
        timeout: u64,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Closed model instead: N connections sending back to back, for --duration.
        #[arg(long, value_name = "N")]
        closed: Option<usize>,
        /// How long the closed model runs ("10s").
        #[arg(long, requires = "closed", value_parser = cmd::loadtest::duration_arg)]
        duration: Option<u64>,
        /// Exit with status 1 when the scenario's SLO is missed.
        #[arg(long)]
        check_slo: bool,
        /// Nice value of the generator's threads; negative (needs root) keeps
        /// neighbouring work on a shared machine from delaying its sends.
        #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
        nice: Option<i32>,
        /// No progress line, no summary table.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Stand up the scenario's fleet on loopback: emulated tasks behind a real HAProxy.
    #[command(
        after_help = "Example:\n  dockmaster testbed scenarios/testbed-small.toml --for 5m\n\n\
        Every task of every service is a small HTTP server on 127.0.0.1 with the service's\n\
        concurrency slots and queue_limit (a full queue answers 503), sleeping a service time\n\
        drawn from its distribution. HAProxy (Debian package haproxy) routes /<service>/ to\n\
        them with the scenario's algorithm (roundrobin, leastconn, random(1)). Prints the URL\n\
        to load-test; stops everything it started after --for or on Ctrl-C.\n\
        Exit status: 0; 1 if HAProxy died; 2 on bad input or without haproxy."
    )]
    Testbed {
        /// Scenario file (TOML).
        file: PathBuf,
        /// Stop after this long ("90s", "10m"); default: until Ctrl-C.
        #[arg(long = "for", value_name = "DURATION", value_parser = cmd::loadtest::duration_arg)]
        run_for: Option<u64>,
        /// Seed of the service-time streams (overrides the file's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// The HAProxy program.
        #[arg(long, default_value = "haproxy")]
        haproxy: PathBuf,
        /// HAProxy threads (nbthread).
        #[arg(long, default_value_t = 1)]
        haproxy_threads: usize,
        /// Sleep service times on tokio's 1 ms timer (to see what it costs).
        #[arg(long)]
        coarse_timer: bool,
        /// Nice value of HAProxy and the emulated tasks; negative (needs root)
        /// keeps neighbouring work from delaying their clocks.
        #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
        nice: Option<i32>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate { file } => cmd::validate::run(&file),
        Command::Simulate {
            file,
            out,
            seed,
            replications,
            check_slo,
            quiet,
        } => cmd::simulate::run(cmd::simulate::Args {
            file,
            out,
            seed,
            replications,
            check_slo,
            quiet,
        }),
        Command::Report { dir, quiet } => cmd::report::run(&dir, quiet),
        Command::Compare {
            sim,
            measured,
            out,
            tolerance,
            check,
            quiet,
        } => cmd::compare::run(cmd::compare::Args {
            sim,
            measured,
            out,
            tolerance,
            check,
            quiet,
        }),
        Command::Loadtest {
            file,
            target,
            out,
            seed,
            rate_scale,
            from,
            to,
            max_connections,
            timeout,
            threads,
            closed,
            duration,
            check_slo,
            nice,
            quiet,
        } => cmd::loadtest::run(cmd::loadtest::Args {
            file,
            target,
            out,
            seed,
            rate_scale,
            from,
            to,
            max_connections,
            timeout,
            threads,
            closed,
            duration,
            check_slo,
            nice,
            quiet,
        }),
        Command::Testbed {
            file,
            run_for,
            seed,
            haproxy,
            haproxy_threads,
            coarse_timer,
            nice,
        } => cmd::testbed::run(cmd::testbed::Args {
            file,
            run_for,
            seed,
            haproxy,
            haproxy_threads,
            coarse_timer,
            nice,
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", cmd::render_error(&e));
            ExitCode::from(2)
        }
    }
}
