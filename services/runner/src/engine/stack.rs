//! The runner's side of the one provider call policy (`benchhub_common::calls`): its metric names,
//! and the [`Gates`] each call of a run passes before each attempt — the run's overall concurrency,
//! the provider's shared adaptive concurrency (told about every 429 and success), the provider's
//! shared rate limit and the run's own rate limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
}

impl Gate for Gates {
    type Pass = (OwnedSemaphorePermit, AdaptivePermit);

    async fn enter(&self) -> Result<Self::Pass, ProviderError> {
        let run_slot = Arc::clone(&self.run_concurrency)
            .acquire_owned()
            .await
            .map_err(|_| ProviderError::Transport("the run is stopping".to_owned()))?;
        let provider_slot = self.provider.concurrency.acquire().await;
        if let Some(rate) = &self.provider.rate {
            rate.until_ready().await?;
        }
        if let Some(rate) = &self.run_rate {
            rate.until_ready().await;
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
    use benchhub_providers::ChatRequest;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    struct Scripted {
        answers: Mutex<Vec<Result<ChatResponse, ProviderError>>>,
        delay: Duration,
    }

    fn ok(text: &str) -> Result<ChatResponse, ProviderError> {
        Ok(ChatResponse {
            text: text.to_owned(),
            input_tokens: 3,
            output_tokens: 2,
            usage_estimated: false,
            latency: Duration::from_millis(1),
            finish_reason: None,
        })
    }

    #[async_trait::async_trait]
    impl Provider for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }

        async fn complete(&self, _request: ChatRequest) -> Result<ChatResponse, ProviderError> {
            tokio::time::sleep(self.delay).await;
            let mut answers = self.answers.lock().expect("lock");
            if answers.is_empty() {
                return ok("default");
            }
            answers.remove(0)
        }
    }

    fn gates(max: u32) -> Gates {
        Gates {
            run_concurrency: Arc::new(Semaphore::new(8)),
            provider: Arc::new(ProviderLimiter {
                provider: "scripted".to_owned(),
                concurrency: Arc::new(AdaptiveLimit::new(
                    max,
                    AdaptiveTuning {
                        decrease_factor: 0.5,
                        decrease_cooldown: Duration::ZERO,
                    },
                )),
                rate: None,
            }),
            run_rate: None,
            throttled: Arc::new(AtomicU64::new(0)),
        }
    }

    fn stack_with(
        answers: Vec<Result<ChatResponse, ProviderError>>,
        delay: Duration,
        gates: Gates,
        retries: u32,
    ) -> CallStack {
        build(
            Arc::new(Scripted {
                answers: Mutex::new(answers),
                delay,
            }),
            gates,
            RetryPolicy::new(retries, Duration::from_millis(5), Duration::from_secs(5)),
        )
    }

    #[tokio::test]
    async fn retries_honour_retry_after_and_count_attempts() {
        let gates = gates(4);
        let stack = stack_with(
            vec![
                Err(ProviderError::RateLimited {
                    retry_after: Some(Duration::from_millis(150)),
                }),
                Err(ProviderError::Server { status: 503 }),
                ok("fine"),
            ],
            Duration::ZERO,
            gates.clone(),
            3,
        );
        let call = Call::new(ChatRequest::new("m", "hi"));
        let started = Instant::now();
        let response = send(&stack, call.clone()).await.expect("third attempt");
        assert_eq!(response.text, "fine");
        assert_eq!(call.attempts(), 3);
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(gates.throttled.load(Ordering::Relaxed), 1);
        assert_eq!(gates.provider.concurrency.snapshot().current, 2);
    }

    #[tokio::test]
    async fn provider_concurrency_bounds_calls_in_flight() {
        let gates = gates(2);
        let stack = stack_with(Vec::new(), Duration::from_millis(50), gates.clone(), 0);
        let started = Instant::now();
        let calls: Vec<_> = (0..6)
            .map(|_| send(&stack, Call::new(ChatRequest::new("m", "hi"))))
            .collect();
        for result in futures::future::join_all(calls).await {
            result.expect("ok");
        }
        // 6 calls, 2 at a time, 50 ms each: at least 150 ms.
        assert!(started.elapsed() >= Duration::from_millis(150));
    }
}
