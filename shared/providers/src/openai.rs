//! Client for OpenAI-compatible chat completions: `POST {base}/v1/chat/completions`.

use std::time::SystemTime;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use crate::http::{self, RawResponse};
use crate::{ChatRequest, ChatResponse, Provider, ProviderError, estimate_tokens};

/// Which JSON field carries the answer-length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_tokens`: understood by every OpenAI-compatible server (vLLM, Ollama, llama.cpp).
    MaxTokens,
    /// `max_completion_tokens`: required by OpenAI's newer models, which reject `max_tokens`.
    MaxCompletionTokens,
}

/// An OpenAI-compatible chat-completions endpoint.
pub struct OpenAiCompatible {
    name: String,
    endpoint: String,
    api_key: Option<SecretString>,
    max_tokens_field: MaxTokensField,
    http: reqwest::Client,
}

impl std::fmt::Debug for OpenAiCompatible {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpenAiCompatible")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("has_api_key", &self.api_key.is_some())
            .finish()
    }
}

impl OpenAiCompatible {
    /// Creates a client for `base_url` (e.g. `https://api.openai.com` or `http://127.0.0.1:8000`; a
    /// trailing `/v1` is accepted) sending `api_key` as a bearer token when given.
    pub fn new(
        name: impl Into<String>,
        base_url: &str,
        api_key: Option<SecretString>,
    ) -> Result<Self, String> {
        let base = http::normalize_base_url(base_url)?;
        Ok(Self {
            name: name.into(),
            endpoint: format!("{base}/v1/chat/completions"),
            api_key,
            max_tokens_field: MaxTokensField::MaxTokens,
            http: http::client(),
        })
    }

    /// Sets the field that carries the answer-length limit (default `max_tokens`).
    pub fn with_max_tokens_field(mut self, field: MaxTokensField) -> Self {
        self.max_tokens_field = field;
        self
    }

    fn body(&self, request: &ChatRequest) -> serde_json::Value {
        let mut messages = Vec::with_capacity(request.messages.len() + 1);
        if let Some(system) = &request.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        for message in &request.messages {
            messages.push(json!({"role": message.role.as_str(), "content": message.content}));
        }
        let mut body = json!({"model": request.model, "messages": messages});
        if let Some(temperature) = request.temperature {
            body["temperature"] = json!(temperature);
        }
        if let Some(max_tokens) = request.max_tokens {
            let field = match self.max_tokens_field {
                MaxTokensField::MaxTokens => "max_tokens",
                MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
            };
            body[field] = json!(max_tokens);
        }
        body
    }
}

#[derive(Deserialize)]
struct CompletionBody {
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<AnswerMessage>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

/// Turns a 2xx chat-completions body into a response.
fn parse_completion(
    raw: &RawResponse,
    request: &ChatRequest,
) -> Result<ChatResponse, ProviderError> {
    let body: CompletionBody = serde_json::from_slice(&raw.body).map_err(|error| {
        ProviderError::Malformed(format!(
            "the chat-completions answer is not the expected json: {error}"
        ))
    })?;
    let choice = body
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| ProviderError::Malformed("the answer has no choices".to_owned()))?;
    let text = choice
        .message
        .and_then(|message| message.content.or(message.refusal))
        .unwrap_or_default();
    let reported = body
        .usage
        .and_then(|usage| Some((usage.prompt_tokens?, usage.completion_tokens?)));
    let (input_tokens, output_tokens, usage_estimated) = match reported {
        Some((input, output)) => (input, output, false),
        None => (prompt_tokens(request), estimate_tokens(&text), true),
    };
    Ok(ChatResponse {
        text,
        input_tokens,
        output_tokens,
        usage_estimated,
        latency: raw.latency,
        finish_reason: choice.finish_reason,
    })
}

/// Estimates the prompt's tokens (system prompt plus every message).
pub(crate) fn prompt_tokens(request: &ChatRequest) -> u64 {
    request.system.as_deref().map(estimate_tokens).unwrap_or(0)
        + request
            .messages
            .iter()
            .map(|message| estimate_tokens(&message.content))
            .sum::<u64>()
}

#[async_trait::async_trait]
impl Provider for OpenAiCompatible {
    fn name(&self) -> &str {
        &self.name
    }

    async fn complete(&self, request: ChatRequest) -> Result<ChatResponse, ProviderError> {
        let mut builder = self.http.post(&self.endpoint).json(&self.body(&request));
        if let Some(key) = &self.api_key {
            builder = builder.bearer_auth(key.expose_secret());
        }
        let raw = http::send(builder, request.timeout).await?;
        if !(200..300).contains(&raw.status) {
            return Err(http::error_for_status(
                &raw,
                self.api_key.as_ref(),
                SystemTime::now(),
            ));
        }
        parse_completion(&raw, &request)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ChatMessage;

    fn raw(body: &str) -> RawResponse {
        RawResponse {
            status: 200,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
            latency: Duration::from_millis(7),
        }
    }

    #[test]
    fn body_puts_the_system_prompt_first_and_sets_limits() {
        let client = OpenAiCompatible::new("openai", "https://api.openai.com/v1", None)
            .expect("valid")
            .with_max_tokens_field(MaxTokensField::MaxCompletionTokens);
        assert_eq!(
            client.endpoint,
            "https://api.openai.com/v1/chat/completions"
        );
        let mut request = ChatRequest::new("gpt-4o-mini", "hi");
        request.system = Some("be brief".to_owned());
        request.messages.push(ChatMessage::assistant("hello"));
        request.temperature = Some(0.0);
        request.max_tokens = Some(16);
        let body = client.body(&request);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["content"], "hi");
        assert_eq!(body["messages"][2]["role"], "assistant");
        assert_eq!(body["temperature"], 0.0);
        assert_eq!(body["max_completion_tokens"], 16);
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn parses_text_usage_and_finish_reason() {
        let request = ChatRequest::new("m", "two words");
        let response = parse_completion(
            &raw(r#"{"choices":[{"message":{"role":"assistant","content":"4"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":1}}"#),
            &request,
        )
        .expect("parses");
        assert_eq!(response.text, "4");
        assert_eq!((response.input_tokens, response.output_tokens), (12, 1));
        assert!(!response.usage_estimated);
        assert_eq!(response.finish_reason.as_deref(), Some("stop"));
        assert_eq!(response.latency, Duration::from_millis(7));
    }

    #[test]
    fn missing_usage_is_estimated_and_flagged() {
        let request = ChatRequest::new("m", "two words");
        let response = parse_completion(
            &raw(r#"{"choices":[{"message":{"content":"a b c"},"finish_reason":null}]}"#),
            &request,
        )
        .expect("parses");
        assert!(response.usage_estimated);
        assert_eq!((response.input_tokens, response.output_tokens), (3, 4));
    }

    #[test]
    fn malformed_bodies_are_classified() {
        let request = ChatRequest::new("m", "x");
        assert!(matches!(
            parse_completion(&raw("not json"), &request),
            Err(ProviderError::Malformed(_))
        ));
        assert!(matches!(
            parse_completion(&raw(r#"{"choices":[]}"#), &request),
            Err(ProviderError::Malformed(_))
        ));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let client = OpenAiCompatible::new(
            "openai",
            "https://api.openai.com",
            Some(SecretString::from("sk-secret-value")),
        )
        .expect("valid");
        let text = format!("{client:?}");
        assert!(!text.contains("sk-secret-value"), "{text}");
        assert!(text.contains("has_api_key: true"), "{text}");
    }
}
