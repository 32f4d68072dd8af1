//! The one grader spec: what a case, a run or a scoring request asks of a grader, before the judge
//! compiles it. The runner stores it as JSON with its cases and runs (`{"kind": "contains", ...}`),
//! sends it to the judge as `benchhub.v1.Grader`, and the judge compiles it; `benchctl` builds it
//! from case files. Its proto conversion lives here and nowhere else.

use benchhub_proto::pb;
use serde::{Deserialize, Serialize};

/// Most needles of a contains grader.
pub const MAX_NEEDLES: usize = 100;
/// Longest needle, in characters.
pub const MAX_NEEDLE_CHARS: usize = 1_000;

/// Names a grading mode; its text form is the name stored with results (`exact`, `llm_rubric`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraderKind {
    /// Exact string equality after trimming.
    Exact,
    /// Equality after normalisation.
    NormalizedExact,
    /// Contains all or any of a list of strings.
    Contains,
    /// Matches a regular expression.
    Regex,
    /// Parses as JSON.
    JsonValid,
    /// Validates against a JSON Schema.
    JsonSchema,
    /// Number within a tolerance.
    Numeric,
    /// LLM judge against an expected output and/or rubric.
    LlmRubric,
}

impl GraderKind {
    /// Every kind, in the contract's order.
    pub const ALL: [GraderKind; 8] = [
        GraderKind::Exact,
        GraderKind::NormalizedExact,
        GraderKind::Contains,
        GraderKind::Regex,
        GraderKind::JsonValid,
        GraderKind::JsonSchema,
        GraderKind::Numeric,
        GraderKind::LlmRubric,
    ];

    /// The allowed names, for error messages.
    pub const NAMES: &'static str =
        "exact, normalized_exact, contains, regex, json_valid, json_schema, numeric or llm_rubric";

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            GraderKind::Exact => "exact",
            GraderKind::NormalizedExact => "normalized_exact",
            GraderKind::Contains => "contains",
            GraderKind::Regex => "regex",
            GraderKind::JsonValid => "json_valid",
            GraderKind::JsonSchema => "json_schema",
            GraderKind::Numeric => "numeric",
            GraderKind::LlmRubric => "llm_rubric",
        }
    }

    /// Reads a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Returns the proto enum.
    pub fn to_pb(self) -> pb::GraderKind {
        match self {
            GraderKind::Exact => pb::GraderKind::Exact,
            GraderKind::NormalizedExact => pb::GraderKind::NormalizedExact,
            GraderKind::Contains => pb::GraderKind::Contains,
            GraderKind::Regex => pb::GraderKind::Regex,
            GraderKind::JsonValid => pb::GraderKind::JsonValid,
            GraderKind::JsonSchema => pb::GraderKind::JsonSchema,
            GraderKind::Numeric => pb::GraderKind::Numeric,
            GraderKind::LlmRubric => pb::GraderKind::LlmRubric,
        }
    }

    /// Reads the proto enum's number; `None` for unspecified or unknown values.
    pub fn from_pb(value: i32) -> Option<Self> {
        Some(match pb::GraderKind::try_from(value).ok()? {
            pb::GraderKind::Unspecified => return None,
            pb::GraderKind::Exact => GraderKind::Exact,
            pb::GraderKind::NormalizedExact => GraderKind::NormalizedExact,
            pb::GraderKind::Contains => GraderKind::Contains,
            pb::GraderKind::Regex => GraderKind::Regex,
            pb::GraderKind::JsonValid => GraderKind::JsonValid,
            pb::GraderKind::JsonSchema => GraderKind::JsonSchema,
            pb::GraderKind::Numeric => GraderKind::Numeric,
            pb::GraderKind::LlmRubric => GraderKind::LlmRubric,
        })
    }
}

/// The judge model of LLM graders and pairwise comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct JudgeSpec {
    /// `provider/model`; empty means the judge service's default.
    #[serde(default)]
    pub model: String,
    /// Sampling temperature; `None` means the judge's default (0).
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Maximum tokens of the judge's answer; `None` means the judge's default (1,024).
    #[serde(default)]
    pub max_tokens: Option<i32>,
}

impl JudgeSpec {
    /// Reads the proto message; the model name is trimmed.
    pub fn from_pb(judge: pb::JudgeModel) -> Self {
        JudgeSpec {
            model: judge.model.trim().to_owned(),
            temperature: judge.temperature,
            max_tokens: judge.max_tokens,
        }
    }

    /// Returns the proto message.
    pub fn to_pb(&self) -> pb::JudgeModel {
        pb::JudgeModel {
            model: self.model.clone(),
            temperature: self.temperature,
            max_tokens: self.max_tokens,
        }
    }
}

/// What an LLM rubric grading asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RubricSpec {
    /// Reference answer; empty means the case's expected output.
    #[serde(default)]
    pub expected: String,
    /// Grading instructions; empty means the case's rubric.
    #[serde(default)]
    pub rubric: String,
    /// Judge model; `None` means the run's judge, or else the judge service's default.
    #[serde(default)]
    pub judge: Option<JudgeSpec>,
    /// Score 0–100 at or above which the output passes; `None` lets the judge's pass flag decide.
    #[serde(default)]
    pub pass_threshold: Option<f64>,
    /// Models that wrote the outputs, only for the self-judging flag. Filled per request, never
    /// stored.
    #[serde(skip)]
    pub candidate_models: Vec<String>,
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
        /// Every needle must occur (true) or at least one (false).
        #[serde(default)]
        all: bool,
        /// Compare case-insensitively.
        #[serde(default)]
        case_insensitive: bool,
    },
    /// Matches a regular expression anywhere in the output.
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
    LlmRubric(RubricSpec),
}

impl GraderSpec {
    /// Returns the grading mode.
    pub fn kind(&self) -> GraderKind {
        match self {
            GraderSpec::Exact { .. } => GraderKind::Exact,
            GraderSpec::NormalizedExact { .. } => GraderKind::NormalizedExact,
            GraderSpec::Contains { .. } => GraderKind::Contains,
            GraderSpec::Regex { .. } => GraderKind::Regex,
            GraderSpec::JsonValid => GraderKind::JsonValid,
            GraderSpec::JsonSchema { .. } => GraderKind::JsonSchema,
            GraderSpec::Numeric { .. } => GraderKind::Numeric,
            GraderSpec::LlmRubric(_) => GraderKind::LlmRubric,
        }
    }

    /// Returns whether the grader calls an LLM judge.
    pub fn is_llm(&self) -> bool {
        matches!(self, GraderSpec::LlmRubric(_))
    }

    /// Reads the proto message; `None` when it sets no grader.
    pub fn from_pb(grader: pb::Grader) -> Option<Self> {
        use pb::grader::Kind;
        Some(match grader.kind? {
            Kind::Exact(exact) => GraderSpec::Exact {
                expected: exact.expected,
            },
            Kind::NormalizedExact(normalized) => GraderSpec::NormalizedExact {
                expected: normalized.expected,
            },
            Kind::Contains(contains) => GraderSpec::Contains {
                needles: contains.needles,
                all: contains.all,
                case_insensitive: contains.case_insensitive,
            },
            Kind::Regex(regex) => GraderSpec::Regex {
                pattern: regex.pattern,
            },
            Kind::JsonValid(_) => GraderSpec::JsonValid,
            Kind::JsonSchema(schema) => GraderSpec::JsonSchema {
                schema_json: schema.schema_json,
            },
            Kind::Numeric(numeric) => GraderSpec::Numeric {
                expected: numeric.expected,
                abs_tolerance: numeric.abs_tolerance,
                rel_tolerance: numeric.rel_tolerance,
            },
            Kind::LlmRubric(rubric) => GraderSpec::LlmRubric(RubricSpec {
                expected: rubric.expected,
                rubric: rubric.rubric,
                judge: rubric.judge.map(JudgeSpec::from_pb),
                pass_threshold: rubric.pass_threshold,
                candidate_models: rubric.candidate_models,
            }),
        })
    }

    /// Returns the proto message.
    pub fn to_pb(&self) -> pb::Grader {
        use pb::grader::Kind;
        let kind = match self {
            GraderSpec::Exact { expected } => Kind::Exact(pb::ExactGrader {
                expected: expected.clone(),
            }),
            GraderSpec::NormalizedExact { expected } => {
                Kind::NormalizedExact(pb::NormalizedExactGrader {
                    expected: expected.clone(),
                })
            }
            GraderSpec::Contains {
                needles,
                all,
                case_insensitive,
            } => Kind::Contains(pb::ContainsGrader {
                needles: needles.clone(),
                all: *all,
                case_insensitive: *case_insensitive,
            }),
            GraderSpec::Regex { pattern } => Kind::Regex(pb::RegexGrader {
                pattern: pattern.clone(),
            }),
            GraderSpec::JsonValid => Kind::JsonValid(pb::JsonValidGrader {}),
            GraderSpec::JsonSchema { schema_json } => Kind::JsonSchema(pb::JsonSchemaGrader {
                schema_json: schema_json.clone(),
            }),
            GraderSpec::Numeric {
                expected,
                abs_tolerance,
                rel_tolerance,
            } => Kind::Numeric(pb::NumericGrader {
                expected: *expected,
                abs_tolerance: *abs_tolerance,
                rel_tolerance: *rel_tolerance,
            }),
            GraderSpec::LlmRubric(rubric) => Kind::LlmRubric(pb::LlmRubricGrader {
                expected: rubric.expected.clone(),
                rubric: rubric.rubric.clone(),
                judge: rubric.judge.as_ref().map(JudgeSpec::to_pb),
                candidate_models: rubric.candidate_models.clone(),
                pass_threshold: rubric.pass_threshold,
            }),
        };
        pb::Grader { kind: Some(kind) }
    }

    /// Returns the grader to apply to a case: empty expectations are filled from the case's expected
    /// output and rubric, an LLM grader without a judge gets the run's judge, and an LLM grader
    /// learns the run's models (for the self-judging flag).
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
            GraderSpec::LlmRubric(spec) => {
                let rubric_text = if spec.rubric.is_empty() {
                    rubric.unwrap_or("").to_owned()
                } else {
                    spec.rubric.clone()
                };
                let expected = fill(&spec.expected);
                if expected.is_empty() && rubric_text.is_empty() {
                    return Err(
                        "the llm_rubric grader needs an expected output or a rubric".to_owned()
                    );
                }
                GraderSpec::LlmRubric(RubricSpec {
                    expected,
                    rubric: rubric_text,
                    judge: spec.judge.clone().or_else(|| run_judge.cloned()),
                    pass_threshold: spec.pass_threshold,
                    candidate_models: spec.candidate_models.clone(),
                })
            }
            other => other.clone(),
        };
        Ok(grader)
    }

    /// Checks the bounds every holder of a grader enforces the same way — a contains grader's needles,
    /// a numeric grader's expected value (when set) and tolerances, an LLM grader's pass threshold —
    /// so the runner accepts exactly what the judge will. On failure returns the bad sub-field (to
    /// follow the grader's path, e.g. `contains.needles[2]`) and why. Patterns and schemas are checked
    /// by compiling them ([`super::compile_pattern`], [`super::compile_schema`]); text sizes by each
    /// service's limits.
    pub fn check_bounds(&self) -> Result<(), (String, String)> {
        match self {
            GraderSpec::Contains { needles, .. } => {
                if needles.is_empty() || needles.len() > MAX_NEEDLES {
                    return Err((
                        "contains.needles".to_owned(),
                        format!(
                            "must hold 1 to {MAX_NEEDLES} strings, got {}",
                            needles.len()
                        ),
                    ));
                }
                for (index, needle) in needles.iter().enumerate() {
                    let characters = needle.chars().count();
                    if characters == 0 || characters > MAX_NEEDLE_CHARS {
                        return Err((
                            format!("contains.needles[{index}]"),
                            format!("must be 1 to {MAX_NEEDLE_CHARS} characters, got {characters}"),
                        ));
                    }
                }
            }
            GraderSpec::Numeric {
                expected,
                abs_tolerance,
                rel_tolerance,
            } => {
                if expected.is_some_and(|value| !value.is_finite()) {
                    return Err((
                        "numeric.expected".to_owned(),
                        "must be a finite number".to_owned(),
                    ));
                }
                for (name, value) in [
                    ("abs_tolerance", abs_tolerance),
                    ("rel_tolerance", rel_tolerance),
                ] {
                    if !value.is_finite() || *value < 0.0 {
                        return Err((
                            format!("numeric.{name}"),
                            format!("must be a finite number of at least 0, got {value}"),
                        ));
                    }
                }
            }
            GraderSpec::LlmRubric(RubricSpec {
                pass_threshold: Some(threshold),
                ..
            }) if !(0.0..=100.0).contains(threshold) => {
                return Err((
                    "llm_rubric.pass_threshold".to_owned(),
                    format!("must be between 0 and 100, got {threshold}"),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Sets the models whose outputs an LLM grader judges (for the self-judging flag); other graders
    /// are returned as they are.
    #[must_use]
    pub fn with_candidate_models(mut self, models: &[String]) -> Self {
        if let GraderSpec::LlmRubric(spec) = &mut self {
            spec.candidate_models = models.to_vec();
        }
        self
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

    fn every_grader() -> Vec<GraderSpec> {
        vec![
            GraderSpec::Exact {
                expected: "4".to_owned(),
            },
            GraderSpec::NormalizedExact {
                expected: "Paris".to_owned(),
            },
            GraderSpec::Contains {
                needles: vec!["a".to_owned(), "b".to_owned()],
                all: true,
                case_insensitive: true,
            },
            GraderSpec::Regex {
                pattern: "^a+$".to_owned(),
            },
            GraderSpec::JsonValid,
            GraderSpec::JsonSchema {
                schema_json: "{\"type\":\"object\"}".to_owned(),
            },
            GraderSpec::Numeric {
                expected: Some(3.5),
                abs_tolerance: 0.1,
                rel_tolerance: 0.01,
            },
            GraderSpec::LlmRubric(RubricSpec {
                expected: "x".to_owned(),
                rubric: "be terse".to_owned(),
                judge: Some(JudgeSpec {
                    model: "fake/judge".to_owned(),
                    temperature: Some(0.2),
                    max_tokens: Some(64),
                }),
                pass_threshold: Some(70.0),
                candidate_models: vec!["fake/good".to_owned()],
            }),
        ]
    }

    #[test]
    fn every_grader_round_trips_through_the_proto_and_its_kind_through_every_form() {
        let graders = every_grader();
        assert_eq!(graders.len(), GraderKind::ALL.len());
        for grader in graders {
            let back = GraderSpec::from_pb(grader.to_pb()).expect("sets a grader");
            assert_eq!(back, grader);
            let kind = grader.kind();
            assert_eq!(GraderKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(GraderKind::from_pb(kind.to_pb() as i32), Some(kind));
            assert!(GraderKind::NAMES.contains(kind.as_str()));
        }
        assert_eq!(GraderSpec::from_pb(pb::Grader { kind: None }), None);
        assert_eq!(GraderKind::from_pb(0), None);
        assert_eq!(GraderKind::from_name("fuzzy"), None);
    }

    #[test]
    fn stored_json_keeps_its_shape_and_never_holds_candidate_models() {
        let stored = r#"{"kind":"llm_rubric","expected":"","rubric":"be terse","judge":{"model":"fake/judge","temperature":null,"max_tokens":null},"pass_threshold":70.0}"#;
        let grader: GraderSpec = serde_json::from_str(stored).expect("parses");
        assert!(matches!(
            &grader,
            GraderSpec::LlmRubric(RubricSpec { rubric, judge: Some(judge), .. })
                if rubric == "be terse" && judge.model == "fake/judge"
        ));
        let with_models = grader
            .clone()
            .with_candidate_models(&["fake/good".to_owned()]);
        assert_eq!(serde_json::to_string(&with_models).expect("writes"), stored);
        let contains: GraderSpec =
            serde_json::from_str(r#"{"kind":"contains","needles":["a"]}"#).expect("parses");
        assert_eq!(
            contains,
            GraderSpec::Contains {
                needles: vec!["a".to_owned()],
                all: false,
                case_insensitive: false
            }
        );
        assert_eq!(
            serde_json::to_string(&GraderSpec::JsonValid).expect("writes"),
            r#"{"kind":"json_valid"}"#
        );
    }

    #[test]
    fn bounds_name_the_bad_sub_field() {
        let field = |grader: GraderSpec| grader.check_bounds().expect_err("out of bounds").0;
        let contains = |needles: Vec<String>| GraderSpec::Contains {
            needles,
            all: true,
            case_insensitive: false,
        };
        assert_eq!(field(contains(Vec::new())), "contains.needles");
        assert_eq!(
            field(contains(vec!["a".to_owned(), String::new()])),
            "contains.needles[1]"
        );
        assert_eq!(
            field(contains(vec!["x".repeat(MAX_NEEDLE_CHARS + 1)])),
            "contains.needles[0]"
        );
        let numeric = |expected: Option<f64>, abs_tolerance: f64| GraderSpec::Numeric {
            expected,
            abs_tolerance,
            rel_tolerance: 0.0,
        };
        assert_eq!(field(numeric(Some(f64::NAN), 0.0)), "numeric.expected");
        assert_eq!(field(numeric(None, -1.0)), "numeric.abs_tolerance");
        assert_eq!(field(numeric(None, f64::INFINITY)), "numeric.abs_tolerance");
        assert!(numeric(None, 0.5).check_bounds().is_ok());
        let threshold = GraderSpec::LlmRubric(RubricSpec {
            pass_threshold: Some(101.0),
            ..RubricSpec::default()
        });
        assert_eq!(field(threshold), "llm_rubric.pass_threshold");
        for grader in every_grader() {
            assert_eq!(grader.check_bounds(), Ok(()), "{grader:?}");
        }
    }

    #[test]
    fn the_judge_model_is_trimmed_once_on_the_way_in() {
        let judge = JudgeSpec::from_pb(pb::JudgeModel {
            model: "  fake/judge ".to_owned(),
            temperature: None,
            max_tokens: None,
        });
        assert_eq!(judge.model, "fake/judge");
    }

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
        let grader = GraderSpec::LlmRubric(RubricSpec {
            pass_threshold: Some(70.0),
            ..RubricSpec::default()
        });
        let judge = JudgeSpec {
            model: "fake/judge".to_owned(),
            ..JudgeSpec::default()
        };
        let filled = grader
            .for_case(None, Some("be terse"), Some(&judge))
            .expect("rubric given");
        assert!(
            matches!(&filled, GraderSpec::LlmRubric(RubricSpec { judge: Some(spec), rubric, .. }) if spec.model == "fake/judge" && rubric == "be terse")
        );
        assert!(grader.for_case(None, None, Some(&judge)).is_err());
    }
}
