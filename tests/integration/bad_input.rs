//! Bad scenario files: `dockmaster validate` exits 2 and says, one line per
//! problem, `{file}: {path} = {value}: {allowed}`.
//!
//! Each test starts from [`BASE`], a small valid scenario that uses every
//! section, changes one thing, and checks the path, the value and the words
//! of what is allowed.

use crate::util::{dockmaster, stderr, stdout, write_scenario};

/// A valid scenario touching every section. Tests edit it by replacing text.
const BASE: &str = r#"name = "base"
duration = "10m"
seed = 3
window = "10s"

[cluster]
instance_type = "m5.large"
azs = ["us-east-1a", "us-east-1b"]

[cluster.asg]
min = 2
max = 6
desired = 3
launch_time = { dist = "lognormal", mean = "90s", cv = 0.3 }
scaling = { policy = "target_tracking", metric = "cpu", target = 60 }

[[services]]
name = "api"
desired = 4
cpu = 512
memory = 1024
concurrency = 8
queue_limit = 50
service_time = { dist = "lognormal", mean = "40ms", cv = 1.2 }
cpu_per_request = 0.5
startup_time = "20s"
placement = [ { type = "spread", field = "attribute:ecs.availability-zone" },
              { type = "binpack", field = "memory" } ]
constraints = [ { type = "memberOf", expression = "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]" } ]
deployment = { minimum_healthy_percent = 100, maximum_percent = 200 }
autoscaling = { metric = "cpu", target = 50, min = 2, max = 20 }

[[services]]
name = "web"
desired = 2
cpu = 256
memory = 512
concurrency = 4
service_time = { dist = "exponential", mean = "10ms" }

[load_balancer]
algorithm = "round_robin"
health_check = { interval = "30s", timeout = "5s", healthy_threshold = 5, unhealthy_threshold = 2 }
deregistration_delay = "300s"

[traffic]
arrivals = "poisson"
profile = [ { at = "0s", rps = 100 }, { at = "5m", rps = 300 } ]
mix = [ { service = "api", weight = 0.7 }, { service = "web", weight = 0.3 } ]

[[events]]
at = "2m"
action = "deploy"
service = "api"

[[events]]
at = "3m"
action = "fail_az"
az = "us-east-1b"

[slo]
p99 = "300ms"
error_rate = 0.001
"#;

/// BASE with each `(from, to)` replaced (each `from` must occur), written
/// into `dir` as `bad.toml`; runs `dockmaster validate` on it, expects exit
/// status 2 and returns stderr.
fn rejected_in(dir: &std::path::Path, edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_string();
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "test bug: {from:?} is not in the base scenario"
        );
        text = text.replacen(from, to, 1);
    }
    let f = write_scenario(dir, "bad.toml", &text);
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2\nstdout: {}\nstderr: {err}",
        stdout(&o)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains("Some(") && !err.contains("\\\""),
        "no Debug output: {err}"
    );
    for line in err.lines() {
        assert!(
            line.contains("bad.toml: "),
            "every line names the file: {line}"
        );
    }
    err
}

fn rejected(edits: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    rejected_in(dir.path(), edits)
}

/// Asserts that one line reads `{path} = {value}: ...` and that its
/// allowed part contains every one of `allowed`.
#[track_caller]
fn has_problem(err: &str, path: &str, value: &str, allowed: &[&str]) {
    let head = format!(": {path} = {value}: ");
    let line = err
        .lines()
        .find(|l| l.contains(&head))
        .unwrap_or_else(|| panic!("no line with {head:?} in:\n{err}"));
    for a in allowed {
        assert!(line.contains(a), "{line:?} lacks {a:?}");
    }
}

#[test]
fn the_base_scenario_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_scenario(dir.path(), "base.toml", BASE);
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn unknown_keys_are_named_with_the_allowed_keys() {
    let err = rejected(&[("seed = 3", "seed = 3\nsede = 4")]);
    has_problem(
        &err,
        "sede",
        "4",
        &["unknown key", "name, duration, seed, window, cluster"],
    );

    let err = rejected(&[("queue_limit = 50", "queue_limt = 50")]);
    has_problem(
        &err,
        "services[0].queue_limt",
        "50",
        &["unknown key", "queue_limit"],
    );

    // Inside a tagged table (a distribution), too.
    let err = rejected(&[("cv = 1.2 }", "cv = 1.2, sd = 3 }")]);
    has_problem(
        &err,
        "services[0].service_time.sd",
        "3",
        &["unknown key", "dist, mean, cv"],
    );
}

#[test]
fn unknown_tags_list_the_choices() {
    let err = rejected(&[("dist = \"exponential\"", "dist = \"weibull\"")]);
    has_problem(
        &err,
        "services[1].service_time.dist",
        "\"weibull\"",
        &["one of constant, exponential, lognormal, gamma, empirical"],
    );
    let err = rejected(&[("action = \"fail_az\"", "action = \"explode\"")]);
    has_problem(
        &err,
        "events[1].action",
        "\"explode\"",
        &["deploy", "spot_interruption"],
    );
}

#[test]
fn durations_need_a_known_unit() {
    let err = rejected(&[("mean = \"40ms\"", "mean = \"40\"")]);
    has_problem(
        &err,
        "services[0].service_time.mean",
        "\"40\"",
        &["a duration with a unit", "\"40ms\""],
    );

    let err = rejected(&[("duration = \"10m\"", "duration = 600")]);
    has_problem(
        &err,
        "duration",
        "600",
        &["a duration with a unit", "bare number"],
    );

    let err = rejected(&[("startup_time = \"20s\"", "startup_time = \"20 parsecs\"")]);
    has_problem(
        &err,
        "services[0].startup_time",
        "\"20 parsecs\"",
        &["unknown unit \"parsecs\"", "ms"],
    );
}

#[test]
fn negative_rates_are_refused() {
    let err = rejected(&[("rps = 100 }", "rps = -5 }")]);
    has_problem(
        &err,
        "traffic.profile[0].rps",
        "-5",
        &["a request rate from 0 to 10000000"],
    );
}

#[test]
fn profile_times_must_strictly_increase() {
    let err = rejected(&[("{ at = \"5m\", rps = 300 }", "{ at = \"0s\", rps = 300 }")]);
    has_problem(
        &err,
        "traffic.profile[1].at",
        "\"0s\"",
        &[
            "a time after traffic.profile[0].at (0s)",
            "strictly increase",
        ],
    );
}

#[test]
fn unknown_instance_type_lists_the_catalogue() {
    let err = rejected(&[(
        "instance_type = \"m5.large\"",
        "instance_type = \"m5.huge\"",
    )]);
    has_problem(
        &err,
        "cluster.instance_type",
        "\"m5.huge\"",
        &[
            "t3.medium",
            "m5.large",
            "m7g.large",
            "c5.4xlarge",
            "[[cluster.instance_types]]",
        ],
    );
}

#[test]
fn asg_bounds_must_be_ordered() {
    let err = rejected(&[("min = 2\nmax = 6", "min = 8\nmax = 6")]);
    has_problem(
        &err,
        "cluster.asg.min",
        "8",
        &["at most cluster.asg.max (6)"],
    );

    let err = rejected(&[("desired = 3\n", "desired = 9\n")]);
    has_problem(
        &err,
        "cluster.asg.desired",
        "9",
        &["between cluster.asg.min (2) and cluster.asg.max (6)"],
    );
}

#[test]
fn a_task_larger_than_every_host_is_refused() {
    // m5.large registers 2048 CPU units and 8192 × 96 % = 7864 MiB.
    let err = rejected(&[
        ("cpu = 512", "cpu = 4096"),
        ("memory = 1024", "memory = 8000"),
    ]);
    has_problem(
        &err,
        "services[0].cpu",
        "4096",
        &["from 1 to 2048", "m5.large", "fits no host"],
    );
    has_problem(
        &err,
        "services[0].memory",
        "8000",
        &["from 6 to 7864", "fits no host"],
    );
}

#[test]
fn mix_must_name_a_service_with_a_positive_weight() {
    let err = rejected(&[(
        "service = \"web\", weight = 0.3",
        "service = \"wbe\", weight = 0.3",
    )]);
    has_problem(
        &err,
        "traffic.mix[1].service",
        "\"wbe\"",
        &["the name of a service: one of api, web"],
    );

    let err = rejected(&[
        ("weight = 0.3", "weight = 0"),
        ("weight = 0.7", "weight = -1"),
    ]);
    has_problem(&err, "traffic.mix[1].weight", "0", &["a weight > 0"]);
    has_problem(&err, "traffic.mix[0].weight", "-1", &["a weight > 0"]);
}

#[test]
fn coefficients_of_variation_must_be_positive() {
    let err = rejected(&[("cv = 1.2", "cv = -1"), ("cv = 0.3", "cv = 0")]);
    has_problem(
        &err,
        "services[0].service_time.cv",
        "-1",
        &["a coefficient of variation from 0.000001 to 100"],
    );
    has_problem(
        &err,
        "cluster.asg.launch_time.cv",
        "0",
        &["a coefficient of variation from 0.000001 to 100"],
    );
}

#[test]
fn cpu_per_request_is_a_share() {
    let err = rejected(&[("cpu_per_request = 0.5", "cpu_per_request = 1.5")]);
    has_problem(
        &err,
        "services[0].cpu_per_request",
        "1.5",
        &["a share of the service time from 0 to 1"],
    );
}

#[test]
fn concurrency_must_be_at_least_one() {
    let err = rejected(&[("concurrency = 8", "concurrency = 0")]);
    has_problem(
        &err,
        "services[0].concurrency",
        "0",
        &["a whole number from 1 to 100000"],
    );
}

#[test]
fn counts_are_whole_non_negative_numbers() {
    let err = rejected(&[
        ("desired = 4", "desired = -3"),
        ("desired = 2\n", "desired = 2.5\n"),
    ]);
    has_problem(
        &err,
        "services[0].desired",
        "-3",
        &["a whole number of tasks from 0 to 10000"],
    );
    has_problem(
        &err,
        "services[1].desired",
        "2.5",
        &["a whole number of tasks from 0 to 10000"],
    );
}

#[test]
fn azs_must_not_be_empty() {
    let err = rejected(&[("azs = [\"us-east-1a\", \"us-east-1b\"]", "azs = []")]);
    has_problem(
        &err,
        "cluster.azs",
        "[]",
        &["at least one availability zone"],
    );
}

#[test]
fn service_names_are_unique() {
    let err = rejected(&[("name = \"web\"", "name = \"api\"")]);
    has_problem(
        &err,
        "services[1].name",
        "\"api\"",
        &["a name not used by another service (services[0] is already \"api\")"],
    );
}

#[test]
fn events_name_existing_services_and_azs() {
    let err = rejected(&[
        (
            "action = \"deploy\"\nservice = \"api\"",
            "action = \"deploy\"\nservice = \"apx\"",
        ),
        ("az = \"us-east-1b\"", "az = \"us-east-1z\""),
    ]);
    has_problem(&err, "events[0].service", "\"apx\"", &["one of api, web"]);
    has_problem(
        &err,
        "events[1].az",
        "\"us-east-1z\"",
        &["one of cluster.azs (us-east-1a, us-east-1b)"],
    );
}

#[test]
fn events_happen_within_the_scenario_duration() {
    let err = rejected(&[("at = \"2m\"", "at = \"20m\"")]);
    has_problem(
        &err,
        "events[0].at",
        "\"20m\"",
        &["a time within the scenario duration (before 10m)"],
    );
}

#[test]
fn member_of_expressions_are_checked() {
    let err = rejected(&[(
        "availability-zone in [us-east-1a",
        "availability-zone inside [us-east-1a",
    )]);
    has_problem(
        &err,
        "services[0].constraints[0].expression",
        "\"attribute:ecs.availability-zone inside [us-east-1a, us-east-1b]\"",
        &["unsupported operator \"inside\"", "not_in", "=~"],
    );

    let err = rejected(&[("in [us-east-1a, us-east-1b]", "in [us-east-1a, us-west-2a]")]);
    has_problem(
        &err,
        "services[0].constraints[0].expression",
        "\"attribute:ecs.availability-zone in [us-east-1a, us-west-2a]\"",
        &["\"us-west-2a\" is not one of cluster.azs"],
    );

    let err = rejected(&[(
        "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
        "attribute:ecs.instance-type =~ t3.*",
    )]);
    has_problem(
        &err,
        "services[0].constraints[0].expression",
        "\"attribute:ecs.instance-type =~ t3.*\"",
        &["some host satisfies", "PENDING"],
    );
}

#[test]
fn placement_fields_are_known_ones() {
    let err = rejected(&[
        ("field = \"memory\"", "field = \"disk\""),
        (
            "field = \"attribute:ecs.availability-zone\"",
            "field = \"attribute:ecs.az\"",
        ),
    ]);
    has_problem(
        &err,
        "services[0].placement[1].field",
        "\"disk\"",
        &["one of cpu, memory"],
    );
    has_problem(
        &err,
        "services[0].placement[0].field",
        "\"attribute:ecs.az\"",
        &[
            "instanceId",
            "host",
            "attribute:ecs.availability-zone",
            "attribute:ecs.cpu-architecture",
        ],
    );
}

#[test]
fn window_is_positive_and_within_the_duration() {
    let err = rejected(&[("window = \"10s\"", "window = \"20m\"")]);
    has_problem(
        &err,
        "window",
        "\"20m\"",
        &["at most the scenario duration (10m)"],
    );
    let err = rejected(&[("window = \"10s\"", "window = \"0s\"")]);
    has_problem(&err, "window", "\"0s\"", &["a duration > 0"]);
}

#[test]
fn deployment_percentages_follow_ecs() {
    let err = rejected(&[(
        "minimum_healthy_percent = 100",
        "minimum_healthy_percent = 150",
    )]);
    has_problem(
        &err,
        "services[0].deployment.minimum_healthy_percent",
        "150",
        &["a percentage from 0 to 100"],
    );
    let err = rejected(&[("maximum_percent = 200", "maximum_percent = 50")]);
    has_problem(
        &err,
        "services[0].deployment.maximum_percent",
        "50",
        &["a percentage from 100 to 1000"],
    );
    let err = rejected(&[("maximum_percent = 200", "maximum_percent = 100")]);
    has_problem(
        &err,
        "services[0].deployment.maximum_percent",
        "100",
        &["more than minimum_healthy_percent (100)"],
    );
}

#[test]
fn autoscaling_min_is_at_most_max() {
    let err = rejected(&[("min = 2, max = 20", "min = 30, max = 20")]);
    has_problem(
        &err,
        "services[0].autoscaling.min",
        "30",
        &["at most autoscaling.max (20)"],
    );
}

#[test]
fn slo_error_rate_is_a_share() {
    let err = rejected(&[("error_rate = 0.001", "error_rate = 1.5")]);
    has_problem(
        &err,
        "slo.error_rate",
        "1.5",
        &["a share of requests from 0 to 1"],
    );
}

#[test]
fn health_check_timeout_is_shorter_than_the_interval() {
    let err = rejected(&[("timeout = \"5s\"", "timeout = \"60s\"")]);
    has_problem(
        &err,
        "load_balancer.health_check.timeout",
        "\"60s\"",
        &["less than the interval (30s)"],
    );
}

#[test]
fn empirical_sample_files_must_hold_numbers() {
    let empirical = [(
        "{ dist = \"exponential\", mean = \"10ms\" }",
        "{ dist = \"empirical\", file = \"samples.csv\" }",
    )];
    let path = "services[1].service_time.file";

    let dir = tempfile::tempdir().unwrap();
    let err = rejected_in(dir.path(), &empirical);
    has_problem(
        &err,
        path,
        "\"samples.csv\"",
        &["a readable file of samples"],
    );

    std::fs::write(dir.path().join("samples.csv"), "# nothing yet\n").unwrap();
    let err = rejected_in(dir.path(), &empirical);
    has_problem(&err, path, "\"samples.csv\"", &["at least one sample"]);

    std::fs::write(dir.path().join("samples.csv"), "0.010\nfast\n").unwrap();
    let err = rejected_in(dir.path(), &empirical);
    has_problem(
        &err,
        path,
        "\"samples.csv\"",
        &["line 2", "\"fast\" is not a sample"],
    );
}

#[test]
fn toml_syntax_errors_give_line_and_column() {
    let err = rejected(&[("seed = 3", "seed = ")]);
    has_problem(&err, "line 3, column 8", "\"seed =\"", &["not valid TOML"]);
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let err = rejected(&[
        ("cv = 1.2", "cv = -1"),
        ("rps = 100 }", "rps = -5 }"),
        ("error_rate = 0.001", "error_rate = 2"),
    ]);
    assert_eq!(err.lines().count(), 3, "{err}");
}

#[test]
fn a_missing_file_exits_2() {
    let o = dockmaster(&["validate", "/nonexistent/scenario.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("(file) = \"/nonexistent/scenario.toml\": a readable"),
        "{}",
        stderr(&o)
    );
}

// ------------------------------------------------------------ issue 10:
// values that validated but panicked, aborted, ran for ever or overflowed,
// and messages a user could not act on. Each bound is named in the message.

#[test]
fn gamma_cv_is_bounded_so_its_parameters_stay_finite() {
    // Both panicked in the sampler (shape 1/cv² of 0 or of infinity).
    for (cv, shown) in [("1e200", "1e200"), ("1e-200", "1e-200")] {
        let err = rejected(&[(
            "{ dist = \"exponential\", mean = \"10ms\" }",
            &format!("{{ dist = \"gamma\", mean = \"10ms\", cv = {cv} }}"),
        )]);
        has_problem(
            &err,
            "services[1].service_time.cv",
            shown,
            &["a coefficient of variation from 0.000001 to 100"],
        );
    }
}

#[test]
fn a_lognormal_launch_time_with_a_huge_cv_is_refused() {
    // cv² overflowed: every instance launched in 1 ns.
    let err = rejected(&[("cv = 0.3", "cv = 1e308")]);
    has_problem(
        &err,
        "cluster.asg.launch_time.cv",
        "1e308",
        &["from 0.000001 to 100"],
    );
}

#[test]
fn concurrency_is_bounded() {
    // Allocated 24 GB of slots at once.
    let err = rejected(&[("concurrency = 8", "concurrency = 1000000000")]);
    has_problem(
        &err,
        "services[0].concurrency",
        "1000000000",
        &["a whole number from 1 to 100000"],
    );
}

#[test]
fn task_counts_are_bounded() {
    let words = ["a whole number of tasks from 0 to 10000"];
    let err = rejected(&[("desired = 4", "desired = 1000000000")]);
    has_problem(&err, "services[0].desired", "1000000000", &words);

    let err = rejected(&[("min = 2, max = 20", "min = 2, max = 4294967295")]);
    has_problem(
        &err,
        "services[0].autoscaling.max",
        "4294967295",
        &["a whole number of tasks from 1 to 10000"],
    );

    let err = rejected(&[(
        "action = \"deploy\"\nservice = \"api\"",
        "action = \"scale_service\"\nservice = \"api\"\ndesired = 4294967295",
    )]);
    has_problem(&err, "events[0].desired", "4294967295", &words);
}

#[test]
fn windows_are_at_least_a_millisecond_and_at_most_a_million() {
    // Ran for ever, memory growing.
    for w in ["1ns", "1us"] {
        let err = rejected(&[("window = \"10s\"", &format!("window = \"{w}\""))]);
        has_problem(&err, "window", &format!("\"{w}\""), &["at least 1ms"]);
    }
    let err = rejected(&[
        ("duration = \"10m\"", "duration = \"2h\""),
        ("window = \"10s\"", "window = \"1ms\""),
    ]);
    has_problem(
        &err,
        "window",
        "\"1ms\"",
        &["at most 1000000 windows per run", "at least 7.2ms"],
    );
}

#[test]
fn request_rates_are_bounded() {
    // Ran for ever.
    let err = rejected(&[("rps = 100 }", "rps = 1e12 }")]);
    has_problem(
        &err,
        "traffic.profile[0].rps",
        "1000000000000.0",
        &["a request rate from 0 to 10000000 requests per second"],
    );
    // Each rate is allowed, the run is not: rps × duration.
    let err = rejected(&[
        ("duration = \"10m\"", "duration = \"30d\""),
        ("rps = 300 }", "rps = 9000000 }"),
    ]);
    has_problem(
        &err,
        "traffic.profile",
        "(about 2.3e13 requests over 30d)",
        &["at most 10000000000 expected requests per run"],
    );
}

#[test]
fn instance_mtbf_is_bounded_below() {
    // Ran for ever: a failure every nanosecond.
    let err = rejected(&[("[slo]", "[faults]\ninstance_mtbf = \"1ns\"\n\n[slo]")]);
    has_problem(&err, "faults.instance_mtbf", "\"1ns\"", &["at least 10m"]);
}

#[test]
fn mix_weights_are_bounded_so_their_sum_is_finite() {
    // Summed to infinity: every service got 0 % and the SLO was "MET".
    let err = rejected(&[
        ("weight = 0.7", "weight = 1e308"),
        ("weight = 0.3", "weight = 1e308"),
    ]);
    has_problem(
        &err,
        "traffic.mix[0].weight",
        "1e308",
        &["a weight > 0 and at most 1000000"],
    );
}

#[test]
fn instance_prices_are_bounded() {
    // "cost_usd": null.
    let err = rejected(&[
        ("instance_type = \"m5.large\"", "instance_type = \"x.large\""),
        (
            "[cluster.asg]",
            "[[cluster.instance_types]]\nname = \"x.large\"\nvcpu = 2\nmemory = 8192\nprice_per_hour = 1e308\n\n[cluster.asg]",
        ),
    ]);
    has_problem(
        &err,
        "cluster.instance_types[0].price_per_hour",
        "1e308",
        &["a price in USD per hour from 0 to 1000000"],
    );
}

#[test]
fn a_custom_instance_too_small_for_any_task_says_why() {
    // Said "a whole number of MiB from 6 to 0" for every service.
    let err = rejected(&[
        ("instance_type = \"m5.large\"", "instance_type = \"x.small\""),
        (
            "[cluster.asg]",
            "[[cluster.instance_types]]\nname = \"x.small\"\nvcpu = 2\nmemory = 1\nprice_per_hour = 0.1\n\n[cluster.asg]",
        ),
    ]);
    has_problem(
        &err,
        "cluster.instance_types[0].memory",
        "1",
        &["registers 96%", "0 MiB", "6 MiB", "at least 7"],
    );
    assert!(!err.contains("from 6 to 0"), "{err}");
}

#[test]
fn an_integer_too_large_for_toml_names_the_largest_allowed_value() {
    // Said `= (missing): u64 value was too large`.
    let err = rejected(&[("queue_limit = 50", "queue_limit = 18446744073709551615")]);
    has_problem(
        &err,
        "services[0].queue_limit",
        "18446744073709551615",
        &["a whole number from 0 to 10000000"],
    );
    assert!(!err.contains("u64"), "{err}");
}

#[test]
fn an_array_where_a_distribution_belongs_shows_the_shape() {
    // Said `variant identifier`.
    let err = rejected(&[(
        "service_time = { dist = \"exponential\", mean = \"10ms\" }",
        "service_time = [1,2,3]",
    )]);
    has_problem(
        &err,
        "services[1].service_time",
        "[1, 2, 3]",
        &[
            "constant, exponential, lognormal, gamma, empirical",
            "{ dist = \"lognormal\", mean = \"40ms\", cv = 1.2 }",
        ],
    );
    assert!(!err.contains("variant"), "{err}");
}

#[test]
fn a_duration_with_an_exponent_says_to_write_the_number_out() {
    // Said `unknown unit "e3s"`.
    let err = rejected(&[("duration = \"10m\"", "duration = \"1e3s\"")]);
    has_problem(&err, "duration", "\"1e3s\"", &["\"1000s\"", "no exponent"]);
    assert!(!err.contains("unknown unit"), "{err}");
}

#[test]
fn a_file_that_is_not_utf8_gives_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    // Line 1 becomes `name = "baése"` and its `s` (column 12: the é is one
    // character of two bytes) a Latin-1 byte.
    let text = BASE.replace("name = \"base\"", "name = \"ba\u{e9}se\"");
    let mut bytes = text.clone().into_bytes();
    bytes[text.find("se\"").unwrap()] = 0xB5;
    std::fs::write(&f, bytes).unwrap();
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    has_problem(&stderr(&o), "line 1, column 12", "byte 0xB5", &["UTF-8"]);
}

#[test]
fn a_scenario_too_big_for_memory_is_refused_with_the_estimate() {
    // Each count is allowed; 10,000 tasks of 100,000 slots are not.
    let err = rejected(&[
        ("desired = 4", "desired = 10000"),
        ("concurrency = 8", "concurrency = 100000"),
        ("min = 2, max = 20", "min = 2, max = 10000"),
    ]);
    let line = err
        .lines()
        .find(|l| l.contains(": (scenario) = (peak memory about "))
        .unwrap_or_else(|| panic!("no memory estimate in:\n{err}"));
    for words in [
        "GiB): at most 16 GiB",
        "services[0] tasks and slots",
        "concurrency 100000",
    ] {
        assert!(line.contains(words), "{line:?} lacks {words:?}");
    }
}
