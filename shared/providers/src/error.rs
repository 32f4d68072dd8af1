//! How a provider call can fail, classified for retry decisions.

use std::time::Duration;

/// Why a chat completion failed. Messages never contain API keys or raw upstream bodies (a 4xx carries
/// only the provider's short error message, with any key redacted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// HTTP 429; `retry_after` from the `Retry-After` header (seconds or an HTTP date) when sent.
    #[error("rate limited by the provider{}", retry_after_text(*.retry_after))]
    RateLimited {
        /// How long the provider asked to wait.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx (including Anthropic's 529 "overloaded").
    #[error("provider server error (http {status})")]
    Server {
        /// The HTTP status.
        status: u16,
    },
    /// No complete answer within the request's timeout.
    #[error("no answer within {} ms", .after.as_millis())]
    Timeout {
        /// The timeout that elapsed.
        after: Duration,
    },
    /// HTTP 401 or 403: the key is missing, wrong or not allowed to use the model.
    #[error("the provider rejected the credentials (http {status})")]
    Auth {
        /// The HTTP status.
        status: u16,
    },
    /// Any other HTTP 4xx: the request itself is wrong (unknown model, too many tokens, …).
    #[error("the provider rejected the request (http {status}){}", message_text(.message))]
    BadRequest {
        /// The HTTP status.
        status: u16,
        /// The provider's short error message, if it sent one (truncated, keys redacted).
        message: String,
    },
    /// The provider could not be reached or the connection broke.
    #[error("cannot reach the provider: {0}")]
    Transport(String),
    /// The provider answered 2xx with a body that is not the expected JSON.
    #[error("malformed answer from the provider: {0}")]
    Malformed(String),
    /// The caller's own limits refused the attempt before it reached the provider (the run is
    /// stopping, its budget is spent, the process is shutting down); never retried.
    #[error("not called: {0}")]
    NotCalled(String),
}

impl ProviderError {
    /// Returns whether retrying the same request later may succeed (429, 5xx, timeouts, transport).
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. }
            | ProviderError::Server { .. }
            | ProviderError::Timeout { .. }
            | ProviderError::Transport(_) => true,
            ProviderError::Auth { .. }
            | ProviderError::BadRequest { .. }
            | ProviderError::Malformed(_)
            | ProviderError::NotCalled(_) => false,
        }
    }

    /// Returns the wait the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// Returns a short machine-friendly kind: `rate_limited`, `server`, `timeout`, `auth`,
    /// `bad_request`, `transport`, `malformed` or `not_called`.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::RateLimited { .. } => "rate_limited",
            ProviderError::Server { .. } => "server",
            ProviderError::Timeout { .. } => "timeout",
            ProviderError::Auth { .. } => "auth",
            ProviderError::BadRequest { .. } => "bad_request",
            ProviderError::Transport(_) => "transport",
            ProviderError::Malformed(_) => "malformed",
            ProviderError::NotCalled(_) => "not_called",
        }
    }
}

fn retry_after_text(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("; retry after {} ms", wait.as_millis()),
        None => String::new(),
    }
}

fn message_text(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_and_informative() {
        let error = ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            error.to_string(),
            "rate limited by the provider; retry after 2000 ms"
        );
        let error = ProviderError::BadRequest {
            status: 404,
            message: "model not found".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "the provider rejected the request (http 404): model not found"
        );
        assert_eq!(
            ProviderError::Timeout {
                after: Duration::from_millis(1500)
            }
            .to_string(),
            "no answer within 1500 ms"
        );
    }

    #[test]
    fn retryable_kinds() {
        assert!(ProviderError::Server { status: 503 }.is_retryable());
        assert!(ProviderError::RateLimited { retry_after: None }.is_retryable());
        assert!(!ProviderError::Auth { status: 401 }.is_retryable());
        assert!(
            !ProviderError::BadRequest {
                status: 400,
                message: String::new()
            }
            .is_retryable()
        );
    }
}
