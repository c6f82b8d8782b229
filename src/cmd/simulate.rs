use anyhow::{Context, Result};
use dockmaster_reports::EngineStats;
use dockmaster_sim::{engine, scenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// The command's options (parsed by clap in main.rs).
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Output directory for the recording.
    #[arg(short, long, default_value = "out")]
    pub out: PathBuf,
    /// Seed for every random stream (overrides the file's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Independent replications, run in parallel and pooled; the summary
    /// gives each percentile's mean and 95% confidence interval.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: u32,
    /// Exit with status 1 when the scenario's SLO is missed.
    #[arg(long)]
    pub check_slo: bool,
    /// No progress bar, no summary table.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let scenario = match scenario::load(&a.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let seed = a.seed.unwrap_or(scenario.seed);
    let total = scenario.duration * a.replications as u64;
    let bar = if !a.quiet && std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} simulating {msg} [{bar:30}] {percent}% ({elapsed} elapsed, ETA {eta})",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        b.set_message(scenario.name.clone());
        b
    } else {
        ProgressBar::hidden()
    };

    let started = Instant::now();
    let mut recording = engine::run_replications(&scenario, seed, a.replications, &|done| {
        bar.set_position(done)
    });
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let events = recording.engine.as_ref().map_or(0, |e| e.events);
    recording.engine = Some(EngineStats {
        events,
        wall_seconds: wall,
    });

    recording
        .write_dir(&a.out)
        .with_context(|| format!("writing the recording to {}", a.out.display()))?;
    dockmaster_reports::html::write_report(&recording, &a.out)
        .with_context(|| format!("drawing the report in {}", a.out.display()))?;
    if !a.quiet {
        println!("{}", recording.summary_table());
        for note in &recording.notes {
            if note.starts_with("warning:") {
                println!("{note}");
            } else {
                println!("note: {note}");
            }
        }
        println!(
            "wrote {out}/report.html (open it), summary.json, timeseries.csv, events.csv, latency.hlog, charts/\n\
             {events} events in {wall:.2} s; rerun with --seed {seed}",
            out = a.out.display(),
        );
    }
    let verdict = recording.slo_verdict();
    Ok(if a.check_slo && !verdict.met {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
