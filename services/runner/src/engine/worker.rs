//! The worker loop: claims runs (up to the replica's limit) and executes them; on shutdown it stops
//! claiming, lets in-flight calls finish (bounded by the drain grace) and gives unfinished runs back.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::engine::{Engine, executor};
use crate::repo;

/// Runs the worker until `engine.drain` fires and every execution has ended. Waits for `ready` (the
/// database migrated) before the first claim.
pub async fn run(engine: Arc<Engine>, mut ready: watch::Receiver<bool>) {
    tokio::select! {
        _ = ready.wait_for(|ready| *ready) => {}
        _ = engine.drain.cancelled() => return,
    }
    let settings = engine.settings.clone();
    let mut executions: JoinSet<()> = JoinSet::new();
    loop {
        while executions.try_join_next().is_some() {}
        if engine.drain.is_cancelled() {
            break;
        }
        if executions.len() < settings.max_active_runs {
            let claim_tag = format!("{}/{}", settings.replica_id, Uuid::new_v4());
            match repo::worker::claim(&engine.pool, &claim_tag, settings.lease).await {
                Ok(Some(claimed)) => {
                    tracing::info!(run_id = %claimed.run_id, tenant = %claimed.tenant_id, previous = claimed.previous.as_str(), "claimed run");
                    executions.spawn(executor::execute(Arc::clone(&engine), claimed, claim_tag));
                    continue;
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(error = %error, "claiming runs failed; retrying");
                }
            }
        }
        tokio::select! {
            _ = engine.drain.cancelled() => break,
            _ = engine.wake.notified() => {}
            _ = tokio::time::sleep(settings.poll_interval) => {}
            Some(_) = executions.join_next(), if !executions.is_empty() => {}
        }
    }
    let drained = tokio::time::timeout(settings.drain_grace, async {
        while executions.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            grace_ms = settings.drain_grace.as_millis() as u64,
            "in-flight calls did not finish within the drain grace; aborting them"
        );
        engine.hard_stop.cancel();
        while executions.join_next().await.is_some() {}
    }
}
