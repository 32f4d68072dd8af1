//! The benchhub ingest service: pulls every public benchmark and price source into dated, idempotent,
//! audited snapshots, and manages tokens.

pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod repo;

use std::sync::Arc;

use benchhub_common::{Access, AccessPolicy, Host, Role};
use benchhub_proto::pb;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;

/// Fully qualified gRPC services this binary serves.
pub const GRPC_SERVICES: [&str; 2] = ["benchhub.v1.IngestService", "benchhub.v1.TokenService"];

/// Who may call what: source status is open, everything else needs an admin token.
pub fn access_policy() -> AccessPolicy {
    AccessPolicy::new()
        .service("benchhub.v1.IngestService", Access::Role(Role::Admin))
        .service("benchhub.v1.TokenService", Access::Role(Role::Admin))
        .method("/benchhub.v1.IngestService/ListSources", Access::Open)
        .method(
            "/benchhub.v1.IngestService/ListIngestionRuns",
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
    let sources = config.sources.clone();
    host.start(move |pool| {
        let sources = sources.clone();
        async move {
            repo::sync_sources(&pool, &sources, chrono::Utc::now()).await?;
            Ok(())
        }
    });
    let state = Arc::new(grpc::IngestState {
        pool: pool.clone(),
        sources: config.sources.clone(),
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
