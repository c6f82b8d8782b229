//! `--set PATH=VALUE`: a variation of a scenario without editing the file.
//!
//! ```text
//!  file text ──toml_edit──► document ──set each PATH to VALUE──► text ──► parse, validate
//! ```
//!
//! The value is put in place in the file's own text (toml_edit keeps its
//! comments, order and layout), so `--set services[0].desired=6` gives the
//! very text a hand edit of that one value gives, hence byte-identical
//! recordings, and the recording's `scenario_text` is the scenario as run:
//! reproducible without the command line.
//!
//! PATH is the path error messages use: `cluster.instance_type`,
//! `services[1].desired`, `traffic.profile[2].rps`. VALUE is a TOML value
//! (`6`, `0.5`, `"40ms"`, `{ dist = "constant", value = "1ms" }`); a bare
//! word that is not one (`c5.large`) is a string. A key the file does not
//! set is added to its table; whether it is a scenario field at all is then
//! validation's to say, like for a hand edit.

use super::error::Problem;
use toml_edit::{DocumentMut, Item, Table, Value};

/// One `PATH=VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: String,
}

/// A path step: a key, or an index into an array.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

impl Override {
    /// Splits `PATH=VALUE` at the first `=`.
    pub fn parse(s: &str) -> Result<Override, String> {
        match s.split_once('=') {
            Some((p, v)) if !p.trim().is_empty() => Ok(Override {
                path: p.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(format!(
                "`{s}`: expected PATH=VALUE, e.g. services[0].desired=6 or cluster.instance_type=c5.large"
            )),
        }
    }

    fn problem(&self, allowed: impl Into<String>) -> Problem {
        Problem::new(format!("--set {}", self.path), self.value.clone(), allowed)
    }
}

/// `text` with every override applied in order, or the first that cannot be.
pub fn apply(text: &str, overrides: &[Override]) -> Result<String, Problem> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|_| Problem::new("--set", "(the file)", "a file that is valid TOML first"))?;
    for o in overrides {
        let steps = steps(&o.path).ok_or_else(|| {
            o.problem(
                "a path like cluster.asg.desired, services[1].desired or traffic.profile[2].rps",
            )
        })?;
        let value = value_of(&o.value);
        set(doc.as_table_mut(), &steps, value, o)?;
    }
    Ok(doc.to_string())
}

fn steps(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        let key_ok = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !key_ok {
            return None;
        }
        out.push(Step::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let i: usize = rest.get(1..close)?.parse().ok()?;
            out.push(Step::Index(i));
            rest = rest.get(close + 1..)?;
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(out)
}

/// A TOML value, or the text as a string when it is not one (a bare word).
fn value_of(text: &str) -> Value {
    match text.parse::<Value>() {
        Ok(v) => v,
        Err(_) => Value::from(text),
    }
}

/// Where the walk stands: a table (`[cluster]`, `[[services]]` element or
/// an inline table) or an array (of tables, or an inline array).
enum Here<'a> {
    Table(&'a mut dyn toml_edit::TableLike),
    Array(&'a mut toml_edit::ArrayOfTables),
    Inline(&'a mut toml_edit::Array),
    Leaf,
}

fn set(root: &mut Table, steps: &[Step], value: Value, o: &Override) -> Result<(), Problem> {
    let mut here = Here::Table(root);
    let mut walked = String::new();
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        here = match (here, step) {
            (Here::Table(t), Step::Key(k)) => {
                if last {
                    match t.get_mut(k) {
                        Some(item) if item.is_value() => {
                            let old = item.as_value_mut().expect("checked");
                            let decor = old.decor().clone();
                            *old = value.clone();
                            *old.decor_mut() = decor;
                        }
                        Some(_) => {
                            return Err(o.problem(format!(
                                "a value, but {} is a whole table; set one of its keys",
                                join(&walked, k)
                            )))
                        }
                        None => {
                            t.insert(k, Item::Value(value.clone()));
                        }
                    }
                    return Ok(());
                }
                let Some(item) = t.get_mut(k) else {
                    return Err(o.problem(format!(
                        "a path the file has: it sets no {}",
                        join(&walked, k)
                    )));
                };
                walked = join(&walked, k);
                descend(item)
            }
            (Here::Array(a), Step::Index(n)) => {
                let len = a.len();
                let Some(t) = a.get_mut(*n) else {
                    return Err(
                        o.problem(format!("an index below {len}: the file has {len} {walked}"))
                    );
                };
                walked = format!("{walked}[{n}]");
                if last {
                    return Err(o.problem(format!("a key of {walked}, e.g. {walked}.desired")));
                }
                Here::Table(t)
            }
            (Here::Inline(a), Step::Index(n)) => {
                let len = a.len();
                if *n >= len {
                    return Err(o.problem(format!(
                        "an index below {len}: the file has {len} in {walked}"
                    )));
                }
                walked = format!("{walked}[{n}]");
                if last {
                    let old = a.get_mut(*n).expect("checked");
                    let decor = old.decor().clone();
                    *old = value.clone();
                    *old.decor_mut() = decor;
                    return Ok(());
                }
                match a.get_mut(*n).expect("checked") {
                    Value::InlineTable(t) => Here::Table(t),
                    Value::Array(inner) => Here::Inline(inner),
                    _ => Here::Leaf,
                }
            }
            (Here::Array(_), Step::Key(k)) => {
                return Err(o.problem(format!(
                    "an index first: {walked} is a list, e.g. {walked}[0].{k}"
                )))
            }
            (_, Step::Index(_)) => {
                return Err(o.problem(format!("{walked} is not a list: no index after it")))
            }
            (_, Step::Key(k)) => {
                return Err(o.problem(format!(
                    "{walked} holds a value, not keys: no {}",
                    join(&walked, k)
                )))
            }
        };
    }
    Err(o.problem("a path that ends with a key"))
}

fn descend(item: &mut Item) -> Here<'_> {
    match item {
        Item::Table(t) => Here::Table(t),
        Item::ArrayOfTables(a) => Here::Array(a),
        Item::Value(Value::InlineTable(t)) => Here::Table(t),
        Item::Value(Value::Array(a)) => Here::Inline(a),
        _ => Here::Leaf,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# a comment that stays
name = "x"
[cluster]
instance_type = "m5.large"   # why
[[services]]
name = "web"
desired = 4
[[services]]
name = "api"
desired = 2
[traffic]
profile = [ { at = "0s", rps = 100 }, { at = "5m", rps = 200 } ]
"#;

    fn set_all(sets: &[&str]) -> Result<String, Problem> {
        let o: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        apply(TEXT, &o)
    }

    #[test]
    fn a_set_is_the_hand_edit_of_that_one_value() {
        let by_set = set_all(&[
            "services[1].desired=6",
            "cluster.instance_type=c5.large",
            "traffic.profile[1].rps=4000",
        ])
        .unwrap();
        let by_hand = TEXT
            .replace("desired = 2", "desired = 6")
            .replace("\"m5.large\"", "\"c5.large\"")
            .replace("rps = 200", "rps = 4000");
        assert_eq!(by_set, by_hand);
    }

    #[test]
    fn an_absent_key_is_added_to_its_table() {
        let t = set_all(&["services[0].queue_limit=50"]).unwrap();
        assert!(t.contains("desired = 4\nqueue_limit = 50\n"), "{t}");
    }

    #[test]
    fn bad_paths_are_named_with_what_is_there() {
        let err = |s: &str| {
            let p = set_all(&[s]).unwrap_err();
            format!("{}: {}", p.path, p.allowed)
        };
        assert!(err("services[5].desired=1").contains("below 2: the file has 2 services"));
        assert!(err("cluster.instance_type.x=1").contains("holds a value"));
        assert!(err("nothing.here=1").contains("it sets no nothing"));
        assert!(err("services.desired=1").contains("e.g. services[0].desired"));
        assert!(err("services[x].desired=1").starts_with("--set services[x].desired"));
        assert!(Override::parse("desired").is_err());
    }
}
