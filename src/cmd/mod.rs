//! The commands: each one loads its inputs, calls the libraries, writes
//! files and chooses the exit status.
//!
//! Exit statuses mean one thing each, for every command:
//! 0 done; 1 the SLO or the comparison failed (with --check-slo, --check);
//! 2 bad input (a file, a field, an option: the message names it);
//! 3 the target or the environment failed (a dead target, a full disk, a
//! folder that cannot be written); 130 interrupted by a signal; 137 a load
//! test abandoned by a third signal, nothing written (loadgen::stop).

pub mod compare;
pub mod interrupt;
pub mod loadtest;
pub mod plan;
pub mod report;
pub mod simulate;
pub mod testbed;
pub mod validate;

use dockmaster_reports::ReportError;
use dockmaster_sim::scenario::{self, Override};
use dockmaster_sim::Scenario;
use std::path::PathBuf;
use std::process::ExitCode;

/// The scenario file and its `--set` overrides, as every command that
/// reads a scenario takes them (flattened into its options).
#[derive(clap::Args)]
pub struct ScenarioArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Override a field for this run, by the path error messages use:
    /// services[1].desired=6, cluster.instance_type=c5.large,
    /// traffic.profile[2].rps=4000 (a TOML value; a bare word is a string).
    /// Repeatable. The recording keeps the scenario as run.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    pub set: Vec<Override>,
}

impl ScenarioArgs {
    /// The validated scenario, or exit status 2 with one line per problem
    /// (already naming file, path, value and what is allowed) on stderr.
    pub fn load(&self) -> Result<Scenario, ExitCode> {
        scenario::load_with(&self.file, &self.set).map_err(|e| {
            eprintln!("{e}");
            ExitCode::from(BAD_INPUT)
        })
    }
}

/// Exit status 1: the run was fine, its verdict failed.
pub const FAILED: u8 = 1;
/// Exit status 2: bad input.
pub const BAD_INPUT: u8 = 2;
/// Exit status 3: the target or the environment failed.
pub const ENVIRONMENT: u8 = 3;

/// The error chain as lines, without Rust's debug dump.
pub fn render_error(e: &anyhow::Error) -> String {
    let mut s = format!("error: {e}");
    for cause in e.chain().skip(1) {
        s.push_str(&format!("\n  caused by: {cause}"));
    }
    s
}

/// 3 when anything in the chain is the environment failing (writing,
/// creating a folder), 2 otherwise (the input was wrong).
pub fn exit_status(e: &anyhow::Error) -> u8 {
    let environment = e.chain().any(|c| {
        c.downcast_ref::<ReportError>()
            .is_some_and(ReportError::is_environment)
    });
    if environment {
        ENVIRONMENT
    } else {
        BAD_INPUT
    }
}
