//! SQL of the write path: bulk upsert of observations (one statement per chunk over UNNEST arrays,
//! `ON CONFLICT DO UPDATE`, counting inserts against updates with the `xmax = 0` trick), the COPY fast
//! path for snapshot dates the source has no rows for yet, the dry-run preview, cohort normalisation
//! over the stored cohort, and raw payload storage.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::adapters::Document;

/// Rows per upsert statement: large enough to amortise round trips, small enough to bound the
/// parameter arrays' memory.
pub const CHUNK_ROWS: usize = 25_000;

/// One observation ready to store.
#[derive(Debug, Clone)]
pub struct ObservationRow<'a> {
    /// Category.
    pub category: &'a str,
    /// Metric.
    pub metric: &'a str,
    /// Upstream name (natural key).
    pub source_model_name: &'a str,
    /// Snapshot date (natural key).
    pub snapshot_date: NaiveDate,
    /// Matched canonical model.
    pub model_id: Option<&'a str>,
    /// Value.
    pub value: f64,
    /// CI low.
    pub ci_low: Option<f64>,
    /// CI high.
    pub ci_high: Option<f64>,
    /// Sample size.
    pub sample_size: Option<i64>,
    /// Normalised value computed from the payload's cohort.
    pub normalized: Option<f64>,
    /// Unit from the metric vocabulary.
    pub unit: Option<&'static str>,
    /// Extra details.
    pub extra: Option<serde_json::Value>,
    /// How the name was matched (`exact`, `version`…), when it was.
    pub match_method: Option<&'static str>,
    /// Why, in words.
    pub match_detail: Option<&'a str>,
    /// When the upstream measured or published the value.
    pub data_date: NaiveDate,
}

/// Column arrays of a chunk of rows, bound as UNNEST parameters.
struct Columns<'a> {
    category: Vec<&'a str>,
    metric: Vec<&'a str>,
    name: Vec<&'a str>,
    date: Vec<NaiveDate>,
    model: Vec<Option<&'a str>>,
    value: Vec<f64>,
    ci_low: Vec<Option<f64>>,
    ci_high: Vec<Option<f64>>,
    sample_size: Vec<Option<i64>>,
    normalized: Vec<Option<f64>>,
    unit: Vec<Option<&'static str>>,
    extra: Vec<Option<serde_json::Value>>,
    match_method: Vec<Option<&'static str>>,
    match_detail: Vec<Option<&'a str>>,
    data_date: Vec<NaiveDate>,
}

impl<'a> Columns<'a> {
    fn new(rows: &[ObservationRow<'a>]) -> Self {
        let length = rows.len();
        let mut columns = Self {
            category: Vec::with_capacity(length),
            metric: Vec::with_capacity(length),
            name: Vec::with_capacity(length),
            date: Vec::with_capacity(length),
            model: Vec::with_capacity(length),
            value: Vec::with_capacity(length),
            ci_low: Vec::with_capacity(length),
            ci_high: Vec::with_capacity(length),
            sample_size: Vec::with_capacity(length),
            normalized: Vec::with_capacity(length),
            unit: Vec::with_capacity(length),
            extra: Vec::with_capacity(length),
            match_method: Vec::with_capacity(length),
            match_detail: Vec::with_capacity(length),
            data_date: Vec::with_capacity(length),
        };
        for row in rows {
            columns.category.push(row.category);
            columns.metric.push(row.metric);
            columns.name.push(row.source_model_name);
            columns.date.push(row.snapshot_date);
            columns.model.push(row.model_id);
            columns.value.push(row.value);
            columns.ci_low.push(row.ci_low);
            columns.ci_high.push(row.ci_high);
            columns.sample_size.push(row.sample_size);
            columns.normalized.push(row.normalized);
            columns.unit.push(row.unit);
            columns.extra.push(row.extra.clone());
            columns.match_method.push(row.match_method);
            columns.match_detail.push(row.match_detail);
            columns.data_date.push(row.data_date);
        }
        columns
    }
}

// The rows of a chunk enter both statements below as UNNEST arrays ($2..$16, in the order of
// `Columns`); a row counts as changed when any stored column except `normalized` (derived, recomputed
// separately) differs.

/// Upserts rows of `source` written by `run_id`; returns (inserted, updated). Identical rows are left
/// untouched (neither counted nor rewritten).
pub async fn upsert_observations(
    connection: &mut PgConnection,
    source: &str,
    run_id: Uuid,
    rows: &[ObservationRow<'_>],
) -> Result<(i64, i64), sqlx::Error> {
    let mut totals = (0, 0);
    for chunk in rows.chunks(CHUNK_ROWS) {
        let columns = Columns::new(chunk);
        let counts = sqlx::query!(
            r#"
           WITH input AS (
               SELECT * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::date[], $6::text[],
                                    $7::float8[], $8::float8[], $9::float8[], $10::int8[],
                                    $11::float8[], $12::text[], $13::jsonb[], $14::text[],
                                    $15::text[], $16::date[])
                 AS t(category, metric, source_model_name, snapshot_date, model_id, value, ci_low,
                      ci_high, sample_size, normalized, unit, extra, match_method, match_detail,
                      data_date)),
           written AS (
               INSERT INTO observations AS o (source, category, metric, source_model_name,
                      snapshot_date, model_id, value, ci_low, ci_high, sample_size, normalized, unit,
                      extra, match_method, match_detail, data_date, ingestion_run_id)
               SELECT $1, category, metric, source_model_name, snapshot_date, model_id, value,
                      ci_low, ci_high, sample_size, normalized, unit, extra, match_method,
                      match_detail, data_date, $17
                 FROM input
               ON CONFLICT ON CONSTRAINT observations_natural_key DO UPDATE SET
                      model_id = EXCLUDED.model_id, value = EXCLUDED.value,
                      ci_low = EXCLUDED.ci_low, ci_high = EXCLUDED.ci_high,
                      sample_size = EXCLUDED.sample_size, normalized = EXCLUDED.normalized,
                      unit = EXCLUDED.unit, extra = EXCLUDED.extra,
                      match_method = EXCLUDED.match_method, match_detail = EXCLUDED.match_detail,
                      data_date = EXCLUDED.data_date, ingestion_run_id = EXCLUDED.ingestion_run_id,
                      updated_at = now()
               WHERE (o.model_id, o.value, o.ci_low, o.ci_high, o.sample_size, o.unit, o.extra,
                      o.match_method, o.match_detail, o.data_date)
                     IS DISTINCT FROM
                     (EXCLUDED.model_id, EXCLUDED.value, EXCLUDED.ci_low, EXCLUDED.ci_high,
                      EXCLUDED.sample_size, EXCLUDED.unit, EXCLUDED.extra, EXCLUDED.match_method,
                      EXCLUDED.match_detail, EXCLUDED.data_date)
               RETURNING (xmax = 0) AS inserted)
           SELECT count(*) FILTER (WHERE inserted) AS "inserted!",
                  count(*) FILTER (WHERE NOT inserted) AS "updated!"
             FROM written"#,
            source,
            &columns.category as &[&str],
            &columns.metric as &[&str],
            &columns.name as &[&str],
            &columns.date,
            &columns.model as &[Option<&str>],
            &columns.value,
            &columns.ci_low as &[Option<f64>],
            &columns.ci_high as &[Option<f64>],
            &columns.sample_size as &[Option<i64>],
            &columns.normalized as &[Option<f64>],
            &columns.unit as &[Option<&str>],
            &columns.extra as &[Option<serde_json::Value>],
            &columns.match_method as &[Option<&str>],
            &columns.match_detail as &[Option<&str>],
            &columns.data_date,
            run_id
        )
        .fetch_one(&mut *connection)
        .await?;
        totals.0 += counts.inserted;
        totals.1 += counts.updated;
    }
    Ok(totals)
}

/// Whether `source` has any stored row on one of `dates`. While the caller holds the source's ingest
/// lock no other transaction inserts rows of the source, so `false` means nothing can conflict.
pub async fn has_rows_on(
    connection: &mut PgConnection,
    source: &str,
    dates: &[NaiveDate],
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM observations WHERE source = $1 AND snapshot_date = ANY($2)) AS "exists!""#,
        source,
        dates
    )
    .fetch_one(connection)
    .await
}

fn copy_text(text: &str, line: &mut String) {
    for character in text.chars() {
        match character {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            other => line.push(other),
        }
    }
}

fn copy_optional<T: std::fmt::Display>(value: Option<T>, line: &mut String) {
    use std::fmt::Write as _;
    match value {
        Some(value) => {
            let _ = write!(line, "{value}");
        }
        None => line.push_str("\\N"),
    }
}

/// Rows per COPY message.
const COPY_BATCH_ROWS: usize = 10_000;

/// Inserts rows of a snapshot date the source has no rows for yet (see [`has_rows_on`]) with
/// `COPY … FROM STDIN`, the fastest way in; returns how many were inserted.
pub async fn copy_observations(
    connection: &mut PgConnection,
    source: &str,
    run_id: Uuid,
    rows: &[ObservationRow<'_>],
) -> Result<u64, sqlx::Error> {
    let mut sink = connection
        .copy_in_raw(
            "COPY observations (source, category, metric, source_model_name, snapshot_date, model_id, \
                                value, ci_low, ci_high, sample_size, normalized, unit, extra, \
                                match_method, match_detail, data_date, ingestion_run_id) FROM STDIN",
        )
        .await?;
    let run = run_id.to_string();
    for chunk in rows.chunks(COPY_BATCH_ROWS) {
        let mut buffer = String::with_capacity(chunk.len() * 160);
        for row in chunk {
            copy_text(source, &mut buffer);
            buffer.push('\t');
            copy_text(row.category, &mut buffer);
            buffer.push('\t');
            copy_text(row.metric, &mut buffer);
            buffer.push('\t');
            copy_text(row.source_model_name, &mut buffer);
            buffer.push('\t');
            copy_optional(Some(row.snapshot_date), &mut buffer);
            buffer.push('\t');
            match row.model_id {
                Some(model_id) => copy_text(model_id, &mut buffer),
                None => buffer.push_str("\\N"),
            }
            buffer.push('\t');
            copy_optional(Some(row.value), &mut buffer);
            buffer.push('\t');
            copy_optional(row.ci_low, &mut buffer);
            buffer.push('\t');
            copy_optional(row.ci_high, &mut buffer);
            buffer.push('\t');
            copy_optional(row.sample_size, &mut buffer);
            buffer.push('\t');
            copy_optional(row.normalized, &mut buffer);
            buffer.push('\t');
            match row.unit {
                Some(unit) => copy_text(unit, &mut buffer),
                None => buffer.push_str("\\N"),
            }
            buffer.push('\t');
            match &row.extra {
                Some(extra) => copy_text(&extra.to_string(), &mut buffer),
                None => buffer.push_str("\\N"),
            }
            buffer.push('\t');
            match row.match_method {
                Some(method) => copy_text(method, &mut buffer),
                None => buffer.push_str("\\N"),
            }
            buffer.push('\t');
            match row.match_detail {
                Some(detail) => copy_text(detail, &mut buffer),
                None => buffer.push_str("\\N"),
            }
            buffer.push('\t');
            copy_optional(Some(row.data_date), &mut buffer);
            buffer.push('\t');
            buffer.push_str(&run);
            buffer.push('\n');
        }
        sink.send(buffer.into_bytes()).await?;
    }
    sink.finish().await
}

/// A series of a source: (category, metric, upstream name).
pub type SeriesKey = (String, String, String);

/// The newest stored value of every series of `source` on a snapshot before `before`, with the date
/// that value was first seen (its data date): a value that comes back unchanged keeps that date.
pub async fn previous_values(
    connection: &mut PgConnection,
    source: &str,
    before: NaiveDate,
) -> Result<std::collections::HashMap<SeriesKey, (f64, NaiveDate)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (category, metric, source_model_name) category, metric,
                  source_model_name, value, COALESCE(data_date, snapshot_date) AS "day!"
             FROM observations WHERE source = $1 AND snapshot_date < $2
            ORDER BY category, metric, source_model_name, snapshot_date DESC"#,
        source,
        before
    )
    .fetch_all(connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                (row.category, row.metric, row.source_model_name),
                (row.value, row.day),
            )
        })
        .collect())
}

/// Counts what [`upsert_observations`] would insert and update, writing nothing.
pub async fn preview_observations(
    connection: &mut PgConnection,
    source: &str,
    rows: &[ObservationRow<'_>],
) -> Result<(i64, i64), sqlx::Error> {
    let mut totals = (0, 0);
    for chunk in rows.chunks(CHUNK_ROWS) {
        let columns = Columns::new(chunk);
        let counts = sqlx::query!(
            r#"
           WITH input AS (
               SELECT * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::date[], $6::text[],
                                    $7::float8[], $8::float8[], $9::float8[], $10::int8[],
                                    $11::float8[], $12::text[], $13::jsonb[], $14::text[],
                                    $15::text[], $16::date[])
                 AS t(category, metric, source_model_name, snapshot_date, model_id, value, ci_low,
                      ci_high, sample_size, normalized, unit, extra, match_method, match_detail,
                      data_date))
           SELECT count(*) FILTER (WHERE o.id IS NULL) AS "inserted!",
                  count(*) FILTER (WHERE o.id IS NOT NULL
                      AND (o.model_id, o.value, o.ci_low, o.ci_high, o.sample_size, o.unit, o.extra,
                           o.match_method, o.match_detail, o.data_date)
                          IS DISTINCT FROM
                          (i.model_id, i.value, i.ci_low, i.ci_high, i.sample_size, i.unit, i.extra,
                           i.match_method, i.match_detail, i.data_date)) AS "updated!"
             FROM input i LEFT JOIN observations o ON o.source = $1 AND o.category = i.category
                  AND o.metric = i.metric AND o.source_model_name = i.source_model_name
                  AND o.snapshot_date = i.snapshot_date"#,
            source,
            &columns.category as &[&str],
            &columns.metric as &[&str],
            &columns.name as &[&str],
            &columns.date,
            &columns.model as &[Option<&str>],
            &columns.value,
            &columns.ci_low as &[Option<f64>],
            &columns.ci_high as &[Option<f64>],
            &columns.sample_size as &[Option<i64>],
            &columns.normalized as &[Option<f64>],
            &columns.unit as &[Option<&str>],
            &columns.extra as &[Option<serde_json::Value>],
            &columns.match_method as &[Option<&str>],
            &columns.match_detail as &[Option<&str>],
            &columns.data_date
        )
        .fetch_one(&mut *connection)
        .await?;
        totals.0 += counts.inserted;
        totals.1 += counts.updated;
    }
    Ok(totals)
}

/// One cohort to renormalise: (category, metric, snapshot date, direction code).
pub type Cohort = (String, String, NaiveDate, i16);

/// What the payload holds of one cohort: value bounds and row count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortStats {
    /// Smallest value.
    pub low: f64,
    /// Largest value.
    pub high: f64,
    /// Rows.
    pub count: i64,
}

impl Default for CohortStats {
    fn default() -> Self {
        Self {
            low: f64::INFINITY,
            high: f64::NEG_INFINITY,
            count: 0,
        }
    }
}

impl CohortStats {
    /// Adds one value.
    pub fn add(&mut self, value: f64) {
        self.low = self.low.min(value);
        self.high = self.high.max(value);
        self.count += 1;
    }
}

/// Recomputes `normalized` over every stored row of the given cohorts of `source` (0–100, best = 100 by
/// direction; `NULL` for neutral metrics) and rewrites only rows whose value changes.
///
/// When this run wrote every payload row (`all_written`), each of them carries the payload-cohort
/// normalisation; a cohort whose stored rows are then exactly the payload's (same count and bounds) is
/// already correct and is not rewritten. Otherwise rows left untouched may carry older bounds, so every
/// cohort is recomputed. Returns how many rows changed.
pub async fn renormalize(
    connection: &mut PgConnection,
    source: &str,
    cohorts: &BTreeMap<Cohort, CohortStats>,
    all_written: bool,
) -> Result<u64, sqlx::Error> {
    if cohorts.is_empty() {
        return Ok(0);
    }
    let columns = |cohorts: &mut dyn Iterator<Item = &Cohort>| {
        let mut categories = Vec::new();
        let mut metrics = Vec::new();
        let mut dates = Vec::new();
        let mut directions = Vec::new();
        for (category, metric, date, direction) in cohorts {
            categories.push(category.clone());
            metrics.push(metric.clone());
            dates.push(*date);
            directions.push(*direction);
        }
        (categories, metrics, dates, directions)
    };
    let (categories, metrics, dates, directions) = columns(&mut cohorts.keys());
    if !all_written {
        return rewrite_normalized(connection, source, categories, metrics, dates, directions)
            .await;
    }
    let stored: Vec<(String, String, NaiveDate, f64, f64, i64)> = sqlx::query!(
        r#"SELECT o.category, o.metric, o.snapshot_date, min(o.value) AS "low!",
                  max(o.value) AS "high!", count(*) AS "count!"
             FROM UNNEST($2::text[], $3::text[], $4::date[]) AS c(category, metric, snapshot_date)
             JOIN observations o ON o.source = $1 AND o.category = c.category
                  AND o.metric = c.metric AND o.snapshot_date = c.snapshot_date
            GROUP BY o.category, o.metric, o.snapshot_date"#,
        source,
        &categories,
        &metrics,
        &dates
    )
    .fetch_all(&mut *connection)
    .await?
    .into_iter()
    .map(|row| {
        (
            row.category,
            row.metric,
            row.snapshot_date,
            row.low,
            row.high,
            row.count,
        )
    })
    .collect();
    let stale: BTreeSet<&Cohort> = cohorts
        .iter()
        .filter(|((category, metric, date, _), payload)| {
            let in_store = stored
                .iter()
                .find(|row| &row.0 == category && &row.1 == metric && &row.2 == date);
            !matches!(in_store, Some((_, _, _, low, high, count))
                if *low == payload.low && *high == payload.high && *count == payload.count)
        })
        .map(|(cohort, _)| cohort)
        .collect();
    if stale.is_empty() {
        return Ok(0);
    }
    drop((categories, metrics, dates, directions));
    let (categories, metrics, dates, directions) = columns(&mut stale.into_iter());
    rewrite_normalized(connection, source, categories, metrics, dates, directions).await
}

async fn rewrite_normalized(
    connection: &mut PgConnection,
    source: &str,
    categories: Vec<String>,
    metrics: Vec<String>,
    dates: Vec<NaiveDate>,
    directions: Vec<i16>,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "WITH cohorts AS ( \
           SELECT * FROM UNNEST($2::text[], $3::text[], $4::date[], $5::int2[]) \
             AS c(category, metric, snapshot_date, direction)), \
         bounds AS ( \
           SELECT c.category, c.metric, c.snapshot_date, c.direction, \
                  min(o.value) AS low, max(o.value) AS high \
           FROM cohorts c JOIN observations o ON o.source = $1 AND o.category = c.category \
                AND o.metric = c.metric AND o.snapshot_date = c.snapshot_date \
           GROUP BY c.category, c.metric, c.snapshot_date, c.direction), \
         target AS ( \
           SELECT o.id, CASE \
               WHEN b.direction = 0 THEN NULL \
               WHEN b.high <= b.low THEN 100::float8 \
               WHEN b.direction > 0 THEN LEAST(100, GREATEST(0, (o.value - b.low) / (b.high - b.low) * 100)) \
               ELSE LEAST(100, GREATEST(0, (b.high - o.value) / (b.high - b.low) * 100)) END AS normalized \
           FROM bounds b JOIN observations o ON o.source = $1 AND o.category = b.category \
                AND o.metric = b.metric AND o.snapshot_date = b.snapshot_date) \
         UPDATE observations o SET normalized = t.normalized FROM target t \
         WHERE o.id = t.id AND ((o.normalized IS NULL) <> (t.normalized IS NULL) \
               OR abs(o.normalized - t.normalized) > 1e-9)",
        source,
        &categories,
        &metrics,
        &dates,
        &directions
    )
    .execute(&mut *connection)
    .await?;
    Ok(result.rows_affected())
}

/// Stores the documents of a run (identical bodies once per URL; a repeat only bumps `fetched_at`).
pub async fn store_payloads(
    connection: &mut PgConnection,
    source: &str,
    run_id: Uuid,
    documents: &[(&Document, String)],
) -> Result<(), sqlx::Error> {
    for (document, sha256) in documents {
        sqlx::query!(
            "INSERT INTO raw_payloads (source, url, sha256, etag, last_modified, status_code, \
                                       byte_size, body, ingestion_run_id) \
             VALUES ($1, $2, $3, $4, $5, 200, $6, $7, $8) \
             ON CONFLICT ON CONSTRAINT raw_payloads_source_url_sha256_key DO UPDATE SET \
                fetched_at = now(), etag = COALESCE(EXCLUDED.etag, raw_payloads.etag), \
                last_modified = COALESCE(EXCLUDED.last_modified, raw_payloads.last_modified), \
                ingestion_run_id = EXCLUDED.ingestion_run_id",
            source,
            &document.url,
            sha256,
            document.etag.as_deref(),
            document.last_modified.as_deref(),
            document.body.len() as i64,
            document.body.as_ref(),
            run_id
        )
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// Marks stored payloads as seen again (after a skipped run).
pub async fn touch_payloads(connection: &mut PgConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE raw_payloads SET fetched_at = now() WHERE id = ANY($1)",
        ids
    )
    .execute(&mut *connection)
    .await?;
    Ok(())
}
