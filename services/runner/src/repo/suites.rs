//! Suites and their test cases.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::records::{CaseRow, SuiteRow};
use crate::domain::run::CaseSpec;
use crate::domain::validate::MAX_CASES_PER_SUITE;
use crate::error::Error;
use benchhub_common::grading::GraderSpec;

/// Creates a suite; a duplicate name answers ALREADY_EXISTS.
pub async fn create_suite(
    pool: &PgPool,
    tenant: &str,
    name: &str,
    description: &str,
) -> Result<SuiteRow, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let inserted = sqlx::query_scalar!(
        "INSERT INTO suites (name, description) VALUES ($1, $2) RETURNING id",
        name,
        description
    )
    .fetch_one(&mut *transaction)
    .await;
    let id = match inserted {
        Ok(row) => row,
        Err(error)
            if benchhub_db::classify(&error) == benchhub_db::DbErrorKind::UniqueViolation =>
        {
            return Err(Error::AlreadyExists(format!(
                "a suite named '{name}' already exists"
            )));
        }
        Err(error) => return Err(error.into()),
    };
    let suite = fetch_suite(&mut transaction, id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("created suite vanished")))?;
    transaction.commit().await?;
    Ok(suite)
}

async fn fetch_suite(
    transaction: &mut Transaction<'static, Postgres>,
    id: Uuid,
) -> Result<Option<SuiteRow>, Error> {
    Ok(fetch_suites(transaction, &[id]).await?.pop())
}

/// The one statement that reads whole [`SuiteRow`]s: the suites with these ids (those the tenant
/// sees), in the order of `ids`.
async fn fetch_suites(
    transaction: &mut Transaction<'static, Postgres>,
    ids: &[Uuid],
) -> Result<Vec<SuiteRow>, Error> {
    Ok(sqlx::query_as!(
        SuiteRow,
        r#"SELECT s.id, s.tenant_id, s.name, s.description, s.created_at, s.updated_at,
                  (SELECT count(*) FROM test_cases c WHERE c.suite_id = s.id) AS "case_count!",
                  (SELECT max(r.completed_at) FROM benchmark_runs r
                    WHERE r.suite_id = s.id AND r.status = 'completed') AS last_completed_run_at
             FROM suites s WHERE s.id = ANY($1) ORDER BY array_position($1, s.id)"#,
        ids
    )
    .fetch_all(&mut **transaction)
    .await?)
}

/// Returns a suite; NOT_FOUND when it does not exist or belongs to another tenant.
pub async fn get_suite(pool: &PgPool, tenant: &str, id: Uuid) -> Result<SuiteRow, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let suite = fetch_suite(&mut transaction, id).await?;
    transaction.commit().await?;
    suite.ok_or_else(|| Error::not_found("suite", &id.to_string()))
}

/// Lists suites newest first, after the `(created_at, id)` cursor, filtered by a name substring.
pub async fn list_suites(
    pool: &PgPool,
    tenant: &str,
    search: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
) -> Result<Vec<SuiteRow>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let pattern = format!(
        "%{}%",
        search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let ids = sqlx::query_scalar!(
        "SELECT s.id FROM suites s \
         WHERE ($1 = '' OR s.name ILIKE $2) \
           AND ($3::timestamptz IS NULL OR (s.created_at, s.id) < ($3, $4)) \
         ORDER BY s.created_at DESC, s.id DESC LIMIT $5",
        search,
        pattern,
        after.map(|(time, _)| time),
        after.map(|(_, id)| id).unwrap_or_default(),
        i64::from(limit)
    )
    .fetch_all(&mut *transaction)
    .await?;
    let rows = fetch_suites(&mut transaction, &ids).await?;
    transaction.commit().await?;
    Ok(rows)
}

/// Appends cases to a suite, all or none, with the suite row locked so positions stay dense.
/// Returns the stored cases and the suite's case count after the append.
pub async fn add_cases(
    pool: &PgPool,
    tenant: &str,
    suite_id: Uuid,
    cases: &[CaseSpec],
) -> Result<(Vec<CaseRow>, i64), Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    let locked = sqlx::query_scalar!("SELECT id FROM suites WHERE id = $1 FOR UPDATE", suite_id)
        .fetch_optional(&mut *transaction)
        .await?;
    if locked.is_none() {
        return Err(Error::not_found("suite", &suite_id.to_string()));
    }
    let counts = sqlx::query!(
        r#"SELECT count(*) AS "existing!", COALESCE(max(position) + 1, 0) AS "next_position!"
             FROM test_cases WHERE suite_id = $1"#,
        suite_id
    )
    .fetch_one(&mut *transaction)
    .await?;
    let (existing, next_position) = (counts.existing, counts.next_position);
    let total = existing + cases.len() as i64;
    if total > MAX_CASES_PER_SUITE {
        return Err(Error::LimitExceeded(format!(
            "a suite holds at most {MAX_CASES_PER_SUITE} cases; it has {existing} and {} were sent",
            cases.len()
        )));
    }
    let positions: Vec<i32> = (0..cases.len() as i32)
        .map(|offset| next_position + offset)
        .collect();
    let inputs: Vec<&str> = cases.iter().map(|case| case.input.as_str()).collect();
    let expected: Vec<Option<&str>> = cases
        .iter()
        .map(|case| case.expected_output.as_deref())
        .collect();
    let rubrics: Vec<Option<&str>> = cases.iter().map(|case| case.rubric.as_deref()).collect();
    let graders: Vec<Option<serde_json::Value>> = cases
        .iter()
        .map(|case| {
            case.grader
                .as_ref()
                .map(|grader| serde_json::to_value(grader).unwrap_or_default())
        })
        .collect();
    // Tags travel as one JSON array per case: Postgres has no arrays of arrays of varying length.
    let tags: Vec<serde_json::Value> = cases
        .iter()
        .map(|case| serde_json::Value::from(case.tags.clone()))
        .collect();
    let ids = sqlx::query_scalar!(
        "INSERT INTO test_cases (suite_id, position, input, expected_output, rubric, grader, tags) \
         SELECT $1, item.position, item.input, item.expected_output, item.rubric, item.grader, \
                ARRAY(SELECT jsonb_array_elements_text(item.tags)) \
         FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[]) \
              AS item(position, input, expected_output, rubric, grader, tags) \
         RETURNING id",
        suite_id,
        &positions,
        &inputs as &[&str],
        &expected as &[Option<&str>],
        &rubrics as &[Option<&str>],
        &graders as &[Option<serde_json::Value>],
        &tags
    )
    .fetch_all(&mut *transaction)
    .await?;
    let rows: Vec<CaseRow> = cases_by_id(&mut transaction, &ids)
        .await?
        .into_iter()
        .flatten()
        .collect();
    sqlx::query!(
        "UPDATE suites SET updated_at = now() WHERE id = $1",
        suite_id
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    let mut rows = rows;
    rows.sort_by_key(|row| row.position);
    Ok((rows, total))
}

/// Lists a suite's cases by position after `after_position`, optionally only those with any of `tags`.
pub async fn list_cases(
    pool: &PgPool,
    tenant: &str,
    suite_id: Uuid,
    tags: &[String],
    after_position: Option<i32>,
    limit: u32,
) -> Result<Vec<CaseRow>, Error> {
    let mut transaction = super::tenant(pool, tenant).await?;
    require_suite(&mut transaction, suite_id).await?;
    let ids = case_ids(
        &mut transaction,
        suite_id,
        tags,
        after_position.unwrap_or(-1),
        i64::from(limit),
    )
    .await?;
    let rows = cases_by_id(&mut transaction, &ids)
        .await?
        .into_iter()
        .flatten()
        .collect();
    transaction.commit().await?;
    Ok(rows)
}

/// Returns every case of a suite (optionally filtered by tags) in position order, inside a
/// transaction (CreateRun freezes them into the run).
pub async fn all_cases(
    transaction: &mut Transaction<'static, Postgres>,
    suite_id: Uuid,
    tags: &[String],
) -> Result<Vec<CaseRow>, Error> {
    let ids = case_ids(transaction, suite_id, tags, -1, i64::MAX).await?;
    Ok(cases_by_id(transaction, &ids)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// Ids of a suite's cases in position order after `after_position`, only those with any of `tags`
/// when tags are given.
async fn case_ids(
    transaction: &mut Transaction<'static, Postgres>,
    suite_id: Uuid,
    tags: &[String],
    after_position: i32,
    limit: i64,
) -> Result<Vec<Uuid>, Error> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM test_cases \
         WHERE suite_id = $1 AND (cardinality($2::text[]) = 0 OR tags && $2) AND position > $3 \
         ORDER BY position LIMIT $4",
        suite_id,
        tags,
        after_position,
        limit
    )
    .fetch_all(&mut **transaction)
    .await?)
}

/// Returns the cases with the given ids, aligned with `ids` (`None` for a case that no longer exists).
pub async fn cases_by_id(
    transaction: &mut Transaction<'static, Postgres>,
    ids: &[Uuid],
) -> Result<Vec<Option<CaseRow>>, Error> {
    let rows = sqlx::query_as!(
        CaseRow,
        r#"SELECT id, suite_id, position, input, expected_output, rubric,
                  grader AS "grader: Json<GraderSpec>", tags, created_at
             FROM test_cases WHERE id = ANY($1)"#,
        ids
    )
    .fetch_all(&mut **transaction)
    .await?;
    let mut by_id: std::collections::HashMap<Uuid, CaseRow> =
        rows.into_iter().map(|row| (row.id, row)).collect();
    Ok(ids.iter().map(|id| by_id.remove(id)).collect())
}

/// Locks the suite for reading inside a transaction; NOT_FOUND when it is not the tenant's.
pub async fn require_suite(
    transaction: &mut Transaction<'static, Postgres>,
    suite_id: Uuid,
) -> Result<(), Error> {
    let exists = sqlx::query_scalar!("SELECT id FROM suites WHERE id = $1", suite_id)
        .fetch_optional(&mut **transaction)
        .await?;
    exists
        .map(|_| ())
        .ok_or_else(|| Error::not_found("suite", &suite_id.to_string()))
}
