//! HTTP plumbing shared by the provider clients: one pooled client, sending with a deadline, status
//! classification, `Retry-After` parsing, key redaction and base-URL checks.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use crate::ProviderError;

/// Longest provider error message kept in a [`ProviderError::BadRequest`].
const MAX_MESSAGE_CHARS: usize = 300;

/// Returns the HTTP client every provider uses: pooled keep-alive connections, no global timeout (each
/// call has its own deadline).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("benchhub/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// What came back from a provider.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub latency: Duration,
}

/// Sends `request` and reads the whole body within `timeout`.
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<RawResponse, ProviderError> {
    let started = Instant::now();
    let call = async {
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?;
        Ok::<_, ProviderError>((status, headers, body))
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok((status, headers, body))) => Ok(RawResponse {
            status,
            headers,
            body: body.to_vec(),
            latency: started.elapsed(),
        }),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(ProviderError::Timeout { after: timeout }),
    }
}

fn transport(error: reqwest::Error) -> ProviderError {
    if error.is_timeout() {
        return ProviderError::Transport("the connection timed out".to_owned());
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ProviderError::Transport(text)
}

/// Classifies a non-2xx answer.
pub(crate) fn error_for_status(
    raw: &RawResponse,
    key: Option<&SecretString>,
    now: SystemTime,
) -> ProviderError {
    match raw.status {
        429 => ProviderError::RateLimited {
            retry_after: retry_after(&raw.headers, now),
        },
        401 | 403 => ProviderError::Auth { status: raw.status },
        408 => ProviderError::Server { status: raw.status },
        400..=499 => ProviderError::BadRequest {
            status: raw.status,
            message: error_message(&raw.body, key),
        },
        _ => ProviderError::Server { status: raw.status },
    }
}

/// Reads `retry-after-ms` (milliseconds, sent by some OpenAI-compatible servers) or `retry-after`
/// (seconds or an HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(milliseconds) = headers
        .get("retry-after-ms")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|value| value.is_finite() && *value >= 0.0)
    {
        return Some(Duration::from_secs_f64(milliseconds / 1000.0));
    }
    let value = headers.get("retry-after")?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// Parses a `Retry-After` value: delay seconds (`120`, also fractional) or an HTTP date (`Wed, 21 Oct
/// 2015 07:28:00 GMT`, giving the time left until then, zero when it has passed).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Some(Duration::from_secs_f64(seconds.min(86_400.0)));
        }
        return None;
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let date = SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(
        u64::try_from(date.timestamp_millis()).ok()?,
    ))?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Extracts `error.message` (the shape both APIs use) from an error body, truncated and with the key
/// redacted; empty when the body has none.
fn error_message(body: &[u8], key: Option<&SecretString>) -> String {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    let message = value
        .pointer("/error/message")
        .or_else(|| value.get("message"))
        .or_else(|| value.get("error").filter(|error| error.is_string()))
        .and_then(|message| message.as_str())
        .unwrap_or_default();
    let truncated: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    redact(&truncated, key)
}

/// Replaces every occurrence of the key in `text`.
pub(crate) fn redact(text: &str, key: Option<&SecretString>) -> String {
    match key {
        Some(key) if !key.expose_secret().is_empty() => {
            text.replace(key.expose_secret(), "[redacted]")
        }
        _ => text.to_owned(),
    }
}

/// Checks a base URL (`http(s)://host[:port][/path]`), dropping a trailing `/` and a trailing `/v1`
/// (the endpoints add `/v1/...` themselves, and many tools document base URLs ending in `/v1`).
pub(crate) fn normalize_base_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| format!("'{text}' must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(format!("'{text}' has no host"));
    }
    let without_version = trimmed.strip_suffix("/v1").unwrap_or(trimmed);
    Ok(without_version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        // 2015-10-21T07:28:00Z is 1445412480: ten seconds after `now`.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retry_after_ms_header_wins() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "5".parse().expect("header"));
        headers.insert("retry-after-ms", "250".parse().expect("header"));
        assert_eq!(
            retry_after(&headers, SystemTime::now()),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn statuses_are_classified() {
        let raw = |status: u16, body: &str| RawResponse {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            latency: Duration::ZERO,
        };
        let now = SystemTime::now();
        assert_eq!(
            error_for_status(&raw(429, ""), None, now),
            ProviderError::RateLimited { retry_after: None }
        );
        assert_eq!(
            error_for_status(&raw(401, ""), None, now),
            ProviderError::Auth { status: 401 }
        );
        assert_eq!(
            error_for_status(&raw(529, ""), None, now),
            ProviderError::Server { status: 529 }
        );
        assert_eq!(
            error_for_status(
                &raw(404, r#"{"error":{"message":"model x does not exist"}}"#),
                None,
                now
            ),
            ProviderError::BadRequest {
                status: 404,
                message: "model x does not exist".to_owned()
            }
        );
        assert_eq!(
            error_for_status(&raw(400, "<html>bad</html>"), None, now),
            ProviderError::BadRequest {
                status: 400,
                message: String::new()
            }
        );
    }

    #[test]
    fn error_messages_never_carry_the_key() {
        let key = SecretString::from("sk-test-123456");
        let raw = RawResponse {
            status: 400,
            headers: HeaderMap::new(),
            body: br#"{"error":{"message":"key sk-test-123456 cannot use this model"}}"#.to_vec(),
            latency: Duration::ZERO,
        };
        let error = error_for_status(&raw, Some(&key), SystemTime::now());
        assert!(!error.to_string().contains("sk-test-123456"));
        assert!(!format!("{error:?}").contains("sk-test-123456"));
        assert!(error.to_string().contains("[redacted]"));
    }

    #[test]
    fn base_urls_are_normalized() {
        assert_eq!(
            normalize_base_url("https://api.openai.com/v1/").as_deref(),
            Ok("https://api.openai.com")
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8000").as_deref(),
            Ok("http://127.0.0.1:8000")
        );
        assert_eq!(
            normalize_base_url("http://host/proxy").as_deref(),
            Ok("http://host/proxy")
        );
        assert!(normalize_base_url("api.openai.com").is_err());
        assert!(normalize_base_url("http://").is_err());
    }
}
