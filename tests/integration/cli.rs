//! The command line as a user meets it.

use crate::util::{dockmaster, scenario, stderr, stdout};

#[test]
fn every_bundled_scenario_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let o = dockmaster(&["validate", p.to_str().unwrap()]);
            assert!(o.status.success(), "{}: {}", p.display(), stderr(&o));
            assert!(!stdout(&o).is_empty());
            n += 1;
        }
    }
    assert!(n >= 5);
}

#[test]
fn simulate_writes_the_recording_and_a_summary_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("steady");
    let f = scenario("steady.toml");
    let o = dockmaster(&["simulate", f.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["summary.json", "timeseries.csv", "latency.hlog"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "steady");
    assert_eq!(summary["source"], "simulate");
    assert_eq!(summary["seed"], 7);
    let total = summary["requests"]["total"].as_u64().unwrap();
    // 400 rps for 10 minutes, Poisson: 240,000 ± a few hundred.
    assert!((235_000..245_000).contains(&total), "total {total}");
    for k in ["mean", "p50", "p90", "p99", "p999", "max"] {
        assert!(
            summary["latency_ms"][k].as_f64().unwrap() > 0.0,
            "latency_ms.{k}"
        );
    }
    assert_eq!(summary["hosts"]["peak"], 3);
    // A fixed fleet of 3 m5.large at the catalogue's $0.096/h: its month,
    // as AWS's pricing page multiplies it, is 3 × 0.096 × 730 h.
    let month = summary["cost_usd_per_month"].as_f64().unwrap();
    assert!((month - 3.0 * 0.096 * 730.0).abs() < 0.01, "{month}");
    assert_eq!(summary["tasks"]["peak"], 6);
    assert!(summary["slo"]["met"].is_boolean());
    assert!(summary["engine"]["events"].as_u64().unwrap() > total);
    let csv = crate::util::csv_rows(&out.join("timeseries.csv"));
    let header = csv.lines().next().unwrap();
    for col in [
        "t_start_s",
        "offered",
        "completed",
        "errors",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "p999_ms",
        "max_ms",
        "hosts",
        "tasks",
        "cpu_util",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "timeseries.csv lacks {col}: {header}"
        );
    }
    assert_eq!(
        csv.lines().count(),
        1 + 60,
        "one row per 10 s window of 10 min"
    );
    assert!(stdout(&o).contains("p99"), "summary table: {}", stdout(&o));
}

#[test]
fn check_slo_fails_the_exit_status_when_missed() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("steady.toml"))
        .unwrap()
        .replace("p99 = \"150ms\"", "p99 = \"1ms\"");
    let f = crate::util::write_scenario(dir.path(), "tight.toml", &text);
    let out = dir.path().join("o");
    let args = [
        "simulate",
        f.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ];
    assert_eq!(dockmaster(&args).status.code(), Some(0));
    let mut with = args.to_vec();
    with.push("--check-slo");
    assert_eq!(dockmaster(&with).status.code(), Some(1));
}

#[test]
fn help_has_an_example_for_every_command() {
    for cmd in [
        "validate", "simulate", "report", "compare", "plan", "loadtest", "testbed",
    ] {
        let o = dockmaster(&[cmd, "--help"]);
        assert!(o.status.success());
        let help = stdout(&o);
        assert!(help.contains("Example"), "{cmd} --help lacks an example");
        // An example names a bundled scenario that exists.
        for word in help.split_whitespace() {
            if let Some(name) = word.strip_prefix("scenarios/") {
                let name = name.trim_end_matches(|c: char| !c.is_alphanumeric());
                assert!(
                    crate::util::scenario(name).is_file(),
                    "{cmd} --help names scenarios/{name}, which is not there"
                );
            }
        }
    }
}

#[test]
fn a_missing_file_exits_2_with_a_message() {
    let o = dockmaster(&["simulate", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.toml"), "{}", stderr(&o));
}

#[test]
fn the_documented_scenario_example_is_valid() {
    // docs/scenario-format.md shows every field in one example: keep it true.
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario-format.md"),
    )
    .unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + 8;
    let end = start + doc[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = crate::util::write_scenario(dir.path(), "doc.toml", &doc[start..end]);
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}
