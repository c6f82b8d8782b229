//! The README shows what the binary prints today: its sample output is the
//! real output of its first command, and the figures of the story told
//! under it are the real figures of the two runs it describes.

use crate::util::{dockmaster, scenario, stderr, stdout};
use dockmaster_reports::{Gauge, Recording};
use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// The first fenced block after "The first command prints".
fn sample_output(readme: &str) -> String {
    let from = readme
        .find("The first command prints")
        .expect("README introduces its sample output");
    let rest = &readme[from..];
    let open = rest.find("```\n").expect("a fenced block") + 4;
    let close = rest[open..].find("```").expect("closed") + open;
    rest[open..close].to_string()
}

fn gauge_max(rec: &Recording, g: Gauge) -> f64 {
    rec.gauge(&g)
        .unwrap_or_else(|| panic!("no gauge {g}"))
        .fold(0.0, f64::max)
}

/// Says where the README and the binary part ways, with the fix.
fn must_contain(readme: &str, text: &str) {
    assert!(
        readme.contains(text),
        "README.md no longer tells the truth: it should say \"{text}\" (regenerate the story from the real run)"
    );
}

#[test]
fn the_readme_sample_output_is_what_simulate_prints() {
    let dir = tempfile::tempdir().unwrap();
    // Run as the README says, from a folder where `out/flash-sale` is free.
    let o = Command::new(env!("CARGO_BIN_EXE_dockmaster"))
        .current_dir(dir.path())
        .args([
            "simulate",
            scenario("flash-sale.toml").to_str().unwrap(),
            "-o",
            "out/flash-sale",
        ])
        .output()
        .expect("run dockmaster");
    assert!(o.status.success(), "{}", stderr(&o));
    // stdout and stderr as a terminal shows them, up to the "wrote" line;
    // the line after it has the wall time, which differs run to run.
    let all = format!("{}{}", stdout(&o), stderr(&o));
    let printed: String = all
        .lines()
        .take_while(|l| !l.contains(" events in "))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = readme();
    let shown = sample_output(&text);
    for (i, (want, got)) in shown.lines().zip(printed.lines()).enumerate() {
        assert_eq!(
            want,
            got,
            "README sample output line {} differs from the binary's",
            i + 1
        );
    }
    assert_eq!(
        shown.lines().count(),
        printed.lines().count(),
        "printed:\n{printed}"
    );

    // The story's figures.
    let rec = Recording::read_dir(&dir.path().join("out/flash-sale")).expect("recording");
    must_contain(
        &text,
        &format!(
            "the service asks for {}\ntasks",
            gauge_max(&rec, Gauge::Desired("storefront".into()))
        ),
    );
    let pending = rec
        .notes
        .iter()
        .find_map(|n| {
            n.strip_suffix(
                " tasks were still PENDING (no container instance fits) when the run ended",
            )
        })
        .expect("the PENDING note");
    must_contain(
        &text,
        &format!("ASG never launches, and {pending} tasks are still PENDING"),
    );
    let budget = stdout(&dockmaster(&[
        "validate",
        scenario("flash-sale.toml").to_str().unwrap(),
    ]));
    let cap = budget
        .lines()
        .find_map(|l| l.split("the limit caps the service at ").nth(1))
        .expect("validate names the CPU limit as the cap");
    must_contain(
        &text.replace('\n', " "),
        &format!("\"the limit caps the service at {cap}\")"),
    );
}

#[test]
fn the_readme_story_of_the_managed_sale_is_what_happens() {
    let s = dockmaster_sim::scenario::load(&scenario("flash-sale-managed.toml")).unwrap();
    let rec = dockmaster_sim::engine::run(&s, s.seed, &|_| {});
    let text = readme().replace('\n', " ");
    let hosts = gauge_max(&rec, Gauge::Hosts);
    let tasks = gauge_max(&rec, Gauge::Desired("storefront".into()));
    must_contain(
        &text,
        &format!("the ASG goes from 3 to {hosts} hosts, the service to {tasks} tasks"),
    );
    // The last window of the peak (25–70 min) whose p99 is over the SLO.
    let last_bad = rec
        .windows
        .iter()
        .filter(|w| (1500.0..4200.0).contains(&w.t_start_s) && w.latency.p99_ms > 400.0)
        .map(|w| w.t_start_s + s.window as f64 / 1e9)
        .fold(0.0, f64::max);
    let minute = (last_bad / 60.0).ceil();
    must_contain(
        &text,
        &format!("from minute {minute} on every window's p99"),
    );
}

/// The planning story's figures are the plan's.
#[test]
fn the_plan_story_is_the_plans_result() {
    let dir = tempfile::tempdir().unwrap();
    let plan = crate::util::plan_quietly(&scenario("plan-sale.toml"), &dir.path().join("plan"));
    let best = &plan["best"]["values"];
    let readme = readme();
    let month = plan["best"]["cost_usd_per_month"].as_f64().unwrap();
    must_contain(
        &readme,
        &format!(
            "The plan runs {} replications where running every fleet 20 times\nwould take 320",
            plan["replications"]
        ),
    );
    let instance = best["cluster.instance_type"].as_str().unwrap();
    must_contain(
        &readme,
        &format!(
            "picks {instance} hosts with a floor of {} tasks and a {} %\nCPU target, starting on {} hosts, at ${month:.0} a month",
            best["services[0].desired"], best["services[0].autoscaling.target"], best["cluster.asg.desired"]
        ),
    );
    // "Floors of 4 miss the 250 ms p99 whatever the instance type."
    for c in plan["candidates"].as_array().unwrap() {
        if c["values"]["services[0].desired"] == 4 {
            assert_eq!(c["verdict"], "infeasible", "{c}");
            assert!(c["reason"].as_str().unwrap().starts_with("p99 ≤ 250 ms"));
        }
    }
}
