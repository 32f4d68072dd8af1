//! LLM provider clients shared by the runner and the judge.
//!
//! - [`Provider`]: one chat completion, `complete(ChatRequest) -> ChatResponse`, with failures classified
//!   as [`ProviderError`] so callers can decide what to retry (rate limits with their `Retry-After`,
//!   5xx, timeouts) and what not to (bad keys, bad requests).
//! - [`OpenAiCompatible`]: `POST {base}/v1/chat/completions` with a bearer key (OpenAI, vLLM, Ollama,
//!   llama.cpp server, the benchhub fake provider).
//! - [`Anthropic`]: `POST {base}/v1/messages` with `x-api-key` and `anthropic-version: 2023-06-01`.
//! - [`ProviderRegistry`]: resolves `provider/model` names to a client, from the environment (built-in
//!   `openai`, `anthropic` and `fake`) plus the TOML file named by `BENCHHUB_PROVIDERS`.
//!
//! API keys are [`secrecy::SecretString`]s: they are sent only in request headers and never appear in
//! logs, errors or `Debug` output.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

mod anthropic;
mod error;
mod http;
mod openai;
mod registry;

use std::time::Duration;

pub use anthropic::Anthropic;
pub use error::ProviderError;
pub use openai::{MaxTokensField, OpenAiCompatible};
pub use registry::{
    ApiKind, ConfigError, ProviderLimits, ProviderRegistry, ProviderSettings, ResolveError,
    ResolvedModel, split_model_name,
};

/// Environment variable naming the TOML file of extra OpenAI-compatible providers.
pub const PROVIDERS_FILE_ENV: &str = "BENCHHUB_PROVIDERS";

/// Environment variable holding the fake provider's base URL (the built-in `fake` provider).
pub const FAKE_PROVIDER_URL_ENV: &str = "BENCHHUB_FAKE_PROVIDER_URL";

/// Who wrote a message of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatRole {
    /// The caller.
    User,
    /// The model (an earlier answer, e.g. before a repair instruction).
    Assistant,
}

impl ChatRole {
    /// Returns the wire name used by both APIs (`user`, `assistant`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// Its text.
    pub content: String,
}

impl ChatMessage {
    /// Returns a user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::User,
            content: content.into(),
        }
    }

    /// Returns an assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::Assistant,
            content: content.into(),
        }
    }
}

/// One chat completion to perform.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The provider's model id, without the `provider/` prefix (e.g. `gpt-4o-mini`).
    pub model: String,
    /// System prompt, if any.
    pub system: Option<String>,
    /// The conversation, oldest first; must not be empty.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature; `None` leaves the provider's default.
    pub temperature: Option<f64>,
    /// Maximum tokens of the answer; `None` leaves the provider's default (Anthropic requires one:
    /// 1,024 is sent then).
    pub max_tokens: Option<u32>,
    /// Deadline for the whole call, from sending the request to reading the last byte of the answer.
    pub timeout: Duration,
}

impl ChatRequest {
    /// Returns a request with one user message, no system prompt, provider defaults and a 60 s timeout.
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            system: None,
            messages: vec![ChatMessage::user(prompt)],
            temperature: None,
            max_tokens: None,
            timeout: Duration::from_secs(60),
        }
    }
}

/// The answer of a chat completion.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The answer's text (empty when the model returned no text).
    pub text: String,
    /// Prompt tokens as reported by the provider (estimated when it reports none, see `usage_estimated`).
    pub input_tokens: u64,
    /// Answer tokens as reported by the provider (estimated when it reports none).
    pub output_tokens: u64,
    /// True when the provider reported no usage and the counts come from [`estimate_tokens`].
    pub usage_estimated: bool,
    /// Wall time from sending the request to reading the whole answer.
    pub latency: Duration,
    /// The provider's finish reason as sent (`stop`, `length`, `end_turn`, `max_tokens`, …), if any.
    pub finish_reason: Option<String>,
}

/// A chat-completion client for one provider.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Returns the provider's name as configured (e.g. `openai`).
    fn name(&self) -> &str;

    /// Performs one chat completion. Never retries: retrying is the caller's policy.
    async fn complete(&self, request: ChatRequest) -> Result<ChatResponse, ProviderError>;
}

/// Estimates the tokens of a text as whitespace-separated words × 4/3, rounded to the nearest integer
/// (the same rule the fake provider uses for its `usage`). Used only when a provider reports no usage.
pub fn estimate_tokens(text: &str) -> u64 {
    let words = text.split_whitespace().count() as u64;
    (words * 4 + 1) / 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_estimate_is_words_times_four_thirds_rounded() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("one"), 1);
        assert_eq!(estimate_tokens("one two"), 3);
        assert_eq!(estimate_tokens("a b c"), 4);
        assert_eq!(estimate_tokens("  a\nb\tc  d "), 5);
    }

    #[test]
    fn new_request_has_one_user_message() {
        let request = ChatRequest::new("gpt-4o-mini", "hello");
        assert_eq!(request.messages, vec![ChatMessage::user("hello")]);
        assert_eq!(request.system, None);
    }
}
