//! Simulated time: integer nanoseconds since the start of the run.
//!
//! Floating-point time accumulates error and makes event order depend on
//! rounding; integer nanoseconds cover 584 years, which is enough.

use std::fmt;

/// An instant of simulated time, in nanoseconds since t = 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
pub type Nanos = u64;

pub const NANOS_PER_MICRO: u64 = 1_000;
pub const NANOS_PER_MILLI: u64 = 1_000_000;
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub fn from_secs_f64(s: f64) -> SimTime {
        SimTime(secs_to_nanos(s))
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    pub fn saturating_add(self, d: Nanos) -> SimTime {
        SimTime(self.0.saturating_add(d))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

/// Seconds to nanoseconds, rounded to the nearest nanosecond; negative and NaN
/// become 0 and values past the end of time saturate.
pub fn secs_to_nanos(s: f64) -> Nanos {
    if s.is_nan() || s <= 0.0 {
        0
    } else {
        let n = (s * NANOS_PER_SEC as f64).round();
        if n >= u64::MAX as f64 {
            u64::MAX
        } else {
            n as u64
        }
    }
}

/// Parses a duration written with a unit: `"40ms"`, `"1.5s"`, `"90s"`, `"5m"`,
/// `"2h"`, `"30d"`, `"250us"`, `"100ns"`. A bare number is refused: the unit is
/// where misreadings happen.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .ok_or_else(|| {
            "a number with a unit (ns, us, ms, s, m, h, d), e.g. \"40ms\" or \"5m\"".to_string()
        })?;
    let (num, unit) = t.split_at(split);
    let unit = unit.trim();
    let per: f64 = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "d" => 86400e9,
        // "1e3s": the number stops at the `e`, which is no unit. Say so, and
        // write the number out for the user when it is a plain one.
        _ if exponent(num, unit) => {
            let end = unit[1..]
                .find(|c: char| !(c.is_ascii_digit() || c == '+' || c == '-'))
                .map_or(unit.len(), |i| i + 1);
            let example = format!("{num}{}", &unit[..end])
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v < 1e15 && *v >= 1e-9)
                .map_or("1000s".to_string(), |v| {
                    format!("{v}{}", unit[end..].trim())
                });
            return Err(format!(
                "a number then a unit, like {example:?}: durations take no exponent"
            ));
        }
        _ => {
            return Err(format!(
                "unknown unit {unit:?}: use one of ns, us, ms, s, m, h, d (e.g. \"40ms\")"
            ))
        }
    };
    let num = num.replace('_', "");
    let v: f64 = num
        .parse()
        .map_err(|_| "a number with a unit, e.g. \"40ms\" or \"5m\"".to_string())?;
    if !v.is_finite() || v < 0.0 {
        return Err("a non-negative duration".into());
    }
    let ns = v * per;
    if ns > u64::MAX as f64 / 2.0 {
        return Err("a duration shorter than 290 years".into());
    }
    Ok(ns.round() as u64)
}

/// Whether the "unit" of `num` starts with an exponent (`e3s`, `E-2ms`).
fn exponent(num: &str, unit: &str) -> bool {
    let mut c = unit.chars();
    !num.is_empty()
        && matches!(c.next(), Some('e' | 'E'))
        && matches!(c.next(), Some('0'..='9' | '+' | '-'))
}

/// Formats nanoseconds the way a person writes them (`"40ms"`, `"1.5s"`, `"2h"`).
pub fn format_duration(ns: Nanos) -> String {
    let units: [(u64, &str); 6] = [
        (86_400 * NANOS_PER_SEC, "d"),
        (3600 * NANOS_PER_SEC, "h"),
        (60 * NANOS_PER_SEC, "m"),
        (NANOS_PER_SEC, "s"),
        (NANOS_PER_MILLI, "ms"),
        (NANOS_PER_MICRO, "us"),
    ];
    if ns == 0 {
        return "0s".into();
    }
    for (per, name) in units {
        if ns >= per {
            let v = ns as f64 / per as f64;
            return if (v - v.round()).abs() < 1e-9 {
                format!("{}{name}", v.round() as u64)
            } else {
                format!("{}{name}", trim_float(v))
            };
        }
    }
    format!("{ns}ns")
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("40ms").unwrap(), 40 * NANOS_PER_MILLI);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500 * NANOS_PER_MILLI);
        assert_eq!(parse_duration("5m").unwrap(), 300 * NANOS_PER_SEC);
        assert_eq!(parse_duration("2h").unwrap(), 7200 * NANOS_PER_SEC);
        assert_eq!(parse_duration("30d").unwrap(), 30 * 86_400 * NANOS_PER_SEC);
        assert!(parse_duration("40").is_err());
        assert!(parse_duration("40 parsecs").is_err());
        assert!(parse_duration("-5s").is_err());
        let e = parse_duration("1e3s").unwrap_err();
        assert!(e.contains("\"1000s\"") && e.contains("no exponent"), "{e}");
        let e = parse_duration("2.5E-3 s").unwrap_err();
        assert!(e.contains("\"0.0025s\""), "{e}");
    }

    #[test]
    fn formats_round_trip() {
        for s in ["40ms", "1.5s", "5m", "2h", "250us", "0s"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
    }
}
