//! The HTTP side: routes, per-call decisions (latency, injected errors), stats and the request log.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::answer::{self, Conversation, Message};
use crate::config::{CONVENTION_NAMES, FakeConfig, Latency, ModelBehavior};

/// Largest request body accepted.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Counts of one (model, prompt) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairStats {
    /// The model as sent.
    pub model: String,
    /// See [`input_hash`].
    pub input_hash: String,
    /// Calls received, whatever their outcome.
    pub calls: u64,
    /// Calls answered 200.
    pub successes: u64,
}

/// What the server has seen since it started or was last reset (`GET /stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Chat calls received (both APIs), whatever their outcome.
    pub total_calls: u64,
    /// Calls answered 200.
    pub successes: u64,
    /// Calls per model as sent.
    pub calls_by_model: BTreeMap<String, u64>,
    /// Calls per (model, prompt), sorted by model then hash.
    pub pairs: Vec<PairStats>,
    /// Most calls any (model, prompt) pair received.
    pub max_calls_per_pair: u64,
    /// Most successful calls any (model, prompt) pair received ("no pair answered twice" checks).
    pub max_successes_per_pair: u64,
    /// Calls answered HTTP 500 (injected).
    pub errors_500: u64,
    /// Calls answered HTTP 429 (injected).
    pub errors_429: u64,
    /// Calls that hung (injected timeouts).
    pub hangs: u64,
    /// Chat calls being answered right now.
    #[serde(default)]
    pub in_flight: u64,
    /// Most chat calls answered at the same time (the concurrency the server saw).
    #[serde(default)]
    pub max_in_flight: u64,
}

/// One message of a logged request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedMessage {
    /// `user` or `assistant` (system prompts are in [`LoggedRequest::system`]).
    pub role: String,
    /// Its text.
    pub content: String,
}

/// A chat request as received (`GET /requests`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// `openai` or `anthropic`: which endpoint received it.
    pub api: String,
    /// The model as sent.
    pub model: String,
    /// System prompt, if any.
    pub system: Option<String>,
    /// The conversation.
    pub messages: Vec<LoggedMessage>,
    /// Temperature, if sent.
    pub temperature: Option<f64>,
    /// Answer-length limit, if sent (`max_tokens` or `max_completion_tokens`).
    pub max_tokens: Option<u64>,
    /// See [`input_hash`].
    pub input_hash: String,
}

impl LoggedRequest {
    /// Returns the system prompt and every message joined, for "does the prompt mention X" checks.
    pub fn full_text(&self) -> String {
        let mut text = self.system.clone().unwrap_or_default();
        for message in &self.messages {
            text.push('\n');
            text.push_str(&message.content);
        }
        text
    }
}

/// Hash identifying a prompt: hex of the first 8 bytes of SHA-256 over the system prompt and each
/// message's role and content (length-prefixed). The model is not part of it.
pub fn input_hash(system: Option<&str>, messages: &[(&str, &str)]) -> String {
    let mut digest = Sha256::new();
    let mut feed = |part: &str| {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part.as_bytes());
    };
    feed(system.unwrap_or_default());
    for (role, content) in messages {
        feed(role);
        feed(content);
    }
    hex::encode(&digest.finalize()[..8])
}

#[derive(Default)]
struct Counters {
    total_calls: u64,
    successes: u64,
    calls_by_model: BTreeMap<String, u64>,
    pairs: HashMap<(String, String), (u64, u64)>,
    errors_500: u64,
    errors_429: u64,
    hangs: u64,
    max_in_flight: u64,
}

/// Shared state of a running fake provider.
pub(crate) struct State {
    config: RwLock<FakeConfig>,
    counters: Mutex<Counters>,
    log: Mutex<VecDeque<LoggedRequest>>,
    next_id: std::sync::atomic::AtomicU64,
    in_flight: std::sync::atomic::AtomicU64,
    pub(crate) stopping: CancellationToken,
}

/// Counts one chat call in flight until dropped (also when the client goes away mid-answer).
struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn enter(state: &'a State) -> Self {
        let now = state
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let mut counters = state
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counters.max_in_flight = counters.max_in_flight.max(now);
        Self(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl State {
    pub(crate) fn new(config: FakeConfig) -> Self {
        Self {
            config: RwLock::new(config),
            counters: Mutex::new(Counters::default()),
            log: Mutex::new(VecDeque::new()),
            next_id: std::sync::atomic::AtomicU64::new(1),
            in_flight: std::sync::atomic::AtomicU64::new(0),
            stopping: CancellationToken::new(),
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut pairs: Vec<PairStats> = counters
            .pairs
            .iter()
            .map(|((model, hash), (calls, successes))| PairStats {
                model: model.clone(),
                input_hash: hash.clone(),
                calls: *calls,
                successes: *successes,
            })
            .collect();
        pairs.sort_by(|left, right| {
            (&left.model, &left.input_hash).cmp(&(&right.model, &right.input_hash))
        });
        Stats {
            total_calls: counters.total_calls,
            successes: counters.successes,
            calls_by_model: counters.calls_by_model.clone(),
            max_calls_per_pair: pairs.iter().map(|pair| pair.calls).max().unwrap_or(0),
            max_successes_per_pair: pairs.iter().map(|pair| pair.successes).max().unwrap_or(0),
            pairs,
            errors_500: counters.errors_500,
            errors_429: counters.errors_429,
            hangs: counters.hangs,
            in_flight: self.in_flight.load(std::sync::atomic::Ordering::SeqCst),
            max_in_flight: counters.max_in_flight,
        }
    }

    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn reset(&self) {
        *self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Counters::default();
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    pub(crate) fn set_behavior(&self, model: String, behavior: ModelBehavior) {
        self.config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .models
            .insert(model, behavior);
    }

    fn config(&self) -> FakeConfig {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Counts a call and returns how many calls the pair had before it.
    fn record_call(&self, model: &str, hash: &str) -> u64 {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counters.total_calls += 1;
        *counters.calls_by_model.entry(model.to_owned()).or_default() += 1;
        let pair = counters
            .pairs
            .entry((model.to_owned(), hash.to_owned()))
            .or_default();
        pair.0 += 1;
        pair.0 - 1
    }

    fn record_outcome(&self, model: &str, hash: &str, outcome: &Outcome) {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match outcome {
            Outcome::Answer => {
                counters.successes += 1;
                if let Some(pair) = counters.pairs.get_mut(&(model.to_owned(), hash.to_owned())) {
                    pair.1 += 1;
                }
            }
            Outcome::Error500 => counters.errors_500 += 1,
            Outcome::Error429 => counters.errors_429 += 1,
            Outcome::Hang => counters.hangs += 1,
        }
    }

    fn log_request(&self, request: LoggedRequest, limit: usize) {
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        log.push_back(request);
        while log.len() > limit {
            log.pop_front();
        }
    }
}

/// Builds the router over `state`.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/messages", post(anthropic_messages))
        .route("/v1/models", get(list_models))
        .route("/stats", get(stats))
        .route("/requests", get(requests))
        .route("/reset", post(reset))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    OpenAi,
    Anthropic,
}

enum Outcome {
    Answer,
    Error500,
    Error429,
    Hang,
}

async fn chat_completions(
    AxumState(state): AxumState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle_chat(state, Api::OpenAi, headers, body).await
}

async fn anthropic_messages(
    AxumState(state): AxumState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle_chat(state, Api::Anthropic, headers, body).await
}

fn error_response(api: Api, status: StatusCode, kind: &str, message: &str) -> Response {
    let body = match api {
        Api::OpenAi => json!({"error": {"message": message, "type": kind, "code": kind}}),
        Api::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}),
    };
    (status, axum::Json(body)).into_response()
}

fn authorized(config: &FakeConfig, headers: &HeaderMap) -> bool {
    let Some(expected) = &config.api_key else {
        return true;
    };
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let api_key = headers
        .get("x-api-key")
        .and_then(|value| value.to_str().ok());
    bearer == Some(expected.as_str()) || api_key == Some(expected.as_str())
}

/// Reads `content` as a string or an array of text parts.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

struct ParsedRequest {
    model: String,
    conversation: Conversation,
    temperature: Option<f64>,
    max_tokens: Option<u64>,
}

fn parse_request(api: Api, body: &[u8]) -> Result<ParsedRequest, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| format!("body is not json: {error}"))?;
    let model = value
        .get("model")
        .and_then(Value::as_str)
        .filter(|model| !model.is_empty())
        .ok_or("model is required")?
        .to_owned();
    let raw_messages = value
        .get("messages")
        .and_then(Value::as_array)
        .filter(|messages| !messages.is_empty())
        .ok_or("messages must be a non-empty array")?;
    let mut system = match api {
        Api::OpenAi => None,
        Api::Anthropic => value.get("system").map(content_text),
    };
    let mut messages = Vec::with_capacity(raw_messages.len());
    for message in raw_messages {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .ok_or("every message needs a role")?;
        let content = message.get("content").map(content_text).unwrap_or_default();
        match role {
            "system" | "developer" if api == Api::OpenAi => {
                let joined = match system.take() {
                    Some(previous) => format!("{previous}\n{content}"),
                    None => content,
                };
                system = Some(joined);
            }
            "user" | "assistant" => messages.push(Message {
                role: role.to_owned(),
                content,
            }),
            other => return Err(format!("unsupported role '{other}'")),
        }
    }
    let max_tokens = value
        .get("max_completion_tokens")
        .or_else(|| value.get("max_tokens"))
        .and_then(Value::as_u64);
    Ok(ParsedRequest {
        model,
        conversation: Conversation { system, messages },
        temperature: value.get("temperature").and_then(Value::as_f64),
        max_tokens,
    })
}

/// Tokens of a text: whitespace-separated words × 4/3, rounded.
pub(crate) fn count_tokens(text: &str) -> u64 {
    let words = text.split_whitespace().count() as u64;
    (words * 4 + 1) / 3
}

/// Keeps the first words of `text` that fit in `max_tokens`; returns whether it cut anything.
fn truncate_to_tokens(text: String, max_tokens: Option<u64>) -> (String, bool) {
    let Some(limit) = max_tokens else {
        return (text, false);
    };
    if count_tokens(&text) <= limit {
        return (text, false);
    }
    let words = (limit * 3 / 4) as usize;
    (
        text.split_whitespace()
            .take(words)
            .collect::<Vec<_>>()
            .join(" "),
        true,
    )
}

async fn handle_chat(state: Arc<State>, api: Api, headers: HeaderMap, body: Bytes) -> Response {
    let _in_flight = InFlight::enter(&state);
    let config = state.config();
    if !authorized(&config, &headers) {
        let kind = match api {
            Api::OpenAi => "invalid_api_key",
            Api::Anthropic => "authentication_error",
        };
        return error_response(api, StatusCode::UNAUTHORIZED, kind, "invalid api key");
    }
    let request = match parse_request(api, &body) {
        Ok(request) => request,
        Err(message) => {
            return error_response(
                api,
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &message,
            );
        }
    };
    let message_pairs: Vec<(&str, &str)> = request
        .conversation
        .messages
        .iter()
        .map(|message| (message.role.as_str(), message.content.as_str()))
        .collect();
    let hash = input_hash(request.conversation.system.as_deref(), &message_pairs);
    let attempt = state.record_call(&request.model, &hash);
    state.log_request(
        LoggedRequest {
            api: match api {
                Api::OpenAi => "openai".to_owned(),
                Api::Anthropic => "anthropic".to_owned(),
            },
            model: request.model.clone(),
            system: request.conversation.system.clone(),
            messages: request
                .conversation
                .messages
                .iter()
                .map(|message| LoggedMessage {
                    role: message.role.clone(),
                    content: message.content.clone(),
                })
                .collect(),
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            input_hash: hash.clone(),
        },
        config.request_log_limit,
    );
    let behavior = match config.behavior_for(&request.model) {
        Ok(behavior) => behavior,
        Err(message) => {
            let kind = match api {
                Api::OpenAi => "model_not_found",
                Api::Anthropic => "not_found_error",
            };
            return error_response(api, StatusCode::NOT_FOUND, kind, &message);
        }
    };

    let seed = config.seed.to_le_bytes();
    let attempt_bytes = attempt.to_le_bytes();
    let draw = |purpose: &[u8]| {
        answer::unit(&[
            &seed,
            request.model.as_bytes(),
            hash.as_bytes(),
            &attempt_bytes,
            purpose,
        ])
    };
    let latency = match behavior.latency {
        Latency::None => Duration::ZERO,
        Latency::FixedMs(milliseconds) => Duration::from_millis(milliseconds),
        Latency::UniformMs(low, high) => {
            let span = (high - low) as f64;
            Duration::from_millis(low + (draw(b"latency") * (span + 1.0)).floor().min(span) as u64)
        }
    };
    let outcome = if attempt < u64::from(behavior.fail_first) {
        Outcome::Error500
    } else if attempt < u64::from(behavior.fail_first) + u64::from(behavior.rate_limit_first) {
        Outcome::Error429
    } else {
        let roll = draw(b"outcome");
        if roll < behavior.error_500_rate {
            Outcome::Error500
        } else if roll < behavior.error_500_rate + behavior.error_429_rate {
            Outcome::Error429
        } else if roll < behavior.error_500_rate + behavior.error_429_rate + behavior.timeout_rate {
            Outcome::Hang
        } else {
            Outcome::Answer
        }
    };
    state.record_outcome(&request.model, &hash, &outcome);

    let wait = match outcome {
        Outcome::Hang => latency + Duration::from_millis(behavior.hang_ms),
        _ => latency,
    };
    if !wait.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = state.stopping.cancelled() => {}
        }
    }

    match outcome {
        Outcome::Error500 => error_response(
            api,
            StatusCode::INTERNAL_SERVER_ERROR,
            match api {
                Api::OpenAi => "server_error",
                Api::Anthropic => "api_error",
            },
            "injected server error",
        ),
        Outcome::Error429 => {
            let mut response = error_response(
                api,
                StatusCode::TOO_MANY_REQUESTS,
                match api {
                    Api::OpenAi => "rate_limit_exceeded",
                    Api::Anthropic => "rate_limit_error",
                },
                "injected rate limit",
            );
            if let Ok(value) = HeaderValue::from_str(&behavior.retry_after_seconds.to_string()) {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
        Outcome::Hang | Outcome::Answer => {
            let text = answer::answer(
                &behavior.answer,
                &request.conversation,
                config.seed,
                &request.model,
                &hash,
            );
            let (text, truncated) = truncate_to_tokens(text, request.max_tokens);
            let input_tokens = request
                .conversation
                .system
                .as_deref()
                .map(count_tokens)
                .unwrap_or(0)
                + request
                    .conversation
                    .messages
                    .iter()
                    .map(|message| count_tokens(&message.content))
                    .sum::<u64>();
            let output_tokens = count_tokens(&text);
            let id = state
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let body = match api {
                Api::OpenAi => json!({
                    "id": format!("chatcmpl-fake-{id}"),
                    "object": "chat.completion",
                    "created": unix_seconds(),
                    "model": request.model,
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": if truncated { "length" } else { "stop" },
                    }],
                    "usage": {
                        "prompt_tokens": input_tokens,
                        "completion_tokens": output_tokens,
                        "total_tokens": input_tokens + output_tokens,
                    },
                }),
                Api::Anthropic => json!({
                    "id": format!("msg_fake_{id}"),
                    "type": "message",
                    "role": "assistant",
                    "model": request.model,
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": if truncated { "max_tokens" } else { "end_turn" },
                    "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
                }),
            };
            (StatusCode::OK, axum::Json(body)).into_response()
        }
    }
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

async fn list_models(AxumState(state): AxumState<Arc<State>>) -> Response {
    let config = state.config();
    let mut names: Vec<String> = config.models.keys().cloned().collect();
    names.extend(CONVENTION_NAMES.iter().map(|name| (*name).to_owned()));
    names.sort();
    names.dedup();
    let data: Vec<Value> = names
        .into_iter()
        .map(|name| json!({"id": name, "object": "model", "owned_by": "benchhub-fake"}))
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

async fn stats(AxumState(state): AxumState<Arc<State>>) -> Response {
    axum::Json(state.stats()).into_response()
}

#[derive(Deserialize)]
struct RequestsQuery {
    model: Option<String>,
}

async fn requests(
    AxumState(state): AxumState<Arc<State>>,
    Query(query): Query<RequestsQuery>,
) -> Response {
    let requests: Vec<LoggedRequest> = state
        .requests()
        .into_iter()
        .filter(|request| {
            query
                .model
                .as_ref()
                .is_none_or(|model| &request.model == model)
        })
        .collect();
    axum::Json(requests).into_response()
}

async fn reset(AxumState(state): AxumState<Arc<State>>) -> Response {
    state.reset();
    axum::Json(json!({"reset": true})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_hash_depends_on_roles_and_content_only() {
        let first = input_hash(Some("s"), &[("user", "hi")]);
        assert_eq!(first, input_hash(Some("s"), &[("user", "hi")]));
        assert_ne!(first, input_hash(None, &[("user", "hi")]));
        assert_ne!(first, input_hash(Some("s"), &[("assistant", "hi")]));
        assert_eq!(first.len(), 16);
    }

    #[test]
    fn openai_system_messages_become_the_system_prompt() {
        let parsed = parse_request(
            Api::OpenAi,
            br#"{"model":"good","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_completion_tokens":5}"#,
        )
        .expect("valid");
        assert_eq!(parsed.conversation.system.as_deref(), Some("be brief"));
        assert_eq!(parsed.conversation.messages[0].content, "hi");
        assert_eq!(parsed.max_tokens, Some(5));
        assert!(parse_request(Api::OpenAi, br#"{"model":"good","messages":[]}"#).is_err());
        assert!(parse_request(Api::OpenAi, b"nope").is_err());
    }

    #[test]
    fn truncation_respects_the_token_limit() {
        let (text, cut) = truncate_to_tokens("a b c d e f g h".to_owned(), Some(4));
        assert!(cut);
        assert_eq!(text, "a b c");
        assert!(count_tokens(&text) <= 4);
        let (text, cut) = truncate_to_tokens("a b".to_owned(), Some(4));
        assert!(!cut);
        assert_eq!(text, "a b");
    }
}
