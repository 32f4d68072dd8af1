//! The worker side of runs: claiming pending (or lease-expired) runs of any tenant, renewing the
//! lease, and recording the end. Every update after the claim is fenced by the claim tag, so a replica
//! that lost its lease cannot overwrite the new owner's state.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::records::RunSummary;
use crate::domain::run::RunStatus;
use crate::error::Error;

/// Role the claim loop runs as (see 0005_rls.sql).
pub const WORKER_ROLE: &str = "benchhub_worker";

/// A run just claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Run id.
    pub run_id: Uuid,
    /// Its tenant.
    pub tenant_id: String,
    /// Status before the claim: pending, or running when the previous owner's lease expired.
    pub previous: RunStatus,
}

/// A lease in milliseconds, as the `$n * interval '1 millisecond'` parameters take it (float8).
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Claims the oldest pending run, or a running run whose lease expired, with `FOR UPDATE SKIP LOCKED`
/// so concurrent replicas never claim the same run.
pub async fn claim(
    pool: &PgPool,
    claim_tag: &str,
    lease: Duration,
) -> Result<Option<Claimed>, Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query!("SET LOCAL ROLE benchhub_worker")
        .execute(&mut *transaction)
        .await?;
    let row = sqlx::query!(
        r#"WITH candidate AS (
               SELECT id, status FROM benchmark_runs
                WHERE status = 'pending'
                   OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now()))
                ORDER BY created_at, id
                  FOR UPDATE SKIP LOCKED LIMIT 1
           )
           UPDATE benchmark_runs r SET status = 'running', claimed_by = $1,
                  lease_expires_at = now() + $2 * interval '1 millisecond',
                  started_at = COALESCE(r.started_at, now())
             FROM candidate WHERE r.id = candidate.id
           RETURNING r.id, r.tenant_id, candidate.status AS previous"#,
        claim_tag,
        millis(lease)
    )
    .fetch_optional(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(row.map(|row| Claimed {
        run_id: row.id,
        tenant_id: row.tenant_id,
        previous: RunStatus::parse(&row.previous).unwrap_or(RunStatus::Pending),
    }))
}

/// What a lease renewal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Still ours and running; the lease was extended.
    Held,
    /// No longer ours or no longer running (cancelled, taken over): stop.
    Lost,
}

/// Extends the lease of a run this replica holds and flushes its counters.
pub async fn renew(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    claim_tag: &str,
    lease: Duration,
) -> Result<Renewal, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let row = sqlx::query_scalar!(
        "UPDATE benchmark_runs SET lease_expires_at = now() + $3 * interval '1 millisecond', \
             (done, failed, cost_micro_usd, judge_cost_micro_usd) = \
                 (SELECT done, failed, cost_micro_usd, judge_cost_micro_usd FROM run_counters($1)) \
         WHERE id = $1 AND claimed_by = $2 AND status = 'running' RETURNING id",
        run_id,
        claim_tag,
        millis(lease)
    )
    .fetch_optional(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(if row.is_some() {
        Renewal::Held
    } else {
        Renewal::Lost
    })
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    /// Completed or failed.
    pub status: RunStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// Stopped by the budget.
    pub budget_exhausted: bool,
    /// Aggregates, ratings and reason.
    pub summary: RunSummary,
    /// Best model.
    pub best_model: Option<String>,
    /// Its mean quality.
    pub best_quality: Option<f64>,
    /// Cheapest model.
    pub cheapest_model: Option<String>,
    /// Its total cost.
    pub cheapest_cost_micro_usd: Option<i64>,
}

/// Records the end of a run this replica holds; `false` when it was no longer ours or running.
pub async fn finish(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    claim_tag: &str,
    ending: &Ending,
) -> Result<bool, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let row = sqlx::query_scalar!(
        "UPDATE benchmark_runs SET status = $3, error = $4, budget_exhausted = $5, summary = $6, \
             best_model = $7, best_quality = $8, cheapest_model = $9, cheapest_cost_micro_usd = $10, \
             completed_at = now(), lease_expires_at = NULL, \
             (done, failed, cost_micro_usd, judge_cost_micro_usd) = \
                 (SELECT done, failed, cost_micro_usd, judge_cost_micro_usd FROM run_counters($1)) \
         WHERE id = $1 AND claimed_by = $2 AND status = 'running' RETURNING id",
        run_id,
        claim_tag,
        ending.status.as_str(),
        ending.error.as_deref(),
        ending.budget_exhausted,
        Json(&ending.summary) as _,
        ending.best_model.as_deref(),
        ending.best_quality,
        ending.cheapest_model.as_deref(),
        ending.cheapest_cost_micro_usd
    )
    .fetch_optional(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(row.is_some())
}

/// Stores the summary of a run that was cancelled while this replica executed it (the status stays
/// cancelled; counters are refreshed).
pub async fn settle_cancelled(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    claim_tag: &str,
) -> Result<(), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    sqlx::query!(
        "UPDATE benchmark_runs SET \
             (done, failed, cost_micro_usd, judge_cost_micro_usd) = \
                 (SELECT done, failed, cost_micro_usd, judge_cost_micro_usd FROM run_counters($1)) \
         WHERE id = $1 AND claimed_by = $2 AND status = 'cancelled'",
        run_id,
        claim_tag
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Gives a run back on shutdown: it stays running with an expired lease, so any replica (this one
/// after a restart, or another) takes it over at once.
pub async fn release(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    claim_tag: &str,
) -> Result<(), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    sqlx::query!(
        "UPDATE benchmark_runs SET lease_expires_at = now() - interval '1 second', \
             (done, failed, cost_micro_usd, judge_cost_micro_usd) = \
                 (SELECT done, failed, cost_micro_usd, judge_cost_micro_usd FROM run_counters($1)) \
         WHERE id = $1 AND claimed_by = $2 AND status = 'running'",
        run_id,
        claim_tag
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}
