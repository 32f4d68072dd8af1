//! The benchhub ingest service: pulls every public benchmark and price source into dated, idempotent,
//! audited snapshots, and manages tokens.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

// The binary's allocator (src/main.rs); a library cannot leave that dependency to its binary alone.
use mimalloc as _;

pub mod alerts;
pub mod config;
pub mod domain;
pub mod error;
pub mod fetch;
pub mod grpc;
pub mod repo;
pub mod scheduler;
pub mod service;

use std::sync::Arc;

use benchhub_common::{Access, AccessPolicy, Host, Role};
use benchhub_proto::pb;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;

/// Fully qualified gRPC services this binary serves.
pub const GRPC_SERVICES: [&str; 2] = ["benchhub.v1.IngestService", "benchhub.v1.TokenService"];

/// Who may call what: source status is open, the run and unmatched reports need any token, everything
/// else needs an admin token.
pub fn access_policy() -> AccessPolicy {
    AccessPolicy::new()
        .service("benchhub.v1.IngestService", Access::Role(Role::Admin))
        .service("benchhub.v1.TokenService", Access::Role(Role::Admin))
        .method("/benchhub.v1.IngestService/ListSources", Access::Open)
        .method(
            "/benchhub.v1.IngestService/ListIngestionRuns",
            Access::Role(Role::Reader),
        )
        .method(
            "/benchhub.v1.IngestService/GetIngestionRun",
            Access::Role(Role::Reader),
        )
        .method(
            "/benchhub.v1.IngestService/ListUnmatchedModels",
            Access::Role(Role::Reader),
        )
}

/// Runs the service on `listener` until `shutdown` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let host = Host::new("ingest", &config.common, &GRPC_SERVICES, shutdown)?;
    let pool = host.pool().clone();
    let mut ingestor = service::Ingestor::new(
        pool.clone(),
        config.sources.clone(),
        config.pipeline_settings(),
    )?;
    if let Some(webhook) = &config.alert_webhook_url {
        ingestor = ingestor.with_alerter(alerts::Alerter::new(pool.clone(), webhook.clone())?);
        tracing::info!("webhook alerts on (BENCHHUB_ALERT_WEBHOOK_URL is set)");
    }
    let ingestor = Arc::new(ingestor);
    let ready = CancellationToken::new();
    let sources = config.sources.clone();
    let apply_seeds = config.apply_seeds;
    let startup_ingestor = Arc::clone(&ingestor);
    let startup_ready = ready.clone();
    host.start(move |pool| {
        let sources = sources.clone();
        let ingestor = Arc::clone(&startup_ingestor);
        let ready = startup_ready.clone();
        async move {
            repo::sync_sources(&pool, &sources, chrono::Utc::now()).await?;
            let interrupted =
                repo::close_interrupted_runs(&pool, service::HEARTBEAT_TIMEOUT).await?;
            if interrupted > 0 {
                tracing::warn!(
                    interrupted,
                    "closed ingestion runs left running by a stopped process"
                );
            }
            if apply_seeds && let Err(error) = ingestor.apply_seeds().await {
                tracing::warn!(error = %format!("{error:#}"), "seeds not applied");
            }
            ready.cancel();
            Ok(())
        }
    })
    .await;
    // Every replica closes runs whose process stopped, whether or not it runs the schedules, and
    // announces sources whose data turned stale (once across replicas).
    tokio::spawn(scheduler::reap_interrupted(
        Arc::clone(&ingestor),
        config.scheduler_tick,
        ready.clone(),
        host.shutdown_token(),
    ));
    if config.scheduler {
        tokio::spawn(scheduler::run(
            Arc::clone(&ingestor),
            config.scheduler_tick,
            ready,
            host.shutdown_token(),
        ));
    }
    let state = Arc::new(grpc::IngestState {
        pool: pool.clone(),
        sources: config.sources.clone(),
        ingestor,
        request_timeout: config.common.request_timeout,
    });
    let limit = usize::try_from(config.common.max_request_bytes).unwrap_or(usize::MAX);
    let routes = host
        .routes()
        .add_service(
            pb::ingest_service_server::IngestServiceServer::new(grpc::IngestApi::new(state))
                .max_decoding_message_size(limit),
        )
        .add_service(
            pb::token_service_server::TokenServiceServer::new(grpc::TokenApi::new(pool))
                .max_decoding_message_size(limit),
        );
    host.serve(listener, routes, access_policy()).await
}
