//! What a regex or JSON Schema grader may hold, compiled the one way the judge grades with it: the
//! runner checks a case's or run's grader with these functions when it is created, so a grader it
//! accepts is one the judge can use, and the judge compiles with them before grading. The grader
//! spec itself, with its one proto conversion, is [`GraderSpec`].

use regex::{Regex, RegexBuilder};

mod spec;

pub use spec::{
    GraderKind, GraderSpec, JudgeSpec, MAX_NEEDLE_CHARS, MAX_NEEDLES, RubricSpec, parse_number,
};

/// Longest regex pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 4_096;
/// Largest compiled regex (the regex crate's size limit), in bytes.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Largest lazy-DFA cache of one regex, in bytes.
pub const REGEX_DFA_SIZE_LIMIT: usize = 2 << 20;
/// Largest JSON Schema accepted, in bytes.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// Compiles a regex grader's pattern; the error says what is wrong, to follow the field's name.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    let characters = pattern.chars().count();
    if characters == 0 || characters > MAX_PATTERN_CHARS {
        return Err(format!(
            "must be 1 to {MAX_PATTERN_CHARS} characters, got {characters}"
        ));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(limit) => format!(
                "compiles to more than the {limit}-byte limit; simplify it (e.g. smaller repetition counts)"
            ),
            other => format!(
                "is not a valid regular expression (Rust regex syntax: no backreferences or look-around): {}",
                one_line(&other.to_string())
            ),
        })
}

/// Compiles a JSON Schema grader's schema; the error says what is wrong, to follow the field's name.
pub fn compile_schema(schema_json: &str) -> Result<jsonschema::Validator, String> {
    if schema_json.len() > MAX_SCHEMA_BYTES {
        return Err(format!(
            "must be at most {MAX_SCHEMA_BYTES} bytes, got {}",
            schema_json.len()
        ));
    }
    let schema: serde_json::Value =
        serde_json::from_str(schema_json).map_err(|error| format!("is not valid JSON: {error}"))?;
    if !schema.is_object() && !schema.is_boolean() {
        return Err("must be a JSON object or boolean (a JSON Schema)".to_owned());
    }
    if let Some(cycle) = ref_cycle(&schema) {
        return Err(format!(
            "has a $ref cycle that never reaches a constraint ({}): it would accept any input",
            cycle.join(" → ")
        ));
    }
    jsonschema::options()
        .with_pattern_options(
            jsonschema::PatternOptions::regex()
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_DFA_SIZE_LIMIT),
        )
        .build(&schema)
        .map_err(|error| {
            format!(
                "is not a valid JSON Schema (remote $refs are not fetched): {}",
                one_line(&error.to_string())
            )
        })
}

/// Keywords that apply subschemas to the same instance (no input is consumed on the way).
const IN_PLACE: [&str; 6] = ["allOf", "anyOf", "oneOf", "not", "if", "then"];

/// Colours of the depth-first search for `$ref` cycles: grey while a node's subtree is open, black
/// once it is done.
#[derive(Clone, Copy, PartialEq)]
enum Colour {
    Grey,
    Black,
}

/// Finds a cycle of local `$ref`s (and in-place applicators: allOf, anyOf, oneOf, not, if, then, else,
/// dependentSchemas) that returns to a subschema without consuming any input: such a schema never
/// validates anything (it accepts every input or loops). Returns the cycle as JSON pointers.
pub fn ref_cycle(schema: &serde_json::Value) -> Option<Vec<String>> {
    use std::collections::HashMap;
    // Every subschema location with the in-place edges leaving it.
    fn collect(
        value: &serde_json::Value,
        pointer: String,
        root: &serde_json::Value,
        edges: &mut HashMap<String, Vec<String>>,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        match value {
            serde_json::Value::Object(object) => {
                let mut out = Vec::new();
                if let Some(serde_json::Value::String(reference)) = object.get("$ref")
                    && let Some(target) = reference.strip_prefix('#')
                    && root.pointer(target).is_some()
                {
                    out.push(target.to_owned());
                }
                for (key, child) in object {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    let child_pointer = format!("{pointer}/{escaped}");
                    let in_place = IN_PLACE.contains(&key.as_str())
                        || key == "else"
                        || key == "dependentSchemas";
                    if in_place {
                        match child {
                            serde_json::Value::Array(items) => {
                                for index in 0..items.len() {
                                    out.push(format!("{child_pointer}/{index}"));
                                }
                            }
                            serde_json::Value::Object(map) if key == "dependentSchemas" => {
                                for name in map.keys() {
                                    let name = name.replace('~', "~0").replace('/', "~1");
                                    out.push(format!("{child_pointer}/{name}"));
                                }
                            }
                            _ => out.push(child_pointer.clone()),
                        }
                    }
                    collect(child, child_pointer, root, edges, depth + 1);
                }
                edges.insert(pointer, out);
            }
            serde_json::Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    collect(child, format!("{pointer}/{index}"), root, edges, depth + 1);
                }
            }
            _ => {}
        }
    }
    let mut edges = HashMap::new();
    collect(schema, String::new(), schema, &mut edges, 0);
    // Depth-first search with colours (see `Colour`); a grey node reached again closes a cycle.
    let mut colour: HashMap<&str, Colour> = HashMap::new();
    let mut keys: Vec<&String> = edges.keys().collect();
    keys.sort();
    for start in keys {
        if colour.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        colour.insert(start.as_str(), Colour::Grey);
        while let Some(&(node, next)) = stack.last() {
            let targets = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            let Some(target) = targets.get(next).map(String::as_str) else {
                colour.insert(node, Colour::Black);
                stack.pop();
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            match colour.get(target) {
                Some(Colour::Grey) => {
                    let from = stack
                        .iter()
                        .position(|(step, _)| *step == target)
                        .unwrap_or(0);
                    let mut cycle: Vec<String> = stack[from..]
                        .iter()
                        .map(|(step, _)| format!("#{step}"))
                        .collect();
                    cycle.push(format!("#{target}"));
                    return Some(cycle);
                }
                // Only subschema objects have entries; a boolean or leaf target ends the chain.
                None if edges.contains_key(target) => {
                    colour.insert(target, Colour::Grey);
                    stack.push((target, 0));
                }
                Some(Colour::Black) | None => {}
            }
        }
    }
    None
}

/// `text` on one line, whitespace runs collapsed.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_or_say_why() {
        assert!(compile_pattern(r"^\d+$").is_ok());
        assert!(compile_pattern("").unwrap_err().contains("1 to 4096"));
        assert!(
            compile_pattern("(unclosed")
                .unwrap_err()
                .contains("not a valid regular expression")
        );
        assert!(compile_pattern("(?<=look)behind").is_err());
        assert!(
            compile_pattern(r"\w{1000}{1000}")
                .unwrap_err()
                .contains("limit")
        );
    }

    #[test]
    fn schemas_compile_or_say_why() {
        assert!(compile_schema(r#"{"type":"object","required":["a"]}"#).is_ok());
        assert!(compile_schema("true").is_ok());
        assert!(compile_schema("{").unwrap_err().contains("not valid JSON"));
        assert!(
            compile_schema("[1]")
                .unwrap_err()
                .contains("JSON object or boolean")
        );
        assert!(
            compile_schema(r#"{"type":"no-such-type"}"#)
                .unwrap_err()
                .contains("not a valid JSON Schema")
        );
        let big = format!("{{\"description\":\"{}\"}}", "x".repeat(MAX_SCHEMA_BYTES));
        assert!(compile_schema(&big).unwrap_err().contains("at most"));
    }

    #[test]
    fn ref_cycles_are_refused_and_recursion_is_not() {
        for cyclic in [
            r##"{"$ref": "#"}"##,
            r##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##,
            r##"{"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}"##,
            r##"{"anyOf": [{"type": "string"}, {"not": {"$ref": "#"}}]}"##,
        ] {
            let error = compile_schema(cyclic).expect_err(cyclic);
            assert!(error.contains("$ref cycle"), "{cyclic}: {error}");
        }
        // Recursion through a keyword that steps into the input is a tree, not a loop.
        let tree = r##"{"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}"##;
        assert!(compile_schema(tree).is_ok());
        let validator = compile_schema(
            r##"{"$defs": {"leaf": {"type": "integer"}}, "allOf": [{"$ref": "#/$defs/leaf"}]}"##,
        )
        .expect("acyclic refs");
        assert!(validator.is_valid(&serde_json::json!(3)));
        assert!(!validator.is_valid(&serde_json::json!("x")));
    }
}
