//! The field checkers every section uses: one value of one field, checked
//! for its kind and range, with a problem naming the path, the value and
//! what is allowed when it is wrong. Each returns `None` after recording the
//! problem, so a section goes on and reports every mistake of the file.
//!
//! ```text
//!  self.field(path, &raw.x, Int(1, 64, "a whole number from 1 to 64"))
//!      .required()     absent: the problem "required: <allowed>"
//!      .or(default)    absent: the default
//!      .optional()     absent: None, and no problem
//!  self.check(path, v, kind)   a value known to be there
//! ```
//!
//! What a value must be is its [`Kind`] (`Int`, `Number`, `Dur`, `Text`,
//! `OneOf`, `ServiceName`); whether it may be absent is [`Field`]'s, the
//! same for every kind, so a new kind of value is one `Kind` impl.

use super::*;

/// A kind of field value: what one present value must be, and what is
/// allowed in words when the field is missing.
pub(super) trait Kind {
    type Out;
    /// The words of the "required: …" problem of a missing field.
    fn allowed(&self) -> String;
    /// The value, or `None` after recording the problem.
    fn check(&self, ck: &mut Checker<'_>, path: &str, v: &Value) -> Option<Self::Out>;
}

/// A field of a raw section, to be checked as a `K`: [`Checker::field`].
pub(super) struct Field<'f, 'c, K> {
    ck: &'f mut Checker<'c>,
    path: &'f str,
    value: &'f Option<Value>,
    kind: K,
}

impl<K: Kind> Field<'_, '_, K> {
    /// The value; a "required" problem if absent.
    pub(super) fn required(self) -> Option<K::Out> {
        let Some(v) = self.value else {
            self.ck.missing(self.path, &self.kind.allowed());
            return None;
        };
        self.kind.check(self.ck, self.path, v)
    }

    /// The value; `default` if absent.
    pub(super) fn or(self, default: K::Out) -> Option<K::Out> {
        match self.value {
            None => Some(default),
            Some(v) => self.kind.check(self.ck, self.path, v),
        }
    }

    /// The value; `None` without a problem if absent.
    pub(super) fn optional(self) -> Option<K::Out> {
        let v = self.value.as_ref()?;
        self.kind.check(self.ck, self.path, v)
    }
}

impl<'c> Checker<'c> {
    pub(super) fn bad(&mut self, path: &str, value: impl Into<String>, allowed: impl Into<String>) {
        self.problems.push(Problem::new(path, value, allowed));
    }

    pub(super) fn missing(&mut self, path: &str, allowed: &str) {
        self.bad(path, MISSING, format!("required: {allowed}"));
    }

    /// The value if present; a "required" problem if not (for values a
    /// section checks itself).
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

    /// The field at `path`, to be checked as `kind`; say then whether it is
    /// required, has a default or is optional.
    pub(super) fn field<'f, K: Kind>(
        &'f mut self,
        path: &'f str,
        value: &'f Option<Value>,
        kind: K,
    ) -> Field<'f, 'c, K> {
        Field {
            ck: self,
            path,
            value,
            kind,
        }
    }

    /// A value that is there, checked as `kind`.
    pub(super) fn check<K: Kind>(&mut self, path: &str, v: &Value, kind: K) -> Option<K::Out> {
        kind.check(self, path, v)
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
        let within = |t| match span.0 {
            None => true,
            Some(d) if inclusive => t <= d,
            Some(d) => t < d,
        };
        self.field(path, v, Dur(within, &words)).required()
    }
}

/// A whole number from `.0` to `.1` as a `T` (`u32`, `i64`, …); `.2` says
/// what is allowed.
pub(super) struct Int<'a, T>(pub(super) T, pub(super) T, pub(super) &'a str);

impl<T: Copy + Into<i64> + TryFrom<i64>> Kind for Int<'_, T> {
    type Out = T;

    fn allowed(&self) -> String {
        self.2.to_string()
    }

    fn check(&self, ck: &mut Checker<'_>, path: &str, v: &Value) -> Option<T> {
        if let Value::Integer(i) = v {
            if (self.0.into()..=self.1.into()).contains(i) {
                // In `T`'s range, so it converts.
                if let Ok(t) = T::try_from(*i) {
                    return Some(t);
                }
            }
        }
        ck.bad(path, render(v), self.2);
        None
    }
}

/// A finite number (integer or float) for which `.0` holds; `.1` says what
/// is allowed.
pub(super) struct Number<'a, F>(pub(super) F, pub(super) &'a str);

impl<F: Fn(f64) -> bool> Kind for Number<'_, F> {
    type Out = f64;

    fn allowed(&self) -> String {
        self.1.to_string()
    }

    fn check(&self, ck: &mut Checker<'_>, path: &str, v: &Value) -> Option<f64> {
        let x = match v {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            _ => None,
        };
        match x {
            Some(x) if (self.0)(x) => Some(x),
            _ => {
                ck.bad(path, render(v), self.1);
                None
            }
        }
    }
}

/// A duration string with a unit, for which `.0` holds (`.1` says what `.0`
/// wants). Unit mistakes get the unit message.
pub(super) struct Dur<'a, F>(pub(super) F, pub(super) &'a str);

impl<F: Fn(Nanos) -> bool> Kind for Dur<'_, F> {
    type Out = Nanos;

    fn allowed(&self) -> String {
        self.1.to_string()
    }

    fn check(&self, ck: &mut Checker<'_>, path: &str, v: &Value) -> Option<Nanos> {
        let allowed = self.1;
        let Value::String(s) = v else {
            let words = if matches!(v, Value::Integer(_) | Value::Float(_)) {
                format!("{DURATION_WORDS}; a bare number has no unit")
            } else {
                DURATION_WORDS.to_string()
            };
            ck.bad(path, render(v), words);
            return None;
        };
        if s.trim_start().starts_with('-') {
            ck.bad(path, render(v), allowed);
            return None;
        }
        match parse_duration(s) {
            Ok(ns) if (self.0)(ns) => Some(ns),
            Ok(_) => {
                ck.bad(path, render(v), allowed);
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
                ck.bad(path, render(v), words);
                None
            }
        }
    }
}

/// A non-empty string; `.0` says what is allowed.
pub(super) struct Text<'a>(pub(super) &'a str);

impl Kind for Text<'_> {
    type Out = String;

    fn allowed(&self) -> String {
        self.0.to_string()
    }

    fn check(&self, ck: &mut Checker<'_>, path: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => {
                ck.bad(path, render(v), self.0);
                None
            }
        }
    }
}

/// One of a fixed set of words, each standing for a `T`.
pub(super) struct OneOf<'a, T>(pub(super) &'a [(&'a str, T)]);

impl<T: Copy> Kind for OneOf<'_, T> {
    type Out = T;

    fn allowed(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|(n, _)| *n).collect();
        format!("one of {}", names.join(", "))
    }

    fn check(&self, ck: &mut Checker<'_>, path: &str, v: &Value) -> Option<T> {
        if let Value::String(s) = v {
            if let Some((_, t)) = self.0.iter().find(|(name, _)| name == s) {
                return Some(*t);
            }
        }
        ck.bad(path, render(v), self.allowed());
        None
    }
}

/// A service named by a field, among the services' names (in file order):
/// its index.
pub(super) struct ServiceName<'a>(pub(super) &'a [&'a str]);

impl Kind for ServiceName<'_> {
    type Out = usize;

    fn allowed(&self) -> String {
        // A service whose name is itself wrong is left out of the choices.
        let known: Vec<&str> = self.0.iter().copied().filter(|n| !n.is_empty()).collect();
        format!("the name of a service: one of {}", known.join(", "))
    }

    fn check(&self, ck: &mut Checker<'_>, path: &str, v: &Value) -> Option<usize> {
        let found = match v {
            Value::String(s) => self.0.iter().position(|n| n == s),
            _ => None,
        };
        if found.is_none() {
            ck.bad(path, render(v), self.allowed());
        }
        found
    }
}
