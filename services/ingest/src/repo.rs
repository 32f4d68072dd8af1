//! SQL of the ingest service.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::SourceSettings;

/// One row of `ingestion_runs`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    /// Run id.
    pub id: Uuid,
    /// Source name.
    pub source: String,
    /// manual | schedule | startup | detect.
    pub trigger: String,
    /// Who asked for it (token name), if anyone.
    pub actor: Option<String>,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time, while running `None`.
    pub completed_at: Option<DateTime<Utc>>,
    /// running | succeeded | failed | skipped.
    pub status: String,
    /// Snapshot date written.
    pub snapshot_date: Option<NaiveDate>,
    /// Upstream records fetched.
    pub fetched: i32,
    /// Observations inserted.
    pub inserted: i32,
    /// Observations updated.
    pub updated: i32,
    /// Observations without a canonical model.
    pub unmatched: i32,
    /// Records skipped.
    pub skipped: i32,
    /// Records that failed to parse.
    pub failed: i32,
    /// Wall time.
    pub duration_ms: Option<i64>,
    /// Whether readers keep the previous snapshot because this run failed.
    pub stale: bool,
    /// Error text, if it failed.
    pub error: Option<String>,
}

/// Columns of [`RunRow`], for SELECTs.
pub const RUN_COLUMNS: &str = "id, source, trigger, actor, dry_run, started_at, completed_at, status, \
    snapshot_date, fetched, inserted, updated, unmatched, skipped, failed, duration_ms, stale, error";

/// The stored state of one source, with its latest run.
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    /// Last successful run's completion.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Next scheduled run.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Newest snapshot date stored.
    pub newest_snapshot_date: Option<NaiveDate>,
    /// Distinct upstream model names in the newest snapshot.
    pub models_found: i32,
    /// Distinct upstream model names with no canonical model.
    pub models_unmatched: i32,
    /// Whether the last attempt failed and readers see an older snapshot.
    pub stale: bool,
    /// The latest run.
    pub last_run: Option<RunRow>,
}

/// Records every configured source in `source_state` with its schedule and next run (computed from
/// `now`), keeping the rest of the bookkeeping.
pub async fn sync_sources(
    pool: &PgPool,
    sources: &[SourceSettings],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    for source in sources {
        let next_run = source
            .schedule
            .as_ref()
            .and_then(|schedule| schedule.after(&now).next());
        sqlx::query(
            "INSERT INTO source_state (source, schedule, enabled, next_run_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (source) DO UPDATE SET schedule = EXCLUDED.schedule, enabled = EXCLUDED.enabled, \
             next_run_at = CASE WHEN source_state.schedule IS NOT DISTINCT FROM EXCLUDED.schedule \
                                 AND source_state.next_run_at > now() \
                            THEN source_state.next_run_at ELSE EXCLUDED.next_run_at END, \
             updated_at = now()",
        )
        .bind(source.spec.name)
        .bind((!source.schedule_text.is_empty()).then_some(source.schedule_text.as_str()))
        .bind(source.schedule.is_some())
        .bind(next_run)
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await
}

/// Reads the state of every source that has one.
pub async fn source_states(
    pool: &PgPool,
) -> Result<std::collections::HashMap<String, SourceState>, sqlx::Error> {
    type StateTuple = (
        String,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<NaiveDate>,
        i32,
        bool,
        Option<Uuid>,
        i64,
    );
    let rows: Vec<StateTuple> = sqlx::query_as(
        "SELECT s.source, s.last_success_at, s.next_run_at, s.newest_snapshot_date, s.models_found, s.stale, \
                s.last_run_id, \
                (SELECT count(DISTINCT o.source_model_name) FROM observations o \
                  WHERE o.source = s.source AND o.model_id IS NULL \
                    AND o.snapshot_date = s.newest_snapshot_date) AS unmatched \
         FROM source_state s",
    )
    .fetch_all(pool)
    .await?;
    let run_ids: Vec<Uuid> = rows.iter().filter_map(|row| row.6).collect();
    let runs: Vec<RunRow> = sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM ingestion_runs WHERE id = ANY($1)"
    ))
    .bind(&run_ids)
    .fetch_all(pool)
    .await?;
    let mut states = std::collections::HashMap::new();
    for (
        source,
        last_success_at,
        next_run_at,
        newest_snapshot_date,
        models_found,
        stale,
        last_run_id,
        unmatched,
    ) in rows
    {
        let last_run = last_run_id.and_then(|id| runs.iter().find(|run| run.id == id).cloned());
        states.insert(
            source,
            SourceState {
                last_success_at,
                next_run_at,
                newest_snapshot_date,
                models_found,
                models_unmatched: i32::try_from(unmatched).unwrap_or(i32::MAX),
                stale,
                last_run,
            },
        );
    }
    Ok(states)
}
