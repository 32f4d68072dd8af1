//! Results of runs (one row per (case, model, repetition)), the response cache and pairwise verdicts.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::compare::ComparedResult;
use crate::domain::records::{ResultFilter, ResultRecord};
use crate::error::Error;

/// A result to store: the record as it will read back, and what only the insert needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResult {
    /// The result; the insert fills in its `id` and `created_at` (whatever they hold here is
    /// ignored). Its `case_id` is the case id to report (suite or ad hoc).
    pub record: ResultRecord,
    /// Suite case id stored in the row (`None` for ad-hoc cases).
    pub suite_case_id: Option<Uuid>,
    /// Prompt sent.
    pub input: String,
    /// Expected output of the case.
    pub expected_output: Option<String>,
}

/// Stores a result. A pair that already has a successful result keeps it (resume never overwrites);
/// a failed one is replaced (RetryRun). Returns the stored record, or `None` when the pair already had
/// a successful result.
pub async fn insert_result(
    pool: &PgPool,
    tenant: &str,
    result: &NewResult,
) -> Result<Option<ResultRecord>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let row = sqlx::query!(
        "INSERT INTO benchmark_results (run_id, case_id, case_index, model, provider, \
             canonical_model_id, repetition, input, expected_output, output, input_tokens, \
             output_tokens, total_tokens, latency_ms, cost_micro_usd, price_known, quality, passed, \
             grader, notes, matches_expected, error, grading_error, self_judged, cached, attempts, \
             judge_input_tokens, judge_output_tokens, judge_cost_micro_usd) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29) \
         ON CONFLICT (run_id, case_index, model, repetition) DO UPDATE SET \
             output = EXCLUDED.output, input_tokens = EXCLUDED.input_tokens, \
             output_tokens = EXCLUDED.output_tokens, total_tokens = EXCLUDED.total_tokens, \
             latency_ms = EXCLUDED.latency_ms, cost_micro_usd = EXCLUDED.cost_micro_usd, \
             price_known = EXCLUDED.price_known, quality = EXCLUDED.quality, \
             passed = EXCLUDED.passed, grader = EXCLUDED.grader, notes = EXCLUDED.notes, \
             matches_expected = EXCLUDED.matches_expected, error = EXCLUDED.error, \
             grading_error = EXCLUDED.grading_error, self_judged = EXCLUDED.self_judged, \
             cached = EXCLUDED.cached, attempts = EXCLUDED.attempts, \
             judge_input_tokens = EXCLUDED.judge_input_tokens, \
             judge_output_tokens = EXCLUDED.judge_output_tokens, \
             judge_cost_micro_usd = EXCLUDED.judge_cost_micro_usd, created_at = now() \
         WHERE benchmark_results.error IS NOT NULL \
         RETURNING id, created_at",
        result.record.run_id,
        result.suite_case_id,
        result.record.case_index,
        &result.record.model,
        &result.record.provider,
        result.record.canonical_model_id.as_deref(),
        result.record.repetition,
        &result.input,
        result.expected_output.as_deref(),
        result.record.output.as_deref(),
        result.record.input_tokens,
        result.record.output_tokens,
        result.record.total_tokens,
        result.record.latency_ms,
        result.record.cost_micro_usd,
        result.record.price_known,
        result.record.quality,
        result.record.passed,
        result.record.grader.as_deref(),
        result.record.notes.as_deref(),
        result.record.matches_expected,
        result.record.error.as_deref(),
        result.record.grading_error.as_deref(),
        result.record.self_judged,
        result.record.cached,
        result.record.attempts,
        result.record.judge_input_tokens,
        result.record.judge_output_tokens,
        result.record.judge_cost_micro_usd
    )
    .fetch_optional(&mut *transaction)
    .await?
    .map(|row| (row.id, row.created_at));
    transaction.commit().await?;
    Ok(row.map(|(id, created_at)| ResultRecord {
        id,
        created_at,
        ..result.record.clone()
    }))
}

/// Keyset position of a result: (case index, model, repetition).
pub type ResultCursor = (i32, String, i32);

/// Lists a run's results ordered by case, model and repetition, after `after`.
pub async fn list_results(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    filter: &ResultFilter,
    after: Option<ResultCursor>,
    limit: u32,
) -> Result<Vec<ResultRecord>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    super::runs::fetch_run(&mut transaction, run_id).await?;
    let rows = select_results(
        &mut transaction,
        run_id,
        filter,
        after,
        None,
        i64::from(limit),
    )
    .await?;
    transaction.commit().await?;
    Ok(rows)
}

/// Returns a run's results recorded at or after `since` (WatchRun polling), oldest first.
pub async fn results_since(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<ResultRecord>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let mut rows = select_results(
        &mut transaction,
        run_id,
        &ResultFilter::default(),
        None,
        since,
        i64::MAX,
    )
    .await?;
    transaction.commit().await?;
    rows.sort_by(|a, b| {
        (a.created_at, a.case_index, &a.model, a.repetition).cmp(&(
            b.created_at,
            b.case_index,
            &b.model,
            b.repetition,
        ))
    });
    Ok(rows)
}

/// The one statement that reads whole [`ResultRecord`]s: a run's results in (case, model,
/// repetition) order after the cursor, filtered, recorded at or after `since`. A result's reported
/// case id is its suite case's id, or the ad-hoc case's id taken from the run.
async fn select_results(
    transaction: &mut Transaction<'static, Postgres>,
    run_id: Uuid,
    filter: &ResultFilter,
    after: Option<ResultCursor>,
    since: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<ResultRecord>, Error> {
    let (after_index, after_model, after_repetition) = after.unwrap_or((-1, String::new(), -1));
    Ok(sqlx::query_as!(
        ResultRecord,
        r#"WITH results AS (
               SELECT r.*, CASE WHEN r.case_index < cardinality(b.case_ids)
                                THEN b.case_ids[r.case_index + 1]
                                ELSE (b.ad_hoc_cases -> (r.case_index - cardinality(b.case_ids))
                                          ->> 'id')::uuid END AS reported_case_id
                 FROM benchmark_results r JOIN benchmark_runs b ON b.id = r.run_id
                WHERE r.run_id = $1)
           SELECT id AS "id!", run_id AS "run_id!", reported_case_id AS case_id,
                  case_index AS "case_index!", model AS "model!", provider AS "provider!",
                  canonical_model_id, repetition AS "repetition!", output, input_tokens,
                  output_tokens, total_tokens, latency_ms, cost_micro_usd,
                  price_known AS "price_known!", quality, passed, grader, notes, matches_expected,
                  error, grading_error, self_judged AS "self_judged!", cached AS "cached!",
                  attempts AS "attempts!", created_at AS "created_at!", judge_input_tokens,
                  judge_output_tokens, judge_cost_micro_usd
             FROM results
            WHERE ($2::text IS NULL OR model = $2)
              AND (NOT $3 OR error IS NOT NULL OR grading_error IS NOT NULL)
              AND (case_index, model, repetition) > ($4, $5, $6)
              AND ($7::uuid IS NULL OR reported_case_id = $7)
              AND ($8::timestamptz IS NULL OR created_at >= $8)
            ORDER BY case_index, model, repetition
            LIMIT $9"#,
        run_id,
        filter.model.as_deref(),
        filter.only_failed,
        after_index,
        after_model,
        after_repetition,
        filter.case_id,
        since,
        limit
    )
    .fetch_all(&mut **transaction)
    .await?)
}

/// What an executor needs to know about a pair that already has a result.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingPair {
    /// Case index.
    pub case_index: i32,
    /// Model.
    pub model: String,
    /// Repetition.
    pub repetition: i32,
    /// Whether the call failed.
    pub failed: bool,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// Lists the pairs of a run that already have a result.
pub async fn existing_pairs(
    transaction: &mut Transaction<'static, Postgres>,
    run_id: Uuid,
) -> Result<Vec<ExistingPair>, Error> {
    Ok(sqlx::query_as!(
        ExistingPair,
        r#"SELECT case_index, model, repetition, error IS NOT NULL AS "failed!", created_at
             FROM benchmark_results WHERE run_id = $1"#,
        run_id
    )
    .fetch_all(&mut **transaction)
    .await?)
}

/// Loads a run's results in the shape CompareRuns needs. Ad-hoc cases are identified across runs by
/// a hash of their input; suite cases by id.
pub async fn compared_results(
    transaction: &mut Transaction<'static, Postgres>,
    run_id: Uuid,
) -> Result<Vec<ComparedResult>, Error> {
    let rows = sqlx::query!(
        r#"SELECT r.case_id AS suite_case_id,
                  CASE WHEN r.case_index < cardinality(b.case_ids)
                       THEN b.case_ids[r.case_index + 1]
                       ELSE (b.ad_hoc_cases -> (r.case_index - cardinality(b.case_ids))
                                 ->> 'id')::uuid END AS case_id,
                  md5(r.input) AS "input_hash!", r.case_index, r.model, r.quality, r.passed,
                  r.cost_micro_usd, r.latency_ms, r.error IS NOT NULL AS "failed!"
             FROM benchmark_results r JOIN benchmark_runs b ON b.id = r.run_id
            WHERE r.run_id = $1"#,
        run_id
    )
    .fetch_all(&mut **transaction)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ComparedResult {
            case_key: match row.suite_case_id {
                Some(id) => id.to_string(),
                None => format!("input:{}", row.input_hash),
            },
            case_id: row.case_id.map(|id| id.to_string()).unwrap_or_default(),
            case_index: usize::try_from(row.case_index).unwrap_or(0),
            model: row.model,
            quality: row.quality,
            passed: row.passed,
            cost_micro_usd: row.cost_micro_usd,
            latency_ms: row.latency_ms.map(i64::from),
            failed: row.failed,
        })
        .collect())
}

/// A cached response.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedResponse {
    /// The answer.
    pub output: String,
    /// Prompt tokens.
    pub input_tokens: Option<i32>,
    /// Completion tokens.
    pub output_tokens: Option<i32>,
}

/// Looks up the tenant's response cache.
pub async fn cache_get(
    pool: &PgPool,
    tenant: &str,
    key: &str,
) -> Result<Option<CachedResponse>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let row = sqlx::query_as!(
        CachedResponse,
        "SELECT output, input_tokens, output_tokens FROM response_cache WHERE cache_key = $1",
        key
    )
    .fetch_optional(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(row)
}

/// Stores a response in the tenant's cache (first writer wins).
pub async fn cache_put(
    pool: &PgPool,
    tenant: &str,
    key: &str,
    provider: &str,
    model: &str,
    response: &CachedResponse,
) -> Result<(), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    sqlx::query!(
        "INSERT INTO response_cache (cache_key, provider, model, output, input_tokens, output_tokens) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        key,
        provider,
        model,
        &response.output,
        response.input_tokens,
        response.output_tokens
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// One pairwise verdict of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictRow {
    /// Case index.
    pub case_index: i32,
    /// First model.
    pub model_a: String,
    /// Second model.
    pub model_b: String,
    /// `a`, `b`, `tie` or `inconsistent`.
    pub winner: String,
}

/// Stores a pairwise verdict (kept when one exists already).
pub async fn insert_verdict(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
    verdict: &VerdictRow,
    notes: &str,
    usage: JudgeSpend,
) -> Result<(), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    sqlx::query!(
        "INSERT INTO judge_verdicts (run_id, case_index, model_a, model_b, winner, notes, \
             judge_input_tokens, judge_output_tokens, judge_cost_micro_usd) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        run_id,
        verdict.case_index,
        &verdict.model_a,
        &verdict.model_b,
        &verdict.winner,
        notes,
        usage.input_tokens,
        usage.output_tokens,
        usage.cost_micro_usd
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// What the judge consumed for one grading or comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JudgeSpend {
    /// Input tokens.
    pub input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Their cost at the judge model's price; `None` when it is unknown.
    pub cost_micro_usd: Option<i64>,
}

/// Lists a run's pairwise verdicts.
pub async fn verdicts(pool: &PgPool, tenant: &str, run_id: Uuid) -> Result<Vec<VerdictRow>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let rows = sqlx::query_as!(
        VerdictRow,
        "SELECT case_index, model_a, model_b, winner FROM judge_verdicts WHERE run_id = $1 \
         ORDER BY case_index, model_a, model_b",
        run_id
    )
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(rows)
}

/// Returns the first successful output of every (case, model) of a run, for pairwise judging.
pub async fn first_outputs(
    pool: &PgPool,
    tenant: &str,
    run_id: Uuid,
) -> Result<Vec<(i32, String, String)>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (case_index, model) case_index, model, output AS "output!"
             FROM benchmark_results
            WHERE run_id = $1 AND error IS NULL AND output IS NOT NULL
            ORDER BY case_index, model, repetition"#,
        run_id
    )
    .fetch_all(&mut *transaction)
    .await?
    .into_iter()
    .map(|row| (row.case_index, row.model, row.output))
    .collect();
    transaction.commit().await?;
    Ok(rows)
}
