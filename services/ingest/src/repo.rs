//! SQL of the ingest service: runs, per-source state, locks and the scheduler's claims here; the
//! write path in [`snapshot`], the catalog and aliases in [`catalog`].

pub mod catalog;
pub mod snapshot;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use uuid::Uuid;

use crate::config::SourceSettings;
use crate::domain::adapters::DocumentFailure;
use crate::fetch::StoredPayload;

/// One row of `ingestion_runs`.
#[derive(Debug, Clone)]
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
    /// running | succeeded | failed | skipped | partial.
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
    /// Oldest data date among the values written.
    pub oldest_data_date: Option<NaiveDate>,
    /// Newest data date among the values written.
    pub newest_data_date: Option<NaiveDate>,
    /// Canonical models the run created.
    pub models_created: i32,
    /// Documents the run could not fetch.
    pub document_failures: sqlx::types::Json<Vec<DocumentFailure>>,
}

/// The stored state of one source, with its latest run.
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    /// Last successful run's completion.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Next scheduled run.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Newest snapshot date stored.
    pub newest_snapshot_date: Option<NaiveDate>,
    /// Newest data date stored (when upstream last measured or published a value).
    pub newest_data_date: Option<NaiveDate>,
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
/// `now`), keeping the rest of the bookkeeping. A source whose schedule is unchanged keeps its stored
/// next run even when it has passed: a firing missed while no replica was up runs once at start-up
/// (the scheduler's claim then moves it past `now`), never once per missed firing.
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
        sqlx::query!(
            "INSERT INTO source_state (source, schedule, enabled, next_run_at, ttl_seconds) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (source) DO UPDATE SET schedule = EXCLUDED.schedule, enabled = EXCLUDED.enabled, \
             ttl_seconds = EXCLUDED.ttl_seconds, \
             next_run_at = CASE WHEN source_state.schedule IS NOT DISTINCT FROM EXCLUDED.schedule \
                                 AND source_state.next_run_at IS NOT NULL \
                                 AND EXCLUDED.next_run_at IS NOT NULL \
                            THEN source_state.next_run_at ELSE EXCLUDED.next_run_at END, \
             updated_at = now()",
            source.spec.name,
            (!source.schedule_text.is_empty()).then_some(source.schedule_text.as_str()),
            source.schedule.is_some(),
            next_run,
            source
                .ttl
                .map(|ttl| i32::try_from(ttl.as_secs()).unwrap_or(i32::MAX)),
        )
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await
}

/// Reads the state of every source that has one.
pub async fn source_states(
    pool: &PgPool,
) -> Result<std::collections::HashMap<String, SourceState>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT s.source, s.last_success_at, s.next_run_at, s.newest_snapshot_date, s.models_found,
                  s.stale, s.last_run_id,
                  (SELECT count(DISTINCT o.source_model_name) FROM observations o
                    WHERE o.source = s.source AND o.model_id IS NULL
                      AND o.snapshot_date = s.newest_snapshot_date) AS "unmatched!",
                  s.newest_data_date
             FROM source_state s"#
    )
    .fetch_all(pool)
    .await?;
    let run_ids: Vec<Uuid> = rows.iter().filter_map(|row| row.last_run_id).collect();
    let runs = runs_by_id(pool, &run_ids).await?;
    let mut states = std::collections::HashMap::new();
    for row in rows {
        let last_run = row
            .last_run_id
            .and_then(|id| runs.iter().find(|run| run.id == id).cloned());
        states.insert(
            row.source,
            SourceState {
                last_success_at: row.last_success_at,
                next_run_at: row.next_run_at,
                newest_snapshot_date: row.newest_snapshot_date,
                newest_data_date: row.newest_data_date,
                models_found: row.models_found,
                models_unmatched: i32::try_from(row.unmatched).unwrap_or(i32::MAX),
                stale: row.stale,
                last_run,
            },
        );
    }
    Ok(states)
}

/// Key of the advisory lock held while a source is ingested (any replica).
pub fn ingest_lock_key(source: &str) -> String {
    format!("benchhub.ingest.{source}")
}

/// A pooled connection holding a source's session-level advisory lock; released by [`SourceLock::release`]
/// (or, if the connection breaks, by Postgres when the session ends).
#[derive(Debug)]
pub struct SourceLock {
    connection: Option<PoolConnection<Postgres>>,
    key: String,
}

impl SourceLock {
    /// Tries to take the lock of `source`; `None` when another session holds it.
    pub async fn try_acquire(pool: &PgPool, source: &str) -> Result<Option<Self>, sqlx::Error> {
        let mut connection = pool.acquire().await?;
        let key = ingest_lock_key(source);
        let acquired: bool = sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS "acquired!""#,
            &key
        )
        .fetch_one(&mut *connection)
        .await?;
        Ok(acquired.then_some(Self {
            connection: Some(connection),
            key,
        }))
    }

    /// Takes the lock of `source`, retrying for up to `patience` while another session holds it (the
    /// catalog maintenance after an ingest holds each source's lock for the moment it re-links that
    /// source's names); `None` when it is still held then (another ingest of the source is running).
    pub async fn acquire_within(
        pool: &PgPool,
        source: &str,
        patience: std::time::Duration,
    ) -> Result<Option<Self>, sqlx::Error> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            if let Some(lock) = Self::try_acquire(pool, source).await? {
                return Ok(Some(lock));
            }
            if std::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The locked connection, for the ingest's own queries and transaction.
    pub fn connection(&mut self) -> &mut PgConnection {
        self.connection
            .as_deref_mut()
            .expect("the connection is present until release")
    }

    /// Releases the lock and returns the connection to the pool (or closes it when unlocking fails).
    pub async fn release(mut self) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = sqlx::query!(
                "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
                &self.key
            )
            .fetch_one(&mut *connection)
            .await;
            if unlocked.is_err() {
                // Closing the session is the only other way to drop a session-level lock.
                let _ = connection.detach();
            }
        }
    }
}

impl Drop for SourceLock {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            // Dropped without release (e.g. a cancelled task): close the session so the lock goes too.
            drop(connection.detach());
        }
    }
}

/// Whether the lock of `source` is free right now (takes and drops a transaction-level lock).
pub async fn try_lock_in_transaction(
    connection: &mut PgConnection,
    source: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS "locked!""#,
        ingest_lock_key(source)
    )
    .fetch_one(connection)
    .await
}

/// The latest stored payload of each URL of a source.
pub async fn stored_payloads(
    connection: &mut PgConnection,
    source: &str,
) -> Result<HashMap<String, StoredPayload>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT DISTINCT ON (url) url, id, etag, last_modified, sha256 FROM raw_payloads \
         WHERE source = $1 ORDER BY url, fetched_at DESC, id DESC",
        source
    )
    .fetch_all(connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.url,
                StoredPayload {
                    id: row.id,
                    etag: row.etag,
                    last_modified: row.last_modified,
                    sha256: row.sha256,
                },
            )
        })
        .collect())
}

/// Marks runs whose process stopped as failed ("interrupted"): a run whose source lock is free (no
/// process holds it: the one running it died, its connection closed) or whose heartbeat is older than
/// `timeout` (its process hangs or lost the database). Runs by any replica, at start-up and on every
/// tick. Returns how many were closed.
pub async fn close_interrupted_runs(pool: &PgPool, timeout: Duration) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE ingestion_runs SET status = 'failed', completed_at = now(), stale = true, \
            duration_ms = (extract(epoch FROM now() - started_at) * 1000)::bigint, \
            error = 'interrupted: the process running it stopped (no heartbeat since ' \
                    || to_char(COALESCE(heartbeat_at, started_at) AT TIME ZONE 'UTC', \
                               'YYYY-MM-DD HH24:MI:SS') || ' UTC); nothing was written' \
         WHERE status = 'running' \
           AND (COALESCE(heartbeat_at, started_at) < now() - make_interval(secs => $1) \
                OR pg_try_advisory_xact_lock(hashtextextended('benchhub.ingest.' || source, 0)))",
        timeout.as_secs_f64()
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Renews a running run's heartbeat every `every` until the returned guard is dropped (the run ended,
/// or its task was cancelled).
pub fn keep_alive(pool: PgPool, run_id: Uuid, every: Duration) -> tokio_util::sync::DropGuard {
    let stop = tokio_util::sync::CancellationToken::new();
    let guard = stop.clone().drop_guard();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.tick().await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = interval.tick() => {}
            }
            if let Err(error) = sqlx::query!(
                "UPDATE ingestion_runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'",
                run_id
            )
            .execute(&pool)
            .await
            {
                tracing::warn!(error = %benchhub_db::describe(&error), "run heartbeat failed");
            }
        }
    });
    guard
}

/// Records the start of a run and returns its id.
pub async fn insert_run(
    connection: &mut PgConnection,
    source: &str,
    trigger: &str,
    actor: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO ingestion_runs (source, trigger, actor, status, heartbeat_at) \
         VALUES ($1, $2, $3, 'running', now()) RETURNING id",
        source,
        trigger,
        actor
    )
    .fetch_one(connection)
    .await
}

/// The final numbers of a run.
#[derive(Debug, Clone, Default)]
pub struct RunCompletion {
    /// succeeded | failed | skipped | partial.
    pub status: &'static str,
    /// Newest snapshot date written.
    pub snapshot_date: Option<NaiveDate>,
    /// Observations parsed.
    pub fetched: i32,
    /// Inserted.
    pub inserted: i32,
    /// Updated.
    pub updated: i32,
    /// Unmatched.
    pub unmatched: i32,
    /// Skipped.
    pub skipped: i32,
    /// Failed records.
    pub failed: i32,
    /// Wall time.
    pub duration_ms: i64,
    /// Whether readers keep the previous snapshot.
    pub stale: bool,
    /// Error text.
    pub error: Option<String>,
    /// Distinct upstream names in the run (for `source_state.models_found`).
    pub models_found: i32,
    /// Oldest data date among the values written.
    pub oldest_data_date: Option<NaiveDate>,
    /// Newest data date among the values written.
    pub newest_data_date: Option<NaiveDate>,
    /// Canonical models created.
    pub models_created: i32,
    /// Documents the run could not fetch.
    pub document_failures: Vec<crate::domain::adapters::DocumentFailure>,
}

/// Records a run's end and the source's state in one go.
pub async fn complete_run(
    connection: &mut PgConnection,
    source: &str,
    run_id: Uuid,
    completion: &RunCompletion,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE ingestion_runs SET completed_at = now(), status = $2, snapshot_date = $3, \
            fetched = $4, inserted = $5, updated = $6, unmatched = $7, skipped = $8, failed = $9, \
            duration_ms = $10, stale = $11, error = $12, oldest_data_date = $13, \
            newest_data_date = $14, models_created = $15, document_failures = $16 WHERE id = $1",
        run_id,
        completion.status,
        completion.snapshot_date,
        completion.fetched,
        completion.inserted,
        completion.updated,
        completion.unmatched,
        completion.skipped,
        completion.failed,
        completion.duration_ms,
        completion.stale,
        completion.error.as_deref(),
        completion.oldest_data_date,
        completion.newest_data_date,
        completion.models_created,
        sqlx::types::Json(&completion.document_failures) as _
    )
    .execute(&mut *connection)
    .await?;
    let succeeded = completion.status != "failed";
    sqlx::query!(
        "INSERT INTO source_state (source, last_run_id, last_attempt_at, last_success_at, stale, \
                                   newest_snapshot_date, models_found, newest_data_date) \
         VALUES ($1, $2, now(), CASE WHEN $3 THEN now() END, NOT $3, \
                 (SELECT max(snapshot_date) FROM observations WHERE source = $1), \
                 COALESCE($4, 0), \
                 (SELECT max(COALESCE(data_date, snapshot_date)) FROM observations WHERE source = $1)) \
         ON CONFLICT (source) DO UPDATE SET last_run_id = EXCLUDED.last_run_id, \
            last_attempt_at = now(), \
            last_success_at = CASE WHEN $3 THEN now() ELSE source_state.last_success_at END, \
            stale = NOT $3, \
            newest_snapshot_date = CASE WHEN $3 THEN EXCLUDED.newest_snapshot_date \
                                        ELSE source_state.newest_snapshot_date END, \
            newest_data_date = CASE WHEN $3 THEN EXCLUDED.newest_data_date \
                                    ELSE source_state.newest_data_date END, \
            models_found = COALESCE($4, source_state.models_found), updated_at = now()",
        source,
        run_id,
        succeeded,
        (completion.status == "succeeded").then_some(completion.models_found)
    )
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// `fetched` of the source's latest succeeded run (what an unchanged upstream would have given).
pub async fn last_fetched(connection: &mut PgConnection, source: &str) -> Result<i32, sqlx::Error> {
    let fetched: Option<i32> = sqlx::query_scalar!(
        "SELECT fetched FROM ingestion_runs WHERE source = $1 AND status = 'succeeded' \
         ORDER BY started_at DESC LIMIT 1",
        source
    )
    .fetch_optional(connection)
    .await?;
    Ok(fetched.unwrap_or(0))
}

/// Announces a catalog change to rankings replicas.
pub async fn notify_catalog(pool: &PgPool, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_notify($1, $2)",
        benchhub_db::CATALOG_CHANNEL,
        payload
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Claims a due scheduled run of `source`: moves `next_run_at` to `next` if it is due, in one statement
/// guarded by a transaction-level advisory lock, so exactly one replica wins each firing.
pub async fn claim_due(
    pool: &PgPool,
    source: &str,
    now: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let claimed: Option<String> = sqlx::query_scalar!(
        "UPDATE source_state SET next_run_at = $3, updated_at = now() \
         WHERE source = $1 AND enabled AND next_run_at IS NOT NULL AND next_run_at <= $2 \
           AND pg_try_advisory_xact_lock(hashtextextended('benchhub.schedule.' || $1, 0)) \
         RETURNING source",
        source,
        now,
        next
    )
    .fetch_optional(pool)
    .await?;
    Ok(claimed.is_some())
}

/// Filters of the run list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this source.
    pub source: Option<String>,
    /// Only this status.
    pub status: Option<&'static str>,
    /// Only this trigger.
    pub trigger: Option<&'static str>,
    /// Started at or after.
    pub started_after: Option<DateTime<Utc>>,
    /// Started before.
    pub started_before: Option<DateTime<Utc>>,
}

/// One run by id.
pub async fn run_by_id(pool: &PgPool, id: Uuid) -> Result<Option<RunRow>, sqlx::Error> {
    Ok(runs_by_id(pool, &[id]).await?.pop())
}

/// Lists runs newest first, after the keyset cursor (started_at, id) when given.
pub async fn list_runs(
    pool: &PgPool,
    filter: &RunFilter,
    cursor: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<RunRow>, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        "SELECT id FROM ingestion_runs \
         WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR status = $2) \
           AND ($3::text IS NULL OR trigger = $3) AND ($4::timestamptz IS NULL OR started_at >= $4) \
           AND ($5::timestamptz IS NULL OR started_at < $5) \
           AND ($6::timestamptz IS NULL OR (started_at, id) < ($6, $7)) \
         ORDER BY started_at DESC, id DESC LIMIT $8",
        filter.source.as_deref(),
        filter.status,
        filter.trigger,
        filter.started_after,
        filter.started_before,
        cursor.map(|(time, _)| time),
        cursor.map(|(_, id)| id),
        limit
    )
    .fetch_all(pool)
    .await?;
    runs_by_id(pool, &ids).await
}

/// The one statement that reads whole [`RunRow`]s: the runs with these ids, in the order of `ids`.
pub async fn runs_by_id(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<RunRow>, sqlx::Error> {
    sqlx::query_as!(
        RunRow,
        r#"SELECT id, source, trigger, actor, dry_run, started_at, completed_at, status,
                  snapshot_date, fetched, inserted, updated, unmatched, skipped, failed, duration_ms,
                  stale, error, oldest_data_date, newest_data_date, models_created,
                  document_failures AS "document_failures: sqlx::types::Json<Vec<DocumentFailure>>"
             FROM ingestion_runs WHERE id = ANY($1) ORDER BY array_position($1, id)"#,
        ids
    )
    .fetch_all(pool)
    .await
}

/// A source the stale check looks at: its last success, the state its alerts announced, and whether a
/// run of it is under way.
#[derive(Debug, Clone)]
pub struct AlertCandidate {
    /// Source name.
    pub source: String,
    /// When its last successful (or unchanged) run ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// `source_state.alert_state`.
    pub alert_state: String,
    /// Whether a run of it is RUNNING.
    pub running: bool,
}

/// Every source with a TTL, for the stale check.
pub async fn alert_candidates(pool: &PgPool) -> Result<Vec<AlertCandidate>, sqlx::Error> {
    sqlx::query_as!(
        AlertCandidate,
        r#"SELECT s.source, s.last_success_at, s.alert_state,
                  EXISTS (SELECT 1 FROM ingestion_runs r WHERE r.source = s.source
                            AND r.status = 'running') AS "running!"
             FROM source_state s WHERE s.ttl_seconds IS NOT NULL"#
    )
    .fetch_all(pool)
    .await
}

/// Moves a source's alert state to `new`, returning the previous state when it changed: exactly one
/// caller (of any replica) sees each change and announces it.
pub async fn claim_alert_state(
    pool: &PgPool,
    source: &str,
    new: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE source_state s SET alert_state = $2 \
           FROM (SELECT source, alert_state AS previous FROM source_state \
                  WHERE source = $1 FOR UPDATE) p \
          WHERE s.source = p.source AND p.previous <> $2 \
      RETURNING p.previous",
        source,
        new
    )
    .fetch_optional(pool)
    .await
}

/// Puts back the previous alert state after a message could not be delivered (unless another change
/// came since).
pub async fn revert_alert_state(
    pool: &PgPool,
    source: &str,
    claimed: &str,
    previous: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE source_state SET alert_state = $3 WHERE source = $1 AND alert_state = $2",
        source,
        claimed,
        previous
    )
    .execute(pool)
    .await?;
    Ok(())
}
