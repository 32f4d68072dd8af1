//! A local LLM provider for tests and the demo: OpenAI-compatible `POST /v1/chat/completions` (and
//! Anthropic-style `POST /v1/messages`) whose behaviour is set per model name.
//!
//! Endpoints:
//! - `POST /v1/chat/completions`, `POST /v1/messages`: answers by the model's [`ModelBehavior`], with
//!   `usage` token counts of whitespace-separated words × 4/3, rounded (system prompt plus every
//!   message for the prompt; the answer for the completion). `max_tokens` / `max_completion_tokens`
//!   cut the answer (finish reason `length` / `max_tokens`).
//! - `GET /v1/models`: configured models plus the convention names.
//! - `GET /stats`: [`Stats`]: calls per model and per (model, [`input_hash`] of the prompt), so tests
//!   can assert that no pair was called (or answered) twice.
//! - `GET /requests[?model=NAME]`: the last requests as received ([`LoggedRequest`]), so tests can
//!   check what a prompt contained.
//! - `POST /reset`: clears stats and the request log.
//!
//! Behaviour comes from [`FakeConfig`]: explicitly configured models (builder or JSON file), else the
//! model-name conventions documented in [`config`] (`good`, `okay`, `bad`, `echo`, `judge`,
//! `judge-malformed`, … with options such as `+latency=100ms+err429=0.05`). The oracle and judge
//! protocols are described under [Answers](#answers).
//!
//! # Answers
//!
//! A prompt containing `<<answer:TEXT>>` tells the oracle models (`good`, `okay`, `bad`) the expected
//! answer; `okay` and `bad` replace words of it deterministically (keeping each with probability 0.6
//! and 0.15). The judge models read the benchhub judge prompt's `<<<NAME NONCE>>>` sections and score
//! the response by token F1 against the reference answer (see `answer.rs`).

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

mod answer;
pub mod config;
mod server;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{AnswerMode, FakeConfig, JudgeStyle, Latency, ModelBehavior, Quality};
pub use server::{LoggedMessage, LoggedRequest, PairStats, Stats, input_hash};

/// Serves the fake provider on `listener` until `shutdown` completes; calls still waiting (latency,
/// injected hangs) answer at once when it does.
pub async fn serve(
    listener: TcpListener,
    config: FakeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config.validate().map_err(std::io::Error::other)?;
    let state = Arc::new(server::State::new(config));
    serve_state(listener, state, shutdown).await
}

async fn serve_state(
    listener: TcpListener,
    state: Arc<server::State>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stopping = state.stopping.clone();
    let signal = async move {
        shutdown.await;
        stopping.cancel();
    };
    axum::serve(listener, server::router(state))
        .with_graceful_shutdown(signal)
        .await
}

/// A fake provider running in this process (from [`spawn`]); stops when dropped.
pub struct FakeProviderHandle {
    addr: SocketAddr,
    state: Arc<server::State>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for FakeProviderHandle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FakeProviderHandle")
            .finish_non_exhaustive()
    }
}

impl FakeProviderHandle {
    /// Returns the bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the base URL, e.g. `http://127.0.0.1:41234` (what `BENCHHUB_FAKE_PROVIDER_URL` takes).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the counts, as `GET /stats` would.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Returns the logged requests, oldest first, as `GET /requests` would.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.requests()
    }

    /// Clears stats and the request log.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Sets (or replaces) the behaviour of one model while the server runs.
    pub fn set_behavior(&self, model: impl Into<String>, behavior: ModelBehavior) {
        self.state.set_behavior(model.into(), behavior);
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.state.stopping.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for FakeProviderHandle {
    fn drop(&mut self) {
        self.state.stopping.cancel();
    }
}

/// Starts a fake provider on 127.0.0.1 with an OS-chosen port, for tests.
pub async fn spawn(config: FakeConfig) -> std::io::Result<(SocketAddr, FakeProviderHandle)> {
    config.validate().map_err(std::io::Error::other)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(server::State::new(config));
    let stopping = state.stopping.clone();
    let task = tokio::spawn(serve_state(listener, Arc::clone(&state), async move {
        stopping.cancelled_owned().await;
    }));
    Ok((
        addr,
        FakeProviderHandle {
            addr,
            state,
            task: Some(task),
        },
    ))
}
