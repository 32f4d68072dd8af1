//! In-process progress events of the runs this replica executes: one broadcast channel per run, which
//! WatchRun subscribes to (runs executed by another replica are followed by polling the database).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;
use uuid::Uuid;

use crate::domain::records::ResultRecord;
use crate::domain::run::RunStatus;

/// Events buffered per run for slow watchers; a watcher that falls further behind catches up from the
/// database.
const CHANNEL_CAPACITY: usize = 1_024;

/// Progress counts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Pairs in the run.
    pub total: i64,
    /// Pairs with a result.
    pub done: i64,
    /// Failed pairs.
    pub failed: i64,
    /// Cached pairs.
    pub cached: i64,
}

impl Counts {
    /// Pairs without a result.
    pub fn remaining(&self) -> i64 {
        (self.total - self.done).max(0)
    }
}

/// Adaptive concurrency of one provider as seen by a run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderSnapshot {
    /// Provider name.
    pub provider: String,
    /// Current limit.
    pub current_limit: u32,
    /// Configured maximum.
    pub max_limit: u32,
    /// Calls in flight (all runs of the process).
    pub in_flight: u32,
    /// 429 answers this run received from the provider.
    pub throttled: u64,
    /// This replica's share of the current limit.
    pub replica_share: u32,
    /// Replicas using the provider now.
    pub replicas: u32,
}

/// A progress snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgressSnapshot {
    /// Counts.
    pub counts: Counts,
    /// Cost so far.
    pub cost_micro_usd: i64,
    /// Estimated time to the end.
    pub eta_ms: Option<i64>,
    /// Per-provider concurrency (only known on the executing replica).
    pub providers: Vec<ProviderSnapshot>,
}

/// One event of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// A result was recorded.
    Result(Box<ResultRecord>),
    /// Progress changed.
    Progress(ProgressSnapshot),
    /// The run changed state.
    Status {
        /// Before.
        previous: RunStatus,
        /// Now.
        current: RunStatus,
        /// Why.
        reason: String,
    },
}

/// The broadcast channels of the runs executing in this process.
#[derive(Debug, Default)]
pub struct EventHub {
    channels: Mutex<HashMap<Uuid, broadcast::Sender<RunEvent>>>,
}

impl EventHub {
    /// Creates an empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens (or returns) the channel of a run that starts executing here.
    pub fn open(&self, run_id: Uuid) -> broadcast::Sender<RunEvent> {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        channels
            .entry(run_id)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .clone()
    }

    /// Subscribes to a run executing here; `None` when it is not.
    pub fn subscribe(&self, run_id: Uuid) -> Option<broadcast::Receiver<RunEvent>> {
        let channels = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        channels.get(&run_id).map(broadcast::Sender::subscribe)
    }

    /// Closes a run's channel when its execution here ends; subscribers see the channel closed.
    pub fn close(&self, run_id: Uuid) {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        channels.remove(&run_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_events_until_close() {
        let hub = EventHub::new();
        let run = Uuid::new_v4();
        assert!(hub.subscribe(run).is_none());
        let sender = hub.open(run);
        let mut receiver = hub.subscribe(run).expect("open");
        sender
            .send(RunEvent::Status {
                previous: RunStatus::Pending,
                current: RunStatus::Running,
                reason: String::new(),
            })
            .expect("a subscriber");
        assert!(matches!(
            receiver.recv().await,
            Ok(RunEvent::Status {
                current: RunStatus::Running,
                ..
            })
        ));
        hub.close(run);
        drop(sender);
        assert!(matches!(
            receiver.recv().await,
            Err(broadcast::error::RecvError::Closed)
        ));
        assert_eq!(
            Counts {
                total: 4,
                done: 5,
                failed: 0,
                cached: 0
            }
            .remaining(),
            0
        );
    }
}
