//! What a caller may ask of a grader, before it is compiled: the size limits, and the spec types
//! (one definition, with its proto conversion, in `benchhub_common::grading`). Shared by the graders
//! (which compile specs) and the LLM judge (which checks rubrics and judge models), so neither
//! depends on the other for them.

use crate::error::Error;

/// Largest input, output, expected text or reference answer accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Largest rubric accepted, in bytes.
pub const MAX_RUBRIC_BYTES: usize = 64 * 1024;
pub use benchhub_common::grading::{
    GraderKind, GraderSpec, JudgeSpec, MAX_NEEDLE_CHARS, MAX_NEEDLES, MAX_PATTERN_CHARS,
    MAX_SCHEMA_BYTES, REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT, RubricSpec,
};

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
