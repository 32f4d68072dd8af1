//! Score and ScoreBatch: validate every item first, then grade — deterministic graders on a blocking
//! thread, LLM rubric items concurrently (bounded) — and return the results in request order.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::domain::graders::{
    self, CompileCache, Grader, GraderKind, GraderSpec, MAX_TEXT_BYTES, check_text,
};
use crate::domain::judge::{Judge, JudgeFailure, PreparedRubric};
use crate::error::Error;

/// Most items of one ScoreBatch.
pub const MAX_BATCH_ITEMS: usize = 10_000;
/// Items graded at once when a batch asks for 0.
pub const DEFAULT_BATCH_CONCURRENCY: usize = 16;
/// Largest concurrency a batch may ask for.
pub const MAX_BATCH_CONCURRENCY: usize = 256;
/// Deterministic items graded inline (below this count) rather than on a blocking thread.
const INLINE_DETERMINISTIC_ITEMS: usize = 32;

/// One output to grade, as requested.
#[derive(Debug, Clone)]
pub struct ItemSpec {
    /// The task (shown to the LLM judge only).
    pub input: String,
    /// The output to grade.
    pub output: String,
    /// How to grade it; `None` when the request left it unset.
    pub grader: Option<GraderSpec>,
}

/// One output ready to grade.
#[derive(Debug, Clone)]
pub struct ScoreItem {
    /// The task.
    pub input: String,
    /// The output.
    pub output: String,
    /// The compiled grader.
    pub grader: Grader,
}

/// The outcome of grading one output.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreOutcome {
    /// 0–100; `None` when grading failed.
    pub score: Option<f64>,
    /// Whether it passed; `None` when grading failed.
    pub passed: Option<bool>,
    /// The grader.
    pub grader: GraderKind,
    /// What the grader or judge said.
    pub notes: String,
    /// Why grading failed; empty on success.
    pub error: String,
    /// Whether the judge model is one of the candidates.
    pub self_judged: bool,
    /// The judge model (`provider/model`); empty for deterministic graders.
    pub judge_model: String,
    /// Judge prompts sent.
    pub judge_attempts: u32,
    /// Judge input tokens.
    pub judge_input_tokens: u64,
    /// Judge output tokens.
    pub judge_output_tokens: u64,
    /// Wall time of grading.
    pub latency: Duration,
}

/// Validates one item; `prefix` is its path with a trailing dot (`""` for Score, `items[3].` in a
/// batch).
pub fn prepare_item(
    spec: ItemSpec,
    prefix: &str,
    cache: &mut CompileCache,
    judge: &Judge,
) -> Result<ScoreItem, Error> {
    check_text(&format!("{prefix}input"), &spec.input, MAX_TEXT_BYTES)?;
    check_text(&format!("{prefix}output"), &spec.output, MAX_TEXT_BYTES)?;
    let grader_field = format!("{prefix}grader");
    let grader_spec = spec.grader.ok_or_else(|| {
        Error::invalid(
            &grader_field,
            "is required: set one of exact, normalized_exact, contains, regex, json_valid, json_schema, numeric, llm_rubric",
        )
    })?;
    Ok(ScoreItem {
        input: spec.input,
        output: spec.output,
        grader: graders::compile(grader_spec, &grader_field, cache, judge)?,
    })
}

/// Validates every item of a batch before any is graded; the first invalid one fails the batch.
pub fn prepare_batch(specs: Vec<ItemSpec>, judge: &Judge) -> Result<Vec<ScoreItem>, Error> {
    if specs.is_empty() || specs.len() > MAX_BATCH_ITEMS {
        return Err(Error::invalid(
            "items",
            format!(
                "must hold 1 to {MAX_BATCH_ITEMS} items, got {}",
                specs.len()
            ),
        ));
    }
    let mut cache = CompileCache::default();
    specs
        .into_iter()
        .enumerate()
        .map(|(index, spec)| prepare_item(spec, &format!("items[{index}]."), &mut cache, judge))
        .collect()
}

/// Grades an item with a deterministic grader; `None` for an LLM rubric item.
pub fn grade_deterministic(item: &ScoreItem) -> Option<ScoreOutcome> {
    let started = Instant::now();
    let grade = graders::grade(&item.grader, &item.output)?;
    Some(ScoreOutcome {
        score: Some(grade.score),
        passed: Some(grade.passed),
        grader: item.grader.kind(),
        notes: grade.notes,
        error: String::new(),
        self_judged: false,
        judge_model: String::new(),
        judge_attempts: 0,
        judge_input_tokens: 0,
        judge_output_tokens: 0,
        latency: started.elapsed(),
    })
}

/// Grades an item with the LLM judge. A malformed judge answer is an outcome with an error; a provider
/// failure is returned as `Err` so a single Score can answer with a status.
pub async fn grade_llm(
    judge: &Judge,
    rubric: &PreparedRubric,
    input: &str,
    output: &str,
) -> Result<ScoreOutcome, (JudgeFailure, ScoreOutcome)> {
    let started = Instant::now();
    let (verdict, usage) = judge.grade_rubric(rubric, input, output).await;
    let mut outcome = ScoreOutcome {
        score: None,
        passed: None,
        grader: GraderKind::LlmRubric,
        notes: String::new(),
        error: String::new(),
        self_judged: rubric.judge.self_judged,
        judge_model: rubric.judge.model.name.clone(),
        judge_attempts: usage.attempts,
        judge_input_tokens: usage.input_tokens,
        judge_output_tokens: usage.output_tokens,
        latency: Duration::ZERO,
    };
    let result = match verdict {
        Ok(verdict) => {
            outcome.score = Some(verdict.score);
            outcome.passed = Some(verdict.passed);
            outcome.notes = verdict.notes;
            Ok(())
        }
        Err(failure) => {
            outcome.error = failure.describe(&outcome.judge_model);
            match failure {
                JudgeFailure::Malformed(_) => Ok(()),
                provider => Err(provider),
            }
        }
    };
    outcome.latency = started.elapsed();
    match result {
        Ok(()) => Ok(outcome),
        Err(failure) => Err((failure, outcome)),
    }
}

/// Grades one item for Score: provider failures become an RPC error.
pub async fn score_one(judge: &Judge, item: ScoreItem) -> Result<ScoreOutcome, Error> {
    if let Grader::LlmRubric(rubric) = &item.grader {
        return grade_llm(judge, rubric, &item.input, &item.output)
            .await
            .map_err(|(failure, outcome)| {
                failure
                    .to_error(&outcome.judge_model)
                    .unwrap_or_else(|| Error::Internal(anyhow::anyhow!("unexpected judge failure")))
            });
    }
    grade_deterministic(&item)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("deterministic grader produced no grade")))
}

/// An item with its position in the request.
type IndexedItem = (usize, ScoreItem);

/// Grades every item, at most `concurrency` LLM items at a time; results are in request order and a
/// failing item carries its error instead of failing the batch.
#[tracing::instrument(skip_all, fields(items = items.len(), concurrency = concurrency))]
pub async fn score_batch(
    judge: &Judge,
    items: Vec<ScoreItem>,
    concurrency: usize,
) -> Vec<ScoreOutcome> {
    let total = items.len();
    let (llm_items, deterministic_items): (Vec<IndexedItem>, Vec<IndexedItem>) = items
        .into_iter()
        .enumerate()
        .partition(|(_, item)| matches!(item.grader, Grader::LlmRubric(_)));

    let grade_all = |items: Vec<IndexedItem>| -> Vec<(usize, ScoreOutcome)> {
        items
            .iter()
            .filter_map(|(index, item)| grade_deterministic(item).map(|outcome| (*index, outcome)))
            .collect()
    };
    let deterministic = async {
        if deterministic_items.len() <= INLINE_DETERMINISTIC_ITEMS {
            return grade_all(deterministic_items);
        }
        match tokio::task::spawn_blocking(move || grade_all(deterministic_items)).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                tracing::error!(error = %error, "deterministic grading task failed");
                Vec::new()
            }
        }
    };
    let llm = futures::stream::iter(llm_items)
        .map(|(index, item)| async move {
            let Grader::LlmRubric(rubric) = &item.grader else {
                return (index, None);
            };
            // A failed grading still carries its outcome (the error and what the judge spent).
            let (Ok(outcome) | Err((_, outcome))) =
                grade_llm(judge, rubric, &item.input, &item.output).await;
            (index, Some(outcome))
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>();
    let (deterministic, llm) = futures::join!(deterministic, llm);

    let mut results: Vec<Option<ScoreOutcome>> = vec![None; total];
    for (index, outcome) in deterministic {
        results[index] = Some(outcome);
    }
    for (index, outcome) in llm {
        results[index] = outcome;
    }
    results
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| ScoreOutcome {
                score: None,
                passed: None,
                grader: GraderKind::Exact,
                notes: String::new(),
                error: "grading did not complete (internal error)".to_owned(),
                self_judged: false,
                judge_model: String::new(),
                judge_attempts: 0,
                judge_input_tokens: 0,
                judge_output_tokens: 0,
                latency: Duration::ZERO,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(output: &str, grader: Option<GraderSpec>) -> ItemSpec {
        ItemSpec {
            input: String::new(),
            output: output.to_owned(),
            grader,
        }
    }

    #[test]
    fn every_item_is_validated_before_any_is_graded() {
        let judge = Judge::for_tests();
        let specs = vec![
            spec("a", Some(GraderSpec::JsonValid)),
            spec(
                "b",
                Some(GraderSpec::Regex {
                    pattern: "(".to_owned(),
                }),
            ),
        ];
        match prepare_batch(specs, &judge) {
            Err(Error::InvalidArgument { field, .. }) => {
                assert_eq!(field, "items[1].grader.regex.pattern");
            }
            _ => panic!("expected InvalidArgument"),
        }
        match prepare_batch(vec![spec("a", None)], &judge) {
            Err(Error::InvalidArgument { field, .. }) => assert_eq!(field, "items[0].grader"),
            _ => panic!("expected InvalidArgument"),
        }
        match prepare_batch(Vec::new(), &judge) {
            Err(Error::InvalidArgument { field, .. }) => assert_eq!(field, "items"),
            _ => panic!("expected InvalidArgument"),
        }
        let huge = "x".repeat(MAX_TEXT_BYTES + 1);
        match prepare_batch(vec![spec(&huge, Some(GraderSpec::JsonValid))], &judge) {
            Err(Error::InvalidArgument { field, .. }) => assert_eq!(field, "items[0].output"),
            _ => panic!("expected InvalidArgument"),
        }
    }

    #[tokio::test]
    async fn batch_results_keep_request_order() {
        let judge = Judge::for_tests();
        let specs: Vec<ItemSpec> = (0..100)
            .map(|index| {
                spec(
                    &index.to_string(),
                    Some(GraderSpec::Numeric {
                        expected: Some(if index % 2 == 0 { index as f64 } else { -1.0 }),
                        abs_tolerance: 0.0,
                        rel_tolerance: 0.0,
                    }),
                )
            })
            .collect();
        let items = prepare_batch(specs, &judge).expect("valid");
        let outcomes = score_batch(&judge, items, 8).await;
        assert_eq!(outcomes.len(), 100);
        for (index, outcome) in outcomes.iter().enumerate() {
            assert_eq!(outcome.passed, Some(index % 2 == 0), "item {index}");
            assert_eq!(outcome.grader, GraderKind::Numeric);
        }
    }
}
