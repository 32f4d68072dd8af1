//! The benchhub judge service: deterministic graders, a blind LLM judge, pairwise comparison in both
//! orders, and Bradley–Terry ratings with bootstrap intervals.
//!
//! The judge needs no database for grading, but runs on the shared [`Host`] like every service, so its
//! health follows the database and its tokens are checked the same way.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

// The binary's allocator (src/main.rs); a library cannot leave that dependency to its binary alone.
use mimalloc as _;

pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;

use benchhub_common::{Access, AccessPolicy, Host, Role};
use benchhub_proto::pb;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;

use crate::domain::judge::Judge;

/// Fully qualified gRPC services this binary serves.
pub const GRPC_SERVICES: [&str; 1] = ["benchhub.v1.JudgeService"];

/// Who may call what: grading and comparison need runner; ratings from verdicts need reader.
pub fn access_policy() -> AccessPolicy {
    AccessPolicy::new()
        .service("benchhub.v1.JudgeService", Access::Role(Role::Runner))
        .method(
            "/benchhub.v1.JudgeService/RankModels",
            Access::Role(Role::Reader),
        )
}

/// Runs the service on `listener` until `shutdown` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let host = Host::new("judge", &config.common, &GRPC_SERVICES, shutdown)?;
    host.start(|_pool| async { Ok(()) }).await;
    let settings = config.judge_settings();
    if let Some(model) = &settings.default_model
        && let Err(error) = config.providers.resolve(model)
    {
        tracing::warn!(model = %model, error = %error, "the default judge model cannot be used; requests must name a judge model");
    }
    let judge = Judge::new(config.providers.clone(), settings);
    let limit = usize::try_from(config.common.max_request_bytes).unwrap_or(usize::MAX);
    let routes = host.routes().add_service(
        pb::judge_service_server::JudgeServiceServer::new(grpc::JudgeApi::new(judge))
            .max_decoding_message_size(limit),
    );
    host.serve(listener, routes, access_policy()).await
}
