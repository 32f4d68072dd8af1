//! Grading configuration as stored with cases and runs (JSON), mirroring the judge contract's `Grader`.

use serde::{Deserialize, Serialize};

/// The judge model of LLM graders and pairwise comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct JudgeSpec {
    /// `provider/model`; empty means the judge service's default.
    #[serde(default)]
    pub model: String,
    /// Sampling temperature; `None` means the judge's default (0).
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Maximum tokens of the judge's answer; `None` means the judge's default.
    #[serde(default)]
    pub max_tokens: Option<i32>,
}

/// One grading mode with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GraderSpec {
    /// Exact equality after trimming.
    Exact {
        /// Expected text; empty means the case's expected output.
        #[serde(default)]
        expected: String,
    },
    /// Equality after normalisation.
    NormalizedExact {
        /// Expected text; empty means the case's expected output.
        #[serde(default)]
        expected: String,
    },
    /// Contains all or any of the needles.
    Contains {
        /// Strings to look for.
        needles: Vec<String>,
        /// Every needle must occur.
        #[serde(default)]
        all: bool,
        /// Compare case-insensitively.
        #[serde(default)]
        case_insensitive: bool,
    },
    /// Matches a regular expression.
    Regex {
        /// The pattern.
        pattern: String,
    },
    /// Parses as JSON.
    JsonValid,
    /// Validates against a JSON Schema.
    JsonSchema {
        /// The schema as JSON text.
        schema_json: String,
    },
    /// Number within a tolerance.
    Numeric {
        /// Expected value; `None` means parse the case's expected output.
        #[serde(default)]
        expected: Option<f64>,
        /// Absolute tolerance.
        #[serde(default)]
        abs_tolerance: f64,
        /// Relative tolerance.
        #[serde(default)]
        rel_tolerance: f64,
    },
    /// LLM judge against an expected output and/or rubric.
    LlmRubric {
        /// Reference answer; empty means the case's expected output.
        #[serde(default)]
        expected: String,
        /// Grading instructions; empty means the case's rubric.
        #[serde(default)]
        rubric: String,
        /// Judge model; `None` means the run's judge.
        #[serde(default)]
        judge: Option<JudgeSpec>,
        /// Score at or above which the output passes.
        #[serde(default)]
        pass_threshold: Option<f64>,
    },
}

impl GraderSpec {
    /// Returns the grader's short name, as stored with results (`exact`, `llm_rubric`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            GraderSpec::Exact { .. } => "exact",
            GraderSpec::NormalizedExact { .. } => "normalized_exact",
            GraderSpec::Contains { .. } => "contains",
            GraderSpec::Regex { .. } => "regex",
            GraderSpec::JsonValid => "json_valid",
            GraderSpec::JsonSchema { .. } => "json_schema",
            GraderSpec::Numeric { .. } => "numeric",
            GraderSpec::LlmRubric { .. } => "llm_rubric",
        }
    }

    /// Returns whether the grader calls an LLM judge.
    pub fn is_llm(&self) -> bool {
        matches!(self, GraderSpec::LlmRubric { .. })
    }

    /// Returns the grader to apply to a case: empty expectations are filled from the case's expected
    /// output and rubric, and an LLM grader without a judge gets the run's judge.
    pub fn for_case(
        &self,
        expected_output: Option<&str>,
        rubric: Option<&str>,
        run_judge: Option<&JudgeSpec>,
    ) -> Result<GraderSpec, String> {
        let expected_text = expected_output.unwrap_or("");
        let fill = |value: &str| -> String {
            if value.is_empty() {
                expected_text.to_owned()
            } else {
                value.to_owned()
            }
        };
        let grader = match self {
            GraderSpec::Exact { expected } => GraderSpec::Exact {
                expected: fill(expected),
            },
            GraderSpec::NormalizedExact { expected } => GraderSpec::NormalizedExact {
                expected: fill(expected),
            },
            GraderSpec::Numeric {
                expected,
                abs_tolerance,
                rel_tolerance,
            } => {
                let expected = match expected {
                    Some(value) => Some(*value),
                    None => Some(parse_number(expected_text).ok_or_else(|| {
                        "the numeric grader has no expected value and the case's expected output is not a number".to_owned()
                    })?),
                };
                GraderSpec::Numeric {
                    expected,
                    abs_tolerance: *abs_tolerance,
                    rel_tolerance: *rel_tolerance,
                }
            }
            GraderSpec::LlmRubric {
                expected,
                rubric: grader_rubric,
                judge,
                pass_threshold,
            } => {
                let rubric_text = if grader_rubric.is_empty() {
                    rubric.unwrap_or("").to_owned()
                } else {
                    grader_rubric.clone()
                };
                let expected = fill(expected);
                if expected.is_empty() && rubric_text.is_empty() {
                    return Err(
                        "the llm_rubric grader needs an expected output or a rubric".to_owned()
                    );
                }
                GraderSpec::LlmRubric {
                    expected,
                    rubric: rubric_text,
                    judge: judge.clone().or_else(|| run_judge.cloned()),
                    pass_threshold: *pass_threshold,
                }
            }
            other => other.clone(),
        };
        Ok(grader)
    }
}

/// Parses a number the way the numeric grader reads an expected output: the whole trimmed text,
/// ignoring thousands separators.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_expectations_come_from_the_case() {
        let grader = GraderSpec::Exact {
            expected: String::new(),
        };
        assert_eq!(
            grader.for_case(Some("42"), None, None),
            Ok(GraderSpec::Exact {
                expected: "42".to_owned()
            })
        );
        let numeric = GraderSpec::Numeric {
            expected: None,
            abs_tolerance: 0.5,
            rel_tolerance: 0.0,
        };
        assert!(matches!(
            numeric.for_case(Some("1,200"), None, None),
            Ok(GraderSpec::Numeric {
                expected: Some(value),
                ..
            }) if value == 1200.0
        ));
        assert!(numeric.for_case(Some("many"), None, None).is_err());
    }

    #[test]
    fn llm_rubric_takes_the_run_judge_and_needs_an_expectation() {
        let grader = GraderSpec::LlmRubric {
            expected: String::new(),
            rubric: String::new(),
            judge: None,
            pass_threshold: Some(70.0),
        };
        let judge = JudgeSpec {
            model: "fake/judge".to_owned(),
            ..JudgeSpec::default()
        };
        let filled = grader
            .for_case(None, Some("be terse"), Some(&judge))
            .expect("rubric given");
        assert!(
            matches!(filled, GraderSpec::LlmRubric { judge: Some(ref spec), ref rubric, .. } if spec.model == "fake/judge" && rubric == "be terse")
        );
        assert!(grader.for_case(None, None, Some(&judge)).is_err());
    }

    #[test]
    fn graders_round_trip_through_json() {
        let grader = GraderSpec::Contains {
            needles: vec!["a".to_owned()],
            all: true,
            case_insensitive: false,
        };
        let text = serde_json::to_string(&grader).expect("serialises");
        assert!(text.contains("\"kind\":\"contains\""), "{text}");
        assert_eq!(
            serde_json::from_str::<GraderSpec>(&text).expect("parses"),
            grader
        );
        assert_eq!(GraderSpec::JsonValid.kind(), "json_valid");
    }
}
