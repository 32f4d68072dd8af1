//! Suite statistics over completed runs.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::stats::ModelAggregate;
use crate::error::Error;

/// One (completed run, model) point of the cost trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// Run id.
    pub run_id: Uuid,
    /// When the run completed.
    pub completed_at: DateTime<Utc>,
    /// Model.
    pub model: String,
    /// Total cost of priced results.
    pub total_cost_micro_usd: i64,
    /// Results.
    pub results: i64,
    /// Successful results without a price.
    pub unpriced: i64,
    /// Successful results.
    pub successes: i64,
    /// Mean quality.
    pub mean_quality: Option<f64>,
}

/// Everything GetSuiteStats reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SuiteStats {
    /// Per-model aggregates over the completed runs.
    pub models: Vec<ModelAggregate>,
    /// Per-case scores of every model over the completed runs.
    pub cases: Vec<crate::domain::significance::CaseScore>,
    /// Cost trend, oldest first.
    pub trend: Vec<TrendPoint>,
    /// Completed runs covered.
    pub completed_runs: usize,
    /// Latest completion.
    pub last_completed_at: Option<DateTime<Utc>>,
}

/// Reads a suite's statistics; NOT_FOUND for unknown or other tenants' suites.
pub async fn suite_stats(
    pool: &PgPool,
    tenant: &str,
    suite_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<SuiteStats, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    super::suites::require_suite(&mut transaction, suite_id).await?;
    let runs = super::runs::completed_runs_of_suite(&mut transaction, suite_id, since).await?;
    let run_ids: Vec<Uuid> = runs.iter().map(|(id, _)| *id).collect();
    let models = super::runs::model_aggregates(&mut transaction, &run_ids).await?;
    let cases = super::runs::case_scores(&mut transaction, &run_ids).await?;
    let trend = sqlx::query_as!(
        TrendPoint,
        r#"SELECT r.run_id, b.completed_at AS "completed_at!", r.model,
                  COALESCE(sum(r.cost_micro_usd), 0)::bigint AS "total_cost_micro_usd!",
                  count(*) AS "results!",
                  count(*) FILTER (WHERE r.error IS NULL AND NOT r.price_known) AS "unpriced!",
                  count(*) FILTER (WHERE r.error IS NULL) AS "successes!",
                  avg(r.quality) AS mean_quality
             FROM benchmark_results r JOIN benchmark_runs b ON b.id = r.run_id
            WHERE r.run_id = ANY($1)
            GROUP BY r.run_id, b.completed_at, r.model
            ORDER BY b.completed_at, r.run_id, r.model"#,
        &run_ids
    )
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(SuiteStats {
        models,
        cases,
        trend,
        completed_runs: runs.len(),
        last_completed_at: runs.last().map(|(_, time)| *time),
    })
}
