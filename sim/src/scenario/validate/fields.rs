//! The field checkers every section uses: one value of one field, checked
//! for its type and range, with a problem naming the path, the value and
//! what is allowed when it is wrong. Each returns `None` after recording the
//! problem, so a section goes on and reports every mistake of the file.

use super::*;

impl Checker<'_> {
    pub(super) fn bad(&mut self, path: &str, value: impl Into<String>, allowed: impl Into<String>) {
        self.problems.push(Problem::new(path, value, allowed));
    }

    pub(super) fn missing(&mut self, path: &str, allowed: &str) {
        self.bad(path, MISSING, format!("required: {allowed}"));
    }

    /// The value if present; a "required" problem if not.
    pub(super) fn req<'v>(
        &mut self,
        path: &str,
        v: &'v Option<Value>,
        allowed: &str,
    ) -> Option<&'v Value> {
        if v.is_none() {
            self.missing(path, allowed);
        }
        v.as_ref()
    }

    /// A whole number in `lo..=hi`.
    pub(super) fn int(
        &mut self,
        path: &str,
        v: &Value,
        lo: i64,
        hi: i64,
        allowed: &str,
    ) -> Option<i64> {
        match v {
            Value::Integer(i) if (lo..=hi).contains(i) => Some(*i),
            _ => {
                self.bad(path, render(v), allowed);
                None
            }
        }
    }

    pub(super) fn u32_req(
        &mut self,
        path: &str,
        v: &Option<Value>,
        lo: u32,
        hi: u32,
        allowed: &str,
    ) -> Option<u32> {
        let v = self.req(path, v, allowed)?;
        self.int(path, v, lo.into(), hi.into(), allowed)
            .map(|i| i as u32)
    }

    pub(super) fn u32_or(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: u32,
        lo: u32,
        hi: u32,
        allowed: &str,
    ) -> Option<u32> {
        match v {
            None => Some(default),
            Some(v) => self
                .int(path, v, lo.into(), hi.into(), allowed)
                .map(|i| i as u32),
        }
    }

    /// A finite number (integer or float) for which `ok` holds.
    pub(super) fn num(
        &mut self,
        path: &str,
        v: &Value,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> Option<f64> {
        let x = match v {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            _ => None,
        };
        match x {
            Some(x) if ok(x) => Some(x),
            _ => {
                self.bad(path, render(v), allowed);
                None
            }
        }
    }

    pub(super) fn num_req(
        &mut self,
        path: &str,
        v: &Option<Value>,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> Option<f64> {
        let v = self.req(path, v, allowed)?;
        self.num(path, v, ok, allowed)
    }

    pub(super) fn num_or(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: f64,
        ok: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> Option<f64> {
        match v {
            None => Some(default),
            Some(v) => self.num(path, v, ok, allowed),
        }
    }

    /// A duration string with a unit, for which `ok` holds (`allowed` says
    /// what `ok` wants). Unit mistakes get the unit message.
    pub(super) fn dur(
        &mut self,
        path: &str,
        v: &Value,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        let Value::String(s) = v else {
            let words = if matches!(v, Value::Integer(_) | Value::Float(_)) {
                format!("{DURATION_WORDS}; a bare number has no unit")
            } else {
                DURATION_WORDS.to_string()
            };
            self.bad(path, render(v), words);
            return None;
        };
        if s.trim_start().starts_with('-') {
            self.bad(path, render(v), allowed);
            return None;
        }
        match parse_duration(s) {
            Ok(ns) if ok(ns) => Some(ns),
            Ok(_) => {
                self.bad(path, render(v), allowed);
                None
            }
            Err(msg) => {
                let has_number = s
                    .trim_start()
                    .starts_with(|c: char| c.is_ascii_digit() || c == '.');
                let words = if has_number
                    && (msg.starts_with("unknown unit") || msg.contains("no exponent"))
                {
                    msg
                } else {
                    DURATION_WORDS.to_string()
                };
                self.bad(path, render(v), words);
                None
            }
        }
    }

    pub(super) fn dur_req(
        &mut self,
        path: &str,
        v: &Option<Value>,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        let v = self.req(path, v, allowed)?;
        self.dur(path, v, ok, allowed)
    }

    pub(super) fn dur_or(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: Nanos,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        match v {
            None => Some(default),
            Some(v) => self.dur(path, v, ok, allowed),
        }
    }

    pub(super) fn dur_opt(
        &mut self,
        path: &str,
        v: &Option<Value>,
        ok: impl Fn(Nanos) -> bool,
        allowed: &str,
    ) -> Option<Nanos> {
        v.as_ref().and_then(|v| self.dur(path, v, ok, allowed))
    }

    /// A non-empty string.
    pub(super) fn text(&mut self, path: &str, v: &Value, allowed: &str) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => {
                self.bad(path, render(v), allowed);
                None
            }
        }
    }

    pub(super) fn text_req(
        &mut self,
        path: &str,
        v: &Option<Value>,
        allowed: &str,
    ) -> Option<String> {
        let v = self.req(path, v, allowed)?;
        self.text(path, v, allowed)
    }

    /// One of a fixed set of words.
    pub(super) fn choice<T: Copy>(
        &mut self,
        path: &str,
        v: &Value,
        choices: &[(&str, T)],
    ) -> Option<T> {
        if let Value::String(s) = v {
            if let Some((_, t)) = choices.iter().find(|(name, _)| name == s) {
                return Some(*t);
            }
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        self.bad(path, render(v), format!("one of {}", names.join(", ")));
        None
    }

    pub(super) fn choice_or<T: Copy>(
        &mut self,
        path: &str,
        v: &Option<Value>,
        default: T,
        choices: &[(&str, T)],
    ) -> Option<T> {
        match v {
            None => Some(default),
            Some(v) => self.choice(path, v, choices),
        }
    }

    pub(super) fn choice_req<T: Copy>(
        &mut self,
        path: &str,
        v: &Option<Value>,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let v = self.req(path, v, &format!("one of {}", names.join(", ")))?;
        self.choice(path, v, choices)
    }

    /// A service named by a field: its index.
    pub(super) fn service_ref(
        &mut self,
        path: &str,
        v: &Option<Value>,
        names: &[&str],
    ) -> Option<usize> {
        // A service whose name is itself wrong is left out of the choices.
        let known: Vec<&str> = names.iter().copied().filter(|n| !n.is_empty()).collect();
        let words = format!("the name of a service: one of {}", known.join(", "));
        let v = self.req(path, v, &words)?;
        match v {
            Value::String(s) => {
                let found = names.iter().position(|n| n == s);
                if found.is_none() {
                    self.bad(path, render(v), words);
                }
                found
            }
            _ => {
                self.bad(path, render(v), words);
                None
            }
        }
    }

    /// A time of the run, required. `inclusive`: whether the end itself is
    /// allowed (a profile point may sit at the end; an event there would never
    /// have an effect).
    pub(super) fn time_within(
        &mut self,
        path: &str,
        v: &Option<Value>,
        span: Span,
        inclusive: bool,
    ) -> Option<Nanos> {
        let words = match (span.0, inclusive) {
            (Some(d), true) => format!(
                "a time within the scenario duration (0s to {})",
                format_duration(d)
            ),
            (Some(d), false) => format!(
                "a time within the scenario duration (before {})",
                format_duration(d)
            ),
            (None, _) => "a time within the scenario duration".to_string(),
        };
        self.dur_req(
            path,
            v,
            |t| match span.0 {
                None => true,
                Some(d) if inclusive => t <= d,
                Some(d) => t < d,
            },
            &words,
        )
    }
}
