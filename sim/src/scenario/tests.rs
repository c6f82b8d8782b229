//! Unit tests of scenario loading: every shipped scenario loads, defaults are
//! the documented ones, problems are collected, not stopped at.

use super::*;
use crate::time::{NANOS_PER_MILLI, NANOS_PER_SEC};
use std::path::{Path, PathBuf};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/");

fn shipped() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(SCENARIOS)
        .expect("scenarios/ next to the workspace root")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_loads_and_describes() {
    let files = shipped();
    assert!(
        files.len() >= 5,
        "expected the shared scenarios in {SCENARIOS}"
    );
    for f in files {
        let s = load(&f).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.services.is_empty());
        assert!(!s.traffic.profile.is_empty());
        let text = describe(&s);
        assert!(text.starts_with(&s.name), "{text}");
        assert!(!text.contains("Some("), "no Debug in descriptions: {text}");
    }
}

fn minimal() -> &'static str {
    r#"
duration = "10m"
[cluster]
instance_type = "m5.large"
azs = ["us-east-1a", "us-east-1b"]
[cluster.asg]
min = 2
max = 4
[[services]]
name = "api"
desired = 2
cpu = 512
memory = 1024
concurrency = 4
service_time = { dist = "exponential", mean = "20ms" }
[traffic]
profile = [ { at = "0s", rps = 100 } ]
"#
}

#[test]
fn defaults_are_the_documented_ones() {
    let s = parse(minimal(), Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.name, "scenario");
    assert_eq!(s.seed, 1);
    assert_eq!(s.window, 10 * NANOS_PER_SEC);
    assert_eq!(s.cluster.asg.desired, 2, "desired defaults to min");
    assert_eq!(
        s.cluster.asg.launch_time,
        Dist::LogNormal {
            mean: 90 * NANOS_PER_SEC,
            cv: 0.3
        }
    );
    assert_eq!(s.cluster.asg.scaling, None);
    let v = &s.services[0];
    assert_eq!(v.queue_limit, 100);
    assert_eq!(v.cpu_per_request, 0.0);
    assert_eq!(v.startup_time, 20 * NANOS_PER_SEC);
    assert_eq!(
        v.placement,
        [
            PlacementStrategy::SpreadAttribute(Attribute::AvailabilityZone),
            PlacementStrategy::SpreadInstance
        ]
    );
    assert!(v.constraints.is_empty());
    assert_eq!(
        v.deployment,
        Deployment {
            minimum_healthy_percent: 100,
            maximum_percent: 200
        }
    );
    assert_eq!(v.autoscaling, None);
    let lb = &s.load_balancer;
    assert_eq!(lb.algorithm, Algorithm::RoundRobin);
    assert_eq!(
        lb.health_check,
        HealthCheck {
            interval: 30 * NANOS_PER_SEC,
            timeout: 5 * NANOS_PER_SEC,
            healthy_threshold: 5,
            unhealthy_threshold: 2
        }
    );
    assert_eq!(lb.deregistration_delay, 300 * NANOS_PER_SEC);
    assert_eq!(s.traffic.arrivals, ArrivalProcess::Poisson);
    assert_eq!(
        s.traffic.mix,
        [MixEntry {
            service: 0,
            weight: 1.0
        }]
    );
    assert!(s.events.is_empty());
    assert_eq!(s.faults, Faults::default());
    assert_eq!(s.slo, Slo::default());
    assert_eq!(s.source_text, minimal());
}

#[test]
fn managed_scaling_and_autoscaling_defaults() {
    let text = minimal().replace("max = 4\n", "max = 4\nscaling = { policy = \"managed\" }\n")
        + "[services.autoscaling]\nmetric = \"cpu\"\ntarget = 50\nmin = 2\nmax = 8\n";
    // The [services.autoscaling] table must follow its service: move traffic last.
    let text = text.replace("[traffic]\nprofile = [ { at = \"0s\", rps = 100 } ]\n", "")
        + "[traffic]\nprofile = [ { at = \"0s\", rps = 100 } ]\n";
    let s = parse(&text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.cluster.asg.scaling,
        Some(AsgScaling::Managed {
            target_capacity: 100.0,
            minimum_scaling_step_size: 1,
            maximum_scaling_step_size: 10_000,
            instance_warmup: 300 * NANOS_PER_SEC
        })
    );
    let a = s.services[0].autoscaling.as_ref().unwrap();
    assert_eq!(
        (a.scale_in_cooldown, a.scale_out_cooldown),
        (300 * NANOS_PER_SEC, 300 * NANOS_PER_SEC)
    );
}

#[test]
fn several_services_share_equally_without_mix_and_events_sort_stably() {
    let text = minimal().replace(
        "[traffic]",
        r#"[[services]]
name = "web"
desired = 1
cpu = 256
memory = 512
concurrency = 2
service_time = { dist = "constant", value = "5ms" }
[[events]]
at = "5m"
action = "deploy"
service = "web"
[[events]]
at = "1m"
action = "fail_instance"
[[events]]
at = "5m"
action = "scale_service"
service = "api"
desired = 3
[traffic]"#,
    );
    let s = parse(&text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.traffic.mix,
        [
            MixEntry {
                service: 0,
                weight: 0.5
            },
            MixEntry {
                service: 1,
                weight: 0.5
            }
        ]
    );
    let actions: Vec<&Action> = s.events.iter().map(|e| &e.action).collect();
    assert_eq!(
        actions,
        [
            &Action::FailInstance {
                host: HostSelector::Random
            },
            &Action::Deploy { service: 1 },
            &Action::ScaleService {
                service: 0,
                desired: 3
            },
        ]
    );
}

#[test]
fn mix_weights_are_normalised() {
    let text = minimal().replace(
        "profile = [",
        "mix = [ { service = \"api\", weight = 3 } ]\nprofile = [",
    );
    let s = parse(&text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.traffic.mix,
        [MixEntry {
            service: 0,
            weight: 1.0
        }]
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let text = minimal()
        .replace("min = 2", "min = 5")
        .replace("mean = \"20ms\"", "mean = \"20\"")
        .replace("rps = 100", "rps = -5");
    let e = parse(&text, Path::new(".")).unwrap_err();
    let paths: Vec<&str> = e.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "cluster.asg.min",
            "services[0].service_time.mean",
            "traffic.profile[0].rps"
        ],
        "{e}"
    );
}

#[test]
fn custom_instance_types_extend_and_override_the_catalogue() {
    let text = minimal()
        .replace(
            "instance_type = \"m5.large\"",
            "instance_type = \"x9.large\"",
        )
        .replace(
            "azs = [\"us-east-1a\", \"us-east-1b\"]",
            r#"azs = ["us-east-1a", "us-east-1b"]
[[cluster.instance_types]]
name = "x9.large"
vcpu = 3
memory = 6000
price_per_hour = 0.5
arch = "arm64"
[[cluster.instance_types]]
name = "m5.large"
vcpu = 2
memory = 8192
registered_memory = 7900
price_per_hour = 0.1"#,
        );
    let s = parse(&text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    let it = &s.cluster.instance_type;
    assert_eq!(
        (
            it.name.as_str(),
            it.registered_cpu,
            it.registered_memory_mib,
            it.arch.as_str()
        ),
        ("x9.large", 3072, 5760, "arm64")
    );
    let over = parse(
        &text.replace(
            "instance_type = \"x9.large\"",
            "instance_type = \"m5.large\"",
        ),
        Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(over.cluster.instance_type.registered_memory_mib, 7900);
    assert_eq!(over.cluster.instance_type.price_per_hour, 0.1);
}

#[test]
fn empirical_samples_resolve_against_the_scenario_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("samples.csv"),
        "target_processing_time\n0.010\n0.030\n# a comment\n\n20ms\n",
    )
    .unwrap();
    let text = minimal().replace(
        "{ dist = \"exponential\", mean = \"20ms\" }",
        "{ dist = \"empirical\", file = \"samples.csv\" }",
    );
    let path = dir.path().join("emp.toml");
    std::fs::write(&path, &text).unwrap();
    let s = load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.name, "emp");
    match &s.services[0].service_time {
        Dist::Empirical { file, samples } => {
            assert_eq!(file, "samples.csv");
            assert_eq!(
                &samples[..],
                &[
                    10 * NANOS_PER_MILLI,
                    30 * NANOS_PER_MILLI,
                    20 * NANOS_PER_MILLI
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(describe(&s).contains("empirical from samples.csv (3 samples, mean 20ms)"));
}

#[test]
fn describe_says_capacity_and_utilisation() {
    let s = parse(minimal(), Path::new(".")).unwrap();
    let d = describe(&s);
    // 2 tasks x 4 slots / 20 ms = 400 req/s; 100 offered -> 25 %.
    assert!(
        d.contains("capacity ~ 2 x 4 / 20ms = 400 req/s; at peak 100 req/s -> utilisation 25%"),
        "{d}"
    );
    assert!(
        d.contains("placement: spread across availability zones, then spread across instances"),
        "{d}"
    );
    assert!(d.contains("fleet: 2 x m5.large"), "{d}");
}

#[test]
fn member_of_expressions_become_the_model() {
    let text = minimal().replace(
        "service_time =",
        "constraints = [ { type = \"memberOf\", expression = \"attribute:ecs.availability-zone in [us-east-1a]\" }, { type = \"distinctInstance\" } ]\nservice_time =",
    );
    let s = parse(&text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    match &s.services[0].constraints[..] {
        [PlacementConstraint::MemberOf(e), PlacementConstraint::DistinctInstance] => {
            assert_eq!(e.attribute, Attribute::AvailabilityZone);
            assert_eq!(e.op, ExprOp::In);
            assert_eq!(e.values, ["us-east-1a"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn io_errors_are_one_problem() {
    let e = load(Path::new("/nonexistent/dir/x.toml")).unwrap_err();
    assert_eq!(e.problems.len(), 1);
    let line = e.to_string();
    assert!(
        line.starts_with(
            "/nonexistent/dir/x.toml: (file) = \"/nonexistent/dir/x.toml\": a readable"
        ),
        "{line}"
    );
}

#[test]
fn a_broken_asg_does_not_hide_service_problems() {
    let text = minimal()
        .replace("max = 4\n", "max = 4\nscaling = { policy = \"target_tracking\", metric = \"ram\", target = 50 }\n")
        .replace(
            "service_time =",
            "constraints = [ { type = \"memberOf\", expression = \"attribute:ecs.availability-zone == us-east-1z\" } ]\ncpu_per_request = 2\nservice_time =",
        );
    let e = parse(&text, Path::new(".")).unwrap_err();
    let paths: Vec<&str> = e.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "cluster.asg.scaling.metric",
            "services[0].cpu_per_request",
            "services[0].constraints[0].expression"
        ],
        "{e}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn base() -> String {
        std::fs::read_to_string(format!("{SCENARIOS}flash-sale.toml")).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever a user does to a good file, loading answers with a
        /// scenario or with problems, never a panic or a Debug dump.
        #[test]
        fn edited_scenarios_load_or_explain(
            at in 0usize..2000,
            len in 0usize..40,
            insert in prop::sample::select(vec!["", "-", "0", "\"", "[", "]", "{", "=", "x", "\n", "é", "-1", "1e400", "\"\"", "[[services]]\n"]),
        ) {
            let text = base();
            let start = (at % text.len()).min(text.len());
            let mut start = start;
            while !text.is_char_boundary(start) { start -= 1; }
            let mut end = (start + len).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            let edited = format!("{}{}{}", &text[..start], insert, &text[end..]);
            match parse(&edited, Path::new(".")) {
                Ok(s) => { let _ = describe(&s); }
                Err(e) => {
                    prop_assert!(!e.problems.is_empty());
                    let msg = e.to_string();
                    prop_assert!(!msg.contains("Some(") && !msg.contains("None"), "{}", msg);
                    for line in msg.lines() {
                        prop_assert!(line.starts_with("scenario: "), "{}", line);
                        prop_assert!(line.contains(" = "), "{}", line);
                    }
                }
            }
        }
    }
}
