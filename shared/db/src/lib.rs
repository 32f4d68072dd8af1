//! Postgres access shared by every benchhub service: the embedded migrations, a lazily connected pool,
//! start-up waiting with backoff, tenant-scoped transactions and SQLSTATE classification.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

pub mod backoff;
pub mod roles;

use std::time::Duration;

pub use backoff::Backoff;
pub use roles::{LoginCheck, TOKENS_ROLE, WORKER_ROLE, begin_tokens, check_service_login};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

/// Every migration in `shared/db/migrations`, embedded in the binary and applied at start-up.
///
/// sqlx holds a Postgres advisory lock while it migrates, so replicas starting together are safe.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Role of every service connection (`SET ROLE` when it opens): all tables but `api_tokens`, under
/// row-level security, so tenant tables show no rows until [`begin_tenant`] names a tenant.
pub const APP_ROLE: &str = "benchhub_app";

/// Name of the `current_setting` that carries the tenant of a transaction.
pub const TENANT_SETTING: &str = "benchhub.tenant_id";

/// Channel on which the ingest service announces a changed catalog (`pg_notify`).
pub const CATALOG_CHANNEL: &str = "benchhub_catalog";

/// Pool settings read from the environment by each service's configuration.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Upper bound on open connections.
    pub max_connections: u32,
    /// How long a query waits for a free connection before failing as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Errors raised while building the pool.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL could not be parsed; the message never contains the URL itself (it may hold a password).
    #[error("DATABASE_URL is not a valid postgres url: {0}")]
    InvalidUrl(String),
}

/// Parses a connection URL, with an error that never echoes it (it may hold a password).
pub fn connect_options(database_url: &str) -> Result<PgConnectOptions, ConnectError> {
    let options: PgConnectOptions = database_url
        .parse()
        .map_err(|error: sqlx::Error| ConnectError::InvalidUrl(redact_url_error(&error)))?;
    Ok(options.application_name("benchhub"))
}

/// Builds a pool that connects lazily, so a service can start (and report NOT_SERVING) before the
/// database is reachable. Every connection switches to [`APP_ROLE`] as it opens: whatever a query
/// does, it runs under row-level security and never sees `api_tokens`.
pub fn lazy_pool(database_url: &str, settings: &PoolSettings) -> Result<PgPool, ConnectError> {
    let options = connect_options(database_url)?;
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(|connection, _meta| {
            Box::pin(async move {
                use sqlx::Executor as _;
                connection
                    .execute(format!("SET ROLE {APP_ROLE}").as_str())
                    .await
                    .map(|_| ())
            })
        })
        .connect_lazy_with(options))
}

fn redact_url_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(inner) => {
            let text = inner.to_string();
            if text.contains("://") {
                "unparsable connection string".to_owned()
            } else {
                text
            }
        }
        _ => "unparsable connection string".to_owned(),
    }
}

/// Waits until the database of `owner_url` answers, retrying with exponential backoff (capped at
/// `max_delay`), then applies every pending migration as that login (the tables' owner). Returns only
/// on success or when `give_up` fires.
pub async fn wait_and_migrate(
    owner_url: &str,
    max_delay: Duration,
    give_up: impl std::future::Future<Output = ()>,
) -> Result<(), sqlx::Error> {
    tokio::pin!(give_up);
    let mut backoff = Backoff::new(Duration::from_millis(200), max_delay);
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let outcome = roles::migrate(owner_url).await;
        match outcome {
            Ok(()) => {
                tracing::info!(attempt, "database reachable and migrated");
                return Ok(());
            }
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %error,
                    "cannot migrate yet; retrying"
                );
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = &mut give_up => return Err(sqlx::Error::PoolClosed),
                }
            }
        }
    }
}

/// Opens a transaction in which row-level security restricts every tenant-owned table to `tenant_id`.
pub async fn begin_tenant(
    pool: &PgPool,
    tenant_id: &str,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    // APP_ROLE, spelled out: the compile-time checked macros take a literal.
    sqlx::query!("SET LOCAL ROLE benchhub_app")
        .execute(&mut *transaction)
        .await?;
    sqlx::query!("SELECT set_config($1, $2, true)", TENANT_SETTING, tenant_id)
        .fetch_one(&mut *transaction)
        .await?;
    Ok(transaction)
}

/// What a database error means to the service that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// 23505: a unique constraint was violated.
    UniqueViolation,
    /// 23503: a referenced row does not exist.
    ForeignKeyViolation,
    /// 23514 or 23502: a check or not-null constraint was violated.
    CheckViolation,
    /// 40001 or 40P01: retryable serialization failure or deadlock.
    Conflict,
    /// 42501 or a row-level-security rejection: not allowed.
    InsufficientPrivilege,
    /// The query returned no row where one was expected.
    RowNotFound,
    /// The database could not be reached or cannot serve now (pool timeout, I/O, closed pool, 08xxx,
    /// 57Pxx shutdown, 53xxx out of resources, 3D000 database gone).
    Unavailable,
    /// Anything else: a bug or an unexpected state (INTERNAL, logged once).
    Other,
}

/// Classifies a sqlx error by SQLSTATE, in one place for every service.
pub fn classify(error: &sqlx::Error) -> DbErrorKind {
    match error {
        sqlx::Error::RowNotFound => DbErrorKind::RowNotFound,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            DbErrorKind::Unavailable
        }
        sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => DbErrorKind::Unavailable,
        sqlx::Error::Database(database_error) => {
            let code = database_error.code().map(std::borrow::Cow::into_owned);
            match code.as_deref() {
                Some("23505") => DbErrorKind::UniqueViolation,
                Some("23503") => DbErrorKind::ForeignKeyViolation,
                Some("23514" | "23502") => DbErrorKind::CheckViolation,
                Some("40001" | "40P01") => DbErrorKind::Conflict,
                Some("42501") => DbErrorKind::InsufficientPrivilege,
                // 08: connection exceptions; 57P: shutdown; 53: out of resources (too many
                // connections, disk full); 3D000: the database does not exist (dropped under us).
                Some(code)
                    if code.starts_with("08")
                        || code.starts_with("57P")
                        || code.starts_with("53")
                        || code == "3D000" =>
                {
                    DbErrorKind::Unavailable
                }
                _ => DbErrorKind::Other,
            }
        }
        _ => DbErrorKind::Other,
    }
}

/// Describes an error for logs without leaking connection strings.
pub fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(_) => "invalid database configuration".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_url_error_never_echoes_the_url() {
        let error = lazy_pool("postgres://user:secret@[bad", &PoolSettings::default())
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn classifies_pool_timeout_as_unavailable() {
        assert_eq!(
            classify(&sqlx::Error::PoolTimedOut),
            DbErrorKind::Unavailable
        );
        assert_eq!(
            classify(&sqlx::Error::RowNotFound),
            DbErrorKind::RowNotFound
        );
    }
}
