//! Client for the Anthropic Messages API: `POST {base}/v1/messages`.

use std::time::SystemTime;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use crate::http::{self, RawResponse};
use crate::openai::prompt_tokens;
use crate::{ChatRequest, ChatResponse, Provider, ProviderError, estimate_tokens};

/// API version sent in `anthropic-version`.
const API_VERSION: &str = "2023-06-01";

/// Answer-length limit sent when the request sets none (the Messages API requires one).
const DEFAULT_MAX_TOKENS: u32 = 1024;

/// An Anthropic Messages endpoint.
pub struct Anthropic {
    name: String,
    endpoint: String,
    api_key: Option<SecretString>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Anthropic {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Anthropic")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("has_api_key", &self.api_key.is_some())
            .finish()
    }
}

impl Anthropic {
    /// Creates a client for `base_url` (e.g. `https://api.anthropic.com`) sending `api_key` as
    /// `x-api-key` when given.
    pub fn new(
        name: impl Into<String>,
        base_url: &str,
        api_key: Option<SecretString>,
    ) -> Result<Self, String> {
        let base = http::normalize_base_url(base_url)?;
        Ok(Self {
            name: name.into(),
            endpoint: format!("{base}/v1/messages"),
            api_key,
            http: http::client(),
        })
    }

    fn body(request: &ChatRequest) -> serde_json::Value {
        let messages: Vec<serde_json::Value> = request
            .messages
            .iter()
            .map(|message| json!({"role": message.role.as_str(), "content": message.content}))
            .collect();
        let mut body = json!({
            "model": request.model,
            "messages": messages,
            "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        });
        if let Some(system) = &request.system {
            body["system"] = json!(system);
        }
        if let Some(temperature) = request.temperature {
            body["temperature"] = json!(temperature);
        }
        body
    }
}

#[derive(Deserialize)]
struct MessagesBody {
    content: Vec<ContentBlock>,
    stop_reason: Option<String>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

fn parse_messages(raw: &RawResponse, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
    let body: MessagesBody = serde_json::from_slice(&raw.body).map_err(|error| {
        ProviderError::Malformed(format!(
            "the messages answer is not the expected json: {error}"
        ))
    })?;
    let text: String = body
        .content
        .iter()
        .filter(|block| block.kind == "text")
        .filter_map(|block| block.text.as_deref())
        .collect();
    let reported = body
        .usage
        .and_then(|usage| Some((usage.input_tokens?, usage.output_tokens?)));
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
        finish_reason: body.stop_reason,
    })
}

#[async_trait::async_trait]
impl Provider for Anthropic {
    fn name(&self) -> &str {
        &self.name
    }

    async fn complete(&self, request: ChatRequest) -> Result<ChatResponse, ProviderError> {
        let mut builder = self
            .http
            .post(&self.endpoint)
            .header("anthropic-version", API_VERSION)
            .json(&Self::body(&request));
        if let Some(key) = &self.api_key {
            builder = builder.header("x-api-key", key.expose_secret());
        }
        let raw = http::send(builder, request.timeout).await?;
        if !(200..300).contains(&raw.status) {
            return Err(http::error_for_status(
                &raw,
                self.api_key.as_ref(),
                SystemTime::now(),
            ));
        }
        parse_messages(&raw, &request)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn raw(body: &str) -> RawResponse {
        RawResponse {
            status: 200,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
            latency: Duration::from_millis(3),
        }
    }

    #[test]
    fn body_moves_the_system_prompt_to_the_top_level_and_always_limits_tokens() {
        let mut request = ChatRequest::new("claude-sonnet-4-5", "hi");
        request.system = Some("grade".to_owned());
        let body = Anthropic::body(&request);
        assert_eq!(body["system"], "grade");
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["max_tokens"], 1024);
        assert!(body.get("temperature").is_none());
    }

    #[test]
    fn parses_text_blocks_and_usage() {
        let request = ChatRequest::new("m", "x");
        let response = parse_messages(
            &raw(r#"{"content":[{"type":"text","text":"Hel"},{"type":"tool_use","id":"t"},{"type":"text","text":"lo"}],"stop_reason":"end_turn","usage":{"input_tokens":9,"output_tokens":2}}"#),
            &request,
        )
        .expect("parses");
        assert_eq!(response.text, "Hello");
        assert_eq!((response.input_tokens, response.output_tokens), (9, 2));
        assert_eq!(response.finish_reason.as_deref(), Some("end_turn"));
    }

    #[test]
    fn malformed_body_is_classified() {
        let request = ChatRequest::new("m", "x");
        assert!(matches!(
            parse_messages(&raw(r#"{"choices":[]}"#), &request),
            Err(ProviderError::Malformed(_))
        ));
    }
}
