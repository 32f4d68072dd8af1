//! Execution of runs: the worker loop that claims runs, the executor that fans a run's pairs out through
//! per-provider tower stacks, grades them with the judge and records each result as it completes, and
//! the in-process event hub behind WatchRun.

mod context;
pub mod events;
pub mod executor;
pub mod judge;
pub mod limits;
mod pair;
mod pairwise;
pub mod stack;
pub mod worker;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use benchhub_providers::ProviderRegistry;
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::engine::events::EventHub;
use crate::engine::judge::JudgeClient;
use crate::engine::limits::ProviderLimiters;

/// Settings of execution, from the service configuration.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Name of this replica in claims (`claimed_by`).
    pub replica_id: String,
    /// Whether this replica executes runs (API-only replicas do not).
    pub worker_enabled: bool,
    /// Lease of a claimed run; renewed at a third of it (at most every second).
    pub lease: Duration,
    /// How often the worker looks for runs when nothing wakes it.
    pub poll_interval: Duration,
    /// Runs this replica executes at once.
    pub max_active_runs: usize,
    /// First retry backoff.
    pub retry_base_delay: Duration,
    /// Longest retry backoff without Retry-After.
    pub retry_max_delay: Duration,
    /// How long in-flight calls may finish on shutdown before they are aborted.
    pub drain_grace: Duration,
    /// Calls graded at once per run.
    pub grading_concurrency: usize,
}

impl EngineSettings {
    /// Returns how often a held lease is renewed (and cancellation by another replica noticed).
    pub fn renew_interval(&self) -> Duration {
        (self.lease / 3).clamp(Duration::from_millis(100), Duration::from_secs(1))
    }
}

/// A run executing in this process.
#[derive(Debug, Clone)]
pub struct ActiveRun {
    /// Aborts the run's in-flight calls (CancelRun, lease lost, hard stop).
    pub cancel: CancellationToken,
}

/// Everything execution shares.
pub struct Engine {
    /// Database pool (the worker's own, so the gRPC server closing its pool never cuts a drain short).
    pub pool: PgPool,
    /// Model providers.
    pub registry: ProviderRegistry,
    /// Shared per-provider limits.
    pub limiters: ProviderLimiters,
    /// Progress events of local runs.
    pub hub: EventHub,
    /// The judge.
    pub judge: JudgeClient,
    /// Settings.
    pub settings: EngineSettings,
    /// Wakes the worker when a run is created or retried here.
    pub wake: Notify,
    /// Runs executing here.
    active: Mutex<HashMap<Uuid, ActiveRun>>,
    /// Bearer tokens of callers that created runs here, forwarded to the judge when no judge token is
    /// configured. Kept in memory only.
    forwarded_tokens: Mutex<HashMap<Uuid, SecretString>>,
    /// Fires on shutdown: no new calls start, in-flight ones finish.
    pub drain: CancellationToken,
    /// Fires when the drain grace is over: in-flight calls are aborted.
    pub hard_stop: CancellationToken,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Engine")
            .field("settings", &self.settings)
            .field("registry", &self.registry)
            .finish()
    }
}

impl Engine {
    /// Creates the engine.
    pub fn new(
        pool: PgPool,
        registry: ProviderRegistry,
        limiters: ProviderLimiters,
        judge: JudgeClient,
        settings: EngineSettings,
    ) -> Self {
        Self {
            pool,
            registry,
            limiters,
            hub: EventHub::new(),
            judge,
            settings,
            wake: Notify::new(),
            active: Mutex::new(HashMap::new()),
            forwarded_tokens: Mutex::new(HashMap::new()),
            drain: CancellationToken::new(),
            hard_stop: CancellationToken::new(),
        }
    }

    /// Registers a run that starts executing here and returns its handle.
    pub fn register(&self, run_id: Uuid) -> ActiveRun {
        let run = ActiveRun {
            cancel: self.hard_stop.child_token(),
        };
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(run_id, run.clone());
        run
    }

    /// Forgets a run whose execution here ended.
    pub fn unregister(&self, run_id: Uuid) {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&run_id);
    }

    /// Aborts a run's in-flight calls if it executes here; returns whether it did.
    pub fn cancel_local(&self, run_id: Uuid) -> bool {
        let active = self
            .active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match active.get(&run_id) {
            Some(run) => {
                run.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Remembers the creator's token of a run for the judge (only used without a judge token).
    pub fn remember_token(&self, run_id: Uuid, token: SecretString) {
        self.forwarded_tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(run_id, token);
    }

    /// Returns the creator's token of a run, if this process saw it.
    pub fn forwarded_token(&self, run_id: Uuid) -> Option<SecretString> {
        self.forwarded_tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&run_id)
            .cloned()
    }

    /// Forgets the creator's token of an ended run.
    pub fn forget_token(&self, run_id: Uuid) {
        self.forwarded_tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&run_id);
    }
}
