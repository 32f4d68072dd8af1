//! The real [`Http`] implementation: reqwest with a per-request timeout, retries with exponential
//! backoff on 5xx, 429 and transport errors (honouring `Retry-After`), a response size cap, and
//! conditional GETs from the ETags of the bodies stored in `raw_payloads` (a 304 answers with the
//! stored body).

use std::collections::HashMap;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use bytes::{Bytes, BytesMut};
use sqlx::PgPool;

use crate::domain::adapters::{Document, FetchError, Http};

/// Limits and retry policy of upstream requests.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Timeout of one request, headers and body.
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: u64,
    /// Retries after the first attempt for retryable failures.
    pub retries: usize,
    /// First backoff delay.
    pub min_backoff: Duration,
    /// Longest backoff delay.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the request at once.
    pub max_retry_after: Duration,
    /// Failed requests in a row (each after its retries) after which the client gives up on the
    /// upstream for the rest of the run; 0 never gives up.
    pub fail_fast_after: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
            retries: 3,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            fail_fast_after: 5,
        }
    }
}

/// A stored response that conditional GETs can revalidate.
#[derive(Debug, Clone)]
pub struct StoredPayload {
    /// `raw_payloads.id`.
    pub id: i64,
    /// Stored ETag.
    pub etag: Option<String>,
    /// Stored Last-Modified.
    pub last_modified: Option<String>,
    /// SHA-256 of the stored body.
    pub sha256: String,
}

/// Loads stored bodies on 304.
#[async_trait::async_trait]
pub trait PayloadStore: Send + Sync {
    /// Returns the body of a stored payload.
    async fn body(&self, id: i64) -> Result<Bytes, sqlx::Error>;
}

#[async_trait::async_trait]
impl PayloadStore for PgPool {
    async fn body(&self, id: i64) -> Result<Bytes, sqlx::Error> {
        let body: Vec<u8> = sqlx::query_scalar!("SELECT body FROM raw_payloads WHERE id = $1", id)
            .fetch_one(self)
            .await?;
        Ok(Bytes::from(body))
    }
}

/// Why one attempt failed, and whether to try again.
#[derive(Debug)]
enum Attempt {
    Retry(FetchError, Option<Duration>),
    Fail(FetchError),
}

impl Attempt {
    fn retryable(&self) -> bool {
        matches!(self, Attempt::Retry(..))
    }

    fn into_error(self) -> FetchError {
        match self {
            Attempt::Retry(error, _) | Attempt::Fail(error) => error,
        }
    }
}

/// The upstream client of one ingest run. It gives up on the upstream after
/// [`HttpSettings::fail_fast_after`] failed requests in a row (5xx, 429, timeouts, broken connections,
/// each after its retries; a 404 or another definitive answer does not count): every later request (and
/// retry) fails at once with [`FetchError::GaveUp`], so a dead upstream ends a run in seconds, not after
/// every retry of every document. A success in between starts the count again; a transient fault is
/// still retried.
pub struct UpstreamHttp<'a> {
    client: reqwest::Client,
    settings: HttpSettings,
    stored: HashMap<String, StoredPayload>,
    store: &'a dyn PayloadStore,
    failures_in_a_row: std::sync::Mutex<(u32, Option<String>)>,
}

impl<'a> std::fmt::Debug for UpstreamHttp<'a> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("UpstreamHttp")
            .finish_non_exhaustive()
    }
}

impl<'a> UpstreamHttp<'a> {
    /// Creates a client; `stored` maps URLs to the latest stored payload of this source.
    pub fn new(
        client: reqwest::Client,
        settings: HttpSettings,
        stored: HashMap<String, StoredPayload>,
        store: &'a dyn PayloadStore,
    ) -> Self {
        Self {
            client,
            settings,
            stored,
            store,
            failures_in_a_row: std::sync::Mutex::new((0, None)),
        }
    }

    /// The error every request gets once the client gave up, if it has.
    fn given_up(&self) -> Option<FetchError> {
        let limit = self.settings.fail_fast_after;
        let state = self
            .failures_in_a_row
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (limit > 0 && state.0 >= limit).then(|| FetchError::GaveUp {
            failures: state.0,
            last: state.1.clone().unwrap_or_default(),
        })
    }

    /// Counts an attempt's outcome towards giving up.
    fn count(&self, failure: Option<&FetchError>) {
        let mut state = self
            .failures_in_a_row
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match failure {
            None => *state = (0, None),
            Some(error) => {
                state.0 = state.0.saturating_add(1);
                state.1 = Some(error.to_string());
            }
        }
    }

    /// Builds the shared reqwest client.
    pub fn client(user_agent: &str) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(Duration::from_secs(10))
            .build()
    }

    /// The stored payloads known to this client.
    pub fn stored(&self) -> &HashMap<String, StoredPayload> {
        &self.stored
    }

    async fn send(
        &self,
        key: &str,
        url: &str,
        request: reqwest::RequestBuilder,
        conditional: bool,
    ) -> Result<Document, FetchError> {
        let operation = || async {
            if let Some(error) = self.given_up() {
                return Err(Attempt::Fail(error));
            }
            let request = request.try_clone().ok_or_else(|| {
                Attempt::Fail(FetchError::Transport {
                    url: url.to_owned(),
                    reason: "request cannot be retried".to_owned(),
                })
            })?;
            self.attempt(key, url, request, conditional).await
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.settings.min_backoff)
            .with_max_delay(self.settings.max_backoff)
            .with_max_times(self.settings.retries)
            .with_jitter();
        let url_text = url.to_owned();
        let result = operation
            .retry(backoff)
            .when(Attempt::retryable)
            .adjust(|attempt, delay| match attempt {
                Attempt::Retry(_, Some(retry_after)) => delay.map(|_| *retry_after),
                _ => delay,
            })
            .notify(|attempt, delay| {
                tracing::warn!(url = %url_text, retry_in_ms = delay.as_millis() as u64, error = %describe(attempt), "upstream request failed; retrying");
            })
            .await
            .map_err(Attempt::into_error);
        match &result {
            Ok(_) => self.count(None),
            // An outage: the server failing, throttling, not answering, or unreachable.
            Err(
                error @ (FetchError::Status {
                    status: 500..=599, ..
                }
                | FetchError::RateLimited { .. }
                | FetchError::Timeout { .. }
                | FetchError::Transport { .. }),
            ) => self.count(Some(error)),
            // A definitive answer (404, 400, too large) is about one document, not the upstream; giving
            // up is not a failure of its own.
            Err(_) => {}
        }
        result
    }

    async fn attempt(
        &self,
        key: &str,
        url: &str,
        mut request: reqwest::RequestBuilder,
        conditional: bool,
    ) -> Result<Document, Attempt> {
        let stored = conditional.then(|| self.stored.get(url)).flatten();
        if let Some(stored) = stored {
            if let Some(etag) = &stored.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(last_modified) = &stored.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, last_modified);
            }
        }
        let response = request
            .timeout(self.settings.timeout)
            .send()
            .await
            .map_err(|error| self.transport_error(url, &error))?;
        let status = response.status();
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let next_link = header(reqwest::header::LINK).and_then(|link| next_link(&link));
        if status == reqwest::StatusCode::NOT_MODIFIED {
            let Some(stored) = stored else {
                return Err(Attempt::Fail(FetchError::Status {
                    url: url.to_owned(),
                    status: 304,
                }));
            };
            let body = self.store.body(stored.id).await.map_err(|error| {
                Attempt::Fail(FetchError::Transport {
                    url: url.to_owned(),
                    reason: format!("stored copy unreadable: {}", benchhub_db::describe(&error)),
                })
            })?;
            return Ok(Document {
                key: key.to_owned(),
                url: url.to_owned(),
                body,
                etag: stored.etag.clone(),
                last_modified: stored.last_modified.clone(),
                next_link,
                not_modified: true,
            });
        }
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after =
                header(reqwest::header::RETRY_AFTER).and_then(|value| parse_retry_after(&value));
            let error = FetchError::RateLimited {
                url: url.to_owned(),
                retry_after_seconds: retry_after.map(|delay| delay.as_secs()),
            };
            return match retry_after {
                Some(delay) if delay > self.settings.max_retry_after => Err(Attempt::Fail(error)),
                delay => Err(Attempt::Retry(error, delay)),
            };
        }
        if !status.is_success() {
            let error = FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            };
            return Err(if status.is_server_error() {
                Attempt::Retry(error, None)
            } else {
                Attempt::Fail(error)
            });
        }
        let limit = self.settings.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit)
        {
            return Err(Attempt::Fail(FetchError::TooLarge {
                url: url.to_owned(),
                limit_bytes: limit,
            }));
        }
        let mut body = BytesMut::new();
        let mut response = response;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Err(Attempt::Fail(FetchError::TooLarge {
                            url: url.to_owned(),
                            limit_bytes: limit,
                        }));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(self.transport_error(url, &error)),
            }
        }
        Ok(Document {
            key: key.to_owned(),
            url: url.to_owned(),
            body: body.freeze(),
            etag,
            last_modified,
            next_link,
            not_modified: false,
        })
    }

    fn transport_error(&self, url: &str, error: &reqwest::Error) -> Attempt {
        if error.is_timeout() {
            return Attempt::Retry(
                FetchError::Timeout {
                    url: url.to_owned(),
                    seconds: self.settings.timeout.as_secs().max(1),
                },
                None,
            );
        }
        let reason = if error.is_connect() {
            "connection failed".to_owned()
        } else if error.is_body() || error.is_decode() {
            "response body broke off".to_owned()
        } else {
            "request failed".to_owned()
        };
        Attempt::Retry(
            FetchError::Transport {
                url: url.to_owned(),
                reason,
            },
            None,
        )
    }
}

fn describe(attempt: &Attempt) -> String {
    match attempt {
        Attempt::Retry(error, _) | Attempt::Fail(error) => error.to_string(),
    }
}

/// Parses `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delay = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delay.to_std().unwrap_or(Duration::ZERO))
}

/// Extracts the `rel="next"` target of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, parameters) = part.split_once(';')?;
        let is_next = parameters
            .split(';')
            .any(|parameter| parameter.trim().replace(' ', "") == "rel=\"next\"");
        is_next.then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

#[async_trait::async_trait]
impl Http for UpstreamHttp<'_> {
    async fn get(
        &self,
        key: &str,
        url: &str,
        headers: &[(&'static str, String)],
    ) -> Result<Document, FetchError> {
        let mut request = self.client.get(url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.send(key, url, request, true).await
    }

    async fn post_json(
        &self,
        key: &str,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<Document, FetchError> {
        let request = self.client.post(url).json(body);
        let mut document = self.send(key, url, request, false).await?;
        document.url = format!("{url}#{key}");
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn link_headers_yield_the_next_page() {
        let header = "<https://huggingface.co/api/datasets/x/tree/main?cursor=abc>; rel=\"next\"";
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://huggingface.co/api/datasets/x/tree/main?cursor=abc")
        );
        assert_eq!(next_link("<https://x>; rel=\"prev\""), None);
    }
}
