//! The benchhub rankings service.

pub mod config;
pub mod grpc;

use benchhub_common::{Access, AccessPolicy, Host};
use benchhub_proto::pb;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;

/// Fully qualified gRPC services this binary serves.
pub const GRPC_SERVICES: [&str; 1] = ["benchhub.v1.RankingsService"];

/// Who may call what.
pub fn access_policy() -> AccessPolicy {
    AccessPolicy::new().service("benchhub.v1.RankingsService", Access::Open)
}

/// Runs the service on `listener` until `shutdown` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let host = Host::new("rankings", &config.common, &GRPC_SERVICES, shutdown)?;
    host.start(|_pool| async { Ok(()) });
    let limit = usize::try_from(config.common.max_request_bytes).unwrap_or(usize::MAX);
    let routes = host.routes().add_service(
        pb::rankings_service_server::RankingsServiceServer::new(grpc::RankingsApi::new())
            .max_decoding_message_size(limit),
    );
    host.serve(listener, routes, access_policy()).await
}
