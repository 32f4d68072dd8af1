//! The in-service scheduler: every tick, each scheduled live source whose `next_run_at` has passed is
//! claimed with one UPDATE guarded by an advisory lock (so across any number of replicas exactly one
//! claims each firing) and ingested with trigger `schedule`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::sources::Availability;
use crate::error::Error;
use crate::repo;
use crate::service::{Ingestor, Trigger};

/// Actor recorded on scheduled runs.
pub const ACTOR: &str = "scheduler";

/// Waits for `ready`, then runs `each_tick` every `tick` until `shutdown`. Returns false when
/// `shutdown` fired before `ready`.
async fn every_tick<F, Fut>(
    tick: Duration,
    ready: CancellationToken,
    shutdown: CancellationToken,
    mut each_tick: F,
) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    tokio::select! {
        _ = ready.cancelled() => {}
        _ = shutdown.cancelled() => return false,
    }
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.cancelled() => return true,
        }
        each_tick().await;
    }
}

/// Runs until `shutdown`, starting after `ready` fires (the database is migrated); waits for the runs
/// it started before returning.
pub async fn run(
    ingestor: Arc<Ingestor>,
    tick: Duration,
    ready: CancellationToken,
    shutdown: CancellationToken,
) {
    let tasks = TaskTracker::new();
    if every_tick(tick, ready, shutdown, || fire_due(&ingestor, &tasks)).await {
        tasks.close();
        tasks.wait().await;
    }
}

/// Until `shutdown`, every `tick` closes the runs whose process stopped (a free source lock, or no
/// heartbeat for [`crate::service::HEARTBEAT_TIMEOUT`]) and, with alerts on, announces sources whose
/// data turned stale.
pub async fn reap_interrupted(
    ingestor: Arc<Ingestor>,
    tick: Duration,
    ready: CancellationToken,
    shutdown: CancellationToken,
) {
    every_tick(tick, ready, shutdown, || async {
        if let Some(alerter) = ingestor.alerter() {
            alerter.check_stale(ingestor.sources()).await;
        }
        match repo::close_interrupted_runs(ingestor.pool(), crate::service::HEARTBEAT_TIMEOUT)
            .await
        {
            Ok(0) => {}
            Ok(closed) => tracing::warn!(closed, "closed ingestion runs whose process stopped"),
            Err(error) => {
                tracing::warn!(error = %benchhub_db::describe(&error), "closing interrupted runs failed");
            }
        }
    })
    .await;
}

/// Claims and starts every due source once.
pub async fn fire_due(ingestor: &Arc<Ingestor>, tasks: &TaskTracker) {
    for settings in ingestor.sources() {
        let Some(schedule) = &settings.schedule else {
            continue;
        };
        if settings.spec.availability != Availability::Live {
            continue;
        }
        let name = settings.spec.name;
        let now = Utc::now();
        let next = schedule.after(&now).next();
        match repo::claim_due(ingestor.pool(), name, now, next).await {
            Ok(true) => {
                let ingestor = Arc::clone(ingestor);
                tasks.spawn(async move {
                    match ingestor
                        .ingest(name, Trigger::Schedule, Some(ACTOR), false)
                        .await
                    {
                        Ok(_) => {}
                        Err(Error::Busy(_)) => {
                            tracing::info!(
                                source = name,
                                "scheduled run skipped: already ingesting"
                            );
                        }
                        Err(error) => {
                            tracing::warn!(source = name, error = %error, "scheduled run refused");
                        }
                    }
                });
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(source = name, error = %benchhub_db::describe(&error), "schedule check failed");
            }
        }
    }
}
