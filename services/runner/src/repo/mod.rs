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

/// Parses a keyset cursor of the form `micros|uuid`.
pub fn parse_time_cursor(cursor: &str) -> Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> {
    let (micros, id) = cursor.split_once('|')?;
    let micros: i64 = micros.parse().ok()?;
    let time = chrono::DateTime::from_timestamp_micros(micros)?;
    let id = uuid::Uuid::parse_str(id).ok()?;
    Some((time, id))
}

/// Formats a keyset cursor of the form `micros|uuid`.
pub fn time_cursor(time: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> String {
    format!("{}|{id}", time.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_cursors_round_trip() {
        let time = chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("valid");
        let id = uuid::Uuid::new_v4();
        assert_eq!(parse_time_cursor(&time_cursor(time, id)), Some((time, id)));
        assert_eq!(parse_time_cursor("nope"), None);
    }
}
