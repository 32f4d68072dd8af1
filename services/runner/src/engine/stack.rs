//! The runner's side of the one provider call policy (`benchhub_common::calls`): its metric names,
//! and the [`Gates`] each call of a run passes before each attempt — the run's overall concurrency,
//! the provider's shared adaptive concurrency (told about every 429 and success), the provider's
//! shared rate limit and the run's own rate limit — and, last, the run's budget: an attempt that
//! passes the limits after the budget is spent is not made, so a call queued behind them does not
//! overshoot it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use benchhub_common::calls::{self, CallMetrics, Gate};
use benchhub_providers::{ChatResponse, Provider, ProviderError};
use governor::DefaultDirectRateLimiter;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::engine::limits::{AdaptivePermit, ProviderLimiter};

pub use benchhub_common::calls::{Call, RetryPolicy, send};

/// The runner's provider-call metrics.
pub static METRICS: CallMetrics = CallMetrics {
    in_flight: "benchhub_runner_calls_in_flight",
    duration: "benchhub_runner_call_duration_seconds",
    errors: "benchhub_runner_provider_errors_total",
    retries: "benchhub_runner_retries_total",
};

/// What a run has spent against its budget, shared by its scheduler, its pairs and its gates.
#[derive(Debug)]
pub struct RunBudget {
    spent: AtomicI64,
    limit: Option<i64>,
    hit: AtomicBool,
}

impl RunBudget {
    /// A budget of `limit` micro-USD (none: unlimited) of which `spent` is spent.
    pub fn new(spent: i64, limit: Option<i64>) -> Self {
        Self {
            spent: AtomicI64::new(spent),
            limit,
            hit: AtomicBool::new(false),
        }
    }

    /// Adds a cost.
    pub fn add(&self, cost: i64) {
        self.spent.fetch_add(cost, Ordering::Relaxed);
    }

    /// Returns what is spent.
    pub fn spent(&self) -> i64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// Returns whether the budget is spent, and remembers that it was.
    pub fn reached(&self) -> bool {
        match self.limit {
            Some(limit) if self.spent() >= limit => {
                self.hit.store(true, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Returns whether the budget stopped anything.
    pub fn was_hit(&self) -> bool {
        self.hit.load(Ordering::Relaxed)
    }
}

/// The gates a call passes before reaching the provider.
#[derive(Debug, Clone)]
pub struct Gates {
    /// The run's calls in flight across providers.
    pub run_concurrency: Arc<Semaphore>,
    /// The provider's shared adaptive concurrency and rate limit.
    pub provider: Arc<ProviderLimiter>,
    /// The run's own rate limit for this provider.
    pub run_rate: Option<Arc<DefaultDirectRateLimiter>>,
    /// 429 answers this run received from the provider.
    pub throttled: Arc<AtomicU64>,
    /// The run's budget, checked once the limits are passed.
    pub budget: Arc<RunBudget>,
}

impl Gate for Gates {
    type Pass = (OwnedSemaphorePermit, AdaptivePermit);

    async fn enter(&self) -> Result<Self::Pass, ProviderError> {
        let run_slot = Arc::clone(&self.run_concurrency)
            .acquire_owned()
            .await
            .map_err(|_| ProviderError::NotCalled("the run is stopping".to_owned()))?;
        let provider_slot = self.provider.concurrency.acquire().await;
        if let Some(rate) = &self.provider.rate {
            rate.until_ready().await?;
        }
        if let Some(rate) = &self.run_rate {
            rate.until_ready().await;
        }
        if self.budget.reached() {
            return Err(ProviderError::NotCalled(
                "the run's budget is spent".to_owned(),
            ));
        }
        Ok((run_slot, provider_slot))
    }

    fn observe(&self, result: &Result<ChatResponse, ProviderError>) {
        match result {
            Ok(_) => self.provider.concurrency.on_success(),
            Err(ProviderError::RateLimited { .. }) => {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                self.provider.concurrency.on_throttled();
            }
            Err(_) => {}
        }
    }
}

/// The assembled stack of one provider for one run.
pub type CallStack = calls::CallStack<Gates>;

/// Builds the stack of one provider for one run.
pub fn build(provider: Arc<dyn Provider>, gates: Gates, policy: RetryPolicy) -> CallStack {
    calls::build(provider, gates, policy, &METRICS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::limits::{AdaptiveLimit, AdaptiveTuning};
    use std::time::Duration;

    fn gates(run_max: usize, provider_max: u32) -> Gates {
        Gates {
            run_concurrency: Arc::new(Semaphore::new(run_max)),
            provider: Arc::new(ProviderLimiter {
                provider: "scripted".to_owned(),
                concurrency: Arc::new(AdaptiveLimit::new(
                    provider_max,
                    AdaptiveTuning {
                        decrease_factor: 0.5,
                        decrease_cooldown: Duration::ZERO,
                    },
                )),
                rate: None,
            }),
            run_rate: None,
            throttled: Arc::new(AtomicU64::new(0)),
            budget: Arc::new(RunBudget::new(0, Some(100))),
        }
    }

    #[tokio::test]
    async fn a_pass_holds_a_run_slot_and_a_provider_slot_until_the_budget_is_spent() {
        let gates = gates(2, 4);
        let first = gates.enter().await.expect("open");
        assert_eq!(gates.run_concurrency.available_permits(), 1);
        assert_eq!(gates.provider.concurrency.snapshot().in_flight, 1);
        drop(first);
        assert_eq!(gates.run_concurrency.available_permits(), 2);
        assert_eq!(gates.provider.concurrency.snapshot().in_flight, 0);
        gates.budget.add(100);
        assert!(matches!(
            gates.enter().await,
            Err(ProviderError::NotCalled(reason)) if reason.contains("budget")
        ));
        assert!(gates.budget.was_hit());
        assert_eq!(gates.run_concurrency.available_permits(), 2);
        gates.run_concurrency.close();
        assert!(matches!(
            gates.enter().await,
            Err(ProviderError::NotCalled(reason)) if reason.contains("stopping")
        ));
    }

    #[test]
    fn a_429_is_counted_and_halves_the_providers_concurrency() {
        let gates = gates(8, 4);
        gates.observe(&Err(ProviderError::RateLimited { retry_after: None }));
        assert_eq!(gates.throttled.load(Ordering::Relaxed), 1);
        assert_eq!(gates.provider.concurrency.snapshot().current, 2);
        gates.observe(&Err(ProviderError::Server { status: 500 }));
        assert_eq!(gates.throttled.load(Ordering::Relaxed), 1);
        assert_eq!(gates.provider.concurrency.snapshot().current, 2);
    }
}
