//! Benchmark runs: creation, reads, listing, cancel and retry, live counts and per-model aggregates.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::records::{LiveCounts, RunFilter, RunRow, RunSummary};
use crate::domain::run::{AdHocCase, RunConfig, RunStatus};
use crate::domain::significance::CaseScore;
use crate::domain::stats::ModelAggregate;
use crate::error::Error;

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
    let id = sqlx::query_scalar!(
        "INSERT INTO benchmark_runs (suite_id, models, config, case_ids, ad_hoc_cases, total_pairs, \
             created_by, label) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        run.suite_id,
        &run.config.model_names(),
        Json(&run.config) as _,
        &run.case_ids,
        ad_hoc as _,
        run.total_pairs,
        &run.created_by,
        &run.label
    )
    .fetch_one(&mut **transaction)
    .await?;
    fetch_run(transaction, id).await
}

/// Returns a run inside a transaction; NOT_FOUND for unknown or other tenants' runs.
pub async fn fetch_run(
    transaction: &mut Transaction<'static, Postgres>,
    id: Uuid,
) -> Result<RunRow, Error> {
    let row = fetch_runs(transaction, &[id]).await?.pop();
    row.ok_or_else(|| Error::not_found("run", &id.to_string()))
}

/// Returns the runs with these ids (those the tenant sees) in the order of `ids`: the one statement
/// that reads a whole [`RunRow`].
pub async fn fetch_runs(
    transaction: &mut Transaction<'static, Postgres>,
    ids: &[Uuid],
) -> Result<Vec<RunRow>, Error> {
    Ok(sqlx::query_as!(
        RunRow,
        r#"SELECT id, tenant_id, suite_id, status, models, config AS "config: Json<RunConfig>",
                  case_ids, ad_hoc_cases AS "ad_hoc_cases: Json<Vec<AdHocCase>>", total_pairs, done,
                  failed, cost_micro_usd, best_model, cheapest_model,
                  summary AS "summary: Json<RunSummary>", error, created_by, created_at, started_at,
                  completed_at, budget_exhausted, label, retry_requested_at, claimed_by,
                  judge_cost_micro_usd
             FROM benchmark_runs WHERE id = ANY($1) ORDER BY array_position($1, id)"#,
        ids
    )
    .fetch_all(&mut **transaction)
    .await?)
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
    Ok(sqlx::query_as!(
        LiveCounts,
        r#"WITH results AS (
               SELECT count(*) AS done,
                      count(*) FILTER (WHERE error IS NOT NULL) AS failed,
                      count(*) FILTER (WHERE cached) AS cached,
                      COALESCE(sum(cost_micro_usd), 0)::bigint AS model_cost,
                      COALESCE(sum(judge_cost_micro_usd), 0)::bigint AS grading_cost,
                      count(*) FILTER (WHERE error IS NULL AND NOT price_known) AS unpriced
                 FROM benchmark_results WHERE run_id = $1),
           pairwise AS (
               SELECT COALESCE(sum(judge_cost_micro_usd), 0)::bigint AS pairwise_cost
                 FROM judge_verdicts WHERE run_id = $1)
           SELECT done AS "done!", failed AS "failed!", cached AS "cached!",
                  model_cost + grading_cost + pairwise_cost AS "cost_micro_usd!",
                  unpriced AS "unpriced!", grading_cost + pairwise_cost AS "judge_cost_micro_usd!"
             FROM results, pairwise"#,
        run_id
    )
    .fetch_one(&mut **transaction)
    .await?)
}

/// Per-model aggregates over the results of `run_ids`.
pub async fn model_aggregates(
    transaction: &mut Transaction<'static, Postgres>,
    run_ids: &[Uuid],
) -> Result<Vec<ModelAggregate>, Error> {
    let rows = sqlx::query!(
        r#"SELECT model, max(canonical_model_id) AS canonical_id, count(*) AS "results!",
                  count(*) FILTER (WHERE error IS NOT NULL) AS "failed!",
                  avg(quality) AS mean_quality,
                  (avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END) FILTER (WHERE passed IS NOT NULL))::float8
                      AS pass_rate,
                  COALESCE(sum(cost_micro_usd), 0)::bigint AS "total_cost_micro_usd!",
                  count(*) FILTER (WHERE error IS NULL AND price_known) AS "priced_results!",
                  COALESCE(sum(input_tokens), 0)::bigint AS "input_tokens!",
                  COALESCE(sum(output_tokens), 0)::bigint AS "output_tokens!",
                  COALESCE((avg(total_tokens) FILTER (WHERE error IS NULL))::float8, 0)
                      AS "mean_total_tokens!",
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)
                      FILTER (WHERE error IS NULL AND NOT cached AND latency_ms IS NOT NULL)
                      AS latency_p50_ms,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
                      FILTER (WHERE error IS NULL AND NOT cached AND latency_ms IS NOT NULL)
                      AS latency_p95_ms,
                  count(DISTINCT run_id) AS "runs!", count(*) FILTER (WHERE passed) AS "passes!",
                  count(*) FILTER (WHERE passed IS NOT NULL) AS "pass_trials!"
             FROM benchmark_results WHERE run_id = ANY($1) GROUP BY model ORDER BY model"#,
        run_ids
    )
    .fetch_all(&mut **transaction)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ModelAggregate {
            model: row.model,
            canonical_id: row.canonical_id,
            results: row.results,
            failed: row.failed,
            mean_quality: row.mean_quality,
            pass_rate: row.pass_rate,
            total_cost_micro_usd: row.total_cost_micro_usd,
            priced_results: row.priced_results,
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            mean_total_tokens: row.mean_total_tokens,
            latency_p50_ms: row.latency_p50_ms,
            latency_p95_ms: row.latency_p95_ms,
            runs: row.runs,
            passes: row.passes,
            pass_trials: row.pass_trials,
            mean_quality_interval: None,
            pass_rate_interval: None,
        })
        .collect())
}

/// Each model's mean quality per case over the graded results of `run_ids` (repetitions and runs
/// averaged), for intervals and paired tests. A case is its id, or run and index when ad hoc.
pub async fn case_scores(
    transaction: &mut Transaction<'static, Postgres>,
    run_ids: &[Uuid],
) -> Result<Vec<CaseScore>, Error> {
    Ok(sqlx::query_as!(
        CaseScore,
        r#"SELECT model, COALESCE(case_id::text, run_id::text || '#' || case_index) AS "case!",
                  avg(quality) AS "quality!"
             FROM benchmark_results WHERE run_id = ANY($1) AND quality IS NOT NULL
            GROUP BY model, 2"#,
        run_ids
    )
    .fetch_all(&mut **transaction)
    .await?)
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
    let ids = sqlx::query_scalar!(
        "SELECT id FROM benchmark_runs \
         WHERE ($1::uuid IS NULL OR suite_id = $1) \
           AND ($2::text IS NULL OR status = $2) \
           AND ($3::timestamptz IS NULL OR created_at >= $3) \
           AND ($4::timestamptz IS NULL OR created_at < $4) \
           AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6)) \
         ORDER BY created_at DESC, id DESC LIMIT $7",
        filter.suite_id,
        filter.status.map(RunStatus::as_str),
        filter.created_after,
        filter.created_before,
        after.map(|(time, _)| time),
        after.map(|(_, id)| id).unwrap_or_default(),
        i64::from(limit)
    )
    .fetch_all(&mut *transaction)
    .await?;
    let rows = fetch_runs(&mut transaction, &ids).await?;
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

/// Cancels a pending or running run. FAILED_PRECONDITION when it already ended. (The caller reads the
/// run back with its live counts, so nothing is returned here.)
pub async fn cancel_run(pool: &PgPool, tenant: &str, id: Uuid, reason: &str) -> Result<(), Error> {
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
    sqlx::query!(
        "UPDATE benchmark_runs SET status = 'cancelled', cancel_requested = true, \
             completed_at = now(), lease_expires_at = NULL, summary = $2, \
             (done, failed, cost_micro_usd, judge_cost_micro_usd) = \
                 (SELECT done, failed, cost_micro_usd, judge_cost_micro_usd FROM run_counters($1)) \
         WHERE id = $1",
        id,
        Json(summary) as _
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Re-queues an ended run so its failed pairs (and pairs never called) run again. Returns the number
/// of pairs that will be called.
pub async fn retry_run(pool: &PgPool, tenant: &str, id: Uuid) -> Result<i64, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let status = sqlx::query_scalar!(
        "SELECT status FROM benchmark_runs WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| Error::not_found("run", &id.to_string()))?;
    let status = RunStatus::parse(&status).unwrap_or(RunStatus::Failed);
    if !status.is_terminal() {
        return Err(Error::FailedPrecondition(format!(
            "run {id} is {}; retry it once it has ended (or cancel it first)",
            status.as_str()
        )));
    }
    let counts = sqlx::query!(
        r#"SELECT r.total_pairs,
                  (SELECT count(*) FROM benchmark_results WHERE run_id = $1) AS "with_result!",
                  (SELECT count(*) FROM benchmark_results WHERE run_id = $1 AND error IS NOT NULL)
                      AS "failed!"
             FROM benchmark_runs r WHERE r.id = $1"#,
        id
    )
    .fetch_one(&mut *transaction)
    .await?;
    let (total, with_result, failed) = (counts.total_pairs, counts.with_result, counts.failed);
    let retried = failed + (i64::from(total) - with_result).max(0);
    if retried == 0 {
        return Err(Error::FailedPrecondition(format!(
            "run {id} has no failed pairs to retry"
        )));
    }
    sqlx::query!(
        "UPDATE benchmark_runs SET status = 'pending', retry_requested_at = now(), completed_at = NULL, \
             error = NULL, budget_exhausted = false, cancel_requested = false, claimed_by = NULL, \
             lease_expires_at = NULL \
         WHERE id = $1",
        id
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(retried)
}

/// Returns the ids and completion times of a suite's completed runs since `since`, oldest first.
pub async fn completed_runs_of_suite(
    transaction: &mut Transaction<'static, Postgres>,
    suite_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, Error> {
    let rows = sqlx::query!(
        r#"SELECT id, completed_at AS "completed_at!" FROM benchmark_runs
            WHERE suite_id = $1 AND status = 'completed' AND completed_at IS NOT NULL
              AND ($2::timestamptz IS NULL OR completed_at >= $2)
            ORDER BY completed_at, id"#,
        suite_id,
        since
    )
    .fetch_all(&mut **transaction)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.id, row.completed_at))
        .collect())
}
