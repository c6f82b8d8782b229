//! Wrong values, keys, tags and files, each named with what is allowed.

use super::{has_problem, rejected, rejected_in, BASE};
use crate::util::{dockmaster, stderr, write_scenario};

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
