//! TOML text to the raw layer, and the one problem of a file whose syntax
//! or shape is wrong: where it is (line and column, or the TOML path), what
//! was found and what the scenario format has there, in words — never the
//! parser's or serde's own phrasing.

use super::error::{Problem, MISSING};
use super::raw::*;
use serde_path_to_error::Segment;
use std::ops::Range;

/// Why a text is not a raw scenario.
#[derive(Debug)]
pub enum ShapeError {
    /// A syntax or shape mistake, said as one problem.
    Problem(Problem),
    /// A number TOML cannot hold (a whole number beyond ±9.2·10¹⁸, a float
    /// beyond ±1.8·10³⁰⁸). The caller can put the largest TOML number in its
    /// place and let validation say what the field allows (`mod.rs`).
    Number {
        /// The field, as a problem names it.
        path: String,
        /// Where the number is written.
        span: Range<usize>,
        /// Whether it was written as a float.
        float: bool,
    },
}

/// Parses TOML text into the raw layer.
pub fn from_toml(text: &str) -> Result<RawScenario, ShapeError> {
    let de = toml::Deserializer::parse(text)
        .map_err(|e| ShapeError::Problem(syntax_problem(text, &e)))?;
    // Serde reads a sequence into a struct field by field and an array into
    // a tagged enum as "variant identifier": look at the tables first.
    if let Ok(doc) = toml::from_str::<toml::Table>(text) {
        if let Some(p) = super::tables::misplaced(&doc) {
            return Err(ShapeError::Problem(p));
        }
    }
    serde_path_to_error::deserialize(de).map_err(|e| {
        let message = e.inner().message();
        let number = message.contains("too large")
            || message.contains("overflow")
            || message.contains("as i128");
        let float = message.contains("floating-point");
        // The parser may blame the table or array around the number.
        // Inside a tagged table serde blames only the table's header: the
        // number is then the first one after it.
        let span = e.inner().span().and_then(|sp| {
            unholdable(text, sp.clone(), float)
                .or_else(|| unholdable(text, sp.start..text.len(), float))
        });
        match span {
            Some(span) if number => ShapeError::Number {
                path: path_text(&segments(&e)),
                float,
                span,
            },
            _ => ShapeError::Problem(shape_problem(text, &e)),
        }
    })
}

/// The first number in `span` of `text` that TOML cannot hold: a whole
/// number beyond i64, or (`float`) one beyond f64.
fn unholdable(text: &str, span: Range<usize>, float: bool) -> Option<Range<usize>> {
    let within = text.get(span.clone())?;
    let b = within.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            || (matches!(b[i], b'+' | b'-') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        let after_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if !starts || after_word {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len()
            && (b[j].is_ascii_alphanumeric()
                || matches!(b[j], b'_' | b'.')
                || (matches!(b[j], b'+' | b'-') && matches!(b[j - 1], b'e' | b'E')))
        {
            j += 1;
        }
        let token = within[i..j].replace('_', "");
        let digits = token.trim_start_matches(['+', '-']);
        let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
            .iter()
            .find(|(p, _)| digits.starts_with(p));
        let too_big = match radix {
            Some((p, r)) => i64::from_str_radix(&digits[p.len()..], *r).is_err(),
            None if float => token.parse::<f64>().is_ok_and(|v| v.is_infinite()),
            None => {
                token
                    .bytes()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-'))
                    && token.parse::<i64>().is_err()
            }
        };
        if too_big {
            return Some(span.start + i..span.start + j);
        }
        i = j;
    }
    None
}

/// Serde's path of an error as our segments.
fn segments(e: &serde_path_to_error::Error<toml::de::Error>) -> Vec<Seg> {
    e.path()
        .iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(Seg::Index(*index)),
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Enum { .. } => None,
            Segment::Unknown => Some(Seg::Key("?".into())),
        })
        .collect()
}

/// A TOML syntax error: where (line, column), the line as written, what the
/// parser expected.
fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let at = e.span().map_or(0, |s| s.start).min(text.len());
    let before = &text[..floor_char_boundary(text, at)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("").trim_end();
    // The parser quotes tokens in backticks (expected `=`); a user reads quotes.
    let message = one_line(e.message()).replace('`', "\"");
    Problem::new(
        format!("line {line}, column {column}"),
        quote(&truncate(line_text, 60)),
        format!("not valid TOML: {message}"),
    )
}

/// A serde error: the file is valid TOML, but a key, a table or a tag is not
/// what the scenario format has.
fn shape_problem(text: &str, e: &serde_path_to_error::Error<toml::de::Error>) -> Problem {
    let doc: Option<Value> = toml::from_str::<toml::Table>(text).ok().map(Value::Table);
    let mut segments = segments(e);
    let message = one_line(e.inner().message());

    if let Some(key) = between(&message, "unknown field `", "`") {
        // Serde's own path stops at the table when the table is a tagged enum.
        if segments.last() != Some(&Seg::Key(key.to_string())) {
            segments.push(Seg::Key(key.to_string()));
        }
        let mut allowed = backticked(message.split_once(',').map_or("", |(_, rest)| rest));
        // The keys serde lists for a variant of a tagged enum leave out the tag.
        let parent = lookup(doc.as_ref(), &segments[..segments.len() - 1]);
        if let Some(Value::Table(t)) = parent {
            for tag in ["dist", "type", "policy", "action"] {
                // Only a tag the table already uses (a profile point with a
                // stray `dist` is not a distribution).
                if t.contains_key(tag) && tag != key && !allowed.iter().any(|k| k == tag) {
                    allowed.insert(0, tag.to_string());
                }
            }
        }
        let allowed = if allowed.is_empty() {
            "unknown key; no keys are allowed here".to_string()
        } else {
            format!(
                "unknown key; the keys allowed here are {}",
                allowed.join(", ")
            )
        };
        return Problem::new(
            path_text(&segments),
            render_at(doc.as_ref(), &segments),
            allowed,
        );
    }
    if let Some(key) = between(&message, "missing field `", "`") {
        segments.push(Seg::Key(key.to_string()));
        let path = path_text(&segments);
        let allowed = match tag_choices(&path, key) {
            Some(kinds) => format!("required: one of {}", kinds.join(", ")),
            None => "required".to_string(),
        };
        return Problem::new(path, MISSING, allowed);
    }
    if between(&message, "unknown variant `", "`").is_some() {
        let kinds = backticked(message.split_once(',').map_or("", |(_, rest)| rest));
        return Problem::new(
            path_text(&segments),
            render_at(doc.as_ref(), &segments),
            format!("one of {}", kinds.join(", ")),
        );
    }
    let expected = message
        .rsplit_once(", expected ")
        .map_or(message.as_str(), |(_, exp)| exp);
    let path = path_text(&segments);
    let allowed = expected_in_words(&path, expected);
    let mut value = render_at(doc.as_ref(), &segments);
    if value == MISSING {
        // The document did not parse as a whole (a number it cannot hold):
        // the value as written.
        if let Some(written) = e.inner().span().and_then(|sp| text.get(sp)) {
            value = truncate(&one_line(written), 80);
        }
    }
    Problem::new(path, value, allowed)
}

/// The choices of a tag key, for "missing field `dist`" and the like.
fn tag_choices(path: &str, key: &str) -> Option<&'static [&'static str]> {
    match key {
        "dist" => Some(DIST_KINDS),
        "policy" => Some(SCALING_POLICIES),
        "action" => Some(EVENT_ACTIONS),
        "type" if path.contains(".constraints[") => Some(CONSTRAINT_KINDS),
        "type" => Some(STRATEGY_KINDS),
        _ => None,
    }
}

/// Serde's "expected ..." phrases, as a scenario author would say them.
/// A phrase not known here gets plain words, never serde's own.
fn expected_in_words(path: &str, expected: &str) -> String {
    use super::tables::{dist_words, CONSTRAINT_WORDS, EVENT_WORDS, SCALING_WORDS, STRATEGY_WORDS};
    let e = expected.trim();
    let key = path.rsplit('.').next().unwrap_or(path);
    let words = match e {
        "a sequence" => "an array, e.g. [ ... ]",
        "RawDist" | "internally tagged enum RawDist" => return dist_words(),
        "internally tagged enum RawStrategy" => STRATEGY_WORDS,
        "internally tagged enum RawConstraint" => CONSTRAINT_WORDS,
        "internally tagged enum RawScaling" => SCALING_WORDS,
        "internally tagged enum RawEvent" => EVENT_WORDS,
        _ if e.starts_with("struct Raw") => "a table",
        // A tag that is not a string (`dist = 5`).
        // A tag that is not a string (`dist = 5`), or a whole number too
        // big for TOML, which serde takes for a variant's index.
        _ if e.contains("identifier") || e.contains("variant") => {
            return match tag_choices(path, key) {
                Some(kinds) => format!("one of {}, in quotes", kinds.join(", ")),
                None => "a table of the kind docs/scenario-format.md shows here".to_string(),
            };
        }
        _ => "a value of the kind docs/scenario-format.md shows for this key",
    };
    words.to_string()
}

#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn path_text(segments: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segments {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    if s.is_empty() {
        s.push_str("(top level)");
    }
    s
}

fn lookup<'a>(doc: Option<&'a Value>, segments: &[Seg]) -> Option<&'a Value> {
    let mut v = doc?;
    for seg in segments {
        v = match (seg, v) {
            (Seg::Key(k), Value::Table(t)) => t.get(k)?,
            (Seg::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn render_at(doc: Option<&Value>, segments: &[Seg]) -> String {
    lookup(doc, segments).map_or_else(|| MISSING.to_string(), render)
}

/// A value as TOML writes it (`"40"`, `-3`, `[1, 2]`), shortened when long.
pub fn render(v: &Value) -> String {
    let text = match v {
        Value::String(s) => quote(s),
        Value::Float(f) if f.is_nan() => "nan".to_string(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "inf" } else { "-inf" }.to_string(),
        // As TOML may write it: `1e308`, not 309 digits; `1000000000000.0`.
        Value::Float(f) => format!("{f:?}"),
        Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", render(v)))
                .collect();
            if items.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", items.join(", "))
            }
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(render).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    };
    truncate(&text, 80)
}

/// `"text"` as a one-line TOML basic string (escapes instead of the
/// multi-line form, so a problem stays on one line).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max_chars - 1).collect();
        t.push('…');
        t
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The text between the first `open` and the next `close`.
fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    Some(&s[start..start + len])
}

/// Every `` `word` `` in the text, in order.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Problem {
        match from_toml(text) {
            Err(ShapeError::Problem(p)) => p,
            other => panic!("expected one problem, got {other:?}"),
        }
    }

    #[test]
    fn unknown_top_level_key_names_key_and_allowed_keys() {
        let p = shape("nmae = \"x\"");
        assert_eq!(p.path, "nmae");
        assert_eq!(p.value, "\"x\"");
        assert!(p.allowed.contains("unknown key"), "{p}");
        assert!(p.allowed.contains("name, duration, seed"), "{p}");
    }

    #[test]
    fn unknown_key_inside_a_tagged_table_gets_its_full_path() {
        let p = shape("[cluster.asg]\nscaling = { policy = \"managed\", bad = 3 }");
        assert_eq!(p.path, "cluster.asg.scaling.bad");
        assert_eq!(p.value, "3");
        assert!(p.allowed.contains("policy, target_capacity"), "{p}");
    }

    #[test]
    fn unknown_tag_lists_the_choices() {
        let p = shape("[[services]]\nservice_time = { dist = \"weibull\", mean = \"1s\" }");
        assert_eq!(p.path, "services[0].service_time.dist");
        assert_eq!(p.value, "\"weibull\"");
        assert!(p.allowed.contains("lognormal"), "{p}");
    }

    #[test]
    fn missing_tag_is_reported_with_choices() {
        let p = shape("[[events]]\nat = \"1m\"");
        assert_eq!(p.path, "events[0].action");
        assert_eq!(p.value, MISSING);
        assert!(p.allowed.contains("fail_az"), "{p}");
    }

    #[test]
    fn wrong_shape_says_what_was_expected() {
        let p = shape("[cluster]\nazs = \"us-east-1a\"");
        assert_eq!(p.path, "cluster.azs");
        assert_eq!(p.value, "\"us-east-1a\"");
        assert!(p.allowed.starts_with("an array"), "{p}");
        let p = shape("[[services]]\nservice_time = \"40ms\"");
        assert_eq!(p.path, "services[0].service_time");
        assert!(p.allowed.contains("distribution"), "{p}");
    }

    #[test]
    fn values_render_on_one_line() {
        assert_eq!(quote("a\nb\"c"), r#""a\nb\"c""#);
        let p = shape("name = \"x\"\nduration = \"1\\n0m\"\n[cluster]\nfoo = \"a\\nb\"");
        assert_eq!(p.value, r#""a\nb""#);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let p = shape("name = \"a\"\nduration = \n");
        assert_eq!(p.path, "line 2, column 12");
        assert_eq!(p.value, "\"duration =\"");
        assert!(p.allowed.starts_with("not valid TOML"), "{p}");
        let p = shape("name = \"a\"\nname = \"b\"\n");
        assert!(p.path.starts_with("line 2"), "{p}");
    }
}
