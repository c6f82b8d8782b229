//! Do two scenario texts describe the same scenario? Compared by content,
//! not by bytes: both are read as TOML and compared value by value, so a
//! comment or the order of keys does not matter, and each key that differs
//! is named with both values. The `seed` key is left out (a `--seed` on the
//! command line overrides it; whoever compares runs compares the seeds they
//! used).
//!
//! `dockmaster compare` asks this of the scenario texts two recordings
//! carry (the reports crate does not read the scenario format).

use toml::{Table, Value};

/// The keys whose values differ between `sim_text` and `measured_text`,
/// one line each (`cluster.instance_type: sim "m5.large", measured
/// "c5.xlarge"`), in key order; `None` when either text is empty or not
/// TOML (a recording written by hand or by an old version), so there is
/// nothing to compare by.
pub fn differences(sim_text: &str, measured_text: &str) -> Option<Vec<String>> {
    let (a, b) = (parse(sim_text)?, parse(measured_text)?);
    let mut keys = Vec::new();
    diff_tables("", &a, &b, &mut keys);
    Some(keys)
}

fn parse(text: &str) -> Option<Table> {
    let mut t: Table = text.parse().ok()?;
    if t.is_empty() {
        return None;
    }
    t.remove("seed");
    Some(t)
}

fn diff_tables(prefix: &str, a: &Table, b: &Table, out: &mut Vec<String>) {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        diff_values(&path, a.get(k), b.get(k), out);
    }
}

fn diff_values(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
    match (a, b) {
        (Some(Value::Table(x)), Some(Value::Table(y))) => diff_tables(path, x, y, out),
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff_values(&format!("{path}[{i}]"), Some(p), Some(q), out);
            }
        }
        (Some(x), Some(y)) if x == y => {}
        (x, y) => out.push(format!("{path}: sim {}, measured {}", shown(x), shown(y))),
    }
}

/// A value as TOML writes it, cut at 60 characters.
fn shown(v: Option<&Value>) -> String {
    match v {
        None => "(not set)".to_string(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 60 {
                format!("{}…", s.chars().take(60).collect::<String>())
            } else {
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "name = \"s\"\nseed = 7\n[traffic]\nprofile = [ { at = \"0s\", rps = 40 } ]\n";

    #[test]
    fn comments_key_order_and_the_seed_make_no_difference() {
        let other = format!(
            "# a comment\n\nseed = 8\n{}",
            TEXT.replace("seed = 7\n", "")
        );
        assert_eq!(differences(TEXT, &other), Some(Vec::new()));
    }

    #[test]
    fn each_differing_key_is_named_with_both_values() {
        let other = TEXT
            .replace("rps = 40", "rps = 7")
            .replace("seed = 7", "window = \"60s\"");
        assert_eq!(
            differences(TEXT, &other),
            Some(vec![
                "traffic.profile[0].rps: sim 40, measured 7".to_string(),
                "window: sim (not set), measured \"60s\"".to_string(),
            ])
        );
        let long = TEXT.replace("name = \"s\"", &format!("name = \"{}\"", "x".repeat(80)));
        let d = differences(TEXT, &long).unwrap();
        assert!(d[0].ends_with("x…"), "{d:?}");
    }

    #[test]
    fn without_a_readable_text_there_is_nothing_to_compare_by() {
        assert_eq!(differences("", TEXT), None);
        assert_eq!(differences(TEXT, "not [ toml"), None);
    }
}
