//! The per-RPC tower layer every service runs behind: request id, one tracing span per RPC with method,
//! status code and latency, the start-up readiness gate, and bearer-token authentication by policy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use tonic::Status;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::auth::{Access, AccessPolicy, AuthError, Authenticator, Principal};

/// Metadata key carrying the caller's request id; generated when absent and echoed in the response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Request id of the current RPC, stored in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

struct RpcState {
    service: &'static str,
    policy: AccessPolicy,
    authenticator: Authenticator,
    ready: Arc<AtomicBool>,
}

/// Layer that wraps every gRPC route of a server.
#[derive(Clone)]
pub struct RpcLayer {
    state: Arc<RpcState>,
}

impl std::fmt::Debug for RpcLayer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("RpcLayer").finish_non_exhaustive()
    }
}

impl RpcLayer {
    /// Creates the layer; `ready` turns true once the database is reachable and migrated.
    pub fn new(
        service: &'static str,
        policy: AccessPolicy,
        authenticator: Authenticator,
        ready: Arc<AtomicBool>,
    ) -> Self {
        Self {
            state: Arc::new(RpcState {
                service,
                policy,
                authenticator,
                ready,
            }),
        }
    }
}

impl<S> Layer<S> for RpcLayer {
    type Service = RpcService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcService {
            inner,
            state: Arc::clone(&self.state),
        }
    }
}

/// Service produced by [`RpcLayer`].
#[derive(Clone)]
pub struct RpcService<S> {
    inner: S,
    state: Arc<RpcState>,
}

impl<S> std::fmt::Debug for RpcService<S> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("RpcService").finish_non_exhaustive()
    }
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for RpcService<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RequestBody: Send + 'static,
    ResponseBody: Default + Send + 'static,
{
    type Response = http::Response<ResponseBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<RequestBody>) -> Self::Future {
        let ready_clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready_clone);
        let state = Arc::clone(&self.state);
        let path = request.uri().path().to_owned();
        let request_id = request
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty() && value.len() <= 128)
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let span = tracing::info_span!(
            "rpc",
            service = state.service,
            method = %path,
            request_id = %request_id,
            tenant = tracing::field::Empty,
            code = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        Box::pin(
            async move {
                let header = request
                    .headers()
                    .get(http::header::AUTHORIZATION)
                    .map(|value| value.to_str().unwrap_or("\u{0}").to_owned());
                let outcome = admit(&state, &path, header.as_deref()).await;
                let mut response = match outcome {
                    Ok(principal) => {
                        tracing::Span::current().record("tenant", principal.tenant_id.as_str());
                        request.extensions_mut().insert(principal);
                        request
                            .extensions_mut()
                            .insert(RequestId(request_id.clone()));
                        inner.call(request).await?
                    }
                    Err(status) => status.into_http(),
                };
                if let Ok(value) = http::HeaderValue::from_str(&request_id) {
                    response.headers_mut().insert(REQUEST_ID_HEADER, value);
                }
                let code = response
                    .headers()
                    .get("grpc-status")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.parse::<i32>().ok())
                    .unwrap_or(0);
                let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
                let span = tracing::Span::current();
                let code_name = format!("{:?}", tonic::Code::from_i32(code));
                span.record("code", code_name.as_str());
                span.record("latency_ms", latency_ms);
                crate::observe::record_rpc(state.service, &path, &code_name, latency_ms / 1000.0);
                if code == 0 {
                    tracing::info!("rpc finished");
                } else {
                    tracing::warn!("rpc failed");
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

async fn admit(state: &RpcState, path: &str, header: Option<&str>) -> Result<Principal, Status> {
    let access = state.policy.access_for(path);
    let is_benchhub_method = path.starts_with("/benchhub.");
    if is_benchhub_method && !state.ready.load(Ordering::Acquire) {
        return Err(Status::unavailable(
            "service is starting: waiting for the database to be reachable and migrated",
        ));
    }
    let principal = match (header, access) {
        (None, Access::Open) => return Ok(Principal::anonymous()),
        (header, _) => state.authenticator.authenticate(header).await,
    };
    let principal = principal.map_err(|error| match error {
        AuthError::Unavailable(cause) => {
            tracing::warn!(error = %benchhub_db::describe(&cause), "token lookup failed");
            Status::unavailable("cannot verify the token: the database is unavailable")
        }
        other => Status::unauthenticated(other.to_string()),
    })?;
    if let Access::Role(required) = access
        && !principal.has(required)
    {
        let held = principal
            .role
            .map(super::auth::Role::as_str)
            .unwrap_or("none");
        return Err(Status::permission_denied(format!(
            "{path} needs role {} or above; this token has role {held}",
            required.as_str()
        )));
    }
    Ok(principal)
}

/// Returns the caller established by the layer (anonymous when the layer did not run, e.g. in unit tests).
pub fn principal<T>(request: &tonic::Request<T>) -> Principal {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .unwrap_or_else(Principal::anonymous)
}

/// Returns the request id established by the layer, if any.
pub fn request_id<T>(request: &tonic::Request<T>) -> Option<String> {
    request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
}
