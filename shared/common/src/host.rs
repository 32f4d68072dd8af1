//! One running service: its lazily connected pool, health reporting, start-up readiness and the gRPC
//! server with health, reflection (v1 and v1alpha), the RPC layer and graceful shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::{AccessPolicy, Authenticator};
use crate::config::CommonConfig;
use crate::rpc::RpcLayer;

/// Everything a service needs from the shared bootstrap.
#[derive(Debug)]
pub struct Host {
    name: &'static str,
    config: CommonConfig,
    pool: PgPool,
    login: PgConnectOptions,
    fatal: Arc<std::sync::Mutex<Option<String>>>,
    authenticator: Authenticator,
    ready: Arc<AtomicBool>,
    health: HealthReporter,
    health_routes: Routes,
    grpc_services: Vec<String>,
    shutdown: CancellationToken,
}

impl Host {
    /// Creates the host of service `name` (e.g. `ingest`) exposing the fully qualified gRPC services
    /// `grpc_services` (e.g. `benchhub.v1.IngestService`). Nothing connects yet.
    pub fn new(
        name: &'static str,
        config: &CommonConfig,
        grpc_services: &[&str],
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let pool = benchhub_db::lazy_pool(&config.database_url, &config.pool_settings())?;
        let login = benchhub_db::connect_options(&config.database_url)?;
        let authenticator = Authenticator::new(
            pool.clone(),
            config.admin_token.as_ref(),
            &config.admin_tenant,
        );
        let (health, health_service) = tonic_health::server::health_reporter();
        Ok(Self {
            name,
            config: config.clone(),
            pool,
            login,
            fatal: Arc::new(std::sync::Mutex::new(None)),
            authenticator,
            ready: Arc::new(AtomicBool::new(false)),
            health,
            health_routes: Routes::new(health_service),
            grpc_services: grpc_services
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            shutdown,
        })
    }

    /// Returns the routes every service starts from (the health service); add the service's own gRPC
    /// services to them and pass them to [`Host::serve`].
    pub fn routes(&self) -> Routes {
        self.health_routes.clone()
    }

    /// Returns the service's pool (connects on first use).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Returns the token that stops the service and its background work.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Returns the token checker, for services that authenticate outside the RPC layer.
    pub fn authenticator(&self) -> &Authenticator {
        &self.authenticator
    }

    /// Spawns the start-up task: migrate when given the owner's URL (`BENCHHUB_MIGRATE_DATABASE_URL`),
    /// wait with backoff until the login is reachable, safe and the schema current, run `on_ready`
    /// (retried until it succeeds), report SERVING, then keep probing the database and report
    /// NOT_SERVING while it is unreachable.
    ///
    /// A login that could bypass row-level security (a superuser, BYPASSRLS, a table owner, a role
    /// that inherits benchhub's roles) stops the service: [`Host::serve`] returns the reasons.
    pub async fn start<F, Fut>(&self, on_ready: F)
    where
        F: Fn(PgPool) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
    {
        let pool = self.pool.clone();
        let ready = Arc::clone(&self.ready);
        let health = self.health.clone();
        let names = self.health_names();
        let shutdown = self.shutdown.clone();
        let interval = self.config.health_interval;
        let service = self.name;
        let migrate_url = self.config.migrate_database_url.clone();
        let login = self.login.clone();
        let fatal = Arc::clone(&self.fatal);
        // Before anything can ask: the reporter starts with the overall status SERVING.
        set_status(&health, &names, ServingStatus::NotServing).await;
        tokio::spawn(async move {
            if let Some(owner_url) = migrate_url.filter(|url| !url.is_empty()) {
                let migrated = benchhub_db::wait_and_migrate(
                    &owner_url,
                    Duration::from_secs(10),
                    shutdown.clone().cancelled_owned(),
                )
                .await;
                if migrated.is_err() {
                    return;
                }
            }
            let mut backoff =
                benchhub_db::Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
            loop {
                let waiting = match benchhub_db::check_service_login(&login).await {
                    benchhub_db::LoginCheck::Ready => break,
                    benchhub_db::LoginCheck::Refused(problems) => {
                        let message = format!(
                            "refusing to serve with this DATABASE_URL: {}",
                            problems.join("; ")
                        );
                        tracing::error!(service, "{message}");
                        *fatal
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message);
                        shutdown.cancel();
                        return;
                    }
                    benchhub_db::LoginCheck::NotMigrated(reason) => reason,
                    benchhub_db::LoginCheck::Unreachable(error) => benchhub_db::describe(&error),
                };
                let delay = backoff.next_delay();
                tracing::warn!(service, reason = %waiting, retry_in_ms = delay.as_millis() as u64, "database not ready; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
            let mut backoff =
                benchhub_db::Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
            loop {
                match on_ready(pool.clone()).await {
                    Ok(()) => break,
                    Err(error) => {
                        let delay = backoff.next_delay();
                        tracing::warn!(service, error = %format!("{error:#}"), retry_in_ms = delay.as_millis() as u64, "start-up step failed; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = shutdown.cancelled() => return,
                        }
                    }
                }
            }
            ready.store(true, Ordering::Release);
            set_status(&health, &names, ServingStatus::Serving).await;
            tracing::info!(service, "serving");
            let mut serving = true;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = shutdown.cancelled() => return,
                }
                let probe = tokio::time::timeout(
                    interval.max(Duration::from_secs(1)),
                    sqlx::query_scalar!("SELECT 1 AS probe").fetch_one(&pool),
                )
                .await;
                let reachable = matches!(probe, Ok(Ok(_)));
                if reachable != serving {
                    serving = reachable;
                    if reachable {
                        tracing::info!(service, "database reachable again; SERVING");
                        set_status(&health, &names, ServingStatus::Serving).await;
                    } else {
                        tracing::warn!(service, "database unreachable; NOT_SERVING");
                        set_status(&health, &names, ServingStatus::NotServing).await;
                    }
                }
            }
        });
    }

    fn health_names(&self) -> Vec<String> {
        let mut names = vec![String::new()];
        names.extend(self.grpc_services.iter().cloned());
        names
    }

    /// Serves `routes` (built from [`Host::routes`]) plus reflection on `listener` until the shutdown token fires, then
    /// reports NOT_SERVING, lets in-flight RPCs finish (up to the configured grace) and closes the pool.
    pub async fn serve(
        self,
        listener: TcpListener,
        routes: Routes,
        policy: AccessPolicy,
    ) -> anyhow::Result<()> {
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(benchhub_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .context("building reflection v1")?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(benchhub_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .context("building reflection v1alpha")?;
        let routes = routes
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);

        crate::observe::handle();
        if let Some(metrics_addr) = self.config.metrics_addr {
            let metrics_listener = bind(metrics_addr, "BENCHHUB_METRICS_ADDR").await?;
            tracing::info!(service = self.name, addr = %metrics_addr, "metrics at /metrics");
            let shutdown = self.shutdown.clone();
            tokio::spawn(async move {
                if let Err(error) = crate::observe::serve_metrics(metrics_listener, shutdown).await
                {
                    tracing::error!(error = %format!("{error:#}"), "metrics endpoint failed");
                }
            });
        }
        let layer = RpcLayer::new(
            self.name,
            policy,
            self.authenticator.clone(),
            Arc::clone(&self.ready),
        );
        let local = listener.local_addr().ok();
        tracing::info!(service = self.name, addr = ?local, "listening");
        let shutdown = self.shutdown.clone();
        let health = self.health.clone();
        let names = self.health_names();
        let signal = async move {
            shutdown.cancelled().await;
            set_status(&health, &names, ServingStatus::NotServing).await;
        };
        let server = tonic::transport::Server::builder()
            .timeout(self.config.request_timeout)
            .layer(layer)
            .add_routes(routes)
            .serve_with_incoming_shutdown(
                // Without TCP_NODELAY larger answers wait ~40 ms for the peer's delayed ACK.
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
                signal,
            );
        let grace = self.config.shutdown_grace;
        let deadline = async {
            self.shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        let outcome = tokio::select! {
            outcome = server => outcome.context("gRPC server failed"),
            () = deadline => {
                tracing::warn!(service = self.name, grace_ms = grace.as_millis() as u64, "in-flight RPCs did not finish within the grace period");
                Ok(())
            }
        };
        self.pool.close().await;
        tracing::info!(service = self.name, "stopped");
        let fatal = self
            .fatal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match fatal {
            Some(message) => Err(anyhow::anyhow!(message)),
            None => outcome,
        }
    }
}

async fn set_status(health: &HealthReporter, names: &[String], status: ServingStatus) {
    for name in names {
        health.set_service_status(name.as_str(), status).await;
    }
}

/// Binds a TCP listener, with an error that names the address (e.g. when the port is in use).
pub async fn bind(addr: std::net::SocketAddr, variable: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (set by {variable}); is the port in use?")
    })
}

/// Shared body of every service's `main`: binds the address, runs the service until SIGINT/SIGTERM, and
/// turns failures into a logged error and exit code 1.
pub async fn run_main<F, Fut>(
    service: &'static str,
    addr: std::net::SocketAddr,
    variable: &str,
    run: F,
) -> std::process::ExitCode
where
    F: FnOnce(TcpListener, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let listener = match bind(addr, variable).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(service, error = %format!("{error:#}"), "cannot start");
            eprintln!("{service}: {error:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        crate::shutdown::signal().await;
        trigger.cancel();
    });
    match run(listener, shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(service, error = %format!("{error:#}"), "stopped with an error");
            eprintln!("{service}: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
