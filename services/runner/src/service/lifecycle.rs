//! A run after its creation: listing runs and results, cancelling (which also stops the pairs this
//! replica executes) and retrying (which wakes the claim loop).

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::records::{LiveCounts, RunFilter, RunRow};
use crate::domain::records::{ResultFilter, ResultRecord};
use crate::engine::Engine;
use crate::error::Error;
use crate::repo;
use crate::repo::results::{ExistingPair, ResultCursor};

/// Lists runs newest first after the `(created_at, id)` cursor, with live counts of active runs.
pub async fn list_runs(
    pool: &PgPool,
    tenant: &str,
    filter: &RunFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
) -> Result<Vec<(RunRow, LiveCounts)>, Error> {
    repo::runs::list_runs(pool, tenant, filter, after, limit).await
}

/// Lists a run's results in (case, model, repetition) order after the cursor; NOT_FOUND for a run
/// that is not the tenant's.
pub async fn list_results(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    filter: &ResultFilter,
    after: Option<ResultCursor>,
    limit: u32,
) -> Result<Vec<ResultRecord>, Error> {
    repo::results::list_results(pool, tenant, run_id, filter, after, limit).await
}

/// NOT_FOUND unless the run is the tenant's (WatchRun answers this before it starts streaming).
pub async fn require_run(pool: &PgPool, tenant: &str, run_id: Uuid) -> Result<(), Error> {
    repo::runs::run_progress(pool, tenant, run_id)
        .await
        .map(|_| ())
}

/// Cancels a pending or running run (FAILED_PRECONDITION once it ended) and stops its pairs when this
/// replica executes it; another replica's executor sees the flag at its next lease renewal.
pub async fn cancel_run(
    pool: &PgPool,
    engine: &Engine,
    tenant: &str,
    subject: &str,
    run_id: Uuid,
) -> Result<(), Error> {
    let reason = format!("cancelled by {subject}");
    repo::runs::cancel_run(pool, tenant, run_id, &reason).await?;
    let local = engine.cancel_local(run_id);
    tracing::info!(run_id = %run_id, executing_here = local, "run cancelled");
    Ok(())
}

/// Re-queues an ended run's failed and never-called pairs and wakes the claim loop; returns how many
/// pairs will be called. `token`, when given, is kept in memory for the judge (see
/// `Engine::remember_token`).
pub async fn retry_run(
    pool: &PgPool,
    engine: &Engine,
    tenant: &str,
    run_id: Uuid,
    token: Option<SecretString>,
) -> Result<i64, Error> {
    let retried = repo::runs::retry_run(pool, tenant, run_id).await?;
    if let Some(token) = token {
        engine.remember_token(run_id, token);
    }
    engine.wake.notify_one();
    Ok(retried)
}

/// What WatchRun reads: a run with its live counts (NOT_FOUND when it is not the tenant's).
pub async fn run_progress(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
) -> Result<(RunRow, LiveCounts), Error> {
    repo::runs::run_progress(pool, tenant, run_id).await
}

/// What WatchRun reads: a run's results recorded at or after `since`, oldest first.
pub async fn results_since(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<ResultRecord>, Error> {
    repo::results::results_since(pool, tenant, run_id, since).await
}

/// What WatchRun reads when it does not replay: the pairs that already have a result.
pub async fn existing_pairs(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
) -> Result<Vec<ExistingPair>, Error> {
    let mut transaction = repo::tenant(pool, tenant).await?;
    let existing = repo::results::existing_pairs(&mut transaction, run_id).await?;
    transaction.commit().await?;
    Ok(existing)
}
