//! Like with like: do two recordings come from the same scenario, seed and
//! window length? A comparison of a c5.xlarge fleet with an m5.large one,
//! or of 10 s windows with 60 s windows, says nothing about the model, and
//! a PASS on it would be a lie; `compare` refuses such a pair unless told
//! to go on, and then says so at the top of everything it writes.
//!
//! The scenarios are compared by content by whoever reads the scenario
//! format (`sim::scenario::differences`, called by the `compare` command):
//! this crate gets the keys that differ and says so in one line, with the
//! seed, the traffic and the window length it can see in the recordings.

use crate::{Recording, Replay};

/// At most this many differing keys are named.
const MAX_NAMED: usize = 6;

/// What differs between the runs behind `sim` and `measured`, one line
/// each; empty when they ran the same scenario with the same seed and
/// window length. `scenario_keys` are the scenario keys whose values
/// differ, one line each, as the scenario's reader found them; `None` when
/// a recording's scenario text could not be read (then the scenario names
/// decide).
pub fn differences(
    sim: &Recording,
    measured: &Recording,
    scenario_keys: Option<Vec<String>>,
) -> Vec<String> {
    let (a, b) = (&sim.meta, &measured.meta);
    let mut out = Vec::new();
    match scenario_keys {
        Some(mut keys) if !keys.is_empty() => {
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
        Some(_) => {}
        // A recording without its scenario text (written by hand or by an
        // old version): the names are all there is to go on.
        None if a.scenario != b.scenario => out.push(format!(
            "the scenarios differ: sim ran `{}`, measured ran `{}`",
            a.scenario, b.scenario
        )),
        None => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::tests::Synth;

    #[test]
    fn like_with_like_has_no_differences() {
        let a = Synth::default().record();
        let b = Synth::default().record();
        assert_eq!(differences(&a, &b, Some(Vec::new())), Vec::<String>::new());
    }

    #[test]
    fn each_difference_is_named() {
        let a = Synth::default().record();
        let b = Synth {
            seed: 99,
            window_s: 60.0,
            ..Synth::default()
        }
        .record();
        let keys: Vec<String> = (0..8).map(|i| format!("k{i}: sim 1, measured 2")).collect();
        let d = differences(&a, &b, Some(keys));
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(
            d[0].starts_with("the scenarios differ: k0: sim 1, measured 2; k1")
                && d[0].ends_with("k5: sim 1, measured 2; and 2 more"),
            "{d:?}"
        );
        assert!(d[1].contains("seeds differ"), "{d:?}");
        assert!(d[2].contains("window lengths differ"), "{d:?}");

        let mut scaled = Synth::default().record();
        scaled.meta.replay = Replay::Open { rate_scale: 0.5 };
        let d = differences(&a, &scaled, Some(Vec::new()));
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("0.5× the rate (--rate-scale)"), "{d:?}");
        scaled.meta.replay = Replay::Closed { connections: 64 };
        assert!(differences(&a, &scaled, Some(Vec::new()))[0].contains("closed loop of 64"));
    }

    #[test]
    fn without_readable_scenarios_the_names_decide() {
        let a = Synth::default().record();
        let b = Synth {
            scenario: "other",
            ..Synth::default()
        }
        .record();
        let d = differences(&a, &b, None);
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("sim ran `"), "{d:?}");
        assert!(differences(&a, &a, None).is_empty());
    }
}
