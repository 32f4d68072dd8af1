//! The benchhub rankings service: fuses every source's snapshots into one in-memory catalog of canonical
//! models with composite scores, freshness, filters, history and CSV export, rebuilt after every ingest.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

// The binary's allocator (src/main.rs); a library cannot leave that dependency to its binary alone.
use mimalloc as _;

pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod repo;
pub mod service;
pub mod store;
pub mod testdata;

use std::sync::Arc;

use benchhub_common::{Access, AccessPolicy, Host, Role};
use sqlx::postgres::PgListener;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;

/// Fully qualified gRPC services this binary serves.
pub const GRPC_SERVICES: [&str; 1] = ["benchhub.v1.RankingsService"];

/// Who may call what with the default configuration: every rankings read is open.
pub fn access_policy() -> AccessPolicy {
    access_policy_for(false)
}

/// Who may call what: reads are open, or need a reader token when `require_token` is set.
pub fn access_policy_for(require_token: bool) -> AccessPolicy {
    let access = if require_token {
        Access::Role(Role::Reader)
    } else {
        Access::Open
    };
    AccessPolicy::new().service("benchhub.v1.RankingsService", access)
}

/// Runs the service on `listener` until `shutdown` fires.
///
/// Start-up (retried until it succeeds): LISTEN on the catalog channel, build the catalog, then follow
/// notifications in the background. Listening first means no ingest can slip between the build and the
/// subscription.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    disable_nagle(&listener);
    let host = Host::new("rankings", &config.common, &GRPC_SERVICES, shutdown)?;
    let rankings = Arc::new(service::Rankings::new(
        host.pool().clone(),
        config.store_limits(),
    ));
    let background = host.shutdown_token();
    let starting = Arc::clone(&rankings);
    host.start(move |pool| {
        let rankings = Arc::clone(&starting);
        let shutdown = background.clone();
        async move {
            let mut notifications = PgListener::connect_with(&pool).await?;
            notifications.listen(benchhub_db::CATALOG_CHANNEL).await?;
            rankings.rebuild().await?;
            tokio::spawn(rankings.follow_notifications(notifications, shutdown));
            Ok(())
        }
    })
    .await;
    let limit = usize::try_from(config.common.max_request_bytes).unwrap_or(usize::MAX);
    let routes = host
        .routes()
        .add_service(grpc::list_rankings::RankingsRoutes::new(
            grpc::RankingsApi::new(rankings),
            limit,
        ));
    host.serve(listener, routes, access_policy_for(config.require_token))
        .await
}

/// Sets TCP_NODELAY on the listening socket; Linux copies it onto every accepted connection. Rankings
/// answers are tens of kilobytes, and with Nagle's algorithm their last segment waits for the client's
/// delayed ACK (about 40 ms per call). Best effort: a failure only costs latency.
fn disable_nagle(listener: &TcpListener) {
    if let Err(error) = socket2::SockRef::from(listener).set_tcp_nodelay(true) {
        tracing::warn!(error = %error, "cannot set TCP_NODELAY on the listener");
    }
}
