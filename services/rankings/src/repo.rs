//! SQL of the rankings service: the catalog's inputs, read in one consistent snapshot, and model history.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use crate::domain::history::HistoryRecord;
use crate::domain::records::{
    AliasRecord, CatalogInput, CoverageRecord, ModelRecord, ObservationRecord, SourceStateRecord,
};

#[derive(sqlx::FromRow)]
struct ModelRow {
    id: String,
    display_name: String,
    creator: Option<String>,
    family: Option<String>,
    release_date: Option<NaiveDate>,
    context_length: Option<i32>,
    open_weights: Option<bool>,
    first_seen_at: DateTime<Utc>,
    tier: String,
    origin: String,
}

#[derive(sqlx::FromRow)]
struct ObservationRow {
    model_id: String,
    source: String,
    category: String,
    metric: String,
    source_model_name: String,
    snapshot_date: NaiveDate,
    value: f64,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    sample_size: Option<i64>,
    normalized: Option<f64>,
    unit: Option<String>,
    data_date: NaiveDate,
    match_method: Option<String>,
    match_detail: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SourceStateRow {
    source: String,
    last_attempt_at: Option<DateTime<Utc>>,
    newest_snapshot_date: Option<NaiveDate>,
    newest_data_date: Option<NaiveDate>,
    stale: bool,
    status: Option<String>,
    error: Option<String>,
    last_success_at: Option<DateTime<Utc>>,
    ttl_seconds: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct CoverageRow {
    source: String,
    category: String,
    metric: String,
    unit: Option<String>,
    oldest: NaiveDate,
    newest: NaiveDate,
    snapshot_count: i64,
    unmatched: i64,
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    source: String,
    category: String,
    metric: String,
    source_model_name: String,
    snapshot_date: NaiveDate,
    value: f64,
    normalized: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    unit: Option<String>,
}

/// The latest observation of every upstream series (source, category, metric, upstream name) whose data
/// date (when the upstream measured or published it) is on or before the date. Walking the natural-key
/// index backwards yields each series newest first, so no sort is needed.
const LATEST_OBSERVATIONS: &str = "\
    SELECT DISTINCT ON (source, category, metric, source_model_name) \
           model_id, source, category, metric, source_model_name, snapshot_date, value, \
           ci_low, ci_high, sample_size, normalized, unit, \
           COALESCE(data_date, snapshot_date) AS data_date, match_method, match_detail \
      FROM observations \
     WHERE model_id IS NOT NULL AND ($1::date IS NULL OR COALESCE(data_date, snapshot_date) <= $1) \
     ORDER BY source DESC, category DESC, metric DESC, source_model_name DESC, snapshot_date DESC";

/// Coverage per metric. The natural key makes upstream names unique per (source, category, metric,
/// date), so counting unmatched rows of the newest date counts unmatched names; grouping by date first
/// keeps every aggregate a hash aggregate (no sort of the whole table).
const COVERAGE: &str = "\
    WITH dated AS ( \
        SELECT source, category, metric, snapshot_date, max(unit) AS unit, \
               count(*) FILTER (WHERE model_id IS NULL) AS unmatched \
          FROM observations \
         WHERE $1::date IS NULL OR snapshot_date <= $1 \
         GROUP BY source, category, metric, snapshot_date) \
    SELECT source, category, metric, max(unit) AS unit, min(snapshot_date) AS oldest, \
           max(snapshot_date) AS newest, count(*) AS snapshot_count, \
           (array_agg(unmatched ORDER BY snapshot_date DESC))[1] AS unmatched \
      FROM dated \
     GROUP BY source, category, metric";

const SOURCE_STATES: &str = "\
    SELECT s.source, COALESCE(s.last_attempt_at, r.started_at) AS last_attempt_at, \
           s.newest_snapshot_date, s.newest_data_date, s.stale, r.status, r.error, \
           s.last_success_at, s.ttl_seconds \
      FROM source_state s LEFT JOIN ingestion_runs r ON r.id = s.last_run_id";

/// Source of each model's first observation: identities grow with insertion (an upsert keeps its row),
/// so the smallest id per model is the first ingested; a hash aggregate avoids sorting the table.
const FIRST_SOURCES: &str = "\
    SELECT o.model_id, o.source \
      FROM observations o \
      JOIN (SELECT min(id) AS id FROM observations WHERE model_id IS NOT NULL GROUP BY model_id) f \
        ON f.id = o.id";

/// Reads everything a catalog is built from in one repeatable-read, read-only transaction, so the catalog
/// reflects one consistent moment even while an ingest commits. `as_of` cuts observations at that date
/// (inclusive); `None` reads every snapshot.
pub async fn load_catalog_input(
    pool: &PgPool,
    as_of: Option<NaiveDate>,
) -> Result<CatalogInput, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *transaction)
        .await?;
    let models: Vec<ModelRow> = sqlx::query_as(
        "SELECT id, display_name, creator, family, release_date, context_length, open_weights, \
                first_seen_at, tier, origin FROM models",
    )
    .fetch_all(&mut *transaction)
    .await?;
    let aliases: Vec<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT source, alias, model_id, created_at FROM model_aliases ORDER BY created_at, id",
    )
    .fetch_all(&mut *transaction)
    .await?;
    let observations: Vec<ObservationRow> = sqlx::query_as(LATEST_OBSERVATIONS)
        .bind(as_of)
        .fetch_all(&mut *transaction)
        .await?;
    let states: Vec<SourceStateRow> = sqlx::query_as(SOURCE_STATES)
        .fetch_all(&mut *transaction)
        .await?;
    let coverage: Vec<CoverageRow> = sqlx::query_as(COVERAGE)
        .bind(as_of)
        .fetch_all(&mut *transaction)
        .await?;
    let first_sources: Vec<(String, String)> = sqlx::query_as(FIRST_SOURCES)
        .fetch_all(&mut *transaction)
        .await?;
    transaction.commit().await?;

    Ok(CatalogInput {
        models: models
            .into_iter()
            .map(|row| ModelRecord {
                id: row.id,
                display_name: row.display_name,
                creator: row.creator,
                family: row.family,
                release_date: row.release_date,
                context_length: row.context_length.map(i64::from),
                open_weights: row.open_weights,
                first_seen_at: row.first_seen_at,
                tier: row.tier,
                origin: row.origin,
            })
            .collect(),
        aliases: aliases
            .into_iter()
            .map(|(source, alias, model_id, created_at)| AliasRecord {
                source,
                alias,
                model_id,
                created_at,
            })
            .collect(),
        observations: observations
            .into_iter()
            .map(|row| ObservationRecord {
                model_id: row.model_id,
                source: row.source,
                category: row.category,
                metric: row.metric,
                source_model_name: row.source_model_name,
                snapshot_date: row.snapshot_date,
                value: row.value,
                ci_low: row.ci_low,
                ci_high: row.ci_high,
                sample_size: row.sample_size,
                normalized: row.normalized,
                unit: row.unit,
                data_date: row.data_date,
                match_method: row.match_method,
                match_detail: row.match_detail,
            })
            .collect(),
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
        coverage: coverage
            .into_iter()
            .map(|row| CoverageRecord {
                source: row.source,
                category: row.category,
                metric: row.metric,
                unit: row.unit,
                oldest: row.oldest,
                newest: row.newest,
                snapshot_count: row.snapshot_count,
                unmatched_newest: row.unmatched,
            })
            .collect(),
        first_sources,
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
    let rows: Vec<HistoryRow> = sqlx::query_as(
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
    )
    .bind(model_id)
    .bind(&selection.sources)
    .bind(&selection.categories)
    .bind(&selection.metrics)
    .bind(selection.from)
    .bind(selection.to)
    .bind(MAX_HISTORY_ROWS)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| HistoryRecord {
            source: row.source,
            category: row.category,
            metric: row.metric,
            source_model_name: row.source_model_name,
            snapshot_date: row.snapshot_date,
            value: row.value,
            normalized: row.normalized,
            ci_low: row.ci_low,
            ci_high: row.ci_high,
            unit: row.unit,
        })
        .collect())
}
