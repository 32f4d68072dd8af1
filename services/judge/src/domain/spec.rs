//! What a caller may ask of a grader, before it is compiled: the grading modes, the specs and their
//! size limits. Shared by the graders (which compile specs) and the LLM judge (which checks rubrics
//! and judge models), so neither depends on the other for them.

use crate::error::Error;

/// Largest input, output, expected text or reference answer accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Largest rubric accepted, in bytes.
pub const MAX_RUBRIC_BYTES: usize = 64 * 1024;
pub use benchhub_common::grading::{
    MAX_PATTERN_CHARS, MAX_SCHEMA_BYTES, REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT,
};
/// Most needles of a contains grader.
pub const MAX_NEEDLES: usize = 100;
/// Longest needle, in characters.
pub const MAX_NEEDLE_CHARS: usize = 1_000;

/// Names a grading mode.
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

/// The judge model a request asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JudgeSpec {
    /// `provider/model`; empty for the service's default.
    pub model: String,
    /// Sampling temperature; `None` means 0.
    pub temperature: Option<f64>,
    /// Maximum answer tokens; `None` means 1,024.
    pub max_tokens: Option<i32>,
}

/// What an LLM rubric grading asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RubricSpec {
    /// Reference answer; may be empty.
    pub expected: String,
    /// Grading instructions; may be empty (but not both).
    pub rubric: String,
    /// The judge model.
    pub judge: JudgeSpec,
    /// Models that wrote the outputs; only for the self-judging flag.
    pub candidate_models: Vec<String>,
    /// Pass threshold 0–100; `None` lets the judge's pass flag decide.
    pub pass_threshold: Option<f64>,
}

/// A grader as requested, not yet validated.
#[derive(Debug, Clone, PartialEq)]
pub enum GraderSpec {
    /// Exact equality.
    Exact {
        /// The expected text.
        expected: String,
    },
    /// Equality after normalisation.
    NormalizedExact {
        /// The expected text.
        expected: String,
    },
    /// Contains all or any needles.
    Contains {
        /// The strings to look for.
        needles: Vec<String>,
        /// Every needle (true) or at least one (false).
        all: bool,
        /// Compare case-insensitively.
        case_insensitive: bool,
    },
    /// Regex match anywhere.
    Regex {
        /// The pattern.
        pattern: String,
    },
    /// Parses as JSON.
    JsonValid,
    /// Validates against a schema.
    JsonSchema {
        /// The schema as JSON text.
        schema_json: String,
    },
    /// Number within tolerance.
    Numeric {
        /// The expected value; required.
        expected: Option<f64>,
        /// Absolute tolerance.
        abs_tolerance: f64,
        /// Relative tolerance.
        rel_tolerance: f64,
    },
    /// LLM judge.
    LlmRubric(RubricSpec),
}

/// Checks a text field's size.
pub fn check_text(field: &str, value: &str, limit: usize) -> Result<(), Error> {
    if value.len() > limit {
        return Err(Error::invalid(
            field,
            format!("must be at most {limit} bytes, got {}", value.len()),
        ));
    }
    Ok(())
}
