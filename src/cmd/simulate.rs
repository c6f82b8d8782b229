use super::interrupt::{Interrupt, INTERRUPTED};
use anyhow::{Context, Result};
use dockmaster_reports::{EngineStats, Recording, Staging, Writes};
use dockmaster_sim::engine;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Without a terminal (CI, a log file), a progress line this often.
const LOG_PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// A run projected to take longer than this says so, once, after
/// [`PROJECT_AFTER`] of measuring its own pace.
const LONG_RUN: Duration = Duration::from_secs(10 * 60);
const PROJECT_AFTER: Duration = Duration::from_secs(3);

/// The command's options (parsed by clap in main.rs).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
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
    let scenario = match a.scenario.load() {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    // Before the long work: a folder that may not be replaced fails now.
    let staging = Staging::begin(&a.out, Writes::Recording)
        .with_context(|| format!("preparing the output folder {}", a.out.display()))?;
    let interrupt = match Interrupt::install() {
        Ok(i) => i,
        Err(e) => return Ok(environment("cannot install the Ctrl-C handler", &e)),
    };
    let seed = a.seed.unwrap_or(scenario.seed);
    let total = scenario.duration * a.replications as u64;
    let progress = Progress::new(&scenario.name, total, a.quiet);
    if !a.quiet {
        up_front(&scenario, a.replications, &progress);
    }

    let started = Instant::now();
    // The simulation runs on its own thread so that a signal is answered
    // at once, whatever the simulation is doing: it only computes, so
    // leaving it unfinished loses nothing but the staging folder.
    let worker = {
        let (scenario, progress) = (scenario.clone(), progress.clone());
        let n = a.replications;
        let spawned = std::thread::Builder::new()
            .name("simulate".into())
            .spawn(move || engine::run_replications(&scenario, seed, n, &|done| progress.at(done)));
        match spawned {
            Ok(w) => w,
            Err(e) => return Ok(environment("cannot start the simulation thread", &e)),
        }
    };
    while !worker.is_finished() {
        if interrupt.arrived() {
            return Ok(interrupted(staging, &a.out, &progress));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut recording = match worker.join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    progress.finish();
    let wall = started.elapsed().as_secs_f64();
    let events = recording.engine.as_ref().map_or(0, |e| e.events);
    recording.engine = Some(EngineStats {
        events,
        wall_seconds: wall,
    });

    write(&recording, &staging)?;
    if interrupt.arrived() {
        return Ok(interrupted(staging, &a.out, &progress));
    }
    staging
        .commit()
        .with_context(|| format!("writing the recording to {}", a.out.display()))?;
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
        ExitCode::from(super::FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The work estimate on stderr before the run (stdout is the summary),
/// and a word up front when it looks longer than [`LONG_RUN`]; the run's
/// own pace may say so later too, from what it measures.
fn up_front(scenario: &dockmaster_sim::Scenario, replications: u32, progress: &Progress) {
    use dockmaster_sim::estimate::{bytes_text, WorkEstimate, TYPICAL_EVENTS_PER_SECOND};
    let w = WorkEstimate::of(scenario);
    // Replications run side by side, one per core.
    let lanes = (rayon::current_num_threads() as u32).clamp(1, replications);
    let rate = TYPICAL_EVENTS_PER_SECOND * f64::from(lanes) / f64::from(replications);
    let mut line = format!(
        "work: about {} requests and {} events per replication, peak memory about {}; {}",
        w.requests,
        w.events,
        bytes_text(w.peak_memory_bytes),
        w.wall_time_words(rate)
    );
    if w.wall_time(rate) >= LONG_RUN {
        line.push_str(" (Ctrl-C stops it and leaves the output as it was)");
        progress.warned();
    }
    progress.line(&line);
}

/// The recording's files and report, into the staging folder.
fn write(recording: &Recording, staging: &Staging) -> Result<()> {
    let dir = staging.path();
    let shown = staging.target().display();
    let run_id = recording
        .write_dir(dir)
        .with_context(|| format!("writing the recording to {shown}"))?;
    dockmaster_reports::html::write_report(recording, &run_id, dir)
        .with_context(|| format!("drawing the report in {shown}"))?;
    Ok(())
}

/// This machine failed us, not the input: exit status 3.
fn environment(what: &str, e: &std::io::Error) -> ExitCode {
    eprintln!("error: {what}: {e}");
    ExitCode::from(super::ENVIRONMENT)
}

fn interrupted(staging: Staging, out: &std::path::Path, progress: &Progress) -> ExitCode {
    progress.finish();
    drop(staging);
    eprintln!(
        "interrupted: nothing written, {} left as it was",
        out.display()
    );
    ExitCode::from(INTERRUPTED)
}

/// A bar on a terminal; a line every few seconds on stderr otherwise (a CI
/// log must show that a long run is alive); nothing with --quiet. Either
/// way a run that its own pace projects past [`LONG_RUN`] says so once.
#[derive(Clone)]
struct Progress(std::sync::Arc<ProgressState>);

struct ProgressState {
    bar: Option<ProgressBar>,
    quiet: bool,
    name: String,
    total: u64,
    started: Instant,
    last_line: Mutex<Instant>,
    warned: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn new(name: &str, total: u64, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} simulating {msg} [{bar:30}] {percent}% ({elapsed} elapsed, ETA {eta})",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            b.set_message(name.to_string());
            b
        });
        let now = Instant::now();
        Progress(std::sync::Arc::new(ProgressState {
            bar,
            quiet,
            name: name.to_string(),
            total,
            started: now,
            last_line: Mutex::new(now),
            warned: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// `done` simulated nanoseconds of `total` (called at every window).
    fn at(&self, done: u64) {
        let p = &self.0;
        let spent = p.started.elapsed();
        let frac = done as f64 / p.total.max(1) as f64;
        let projected = (frac > 0.0).then(|| spent.as_secs_f64() / frac);
        if let Some(b) = &p.bar {
            b.set_position(done);
        }
        if let Some(all) = projected {
            let long = spent >= PROJECT_AFTER && all >= LONG_RUN.as_secs_f64();
            if long && !p.warned.swap(true, std::sync::atomic::Ordering::Relaxed) && !p.quiet {
                self.line(&format!(
                    "note: {} will take about {:.0} minutes at this machine's pace ({:.1}% of \
                     the simulated time in {:.0} s); Ctrl-C stops it and leaves the output as it was",
                    p.name,
                    all / 60.0,
                    100.0 * frac,
                    spent.as_secs_f64()
                ));
            }
        }
        if p.bar.is_none() && !p.quiet {
            let mut last = p.last_line.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() >= LOG_PROGRESS_EVERY {
                *last = Instant::now();
                let left = projected.map_or(String::new(), |all| {
                    format!(", about {:.0} s left", all - spent.as_secs_f64())
                });
                eprintln!(
                    "simulating {}: {:.0}% after {:.0} s{left}",
                    p.name,
                    100.0 * frac,
                    spent.as_secs_f64()
                );
            }
        }
    }

    /// The long-run word was said up front: not again.
    fn warned(&self) {
        self.0
            .warned
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn line(&self, text: &str) {
        match &self.0.bar {
            Some(b) => b.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0.bar {
            b.finish_and_clear();
        }
    }
}
