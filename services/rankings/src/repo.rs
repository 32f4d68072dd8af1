//! SQL of the rankings service: the catalog's inputs, read in one consistent snapshot, and model history.

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::domain::history::HistoryRecord;
use crate::domain::records::{
    AliasRecord, CatalogInput, CoverageRecord, ModelRecord, ObservationRecord, SourceStateRecord,
};

/// Reads everything a catalog is built from in one repeatable-read, read-only transaction, so the catalog
/// reflects one consistent moment even while an ingest commits. `as_of` cuts observations at that date
/// (inclusive); `None` reads every snapshot. Every statement is checked against the schema at compile
/// time (`.sqlx/`) and decodes straight into the domain records (a model's description into the
/// `ModelRow` ingest writes, beside the columns rankings alone reads).
pub async fn load_catalog_input(
    pool: &PgPool,
    as_of: Option<NaiveDate>,
) -> Result<CatalogInput, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *transaction)
        .await?;
    let models = sqlx::query!(
        "SELECT id, display_name, creator, family, release_date, context_length, open_weights, \
                first_seen_at, tier, origin \
           FROM models"
    )
    .fetch_all(&mut *transaction)
    .await?
    .into_iter()
    .map(|row| ModelRecord {
        row: benchhub_common::model_row!(row),
        first_seen_at: row.first_seen_at,
        tier: row.tier,
        origin: row.origin,
    })
    .collect();
    let aliases = sqlx::query_as!(
        AliasRecord,
        "SELECT source, alias, model_id, created_at FROM model_aliases ORDER BY created_at, id"
    )
    .fetch_all(&mut *transaction)
    .await?;
    // The latest observation of every upstream series (source, category, metric, upstream name) whose
    // data date (when the upstream measured or published it) is on or before the date. Walking the
    // natural-key index backwards yields each series newest first, so no sort is needed.
    let observations = sqlx::query_as!(
        ObservationRecord,
        r#"SELECT DISTINCT ON (source, category, metric, source_model_name)
                  model_id AS "model_id!", source, category, metric, source_model_name,
                  snapshot_date, value, ci_low, ci_high, sample_size, normalized, unit,
                  COALESCE(data_date, snapshot_date) AS "data_date!", match_method, match_detail
             FROM observations
            WHERE model_id IS NOT NULL
              AND ($1::date IS NULL OR COALESCE(data_date, snapshot_date) <= $1)
            ORDER BY source DESC, category DESC, metric DESC, source_model_name DESC,
                     snapshot_date DESC"#,
        as_of
    )
    .fetch_all(&mut *transaction)
    .await?;
    let states = sqlx::query!(
        r#"SELECT s.source, COALESCE(s.last_attempt_at, r.started_at) AS last_attempt_at,
                  s.newest_snapshot_date, s.newest_data_date, s.stale,
                  r.status AS "status?", r.error AS "error?", s.last_success_at, s.ttl_seconds
             FROM source_state s LEFT JOIN ingestion_runs r ON r.id = s.last_run_id"#
    )
    .fetch_all(&mut *transaction)
    .await?;
    // Coverage per metric. The natural key makes upstream names unique per (source, category, metric,
    // date), so counting unmatched rows of the newest date counts unmatched names; grouping by date
    // first keeps every aggregate a hash aggregate (no sort of the whole table).
    let coverage = sqlx::query_as!(
        CoverageRecord,
        r#"WITH dated AS (
               SELECT source, category, metric, snapshot_date, max(unit) AS unit,
                      count(*) FILTER (WHERE model_id IS NULL) AS unmatched
                 FROM observations
                WHERE $1::date IS NULL OR snapshot_date <= $1
                GROUP BY source, category, metric, snapshot_date)
           SELECT source AS "source!", category AS "category!", metric AS "metric!", max(unit) AS unit,
                  min(snapshot_date) AS "oldest!", max(snapshot_date) AS "newest!",
                  count(*) AS "snapshot_count!",
                  (array_agg(unmatched ORDER BY snapshot_date DESC))[1] AS "unmatched_newest!"
             FROM dated
            GROUP BY source, category, metric"#,
        as_of
    )
    .fetch_all(&mut *transaction)
    .await?;
    // Source of each model's first observation: identities grow with insertion (an upsert keeps its
    // row), so the smallest id per model is the first ingested; a hash aggregate avoids sorting.
    let first_sources = sqlx::query!(
        r#"SELECT o.model_id AS "model_id!", o.source
             FROM observations o
             JOIN (SELECT min(id) AS id FROM observations WHERE model_id IS NOT NULL GROUP BY model_id) f
               ON f.id = o.id"#
    )
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;

    Ok(CatalogInput {
        models,
        aliases,
        observations,
        sources: states
            .into_iter()
            .map(|row| SourceStateRecord {
                source: row.source,
                last_attempt_at: row.last_attempt_at,
                newest_snapshot_date: row.newest_snapshot_date,
                newest_data_date: row.newest_data_date,
                stale: row.stale,
                last_run_status: row.status,
                last_run_error: row.error,
                last_success_at: row.last_success_at,
                ttl: row
                    .ttl_seconds
                    .and_then(|seconds| u64::try_from(seconds).ok())
                    .map(std::time::Duration::from_secs),
            })
            .collect(),
        coverage,
        first_sources: first_sources
            .into_iter()
            .map(|row| (row.model_id, row.source))
            .collect(),
    })
}

/// Which observations of a model [`model_history`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistorySelection {
    /// Only these sources (all when empty).
    pub sources: Vec<String>,
    /// Only these categories (all when empty).
    pub categories: Vec<String>,
    /// Only these metrics (all when empty).
    pub metrics: Vec<String>,
    /// First date included.
    pub from: Option<NaiveDate>,
    /// Last date included.
    pub to: Option<NaiveDate>,
}

/// Most observations one history request reads.
pub const MAX_HISTORY_ROWS: i64 = 100_000;

/// Reads a model's stored observations for its history.
pub async fn model_history(
    pool: &PgPool,
    model_id: &str,
    selection: &HistorySelection,
) -> Result<Vec<HistoryRecord>, sqlx::Error> {
    sqlx::query_as!(
        HistoryRecord,
        "SELECT source, category, metric, source_model_name, snapshot_date, value, normalized, \
                ci_low, ci_high, unit \
           FROM observations \
          WHERE model_id = $1 \
            AND (cardinality($2::text[]) = 0 OR source = ANY($2)) \
            AND (cardinality($3::text[]) = 0 OR category = ANY($3)) \
            AND (cardinality($4::text[]) = 0 OR metric = ANY($4)) \
            AND ($5::date IS NULL OR snapshot_date >= $5) \
            AND ($6::date IS NULL OR snapshot_date <= $6) \
          ORDER BY source, category, metric, snapshot_date \
          LIMIT $7",
        model_id,
        &selection.sources,
        &selection.categories,
        &selection.metrics,
        selection.from,
        selection.to,
        MAX_HISTORY_ROWS
    )
    .fetch_all(pool)
    .await
}
