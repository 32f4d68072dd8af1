//! The tower stack every model call goes through, outermost first:
//!
//! 1. [`RetryPolicy`] (tower's `Retry`): 429, 5xx, timeouts and transport errors are retried up to
//!    the run's limit, waiting the provider's `Retry-After` when it sends one, else exponential backoff
//!    with jitter. Limits are released while waiting.
//! 2. [`LimitLayer`]: the run's overall concurrency, the provider's shared adaptive concurrency (told
//!    about every 429 and success), the provider's shared rate limit and the run's own rate limit.
//! 3. [`TimeoutLayer`]: the per-call timeout.
//! 4. [`ProviderService`]: the provider client.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use benchhub_db::Backoff;
use benchhub_providers::{ChatRequest, ChatResponse, Provider, ProviderError};
use governor::DefaultDirectRateLimiter;
use tokio::sync::Semaphore;
use tower::retry::{Policy, Retry, RetryLayer};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

use crate::engine::limits::ProviderLimiter;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// One call through the stack: the chat request and a counter of provider attempts shared by every
/// retry of it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The request.
    pub chat: ChatRequest,
    /// Attempts made so far.
    pub attempts: Arc<AtomicU32>,
}

impl Call {
    /// Wraps a request.
    pub fn new(chat: ChatRequest) -> Self {
        Self {
            chat,
            attempts: Arc::new(AtomicU32::new(0)),
        }
    }

    /// Returns the attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }
}

/// Innermost service: the provider client.
#[derive(Clone)]
pub struct ProviderService {
    provider: Arc<dyn Provider>,
}

impl std::fmt::Debug for ProviderService {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ProviderService")
            .finish_non_exhaustive()
    }
}

impl ProviderService {
    /// Wraps a client.
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        Self { provider }
    }
}

impl Service<Call> for ProviderService {
    type Response = ChatResponse;
    type Error = ProviderError;
    type Future = BoxFuture<Result<ChatResponse, ProviderError>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let provider = Arc::clone(&self.provider);
        Box::pin(async move {
            call.attempts.fetch_add(1, Ordering::Relaxed);
            let name = provider.name().to_owned();
            let in_flight =
                metrics::gauge!("benchhub_runner_calls_in_flight", "provider" => name.clone());
            in_flight.increment(1.0);
            let started = std::time::Instant::now();
            let outcome = provider.complete(call.chat).await;
            in_flight.decrement(1.0);
            metrics::histogram!("benchhub_runner_call_duration_seconds", "provider" => name.clone())
                .record(started.elapsed().as_secs_f64());
            if let Err(error) = &outcome {
                metrics::counter!(
                    "benchhub_runner_provider_errors_total",
                    "provider" => name,
                    "kind" => error.kind()
                )
                .increment(1);
            }
            outcome
        })
    }
}

/// Bounds each attempt by the request's timeout (the client enforces it too; this also covers a client
/// that does not).
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeoutLayer;

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout { inner }
    }
}

/// Service of [`TimeoutLayer`].
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
}

impl<S> Service<Call> for Timeout<S>
where
    S: Service<Call, Response = ChatResponse, Error = ProviderError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = ChatResponse;
    type Error = ProviderError;
    type Future = BoxFuture<Result<ChatResponse, ProviderError>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let after = call.chat.timeout;
        // A little slack so the client's own timeout (same value) reports first when it works.
        let deadline = after + Duration::from_millis(250);
        let future = self.inner.call(call);
        Box::pin(async move {
            match tokio::time::timeout(deadline, future).await {
                Ok(result) => result,
                Err(_) => Err(ProviderError::Timeout { after }),
            }
        })
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
}

/// Applies [`Gates`].
#[derive(Debug, Clone)]
pub struct LimitLayer {
    gates: Gates,
}

impl LimitLayer {
    /// Creates the layer.
    pub fn new(gates: Gates) -> Self {
        Self { gates }
    }
}

impl<S> Layer<S> for LimitLayer {
    type Service = Limit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Limit {
            inner,
            gates: self.gates.clone(),
        }
    }
}

/// Service of [`LimitLayer`].
#[derive(Debug, Clone)]
pub struct Limit<S> {
    inner: S,
    gates: Gates,
}

impl<S> Service<Call> for Limit<S>
where
    S: Service<Call, Response = ChatResponse, Error = ProviderError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = ChatResponse;
    type Error = ProviderError;
    type Future = BoxFuture<Result<ChatResponse, ProviderError>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Capacity is awaited inside the call, so waiting never holds a tower readiness slot.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let gates = self.gates.clone();
        let mut inner = self.inner.clone();
        Box::pin(async move {
            let _run_slot = Arc::clone(&gates.run_concurrency)
                .acquire_owned()
                .await
                .map_err(|_| ProviderError::Transport("the run is stopping".to_owned()))?;
            let _provider_slot = gates.provider.concurrency.acquire().await;
            if let Some(rate) = &gates.provider.rate {
                rate.until_ready().await?;
            }
            if let Some(rate) = &gates.run_rate {
                rate.until_ready().await;
            }
            let result = inner.ready().await?.call(call).await;
            match &result {
                Ok(_) => gates.provider.concurrency.on_success(),
                Err(ProviderError::RateLimited { .. }) => {
                    gates.throttled.fetch_add(1, Ordering::Relaxed);
                    gates.provider.concurrency.on_throttled();
                }
                Err(_) => {}
            }
            result
        })
    }
}

/// Longest Retry-After honoured; a provider asking for more is retried after this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Retry policy: retryable errors are retried up to `max_retries` times.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_retries: u32,
    retries: u32,
    delays: Backoff,
}

impl RetryPolicy {
    /// Creates a policy; backoff starts at `base_delay` and doubles up to `max_delay`, with jitter.
    pub fn new(max_retries: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_retries,
            retries: 0,
            delays: Backoff::new(base_delay, max_delay).with_jitter(),
        }
    }

    /// Returns how long to wait before the next retry after `error`: the provider's Retry-After when
    /// given (never less, at most [`MAX_RETRY_AFTER`]), else the next delay of the backoff.
    pub fn delay(&mut self, error: &ProviderError) -> Duration {
        match error.retry_after() {
            Some(wait) => wait.min(MAX_RETRY_AFTER),
            None => self.delays.next_delay(),
        }
    }
}

impl Policy<Call, ChatResponse, ProviderError> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        _call: &mut Call,
        result: &mut Result<ChatResponse, ProviderError>,
    ) -> Option<Self::Future> {
        let error = result.as_ref().err()?;
        if !error.is_retryable() || self.retries >= self.max_retries {
            return None;
        }
        self.retries += 1;
        metrics::counter!("benchhub_runner_retries_total", "kind" => error.kind()).increment(1);
        Some(tokio::time::sleep(self.delay(error)))
    }

    fn clone_request(&mut self, call: &Call) -> Option<Call> {
        Some(call.clone())
    }
}

/// The assembled stack of one provider for one run.
pub type CallStack = Retry<RetryPolicy, Limit<Timeout<ProviderService>>>;

/// Builds the stack.
pub fn build(provider: Arc<dyn Provider>, gates: Gates, policy: RetryPolicy) -> CallStack {
    ServiceBuilder::new()
        .layer(RetryLayer::new(policy))
        .layer(LimitLayer::new(gates))
        .layer(TimeoutLayer)
        .service(ProviderService::new(provider))
}

/// Sends one call through a stack.
pub async fn send(stack: &CallStack, call: Call) -> Result<ChatResponse, ProviderError> {
    stack.clone().oneshot(call).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::limits::{AdaptiveLimit, AdaptiveTuning};
    use std::sync::Mutex;
    use std::time::Instant;

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
    async fn non_retryable_errors_and_exhausted_retries_surface() {
        let stack = stack_with(
            vec![Err(ProviderError::Auth { status: 401 })],
            Duration::ZERO,
            gates(4),
            3,
        );
        let call = Call::new(ChatRequest::new("m", "hi"));
        assert_eq!(
            send(&stack, call.clone()).await,
            Err(ProviderError::Auth { status: 401 })
        );
        assert_eq!(call.attempts(), 1);
        let stack = stack_with(
            vec![
                Err(ProviderError::Server { status: 500 }),
                Err(ProviderError::Server { status: 502 }),
            ],
            Duration::ZERO,
            gates(4),
            1,
        );
        let call = Call::new(ChatRequest::new("m", "hi"));
        assert_eq!(
            send(&stack, call.clone()).await,
            Err(ProviderError::Server { status: 502 })
        );
        assert_eq!(call.attempts(), 2);
    }

    #[tokio::test]
    async fn slow_calls_time_out() {
        let stack = stack_with(Vec::new(), Duration::from_secs(5), gates(4), 0);
        let mut request = ChatRequest::new("m", "hi");
        request.timeout = Duration::from_millis(50);
        let result = send(&stack, Call::new(request)).await;
        assert!(
            matches!(result, Err(ProviderError::Timeout { .. })),
            "{result:?}"
        );
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

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let mut policy =
            RetryPolicy::new(5, Duration::from_millis(100), Duration::from_millis(500));
        let error = ProviderError::Server { status: 500 };
        let first = policy.delay(&error);
        assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(200));
        policy.delay(&error);
        let third = policy.delay(&error);
        assert!(third >= Duration::from_millis(400) && third <= Duration::from_millis(500));
        for _ in 0..7 {
            policy.delay(&error);
        }
        assert_eq!(policy.delay(&error), Duration::from_millis(500));
        let throttled = ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(policy.delay(&throttled), Duration::from_secs(2));
    }
}
