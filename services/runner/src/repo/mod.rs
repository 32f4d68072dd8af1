//! Postgres access of the runner (sqlx runtime queries). Tenant-owned rows are read and written in
//! transactions opened with [`benchhub_db::begin_tenant`], so row-level security confines every query
//! to the caller's tenant; the claim loop alone runs as `benchhub_worker` (see 0005_rls.sql).

pub mod limits;
pub mod pricing;
pub mod results;
pub mod runs;
pub mod stats;
pub mod suites;
pub mod worker;

use sqlx::{PgPool, Postgres, Transaction};

use crate::error::Error;

/// Opens a transaction confined to `tenant` by row-level security.
pub async fn tenant(pool: &PgPool, tenant: &str) -> Result<Transaction<'static, Postgres>, Error> {
    benchhub_db::begin_tenant(pool, tenant)
        .await
        .map_err(Error::from)
}
