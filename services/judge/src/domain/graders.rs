//! The deterministic graders, and the validation and compilation of every grader at request time.
//!
//! A [`GraderSpec`] is what the caller asked for; [`compile`] checks it (naming the bad field) and
//! turns it into a ready [`Grader`] (compiled regex, compiled JSON Schema, resolved judge model).
//! Deterministic graders score 100 on pass and 0 otherwise.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;

use crate::domain::judge::{Judge, PreparedRubric};
use crate::domain::text;
use crate::error::Error;

pub use crate::domain::spec::{
    GraderKind, GraderSpec, JudgeSpec, MAX_NEEDLE_CHARS, MAX_NEEDLES, MAX_PATTERN_CHARS,
    MAX_RUBRIC_BYTES, MAX_SCHEMA_BYTES, MAX_TEXT_BYTES, REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT,
    RubricSpec, check_text,
};

/// A validated, compiled grader.
#[derive(Debug, Clone)]
pub enum Grader {
    /// Exact equality after trimming both sides.
    Exact {
        /// The trimmed expected text.
        expected: String,
    },
    /// Equality after [`text::normalize`].
    NormalizedExact {
        /// The normalised expected text.
        expected: String,
    },
    /// Contains all or any needles.
    Contains {
        /// Needles (case-folded when case-insensitive).
        needles: Vec<String>,
        /// Every needle or at least one.
        all: bool,
        /// Whether the needles are case-folded.
        case_insensitive: bool,
    },
    /// Regex match anywhere.
    Regex(Arc<Regex>),
    /// Parses as JSON.
    JsonValid,
    /// Validates against a compiled schema.
    JsonSchema(Arc<jsonschema::Validator>),
    /// Number within tolerance.
    Numeric {
        /// The expected value.
        expected: f64,
        /// Absolute tolerance.
        abs_tolerance: f64,
        /// Relative tolerance.
        rel_tolerance: f64,
    },
    /// LLM judge.
    LlmRubric(Arc<PreparedRubric>),
}

impl Grader {
    /// Returns the grading mode.
    pub fn kind(&self) -> GraderKind {
        match self {
            Grader::Exact { .. } => GraderKind::Exact,
            Grader::NormalizedExact { .. } => GraderKind::NormalizedExact,
            Grader::Contains { .. } => GraderKind::Contains,
            Grader::Regex(_) => GraderKind::Regex,
            Grader::JsonValid => GraderKind::JsonValid,
            Grader::JsonSchema(_) => GraderKind::JsonSchema,
            Grader::Numeric { .. } => GraderKind::Numeric,
            Grader::LlmRubric(_) => GraderKind::LlmRubric,
        }
    }
}

/// The outcome of a deterministic grader.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    /// 100 on pass, 0 otherwise.
    pub score: f64,
    /// Whether the output passed.
    pub passed: bool,
    /// What the grader found.
    pub notes: String,
}

impl Grade {
    fn pass(notes: impl Into<String>) -> Self {
        Self {
            score: 100.0,
            passed: true,
            notes: notes.into(),
        }
    }

    fn fail(notes: impl Into<String>) -> Self {
        Self {
            score: 0.0,
            passed: false,
            notes: notes.into(),
        }
    }
}

/// Compiled regexes and schemas of one request, keyed by their text, so a batch repeating a pattern
/// compiles it once.
#[derive(Debug, Default)]
pub struct CompileCache {
    regexes: HashMap<String, Arc<Regex>>,
    schemas: HashMap<String, Arc<jsonschema::Validator>>,
}

/// Validates and compiles `spec`; `field` is the grader's path (e.g. `items[3].grader`), extended with
/// the bad sub-field in errors (e.g. `items[3].grader.regex.pattern`).
pub fn compile(
    spec: GraderSpec,
    field: &str,
    cache: &mut CompileCache,
    judge: &Judge,
) -> Result<Grader, Error> {
    spec.check_bounds()
        .map_err(|(sub_field, reason)| Error::invalid(format!("{field}.{sub_field}"), reason))?;
    match spec {
        GraderSpec::Exact { expected } => {
            check_text(
                &format!("{field}.exact.expected"),
                &expected,
                MAX_TEXT_BYTES,
            )?;
            Ok(Grader::Exact {
                expected: expected.trim().to_owned(),
            })
        }
        GraderSpec::NormalizedExact { expected } => {
            check_text(
                &format!("{field}.normalized_exact.expected"),
                &expected,
                MAX_TEXT_BYTES,
            )?;
            Ok(Grader::NormalizedExact {
                expected: text::normalize(&expected),
            })
        }
        GraderSpec::Contains {
            needles,
            all,
            case_insensitive,
        } => {
            let needles = if case_insensitive {
                needles
                    .iter()
                    .map(|needle| text::case_fold(needle))
                    .collect()
            } else {
                needles
            };
            Ok(Grader::Contains {
                needles,
                all,
                case_insensitive,
            })
        }
        GraderSpec::Regex { pattern } => {
            let pattern_field = format!("{field}.regex.pattern");
            Ok(Grader::Regex(compile_regex(
                &pattern_field,
                &pattern,
                cache,
            )?))
        }
        GraderSpec::JsonValid => Ok(Grader::JsonValid),
        GraderSpec::JsonSchema { schema_json } => {
            let schema_field = format!("{field}.json_schema.schema_json");
            Ok(Grader::JsonSchema(compile_schema(
                &schema_field,
                &schema_json,
                cache,
            )?))
        }
        GraderSpec::Numeric {
            expected,
            abs_tolerance,
            rel_tolerance,
        } => {
            let expected = expected.ok_or_else(|| {
                Error::invalid(format!("{field}.numeric.expected"), "is required")
            })?;
            Ok(Grader::Numeric {
                expected,
                abs_tolerance,
                rel_tolerance,
            })
        }
        GraderSpec::LlmRubric(rubric) => Ok(Grader::LlmRubric(Arc::new(
            judge.prepare_rubric(rubric, &format!("{field}.llm_rubric"))?,
        ))),
    }
}

fn compile_regex(
    field: &str,
    pattern: &str,
    cache: &mut CompileCache,
) -> Result<Arc<Regex>, Error> {
    if let Some(compiled) = cache.regexes.get(pattern) {
        return Ok(Arc::clone(compiled));
    }
    let compiled = benchhub_common::grading::compile_pattern(pattern)
        .map_err(|reason| Error::invalid(field, reason))?;
    let compiled = Arc::new(compiled);
    cache
        .regexes
        .insert(pattern.to_owned(), Arc::clone(&compiled));
    Ok(compiled)
}

fn compile_schema(
    field: &str,
    schema_json: &str,
    cache: &mut CompileCache,
) -> Result<Arc<jsonschema::Validator>, Error> {
    if let Some(compiled) = cache.schemas.get(schema_json) {
        return Ok(Arc::clone(compiled));
    }
    let validator = benchhub_common::grading::compile_schema(schema_json)
        .map_err(|reason| Error::invalid(field, reason))?;
    let compiled = Arc::new(validator);
    cache
        .schemas
        .insert(schema_json.to_owned(), Arc::clone(&compiled));
    Ok(compiled)
}

/// Grades `output` with a deterministic grader; `None` for the LLM rubric (see the judge).
pub fn grade(grader: &Grader, output: &str) -> Option<Grade> {
    Some(match grader {
        Grader::Exact { expected } => {
            let actual = output.trim();
            match text::first_difference(actual, expected) {
                None => Grade::pass("exact match"),
                Some(position) => Grade::fail(format!(
                    "differs from the expected text at character {position}"
                )),
            }
        }
        Grader::NormalizedExact { expected } => {
            let actual = text::normalize(output);
            if &actual == expected {
                Grade::pass("match after normalisation")
            } else {
                Grade::fail(format!(
                    "differs after normalisation: got '{}', expected '{}'",
                    text::excerpt(&actual, 80),
                    text::excerpt(expected, 80)
                ))
            }
        }
        Grader::Contains {
            needles,
            all,
            case_insensitive,
        } => {
            let haystack = if *case_insensitive {
                std::borrow::Cow::Owned(text::case_fold(output))
            } else {
                std::borrow::Cow::Borrowed(output)
            };
            let missing: Vec<&String> = needles
                .iter()
                .filter(|needle| !haystack.contains(needle.as_str()))
                .collect();
            let found = needles.len() - missing.len();
            let passed = if *all { missing.is_empty() } else { found > 0 };
            let listed = missing
                .iter()
                .take(10)
                .map(|needle| format!("'{}'", text::excerpt(needle, 40)))
                .collect::<Vec<_>>()
                .join(", ");
            let notes = if missing.is_empty() {
                format!("found all {} needles", needles.len())
            } else {
                format!(
                    "found {found} of {} needles; missing {listed}",
                    needles.len()
                )
            };
            if passed {
                Grade::pass(notes)
            } else {
                Grade::fail(notes)
            }
        }
        Grader::Regex(pattern) => match pattern.find(output) {
            Some(found) => Grade::pass(format!(
                "matched '{}' at byte {}",
                text::excerpt(found.as_str(), 40),
                found.start()
            )),
            None => Grade::fail("no match"),
        },
        Grader::JsonValid => {
            match serde_json::from_str::<serde_json::Value>(text::strip_code_fence(output)) {
                Ok(_) => Grade::pass("valid JSON"),
                Err(error) => Grade::fail(format!("not valid JSON: {error}")),
            }
        }
        Grader::JsonSchema(validator) => {
            match serde_json::from_str::<serde_json::Value>(text::strip_code_fence(output)) {
                Err(error) => Grade::fail(format!("not valid JSON: {error}")),
                Ok(instance) => {
                    let errors: Vec<String> = validator
                        .iter_errors(&instance)
                        .take(3)
                        .map(|error| {
                            let path = error.instance_path().to_string();
                            let path = if path.is_empty() {
                                "/".to_owned()
                            } else {
                                path
                            };
                            format!(
                                "{path}: {}",
                                text::excerpt(
                                    &benchhub_common::grading::one_line(&error.to_string()),
                                    200
                                )
                            )
                        })
                        .collect();
                    if errors.is_empty() {
                        Grade::pass("valid against the schema")
                    } else {
                        Grade::fail(format!("schema violations: {}", errors.join("; ")))
                    }
                }
            }
        }
        Grader::Numeric {
            expected,
            abs_tolerance,
            rel_tolerance,
        } => match text::last_number(output) {
            None => Grade::fail("no number in the output"),
            Some(actual) => {
                let difference = (actual - expected).abs();
                let passed = difference == 0.0
                    || difference <= *abs_tolerance
                    || difference <= rel_tolerance * expected.abs();
                let notes = format!(
                    "found {actual}, expected {expected} (difference {difference}; tolerance abs {abs_tolerance}, rel {rel_tolerance})"
                );
                if passed {
                    Grade::pass(notes)
                } else {
                    Grade::fail(notes)
                }
            }
        },
        Grader::LlmRubric(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(spec: GraderSpec) -> Result<Grader, Error> {
        compile(
            spec,
            "grader",
            &mut CompileCache::default(),
            &Judge::for_tests(),
        )
    }

    fn grade_with(spec: GraderSpec, output: &str) -> Grade {
        grade(&build(spec).expect("valid grader"), output).expect("deterministic")
    }

    fn invalid_field(result: Result<Grader, Error>) -> (String, String) {
        match result {
            Err(Error::InvalidArgument { field, reason }) => (field, reason),
            Err(other) => panic!("expected InvalidArgument, got {other:?}"),
            Ok(_) => panic!("expected InvalidArgument, got a grader"),
        }
    }

    #[test]
    fn exact_trims_but_is_otherwise_strict() {
        let exact = |expected: &str, output: &str| {
            grade_with(
                GraderSpec::Exact {
                    expected: expected.to_owned(),
                },
                output,
            )
        };
        assert!(exact("42", " 42\n").passed);
        assert_eq!(exact("42", "42").score, 100.0);
        let failed = exact("Paris", "paris");
        assert!(!failed.passed);
        assert_eq!(failed.score, 0.0);
        assert!(failed.notes.contains("character 0"), "{}", failed.notes);
        assert!(exact("", "   ").passed);
        assert!(!exact("", "x").passed);
        assert!(exact("日本語", "日本語").passed);
    }

    #[test]
    fn normalized_exact_ignores_case_punctuation_width_and_spacing() {
        let normalized = |expected: &str, output: &str| {
            grade_with(
                GraderSpec::NormalizedExact {
                    expected: expected.to_owned(),
                },
                output,
            )
            .passed
        };
        assert!(normalized("The Eiffel Tower.", "the   eiffel tower"));
        assert!(normalized("ＡＢＣ", "abc"));
        assert!(normalized("café", "CAFE\u{0301}!"));
        assert!(!normalized("Paris", "London"));
        assert!(normalized("", "?!"));
    }

    #[test]
    fn contains_all_any_and_case() {
        let contains = |needles: &[&str], all: bool, case_insensitive: bool, output: &str| {
            grade_with(
                GraderSpec::Contains {
                    needles: needles.iter().map(|needle| (*needle).to_owned()).collect(),
                    all,
                    case_insensitive,
                },
                output,
            )
        };
        assert!(contains(&["SELECT", "INDEX"], true, false, "SELECT ... USING INDEX").passed);
        let missing = contains(&["SELECT", "JOIN"], true, false, "SELECT 1");
        assert!(!missing.passed);
        assert!(missing.notes.contains("'JOIN'"), "{}", missing.notes);
        assert!(contains(&["a", "zzz"], false, false, "abc").passed);
        assert!(!contains(&["zzz"], false, false, "abc").passed);
        assert!(contains(&["STRASSE"], true, true, "die Straße").passed);
        assert!(!contains(&["STRASSE"], true, false, "die Straße").passed);
        assert!(!contains(&["x"], true, false, "").passed);
    }

    #[test]
    fn contains_limits_are_named() {
        let (field, _) = invalid_field(build(GraderSpec::Contains {
            needles: vec![],
            all: true,
            case_insensitive: false,
        }));
        assert_eq!(field, "grader.contains.needles");
        let (field, _) = invalid_field(build(GraderSpec::Contains {
            needles: vec!["ok".to_owned(), String::new()],
            all: true,
            case_insensitive: false,
        }));
        assert_eq!(field, "grader.contains.needles[1]");
    }

    #[test]
    fn regex_matches_anywhere_and_supports_unicode() {
        let regex = |pattern: &str, output: &str| {
            grade_with(
                GraderSpec::Regex {
                    pattern: pattern.to_owned(),
                },
                output,
            )
            .passed
        };
        assert!(regex(r"\d{3}-\d{4}", "call 555-1234 now"));
        assert!(!regex(r"^\d+$", "12a"));
        assert!(regex(r"^\p{Greek}+$", "αβγ"));
        assert!(regex(r"^$", ""));
    }

    #[test]
    fn invalid_and_oversized_regexes_are_rejected_with_the_field() {
        let (field, reason) = invalid_field(build(GraderSpec::Regex {
            pattern: "(unclosed".to_owned(),
        }));
        assert_eq!(field, "grader.regex.pattern");
        assert!(
            reason.contains("not a valid regular expression"),
            "{reason}"
        );
        let (_, reason) = invalid_field(build(GraderSpec::Regex {
            pattern: r"(a)\1".to_owned(),
        }));
        assert!(reason.contains("backreferences"), "{reason}");
        let (_, reason) = invalid_field(build(GraderSpec::Regex {
            pattern: r"\w{1000}{1000}".to_owned(),
        }));
        assert!(reason.contains("limit"), "{reason}");
        let (_, reason) = invalid_field(build(GraderSpec::Regex {
            pattern: "a".repeat(MAX_PATTERN_CHARS + 1),
        }));
        assert!(reason.contains("4096"), "{reason}");
        let (_, reason) = invalid_field(build(GraderSpec::Regex {
            pattern: String::new(),
        }));
        assert!(reason.contains("1 to"), "{reason}");
    }

    #[test]
    fn regex_runs_in_linear_time_on_pathological_input() {
        let started = std::time::Instant::now();
        let grade = grade_with(
            GraderSpec::Regex {
                pattern: "(a+)+$".to_owned(),
            },
            &format!("{}b", "a".repeat(100_000)),
        );
        assert!(!grade.passed);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn json_valid_strips_one_fence() {
        let json = |output: &str| grade_with(GraderSpec::JsonValid, output);
        assert!(json(r#"{"a": [1, 2]}"#).passed);
        assert!(json("```json\n{\"a\": 1}\n```").passed);
        assert!(json("null").passed);
        let failed = json("{'a': 1}");
        assert!(!failed.passed);
        assert!(
            failed.notes.starts_with("not valid JSON"),
            "{}",
            failed.notes
        );
        assert!(!json("").passed);
    }

    #[test]
    fn json_schema_reports_violations_with_pointers() {
        let schema = r#"{"type":"object","required":["name","age"],"properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}}}"#;
        let check = |output: &str| {
            grade_with(
                GraderSpec::JsonSchema {
                    schema_json: schema.to_owned(),
                },
                output,
            )
        };
        assert!(check(r#"{"name":"Zoë","age":3}"#).passed);
        let failed = check(r#"{"name":"Zoë","age":-1}"#);
        assert!(!failed.passed);
        assert!(failed.notes.contains("/age"), "{}", failed.notes);
        assert!(!check("not json").passed);
    }

    #[test]
    fn invalid_schemas_are_rejected_with_the_field() {
        let (field, reason) = invalid_field(build(GraderSpec::JsonSchema {
            schema_json: "{not json".to_owned(),
        }));
        assert_eq!(field, "grader.json_schema.schema_json");
        assert!(reason.contains("not valid JSON"), "{reason}");
        let (_, reason) = invalid_field(build(GraderSpec::JsonSchema {
            schema_json: r#"{"type": "strin"}"#.to_owned(),
        }));
        assert!(reason.contains("not a valid JSON Schema"), "{reason}");
        let (_, reason) = invalid_field(build(GraderSpec::JsonSchema {
            schema_json: r#"{"$ref": "https://example.com/schema.json"}"#.to_owned(),
        }));
        assert!(reason.contains("not a valid JSON Schema"), "{reason}");
        let (_, reason) = invalid_field(build(GraderSpec::JsonSchema {
            schema_json: "[1]".to_owned(),
        }));
        assert!(reason.contains("object or boolean"), "{reason}");
    }

    #[test]
    fn numeric_tolerances() {
        let numeric = |expected: f64, absolute: f64, relative: f64, output: &str| {
            grade_with(
                GraderSpec::Numeric {
                    expected: Some(expected),
                    abs_tolerance: absolute,
                    rel_tolerance: relative,
                },
                output,
            )
            .passed
        };
        assert!(numeric(42.0, 0.0, 0.0, "The answer is 42"));
        assert!(!numeric(42.0, 0.0, 0.0, "The answer is 42.001"));
        assert!(numeric(42.0, 0.01, 0.0, "42.001"));
        assert!(numeric(1000.0, 0.0, 0.01, "1,009"));
        assert!(!numeric(1000.0, 0.0, 0.01, "1,011"));
        assert!(numeric(-3.5, 0.0, 0.0, "\u{2212}3.5"));
        assert!(!numeric(1.0, 1.0, 1.0, "none"));
        let (field, _) = invalid_field(build(GraderSpec::Numeric {
            expected: None,
            abs_tolerance: 0.0,
            rel_tolerance: 0.0,
        }));
        assert_eq!(field, "grader.numeric.expected");
        let (field, _) = invalid_field(build(GraderSpec::Numeric {
            expected: Some(1.0),
            abs_tolerance: -1.0,
            rel_tolerance: 0.0,
        }));
        assert_eq!(field, "grader.numeric.abs_tolerance");
    }

    #[test]
    fn compile_cache_reuses_patterns() {
        let mut cache = CompileCache::default();
        let judge = Judge::for_tests();
        let spec = GraderSpec::Regex {
            pattern: "a+".to_owned(),
        };
        let first = compile(spec.clone(), "items[0].grader", &mut cache, &judge).expect("valid");
        let second = compile(spec, "items[1].grader", &mut cache, &judge).expect("valid");
        match (first, second) {
            (Grader::Regex(first), Grader::Regex(second)) => assert!(Arc::ptr_eq(&first, &second)),
            _ => panic!("expected regex graders"),
        }
    }

    #[test]
    fn oversized_expected_text_is_rejected() {
        let (field, reason) = invalid_field(build(GraderSpec::Exact {
            expected: "x".repeat(MAX_TEXT_BYTES + 1),
        }));
        assert_eq!(field, "grader.exact.expected");
        assert!(reason.contains("262144"), "{reason}");
    }
}
