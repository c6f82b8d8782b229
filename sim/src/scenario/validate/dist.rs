//! Distributions of durations (service times, launch times) and the
//! empirical sample files they may read.

use super::*;

impl Checker<'_> {
    /// A distribution of durations. `allow_zero`: whether a constant 0 or a
    /// sample 0 is meaningful (a launch time may be 0; a service time may not).
    pub(super) fn dist(&mut self, path: &str, d: &RawDist, allow_zero: bool) -> Option<Dist> {
        let mean_words = "a mean duration > 0, e.g. \"40ms\"";
        let mean = |ck: &mut Self, v: &Option<Value>| {
            ck.field(&format!("{path}.mean"), v, Dur(|m| m > 0, mean_words))
                .required()
        };
        let cv = |ck: &mut Self, v: &Option<Value>| {
            ck.field(
                &format!("{path}.cv"),
                v,
                Number(|c| (MIN_CV..=MAX_CV).contains(&c), CV_WORDS),
            )
            .required()
        };
        match d {
            RawDist::Constant { value } => {
                let (ok, words): (fn(Nanos) -> bool, &str) = if allow_zero {
                    (|_| true, "a duration >= 0")
                } else {
                    (|v| v > 0, "a duration > 0, e.g. \"40ms\"")
                };
                self.field(&format!("{path}.value"), value, Dur(ok, words))
                    .required()
                    .map(Dist::Constant)
            }
            RawDist::Exponential { mean: m } => Some(Dist::Exponential {
                mean: mean(self, m)?,
            }),
            RawDist::Lognormal { mean: m, cv: c } => {
                let (m, c) = (mean(self, m), cv(self, c));
                Some(Dist::LogNormal { mean: m?, cv: c? })
            }
            RawDist::Gamma { mean: m, cv: c } => {
                let (m, c) = (mean(self, m), cv(self, c));
                Some(Dist::Gamma { mean: m?, cv: c? })
            }
            RawDist::Empirical { file } => {
                let path = format!("{path}.file");
                let name = self
                    .field(
                        &path,
                        file,
                        Text("a file of samples, relative to the scenario file"),
                    )
                    .required()?;
                match read_samples(&self.base_dir.join(&name), allow_zero) {
                    Ok(samples) => Some(Dist::Empirical {
                        file: name,
                        samples: samples.into(),
                    }),
                    Err(why) => {
                        self.bad(&path, quote(&name), why);
                        None
                    }
                }
            }
        }
    }
}

/// Reads an empirical sample file. The error says what a good file is.
fn read_samples(path: &Path, allow_zero: bool) -> Result<Vec<Nanos>, String> {
    const GOOD: &str =
        "samples in seconds (e.g. 0.042) or durations (e.g. 42ms), one per line or comma-separated";
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("a readable file of samples ({}: {e})", path.display()))?;
    let mut samples = Vec::new();
    let mut first_data_line = true;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        let parsed: Vec<Option<Nanos>> = fields.iter().map(|f| sample(f)).collect();
        if first_data_line && parsed.iter().all(Option::is_none) {
            first_data_line = false; // a header
            continue;
        }
        first_data_line = false;
        for (f, s) in fields.iter().zip(parsed) {
            match s {
                Some(0) if !allow_zero => {
                    return Err(format!("{GOOD}, each > 0 (line {}: {f})", n + 1));
                }
                Some(ns) => samples.push(ns),
                None => return Err(format!("{GOOD} (line {}: {:?} is not a sample)", n + 1, f)),
            }
        }
    }
    if samples.is_empty() {
        return Err(format!("a file with at least one sample: {GOOD}"));
    }
    Ok(samples)
}

/// A sample: seconds as a plain number, or a duration with a unit.
fn sample(field: &str) -> Option<Nanos> {
    match field.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Some((s * NANOS_PER_SEC as f64).round() as Nanos),
        Ok(_) => None,
        Err(_) => parse_duration(field).ok(),
    }
}
