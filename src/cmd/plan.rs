//! `dockmaster plan FILE -o DIR`: the cheapest candidate of the scenario's
//! `[plan]` that meets its SLOs with the stated confidence.

use super::{ScenarioArgs, BAD_INPUT, FAILED};
use anyhow::{Context, Result};
use dockmaster_plan::file::{BEST_FILE, PLAN_FILE, PLAN_HTML};
use dockmaster_plan::part::{self, Recorded};
use dockmaster_plan::search::{Evaluated, Watch};
use dockmaster_plan::space::{self, Dimension};
use dockmaster_plan::Shard;
use dockmaster_reports::{ReportError, Staging, Writes};
use dockmaster_sim::scenario::{self, ScenarioError};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Output folder: plan.json, plan.html and best.toml.
    #[arg(short, long)]
    pub out: PathBuf,
    /// One more dimension: FIELD=v1,v2,... (FIELD1+FIELD2=... moves fields
    /// together). Repeatable; added to the file's [[plan.vary]].
    #[arg(long = "vary", value_name = "FIELD=V1,V2")]
    pub vary: Vec<String>,
    /// Evaluate every N-th candidate only, starting at I (0-based): I/N.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Reuse the replications an earlier plan of the same scenario recorded
    /// (a plan folder or its plan.json): the parts --shard runs wrote,
    /// merged into the plan an unsharded run makes, or an earlier run before
    /// raising max_replications or the confidence. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub reuse: Vec<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let bad = || format!("`{s}`: expected I/N with 0 ≤ I < N ≤ 10000, e.g. 0/4");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if count == 0 || index >= count || count > 10_000 {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

fn bad(file: &Path, problems: Vec<scenario::Problem>) -> ExitCode {
    eprintln!(
        "{}",
        ScenarioError {
            file: file.display().to_string(),
            problems,
        }
    );
    ExitCode::from(BAD_INPUT)
}

pub fn run(a: Args) -> Result<ExitCode> {
    let base = match a.scenario.load() {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let file = &a.scenario.file;
    // The text as run: the file with its --set overrides written in.
    let text = base.source_text.clone();
    let space = match space::from_text(&text) {
        Ok(s) => s,
        Err(p) => return Ok(bad(file, p)),
    };
    let mut flags: Vec<Dimension> = Vec::new();
    for (n, v) in a.vary.iter().enumerate() {
        match space::from_flag(v, n) {
            Ok(d) => flags.push(d),
            Err(p) => return Ok(bad(file, vec![p])),
        }
    }
    let space = match space::with_flags(space, &flags) {
        Ok(s) => s,
        Err(p) => return Ok(bad(file, p)),
    };
    if space.dimensions.is_empty() {
        return Ok(bad(
            file,
            vec![scenario::Problem::new(
                "plan.vary",
                scenario::MISSING,
                "at least one dimension to vary: [[plan.vary]] in the file, or --vary FIELD=v1,v2",
            )],
        ));
    }
    let recorded = match reuse(&a.reuse, &text) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    // Before the long work: a folder that may not be replaced fails now.
    let staging = Staging::begin(&a.out, Writes::Plan)
        .with_context(|| format!("preparing the output folder {}", a.out.display()))?;
    let shard = a.shard.unwrap_or(Shard::WHOLE);
    let budget =
        space.candidates().div_ceil(shard.count) as u64 * u64::from(space.max_replications);
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(budget);
        b.set_style(
            ProgressStyle::with_template(
                "plan {prefix} [{bar:30}] {pos}/{len} replications at most ({elapsed})",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        b.set_prefix(base.name.clone());
        b
    };
    let plan = match dockmaster_plan::plan(
        &text,
        file,
        space,
        shard,
        &recorded,
        &Running {
            bar: &bar,
            quiet: a.quiet,
        },
    ) {
        Ok(p) => p,
        Err(e) => {
            bar.finish_and_clear();
            eprintln!("{e}");
            return Ok(ExitCode::from(BAD_INPUT));
        }
    };
    bar.finish_and_clear();
    write(staging, &plan).with_context(|| format!("writing the plan to {}", a.out.display()))?;
    if !a.quiet {
        println!("{}", plan.table());
        if !a.reuse.is_empty() {
            println!(
                "{} of them reused from {} ({} simulated)",
                plan.reused,
                a.reuse
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                plan.replications() - plan.reused
            );
        }
        println!(
            "{} replications in all; wrote {}/{PLAN_HTML} (open it), {PLAN_FILE}{}",
            plan.replications(),
            a.out.display(),
            if plan.best.is_some() {
                format!(", {BEST_FILE}")
            } else {
                String::new()
            }
        );
    }
    Ok(if plan.best.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}

/// The replications recorded in the `--reuse` parts (each a plan folder or
/// its plan.json), checked against this run's scenario text.
fn reuse(parts: &[PathBuf], text: &str) -> Result<Recorded, ExitCode> {
    let mut recorded = Recorded::none();
    let source = part::fingerprint(text);
    for p in parts {
        let file = if p.is_dir() {
            p.join(PLAN_FILE)
        } else {
            p.clone()
        };
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                return Err(bad(
                    &file,
                    vec![scenario::Problem::new(
                        "--reuse",
                        format!("\"{}\"", p.display()),
                        format!("a plan folder or plan.json that can be read ({e})"),
                    )],
                ))
            }
        };
        recorded
            .add(&bytes, &source)
            .map_err(|problem| bad(&file, vec![problem]))?;
    }
    Ok(recorded)
}

/// The progress bar, and a line above it for each candidate decided.
struct Running<'a> {
    bar: &'a ProgressBar,
    quiet: bool,
}

impl Watch for Running<'_> {
    fn replications(&self, done: u64) {
        self.bar.set_position(done);
    }

    fn decided(&self, e: &Evaluated) {
        let values: Vec<String> = e
            .candidate
            .values
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect();
        if self.quiet {
            return;
        }
        let line = format!(
            "#{:<4} {:<11} after {:>2} replications  {}",
            e.candidate.index,
            e.verdict.word(),
            e.samples.len(),
            values.join(" ")
        );
        // Without a terminal the bar is hidden, and so would its lines be.
        if self.bar.is_hidden() {
            println!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}

/// The plan's folder, written whole through a staging folder beside it
/// and swapped in: a reader sees the old plan or the new one.
fn write(staging: Staging, plan: &dockmaster_plan::Plan) -> Result<(), ReportError> {
    let dir = staging.path().to_path_buf();
    let put = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).map_err(|source| ReportError::Io {
            action: "write",
            path: staging.target().join(name),
            source,
        })
    };
    put(PLAN_FILE, &plan.json())?;
    let (html, _) = plan.html()?;
    put(PLAN_HTML, html.as_bytes())?;
    if let Some(t) = plan.best_toml() {
        put(BEST_FILE, t.as_bytes())?;
    }
    staging.commit()
}
