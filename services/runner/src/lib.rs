//! The benchhub runner service: a team's test cases × models, fanned out concurrently through
//! per-provider limits, durable and resumable, with tokens, latency, cost and judge scores per result.
//!
//! - `grpc`: the `RunnerService` handlers; `service`: operations behind them; `repo`: Postgres.
//! - `domain`: validation, pricing, estimates, statistics and comparison, without I/O.
//! - `engine`: the worker loop that claims runs (`FOR UPDATE SKIP LOCKED` with a lease), the executor
//!   with its tower stack per provider, the judge client and the in-process event hub.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

// The binary's allocator (src/main.rs); a library cannot leave that dependency to its binary alone.
use mimalloc as _;

pub mod config;
pub mod convert;
pub mod domain;
pub mod engine;
pub mod error;
pub mod grpc;
pub mod repo;
pub mod service;

use std::sync::Arc;
use std::time::Duration;

use benchhub_common::{Access, AccessPolicy, Host, Role};
use benchhub_proto::pb;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use config::Config;

use crate::engine::judge::JudgeClient;
use crate::engine::limits::{AdaptiveTuning, ProviderLimiters, SharedBackend};
use crate::engine::{Engine, EngineSettings};

/// Fully qualified gRPC services this binary serves.
pub const GRPC_SERVICES: [&str; 1] = ["benchhub.v1.RunnerService"];

const SERVICE: &str = "benchhub.v1.RunnerService";

/// Who may call what: reads need role reader; creating suites, cases and runs, cancelling and retrying
/// need role runner.
pub fn access_policy() -> AccessPolicy {
    let mut policy = AccessPolicy::new().service(SERVICE, Access::Role(Role::Reader));
    for method in [
        "CreateSuite",
        "AddTestCases",
        "CreateRun",
        "CancelRun",
        "RetryRun",
    ] {
        policy = policy.method(&format!("/{SERVICE}/{method}"), Access::Role(Role::Runner));
    }
    policy
}

/// Runs the service on `listener` until `shutdown` fires. On shutdown the worker stops claiming runs,
/// lets in-flight calls finish and records them (for up to the shutdown grace), gives unfinished runs
/// back for another replica to resume, and only then stops the gRPC server.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let server_shutdown = CancellationToken::new();
    let host = Host::new(
        "runner",
        &config.common,
        &GRPC_SERVICES,
        server_shutdown.clone(),
    )?;
    let (ready_sender, ready) = watch::channel(false);
    host.start(move |_pool| {
        let ready_sender = ready_sender.clone();
        async move {
            ready_sender.send_replace(true);
            Ok(())
        }
    })
    .await;
    // The worker has its own pool: the gRPC server closes its pool when it stops, which must not cut
    // the worker's drain short.
    let worker_pool =
        benchhub_db::lazy_pool(&config.common.database_url, &config.common.pool_settings())?;
    let judge = JudgeClient::new(
        &config.judge_url,
        config.judge_token.clone(),
        config.judge_timeout,
    )?;
    let settings = EngineSettings {
        replica_id: config.replica_name(),
        worker_enabled: config.worker,
        lease: config.lease,
        poll_interval: config.poll_interval,
        max_active_runs: config.max_active_runs as usize,
        retry_base_delay: config.retry_base,
        retry_max_delay: config.retry_max,
        drain_grace: config.common.shutdown_grace,
        grading_concurrency: config.grading_concurrency as usize,
    };
    // Provider limits hold across every replica on this database.
    let limiters = ProviderLimiters::shared(
        config.provider_concurrency,
        AdaptiveTuning {
            decrease_factor: config.throttle_backoff,
            decrease_cooldown: config.throttle_cooldown,
        },
        SharedBackend {
            pool: worker_pool.clone(),
            // One row per process even when two runners share a configured name (tests, a
            // misconfigured deployment): a share is never counted for two processes.
            replica: format!(
                "{}/{}",
                settings.replica_id,
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            stop: CancellationToken::new(),
        },
    );
    let engine = Arc::new(Engine::new(
        worker_pool,
        config.providers.clone(),
        limiters,
        judge,
        settings,
    ));
    let worker = config
        .worker
        .then(|| tokio::spawn(engine::worker::run(Arc::clone(&engine), ready)));
    let sequence = {
        let engine = Arc::clone(&engine);
        let server_shutdown = server_shutdown.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = engine.drain.cancelled() => {}
            }
            engine.drain.cancel();
            if let Some(worker) = worker {
                let _ = worker.await;
            }
            server_shutdown.cancel();
        })
    };

    let api = grpc::RunnerApi::new(
        host.pool().clone(),
        Arc::clone(&engine),
        shutdown.clone(),
        config.judge_token.is_none(),
    );
    let limit = usize::try_from(config.common.max_request_bytes).unwrap_or(usize::MAX);
    let routes = host.routes().add_service(
        pb::runner_service_server::RunnerServiceServer::new(api)
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit.max(16 * 1024 * 1024)),
    );
    let served = host.serve(listener, routes, access_policy()).await;
    engine.drain.cancel();
    let _ = sequence.await;
    // Every run of this replica has ended: give the provider shares back before the pool closes.
    engine.limiters.shutdown(Duration::from_secs(2)).await;
    engine.pool.close().await;
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_need_runner_and_reads_need_reader() {
        let policy = access_policy();
        assert_eq!(
            policy.access_for("/benchhub.v1.RunnerService/CreateRun"),
            Access::Role(Role::Runner)
        );
        assert_eq!(
            policy.access_for("/benchhub.v1.RunnerService/GetRun"),
            Access::Role(Role::Reader)
        );
        assert_eq!(
            policy.access_for("/benchhub.v1.RunnerService/WatchRun"),
            Access::Role(Role::Reader)
        );
    }
}
