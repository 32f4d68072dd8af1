//! Test harness shared by the services' integration tests and the end-to-end tests.
//!
//! - [`TestDb`]: a fresh, uniquely named Postgres database cloned from a migrated template, dropped when
//!   the value is dropped. The server is `DATABASE_URL` when set (scripts/test sets it), else
//!   127.0.0.1:5432.
//! - [`TestServer`]: a service started in-process on port 0 with a shutdown token and a gRPC channel.
//! - [`fixtures_dir`]: the shared upstream samples, when present.
//! - [`PgCluster`]: a private Postgres server that a test can stop and start again (real outages).
//! - [`cpu`]: CPU time of named threads, for benchmarks that split client from server CPU.
//! - [`raw::RawCodec`]: a client codec for raw message bytes (malformed requests, undecoded responses).

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

pub mod cluster;
pub mod cpu;
pub mod raw;

pub use cluster::PgCluster;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sha2::Digest;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// URL of the Postgres server tests use (its `postgres` database).
pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Returns `url` with its database replaced by `database`.
pub fn url_with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority_and_path, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = authority_and_path
        .split('/')
        .next()
        .unwrap_or(authority_and_path);
    match query {
        Some(query) => format!("{scheme}://{authority}/{database}?{query}"),
        None => format!("{scheme}://{authority}/{database}"),
    }
}

/// Login role the services use in tests: NOINHERIT, a member of benchhub's three NOLOGIN roles, no
/// other right (the way `benchctl db setup` makes a service role). Created on first use.
pub const SERVICE_ROLE: &str = "benchhub_test_service";
pub(crate) const SERVICE_PASSWORD: &str = "benchhub-test";

/// Returns `url` with its user and password replaced.
pub fn url_with_login(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host_and_rest = match rest.split_once('/') {
        Some((authority, path)) => {
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{host}/{path}")
        }
        None => rest
            .rsplit_once('@')
            .map_or(rest, |(_, host)| host)
            .to_owned(),
    };
    format!("{scheme}://{user}:{password}@{host_and_rest}")
}

/// A throwaway database with every migration applied.
#[derive(Debug)]
pub struct TestDb {
    /// Database name (`bhtest_<pid>_<random>`).
    pub name: String,
    /// URL a service connects with: the service role [`SERVICE_ROLE`], never a superuser.
    pub url: String,
    /// URL of the same database as the superuser that owns its tables (migrations, set-up).
    pub owner_url: String,
    /// Superuser pool on this database, for assertions and set-up.
    pub pool: PgPool,
    server_url: String,
}

impl TestDb {
    /// Creates a fresh database from the migrated template (building the template on first use).
    pub async fn new() -> anyhow::Result<Self> {
        let server_url = server_url();
        let template = ensure_template(&server_url).await?;
        let name = format!(
            "bhtest_{}_{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut admin = PgConnection::connect(&server_url).await.with_context(
            || "cannot reach the test Postgres (set DATABASE_URL or start one on 127.0.0.1:5432)",
        )?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let created = admin
                .execute(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"").as_str())
                .await;
            match created {
                Ok(_) => break,
                // 55006: the template is briefly in use by a concurrent CREATE DATABASE.
                Err(sqlx::Error::Database(error))
                    if error.code().as_deref() == Some("55006") && attempt < 50 =>
                {
                    tokio::time::sleep(Duration::from_millis(50 + attempt * 10)).await;
                }
                Err(error) => return Err(error).context("creating the test database"),
            }
        }
        admin.close().await.ok();
        let owner_url = url_with_database(&server_url, &name);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&owner_url)
            .await
            .context("connecting to the test database")?;
        Ok(Self {
            name,
            url: url_with_login(&owner_url, SERVICE_ROLE, SERVICE_PASSWORD),
            owner_url,
            pool,
            server_url,
        })
    }

    /// Counts the rows of `table` (for "nothing changed" assertions).
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap_or(-1)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let server_url = self.server_url.clone();
        // The pool's connections belong to the test's runtime, which this thread is about to block:
        // closing them here would wait on that runtime forever. `DROP DATABASE … WITH (FORCE)`
        // terminates them on the server instead, from a private runtime in its own thread.
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async move {
                    if let Ok(mut admin) = PgConnection::connect(&server_url).await {
                        let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = admin.execute(statement.as_str()).await;
                        let _ = admin.close().await;
                    }
                });
            }
        });
        let _ = handle.join();
    }
}

/// Builds (once per migration set and server) the template database and returns its name; also drops
/// databases left behind by test processes that no longer exist.
async fn ensure_template(server_url: &str) -> anyhow::Result<String> {
    let mut digest = sha2::Sha256::new();
    for migration in benchhub_db::MIGRATOR.iter() {
        digest.update(migration.version.to_le_bytes());
        digest.update(&migration.checksum);
    }
    let hash = hex::encode(&digest.finalize()[..6]);
    let template = format!("bhtpl_{hash}");
    let mut admin = PgConnection::connect(server_url).await.context(
        "cannot reach the test Postgres (set DATABASE_URL or start one on 127.0.0.1:5432)",
    )?;
    // Serialise template creation across test processes.
    admin
        .execute("SELECT pg_advisory_lock(727274001)")
        .await
        .context("taking the template lock")?;
    let result = async {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&template)
                .fetch_one(&mut admin)
                .await?;
        if !exists {
            let building = format!("{template}_building");
            admin
                .execute(format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)").as_str())
                .await?;
            admin
                .execute(format!("CREATE DATABASE \"{building}\"").as_str())
                .await?;
            let mut connection =
                PgConnection::connect(&url_with_database(server_url, &building)).await?;
            benchhub_db::MIGRATOR.run(&mut connection).await?;
            connection.close().await?;
            admin
                .execute(format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"").as_str())
                .await?;
        }
        benchhub_db::roles::ensure_service_role(&mut admin, SERVICE_ROLE, Some(SERVICE_PASSWORD))
            .await
            .context("creating the test service role")?;
        drop_orphans(&mut admin).await;
        anyhow::Ok(())
    }
    .await;
    let _ = admin.execute("SELECT pg_advisory_unlock(727274001)").await;
    admin.close().await.ok();
    result?;
    Ok(template)
}

async fn drop_orphans(admin: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'bhtest\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name
            .split('_')
            .nth(1)
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await;
        }
    }
}

/// A service running in this process on a loopback port chosen by the OS.
#[derive(Debug)]
pub struct TestServer {
    /// Bound address.
    pub addr: SocketAddr,
    /// `http://` URL of the server.
    pub url: String,
    shutdown: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 and spawns `run(listener, shutdown)`.
    pub async fn start<F, Fut>(run: F) -> anyhow::Result<Self>
    where
        F: FnOnce(TcpListener, CancellationToken) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(run(listener, shutdown.clone()));
        Ok(Self {
            addr,
            url: format!("http://{addr}"),
            shutdown,
            handle,
        })
    }

    /// Opens a gRPC channel to the server.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        Ok(Channel::from_shared(self.url.clone())?.connect().await?)
    }

    /// Waits until the server's overall health is SERVING.
    pub async fn wait_serving(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(channel) = self.channel().await {
                let mut client = HealthClient::new(channel);
                if let Ok(response) = client
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    && response.into_inner().status == ServingStatus::Serving as i32
                {
                    return Ok(());
                }
            }
            if self.handle.is_finished() {
                anyhow::bail!("the server exited before it was SERVING");
            }
            if Instant::now() > deadline {
                anyhow::bail!("the server was not SERVING within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Returns whether the server task has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Asks the server to stop and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.handle.await.context("server task panicked")?
    }
}

/// Adds `authorization: Bearer <token>` to a request.
pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// Directory of the shared upstream samples (`BENCHHUB_FIXTURES_DIR`, else `../shared/fixtures` beside
/// the repository), or `None` with a printed notice so the calling test can skip. Under `CI=true` a
/// missing directory fails the test instead: CI has the fixtures, and a skipped check proves nothing.
pub fn fixtures_dir() -> Option<PathBuf> {
    let candidate = std::env::var_os("BENCHHUB_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
        });
    if candidate.is_dir() {
        Some(candidate)
    } else if std::env::var("CI").is_ok_and(|value| value == "true") {
        panic!(
            "upstream fixtures not found at {} and CI=true: fixture tests must run in CI \
             (set BENCHHUB_FIXTURES_DIR)",
            candidate.display()
        );
    } else {
        eprintln!(
            "notice: upstream fixtures not found at {}; skipping the fixture-based part of this test",
            candidate.display()
        );
        None
    }
}
