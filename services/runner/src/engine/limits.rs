//! Per-provider limits shared by every run in the process: an adaptive concurrency limit (AIMD: cut by
//! a factor on 429 answers, at most once per cooldown, raised by one after a window of successes as
//! long as the limit, never above the maximum) and an optional requests-per-minute rate limit.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchhub_providers::ProviderLimits;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;

/// Tuning of the adaptive limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveTuning {
    /// Factor applied to the limit on a 429 (multiplicative decrease).
    pub decrease_factor: f64,
    /// Minimum time between two decreases: 429s answered to calls sent under the old limit do not
    /// count twice.
    pub decrease_cooldown: Duration,
}

impl Default for AdaptiveTuning {
    fn default() -> Self {
        Self {
            decrease_factor: 0.9,
            decrease_cooldown: Duration::from_secs(1),
        }
    }
}

#[derive(Debug)]
struct AdaptiveState {
    limit: u32,
    in_flight: u32,
    successes: u32,
    last_decrease: Option<Instant>,
    throttled: u64,
}

/// A concurrency limit that adapts to 429 answers.
#[derive(Debug)]
pub struct AdaptiveLimit {
    max: u32,
    tuning: AdaptiveTuning,
    state: Mutex<AdaptiveState>,
    notify: Notify,
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

/// What an [`AdaptiveLimit`] looks like now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSnapshot {
    /// Calls allowed in flight.
    pub current: u32,
    /// Configured maximum.
    pub max: u32,
    /// Calls in flight.
    pub in_flight: u32,
    /// 429 answers seen.
    pub throttled: u64,
}

impl AdaptiveLimit {
    /// Creates a limit starting at its maximum.
    pub fn new(max: u32, tuning: AdaptiveTuning) -> Self {
        let max = max.max(1);
        Self {
            max,
            tuning,
            state: Mutex::new(AdaptiveState {
                limit: max,
                in_flight: 0,
                successes: 0,
                last_decrease: None,
                throttled: 0,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AdaptiveState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a slot.
    pub async fn acquire(self: &Arc<Self>) -> AdaptivePermit {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if state.in_flight < state.limit {
                    state.in_flight += 1;
                    return AdaptivePermit {
                        limit: self.clone(),
                    };
                }
            }
            notified.await;
        }
    }

    /// Records a successful call: after a window of successes as long as the limit, the limit grows
    /// by one (additive increase), up to the maximum.
    pub fn on_success(&self) {
        let grew = {
            let mut state = self.lock();
            state.successes += 1;
            if state.successes >= state.limit && state.limit < self.max {
                state.limit += 1;
                state.successes = 0;
                true
            } else {
                if state.successes >= state.limit {
                    state.successes = 0;
                }
                false
            }
        };
        if grew {
            self.notify.notify_one();
        }
    }

    /// Records a 429: the limit is multiplied by the decrease factor (at least 1), at most once per
    /// cooldown.
    pub fn on_throttled(&self) {
        let mut state = self.lock();
        state.throttled += 1;
        state.successes = 0;
        let now = Instant::now();
        let cooled = state
            .last_decrease
            .is_none_or(|last| now.duration_since(last) >= self.tuning.decrease_cooldown);
        if cooled {
            let lowered = (f64::from(state.limit) * self.tuning.decrease_factor).floor() as u32;
            state.limit = lowered.clamp(1, self.max);
            state.last_decrease = Some(now);
        }
    }

    /// Returns the current state.
    pub fn snapshot(&self) -> LimitSnapshot {
        let state = self.lock();
        LimitSnapshot {
            current: state.limit,
            max: self.max,
            in_flight: state.in_flight,
            throttled: state.throttled,
        }
    }
}

/// Builds a requests-per-minute limiter allowing bursts of about one second's worth.
pub fn rate_limiter(requests_per_minute: u32) -> Option<Arc<DefaultDirectRateLimiter>> {
    let per_minute = NonZeroU32::new(requests_per_minute)?;
    let burst = NonZeroU32::new(requests_per_minute.div_ceil(60)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::per_minute(per_minute).allow_burst(burst);
    Some(Arc::new(RateLimiter::direct(quota)))
}

/// The shared limits of one provider.
#[derive(Debug)]
pub struct ProviderLimiter {
    /// Provider name.
    pub provider: String,
    /// Adaptive concurrency.
    pub concurrency: Arc<AdaptiveLimit>,
    /// Requests per minute, when configured.
    pub rate: Option<Arc<DefaultDirectRateLimiter>>,
}

/// Every provider's shared limiter, created on first use.
#[derive(Debug)]
pub struct ProviderLimiters {
    default_max_concurrency: u32,
    tuning: AdaptiveTuning,
    limiters: Mutex<HashMap<String, Arc<ProviderLimiter>>>,
}

impl ProviderLimiters {
    /// Creates the registry; providers without a configured concurrency get `default_max_concurrency`.
    pub fn new(default_max_concurrency: u32, tuning: AdaptiveTuning) -> Self {
        Self {
            default_max_concurrency,
            tuning,
            limiters: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the shared limiter of `provider`, creating it from its configured limits.
    pub fn get(&self, provider: &str, limits: ProviderLimits) -> Arc<ProviderLimiter> {
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        limiters
            .entry(provider.to_owned())
            .or_insert_with(|| {
                Arc::new(ProviderLimiter {
                    provider: provider.to_owned(),
                    concurrency: Arc::new(AdaptiveLimit::new(
                        limits
                            .max_concurrency
                            .unwrap_or(self.default_max_concurrency),
                        self.tuning,
                    )),
                    rate: limits.requests_per_minute.and_then(rate_limiter),
                })
            })
            .clone()
    }

    /// Returns an existing limiter.
    pub fn find(&self, provider: &str) -> Option<Arc<ProviderLimiter>> {
        let limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        limiters.get(provider).cloned()
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
            let limit = limit.clone();
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
