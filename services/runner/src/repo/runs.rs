//! Benchmark runs: creation, reads, listing, cancel and retry, live counts and per-model aggregates.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::run::{AdHocCase, RunConfig, RunStatus};
use crate::domain::significance::{CaseScore, Choice};
use crate::domain::stats::ModelAggregate;
use crate::error::Error;

/// A stored run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    /// Run id.
    pub id: Uuid,
    /// Owner.
    pub tenant_id: String,
    /// Suite, if any.
    pub suite_id: Option<Uuid>,
    /// Stored status name.
    pub status: String,
    /// Models in request order.
    pub models: Vec<String>,
    /// The run's configuration.
    pub config: Json<RunConfig>,
    /// Suite case ids frozen at creation.
    pub case_ids: Vec<Uuid>,
    /// Ad-hoc cases.
    pub ad_hoc_cases: Option<Json<Vec<AdHocCase>>>,
    /// Pairs in the run.
    pub total_pairs: i32,
    /// Pairs with a result (as last flushed).
    pub done: i32,
    /// Failed pairs (as last flushed).
    pub failed: i32,
    /// Cost so far (as last flushed).
    pub cost_micro_usd: i64,
    /// The judge's share of the stored cost.
    pub judge_cost_micro_usd: i64,
    /// Best model at completion.
    pub best_model: Option<String>,
    /// Cheapest model at completion.
    pub cheapest_model: Option<String>,
    /// Summary written at completion.
    pub summary: Option<Json<RunSummary>>,
    /// Why the run failed.
    pub error: Option<String>,
    /// Token name of the creator.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// First start.
    pub started_at: Option<DateTime<Utc>>,
    /// End time.
    pub completed_at: Option<DateTime<Utc>>,
    /// Stopped by the budget.
    pub budget_exhausted: bool,
    /// Label.
    pub label: String,
    /// Set by RetryRun.
    pub retry_requested_at: Option<DateTime<Utc>>,
    /// Claim holder.
    pub claimed_by: Option<String>,
}

impl RunRow {
    /// Returns the parsed status (unknown names read as failed, which the CHECK constraint prevents).
    pub fn status(&self) -> RunStatus {
        RunStatus::parse(&self.status).unwrap_or(RunStatus::Failed)
    }

    /// Returns the number of cases: suite cases then ad-hoc ones.
    pub fn case_count(&self) -> usize {
        self.case_ids.len() + self.ad_hoc_cases.as_ref().map_or(0, |cases| cases.0.len())
    }
}

/// Pairwise judging outcome stored in the summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
pub struct RatingSummary {
    /// Model.
    pub model: String,
    /// Bradley–Terry rating.
    pub rating: f64,
    /// Interval low.
    pub ci_low: f64,
    /// Interval high.
    pub ci_high: f64,
    /// Wins.
    pub wins: i32,
    /// Losses.
    pub losses: i32,
    /// Ties.
    pub ties: i32,
    /// Games.
    pub games: i32,
    /// Win rate.
    pub win_rate: f64,
    /// Rank.
    pub rank: i32,
}

/// What a run stores when it ends (`benchmark_runs.summary`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
pub struct RunSummary {
    /// Per-model aggregates at the end.
    #[serde(default)]
    pub models: Vec<ModelAggregate>,
    /// Pairwise ratings, when requested.
    #[serde(default)]
    pub ratings: Vec<RatingSummary>,
    /// Judge order-consistency rate, when pairwise judging ran.
    #[serde(default)]
    pub judge_consistency_rate: Option<f64>,
    /// Why the run was cancelled or stopped, for status events.
    #[serde(default)]
    pub reason: String,
    /// The best model and how sure that is, at the end.
    #[serde(default)]
    pub choice: Option<Choice>,
}

/// Live counts of a run, computed from its results.
#[derive(Debug, Clone, Copy, PartialEq, Default, sqlx::FromRow)]
pub struct LiveCounts {
    /// Pairs with a result.
    pub done: i64,
    /// Pairs whose call failed.
    pub failed: i64,
    /// Pairs served from the cache.
    pub cached: i64,
    /// Cost so far: the models' calls and the judge's (grading and pairwise comparisons).
    pub cost_micro_usd: i64,
    /// Successful results without a price.
    pub unpriced: i64,
    /// The judge's share of the cost.
    pub judge_cost_micro_usd: i64,
}

pub(crate) const RUN_COLUMNS: &str = "id, tenant_id, suite_id, status, models, config, case_ids, \
    ad_hoc_cases, total_pairs, done, failed, cost_micro_usd, best_model, cheapest_model, summary, \
    error, created_by, created_at, started_at, completed_at, budget_exhausted, label, \
    retry_requested_at, claimed_by, judge_cost_micro_usd";

/// What CreateRun stores.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Suite, if any.
    pub suite_id: Option<Uuid>,
    /// The configuration.
    pub config: RunConfig,
    /// Suite case ids in order.
    pub case_ids: Vec<Uuid>,
    /// Ad-hoc cases.
    pub ad_hoc_cases: Vec<AdHocCase>,
    /// Pairs.
    pub total_pairs: i32,
    /// Token name of the creator.
    pub created_by: String,
    /// Label.
    pub label: String,
}

/// Stores a new pending run inside the creation transaction.
pub async fn insert_run(
    transaction: &mut Transaction<'static, Postgres>,
    run: &NewRun,
) -> Result<RunRow, Error> {
    let ad_hoc = (!run.ad_hoc_cases.is_empty()).then(|| Json(run.ad_hoc_cases.clone()));
    Ok(sqlx::query_as(&format!(
        "INSERT INTO benchmark_runs (suite_id, models, config, case_ids, ad_hoc_cases, total_pairs, \
             created_by, label) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {RUN_COLUMNS}"
    ))
    .bind(run.suite_id)
    .bind(run.config.model_names())
    .bind(Json(&run.config))
    .bind(&run.case_ids)
    .bind(ad_hoc)
    .bind(run.total_pairs)
    .bind(&run.created_by)
    .bind(&run.label)
    .fetch_one(&mut **transaction)
    .await?)
}

/// Returns a run inside a transaction; NOT_FOUND for unknown or other tenants' runs.
pub async fn fetch_run(
    transaction: &mut Transaction<'static, Postgres>,
    id: Uuid,
) -> Result<RunRow, Error> {
    let row: Option<RunRow> = sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM benchmark_runs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **transaction)
    .await?;
    row.ok_or_else(|| Error::not_found("run", &id.to_string()))
}

/// Returns a run's per-model aggregates and per-case scores (what its intervals and choice are computed
/// from).
pub async fn run_scores(
    pool: &PgPool,
    tenant: &str,
    id: Uuid,
) -> Result<(Vec<ModelAggregate>, Vec<CaseScore>), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let aggregates = model_aggregates(&mut transaction, &[id]).await?;
    let cases = case_scores(&mut transaction, &[id]).await?;
    transaction.commit().await?;
    Ok((aggregates, cases))
}

/// Returns a run's status and live counts (cheap; used by watchers).
pub async fn run_progress(
    pool: &PgPool,
    tenant: &str,
    id: Uuid,
) -> Result<(RunRow, LiveCounts), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let run = fetch_run(&mut transaction, id).await?;
    let counts = live_counts(&mut transaction, id).await?;
    transaction.commit().await?;
    Ok((run, counts))
}

/// Counts a run's results.
pub async fn live_counts(
    transaction: &mut Transaction<'static, Postgres>,
    run_id: Uuid,
) -> Result<LiveCounts, Error> {
    Ok(sqlx::query_as(
        "WITH results AS ( \
             SELECT count(*) AS done, \
                    count(*) FILTER (WHERE error IS NOT NULL) AS failed, \
                    count(*) FILTER (WHERE cached) AS cached, \
                    COALESCE(sum(cost_micro_usd), 0)::bigint AS model_cost, \
                    COALESCE(sum(judge_cost_micro_usd), 0)::bigint AS grading_cost, \
                    count(*) FILTER (WHERE error IS NULL AND NOT price_known) AS unpriced \
             FROM benchmark_results WHERE run_id = $1), \
         pairwise AS ( \
             SELECT COALESCE(sum(judge_cost_micro_usd), 0)::bigint AS pairwise_cost \
             FROM judge_verdicts WHERE run_id = $1) \
         SELECT done, failed, cached, model_cost + grading_cost + pairwise_cost AS cost_micro_usd, \
                unpriced, grading_cost + pairwise_cost AS judge_cost_micro_usd \
         FROM results, pairwise",
    )
    .bind(run_id)
    .fetch_one(&mut **transaction)
    .await?)
}

/// Per-model aggregates over the results of `run_ids`.
pub async fn model_aggregates(
    transaction: &mut Transaction<'static, Postgres>,
    run_ids: &[Uuid],
) -> Result<Vec<ModelAggregate>, Error> {
    type Row = (
        String,
        Option<String>,
        i64,
        i64,
        Option<f64>,
        Option<f64>,
        i64,
        i64,
        i64,
        i64,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT model, max(canonical_model_id), count(*), \
                count(*) FILTER (WHERE error IS NOT NULL), \
                avg(quality), \
                (avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END) FILTER (WHERE passed IS NOT NULL))::float8, \
                COALESCE(sum(cost_micro_usd), 0)::bigint, \
                count(*) FILTER (WHERE error IS NULL AND price_known), \
                COALESCE(sum(input_tokens), 0)::bigint, \
                COALESCE(sum(output_tokens), 0)::bigint, \
                (avg(total_tokens) FILTER (WHERE error IS NULL))::float8, \
                percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) \
                    FILTER (WHERE error IS NULL AND NOT cached AND latency_ms IS NOT NULL), \
                percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) \
                    FILTER (WHERE error IS NULL AND NOT cached AND latency_ms IS NOT NULL), \
                count(DISTINCT run_id), \
                count(*) FILTER (WHERE passed), count(*) FILTER (WHERE passed IS NOT NULL) \
         FROM benchmark_results WHERE run_id = ANY($1) GROUP BY model ORDER BY model",
    )
    .bind(run_ids)
    .fetch_all(&mut **transaction)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                model,
                canonical_id,
                results,
                failed,
                mean_quality,
                pass_rate,
                total_cost_micro_usd,
                priced_results,
                input_tokens,
                output_tokens,
                mean_total_tokens,
                latency_p50_ms,
                latency_p95_ms,
                runs,
                passes,
                pass_trials,
            )| ModelAggregate {
                model,
                canonical_id,
                results,
                failed,
                mean_quality,
                pass_rate,
                total_cost_micro_usd,
                priced_results,
                input_tokens,
                output_tokens,
                mean_total_tokens: mean_total_tokens.unwrap_or(0.0),
                latency_p50_ms,
                latency_p95_ms,
                runs,
                passes,
                pass_trials,
                mean_quality_interval: None,
                pass_rate_interval: None,
            },
        )
        .collect())
}

/// Each model's mean quality per case over the graded results of `run_ids` (repetitions and runs
/// averaged), for intervals and paired tests. A case is its id, or run and index when ad hoc.
pub async fn case_scores(
    transaction: &mut Transaction<'static, Postgres>,
    run_ids: &[Uuid],
) -> Result<Vec<CaseScore>, Error> {
    let rows: Vec<(String, String, f64)> = sqlx::query_as(
        "SELECT model, COALESCE(case_id::text, run_id::text || '#' || case_index) AS case_key, \
                avg(quality) \
         FROM benchmark_results WHERE run_id = ANY($1) AND quality IS NOT NULL \
         GROUP BY model, case_key",
    )
    .bind(run_ids)
    .fetch_all(&mut **transaction)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(model, case, quality)| CaseScore {
            model,
            case,
            quality,
        })
        .collect())
}

/// Filters of ListRuns.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only runs of this suite.
    pub suite_id: Option<Uuid>,
    /// Only runs in this state.
    pub status: Option<RunStatus>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
}

/// Lists runs newest first after the `(created_at, id)` cursor. Counts of active runs are live.
pub async fn list_runs(
    pool: &PgPool,
    tenant: &str,
    filter: &RunFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
) -> Result<Vec<(RunRow, LiveCounts)>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let rows: Vec<RunRow> = sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM benchmark_runs \
         WHERE ($1::uuid IS NULL OR suite_id = $1) \
           AND ($2::text IS NULL OR status = $2) \
           AND ($3::timestamptz IS NULL OR created_at >= $3) \
           AND ($4::timestamptz IS NULL OR created_at < $4) \
           AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6)) \
         ORDER BY created_at DESC, id DESC LIMIT $7"
    ))
    .bind(filter.suite_id)
    .bind(filter.status.map(RunStatus::as_str))
    .bind(filter.created_after)
    .bind(filter.created_before)
    .bind(after.map(|(time, _)| time))
    .bind(after.map(|(_, id)| id).unwrap_or_default())
    .bind(i64::from(limit))
    .fetch_all(&mut *transaction)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let counts = if row.status().is_terminal() {
            LiveCounts {
                done: i64::from(row.done),
                failed: i64::from(row.failed),
                cached: 0,
                cost_micro_usd: row.cost_micro_usd,
                unpriced: 0,
                judge_cost_micro_usd: row.judge_cost_micro_usd,
            }
        } else {
            live_counts(&mut transaction, row.id).await?
        };
        out.push((row, counts));
    }
    transaction.commit().await?;
    Ok(out)
}

/// SQL that refreshes a run's stored counters from its results (`$1` is the run id).
pub(crate) const REFRESH_COUNTERS: &str = "done = (SELECT count(*) FROM benchmark_results WHERE run_id = $1), \
    failed = (SELECT count(*) FROM benchmark_results WHERE run_id = $1 AND error IS NOT NULL), \
    judge_cost_micro_usd = \
        (SELECT COALESCE(sum(judge_cost_micro_usd), 0) FROM benchmark_results WHERE run_id = $1) \
        + (SELECT COALESCE(sum(judge_cost_micro_usd), 0) FROM judge_verdicts WHERE run_id = $1), \
    cost_micro_usd = \
        (SELECT COALESCE(sum(COALESCE(cost_micro_usd, 0) + COALESCE(judge_cost_micro_usd, 0)), 0) \
           FROM benchmark_results WHERE run_id = $1) \
        + (SELECT COALESCE(sum(judge_cost_micro_usd), 0) FROM judge_verdicts WHERE run_id = $1)";

/// Cancels a pending or running run. FAILED_PRECONDITION when it already ended.
pub async fn cancel_run(
    pool: &PgPool,
    tenant: &str,
    id: Uuid,
    reason: &str,
) -> Result<(RunRow, RunStatus), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let current = fetch_run(&mut transaction, id).await?;
    let previous = current.status();
    if previous.is_terminal() {
        return Err(Error::FailedPrecondition(format!(
            "run {id} already ended ({}); only pending or running runs can be cancelled",
            previous.as_str()
        )));
    }
    let summary = RunSummary {
        reason: reason.to_owned(),
        ..current
            .summary
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or_default()
    };
    let row: RunRow = sqlx::query_as(&format!(
        "UPDATE benchmark_runs SET status = 'cancelled', cancel_requested = true, \
             completed_at = now(), lease_expires_at = NULL, summary = $2, {REFRESH_COUNTERS} \
         WHERE id = $1 RETURNING {RUN_COLUMNS}"
    ))
    .bind(id)
    .bind(Json(summary))
    .fetch_one(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok((row, previous))
}

/// Re-queues an ended run so its failed pairs (and pairs never called) run again. Returns the run and
/// the number of pairs that will be called.
pub async fn retry_run(pool: &PgPool, tenant: &str, id: Uuid) -> Result<(RunRow, i64), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let locked: Option<(String,)> =
        sqlx::query_as("SELECT status FROM benchmark_runs WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *transaction)
            .await?;
    let (status,) = locked.ok_or_else(|| Error::not_found("run", &id.to_string()))?;
    let status = RunStatus::parse(&status).unwrap_or(RunStatus::Failed);
    if !status.is_terminal() {
        return Err(Error::FailedPrecondition(format!(
            "run {id} is {}; retry it once it has ended (or cancel it first)",
            status.as_str()
        )));
    }
    let (total, with_result, failed): (i32, i64, i64) = sqlx::query_as(
        "SELECT r.total_pairs, \
                (SELECT count(*) FROM benchmark_results WHERE run_id = $1), \
                (SELECT count(*) FROM benchmark_results WHERE run_id = $1 AND error IS NOT NULL) \
         FROM benchmark_runs r WHERE r.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *transaction)
    .await?;
    let retried = failed + (i64::from(total) - with_result).max(0);
    if retried == 0 {
        return Err(Error::FailedPrecondition(format!(
            "run {id} has no failed pairs to retry"
        )));
    }
    let row: RunRow = sqlx::query_as(&format!(
        "UPDATE benchmark_runs SET status = 'pending', retry_requested_at = now(), completed_at = NULL, \
             error = NULL, budget_exhausted = false, cancel_requested = false, claimed_by = NULL, \
             lease_expires_at = NULL \
         WHERE id = $1 RETURNING {RUN_COLUMNS}"
    ))
    .bind(id)
    .fetch_one(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok((row, retried))
}

/// Returns the ids and completion times of a suite's completed runs since `since`, oldest first.
pub async fn completed_runs_of_suite(
    transaction: &mut Transaction<'static, Postgres>,
    suite_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, completed_at FROM benchmark_runs \
         WHERE suite_id = $1 AND status = 'completed' AND completed_at IS NOT NULL \
           AND ($2::timestamptz IS NULL OR completed_at >= $2) \
         ORDER BY completed_at, id",
    )
    .bind(suite_id)
    .bind(since)
    .fetch_all(&mut **transaction)
    .await?)
}
