//! Provider limits shared by runner replicas (tables `provider_limits`, `provider_slot_grants`, see
//! 0013_provider_limits.sql). Provider configuration is the process's, not a tenant's: these rows
//! carry no tenant and are read outside tenant transactions.

use std::time::Duration;

use sqlx::PgPool;

use crate::domain::limits::{Adaptive, AdaptiveTuning, Grant, Local, RateParameters, Share, grant};
use crate::error::Error;

/// What a replica reports in a sync.
#[derive(Debug, Clone)]
pub struct SyncInput<'a> {
    /// Provider name.
    pub provider: &'a str,
    /// This replica.
    pub replica: &'a str,
    /// Configured maximum concurrency.
    pub max_concurrency: u32,
    /// Calls in flight here when the sync began.
    pub in_flight: u32,
    /// This replica's cap until the sync's answer is applied.
    pub cap: u32,
    /// Calls in flight plus waiting here.
    pub wanted: u32,
    /// Successes here since the last sync.
    pub successes: u64,
    /// 429 answers here since the last sync.
    pub throttled: u64,
    /// How the shared limit adapts.
    pub tuning: AdaptiveTuning,
    /// How long this replica's share stays reserved without a renewal.
    pub lease: Duration,
}

/// What a sync gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOutput {
    /// This replica's grant.
    pub grant: Grant,
    /// The provider's shared adaptive limit.
    pub limit: Adaptive,
    /// Replicas holding or wanting slots, this one included.
    pub replicas: u32,
}

struct LimitRow {
    max_concurrency: i32,
    current_limit: i32,
    successes: i64,
    throttled: i64,
    since_decrease: Option<f64>,
}

struct ShareRow {
    replica: String,
    held: i32,
    wanted: i32,
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Updates the shared adaptive limit with this replica's successes and 429s, reclaims expired shares,
/// and records this replica's new share: one transaction, serialised per provider by the row lock of
/// `provider_limits`.
pub async fn sync(pool: &PgPool, input: &SyncInput<'_>) -> Result<SyncOutput, Error> {
    let mut transaction = pool.begin().await?;
    let max = to_i32(input.max_concurrency.max(1));
    let row = sqlx::query_as!(
        LimitRow,
        r#"INSERT INTO provider_limits AS p (provider, max_concurrency, current_limit)
         VALUES ($1, $2, $2)
         ON CONFLICT (provider) DO UPDATE
            SET max_concurrency = EXCLUDED.max_concurrency,
                current_limit = LEAST(p.current_limit, EXCLUDED.max_concurrency)
         RETURNING max_concurrency, current_limit, successes, throttled,
                   EXTRACT(EPOCH FROM (clock_timestamp() - last_decrease))::float8 AS since_decrease"#,
        input.provider,
        max
    )
    .fetch_one(&mut *transaction)
    .await?;

    let mut limit = Adaptive {
        max: u32::try_from(row.max_concurrency).unwrap_or(1).max(1),
        current: u32::try_from(row.current_limit).unwrap_or(1).max(1),
        successes: u64::try_from(row.successes).unwrap_or(0),
        throttled: u64::try_from(row.throttled).unwrap_or(0),
        since_decrease: row
            .since_decrease
            .map(|seconds| Duration::from_secs_f64(seconds.max(0.0))),
    };
    let decreased = limit.apply(input.successes, input.throttled, input.tuning);
    sqlx::query!(
        "UPDATE provider_limits
            SET current_limit = $2, successes = $3, throttled = $4,
                last_decrease = CASE WHEN $5 THEN clock_timestamp() ELSE last_decrease END,
                updated_at = clock_timestamp()
          WHERE provider = $1",
        input.provider,
        to_i32(limit.current),
        i64::try_from(limit.successes).unwrap_or(i64::MAX),
        i64::try_from(limit.throttled).unwrap_or(i64::MAX),
        decreased
    )
    .execute(&mut *transaction)
    .await?;

    sqlx::query!(
        "DELETE FROM provider_slot_grants
          WHERE provider = $1 AND replica <> $2 AND expires_at < clock_timestamp()",
        input.provider,
        input.replica
    )
    .execute(&mut *transaction)
    .await?;
    let rows = sqlx::query_as!(
        ShareRow,
        "SELECT replica, held, wanted FROM provider_slot_grants
          WHERE provider = $1 AND replica <> $2",
        input.provider,
        input.replica
    )
    .fetch_all(&mut *transaction)
    .await?;
    let others: Vec<Share> = rows
        .into_iter()
        .map(|row| Share {
            replica: row.replica,
            held: u32::try_from(row.held).unwrap_or(0),
            wanted: u32::try_from(row.wanted).unwrap_or(0),
        })
        .collect();
    let granted = grant(
        limit.current,
        input.replica,
        Local {
            in_flight: input.in_flight,
            cap: input.cap,
            wanted: input.wanted,
        },
        &others,
    );
    if granted.held == 0 && input.wanted == 0 {
        sqlx::query!(
            "DELETE FROM provider_slot_grants WHERE provider = $1 AND replica = $2",
            input.provider,
            input.replica
        )
        .execute(&mut *transaction)
        .await?;
    } else {
        sqlx::query!(
            "INSERT INTO provider_slot_grants (provider, replica, held, wanted, expires_at)
             VALUES ($1, $2, $3, $4, clock_timestamp() + make_interval(secs => $5))
             ON CONFLICT (provider, replica) DO UPDATE
                SET held = EXCLUDED.held, wanted = EXCLUDED.wanted,
                    expires_at = EXCLUDED.expires_at",
            input.provider,
            input.replica,
            to_i32(granted.held),
            to_i32(input.wanted),
            input.lease.as_secs_f64()
        )
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    let active = others
        .iter()
        .filter(|share| share.held > 0 || share.wanted > 0)
        .count();
    Ok(SyncOutput {
        grant: granted,
        limit,
        replicas: u32::try_from(active).unwrap_or(u32::MAX) + 1,
    })
}

/// Gives this replica's share back (shutdown).
pub async fn release(pool: &PgPool, provider: &str, replica: &str) -> Result<(), Error> {
    sqlx::query!(
        "DELETE FROM provider_slot_grants WHERE provider = $1 AND replica = $2",
        provider,
        replica
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Takes one request from the provider's shared rate limit. Returns `None` when the request may start
/// now, else how long to wait before asking again.
pub async fn take_rate(
    pool: &PgPool,
    provider: &str,
    max_concurrency: u32,
    requests_per_minute: u32,
) -> Result<Option<Duration>, Error> {
    let rate = RateParameters::per_minute(requests_per_minute);
    let max = to_i32(max_concurrency.max(1));
    // GCRA in one statement: the request may start when the theoretical arrival time is no further
    // ahead than the burst tolerance; it then moves one interval on. A row that does not exist yet is
    // created with this request taken.
    let taken = sqlx::query_scalar!(
        "INSERT INTO provider_limits AS p
                (provider, max_concurrency, current_limit, requests_per_minute, rate_tat)
         VALUES ($1, $2, $2, $3, clock_timestamp() + make_interval(secs => $4))
         ON CONFLICT (provider) DO UPDATE
            SET requests_per_minute = EXCLUDED.requests_per_minute,
                rate_tat = GREATEST(COALESCE(p.rate_tat, clock_timestamp()), clock_timestamp())
                           + make_interval(secs => $4)
          WHERE COALESCE(p.rate_tat, clock_timestamp())
                <= clock_timestamp() + make_interval(secs => $5)
         RETURNING 1 AS \"taken!\"",
        provider,
        max,
        to_i32(requests_per_minute.max(1)),
        rate.interval.as_secs_f64(),
        rate.tolerance.as_secs_f64()
    )
    .fetch_optional(pool)
    .await?;
    if taken.is_some() {
        return Ok(None);
    }
    let wait: Option<f64> = sqlx::query_scalar!(
        "SELECT EXTRACT(EPOCH FROM (rate_tat - make_interval(secs => $2) - clock_timestamp()))::float8
           FROM provider_limits WHERE provider = $1",
        provider,
        rate.tolerance.as_secs_f64()
    )
    .fetch_optional(pool)
    .await?
    .flatten();
    let wait = wait.unwrap_or(0.0).clamp(0.001, 60.0);
    Ok(Some(Duration::from_secs_f64(wait)))
}
