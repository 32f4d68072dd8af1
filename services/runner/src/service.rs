//! The runner's service layer: every RPC handler in `grpc` calls one function here, which validates
//! across fields, orchestrates the engine, the provider registry, the domain and the repository (its
//! tenant transactions). Here: creating (or pricing) a run, comparing runs and models, suite
//! statistics and run views; [`suites`] the suite RPCs; [`lifecycle`] listing, cancel and retry.

mod lifecycle;
mod suites;

pub use lifecycle::{
    cancel_run, existing_pairs, list_results, list_runs, require_run, results_since, retry_run,
    run_progress,
};
pub use suites::{add_cases, create_suite, get_suite, list_cases, list_suites};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::compare::{self, Comparison};
use crate::domain::estimate::{self, CaseSize};
use crate::domain::records::RunRow;
use crate::domain::run::{AdHocCase, CaseSpec, Limits, ModelPlan, RunConfig};
use crate::domain::stats::{self, ModelAggregate};
use crate::domain::validate;
use crate::engine::Engine;
use crate::error::Error;
use crate::repo;
use crate::repo::runs::NewRun;
use crate::repo::stats::TrendPoint;
use benchhub_common::grading::{GraderSpec, JudgeSpec, RubricSpec};

/// A run as requested, validated field by field.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Suite to draw cases from.
    pub suite_id: Option<Uuid>,
    /// Ad-hoc cases.
    pub ad_hoc_cases: Vec<CaseSpec>,
    /// Tag filter of suite cases.
    pub case_tags: Vec<String>,
    /// Models (`provider/model`).
    pub models: Vec<String>,
    /// Default grader.
    pub grader: Option<GraderSpec>,
    /// Default judge.
    pub judge: Option<JudgeSpec>,
    /// Pairwise judging.
    pub pairwise: bool,
    /// Calls per (case, model).
    pub repetitions: u32,
    /// Limits with defaults.
    pub limits: Limits,
    /// Temperature.
    pub temperature: f64,
    /// Maximum output tokens.
    pub max_tokens: u32,
    /// System prompt.
    pub system_prompt: String,
    /// Only estimate.
    pub dry_run: bool,
    /// Use the response cache.
    pub use_cache: bool,
    /// Label.
    pub label: String,
    /// Start even when the estimate exceeds the budget.
    pub allow_over_budget: bool,
}

/// The caller of an operation.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Tenant.
    pub tenant: String,
    /// Token name.
    pub subject: String,
    /// Request id.
    pub request_id: Option<String>,
}

/// What CreateRun produced.
#[derive(Debug, Clone)]
pub enum Created {
    /// A stored pending run.
    Stored(Box<RunRow>),
    /// A dry-run estimate: the configuration and case count, nothing stored.
    Estimate {
        /// The configuration with prices and estimate.
        config: Box<RunConfig>,
        /// Cases.
        case_count: usize,
        /// Suite.
        suite_id: Option<Uuid>,
    },
}

/// Checks that every model can be called from this replica, before anything is stored or called.
fn resolve_models(
    engine: &Engine,
    models: &[String],
) -> Result<Vec<(String, String, String)>, Error> {
    use benchhub_providers::ResolveError;
    let mut out = Vec::with_capacity(models.len());
    for (index, name) in models.iter().enumerate() {
        match engine.registry.resolve(name) {
            Ok(resolved) => out.push((name.clone(), resolved.provider_name, resolved.model)),
            Err(
                error @ (ResolveError::InvalidName { .. } | ResolveError::UnknownProvider { .. }),
            ) => {
                return Err(Error::invalid(
                    format!("models[{index}]"),
                    error.to_string(),
                ));
            }
            Err(error @ (ResolveError::MissingKey { .. } | ResolveError::NotConfigured { .. })) => {
                return Err(Error::FailedPrecondition(format!(
                    "models[{index}]: {error}"
                )));
            }
        }
    }
    Ok(out)
}

/// Creates a pending run (or, with `dry_run`, only prices it).
pub async fn create_run(
    pool: &PgPool,
    engine: &Engine,
    caller: &Caller,
    request: RunRequest,
) -> Result<Created, Error> {
    // A malformed model name answers first; a provider this deployment lacks (FAILED_PRECONDITION)
    // only after the named suite was found (NOT_FOUND).
    let resolved = resolve_models(engine, &request.models);
    if let Err(error @ Error::InvalidArgument { .. }) = resolved {
        return Err(error);
    }
    let mut transaction = repo::tenant(pool, &caller.tenant).await?;
    let suite_cases = match request.suite_id {
        Some(suite_id) => {
            repo::suites::require_suite(&mut transaction, suite_id).await?;
            repo::suites::all_cases(&mut transaction, suite_id, &request.case_tags).await?
        }
        None => Vec::new(),
    };
    let resolved = resolved?;
    let case_count = suite_cases.len() + request.ad_hoc_cases.len();
    let total_calls = validate::run_size(case_count, request.models.len(), request.repetitions)?;

    let mut plans = Vec::with_capacity(resolved.len());
    for (name, provider, provider_model) in resolved {
        let price = repo::pricing::resolve(&mut transaction, &name, &provider_model).await?;
        plans.push(ModelPlan {
            name,
            provider,
            provider_model,
            canonical_id: price.canonical_id,
            price: price.price,
        });
    }
    let sizes: Vec<CaseSize> = suite_cases
        .iter()
        .map(|case| (case.input.as_str(), case.expected_output.as_deref()))
        .chain(
            request
                .ad_hoc_cases
                .iter()
                .map(|case| (case.input.as_str(), case.expected_output.as_deref())),
        )
        .map(|(input, expected)| {
            estimate::case_size(input, expected, &request.system_prompt, request.max_tokens)
        })
        .collect();
    let mut estimate = estimate::estimate(
        &sizes,
        &plans,
        request.repetitions,
        request.limits.budget_micro_usd,
    );
    // The judge's calls are part of the cost: rubric grading (the run's grader or a case's own) and
    // pairwise comparison. Its model is the rubric grader's, else the run's, else the judge service's
    // default, which the runner cannot price.
    let llm_graders: Vec<&GraderSpec> = request
        .grader
        .iter()
        .chain(
            suite_cases
                .iter()
                .filter_map(|case| case.grader.as_ref().map(|grader| &grader.0)),
        )
        .chain(
            request
                .ad_hoc_cases
                .iter()
                .filter_map(|case| case.grader.as_ref()),
        )
        .filter(|grader| grader.is_llm())
        .collect();
    if !llm_graders.is_empty() || request.pairwise {
        let judge_model = llm_graders
            .iter()
            .find_map(|grader| match grader {
                GraderSpec::LlmRubric(RubricSpec {
                    judge: Some(judge), ..
                }) if !judge.model.is_empty() => Some(judge.model.clone()),
                _ => None,
            })
            .or_else(|| {
                request
                    .judge
                    .as_ref()
                    .map(|judge| judge.model.clone())
                    .filter(|model| !model.is_empty())
            });
        let price = match &judge_model {
            Some(model) => {
                let provider_model = model
                    .split_once('/')
                    .map_or(model.as_str(), |(_, rest)| rest);
                repo::pricing::resolve(&mut transaction, model, provider_model)
                    .await?
                    .price
            }
            None => None,
        };
        estimate::add_judge(
            &mut estimate,
            &sizes,
            plans.len(),
            request.repetitions,
            &estimate::JudgePlan {
                name: judge_model
                    .unwrap_or_else(|| "(the judge service's default model)".to_owned()),
                price,
                grades: !llm_graders.is_empty(),
                pairwise: request.pairwise,
            },
            request.limits.budget_micro_usd,
        );
    }
    // A dry run shows the estimate against the budget; a real one is refused before it spends.
    if !request.dry_run
        && let Some(refusal) = estimate::budget_refusal(
            &estimate,
            request.limits.budget_micro_usd,
            request.allow_over_budget,
        )
    {
        return Err(Error::FailedPrecondition(refusal));
    }
    let config = RunConfig {
        models: plans,
        repetitions: request.repetitions,
        temperature: request.temperature,
        max_tokens: request.max_tokens,
        system_prompt: request.system_prompt,
        use_cache: request.use_cache,
        pairwise: request.pairwise,
        grader: request.grader,
        judge: request.judge,
        limits: request.limits,
        case_tags: request.case_tags,
        estimate,
        request_id: caller.request_id.clone(),
    };
    if request.dry_run {
        transaction.commit().await?;
        return Ok(Created::Estimate {
            config: Box::new(config),
            case_count,
            suite_id: request.suite_id,
        });
    }
    let new_run = NewRun {
        suite_id: request.suite_id,
        case_ids: suite_cases.iter().map(|case| case.id).collect(),
        ad_hoc_cases: request
            .ad_hoc_cases
            .into_iter()
            .map(|spec| AdHocCase {
                id: Uuid::new_v4(),
                spec,
            })
            .collect(),
        total_pairs: i32::try_from(total_calls).unwrap_or(i32::MAX),
        created_by: caller.subject.clone(),
        label: request.label,
        config,
    };
    let row = repo::runs::insert_run(&mut transaction, &new_run).await?;
    transaction.commit().await?;
    engine.wake.notify_one();
    Ok(Created::Stored(Box::new(row)))
}

/// Compares run B against baseline A; FAILED_PRECONDITION when they share no (case, model) pair.
pub async fn compare_runs(
    pool: &PgPool,
    tenant: &str,
    run_a: Uuid,
    run_b: Uuid,
) -> Result<Comparison, Error> {
    let mut transaction = repo::tenant(pool, tenant).await?;
    repo::runs::fetch_run(&mut transaction, run_a).await?;
    repo::runs::fetch_run(&mut transaction, run_b).await?;
    let results_a = repo::results::compared_results(&mut transaction, run_a).await?;
    let results_b = repo::results::compared_results(&mut transaction, run_b).await?;
    transaction.commit().await?;
    let comparison = compare::compare(&results_a, &results_b);
    if comparison.shared_pairs == 0 {
        return Err(Error::FailedPrecondition(format!(
            "runs {run_a} and {run_b} share no (case, model) pair with results; compare runs of the same cases and models"
        )));
    }
    Ok(comparison)
}

/// Compares the models of one run pairwise (B against A for every A before B in the run's model
/// order), Holm-correcting the pairs together.
pub async fn compare_models(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    requested: &[String],
) -> Result<Vec<(String, String, compare::ModelRow)>, Error> {
    let mut transaction = repo::tenant(pool, tenant).await?;
    let run = repo::runs::fetch_run(&mut transaction, run_id).await?;
    let results = repo::results::compared_results(&mut transaction, run_id).await?;
    transaction.commit().await?;
    let run_models: Vec<String> = run
        .config
        .0
        .models
        .iter()
        .map(|plan| plan.name.clone())
        .collect();
    for model in requested {
        if !run_models.contains(model) {
            return Err(Error::invalid(
                "models",
                format!(
                    "'{model}' is not a model of run {run_id}; its models are: {}",
                    run_models.join(", ")
                ),
            ));
        }
    }
    let models: Vec<&String> = run_models
        .iter()
        .filter(|model| requested.is_empty() || requested.contains(model))
        .filter(|model| {
            results
                .iter()
                .any(|result| &result.model == *model && result.quality.is_some())
        })
        .collect();
    if models.len() < 2 {
        return Err(Error::FailedPrecondition(format!(
            "run {run_id} has {} model(s) with graded results; comparing needs two",
            models.len()
        )));
    }
    let side = |model: &str| -> Vec<compare::ComparedResult> {
        results
            .iter()
            .filter(|result| result.model == model)
            .map(|result| compare::ComparedResult {
                model: String::new(),
                ..result.clone()
            })
            .collect()
    };
    let mut pairs = Vec::new();
    for (index, model_a) in models.iter().enumerate() {
        for model_b in &models[index + 1..] {
            let mut comparison = compare::compare(&side(model_a), &side(model_b));
            if let Some(mut row) = comparison.models.pop() {
                row.model = format!("{model_b} vs {model_a}");
                pairs.push(((*model_a).clone(), (*model_b).clone(), row));
            }
        }
    }
    let mut rows: Vec<compare::ModelRow> = pairs.iter().map(|(_, _, row)| row.clone()).collect();
    compare::apply_verdicts(&mut rows);
    Ok(pairs
        .into_iter()
        .zip(rows)
        .map(|((a, b, _), row)| (a, b, row))
        .collect())
}

/// Days after which a suite's benchmark is stale.
pub const STALE_AFTER_DAYS: i64 = 90;

/// A suite's statistics, ready to convert.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteStatistics {
    /// Per-model aggregates, best quality first.
    pub models: Vec<ModelAggregate>,
    /// Trend points.
    pub trend: Vec<TrendPoint>,
    /// The best model (named only when significantly best) and how sure that is.
    pub choice: crate::domain::significance::Choice,
    /// Cheapest model (lowest mean cost per result).
    pub cheapest_model: Option<String>,
    /// Completed runs.
    pub completed_runs: usize,
    /// Latest completion.
    pub last_completed_at: Option<DateTime<Utc>>,
    /// Why the suite is stale; `None` when fresh.
    pub stale_reason: Option<String>,
}

/// Returns why a suite's benchmark is stale at `now`, or `None` when it is fresh.
pub fn staleness(last_completed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    match last_completed_at {
        None => Some("no completed run".to_owned()),
        Some(last) => {
            let days = (now - last).num_days();
            (days > STALE_AFTER_DAYS).then(|| format!("last run {days} days ago"))
        }
    }
}

/// Computes a suite's statistics over its completed runs since `since`.
pub async fn suite_statistics(
    pool: &PgPool,
    tenant: &str,
    suite_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<SuiteStatistics, Error> {
    let stats_rows = repo::stats::suite_stats(pool, tenant, suite_id, since).await?;
    let mut models = stats_rows.models;
    stats::sort_by_quality(&mut models);
    let choice = crate::domain::significance::assess(&mut models, &stats_rows.cases);
    Ok(SuiteStatistics {
        choice,
        cheapest_model: stats::cheapest_by_mean(&models).map(|model| model.model.clone()),
        stale_reason: staleness(stats_rows.last_completed_at, Utc::now()),
        models,
        trend: stats_rows.trend,
        completed_runs: stats_rows.completed_runs,
        last_completed_at: stats_rows.last_completed_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn staleness_after_ninety_days_or_without_runs() {
        let now = Utc::now();
        assert_eq!(staleness(None, now).as_deref(), Some("no completed run"));
        assert_eq!(staleness(Some(now - Duration::days(10)), now), None);
        assert_eq!(staleness(Some(now - Duration::days(90)), now), None);
        assert_eq!(
            staleness(Some(now - Duration::days(120)), now).as_deref(),
            Some("last run 120 days ago")
        );
    }
}

/// How long the statistics of a running run are reused: a client polling GetRun many times a second
/// must not redo the bootstrap behind every interval and choice on each call.
pub const LIVE_STATISTICS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Statistics of a running run computed at an instant.
type LiveStatistics = (
    std::time::Instant,
    Vec<ModelAggregate>,
    crate::domain::significance::Choice,
);

/// Recently computed statistics of running runs, per run.
#[derive(Debug, Default)]
pub struct RunViews {
    live: std::sync::Mutex<std::collections::HashMap<Uuid, LiveStatistics>>,
}

impl RunViews {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Uuid, LiveStatistics>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A run as GetRun and WatchRun show it: its row, live counts, per-model statistics with intervals and
/// the choice of a best model. An ended run shows the statistics stored when it ended; a running run's
/// are computed from its results, reused for up to [`LIVE_STATISTICS_TTL`] when `views` is given (the
/// counts are always fresh).
pub async fn run_view(
    pool: &PgPool,
    views: Option<&RunViews>,
    tenant: &str,
    id: Uuid,
) -> Result<
    (
        RunRow,
        crate::domain::records::LiveCounts,
        Vec<ModelAggregate>,
        crate::domain::significance::Choice,
    ),
    Error,
> {
    // Checks the tenant too: nothing cached is shown before this succeeds.
    let (row, counts) = repo::runs::run_progress(pool, tenant, id).await?;
    let ended = row.status().is_terminal();
    let stored = row
        .summary
        .as_ref()
        .filter(|_| ended)
        .and_then(|summary| Some((summary.0.models.clone(), summary.0.choice.clone()?)));
    if let Some((models, choice)) = stored {
        return Ok((row, counts, models, choice));
    }
    let cached = views.filter(|_| !ended).and_then(|views| {
        views
            .lock()
            .get(&id)
            .filter(|(at, _, _)| at.elapsed() < LIVE_STATISTICS_TTL)
            .map(|(_, models, choice)| (models.clone(), choice.clone()))
    });
    if let Some((models, choice)) = cached {
        return Ok((row, counts, models, choice));
    }
    let (mut models, cases) = repo::runs::run_scores(pool, tenant, id).await?;
    let choice = crate::domain::significance::assess(&mut models, &cases);
    if let Some(views) = views {
        let mut live = views.lock();
        live.retain(|_, (at, _, _)| at.elapsed() < LIVE_STATISTICS_TTL);
        if !ended {
            live.insert(
                id,
                (std::time::Instant::now(), models.clone(), choice.clone()),
            );
        }
    }
    Ok((row, counts, models, choice))
}
