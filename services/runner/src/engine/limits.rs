//! Per-provider limits shared by every run of every runner replica on one database: an adaptive
//! concurrency limit (AIMD: cut by a factor on 429 answers, at most once per cooldown, raised by one
//! after a window of successes as long as the limit, never above the maximum) and an optional
//! requests-per-minute rate limit.
//!
//! Each replica gates its calls locally on an [`AdaptiveLimit`] whose cap is its share of the
//! provider's slots. A coordinator task per provider syncs that share with Postgres (see
//! `repo::limits`): every 50 ms while the provider is in use, at once when calls start waiting or a 429
//! arrives, and once more when the replica goes idle. The sum of the shares never exceeds the shared
//! limit; a replica that cannot reach Postgres for half its lease stops starting calls (fails closed),
//! and one that dies loses its share when the lease expires. The shared rate limit is taken per call
//! in Postgres (GCRA). Without a database (unit tests) the limit adapts locally.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchhub_providers::{ProviderError, ProviderLimits};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::domain::limits::Adaptive;
pub use crate::domain::limits::AdaptiveTuning;
use crate::repo;

/// How often a replica using a provider renews and rebalances its share.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(50);
/// Least time between two syncs of one provider, however often calls wake the coordinator.
const MIN_SYNC_GAP: Duration = Duration::from_millis(5);
/// How long a replica's share stays reserved without a renewal.
pub const SHARE_LEASE: Duration = Duration::from_secs(5);

#[derive(Debug)]
enum Mode {
    /// The limit adapts in this process alone.
    Local {
        adaptive: Adaptive,
        last_decrease: Option<Instant>,
    },
    /// The cap is this replica's share, set by the coordinator.
    Shared {
        pending_successes: u64,
        pending_throttled: u64,
        limit: u32,
        replicas: u32,
    },
}

#[derive(Debug)]
struct AdaptiveState {
    cap: u32,
    in_flight: u32,
    waiting: u32,
    throttled: u64,
    mode: Mode,
}

/// A concurrency limit that adapts to 429 answers, alone or shared with other replicas.
#[derive(Debug)]
pub struct AdaptiveLimit {
    max: u32,
    tuning: AdaptiveTuning,
    state: Mutex<AdaptiveState>,
    notify: Notify,
    /// Wakes the coordinator of a shared limit.
    coordinator: Notify,
}

/// A slot of an [`AdaptiveLimit`], released on drop.
#[derive(Debug)]
pub struct AdaptivePermit {
    limit: Arc<AdaptiveLimit>,
}

impl Drop for AdaptivePermit {
    fn drop(&mut self) {
        {
            let mut state = self.limit.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.limit.notify.notify_one();
    }
}

/// Counts a caller waiting for a slot until dropped (also when its run is cancelled mid-wait).
struct Waiting<'a>(&'a AdaptiveLimit);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.waiting = state.waiting.saturating_sub(1);
    }
}

/// What an [`AdaptiveLimit`] looks like now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSnapshot {
    /// Calls allowed in flight at the provider (across replicas when shared).
    pub current: u32,
    /// Configured maximum.
    pub max: u32,
    /// Calls in flight here.
    pub in_flight: u32,
    /// 429 answers seen here.
    pub throttled: u64,
    /// Calls this replica may have in flight (its share of `current`; equal to it when local).
    pub granted: u32,
    /// Replicas using the provider, this one included.
    pub replicas: u32,
}

/// What the coordinator reports in a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Demand {
    in_flight: u32,
    cap: u32,
    waiting: u32,
    successes: u64,
    throttled: u64,
}

impl AdaptiveLimit {
    /// Creates a limit that adapts in this process alone, starting at its maximum.
    pub fn new(max: u32, tuning: AdaptiveTuning) -> Self {
        let adaptive = Adaptive::new(max);
        Self::with_mode(
            adaptive.max,
            tuning,
            adaptive.max,
            Mode::Local {
                adaptive,
                last_decrease: None,
            },
        )
    }

    /// Creates a limit whose cap its coordinator sets; nothing may start before the first sync.
    fn shared(max: u32, tuning: AdaptiveTuning) -> Self {
        let max = max.max(1);
        Self::with_mode(
            max,
            tuning,
            0,
            Mode::Shared {
                pending_successes: 0,
                pending_throttled: 0,
                limit: max,
                replicas: 1,
            },
        )
    }

    fn with_mode(max: u32, tuning: AdaptiveTuning, cap: u32, mode: Mode) -> Self {
        Self {
            max,
            tuning,
            state: Mutex::new(AdaptiveState {
                cap,
                in_flight: 0,
                waiting: 0,
                throttled: 0,
                mode,
            }),
            notify: Notify::new(),
            coordinator: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AdaptiveState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for a slot.
    pub async fn acquire(self: &Arc<Self>) -> AdaptivePermit {
        let mut waiting: Option<Waiting<'_>> = None;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let shared = {
                let mut state = self.lock();
                if state.in_flight < state.cap {
                    state.in_flight += 1;
                    if let Some(guard) = waiting.take() {
                        // Counted down here, under the lock already held: the guard must not.
                        std::mem::forget(guard);
                        state.waiting = state.waiting.saturating_sub(1);
                    }
                    return AdaptivePermit {
                        limit: Arc::clone(self),
                    };
                }
                if waiting.is_none() {
                    state.waiting += 1;
                    waiting = Some(Waiting(self.as_ref()));
                }
                matches!(state.mode, Mode::Shared { .. })
            };
            if shared {
                // Unmet demand: the coordinator may find free slots or ask the others to shrink.
                self.coordinator.notify_one();
            }
            notified.await;
        }
    }

    /// Records a successful call: after a window of successes as long as the limit, the limit grows
    /// by one (additive increase), up to the maximum.
    pub fn on_success(&self) {
        let grew = {
            let mut state = self.lock();
            let before = state.cap;
            match &mut state.mode {
                Mode::Local { adaptive, .. } => {
                    adaptive.apply(1, 0, self.tuning);
                    let current = adaptive.current;
                    state.cap = current;
                }
                Mode::Shared {
                    pending_successes, ..
                } => *pending_successes += 1,
            }
            state.cap > before
        };
        if grew {
            self.notify.notify_one();
        }
    }

    /// Records a 429: the limit is multiplied by the decrease factor (at least 1), at most once per
    /// cooldown; shared, the coordinator applies it to the provider's limit at once.
    pub fn on_throttled(&self) {
        let shared = {
            let mut state = self.lock();
            state.throttled += 1;
            match &mut state.mode {
                Mode::Local {
                    adaptive,
                    last_decrease,
                } => {
                    adaptive.since_decrease = last_decrease.map(|at| at.elapsed());
                    if adaptive.apply(0, 1, self.tuning) {
                        *last_decrease = Some(Instant::now());
                    }
                    let current = adaptive.current;
                    state.cap = current;
                    false
                }
                Mode::Shared {
                    pending_throttled, ..
                } => {
                    *pending_throttled += 1;
                    true
                }
            }
        };
        if shared {
            self.coordinator.notify_one();
        }
    }

    /// Returns the current state.
    pub fn snapshot(&self) -> LimitSnapshot {
        let state = self.lock();
        let (current, replicas) = match &state.mode {
            Mode::Local { adaptive, .. } => (adaptive.current, 1),
            Mode::Shared {
                limit, replicas, ..
            } => (*limit, *replicas),
        };
        LimitSnapshot {
            current,
            max: self.max,
            in_flight: state.in_flight,
            throttled: state.throttled,
            granted: state.cap,
            replicas,
        }
    }

    /// Takes what a sync reports: calls in flight and waiting, and the successes and 429s since the
    /// last sync (given back with [`AdaptiveLimit::restore`] when the sync fails).
    fn take_demand(&self) -> Demand {
        let mut state = self.lock();
        let (in_flight, waiting, cap) = (state.in_flight, state.waiting, state.cap);
        match &mut state.mode {
            Mode::Shared {
                pending_successes,
                pending_throttled,
                ..
            } => Demand {
                in_flight,
                cap,
                waiting,
                successes: std::mem::take(pending_successes),
                throttled: std::mem::take(pending_throttled),
            },
            Mode::Local { .. } => Demand {
                in_flight,
                cap,
                waiting,
                successes: 0,
                throttled: 0,
            },
        }
    }

    fn restore(&self, demand: Demand) {
        let mut state = self.lock();
        if let Mode::Shared {
            pending_successes,
            pending_throttled,
            ..
        } = &mut state.mode
        {
            *pending_successes += demand.successes;
            *pending_throttled += demand.throttled;
        }
    }

    /// Sets this replica's cap from a sync (waking callers when it grew).
    fn set_share(&self, cap: u32, limit: u32, replicas: u32) {
        let grew = {
            let mut state = self.lock();
            let grew = cap > state.cap;
            state.cap = cap;
            if let Mode::Shared {
                limit: shared,
                replicas: count,
                ..
            } = &mut state.mode
            {
                *shared = limit;
                *count = replicas;
            }
            grew
        };
        if grew {
            self.notify.notify_waiters();
        }
    }
}

/// Builds a requests-per-minute limiter allowing bursts of about one second's worth (a run's own rate
/// limit, and a provider's when no database is shared).
pub fn rate_limiter(requests_per_minute: u32) -> Option<Arc<DefaultDirectRateLimiter>> {
    let per_minute = NonZeroU32::new(requests_per_minute)?;
    let burst = NonZeroU32::new(requests_per_minute.div_ceil(60)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::per_minute(per_minute).allow_burst(burst);
    Some(Arc::new(RateLimiter::direct(quota)))
}

/// A provider's requests-per-minute limit.
#[derive(Debug)]
pub enum RateGate {
    /// Counted in this process.
    Local(Arc<DefaultDirectRateLimiter>),
    /// Counted in Postgres across replicas.
    Shared {
        /// The database.
        pool: PgPool,
        /// Provider name.
        provider: String,
        /// Its configured maximum concurrency (creates its row if missing).
        max_concurrency: u32,
        /// Requests per minute.
        requests_per_minute: u32,
    },
}

impl RateGate {
    /// Waits until a request may start.
    pub async fn until_ready(&self) -> Result<(), ProviderError> {
        match self {
            Self::Local(limiter) => {
                limiter.until_ready().await;
                Ok(())
            }
            Self::Shared {
                pool,
                provider,
                max_concurrency,
                requests_per_minute,
            } => {
                let mut failures = 0u32;
                loop {
                    match repo::limits::take_rate(
                        pool,
                        provider,
                        *max_concurrency,
                        *requests_per_minute,
                    )
                    .await
                    {
                        Ok(None) => return Ok(()),
                        Ok(Some(wait)) => tokio::time::sleep(wait).await,
                        Err(error) => {
                            failures += 1;
                            if failures >= 3 {
                                return Err(ProviderError::Transport(format!(
                                    "the shared rate limit of provider '{provider}' cannot be read: {error}"
                                )));
                            }
                            tokio::time::sleep(Duration::from_millis(100 * u64::from(failures)))
                                .await;
                        }
                    }
                }
            }
        }
    }
}

/// The shared limits of one provider.
#[derive(Debug)]
pub struct ProviderLimiter {
    /// Provider name.
    pub provider: String,
    /// Adaptive concurrency.
    pub concurrency: Arc<AdaptiveLimit>,
    /// Requests per minute, when configured.
    pub rate: Option<RateGate>,
}

/// Where shared limits are kept.
#[derive(Debug, Clone)]
pub struct SharedBackend {
    /// The database every replica uses.
    pub pool: PgPool,
    /// This replica's name.
    pub replica: String,
    /// Stops the coordinators (after the last run of this replica ended).
    pub stop: CancellationToken,
}

/// Every provider's shared limiter, created on first use.
#[derive(Debug)]
pub struct ProviderLimiters {
    default_max_concurrency: u32,
    tuning: AdaptiveTuning,
    backend: Option<SharedBackend>,
    limiters: Mutex<HashMap<String, Arc<ProviderLimiter>>>,
    coordinators: Mutex<Vec<JoinHandle<()>>>,
}

impl ProviderLimiters {
    /// Creates a registry whose limits hold in this process only; providers without a configured
    /// concurrency get `default_max_concurrency`.
    pub fn new(default_max_concurrency: u32, tuning: AdaptiveTuning) -> Self {
        Self {
            default_max_concurrency,
            tuning,
            backend: None,
            limiters: Mutex::new(HashMap::new()),
            coordinators: Mutex::new(Vec::new()),
        }
    }

    /// Creates a registry whose limits hold across every replica on `backend`'s database.
    pub fn shared(
        default_max_concurrency: u32,
        tuning: AdaptiveTuning,
        backend: SharedBackend,
    ) -> Self {
        Self {
            backend: Some(backend),
            ..Self::new(default_max_concurrency, tuning)
        }
    }

    /// Returns the shared limiter of `provider`, creating it from its configured limits (and, when
    /// shared, starting its coordinator: call from within the runtime).
    pub fn get(&self, provider: &str, limits: ProviderLimits) -> Arc<ProviderLimiter> {
        let mut limiters = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(limiter) = limiters.get(provider) {
            return Arc::clone(limiter);
        }
        let max = limits
            .max_concurrency
            .unwrap_or(self.default_max_concurrency)
            .max(1);
        let limiter = match &self.backend {
            None => Arc::new(ProviderLimiter {
                provider: provider.to_owned(),
                concurrency: Arc::new(AdaptiveLimit::new(max, self.tuning)),
                rate: limits
                    .requests_per_minute
                    .and_then(rate_limiter)
                    .map(RateGate::Local),
            }),
            Some(backend) => {
                let concurrency = Arc::new(AdaptiveLimit::shared(max, self.tuning));
                let handle = tokio::spawn(coordinate(
                    Arc::clone(&concurrency),
                    backend.clone(),
                    provider.to_owned(),
                    max,
                    self.tuning,
                ));
                self.coordinators
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(handle);
                Arc::new(ProviderLimiter {
                    provider: provider.to_owned(),
                    concurrency,
                    rate: limits
                        .requests_per_minute
                        .filter(|rpm| *rpm > 0)
                        .map(|rpm| RateGate::Shared {
                            pool: backend.pool.clone(),
                            provider: provider.to_owned(),
                            max_concurrency: max,
                            requests_per_minute: rpm,
                        }),
                })
            }
        };
        limiters.insert(provider.to_owned(), Arc::clone(&limiter));
        limiter
    }

    /// Returns an existing limiter.
    pub fn find(&self, provider: &str) -> Option<Arc<ProviderLimiter>> {
        let limiters = self
            .limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limiters.get(provider).cloned()
    }

    /// Stops the coordinators, each giving its share back; waits for them up to `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        if let Some(backend) = &self.backend {
            backend.stop.cancel();
        }
        let handles: Vec<JoinHandle<()>> = std::mem::take(
            &mut *self
                .coordinators
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for handle in handles {
            let _ = tokio::time::timeout(grace, handle).await;
        }
    }
}

/// Keeps one provider's share of this replica in step with Postgres until the backend stops.
async fn coordinate(
    limit: Arc<AdaptiveLimit>,
    backend: SharedBackend,
    provider: String,
    max: u32,
    tuning: AdaptiveTuning,
) {
    let mut last_ok = Instant::now();
    let mut holding = false;
    let mut failures = 0u32;
    loop {
        let demand = limit.take_demand();
        let idle = demand.in_flight == 0 && demand.waiting == 0 && demand.cap == 0;
        if idle && !holding && demand.successes == 0 && demand.throttled == 0 {
            // Nothing to report: sleep until a call wants a slot.
            tokio::select! {
                () = limit.coordinator.notified() => continue,
                () = backend.stop.cancelled() => break,
            }
        }
        let input = repo::limits::SyncInput {
            provider: &provider,
            replica: &backend.replica,
            max_concurrency: max,
            in_flight: demand.in_flight,
            cap: demand.cap,
            wanted: (demand.in_flight + demand.waiting).min(max),
            successes: demand.successes,
            throttled: demand.throttled,
            tuning,
            lease: SHARE_LEASE,
        };
        match repo::limits::sync(&backend.pool, &input).await {
            Ok(output) => {
                failures = 0;
                last_ok = Instant::now();
                holding = output.grant.held > 0 || input.wanted > 0;
                limit.set_share(output.grant.cap, output.limit.current, output.replicas);
            }
            Err(error) => {
                limit.restore(demand);
                failures += 1;
                if failures == 1 || failures.is_multiple_of(100) {
                    tracing::warn!(provider = %provider, failures, error = %error, "cannot sync the provider's shared limit");
                }
                if last_ok.elapsed() >= SHARE_LEASE / 2 {
                    // The others may reclaim this share soon: start nothing until a sync succeeds.
                    let snapshot = limit.snapshot();
                    limit.set_share(0, snapshot.current, snapshot.replicas);
                }
            }
        }
        let pause = if failures > 0 {
            Duration::from_millis(200)
        } else {
            SYNC_INTERVAL
        };
        let synced = Instant::now();
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = limit.coordinator.notified() => {
                let since = synced.elapsed();
                if since < MIN_SYNC_GAP {
                    tokio::time::sleep(MIN_SYNC_GAP - since).await;
                }
            }
            () = backend.stop.cancelled() => break,
        }
    }
    if let Err(error) = repo::limits::release(&backend.pool, &provider, &backend.replica).await {
        tracing::debug!(provider = %provider, error = %error, "share not released; its lease expires");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn permits_are_bounded_and_released() {
        let limit = Arc::new(AdaptiveLimit::new(2, AdaptiveTuning::default()));
        let first = limit.acquire().await;
        let _second = limit.acquire().await;
        assert_eq!(limit.snapshot().in_flight, 2);
        let waiting = tokio::spawn({
            let limit = Arc::clone(&limit);
            async move { limit.acquire().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("woken")
            .expect("no panic");
        assert_eq!(limit.snapshot().in_flight, 2);
        drop(third);
    }

    #[test]
    fn throttling_halves_and_success_grows_back_to_the_max() {
        let tuning = AdaptiveTuning {
            decrease_factor: 0.5,
            decrease_cooldown: Duration::ZERO,
        };
        let limit = AdaptiveLimit::new(8, tuning);
        limit.on_throttled();
        assert_eq!(limit.snapshot().current, 4);
        limit.on_throttled();
        limit.on_throttled();
        limit.on_throttled();
        assert_eq!(limit.snapshot().current, 1);
        assert_eq!(limit.snapshot().throttled, 4);
        for _ in 0..200 {
            limit.on_success();
        }
        assert_eq!(limit.snapshot().current, 8);
    }

    #[test]
    fn decreases_wait_for_the_cooldown() {
        let limit = AdaptiveLimit::new(20, AdaptiveTuning::default());
        limit.on_throttled();
        limit.on_throttled();
        assert_eq!(limit.snapshot().current, 18);
    }

    #[tokio::test]
    async fn lowering_below_in_flight_blocks_new_calls() {
        let tuning = AdaptiveTuning {
            decrease_factor: 0.5,
            decrease_cooldown: Duration::ZERO,
        };
        let limit = Arc::new(AdaptiveLimit::new(2, tuning));
        let first = limit.acquire().await;
        let second = limit.acquire().await;
        limit.on_throttled();
        drop(first);
        let blocked = tokio::time::timeout(Duration::from_millis(30), limit.acquire()).await;
        assert!(blocked.is_err(), "limit 1 with one call in flight");
        drop(second);
        let _third = tokio::time::timeout(Duration::from_secs(1), limit.acquire())
            .await
            .expect("a slot");
    }

    #[test]
    fn registry_shares_limiters_per_provider() {
        let registry = ProviderLimiters::new(64, AdaptiveTuning::default());
        let configured = ProviderLimits {
            max_concurrency: Some(4),
            requests_per_minute: Some(120),
        };
        let first = registry.get("local", configured);
        let second = registry.get("local", ProviderLimits::default());
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(first.concurrency.snapshot().max, 4);
        assert!(first.rate.is_some());
        assert_eq!(
            registry
                .get("fake", ProviderLimits::default())
                .concurrency
                .snapshot()
                .max,
            64
        );
        assert!(rate_limiter(0).is_none());
    }
}
