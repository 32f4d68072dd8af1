//! Conversions between the runner's domain and repository types and the `benchhub.v1` messages.

use benchhub_common::convert::{optional_timestamp, timestamp};
use benchhub_proto::pb;

use crate::domain::estimate::CostEstimate;
use crate::domain::records::ResultRecord;
use crate::domain::records::{CaseRow, SuiteRow};
use crate::domain::records::{LiveCounts, RunRow};
use crate::domain::run::{Limits, RunConfig, RunStatus};
use crate::domain::significance::Choice;
use crate::domain::stats::{self, ModelAggregate};
use crate::engine::events::{Counts, ProgressSnapshot};
use crate::error::Error;
use benchhub_common::grading::{GraderKind, GraderSpec, JudgeSpec};

/// Reads a proto grader; `field` names it when it sets none.
pub fn grader_from_pb(field: &str, grader: &pb::Grader) -> Result<GraderSpec, Error> {
    GraderSpec::from_pb(grader.clone())
        .ok_or_else(|| Error::invalid(field, format!("must set one grader: {}", GraderKind::NAMES)))
}

/// Maps a status to its proto value.
pub fn status_to_pb(status: RunStatus) -> pb::BenchmarkRunStatus {
    match status {
        RunStatus::Pending => pb::BenchmarkRunStatus::Pending,
        RunStatus::Running => pb::BenchmarkRunStatus::Running,
        RunStatus::Completed => pb::BenchmarkRunStatus::Completed,
        RunStatus::Failed => pb::BenchmarkRunStatus::Failed,
        RunStatus::Cancelled => pb::BenchmarkRunStatus::Cancelled,
    }
}

/// Maps a proto status filter; `None` for unspecified.
pub fn status_from_pb(value: i32) -> Result<Option<RunStatus>, Error> {
    match pb::BenchmarkRunStatus::try_from(value) {
        Ok(pb::BenchmarkRunStatus::Unspecified) => Ok(None),
        Ok(pb::BenchmarkRunStatus::Pending) => Ok(Some(RunStatus::Pending)),
        Ok(pb::BenchmarkRunStatus::Running) => Ok(Some(RunStatus::Running)),
        Ok(pb::BenchmarkRunStatus::Completed) => Ok(Some(RunStatus::Completed)),
        Ok(pb::BenchmarkRunStatus::Failed) => Ok(Some(RunStatus::Failed)),
        Ok(pb::BenchmarkRunStatus::Cancelled) => Ok(Some(RunStatus::Cancelled)),
        Err(_) => Err(Error::invalid(
            "status",
            "must be BENCHMARK_RUN_STATUS_PENDING, _RUNNING, _COMPLETED, _FAILED or _CANCELLED (or unset)",
        )),
    }
}

/// Converts a suite.
pub fn suite_to_pb(suite: &SuiteRow) -> pb::Suite {
    pb::Suite {
        id: suite.id.to_string(),
        name: suite.name.clone(),
        description: suite.description.clone(),
        tenant_id: suite.tenant_id.clone(),
        case_count: i32::try_from(suite.case_count).unwrap_or(i32::MAX),
        created_at: Some(timestamp(suite.created_at)),
        updated_at: (suite.case_count > 0).then(|| timestamp(suite.updated_at)),
        last_completed_run_at: optional_timestamp(suite.last_completed_run_at),
    }
}

/// Converts a stored case.
pub fn case_to_pb(case: &CaseRow) -> pb::TestCase {
    pb::TestCase {
        id: case.id.to_string(),
        suite_id: case.suite_id.to_string(),
        position: case.position,
        input: case.input.clone(),
        expected_output: case.expected_output.clone().unwrap_or_default(),
        rubric: case.rubric.clone().unwrap_or_default(),
        grader: case.grader.as_ref().map(|grader| grader.0.to_pb()),
        tags: case.tags.clone(),
        created_at: Some(timestamp(case.created_at)),
    }
}

/// Converts limits.
pub fn limits_to_pb(limits: &Limits) -> pb::RunLimits {
    pb::RunLimits {
        max_concurrency: limits.max_concurrency as i32,
        per_provider_max_concurrency: limits.per_provider_max_concurrency as i32,
        requests_per_minute: limits.requests_per_minute as i32,
        call_timeout_ms: limits.call_timeout_ms as i64,
        max_retries: Some(limits.max_retries as i32),
        budget_micro_usd: limits.budget_micro_usd,
    }
}

/// Converts a cost estimate.
pub fn estimate_to_pb(estimate: &CostEstimate) -> pb::CostEstimate {
    let clamp = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    pb::CostEstimate {
        total_calls: i32::try_from(estimate.total_calls).unwrap_or(i32::MAX),
        input_tokens: clamp(estimate.input_tokens),
        output_tokens: clamp(estimate.output_tokens),
        cost_micro_usd: estimate.cost_micro_usd,
        unpriced_models: estimate.unpriced_models.clone(),
        models: estimate
            .models
            .iter()
            .map(|model| pb::ModelCostEstimate {
                model: model.model.clone(),
                calls: i32::try_from(model.calls).unwrap_or(i32::MAX),
                input_tokens: clamp(model.input_tokens),
                output_tokens: clamp(model.output_tokens),
                cost_micro_usd: model.cost_micro_usd,
            })
            .collect(),
        within_budget: estimate.within_budget,
        judge_calls: i32::try_from(estimate.judge_calls).unwrap_or(i32::MAX),
        judge_cost_micro_usd: estimate.judge_cost_micro_usd,
    }
}

/// Converts a model aggregate.
pub fn model_stats_to_pb(model: &ModelAggregate) -> pb::ModelStats {
    pb::ModelStats {
        model: model.model.clone(),
        canonical_model_id: model.canonical_id.clone().unwrap_or_default(),
        results: i32::try_from(model.results).unwrap_or(i32::MAX),
        failed: i32::try_from(model.failed).unwrap_or(i32::MAX),
        mean_quality: model.mean_quality,
        pass_rate: model.pass_rate,
        total_cost_micro_usd: model.total_cost_micro_usd,
        mean_cost_micro_usd: model.mean_cost_micro_usd(),
        price_known: model.price_known(),
        input_tokens: model.input_tokens,
        output_tokens: model.output_tokens,
        mean_total_tokens: model.mean_total_tokens,
        latency_p50_ms: model.latency_p50_ms.map(|value| value.round() as i64),
        latency_p95_ms: model.latency_p95_ms.map(|value| value.round() as i64),
        runs: i32::try_from(model.runs).unwrap_or(i32::MAX),
        mean_quality_low: model.mean_quality_interval.map(|(low, _)| low),
        mean_quality_high: model.mean_quality_interval.map(|(_, high)| high),
        pass_rate_low: model.pass_rate_interval.map(|(low, _)| low),
        pass_rate_high: model.pass_rate_interval.map(|(_, high)| high),
    }
}

/// The leader-versus-runner-up test of a choice.
pub fn best_test_to_pb(choice: &Choice) -> Option<pb::BestModelTest> {
    choice
        .versus_runner_up
        .as_ref()
        .map(|(runner_up, comparison)| pb::BestModelTest {
            runner_up: runner_up.clone(),
            mean_difference: comparison.mean_difference,
            ci_low: comparison.interval.0,
            ci_high: comparison.interval.1,
            p_value: comparison.p_value,
            cases: i32::try_from(comparison.cases).unwrap_or(i32::MAX),
        })
}

/// Converts one model's (or one pair's) comparison row.
pub fn model_comparison_to_pb(row: &crate::domain::compare::ModelRow) -> pb::ModelComparison {
    use crate::domain::significance::Verdict;
    let clamp = |value: usize| i32::try_from(value).unwrap_or(i32::MAX);
    pb::ModelComparison {
        model: row.model.clone(),
        paired_cases: clamp(row.paired_cases),
        mean_quality_a: row.mean_quality_a,
        mean_quality_b: row.mean_quality_b,
        mean_quality_diff: row.mean_quality_diff,
        diff_ci_low: row.diff_interval.map(|(low, _)| low),
        diff_ci_high: row.diff_interval.map(|(_, high)| high),
        wins: clamp(row.wins),
        losses: clamp(row.losses),
        ties: clamp(row.ties),
        cost_delta_micro_usd: row.cost_delta_micro_usd,
        latency_p50_delta_ms: row.latency_p50_delta_ms,
        pass_rate_delta: row.pass_rate_delta,
        p_value: row.p_value,
        adjusted_p_value: row.adjusted_p_value,
        mcnemar_p_value: row.mcnemar_p_value,
        passed_only_a: clamp(row.passed_only.0),
        passed_only_b: clamp(row.passed_only.1),
        verdict: match row.verdict {
            None => pb::ComparisonVerdict::Unspecified,
            Some(Verdict::Better) => pb::ComparisonVerdict::Better,
            Some(Verdict::Worse) => pb::ComparisonVerdict::Worse,
            Some(Verdict::NoSignificantDifference) => {
                pb::ComparisonVerdict::NoSignificantDifference
            }
        } as i32,
    }
}

/// Converts counts.
pub fn counts_to_pb(counts: &Counts) -> pb::RunCounts {
    let clamp = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
    pb::RunCounts {
        total: clamp(counts.total),
        done: clamp(counts.done),
        failed: clamp(counts.failed),
        remaining: clamp(counts.remaining()),
        cached: clamp(counts.cached),
    }
}

/// Converts a progress snapshot.
pub fn progress_to_pb(progress: &ProgressSnapshot) -> pb::RunProgress {
    pb::RunProgress {
        counts: Some(counts_to_pb(&progress.counts)),
        cost_micro_usd: progress.cost_micro_usd,
        eta_ms: progress.eta_ms,
        providers: progress
            .providers
            .iter()
            .map(|provider| pb::ProviderConcurrency {
                provider: provider.provider.clone(),
                current_limit: provider.current_limit as i32,
                max_limit: provider.max_limit as i32,
                in_flight: provider.in_flight as i32,
                throttled: i32::try_from(provider.throttled).unwrap_or(i32::MAX),
                replica_share: i32::try_from(provider.replica_share).unwrap_or(i32::MAX),
                replicas: i32::try_from(provider.replicas).unwrap_or(i32::MAX),
            })
            .collect(),
    }
}

/// Converts a result.
pub fn result_to_pb(result: &ResultRecord) -> pb::BenchmarkResult {
    let failed = result.error.is_some();
    pb::BenchmarkResult {
        id: result.id.to_string(),
        run_id: result.run_id.to_string(),
        case_id: result.case_id.map(|id| id.to_string()).unwrap_or_default(),
        model: result.model.clone(),
        provider: result.provider.clone(),
        canonical_model_id: result.canonical_model_id.clone().unwrap_or_default(),
        repetition: result.repetition,
        output: result.output.clone().unwrap_or_default(),
        input_tokens: i64::from(result.input_tokens.unwrap_or(0)),
        output_tokens: i64::from(result.output_tokens.unwrap_or(0)),
        total_tokens: i64::from(result.total_tokens.unwrap_or(0)),
        latency_ms: if failed {
            0
        } else {
            i64::from(result.latency_ms.unwrap_or(0))
        },
        cost_micro_usd: result.cost_micro_usd,
        price_known: result.price_known,
        quality: result.quality,
        passed: result.passed,
        grader: result
            .grader
            .as_deref()
            .and_then(GraderKind::from_name)
            .map_or(pb::GraderKind::Unspecified, GraderKind::to_pb) as i32,
        notes: result.notes.clone().unwrap_or_default(),
        matches_expected: result.matches_expected,
        error: result.error.clone().unwrap_or_default(),
        grading_error: result.grading_error.clone().unwrap_or_default(),
        self_judged: result.self_judged,
        cached: result.cached,
        attempts: result.attempts,
        completed_at: Some(timestamp(result.created_at)),
        judge_input_tokens: i64::from(result.judge_input_tokens.unwrap_or(0)),
        judge_output_tokens: i64::from(result.judge_output_tokens.unwrap_or(0)),
        judge_cost_micro_usd: result.judge_cost_micro_usd,
    }
}

/// Builds the models of a run with their resolution and prices.
pub fn run_models_to_pb(config: &RunConfig) -> Vec<pb::RunModel> {
    config
        .models
        .iter()
        .map(|model| pb::RunModel {
            model: model.name.clone(),
            provider: model.provider.clone(),
            provider_model: model.provider_model.clone(),
            canonical_model_id: model.canonical_id.clone().unwrap_or_default(),
            input_usd_per_million: model.price.as_ref().map(|price| price.input_usd_per_mtok),
            output_usd_per_million: model.price.as_ref().map(|price| price.output_usd_per_mtok),
            price_source: model
                .price
                .as_ref()
                .map(|price| price.source.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// Builds the proto of a stored run from its row, live counts and per-model aggregates, with `choice`
/// (computed from the live results) or else the one stored when the run ended. Without either, no
/// best model is named: a winner is only named with how sure it is.
pub fn run_to_pb(
    run: &RunRow,
    counts: &LiveCounts,
    aggregates: &[ModelAggregate],
    choice: Option<&Choice>,
) -> pb::Run {
    let config = &run.config.0;
    let mut models = aggregates.to_vec();
    let summary = run.summary.as_ref().map(|summary| &summary.0);
    if models.is_empty()
        && let Some(summary) = summary
    {
        models = summary.models.clone();
    }
    // Aggregates list models in request order.
    models.sort_by_key(|model| {
        config
            .models
            .iter()
            .position(|plan| plan.name == model.model)
            .unwrap_or(usize::MAX)
    });
    let choice = choice
        .or_else(|| summary.and_then(|summary| summary.choice.as_ref()))
        .cloned()
        .unwrap_or_default();
    let cheapest = stats::cheapest_by_total(&models).map(|model| model.model.clone());
    let total_counts = Counts {
        total: i64::from(run.total_pairs),
        done: counts.done,
        failed: counts.failed,
        cached: counts.cached,
    };
    pb::Run {
        id: run.id.to_string(),
        suite_id: run.suite_id.map(|id| id.to_string()).unwrap_or_default(),
        tenant_id: run.tenant_id.clone(),
        status: status_to_pb(run.status()) as i32,
        models: run_models_to_pb(config),
        case_count: i32::try_from(run.case_count()).unwrap_or(i32::MAX),
        repetitions: config.repetitions as i32,
        counts: Some(counts_to_pb(&total_counts)),
        cost_micro_usd: counts.cost_micro_usd,
        model_cost_micro_usd: counts.cost_micro_usd - counts.judge_cost_micro_usd,
        judge_cost_micro_usd: counts.judge_cost_micro_usd,
        price_known: counts.unpriced == 0 && config.models.iter().all(|m| m.price.is_some()),
        best_model: choice.best_model.clone().unwrap_or_default(),
        tied_for_best: choice.tied_for_best.clone(),
        best_value_model: choice.best_value_model.clone().unwrap_or_default(),
        best_versus_runner_up: best_test_to_pb(&choice),
        cheapest_model: cheapest
            .or_else(|| run.cheapest_model.clone())
            .unwrap_or_default(),
        model_stats: models.iter().map(model_stats_to_pb).collect(),
        ratings: summary
            .map(|summary| {
                summary
                    .ratings
                    .iter()
                    .map(|rating| pb::ModelRating {
                        model: rating.model.clone(),
                        rating: rating.rating,
                        ci_low: rating.ci_low,
                        ci_high: rating.ci_high,
                        wins: rating.wins,
                        losses: rating.losses,
                        ties: rating.ties,
                        games: rating.games,
                        win_rate: rating.win_rate,
                        rank: rating.rank,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        judge_consistency_rate: summary.and_then(|summary| summary.judge_consistency_rate),
        estimate: Some(estimate_to_pb(&config.estimate)),
        limits: Some(limits_to_pb(&config.limits)),
        grader: config.grader.as_ref().map(GraderSpec::to_pb),
        judge: config.judge.as_ref().map(JudgeSpec::to_pb),
        pairwise: config.pairwise,
        temperature: config.temperature,
        max_tokens: config.max_tokens as i32,
        use_cache: config.use_cache,
        budget_exhausted: run.budget_exhausted,
        error: run.error.clone().unwrap_or_default(),
        created_by: run.created_by.clone().unwrap_or_default(),
        created_at: Some(timestamp(run.created_at)),
        started_at: optional_timestamp(run.started_at),
        completed_at: optional_timestamp(run.completed_at),
        label: run.label.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_a_grader_names_the_field_and_the_kinds() {
        let grader = GraderSpec::JsonValid;
        assert_eq!(
            grader_from_pb("grader", &grader.to_pb()).expect("valid"),
            grader
        );
        let error = grader_from_pb("cases[2].grader", &pb::Grader { kind: None })
            .expect_err("no grader set");
        let text = error.to_string();
        assert!(
            text.contains("cases[2].grader") && text.contains("llm_rubric"),
            "{text}"
        );
    }

    #[test]
    fn status_filters_map_both_ways() {
        for status in RunStatus::ALL {
            assert_eq!(
                status_from_pb(status_to_pb(status) as i32).expect("valid"),
                Some(status)
            );
        }
        assert_eq!(status_from_pb(0).expect("unset"), None);
        assert!(status_from_pb(42).is_err());
    }
}
