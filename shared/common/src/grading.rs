//! What a regex or JSON Schema grader may hold, compiled the one way the judge grades with it: the
//! runner checks a case's or run's grader with these functions when it is created, so a grader it
//! accepts is one the judge can use, and the judge compiles with them before grading.

use regex::{Regex, RegexBuilder};

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
}
