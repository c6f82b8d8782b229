//! Like with like: do two recordings come from the same scenario, seed and
//! window length? A comparison of a c5.xlarge fleet with an m5.large one,
//! or of 10 s windows with 60 s windows, says nothing about the model, and
//! a PASS on it would be a lie; `compare` refuses such a pair unless told
//! to go on, and then says so at the top of everything it writes.
//!
//! The scenarios are compared by content, not by bytes: both texts are
//! parsed as TOML and compared value by value, so a comment or the order of
//! keys does not matter and the message names the keys that differ. The
//! `seed` key is left out there (a `--seed` on the command line overrides
//! it) and compared as the seed each run used.

use crate::{Recording, Replay};
use toml::{Table, Value};

/// At most this many differing keys are named.
const MAX_NAMED: usize = 6;

/// What differs between the runs behind `sim` and `measured`, one line
/// each; empty when they ran the same scenario with the same seed and
/// window length.
pub fn differences(sim: &Recording, measured: &Recording) -> Vec<String> {
    let (a, b) = (&sim.meta, &measured.meta);
    let mut out = Vec::new();
    match (parse(&a.scenario_text), parse(&b.scenario_text)) {
        (Some(x), Some(y)) => {
            let mut keys = Vec::new();
            diff_tables("", &x, &y, &mut keys);
            if !keys.is_empty() {
                let more = keys.len().saturating_sub(MAX_NAMED);
                keys.truncate(MAX_NAMED);
                out.push(format!(
                    "the scenarios differ: {}{}",
                    keys.join("; "),
                    if more > 0 {
                        format!("; and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        // A recording without its scenario text (written by hand or by an
        // old version): the names are all there is to go on.
        _ if a.scenario != b.scenario => out.push(format!(
            "the scenarios differ: sim ran `{}`, measured ran `{}`",
            a.scenario, b.scenario
        )),
        _ => {}
    }
    if a.seed != b.seed {
        out.push(format!(
            "the seeds differ (sim {}, measured {}): the two runs drew different arrivals and \
             service times",
            a.seed, b.seed
        ));
    }
    if a.replay != b.replay {
        let said = |r: &Replay| match r {
            Replay::Open { rate_scale } if *rate_scale == 1.0 => {
                "the scenario's arrivals".to_string()
            }
            Replay::Open { rate_scale } => {
                format!("the scenario's arrivals at {rate_scale}× the rate (--rate-scale)")
            }
            Replay::Closed { connections } => {
                format!("a closed loop of {connections} connections (--closed), not the scenario's arrivals")
            }
        };
        out.push(format!(
            "the traffic differs: sim sent {}, measured sent {}",
            said(&a.replay),
            said(&b.replay)
        ));
    }
    if (a.window_s - b.window_s).abs() > 1e-9 {
        out.push(format!(
            "the window lengths differ (sim {} s, measured {} s): a percentile over one length \
             is not one over the other",
            a.window_s, b.window_s
        ));
    }
    out
}

fn parse(text: &str) -> Option<Table> {
    let mut t: Table = text.parse().ok()?;
    if t.is_empty() {
        return None; // no scenario text at all: nothing to compare by
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
    use crate::charts::tests::Synth;

    #[test]
    fn like_with_like_has_no_differences_whatever_the_comments() {
        let a = Synth::default().record();
        let mut b = Synth::default().record();
        b.meta.scenario_text = format!("# a comment\n\n{}", b.meta.scenario_text);
        assert_eq!(differences(&a, &b), Vec::<String>::new());
    }

    #[test]
    fn each_difference_is_named() {
        let a = Synth::default().record();
        let b = Synth {
            seed: 99,
            window_s: 60.0,
            rps: 7.0,
            ..Synth::default()
        }
        .record();
        let d = differences(&a, &b);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].contains("traffic.profile[0].rps"), "{d:?}");
        assert!(d[1].contains("seeds differ"), "{d:?}");
        assert!(d[2].contains("window lengths differ"), "{d:?}");

        let mut scaled = Synth::default().record();
        scaled.meta.replay = Replay::Open { rate_scale: 0.5 };
        let d = differences(&a, &scaled);
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("0.5× the rate (--rate-scale)"), "{d:?}");
        scaled.meta.replay = Replay::Closed { connections: 64 };
        assert!(differences(&a, &scaled)[0].contains("closed loop of 64"));
    }

    #[test]
    fn without_scenario_texts_the_names_decide() {
        let mut a = Synth::default().record();
        let mut b = Synth {
            scenario: "other",
            ..Synth::default()
        }
        .record();
        a.meta.scenario_text.clear();
        b.meta.scenario_text.clear();
        let d = differences(&a, &b);
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("sim ran `"), "{d:?}");
    }
}
