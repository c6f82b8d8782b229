//! Issue 10: messages a user could not act on (serde's words, no line, a
//! range "from 6 to 0"), now naming the field, the value and what is allowed.

use super::{has_problem, rejected, BASE};
use crate::util::{dockmaster, stderr};

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
