//! Suites and their test cases: what the suite RPCs do. Each is one repository call in one tenant
//! transaction today; they live here so every RPC reads grpc -> service -> repo.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::records::{CaseRow, SuiteRow};
use crate::domain::run::CaseSpec;
use crate::error::Error;
use crate::repo;

/// Creates a suite; ALREADY_EXISTS when the tenant has one of that name.
pub async fn create_suite(
    pool: &PgPool,
    tenant: &str,
    name: &str,
    description: &str,
) -> Result<SuiteRow, Error> {
    repo::suites::create_suite(pool, tenant, name, description).await
}

/// Returns a suite; NOT_FOUND when it is not the tenant's.
pub async fn get_suite(pool: &PgPool, tenant: &str, id: Uuid) -> Result<SuiteRow, Error> {
    repo::suites::get_suite(pool, tenant, id).await
}

/// Lists suites newest first after the `(created_at, id)` cursor, `limit` rows (the caller asks one
/// more than a page to learn whether another follows).
pub async fn list_suites(
    pool: &PgPool,
    tenant: &str,
    search: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
) -> Result<Vec<SuiteRow>, Error> {
    repo::suites::list_suites(pool, tenant, search, after, limit).await
}

/// Appends cases to a suite, all or none; returns them and the suite's case count after.
pub async fn add_cases(
    pool: &PgPool,
    tenant: &str,
    suite_id: Uuid,
    cases: &[CaseSpec],
) -> Result<(Vec<CaseRow>, i64), Error> {
    repo::suites::add_cases(pool, tenant, suite_id, cases).await
}

/// Lists a suite's cases by position after `after_position`, only those with any of `tags`.
pub async fn list_cases(
    pool: &PgPool,
    tenant: &str,
    suite_id: Uuid,
    tags: &[String],
    after_position: Option<i32>,
    limit: u32,
) -> Result<Vec<CaseRow>, Error> {
    repo::suites::list_cases(pool, tenant, suite_id, tags, after_position, limit).await
}
