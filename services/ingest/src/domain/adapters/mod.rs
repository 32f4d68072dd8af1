//! One adapter per upstream source behind the [`Source`] trait: `fetch` gathers the upstream documents
//! through an [`Http`] implementation (real HTTP in production, anything in tests), `parse` turns them
//! into observations and model metadata without any I/O.

pub mod arcagi;
pub mod artificialanalysis;
pub mod bigcodebench;
pub mod ecologits;
pub mod evalplus;
pub mod livebench;
pub mod livecodebench;
pub mod lmarena;
pub mod modelsdev;
pub mod mteb;
pub mod openrouter;
pub mod swebench;

use bytes::Bytes;
use chrono::NaiveDate;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use crate::domain::observation::Parsed;

/// One upstream response as an adapter sees it.
#[derive(Debug, Clone)]
pub struct Document {
    /// Adapter-chosen label that `parse` uses to know what the body is (e.g. `text:0`).
    pub key: String,
    /// Full URL it came from (for POSTs, the URL plus a `#` fragment naming the request).
    pub url: String,
    /// Decoded body.
    pub body: Bytes,
    /// The upstream's ETag, if it sent one.
    pub etag: Option<String>,
    /// The upstream's Last-Modified, if it sent one.
    pub last_modified: Option<String>,
    /// URL of the next page from a `Link: <…>; rel="next"` header, if any.
    pub next_link: Option<String>,
    /// True when the upstream answered 304 and the body is the stored copy.
    pub not_modified: bool,
}

impl Document {
    /// The day of the upstream's `Last-Modified` header (an HTTP date), when it sent a valid one.
    pub fn last_modified_date(&self) -> Option<NaiveDate> {
        let header = self.last_modified.as_deref()?;
        chrono::DateTime::parse_from_rfc2822(header.trim())
            .ok()
            .map(|time| time.date_naive())
    }

    /// Builds a document from a body, for tests and seed data.
    pub fn from_body(
        key: impl Into<String>,
        url: impl Into<String>,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            key: key.into(),
            url: url.into(),
            body: body.into(),
            etag: None,
            last_modified: None,
            next_link: None,
            not_modified: false,
        }
    }
}

/// What a fetch gathered: the documents it got and those it could not get. A source with several
/// documents (LMArena's subsets, EcoLogits' providers and estimations, ARC-AGI's model folders) keeps
/// what it got when some fail; the run is then PARTIAL and lists the failures.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// Documents fetched (a 304 brings the stored copy).
    pub documents: Vec<Document>,
    /// Documents that could not be fetched, and why.
    pub failures: Vec<DocumentFailure>,
}

impl Fetched {
    /// Every document fetched, none failed.
    pub fn complete(documents: Vec<Document>) -> Self {
        Self {
            documents,
            failures: Vec::new(),
        }
    }

    /// Records a document that could not be fetched. Returns false when the client gave up on the
    /// upstream (too many failed requests in a row): the adapter should stop asking.
    pub fn failed(&mut self, document: impl Into<String>, error: &FetchError) -> bool {
        let gave_up = error.is_gave_up();
        // One "gave up" entry is enough: every later request gives up the same way.
        if !(gave_up && self.failures.iter().any(|failure| failure.gave_up)) {
            self.failures.push(DocumentFailure {
                document: document.into(),
                error: error.to_string(),
                gave_up,
            });
        }
        !gave_up
    }
}

/// A document a fetch could not get.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocumentFailure {
    /// Which document (its key, e.g. `webdev` or `estimation:openai/gpt-4o`).
    pub document: String,
    /// Why, as [`FetchError`] says it (never a secret or an upstream body).
    pub error: String,
    /// Whether the client had given up on the upstream by then.
    #[serde(default)]
    pub gave_up: bool,
}

/// Why fetching a source failed. Messages never contain secrets or upstream bodies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The upstream answered an HTTP error status (after retries, for retryable ones).
    #[error("upstream answered HTTP {status} for {url}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The upstream kept answering 429.
    #[error("upstream rate limit: HTTP 429 for {url}{}", retry_after_text(*retry_after_seconds))]
    RateLimited {
        /// The URL requested.
        url: String,
        /// What the last Retry-After asked for, in seconds.
        retry_after_seconds: Option<u64>,
    },
    /// No answer within the per-request timeout.
    #[error("upstream timed out after {seconds}s for {url}")]
    Timeout {
        /// The URL requested.
        url: String,
        /// The timeout that elapsed.
        seconds: u64,
    },
    /// The response was larger than the configured cap.
    #[error("upstream response for {url} is larger than the {limit_bytes}-byte limit")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The cap.
        limit_bytes: u64,
    },
    /// The connection failed or broke off.
    #[error("cannot reach upstream {url}: {reason}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong, without secrets.
        reason: String,
    },
    /// The client stopped asking an upstream that failed too many requests in a row.
    #[error("gave up after {failures} failed requests in a row (the last: {last})")]
    GaveUp {
        /// Failed requests in a row.
        failures: u32,
        /// The last failure, as [`FetchError`] says it.
        last: String,
    },
    /// The source cannot be fetched as configured.
    #[error("{0}")]
    NotConfigured(String),
    /// A document needed to continue fetching was malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

fn retry_after_text(seconds: Option<u64>) -> String {
    seconds
        .map(|seconds| format!(" (retry after {seconds}s)"))
        .unwrap_or_default()
}

impl FetchError {
    /// Returns whether the error is an HTTP 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::Status { status: 404, .. })
    }

    /// Returns whether the client had given up on the upstream.
    pub fn is_gave_up(&self) -> bool {
        matches!(self, FetchError::GaveUp { .. })
    }
}

/// Why parsing failed as a whole (single bad rows are counted as failed instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A document is not the JSON, CSV or shape expected.
    #[error("malformed payload {key}: {reason}")]
    Malformed {
        /// The document's key.
        key: String,
        /// What is wrong (position and expected field; never the body).
        reason: String,
    },
    /// Too many rows were unusable: the upstream's schema has changed.
    #[error("upstream schema changed: {failed} of {total} records unusable (first: {first})")]
    SchemaDrift {
        /// Rows that failed.
        failed: usize,
        /// Rows seen.
        total: usize,
        /// The first failure.
        first: String,
    },
    /// A document the adapter needs is missing.
    #[error("missing payload {0}")]
    Missing(String),
}

/// The HTTP client adapters fetch through. Implementations retry, time out, cap sizes and make
/// conditional requests; adapters only see documents and errors.
#[async_trait::async_trait]
pub trait Http: Send + Sync {
    /// GETs `url` with extra headers; a 2xx answer (or a 304 with the stored copy) becomes a document.
    async fn get(
        &self,
        key: &str,
        url: &str,
        headers: &[(&'static str, String)],
    ) -> Result<Document, FetchError>;

    /// POSTs a JSON body to `url`; `key` also names the request in the stored URL.
    async fn post_json(
        &self,
        key: &str,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<Document, FetchError>;
}

/// What an adapter knows about its configuration.
#[derive(Debug, Clone)]
pub struct SourceContext {
    /// Base URL, without a trailing slash.
    pub base_url: String,
    /// Base URL of a second upstream (ARC-AGI task files), without a trailing slash.
    pub secondary_url: String,
    /// The source's secret, when configured.
    pub secret: Option<SecretString>,
    /// The date observations without an upstream date are filed under (UTC day of the fetch).
    pub today: NaiveDate,
    /// How many requests one adapter may have in flight.
    pub concurrency: usize,
}

/// One upstream source.
#[async_trait::async_trait]
pub trait Source: Send + Sync {
    /// Stable source name (as in the registry).
    fn name(&self) -> &'static str;

    /// Fetches every document the source needs. Documents that fail are listed in
    /// [`Fetched::failures`] when the others are still usable; an error means nothing is.
    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError>;

    /// Turns documents into observations and model metadata.
    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError>;

    /// Lists upstream model names cheaply, when the source can do better than fetching everything.
    async fn list_models(
        &self,
        _http: &dyn Http,
        _context: &SourceContext,
    ) -> Option<Result<Vec<String>, FetchError>> {
        None
    }
}

/// Returns the adapter of a source, if it has one.
pub fn adapter(name: &str) -> Option<Box<dyn Source>> {
    let adapter: Box<dyn Source> = match name {
        "lmarena" => Box::new(lmarena::LmArena),
        "artificialanalysis" => Box::new(artificialanalysis::ArtificialAnalysis),
        "ecologits" => Box::new(ecologits::EcoLogits),
        "openrouter" => Box::new(openrouter::OpenRouter),
        "modelsdev" => Box::new(modelsdev::ModelsDev),
        "evalplus" => Box::new(evalplus::EvalPlus),
        "bigcodebench" => Box::new(bigcodebench::BigCodeBench),
        "swebench" => Box::new(swebench::SweBench),
        "livecodebench" => Box::new(livecodebench::LiveCodeBench),
        "mteb" => Box::new(mteb::Mteb),
        "arc-agi" => Box::new(arcagi::ArcAgi),
        "livebench" => Box::new(livebench::LiveBench),
        _ => return None,
    };
    Some(adapter)
}

/// Deserialises a document as JSON, describing failures by position and expectation only.
pub fn json<T: DeserializeOwned>(document: &Document) -> Result<T, ParseError> {
    serde_json::from_slice(&document.body).map_err(|error| ParseError::Malformed {
        key: document.key.clone(),
        reason: describe_json_error(&error),
    })
}

/// Describes a serde_json error without quoting the payload.
pub fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let position = format!("line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Eof => format!("truncated JSON (ends early at {position})"),
        Category::Syntax => format!("invalid JSON at {position}"),
        Category::Io => "unreadable body".to_owned(),
        Category::Data => {
            let text = error.to_string();
            let message = text.split(" at line ").next().unwrap_or(&text);
            let message: String = message.chars().take(160).collect();
            format!("unexpected shape at {position}: {message}")
        }
    }
}

/// Fetches the one document of a single-file source: `{base_url}{path}`, stored under `key`.
pub async fn fetch_single(
    http: &dyn Http,
    context: &SourceContext,
    key: &str,
    path: &str,
) -> Result<Fetched, FetchError> {
    let document = http
        .get(key, &format!("{}{path}", context.base_url), &[])
        .await?;
    Ok(Fetched::complete(vec![document]))
}

/// Finds the single document with `key`.
pub fn document<'a>(documents: &'a [Document], key: &str) -> Result<&'a Document, ParseError> {
    documents
        .iter()
        .find(|document| document.key == key)
        .ok_or_else(|| ParseError::Missing(key.to_owned()))
}

/// Reads an optional JSON number that upstreams sometimes send as an integer, a float or a string.
pub fn number(value: Option<&serde_json::Value>) -> Option<f64> {
    match value? {
        serde_json::Value::Number(number) => number.as_f64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
    .filter(|value: &f64| value.is_finite())
}

/// Reads an optional string, treating empty strings as absent.
pub fn text(value: Option<&serde_json::Value>) -> Option<String> {
    value
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// The organisation a link names (Hugging Face or GitHub owner, else the host), as a creator hint.
pub fn link_organisation(value: Option<&serde_json::Value>) -> Option<String> {
    crate::domain::identity::organisation_of_link(&text(value)?)
}

/// Parses a `YYYY-MM-DD` date, or the date part of an RFC 3339 instant.
pub fn date(value: Option<&serde_json::Value>) -> Option<NaiveDate> {
    let text = text(value)?;
    let day = text.get(..10).unwrap_or(&text);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// Runs `fetch` over `items` with at most `limit` in flight, keeping the input order.
pub async fn fetch_all<T, O, F, Fut>(items: Vec<T>, limit: usize, fetch: F) -> Vec<O>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = O>,
{
    use futures::StreamExt;
    futures::stream::iter(items.into_iter().map(fetch))
        .buffered(limit.max(1))
        .collect()
        .await
}

/// Adds `Authorization: Bearer` for an optional token (Hugging Face).
pub fn bearer(secret: Option<&SecretString>) -> Vec<(&'static str, String)> {
    use secrecy::ExposeSecret;
    secret
        .map(|token| vec![("authorization", format!("Bearer {}", token.expose_secret()))])
        .unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for adapter tests: fixture documents and a scripted HTTP client.

    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::Mutex;

    use super::*;

    /// Reads a fixture file as a document, or `None` (with the testkit's notice) when absent.
    pub(crate) fn fixture(relative: &str, key: &str) -> Option<Document> {
        let directory: PathBuf = benchhub_testkit::fixtures_dir()?;
        let path = directory.join(relative);
        let body = std::fs::read(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        Some(Document::from_body(key, format!("file://{relative}"), body))
    }

    /// A context with fixed settings.
    pub(crate) fn context() -> SourceContext {
        SourceContext {
            base_url: "http://upstream.test".to_owned(),
            secondary_url: "http://tasks.test".to_owned(),
            secret: None,
            today: NaiveDate::from_ymd_opt(2026, 7, 1).expect("valid date"),
            concurrency: 4,
        }
    }

    /// An HTTP client answering from a map of URL → body (404 otherwise) and recording requests.
    #[derive(Default)]
    pub(crate) struct ScriptedHttp {
        /// URL → body.
        pub responses: HashMap<String, Vec<u8>>,
        /// URLs requested, in order.
        pub requested: Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl Http for ScriptedHttp {
        async fn get(
            &self,
            key: &str,
            url: &str,
            _headers: &[(&'static str, String)],
        ) -> Result<Document, FetchError> {
            self.requested
                .lock()
                .expect("not poisoned")
                .push(url.to_owned());
            match self.responses.get(url) {
                Some(body) => Ok(Document::from_body(key, url, body.clone())),
                None => Err(FetchError::Status {
                    url: url.to_owned(),
                    status: 404,
                }),
            }
        }

        async fn post_json(
            &self,
            key: &str,
            url: &str,
            _body: &serde_json::Value,
        ) -> Result<Document, FetchError> {
            self.get(key, &format!("{url}#{key}"), &[]).await
        }
    }
}
