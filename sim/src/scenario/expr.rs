//! Cluster query expressions of `memberOf` constraints (docs/aws-behaviour.md
//! §1.4), the subset ECS users write in practice:
//!
//! ```text
//!  expression := "attribute:" name op operand
//!  name       := ecs.availability-zone | ecs.instance-type | ecs.cpu-architecture
//!  op operand := in [v, ...] | not_in [v, ...] | == v | != v | =~ glob   (glob: `*` any run)
//! ```
//!
//! Values may be quoted (`"us-east-1a"` or `'us-east-1a'`). `and`/`or`,
//! parentheses and other attributes are not supported and are refused.

use super::{Attribute, ExprOp, Expression};

/// The grammar in one line, for messages.
pub const GRAMMAR: &str = "a memberOf expression: attribute:ecs.availability-zone, \
attribute:ecs.instance-type or attribute:ecs.cpu-architecture, then in [a, b], not_in [a, b], \
== a, != a or =~ glob*, e.g. \"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]\"";

/// The ECS name of an attribute, as written in files (`attribute:ecs.…`).
pub fn attribute_name(a: Attribute) -> &'static str {
    match a {
        Attribute::AvailabilityZone => "attribute:ecs.availability-zone",
        Attribute::InstanceType => "attribute:ecs.instance-type",
        Attribute::CpuArchitecture => "attribute:ecs.cpu-architecture",
    }
}

/// The attribute written as `attribute:ecs.…`, if it is one we model.
pub fn attribute_from_name(s: &str) -> Option<Attribute> {
    [
        Attribute::AvailabilityZone,
        Attribute::InstanceType,
        Attribute::CpuArchitecture,
    ]
    .into_iter()
    .find(|&a| attribute_name(a) == s)
}

/// Parses an expression. The error says what is wrong, followed by [`GRAMMAR`].
pub fn parse(text: &str) -> Result<Expression, String> {
    parse_inner(text).map_err(|why| format!("{why}; {GRAMMAR}"))
}

fn parse_inner(text: &str) -> Result<Expression, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty expression".into());
    }
    let name_end = t
        .find(|c: char| c.is_whitespace() || matches!(c, '=' | '!' | '['))
        .unwrap_or(t.len());
    let name = &t[..name_end];
    let attribute = attribute_from_name(name).ok_or_else(|| {
        if name.starts_with("attribute:") {
            format!("unsupported attribute {name:?}")
        } else {
            format!("{name:?} is not an attribute (they start with attribute:ecs.)")
        }
    })?;
    let rest = t[name_end..].trim_start();
    let (op, rest) = if let Some(r) = rest.strip_prefix("==") {
        (ExprOp::Eq, r)
    } else if let Some(r) = rest.strip_prefix("!=") {
        (ExprOp::Ne, r)
    } else if let Some(r) = rest.strip_prefix("=~") {
        (ExprOp::Matches, r)
    } else if let Some(r) = keyword(rest, "not_in") {
        (ExprOp::NotIn, r)
    } else if let Some(r) = keyword(rest, "in") {
        (ExprOp::In, r)
    } else {
        let word = rest.split_whitespace().next().unwrap_or("nothing");
        return Err(format!("unsupported operator {word:?}"));
    };
    let rest = rest.trim();
    let values = match op {
        ExprOp::In | ExprOp::NotIn => {
            let inner = rest
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .ok_or("in and not_in take a list in brackets, e.g. [us-east-1a, us-east-1b]")?;
            let values = inner.split(',').map(value).collect::<Result<Vec<_>, _>>()?;
            if values.len() == 1 && values[0].is_empty() {
                return Err("the list is empty".into());
            }
            if values.iter().any(String::is_empty) {
                return Err("the list has an empty value".into());
            }
            values
        }
        ExprOp::Eq | ExprOp::Ne | ExprOp::Matches => {
            let v = value(rest)?;
            if v.is_empty() {
                return Err("the value is missing".into());
            }
            if v.contains(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | ',' | '(' | ')')) {
                return Err(format!("{v:?} is not one value (and/or are not supported)"));
            }
            vec![v]
        }
    };
    Ok(Expression {
        attribute,
        op,
        values,
        text: text.to_string(),
    })
}

/// `rest` without the leading keyword, if the keyword is a whole word.
fn keyword<'a>(rest: &'a str, word: &str) -> Option<&'a str> {
    let r = rest.strip_prefix(word)?;
    (r.is_empty() || r.starts_with(|c: char| c.is_whitespace() || c == '[')).then_some(r)
}

/// One operand, unquoted.
fn value(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q) {
            return inner
                .strip_suffix(q)
                .map(str::to_string)
                .ok_or_else(|| format!("unclosed quote in {v}"));
        }
    }
    Ok(v.to_string())
}

/// Whether an attribute value satisfies the expression.
pub fn matches(e: &Expression, value: &str) -> bool {
    match e.op {
        ExprOp::In | ExprOp::Eq => e.values.iter().any(|v| v == value),
        ExprOp::NotIn | ExprOp::Ne => !e.values.iter().any(|v| v == value),
        ExprOp::Matches => glob(&e.values[0], value),
    }
}

/// `*` matches any run of characters (possibly empty); everything else is literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_operators() {
        let e = parse("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]").unwrap();
        assert_eq!(e.attribute, Attribute::AvailabilityZone);
        assert_eq!(e.op, ExprOp::In);
        assert_eq!(e.values, ["us-east-1a", "us-east-1b"]);
        let e = parse("attribute:ecs.instance-type =~ t3.*").unwrap();
        assert_eq!(
            (e.op, e.values.as_slice()),
            (ExprOp::Matches, &["t3.*".to_string()][..])
        );
        let e = parse("attribute:ecs.cpu-architecture == arm64").unwrap();
        assert_eq!(e.op, ExprOp::Eq);
        let e = parse("attribute:ecs.cpu-architecture!='x86_64'").unwrap();
        assert_eq!((e.op, e.values[0].as_str()), (ExprOp::Ne, "x86_64"));
        let e = parse("attribute:ecs.availability-zone not_in [\"us-east-1c\"]").unwrap();
        assert_eq!((e.op, e.values[0].as_str()), (ExprOp::NotIn, "us-east-1c"));
    }

    #[test]
    fn refuses_what_it_does_not_model() {
        for bad in [
            "",
            "attribute:ecs.os-type == linux",
            "ecs.instance-type == m5.large",
            "attribute:ecs.instance-type exists",
            "attribute:ecs.availability-zone in us-east-1a",
            "attribute:ecs.availability-zone in []",
            "attribute:ecs.availability-zone in [a,,b]",
            "attribute:ecs.instance-type == m5.large and attribute:ecs.availability-zone == a",
            "attribute:ecs.instance-type ==",
            "attribute:ecs.instance-type == \"m5.large",
            "attribute:ecs.availability-zone inside [a]",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.ends_with(GRAMMAR), "{bad}: {err}");
        }
    }

    #[test]
    fn matching() {
        let e = parse("attribute:ecs.instance-type =~ t3.*").unwrap();
        assert!(matches(&e, "t3.medium"));
        assert!(!matches(&e, "m5.large"));
        let e = parse("attribute:ecs.availability-zone not_in [us-east-1a]").unwrap();
        assert!(!matches(&e, "us-east-1a"));
        assert!(matches(&e, "us-east-1b"));
        assert!(glob("*", ""));
        assert!(glob("m*.*large", "m5.2xlarge"));
        assert!(!glob("m*.*large", "m5.2xsmall"));
        assert!(glob("a*a", "aa"));
        assert!(!glob("a*a", "a"));
    }
}
