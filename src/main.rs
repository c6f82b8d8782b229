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
    after_help = "Examples:\n  dockmaster validate scenarios/flash-sale.toml\n  dockmaster simulate scenarios/flash-sale.toml -o out/flash-sale"
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
        Writes OUT/summary.json, OUT/timeseries.csv and OUT/latency.hlog.\n\
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
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", cmd::render_error(&e));
            ExitCode::from(2)
        }
    }
}
