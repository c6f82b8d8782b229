//! Where the scenario format has a table (or an array of tables), and what
//! to say when the file has something else there.
//!
//! Serde is no help here: it reads an array into a struct field by field
//! (`deployment = [1, 2, 3]` became "maximum_percent = 2") and an array
//! where a tagged table belongs fails on the first element with "variant
//! identifier". So the file's tables are checked against this list before
//! serde sees them, and each wrong one is named with the shape it should
//! have.

use super::error::Problem;
use super::raw::{render, Value, DIST_KINDS};

/// What belongs at a place of the file.
#[derive(Clone, Copy)]
enum Kind {
    /// A table; the words say which.
    Table(&'static str),
    /// An array whose every element is a table.
    Tables(&'static str),
    /// A distribution table (tagged by `dist`).
    Dist,
}

/// The words for a distribution, wherever one belongs.
pub fn dist_words() -> String {
    format!(
        "a distribution table: dist = one of {} with its parameters, e.g. \
         {{ dist = \"lognormal\", mean = \"40ms\", cv = 1.2 }} or {{ dist = \"constant\", value = \"20ms\" }}",
        DIST_KINDS.join(", ")
    )
}

pub const STRATEGY_WORDS: &str =
    "a placement strategy table, e.g. { type = \"binpack\", field = \"memory\" }";
pub const CONSTRAINT_WORDS: &str =
    "a placement constraint table, e.g. { type = \"distinctInstance\" }";
pub const SCALING_WORDS: &str =
    "a scaling policy table, e.g. { policy = \"target_tracking\", metric = \"cpu\", target = 60 }";
pub const EVENT_WORDS: &str =
    "an [[events]] table, e.g. { at = \"10m\", action = \"deploy\", service = \"web\" }";

/// Every place that holds a table, as a path of keys (`[]`: every element
/// of an array). Parents come before their children.
const PLACES: &[(&[&str], Kind)] = &[
    (
        &["cluster"],
        Kind::Table("a [cluster] table with instance_type, azs and [cluster.asg]"),
    ),
    (
        &["cluster", "asg"],
        Kind::Table("a [cluster.asg] table with min and max"),
    ),
    (&["cluster", "asg", "launch_time"], Kind::Dist),
    (&["cluster", "asg", "scaling"], Kind::Table(SCALING_WORDS)),
    (
        &["cluster", "instance_types"],
        Kind::Tables("[[cluster.instance_types]] tables, each with name, vcpu, memory and price_per_hour"),
    ),
    (
        &["services"],
        Kind::Tables("[[services]] tables, one per service, each with name, desired, cpu, memory, concurrency and service_time"),
    ),
    (&["services", "[]", "service_time"], Kind::Dist),
    (
        &["services", "[]", "placement"],
        Kind::Tables("placement strategy tables, e.g. [ { type = \"spread\", field = \"instanceId\" } ]"),
    ),
    (
        &["services", "[]", "constraints"],
        Kind::Tables("placement constraint tables, e.g. [ { type = \"distinctInstance\" } ]"),
    ),
    (
        &["services", "[]", "deployment"],
        Kind::Table("a table, e.g. { minimum_healthy_percent = 100, maximum_percent = 200 }"),
    ),
    (
        &["services", "[]", "autoscaling"],
        Kind::Table("a table, e.g. { metric = \"cpu\", target = 50, min = 2, max = 20 }"),
    ),
    (
        &["services", "[]", "slo"],
        Kind::Table("a table, e.g. { p99 = \"100ms\", error_rate = 0.001 }"),
    ),
    (
        &["load_balancer"],
        Kind::Table("a [load_balancer] table, e.g. with algorithm = \"round_robin\""),
    ),
    (
        &["load_balancer", "health_check"],
        Kind::Table("a table, e.g. { interval = \"30s\", healthy_threshold = 5, unhealthy_threshold = 2 }"),
    ),
    (
        &["traffic"],
        Kind::Table("a [traffic] table with a profile"),
    ),
    (
        &["traffic", "profile"],
        Kind::Tables("profile points, e.g. [ { at = \"0s\", rps = 100 }, { at = \"5m\", rps = 300 } ]"),
    ),
    (
        &["traffic", "mix"],
        Kind::Tables("mix entries, e.g. [ { service = \"web\", weight = 0.7 }, { service = \"api\", weight = 0.3 } ]"),
    ),
    (
        &["events"],
        Kind::Tables("[[events]] tables, each like { at = \"10m\", action = \"deploy\", service = \"web\" }"),
    ),
    (
        &["faults"],
        Kind::Table("a [faults] table, e.g. with instance_mtbf = \"30d\""),
    ),
    (
        &["slo"],
        Kind::Table("an [slo] table, e.g. with p99 = \"300ms\" and error_rate = 0.001"),
    ),
    (
        &["plan"],
        Kind::Table("a [plan] table, e.g. with confidence = 0.95 and [[plan.vary]] tables"),
    ),
    (
        &["plan", "vary"],
        Kind::Tables("[[plan.vary]] tables, each like { field = \"services[0].desired\", values = [4, 6, 8] }"),
    ),
];

/// The first place of the document where a table belongs and something
/// else is written.
pub fn misplaced(doc: &toml::Table) -> Option<Problem> {
    let root = Value::Table(doc.clone());
    for (keys, kind) in PLACES {
        let mut found = Vec::new();
        at(&root, keys, String::new(), &mut found);
        for (path, v) in found {
            if let Some(p) = wrong(&path, v, *kind) {
                return Some(p);
            }
        }
    }
    None
}

/// Every value at `keys` below `v`, with its path.
fn at<'a>(v: &'a Value, keys: &[&str], path: String, out: &mut Vec<(String, &'a Value)>) {
    let Some((first, rest)) = keys.split_first() else {
        out.push((path, v));
        return;
    };
    match (*first, v) {
        ("[]", Value::Array(a)) => {
            for (i, e) in a.iter().enumerate() {
                at(e, rest, format!("{path}[{i}]"), out);
            }
        }
        (key, Value::Table(t)) => {
            if let Some(e) = t.get(key) {
                let p = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                at(e, rest, p, out);
            }
        }
        // A parent of the wrong kind was reported first.
        _ => {}
    }
}

fn wrong(path: &str, v: &Value, kind: Kind) -> Option<Problem> {
    let table_words = |w: &str| match v {
        Value::Array(_) => format!("{w} (one table, not an array)"),
        _ => w.to_string(),
    };
    match (kind, v) {
        (Kind::Table(_) | Kind::Dist, Value::Table(_)) => None,
        (Kind::Table(w), _) => Some(Problem::new(path, render(v), table_words(w))),
        (Kind::Dist, _) => Some(Problem::new(path, render(v), dist_words())),
        (Kind::Tables(w), Value::Array(a)) => a.iter().enumerate().find_map(|(i, e)| {
            (!matches!(e, Value::Table(_))).then(|| {
                Problem::new(
                    format!("{path}[{i}]"),
                    render(e),
                    format!("a table (the array holds {w})"),
                )
            })
        }),
        (Kind::Tables(w), _) => Some(Problem::new(path, render(v), format!("an array of {w}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Problem {
        misplaced(&toml::from_str(text).unwrap()).expect("a misplaced table")
    }

    #[test]
    fn an_array_where_a_table_belongs_is_named_with_its_shape() {
        let p = problem("[[services]]\ndeployment = [1, 2, 3]");
        assert_eq!(p.path, "services[0].deployment");
        assert_eq!(p.value, "[1, 2, 3]");
        assert!(p.allowed.contains("maximum_percent = 200"), "{p}");
        assert!(p.allowed.contains("not an array"), "{p}");

        let p = problem("[cluster.asg]\nlaunch_time = [1, 2]");
        assert_eq!(p.path, "cluster.asg.launch_time");
        assert!(p.allowed.contains("dist = one of constant"), "{p}");

        let p = problem("[traffic]\nprofile = [1]");
        assert_eq!(p.path, "traffic.profile[0]");
        assert!(p.allowed.contains("at = \"0s\""), "{p}");
    }

    #[test]
    fn tables_in_their_places_pass() {
        let doc = toml::from_str(
            "[[services]]\nservice_time = { dist = \"constant\", value = \"1s\" }\n\
             placement = [ { type = \"random\" } ]\n[traffic]\nprofile = [ { at = \"0s\" } ]",
        )
        .unwrap();
        assert!(misplaced(&doc).is_none());
    }
}
