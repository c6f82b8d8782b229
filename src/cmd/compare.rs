//! `dockmaster compare SIM_DIR MEASURED_DIR -o DIR`: the simulated
//! recording against the measured one, window by window; writes
//! comparison.json, the overlay charts and comparison.html, prints a table.

use anyhow::{bail, Context, Result};
use dockmaster_reports::compare::{compare, like, COMPARISON_FILE, COMPARISON_HTML};
use dockmaster_reports::Recording;
use dockmaster_sim::scenario;
use std::path::PathBuf;
use std::process::ExitCode;

/// The command's options (parsed by clap in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// Recording folder of the simulation.
    pub sim: PathBuf,
    /// Recording folder of the measurement (a load test).
    pub measured: PathBuf,
    /// Output directory for the comparison.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Largest relative error of p50, p90 and p99 that passes (0.15 = ±15%).
    #[arg(long, default_value_t = 0.15)]
    pub tolerance: f64,
    /// Exit with status 1 when the comparison fails.
    #[arg(long)]
    pub check: bool,
    /// Compare recordings of different scenarios, seeds or window lengths
    /// anyway (refused otherwise); everything written then says so first.
    #[arg(long)]
    pub allow_different: bool,
    /// Print nothing.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    if !(a.tolerance.is_finite() && a.tolerance > 0.0) {
        bail!(
            "--tolerance {}: must be a positive fraction (0.15 means ±15%)",
            a.tolerance
        );
    }
    let sim = Recording::read_dir(&a.sim)
        .with_context(|| format!("reading the simulated recording {}", a.sim.display()))?;
    let measured = Recording::read_dir(&a.measured)
        .with_context(|| format!("reading the measured recording {}", a.measured.display()))?;
    // The scenario format is the sim crate's to read; the recordings'
    // other differences (seed, traffic, window) are theirs to tell.
    let scenario_keys =
        scenario::differences(&sim.meta.scenario_text, &measured.meta.scenario_text);
    let differences = like::differences(&sim, &measured, scenario_keys);
    let c = compare(&sim, &measured, a.tolerance, differences);
    if !c.differences.is_empty() && !a.allow_different {
        eprintln!(
            "error: {} and {} are not like with like:",
            a.sim.display(),
            a.measured.display()
        );
        for d in &c.differences {
            eprintln!("  {d}");
        }
        eprintln!(
            "nothing written; rerun one side to match, or pass --allow-different to compare anyway"
        );
        return Ok(ExitCode::from(super::BAD_INPUT));
    }
    c.write_dir(&a.out)
        .with_context(|| format!("writing the comparison to {}", a.out.display()))?;
    if !a.quiet {
        println!("{}", c.table());
        println!(
            "wrote {}/{COMPARISON_FILE}, {COMPARISON_HTML} and charts/",
            a.out.display()
        );
    }
    Ok(if a.check && !c.pass() {
        ExitCode::from(super::FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
