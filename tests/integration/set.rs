//! `--set PATH=VALUE`: a variation of a scenario without editing the file.
//! It must change the run exactly as editing the file would, and refuse a
//! bad path or value as a bad file is refused (exit 2, naming it).

use crate::util::{dockmaster, scenario, simulate_quietly, stderr, stdout, write_scenario};

/// steady.toml with four values edited by hand, and the same four by --set:
/// every file of the two recordings is byte-identical (summary.json apart
/// from its wall-clock engine section), run ids included, and the summary
/// holds the scenario as run.
#[test]
fn a_set_run_is_the_hand_edited_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("steady.toml")).unwrap();
    let edited = text
        .replace("desired = 6", "desired = 4")
        .replace(
            "instance_type = \"m5.large\"",
            "instance_type = \"c5.xlarge\"",
        )
        .replace("rps = 400", "rps = 300")
        .replace("cv = 1.0", "cv = 0.5");
    assert_eq!(
        edited.matches("desired = 4").count(),
        1,
        "steady.toml changed: edit this test"
    );
    assert_ne!(edited, text);
    let by_hand = write_scenario(dir.path(), "steady.toml", &edited);
    let (a, b) = (dir.path().join("by-hand"), dir.path().join("by-set"));
    simulate_quietly(&by_hand, &a, &[]);
    simulate_quietly(
        &scenario("steady.toml"),
        &b,
        &[
            "--set",
            "services[0].desired=4",
            "--set",
            "cluster.instance_type=c5.xlarge",
            "--set",
            "traffic.profile[0].rps=300",
            "--set",
            "services[0].service_time.cv=0.5",
        ],
    );
    for f in ["timeseries.csv", "latency.hlog", "events.csv"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between the hand edit and --set"
        );
    }
    let summary = |d: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap())
                .unwrap();
        v.as_object_mut().unwrap().remove("engine");
        v
    };
    assert_eq!(summary(&a), summary(&b));
    assert_eq!(summary(&b)["scenario_text"].as_str(), Some(edited.as_str()));
}

#[test]
fn a_bad_set_exits_2_naming_it() {
    let file = scenario("steady.toml");
    let file = file.to_str().unwrap();
    let cases: [(&str, &str); 4] = [
        (
            "services[3].desired=2",
            "--set services[3].desired = 2: an index below 1",
        ),
        (
            "services[0].desird=2",
            "services[0].desird = 2: unknown key",
        ),
        ("services[0].desired=many", "services[0].desired = \"many\""),
        ("desired", "expected PATH=VALUE"),
    ];
    for (set, words) in cases {
        for args in [
            vec!["validate", file, "--set", set],
            vec![
                "simulate",
                file,
                "--set",
                set,
                "-o",
                "/nonexistent/never-written",
            ],
        ] {
            let (cmd, o) = (args[0], dockmaster(&args));
            assert_eq!(
                o.status.code(),
                Some(2),
                "{cmd} --set {set}: {}",
                stderr(&o)
            );
            assert!(
                stderr(&o).contains(words),
                "{cmd} --set {set}: {}",
                stderr(&o)
            );
        }
    }
    // A good one shows in validate's description.
    let o = dockmaster(&[
        "validate",
        file,
        "--set",
        "cluster.asg.desired=2",
        "--set",
        "cluster.asg.min=2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("ASG min 2, desired 2, max 3"),
        "{}",
        stdout(&o)
    );
}
