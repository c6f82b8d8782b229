//! Issue 10: values that validated, then panicked, aborted, ran for ever or
//! overflowed. Each is refused now, with its bound in the message.

use super::{has_problem, rejected};

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

#[test]
fn a_scenario_with_too_many_events_is_refused_with_the_estimate() {
    // Each value is allowed: 10⁹·⁹ requests, an 8 ms CPU period for a
    // month; their quota timers and CPU phases are not.
    let err = rejected(&[
        ("duration = \"10m\"", "duration = \"30d\""),
        ("rps = 100 }", "rps = 3850 }"),
        ("rps = 300 }", "rps = 3850 }"),
        ("azs = [", "cpu_period = \"8ms\"\nazs = ["),
    ]);
    let line = err
        .lines()
        .find(|l| l.contains(": (scenario) = (about ") && l.contains(" events)"))
        .unwrap_or_else(|| panic!("no event estimate in:\n{err}"));
    assert!(line.contains("at most 3e10 events per run"), "{line}");
}
