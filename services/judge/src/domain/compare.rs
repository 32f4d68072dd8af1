//! Pairwise comparison: the judge sees both outputs in both orders, (A, B) then (B, A), and the two
//! verdicts are combined so that position bias cancels or shows up as "inconsistent".

use crate::domain::graders::{JudgeSpec, MAX_RUBRIC_BYTES, MAX_TEXT_BYTES, check_text};
use crate::domain::judge::{Judge, JudgeFailure, PreparedJudge};
use crate::domain::prompt::Preference;
use crate::error::Error;

/// One order's verdict in terms of the caller's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Output A is better.
    A,
    /// Output B is better.
    B,
    /// Equally good.
    Tie,
}

/// The combined verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combined {
    /// Both orders prefer A.
    A,
    /// Both orders prefer B.
    B,
    /// Both say tie, or one says tie and the other names a winner.
    Tie,
    /// The orders pick opposite winners: the judge followed position, not content.
    Inconsistent,
}

/// Combines the verdict with A shown first and the verdict with B shown first.
pub fn combine(a_first: Side, b_first: Side) -> Combined {
    match (a_first, b_first) {
        (Side::A, Side::A) => Combined::A,
        (Side::B, Side::B) => Combined::B,
        (Side::A, Side::B) | (Side::B, Side::A) => Combined::Inconsistent,
        (Side::Tie, _) | (_, Side::Tie) => Combined::Tie,
    }
}

/// A comparison as requested.
#[derive(Debug, Clone, Default)]
pub struct ComparisonSpec {
    /// The task.
    pub input: String,
    /// Output A.
    pub output_a: String,
    /// Output B.
    pub output_b: String,
    /// Reference answer; may be empty.
    pub expected: String,
    /// Grading instructions; may be empty.
    pub rubric: String,
    /// The judge model.
    pub judge: JudgeSpec,
    /// Models that wrote the outputs (self-judging flag only).
    pub candidate_models: Vec<String>,
}

/// A validated comparison.
#[derive(Debug, Clone)]
pub struct PreparedComparison {
    spec: ComparisonSpec,
    judge: PreparedJudge,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonOutcome {
    /// Combined verdict; `None` when an order produced no verdict.
    pub verdict: Option<Combined>,
    /// Verdict with A shown first.
    pub a_first: Option<Side>,
    /// Verdict with B shown first, mapped back to A and B.
    pub b_first: Option<Side>,
    /// Notes of the A-first order.
    pub notes_a_first: String,
    /// Notes of the B-first order.
    pub notes_b_first: String,
    /// Whether the judge model is one of the candidates.
    pub self_judged: bool,
    /// The judge model.
    pub judge_model: String,
    /// Why judging failed; empty on success.
    pub error: String,
    /// Input tokens the judge consumed over both orders (repair retries included).
    pub judge_input_tokens: u64,
    /// Output tokens the judge produced over both orders.
    pub judge_output_tokens: u64,
}

/// Validates a comparison and resolves its judge.
pub fn prepare(spec: ComparisonSpec, judge: &Judge) -> Result<PreparedComparison, Error> {
    if spec.input.trim().is_empty() {
        return Err(Error::invalid(
            "input",
            "is required: the task both outputs answer",
        ));
    }
    check_text("input", &spec.input, MAX_TEXT_BYTES)?;
    check_text("output_a", &spec.output_a, MAX_TEXT_BYTES)?;
    check_text("output_b", &spec.output_b, MAX_TEXT_BYTES)?;
    check_text("expected", &spec.expected, MAX_TEXT_BYTES)?;
    check_text("rubric", &spec.rubric, MAX_RUBRIC_BYTES)?;
    let prepared = judge.prepare_judge(&spec.judge, &spec.candidate_models, "")?;
    Ok(PreparedComparison {
        spec,
        judge: prepared,
    })
}

/// Judges both orders concurrently and combines them. Provider failures are an error; a malformed
/// answer (after the repair retry) leaves that order's verdict empty and says why.
#[tracing::instrument(skip_all, fields(judge = %comparison.judge.model.name))]
pub async fn compare(
    judge: &Judge,
    comparison: PreparedComparison,
) -> Result<ComparisonOutcome, Error> {
    let spec = &comparison.spec;
    let a_first = judge.prefer(
        &comparison.judge,
        &spec.input,
        &spec.expected,
        &spec.rubric,
        &spec.output_a,
        &spec.output_b,
    );
    let b_first = judge.prefer(
        &comparison.judge,
        &spec.input,
        &spec.expected,
        &spec.rubric,
        &spec.output_b,
        &spec.output_a,
    );
    let ((a_first, usage_a), (b_first, usage_b)) = futures::join!(a_first, b_first);
    let judge_model = comparison.judge.model.name.clone();
    for failure in [&a_first, &b_first]
        .into_iter()
        .filter_map(|result| result.as_ref().err())
    {
        if let Some(error) = failure.to_error(&judge_model) {
            return Err(error);
        }
    }
    let side_a_first = |preference: Preference| match preference {
        Preference::First => Side::A,
        Preference::Second => Side::B,
        Preference::Tie => Side::Tie,
    };
    let side_b_first = |preference: Preference| match preference {
        Preference::First => Side::B,
        Preference::Second => Side::A,
        Preference::Tie => Side::Tie,
    };
    let mut errors = Vec::new();
    let mut describe = |order: &str, failure: &JudgeFailure| {
        errors.push(format!("{order} order: {}", failure.describe(&judge_model)));
    };
    let (a_first_side, notes_a_first) = match &a_first {
        Ok(verdict) => (
            Some(side_a_first(verdict.preference)),
            verdict.notes.clone(),
        ),
        Err(failure) => {
            describe("A-first", failure);
            (None, String::new())
        }
    };
    let (b_first_side, notes_b_first) = match &b_first {
        Ok(verdict) => (
            Some(side_b_first(verdict.preference)),
            verdict.notes.clone(),
        ),
        Err(failure) => {
            describe("B-first", failure);
            (None, String::new())
        }
    };
    let verdict = match (a_first_side, b_first_side) {
        (Some(first), Some(second)) => Some(combine(first, second)),
        _ => None,
    };
    Ok(ComparisonOutcome {
        verdict,
        a_first: a_first_side,
        b_first: b_first_side,
        notes_a_first,
        notes_b_first,
        self_judged: comparison.judge.self_judged,
        judge_model,
        error: errors.join("; "),
        judge_input_tokens: usage_a.input_tokens + usage_b.input_tokens,
        judge_output_tokens: usage_a.output_tokens + usage_b.output_tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combination_table() {
        assert_eq!(combine(Side::A, Side::A), Combined::A);
        assert_eq!(combine(Side::B, Side::B), Combined::B);
        assert_eq!(combine(Side::A, Side::B), Combined::Inconsistent);
        assert_eq!(combine(Side::B, Side::A), Combined::Inconsistent);
        assert_eq!(combine(Side::Tie, Side::Tie), Combined::Tie);
        assert_eq!(combine(Side::A, Side::Tie), Combined::Tie);
        assert_eq!(combine(Side::Tie, Side::B), Combined::Tie);
    }

    #[test]
    fn input_is_required() {
        match prepare(ComparisonSpec::default(), &Judge::for_tests()) {
            Err(Error::InvalidArgument { field, .. }) => assert_eq!(field, "input"),
            _ => panic!("expected InvalidArgument"),
        }
    }
}
