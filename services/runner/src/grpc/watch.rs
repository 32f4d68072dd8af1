//! WatchRun: a status snapshot, optionally the results so far, then live events until the run ends and
//! a final summary. Runs executing in this process are followed through the in-process event hub; runs
//! executed by another replica (or still pending) by polling the database. Results are de-duplicated,
//! so switching between the two never repeats one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchhub_common::convert::timestamp;
use benchhub_proto::pb;
use benchhub_proto::pb::watch_run_response::Event;
use chrono::{DateTime, Utc};
use futures::Stream;
use sqlx::PgPool;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use uuid::Uuid;

use crate::convert;
use crate::domain::records::ResultRecord;
use crate::domain::run::RunStatus;
use crate::engine::Engine;
use crate::engine::events::{Counts, ProgressSnapshot, RunEvent};
use crate::error::Error;
use crate::service;

/// How often a run executed elsewhere is polled.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Results recorded this long before the newest one seen are re-read when polling, so a result whose
/// transaction committed late is not missed (duplicates are dropped).
const POLL_SLACK: chrono::Duration = chrono::Duration::seconds(2);
/// Progress events are sent at most this often.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

type Key = (i32, String, i32);

struct Watcher {
    pool: PgPool,
    engine: Arc<Engine>,
    tenant: String,
    run_id: Uuid,
    sender: mpsc::Sender<Result<pb::WatchRunResponse, Status>>,
    sequence: i64,
    sent: HashMap<Key, DateTime<Utc>>,
    watermark: Option<DateTime<Utc>>,
    status: RunStatus,
    last_progress: Option<Instant>,
}

/// Why the watch loop stopped early.
enum Stop {
    /// The client went away.
    Disconnected,
    /// An error to send as the stream's last item.
    Failed(Status),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop::Failed(Status::from(error))
    }
}

impl Watcher {
    async fn send(&mut self, event: Event) -> Result<(), Stop> {
        self.sequence += 1;
        let message = pb::WatchRunResponse {
            sequence: self.sequence,
            emitted_at: Some(timestamp(Utc::now())),
            event: Some(event),
        };
        self.sender
            .send(Ok(message))
            .await
            .map_err(|_| Stop::Disconnected)
    }

    async fn send_result(&mut self, record: &ResultRecord) -> Result<(), Stop> {
        let key = (record.case_index, record.model.clone(), record.repetition);
        if self.sent.get(&key) == Some(&record.created_at) {
            return Ok(());
        }
        self.sent.insert(key, record.created_at);
        if self.watermark.is_none_or(|mark| record.created_at > mark) {
            self.watermark = Some(record.created_at);
        }
        self.send(Event::Result(convert::result_to_pb(record)))
            .await
    }

    async fn send_progress(&mut self, progress: ProgressSnapshot, force: bool) -> Result<(), Stop> {
        let due = force
            || self
                .last_progress
                .is_none_or(|last| last.elapsed() >= PROGRESS_INTERVAL);
        if !due {
            return Ok(());
        }
        self.last_progress = Some(Instant::now());
        self.send(Event::Progress(convert::progress_to_pb(&progress)))
            .await
    }

    async fn send_status(
        &mut self,
        previous: Option<RunStatus>,
        current: RunStatus,
        reason: String,
    ) -> Result<(), Stop> {
        self.status = current;
        self.send(Event::StatusChange(pb::RunStatusChange {
            previous: previous.map_or(pb::BenchmarkRunStatus::Unspecified, convert::status_to_pb)
                as i32,
            current: convert::status_to_pb(current) as i32,
            reason,
        }))
        .await
    }

    /// Reads results newer than the watermark (minus slack) and sends the unseen ones.
    async fn catch_up(&mut self) -> Result<(), Stop> {
        let since = self.watermark.map(|mark| mark - POLL_SLACK);
        let records = service::results_since(&self.pool, &self.tenant, self.run_id, since).await?;
        for record in &records {
            self.send_result(record).await?;
        }
        Ok(())
    }

    async fn db_progress(
        &mut self,
    ) -> Result<(crate::domain::records::RunRow, ProgressSnapshot), Stop> {
        let (row, counts) = service::run_progress(&self.pool, &self.tenant, self.run_id).await?;
        let progress = ProgressSnapshot {
            counts: Counts {
                total: i64::from(row.total_pairs),
                done: counts.done,
                failed: counts.failed,
                cached: counts.cached,
            },
            cost_micro_usd: counts.cost_micro_usd,
            eta_ms: None,
            providers: Vec::new(),
        };
        Ok((row, progress))
    }

    /// Sends the last results, the final progress and the summary.
    async fn finish(&mut self) -> Result<(), Stop> {
        self.catch_up().await?;
        let (row, counts, aggregates, choice) =
            crate::service::run_view(&self.pool, None, &self.tenant, self.run_id).await?;
        let (_, progress) = self.db_progress().await?;
        self.send_progress(progress, true).await?;
        self.send(Event::Summary(convert::run_to_pb(
            &row,
            &counts,
            &aggregates,
            Some(&choice),
        )))
        .await
    }

    /// Polls the database once; returns whether the run ended.
    async fn poll(&mut self) -> Result<bool, Stop> {
        self.catch_up().await?;
        let (row, progress) = self.db_progress().await?;
        let status = row.status();
        if status != self.status {
            let reason = row
                .summary
                .as_ref()
                .map(|summary| summary.0.reason.clone())
                .or_else(|| row.error.clone())
                .unwrap_or_default();
            self.send_status(Some(self.status), status, reason).await?;
        }
        self.send_progress(progress, false).await?;
        Ok(status.is_terminal())
    }

    async fn run(&mut self, replay: bool, shutdown: CancellationToken) -> Result<(), Stop> {
        let mut subscription = self.engine.hub.subscribe(self.run_id);
        let (row, progress) = self.db_progress().await?;
        let initial = row.status();
        let reason = row.error.clone().unwrap_or_default();
        self.send_status(None, initial, reason).await?;
        if replay {
            self.catch_up().await?;
        } else {
            let existing = service::existing_pairs(&self.pool, &self.tenant, self.run_id).await?;
            for pair in existing {
                if self.watermark.is_none_or(|mark| pair.created_at > mark) {
                    self.watermark = Some(pair.created_at);
                }
                self.sent.insert(
                    (pair.case_index, pair.model, pair.repetition),
                    pair.created_at,
                );
            }
        }
        self.send_progress(progress, true).await?;
        if initial.is_terminal() {
            return self.finish().await;
        }
        loop {
            if subscription.is_none() {
                subscription = self.engine.hub.subscribe(self.run_id);
                if subscription.is_some() {
                    self.catch_up().await?;
                }
            }
            match subscription.as_mut() {
                Some(receiver) => {
                    let event = tokio::select! {
                        event = receiver.recv() => Some(event),
                        _ = tokio::time::sleep(Duration::from_secs(1)) => None,
                        _ = shutdown.cancelled() => {
                            return Err(Stop::Failed(Status::unavailable("the runner is shutting down; watch the run again")));
                        }
                    };
                    match event {
                        Some(Ok(RunEvent::Result(record))) => self.send_result(&record).await?,
                        // The executor already sends progress at most every 500 ms.
                        Some(Ok(RunEvent::Progress(progress))) => {
                            self.send_progress(progress, true).await?;
                        }
                        Some(Ok(RunEvent::Status {
                            previous,
                            current,
                            reason,
                        })) => {
                            if current != self.status {
                                self.send_status(Some(previous), current, reason).await?;
                            }
                            if current.is_terminal() {
                                return self.finish().await;
                            }
                        }
                        Some(Err(broadcast::error::RecvError::Lagged(_))) => {
                            self.catch_up().await?;
                        }
                        Some(Err(broadcast::error::RecvError::Closed)) => {
                            subscription = None;
                            if self.poll().await? {
                                return self.finish().await;
                            }
                        }
                        None => {
                            // Quiet for a second: make sure the run did not end elsewhere.
                            if self.poll().await? {
                                return self.finish().await;
                            }
                        }
                    }
                }
                None => {
                    tokio::select! {
                        _ = tokio::time::sleep(POLL_INTERVAL) => {}
                        _ = shutdown.cancelled() => {
                            return Err(Stop::Failed(Status::unavailable("the runner is shutting down; watch the run again")));
                        }
                    }
                    if self.poll().await? {
                        return self.finish().await;
                    }
                }
            }
        }
    }
}

/// Starts watching a run and returns the event stream.
pub(super) fn watch(
    pool: PgPool,
    engine: Arc<Engine>,
    shutdown: CancellationToken,
    tenant: String,
    run_id: Uuid,
    replay: bool,
) -> impl Stream<Item = Result<pb::WatchRunResponse, Status>> + Send + 'static {
    let (sender, receiver) = mpsc::channel(256);
    tokio::spawn(async move {
        let mut watcher = Watcher {
            pool,
            engine,
            tenant,
            run_id,
            sender: sender.clone(),
            sequence: 0,
            sent: HashMap::new(),
            watermark: None,
            status: RunStatus::Pending,
            last_progress: None,
        };
        if let Err(Stop::Failed(status)) = watcher.run(replay, shutdown).await {
            let _ = sender.send(Err(status)).await;
        }
    });
    ReceiverStream::new(receiver)
}
