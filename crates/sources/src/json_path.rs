//! The small subset of JSONPath that KPI APIs need: an optional leading `$`, `.field`, a bare
//! leading `field`, `[N]` and `["field with spaces"]` (or single quotes). No wildcards or
//! filters: a path names exactly one place, so a wrong path is an error, never an empty list.

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Field(String),
    Index(usize),
}

/// A parsed path, ready to look up in any number of documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonPath {
    steps: Vec<Step>,
}

/// Why a path does not lead anywhere in a document; says how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotFound(String);

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonPath {
    pub(crate) fn parse(path: &str) -> Result<JsonPath, String> {
        let path = path.trim();
        // `$` is the root only when a step or nothing follows; `$count` is a field name.
        let root_marked = path == "$" || path.starts_with("$.") || path.starts_with("$[");
        let mut chars = path.char_indices().peekable();
        if root_marked {
            chars.next();
        }
        let mut steps = Vec::new();
        let mut first = true;
        while let Some(&(position, c)) = chars.peek() {
            match c {
                '.' => {
                    chars.next();
                    steps.push(Step::Field(bare_field(&mut chars, position)?));
                }
                '[' => {
                    chars.next();
                    steps.push(bracket(&mut chars, position)?);
                }
                _ if first => steps.push(Step::Field(bare_field(&mut chars, position)?)),
                _ => return Err(format!("unexpected {c:?} at position {}", position + 1)),
            }
            first = false;
        }
        Ok(JsonPath { steps })
    }

    pub(crate) fn lookup<'a>(&self, document: &'a Value) -> Result<&'a Value, NotFound> {
        let mut current = document;
        for (depth, step) in self.steps.iter().enumerate() {
            let here = || render(&self.steps[..depth]);
            current = match (step, current) {
                (Step::Field(name), Value::Object(fields)) => {
                    fields.get(name).ok_or_else(|| NotFound(format!("{} has no field {name:?}", here())))?
                }
                (Step::Index(index), Value::Array(items)) => items.get(*index).ok_or_else(|| {
                    NotFound(format!(
                        "{} has {} element{}, so there is no [{index}]",
                        here(),
                        items.len(),
                        if items.len() == 1 { "" } else { "s" }
                    ))
                })?,
                (Step::Field(name), other) => {
                    return Err(NotFound(format!("{} is {}, so it has no field {name:?}", here(), kind(other))));
                }
                (Step::Index(index), other) => {
                    return Err(NotFound(format!("{} is {}, so it has no element [{index}]", here(), kind(other))));
                }
            };
        }
        Ok(current)
    }
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

fn bare_field(chars: &mut Chars<'_>, start: usize) -> Result<String, String> {
    let mut name = String::new();
    while let Some((_, c)) = chars.next_if(|&(_, c)| c != '.' && c != '[') {
        name.push(c);
    }
    if name.is_empty() {
        return Err(format!("empty field name at position {}", start + 1));
    }
    Ok(name)
}

fn bracket(chars: &mut Chars<'_>, start: usize) -> Result<Step, String> {
    let unclosed = || format!("unclosed [ at position {}", start + 1);
    let step = match chars.next() {
        Some((_, quote @ ('"' | '\''))) => {
            let mut name = String::new();
            loop {
                match chars.next() {
                    Some((_, '\\')) => name.push(chars.next().ok_or_else(unclosed)?.1),
                    Some((_, c)) if c == quote => break,
                    Some((_, c)) => name.push(c),
                    None => return Err(unclosed()),
                }
            }
            Step::Field(name)
        }
        Some((_, c)) if c.is_ascii_digit() => {
            let mut digits = String::from(c);
            while let Some((_, d)) = chars.next_if(|&(_, d)| d.is_ascii_digit()) {
                digits.push(d);
            }
            Step::Index(digits.parse().map_err(|_| format!("index {digits} is too large"))?)
        }
        Some((position, c)) => {
            return Err(format!(
                "expected a number or a quoted name after [ but found {c:?} at position {}",
                position + 1
            ));
        }
        None => return Err(unclosed()),
    };
    match chars.next() {
        Some((_, ']')) => Ok(step),
        Some((position, c)) => Err(format!("expected ] but found {c:?} at position {}", position + 1)),
        None => Err(unclosed()),
    }
}

/// How a prefix of the path reads in messages, always in the canonical `$…` form.
fn render(steps: &[Step]) -> String {
    let mut text = String::from("$");
    for step in steps {
        match step {
            Step::Field(name)
                if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') =>
            {
                text.push('.');
                text.push_str(name);
            }
            Step::Field(name) => text.push_str(&format!("[{name:?}]")),
            Step::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    text
}

/// A value's kind with its article, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str) -> Step {
        Step::Field(name.to_owned())
    }

    #[test]
    fn parses_the_supported_forms() {
        let cases: [(&str, Vec<Step>); 11] = [
            ("", vec![]),
            ("$", vec![]),
            ("$.data.total", vec![field("data"), field("total")]),
            ("data.items", vec![field("data"), field("items")]),
            ("$.series[0].points", vec![field("series"), Step::Index(0), field("points")]),
            ("$[2]", vec![Step::Index(2)]),
            ("$count", vec![field("$count")]),
            ("[12][3]", vec![Step::Index(12), Step::Index(3)]),
            (r#"$["field with spaces"].x"#, vec![field("field with spaces"), field("x")]),
            ("$['single'][\"a.b\"]", vec![field("single"), field("a.b")]),
            (r#"$["say \"hi\""]"#, vec![field("say \"hi\"")]),
        ];
        for (path, steps) in cases {
            assert_eq!(JsonPath::parse(path), Ok(JsonPath { steps }), "{path}");
        }
    }

    #[test]
    fn refuses_malformed_paths() {
        for path in ["$.", "$..a", "a..b", "$[", "$[1", "$[-1]", "$[a]", "$[\"open", "$[1]x"] {
            assert!(JsonPath::parse(path).is_err(), "{path} should not parse");
        }
    }

    #[test]
    fn looks_up_values() {
        let document = json!({
            "data": {"total": 42, "items": [1, 2]},
            "series": [{"points": [[1, 2]]}],
            "with space": {"a.b": "x"}
        });
        let at = |path: &str| JsonPath::parse(path).unwrap().lookup(&document).cloned();
        assert_eq!(at("$.data.total"), Ok(json!(42)));
        assert_eq!(at("data.items"), Ok(json!([1, 2])));
        assert_eq!(at("$.series[0].points[0][1]"), Ok(json!(2)));
        assert_eq!(at(r#"$["with space"]["a.b"]"#), Ok(json!("x")));
        assert_eq!(at("$"), Ok(document.clone()));
    }

    #[test]
    fn says_how_far_a_missing_path_got() {
        let document = json!({"data": {"items": [1, 2], "name": "x"}});
        let problem = |path: &str| JsonPath::parse(path).unwrap().lookup(&document).unwrap_err().to_string();
        assert_eq!(problem("$.data.totl"), r#"$.data has no field "totl""#);
        assert_eq!(problem("data.items[5]"), "$.data.items has 2 elements, so there is no [5]");
        assert_eq!(problem("$.data.name.first"), r#"$.data.name is a string, so it has no field "first""#);
        assert_eq!(problem("$.data[0]"), "$.data is an object, so it has no element [0]");
    }
}
