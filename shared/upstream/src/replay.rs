//! The replay server: an axum HTTP server answering every source's upstream routes under a path prefix
//! per source (`/<source>/…`, plus `/arc-agi-tasks/…` for ARC task files and `/lmarena-catalog/…`
//! for LMArena's arena-catalog files), from the [`Generator`] or
//! from a directory laid out like `../shared/fixtures`. Point each source at it with
//! `BENCHHUB_SOURCE_<NAME>_URL=http://host:port/<source>` ([`ReplayServer::env_vars`]).
//!
//! Responses carry an ETag (a hash of the body) and answer `If-None-Match` with 304. Faults can be set
//! per route, programmatically ([`ReplayServer::faults`]) or over HTTP (`POST /__replay/faults` with a
//! [`Fault`] as JSON, `DELETE /__replay/faults`), and the request log is at `GET /__replay/requests`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::generator::{Generated, Generator, parse_query};

/// Sources the server answers for, with the environment variable that points ingest at each.
pub const SOURCES: &[&str] = &[
    "lmarena",
    "artificialanalysis",
    "ecologits",
    "openrouter",
    "modelsdev",
    "evalplus",
    "bigcodebench",
    "swebench",
    "livecodebench",
    "arc-agi",
    "livebench",
];

/// Where responses come from.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Generated payloads.
    Generator(Generator),
    /// Files from a directory laid out like `../shared/fixtures`.
    Directory(PathBuf),
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answers this HTTP status with an empty JSON error body.
    Status {
        /// Status code, e.g. 503.
        status: u16,
    },
    /// Answers 429 with `Retry-After`.
    RateLimit {
        /// Seconds in `Retry-After`.
        retry_after_seconds: u64,
    },
    /// Waits before answering normally.
    Delay {
        /// Milliseconds.
        millis: u64,
    },
    /// Answers with the first half of the body (valid HTTP, broken JSON).
    Truncate,
    /// Answers JSON whose every key is renamed (`data` → `data_v2`): the schema drifted.
    Drift,
}

/// A fault for the requests of one source (or `*`), optionally only on paths containing a string, for
/// the next `times` matching requests (forever when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Source prefix it applies to, or `*`.
    pub source: String,
    /// Only paths (with query) containing this.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// What to do.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many matching requests it affects; forever when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// A fault on every request of `source`.
    pub fn new(source: &str, kind: FaultKind) -> Self {
        Self {
            source: source.to_owned(),
            path_contains: None,
            kind,
            times: None,
        }
    }

    /// Limits the fault to the next `times` matching requests.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Limits the fault to paths containing `text`.
    pub fn on_path(mut self, text: &str) -> Self {
        self.path_contains = Some(text.to_owned());
        self
    }

    fn matches(&self, source: &str, path_and_query: &str) -> bool {
        (self.source == "*" || self.source == source)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|text| path_and_query.contains(text))
            && self.times != Some(0)
    }
}

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// Source prefix.
    pub source: String,
    /// Method.
    pub method: String,
    /// Path and query after the prefix.
    pub path: String,
    /// Status answered.
    pub status: u16,
}

struct Inner {
    backend: Mutex<Backend>,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<Vec<RequestRecord>>,
}

/// Longest request log kept.
const MAX_RECORDS: usize = 100_000;

/// Programmatic control of a running server's faults, backend and request log.
#[derive(Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Control").finish_non_exhaustive()
    }
}

impl Control {
    /// Adds a fault.
    pub fn add_fault(&self, fault: Fault) {
        if let Ok(mut faults) = self.inner.faults.lock() {
            faults.push(fault);
        }
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        if let Ok(mut faults) = self.inner.faults.lock() {
            faults.clear();
        }
    }

    /// Replaces the backend (e.g. a generator with a later date).
    pub fn set_backend(&self, backend: Backend) {
        if let Ok(mut current) = self.inner.backend.lock() {
            *current = backend;
        }
    }

    /// The requests answered so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner
            .requests
            .lock()
            .map(|requests| requests.clone())
            .unwrap_or_default()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        if let Ok(mut requests) = self.inner.requests.lock() {
            requests.clear();
        }
    }
}

/// A running replay server.
#[derive(Debug)]
pub struct ReplayServer {
    addr: SocketAddr,
    control: Control,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl ReplayServer {
    /// Serves `backend` on `listener` until stopped.
    pub fn serve(listener: TcpListener, backend: Backend) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            backend: Mutex::new(backend),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route(
                "/__replay/faults",
                get(list_faults).post(add_fault).delete(clear_faults),
            )
            .route("/__replay/requests", get(list_requests))
            .route("/__replay/generator", post(set_generator))
            .fallback(upstream)
            .with_state(Arc::clone(&inner));
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(token.cancelled_owned())
                .await;
            if let Err(error) = served {
                tracing::warn!(error = %error, "replay server stopped");
            }
        });
        Ok(Self {
            addr,
            control: Control { inner },
            shutdown,
            task,
        })
    }

    /// Binds `addr` (port 0 picks one) and serves `backend`.
    pub async fn start(addr: SocketAddr, backend: Backend) -> anyhow::Result<Self> {
        Self::serve(TcpListener::bind(addr).await?, backend)
    }

    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Control of faults, backend and the request log.
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// `(variable, value)` pairs pointing every source at this server.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        env_vars(&self.url())
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// `(variable, value)` pairs pointing every source at a replay server at `base`.
pub fn env_vars(base: &str) -> Vec<(String, String)> {
    let mut variables: Vec<(String, String)> = SOURCES
        .iter()
        .map(|source| {
            (
                format!(
                    "BENCHHUB_SOURCE_{}_URL",
                    source.to_ascii_uppercase().replace('-', "_")
                ),
                format!("{base}/{source}"),
            )
        })
        .collect();
    variables.push((
        "BENCHHUB_SOURCE_ARC_AGI_TASKS_URL".to_owned(),
        format!("{base}/arc-agi-tasks"),
    ));
    variables.push((
        "BENCHHUB_SOURCE_LMARENA_CATALOG_URL".to_owned(),
        format!("{base}/lmarena-catalog"),
    ));
    variables
}

async fn list_faults(State(inner): State<Arc<Inner>>) -> Response {
    let faults = inner
        .faults
        .lock()
        .map(|faults| faults.clone())
        .unwrap_or_default();
    axum::Json(faults).into_response()
}

async fn add_fault(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(fault) => {
            Control { inner }.add_fault(fault);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            format!(
                "invalid fault: {error}; expected {{\"source\": \"evalplus\", \"kind\": \"status\", \"status\": 503, \"times\": 1}} (kinds: status, rate_limit, delay, truncate, drift)"
            ),
        )
            .into_response(),
    }
}

async fn clear_faults(State(inner): State<Arc<Inner>>) -> Response {
    Control { inner }.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn list_requests(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(Control { inner }.requests()).into_response()
}

#[derive(Deserialize)]
struct GeneratorRequest {
    seed: u64,
    models: usize,
    date: Option<chrono::NaiveDate>,
}

async fn set_generator(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    match serde_json::from_slice::<GeneratorRequest>(&body) {
        Ok(request) => {
            let date = request.date.unwrap_or_else(Generator::default_date);
            Control { inner }.set_backend(Backend::Generator(Generator::new(
                request.seed,
                request.models,
                date,
            )));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            format!("invalid generator: {error}; expected {{\"seed\": 1, \"models\": 50, \"date\": \"2026-01-05\"}}"),
        )
            .into_response(),
    }
}

fn take_fault(inner: &Inner, source: &str, path_and_query: &str) -> Option<FaultKind> {
    let mut faults = inner.faults.lock().ok()?;
    let fault = faults
        .iter_mut()
        .find(|fault| fault.matches(source, path_and_query))?;
    if let Some(times) = fault.times.as_mut() {
        *times -= 1;
    }
    Some(fault.kind.clone())
}

fn record(inner: &Inner, source: &str, method: &Method, path: &str, status: u16) {
    if let Ok(mut requests) = inner.requests.lock()
        && requests.len() < MAX_RECORDS
    {
        requests.push(RequestRecord {
            source: source.to_owned(),
            method: method.to_string(),
            path: path.to_owned(),
            status,
        });
    }
}

fn etag(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(body)[..12]))
}

/// Renames every object key (`data` → `data_v2`), recursively.
pub fn drift(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| (format!("{key}_v2"), drift(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(drift).collect()),
        other => other,
    }
}

async fn upstream(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full_path = uri.path();
    let trimmed = full_path.trim_start_matches('/');
    let (source, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let path = format!("/{rest}");
    let query = uri.query().unwrap_or("");
    let path_and_query = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let fault = take_fault(&inner, source, &path_and_query);
    if let Some(FaultKind::Delay { millis }) = &fault {
        tokio::time::sleep(Duration::from_millis(*millis)).await;
    }
    let response = match &fault {
        Some(FaultKind::Status { status }) => Some(error_response(*status, "injected fault")),
        Some(FaultKind::RateLimit {
            retry_after_seconds,
        }) => {
            let mut response = error_response(429, "rate limited");
            if let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Some(response)
        }
        _ => None,
    };
    if let Some(response) = response {
        record(
            &inner,
            source,
            &method,
            &path_and_query,
            response.status().as_u16(),
        );
        return response;
    }
    if source == "artificialanalysis" && !headers.contains_key("x-api-key") {
        let response = error_response(401, "missing x-api-key");
        record(&inner, source, &method, &path_and_query, 401);
        return response;
    }
    let backend = inner
        .backend
        .lock()
        .map(|backend| backend.clone())
        .unwrap_or(Backend::Directory(PathBuf::new()));
    let generated = match &backend {
        Backend::Generator(generator) => {
            generator.respond(source, method.as_str(), &path, query, &body)
        }
        Backend::Directory(directory) => {
            from_directory(directory, source, method.as_str(), &path, query, &body)
        }
    };
    let Some(mut generated) = generated else {
        record(&inner, source, &method, &path_and_query, 404);
        return error_response(404, "no such upstream route");
    };
    match fault {
        Some(FaultKind::Truncate) => {
            let half = generated.body.len() / 2;
            generated.body.truncate(half);
        }
        Some(FaultKind::Drift) => {
            if let Ok(value) = serde_json::from_slice::<Value>(&generated.body) {
                generated.body = serde_json::to_vec(&drift(value)).unwrap_or_default();
            } else {
                generated.body = b"unexpected,columns\n".to_vec();
            }
        }
        _ => {}
    }
    let tag = etag(&generated.body);
    let not_modified = generated.status == 200
        && method == Method::GET
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.split(',').any(|candidate| candidate.trim() == tag));
    let status = if not_modified {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::from_u16(generated.status).unwrap_or(StatusCode::OK)
    };
    record(&inner, source, &method, &path_and_query, status.as_u16());
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (status, generated.body).into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(generated.content_type),
    );
    if generated.status == 200
        && let Ok(value) = HeaderValue::from_str(&tag)
    {
        response_headers.insert(header::ETAG, value);
    }
    response
}

fn error_response(status: u16, detail: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "detail": detail }).to_string(),
    )
        .into_response()
}

fn read(path: &Path) -> Option<Generated> {
    let body = std::fs::read(path).ok()?;
    let content_type = if path.extension().and_then(|extension| extension.to_str()) == Some("csv") {
        "text/csv"
    } else {
        "application/json"
    };
    Some(Generated {
        status: 200,
        content_type,
        body,
    })
}

fn first_existing(candidates: &[PathBuf]) -> Option<Generated> {
    candidates.iter().find_map(|path| read(path))
}

fn listing(entries: Vec<(&str, String)>) -> Generated {
    let items: Vec<Value> = entries
        .into_iter()
        .map(|(kind, path)| json!({"type": kind, "oid": "0", "size": 0, "path": path}))
        .collect();
    Generated {
        status: 200,
        content_type: "application/json",
        body: serde_json::to_vec(&items).unwrap_or_default(),
    }
}

fn sorted_entries(directory: &Path, directories: bool) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().is_dir() == directories)
                .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Maps an upstream request onto a file of a fixtures-like directory (see the crate docs), or `None`.
pub fn from_directory(
    root: &Path,
    source: &str,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Option<Generated> {
    let query = parse_query(query);
    let get = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let folder = root.join(source);
    match (source, method, path) {
        ("lmarena", "GET", "/rows") => {
            let config = get("config").unwrap_or_else(|| "text".to_owned());
            let split = get("split").unwrap_or_else(|| "latest".to_owned());
            let offset = get("offset").unwrap_or_else(|| "0".to_owned());
            let directory = folder.join("datasets_server");
            let stem = format!("rows_{config}_{split}_offset{offset}");
            first_existing(&[
                directory.join(format!("{stem}.json")),
                directory.join(format!("{stem}.RECONSTRUCTED.json")),
            ])
        }
        ("artificialanalysis", "GET", "/api/v2/data/llms/models") => first_existing(&[
            folder.join("data_llms_models.RECONSTRUCTED.json"),
            folder.join("data_llms_models.docs_example.json"),
        ]),
        ("ecologits", "GET", "/v1beta/providers") => read(&folder.join("v1beta_providers.json")),
        ("ecologits", "GET", path) if path.starts_with("/v1beta/models/") => {
            let provider = path.trim_start_matches("/v1beta/models/");
            read(&folder.join(format!("v1beta_models_{provider}.json"))).or_else(|| {
                Some(Generated {
                    status: 404,
                    content_type: "application/json",
                    body: br#"{"detail":"Provider not found"}"#.to_vec(),
                })
            })
        }
        ("ecologits", "GET", path) if path.starts_with("/v1beta/electricity-mix-zones/") => {
            let zone = path.trim_start_matches("/v1beta/electricity-mix-zones/");
            read(&folder.join(format!("v1beta_electricity_mix_{zone}.json")))
        }
        ("ecologits", "POST", "/v1beta/estimations") => ecologits_estimation(&folder, body),
        ("openrouter", "GET", "/api/v1/models") => {
            let mut dumps: Vec<String> = sorted_entries(&folder, false)
                .into_iter()
                .filter(|name| name.starts_with("api_v1_models_") && name.ends_with(".json"))
                .collect();
            if let Some(wanted) = get("dump") {
                dumps.retain(|name| name.contains(&wanted));
            }
            dumps.last().and_then(|name| read(&folder.join(name)))
        }
        ("modelsdev", "GET", "/api.json") => read(&folder.join("api.json")),
        ("evalplus" | "bigcodebench", "GET", "/results.json") => read(&folder.join("results.json")),
        ("bigcodebench", "GET", "/results-hard.json") => read(&folder.join("results-hard.json")),
        ("swebench", "GET", "/SWE-bench/swe-bench.github.io/master/data/leaderboards.json") => {
            read(&folder.join("leaderboards.json"))
        }
        ("livecodebench", "GET", "/performances_generation.json") => {
            read(&folder.join("performances_generation.json"))
        }
        ("livebench", "GET", path) => {
            let name = path.trim_start_matches('/');
            (!name.contains('/') && !name.contains("..")).then(|| read(&folder.join(name)))?
        }
        ("arc-agi", "GET", path) => arc_agi(&folder, path),
        ("lmarena-catalog", "GET", path) => {
            let file = path.strip_prefix("/lmarena/arena-catalog/main/data/")?;
            if file.contains('/') || file.contains("..") {
                return None;
            }
            read(&root.join("lmarena").join("arena_catalog").join(file))
        }
        ("arc-agi-tasks", "GET", path) => {
            let tasks = root.join("arc-agi").join("tasks");
            let (set, rest) =
                if let Some(rest) = path.strip_prefix("/fchollet/ARC-AGI/master/data/") {
                    ("arc-agi-1", rest)
                } else {
                    (
                        "arc-agi-2",
                        path.strip_prefix("/arcprize/ARC-AGI-2/main/data/")?,
                    )
                };
            let (split, file) = rest.split_once('/')?;
            if file.contains('/') || file.contains("..") {
                return None;
            }
            read(&tasks.join(set).join(split).join(file))
        }
        _ => None,
    }
}

/// ARC-AGI predictions: `predictions/<repo>/<model>/` folders, plus `predictions_legacy/<model>/`
/// folders served as part of the v1 evaluation repo (the legacy predictions are v1 evaluation tasks).
fn arc_agi(folder: &Path, path: &str) -> Option<Generated> {
    let rest = path
        .strip_prefix("/api/datasets/arcprize/")
        .map(|rest| (true, rest))
        .or_else(|| {
            path.strip_prefix("/datasets/arcprize/")
                .map(|rest| (false, rest))
        });
    let (is_tree, rest) = rest?;
    let (repo, rest) = rest.split_once('/')?;
    if repo.contains("..") || rest.contains("..") {
        return None;
    }
    let model_folder = |model: &str| -> Option<PathBuf> {
        let current = folder.join("predictions").join(repo).join(model);
        if current.is_dir() {
            return Some(current);
        }
        let legacy = folder.join("predictions_legacy").join(model);
        (repo == "arc_agi_v1_public_eval" && legacy.is_dir()).then_some(legacy)
    };
    if is_tree {
        let listed = rest.strip_prefix("tree/main")?;
        let model = listed.trim_start_matches('/');
        if model.is_empty() {
            let mut models = sorted_entries(&folder.join("predictions").join(repo), true);
            if repo == "arc_agi_v1_public_eval" {
                models.extend(sorted_entries(&folder.join("predictions_legacy"), true));
            }
            if models.is_empty() {
                return None;
            }
            return Some(listing(
                models
                    .into_iter()
                    .map(|model| ("directory", model))
                    .collect(),
            ));
        }
        let directory = model_folder(model)?;
        let files = sorted_entries(&directory, false)
            .into_iter()
            .map(|file| ("file", format!("{model}/{file}")))
            .collect();
        return Some(listing(files));
    }
    let file_path = rest.strip_prefix("resolve/main/")?;
    let (model, file) = file_path.split_once('/')?;
    read(&model_folder(model)?.join(file))
}

fn ecologits_estimation(folder: &Path, body: &[u8]) -> Option<Generated> {
    let request: Value = serde_json::from_slice(body).ok()?;
    let provider = request["provider"].as_str()?;
    let model = request["model_name"].as_str()?;
    if provider.contains('/') || provider.contains("..") || model.contains("..") {
        return None;
    }
    let file = folder.join(format!(
        "v1beta_estimations_{provider}_{}.json",
        model.replace('/', "_")
    ));
    if let Some(found) = read(&file) {
        return Some(found);
    }
    let cases: Vec<Value> = std::fs::read(folder.join("v1beta_estimations_cases.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let case = cases.iter().find(|case| {
        case["request"]["provider"] == provider && case["request"]["model_name"] == model
    });
    Some(match case {
        Some(case) => Generated {
            status: case["status"].as_u64().unwrap_or(200) as u16,
            content_type: "application/json",
            body: serde_json::to_vec(&case["response"]).unwrap_or_default(),
        },
        None => Generated {
            status: 404,
            content_type: "application/json",
            body: br#"{"detail":"no recorded estimation for this model"}"#.to_vec(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_renames_every_key() {
        let drifted = drift(json!({"data": [{"id": 1}]}));
        assert_eq!(drifted, json!({"data_v2": [{"id_v2": 1}]}));
    }

    #[test]
    fn faults_match_by_source_path_and_count() {
        let fault = Fault::new("evalplus", FaultKind::Truncate)
            .on_path("results")
            .times(1);
        assert!(fault.matches("evalplus", "/results.json"));
        assert!(!fault.matches("bigcodebench", "/results.json"));
        let spent = Fault {
            times: Some(0),
            ..fault
        };
        assert!(!spent.matches("evalplus", "/results.json"));
        let parsed: Fault =
            serde_json::from_str(r#"{"source":"*","kind":"rate_limit","retry_after_seconds":2}"#)
                .expect("fault json");
        assert_eq!(
            parsed.kind,
            FaultKind::RateLimit {
                retry_after_seconds: 2
            }
        );
    }

    #[test]
    fn env_vars_cover_every_source() {
        let variables = env_vars("http://127.0.0.1:9");
        assert!(variables.contains(&(
            "BENCHHUB_SOURCE_ARC_AGI_URL".to_owned(),
            "http://127.0.0.1:9/arc-agi".to_owned()
        )));
        assert_eq!(variables.len(), SOURCES.len() + 2);
    }
}
