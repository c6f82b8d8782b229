//! `dockmaster loadtest`: replays a scenario's traffic against a URL and
//! writes the same recording `simulate` writes, plus `loadtest.json`.

use anyhow::{Context, Result};
use dockmaster_loadgen::{Level, LoadgenError, Mode, Options, Progress, LOADTEST_FILE};
use dockmaster_reports::{Staging, Writes};

use dockmaster_sim::time::{parse_duration, Nanos};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The command's options (parsed by clap in main.rs).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
    /// Base URL of the endpoint, http://host[:port][/path].
    #[arg(long)]
    pub target: String,
    /// Output directory for the recording.
    #[arg(short, long, default_value = "out")]
    pub out: PathBuf,
    /// Seed of the arrival streams (overrides the file's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Multiply the traffic's rate (0.1 = a tenth, for dry runs).
    #[arg(long, default_value_t = 1.0)]
    pub rate_scale: f64,
    /// Replay from this scenario time on ("90s", "5m").
    #[arg(long, value_parser = duration_arg)]
    pub from: Option<Nanos>,
    /// Replay up to this scenario time (default: its end).
    #[arg(long, value_parser = duration_arg)]
    pub to: Option<Nanos>,
    /// Keep-alive connections at most; a request finding all busy waits (schedule lag).
    #[arg(long, default_value_t = 1000)]
    pub max_connections: usize,
    /// Per-request timeout ("30s").
    #[arg(long, default_value = "30s", value_parser = duration_arg)]
    pub timeout: Nanos,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Closed model instead: N connections sending back to back, for --duration.
    #[arg(long, value_name = "N")]
    pub closed: Option<usize>,
    /// How long the closed model runs ("10s").
    #[arg(long, requires = "closed", value_parser = duration_arg)]
    pub duration: Option<Nanos>,
    /// Exit with status 1 when the scenario's SLO is missed.
    #[arg(long)]
    pub check_slo: bool,
    /// Nice value of the generator's threads; negative (needs root) keeps
    /// neighbouring work on a shared machine from delaying its sends.
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(-20..=19))]
    pub nice: Option<i32>,
    /// No progress line, no summary table.
    #[arg(short, long)]
    pub quiet: bool,
}

/// clap value parser for durations with units ("30s", "250ms").
pub fn duration_arg(s: &str) -> Result<Nanos, String> {
    parse_duration(s)
}

pub fn run(a: Args) -> Result<ExitCode> {
    let scenario = match a.scenario.load() {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mode = match a.closed {
        Some(n) => Mode::Closed {
            connections: n,
            duration: Duration::from_nanos(a.duration.unwrap_or(10_000_000_000)),
        },
        None => Mode::Open {
            rate_scale: a.rate_scale,
            from: a.from.unwrap_or(0),
            to: a.to,
        },
    };
    // Before any traffic: a folder that may not be replaced fails now.
    let staging = Staging::begin(&a.out, Writes::Recording)
        .with_context(|| format!("preparing the output folder {}", a.out.display()))?;
    let stop = match dockmaster_loadgen::stop::on_signals() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot install the Ctrl-C handler: {e}");
            return Ok(ExitCode::from(super::ENVIRONMENT));
        }
    };
    dockmaster_loadgen::raise_fd_limit();
    let mut opts = Options::new(scenario, a.target.clone());
    opts.seed = a.seed.unwrap_or(opts.seed);
    opts.mode = mode;
    opts.max_connections = a.max_connections;
    opts.timeout = Duration::from_nanos(a.timeout);
    if let Some(t) = a.threads {
        opts.threads = t;
    }
    opts.stop = stop.clone();
    opts.nice = a.nice;
    let seed = opts.seed;
    if !a.quiet {
        let tty = std::io::stderr().is_terminal();
        let mut last_line = Instant::now();
        opts.progress = Some(Box::new(move |p: &Progress| {
            // On a terminal one line rewritten every second; in a log, a
            // line every 10 s.
            if tty {
                eprint!("\r\x1b[2K{}", progress_line(p));
                let _ = std::io::stderr().flush();
            } else if last_line.elapsed() >= Duration::from_secs(10) {
                eprintln!("{}", progress_line(p));
                last_line = Instant::now();
            }
        }));
    }

    let outcome = match dockmaster_loadgen::run(opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            // Bad input is 2; a machine that cannot start threads, 3.
            let code = if matches!(e, LoadgenError::Start(_)) {
                super::ENVIRONMENT
            } else {
                super::BAD_INPUT
            };
            return Ok(ExitCode::from(code));
        }
    };
    // A third signal came as the run returned: write nothing. (One that
    // comes while the files are written exits from the signal watcher: the
    // staging folder is then left half-written beside OUT, which stays as
    // it was, and the next write there removes it.)
    if stop.level() == Level::Abandon {
        drop(staging);
        stop.abandon();
    }
    if !a.quiet && std::io::stderr().is_terminal() {
        eprintln!();
    }
    // Written whole into the staging folder, then swapped in: a reader of
    // OUT sees the old recording or this one, never a mix.
    let dir = staging.path();
    let run_id = outcome
        .recording
        .write_dir(dir)
        .with_context(|| format!("writing the recording to {}", a.out.display()))?;
    outcome
        .report
        .write(dir, &run_id)
        .map_err(|source| dockmaster_reports::ReportError::Io {
            action: "write",
            path: a.out.join(LOADTEST_FILE),
            source,
        })?;
    // Every recording gets its pictures, a load test's too.
    dockmaster_reports::html::write_report(&outcome.recording, &run_id, dir)
        .with_context(|| format!("drawing the report in {}", a.out.display()))?;
    staging
        .commit()
        .with_context(|| format!("writing the recording to {}", a.out.display()))?;
    if !a.quiet {
        let r = &outcome.report;
        println!("{}", outcome.recording.summary_table());
        let f = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.3}"));
        if let Some(l) = &r.schedule_lag_ms {
            println!(
                "{:<14}p50 {}  p99 {}  max {} ms  (sent − scheduled; {} sent > 1 ms late)",
                "schedule lag",
                f(l.p50),
                f(l.p99),
                f(l.max),
                r.sent_late_over_1ms.unwrap_or(0)
            );
        }
        println!(
            "{:<14}p50 {}  p99 {}  max {} ms  (response − actual send)",
            "send latency",
            f(r.send_latency_ms.p50),
            f(r.send_latency_ms.p99),
            f(r.send_latency_ms.max)
        );
        println!(
            "{:<14}{:.1} requests/s{}  · connections opened {}, peak {}",
            "rate",
            r.rate.achieved_rps,
            r.rate
                .scheduled_rps
                .map_or(String::new(), |s| format!(" (scheduled {s:.1})")),
            r.connections.opened,
            r.connections.peak_open
        );
        println!(
            "wrote {}/summary.json, timeseries.csv, latency.hlog, {LOADTEST_FILE}  (rerun with --seed {seed})",
            a.out.display()
        );
    }
    if let Some(why) = &outcome.never_connected {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(super::ENVIRONMENT));
    }
    if outcome.report.stopped_early {
        eprintln!("stopped early by a signal; the recording holds what was sent until then");
        return Ok(ExitCode::from(super::interrupt::INTERRUPTED));
    }
    let verdict = outcome.recording.slo_verdict();
    Ok(if a.check_slo && !verdict.met {
        ExitCode::from(super::FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn progress_line(p: &Progress) -> String {
    let ms = |x: f64| {
        if x.is_finite() {
            format!("{x:.1} ms")
        } else {
            "–".to_string()
        }
    };
    let mut s = format!(
        "{:>6.1}/{:.0} s  sent {} ({:.0}/s)  in flight {}  ok {}  errors {}  p99 {}",
        p.elapsed_s,
        p.planned_s,
        p.sent,
        p.sent_per_s,
        p.in_flight,
        p.ok,
        p.errors,
        ms(p.p99_ms)
    );
    if p.lag_p99_ms.is_finite() {
        s.push_str(&format!("  lag p99 {:.2} ms", p.lag_p99_ms));
    }
    s
}
