//! The one provider call policy: the tower stack every model call goes through, the runner's calls to
//! candidate models and the judge's calls to judge models alike. Outermost first:
//!
//! 1. [`RetryPolicy`] (tower's `Retry`): 429, 5xx, timeouts and transport errors are retried up to a
//!    limit, waiting the provider's `Retry-After` when it sends one (capped), else exponential backoff
//!    with jitter. Limits are released while waiting.
//! 2. [`LimitLayer`]: the caller's [`Gate`] — the runner's run and provider limits, the judge's
//!    process-wide concurrency — entered before each attempt and told how it went.
//! 3. [`TimeoutLayer`]: the per-call timeout.
//! 4. [`ProviderService`]: the provider client, with the caller's metric names.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use benchhub_db::Backoff;
use benchhub_providers::{ChatRequest, ChatResponse, Provider, ProviderError};
use tower::retry::{Policy, Retry, RetryLayer};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The metric names of one caller's provider calls (each labelled with the provider).
#[derive(Debug, Clone, Copy)]
pub struct CallMetrics {
    /// Gauge of calls in flight.
    pub in_flight: &'static str,
    /// Histogram of call durations, in seconds.
    pub duration: &'static str,
    /// Counter of provider errors, labelled with their kind.
    pub errors: &'static str,
    /// Counter of retries, labelled with the kind of error retried.
    pub retries: &'static str,
}

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
    metrics: &'static CallMetrics,
}

impl std::fmt::Debug for ProviderService {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ProviderService")
            .field("provider", &self.provider.name())
            .finish_non_exhaustive()
    }
}

impl ProviderService {
    /// Wraps a client.
    pub fn new(provider: Arc<dyn Provider>, metrics: &'static CallMetrics) -> Self {
        Self { provider, metrics }
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
        let names = self.metrics;
        Box::pin(async move {
            call.attempts.fetch_add(1, Ordering::Relaxed);
            let name = provider.name().to_owned();
            let in_flight = metrics::gauge!(names.in_flight, "provider" => name.clone());
            in_flight.increment(1.0);
            let started = std::time::Instant::now();
            let outcome = provider.complete(call.chat).await;
            in_flight.decrement(1.0);
            metrics::histogram!(names.duration, "provider" => name.clone())
                .record(started.elapsed().as_secs_f64());
            if let Err(error) = &outcome {
                metrics::counter!(names.errors, "provider" => name, "kind" => error.kind())
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

/// What a call waits for before each attempt reaches the provider, and what learns how it went.
pub trait Gate: Clone + Send + Sync + 'static {
    /// Held for the length of one attempt (permits of the limits passed).
    type Pass: Send;

    /// Waits until an attempt may start; an error ends the call without reaching the provider.
    fn enter(&self) -> impl Future<Output = Result<Self::Pass, ProviderError>> + Send;

    /// Learns an attempt's outcome (adaptive limits, throttling counters).
    fn observe(&self, _result: &Result<ChatResponse, ProviderError>) {}
}

/// Applies a [`Gate`].
#[derive(Debug, Clone)]
pub struct LimitLayer<G> {
    gate: G,
}

impl<G> LimitLayer<G> {
    /// Creates the layer.
    pub fn new(gate: G) -> Self {
        Self { gate }
    }
}

impl<S, G: Clone> Layer<S> for LimitLayer<G> {
    type Service = Limit<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Limit {
            inner,
            gate: self.gate.clone(),
        }
    }
}

/// Service of [`LimitLayer`].
#[derive(Debug, Clone)]
pub struct Limit<S, G> {
    inner: S,
    gate: G,
}

impl<S, G> Service<Call> for Limit<S, G>
where
    S: Service<Call, Response = ChatResponse, Error = ProviderError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    G: Gate,
{
    type Response = ChatResponse;
    type Error = ProviderError;
    type Future = BoxFuture<Result<ChatResponse, ProviderError>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Capacity is awaited inside the call, so waiting never holds a tower readiness slot.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let gate = self.gate.clone();
        let mut inner = self.inner.clone();
        Box::pin(async move {
            let _pass = gate.enter().await?;
            let result = inner.ready().await?.call(call).await;
            gate.observe(&result);
            result
        })
    }
}

/// Longest Retry-After honoured by default; a provider asking for more is retried after this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Retry policy: retryable errors are retried up to `max_retries` times.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_retries: u32,
    retries: u32,
    delays: Backoff,
    max_retry_after: Duration,
    metrics: Option<&'static CallMetrics>,
}

impl RetryPolicy {
    /// Creates a policy; backoff starts at `base_delay` and doubles up to `max_delay`, with jitter.
    pub fn new(max_retries: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_retries,
            retries: 0,
            delays: Backoff::new(base_delay, max_delay).with_jitter(),
            max_retry_after: MAX_RETRY_AFTER,
            metrics: None,
        }
    }

    /// Caps the provider's `Retry-After` at `max` instead of [`MAX_RETRY_AFTER`].
    #[must_use]
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Returns how long to wait before the next retry after `error`: the provider's Retry-After when
    /// given (never less, at most the cap), else the next delay of the backoff.
    pub fn delay(&mut self, error: &ProviderError) -> Duration {
        match error.retry_after() {
            Some(wait) => wait.min(self.max_retry_after),
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
        if let Some(names) = self.metrics {
            metrics::counter!(names.retries, "kind" => error.kind()).increment(1);
        }
        let wait = self.delay(error);
        tracing::debug!(
            kind = error.kind(),
            retry = self.retries,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "retrying provider call"
        );
        Some(tokio::time::sleep(wait))
    }

    fn clone_request(&mut self, call: &Call) -> Option<Call> {
        Some(call.clone())
    }
}

/// The assembled stack of one provider behind one gate.
pub type CallStack<G> = Retry<RetryPolicy, Limit<Timeout<ProviderService>, G>>;

/// Builds the stack; `metrics` names the caller's provider-call metrics.
pub fn build<G: Gate>(
    provider: Arc<dyn Provider>,
    gate: G,
    mut policy: RetryPolicy,
    metrics: &'static CallMetrics,
) -> CallStack<G> {
    policy.metrics = Some(metrics);
    ServiceBuilder::new()
        .layer(RetryLayer::new(policy))
        .layer(LimitLayer::new(gate))
        .layer(TimeoutLayer)
        .service(ProviderService::new(provider, metrics))
}

/// Sends one call through a stack.
pub async fn send<G: Gate>(
    stack: &CallStack<G>,
    call: Call,
) -> Result<ChatResponse, ProviderError> {
    stack.clone().oneshot(call).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicU64;
    use std::time::Instant;
    use tokio::sync::{OwnedSemaphorePermit, Semaphore};

    static TEST_METRICS: CallMetrics = CallMetrics {
        in_flight: "test_calls_in_flight",
        duration: "test_call_duration_seconds",
        errors: "test_provider_errors_total",
        retries: "test_retries_total",
    };

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

    /// A gate of a fixed concurrency that counts the 429s it sees.
    #[derive(Clone)]
    struct Bounded {
        permits: Arc<Semaphore>,
        throttled: Arc<AtomicU64>,
    }

    impl Bounded {
        fn new(max: usize) -> Self {
            Self {
                permits: Arc::new(Semaphore::new(max)),
                throttled: Arc::new(AtomicU64::new(0)),
            }
        }
    }

    impl Gate for Bounded {
        type Pass = OwnedSemaphorePermit;

        async fn enter(&self) -> Result<Self::Pass, ProviderError> {
            Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .map_err(|_| ProviderError::Transport("closed".to_owned()))
        }

        fn observe(&self, result: &Result<ChatResponse, ProviderError>) {
            if matches!(result, Err(ProviderError::RateLimited { .. })) {
                self.throttled.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn stack_with(
        answers: Vec<Result<ChatResponse, ProviderError>>,
        delay: Duration,
        gate: Bounded,
        retries: u32,
    ) -> CallStack<Bounded> {
        build(
            Arc::new(Scripted {
                answers: Mutex::new(answers),
                delay,
            }),
            gate,
            RetryPolicy::new(retries, Duration::from_millis(5), Duration::from_secs(5)),
            &TEST_METRICS,
        )
    }

    #[tokio::test]
    async fn retries_honour_retry_after_and_count_attempts() {
        let gate = Bounded::new(4);
        let stack = stack_with(
            vec![
                Err(ProviderError::RateLimited {
                    retry_after: Some(Duration::from_millis(150)),
                }),
                Err(ProviderError::Server { status: 503 }),
                ok("fine"),
            ],
            Duration::ZERO,
            gate.clone(),
            3,
        );
        let call = Call::new(ChatRequest::new("m", "hi"));
        let started = Instant::now();
        let response = send(&stack, call.clone()).await.expect("third attempt");
        assert_eq!(response.text, "fine");
        assert_eq!(call.attempts(), 3);
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(gate.throttled.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn non_retryable_errors_and_exhausted_retries_surface() {
        let stack = stack_with(
            vec![Err(ProviderError::Auth { status: 401 })],
            Duration::ZERO,
            Bounded::new(4),
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
            Bounded::new(4),
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
        let stack = stack_with(Vec::new(), Duration::from_secs(5), Bounded::new(4), 0);
        let mut request = ChatRequest::new("m", "hi");
        request.timeout = Duration::from_millis(50);
        let result = send(&stack, Call::new(request)).await;
        assert!(
            matches!(result, Err(ProviderError::Timeout { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn the_gate_bounds_calls_in_flight() {
        let stack = stack_with(Vec::new(), Duration::from_millis(50), Bounded::new(2), 0);
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
    fn backoff_doubles_with_jitter_and_retry_after_is_capped() {
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
        let mut capped = policy.with_max_retry_after(Duration::from_secs(1));
        assert_eq!(capped.delay(&throttled), Duration::from_secs(1));
    }
}
