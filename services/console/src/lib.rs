//! benchhub's web console: the seeds' screens (rankings, models, sources, suites, runs) as
//! server-rendered pages over the four services' gRPC contracts. It holds no database connection: it
//! is one more client of the RPCs, and forwards the signed-in person's token so roles and tenants are
//! exactly the services' own.
//!
//! Layout: `pages/` (one handler module per page: RPCs, then HTML), `html.rs` (the frame and shared
//! pieces), `session.rs` (sessions, cookies, CSRF), `rpc.rs` (clients and what their errors mean).

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

// The binary's allocator (src/main.rs); a library cannot leave that dependency to its binary alone.
use mimalloc as _;

pub mod charts;
pub mod config;
pub mod html;
pub mod jobs;
pub mod pages;
pub mod rpc;
pub mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;

use crate::html::error_page;
use crate::rpc::{PageError, Services};
use crate::session::{Session, Sessions, same_secret};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Clients of the four services.
    pub services: Services,
    /// Signed-in sessions.
    pub sessions: Arc<Sessions>,
    /// The catalog's benchmark metrics, reused for a minute by the rankings page.
    pub metrics_cache: Arc<rpc::Cached<Arc<Vec<benchhub_proto::pb::BenchmarkMetric>>>>,
    /// Long admin actions started from the console (ReingestAll).
    pub jobs: Arc<jobs::Jobs>,
    /// Fires when the console stops; ends live event streams so shutdown does not wait on them.
    pub shutdown: CancellationToken,
}

impl AppState {
    /// The request's session, if it has a live one.
    pub fn session(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        self.sessions.get(headers)
    }

    /// The session of a POST whose form carried `csrf`: a 303 to the login page without a session,
    /// a 403 page when the CSRF token is missing or wrong.
    #[allow(clippy::result_large_err)]
    pub fn post_session(
        &self,
        headers: &HeaderMap,
        csrf: &str,
    ) -> Result<(String, Session), Response> {
        let Some((id, session)) = self.session(headers) else {
            return Err(pages::login::redirect_to_login());
        };
        if !same_secret(&session.csrf, csrf) {
            return Err(error_page(
                &PageError::Forbidden(
                    "This form expired or did not come from this console (CSRF check failed); \
                     reload the page and try again."
                        .to_owned(),
                ),
                Some(&session),
            )
            .into_response());
        }
        Ok((id, session))
    }
}

const CSS: &str = include_str!("../static/console.css");
const JS: &str = include_str!("../static/console.js");

/// Content-Security-Policy of every response: nothing inline, nothing from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        JS,
    )
        .into_response()
}

/// `GET /healthz`: 200 when the rankings service answers its health check with SERVING.
async fn healthz(State(state): State<AppState>) -> Response {
    let mut client = state.services.health();
    let answer = client
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await;
    let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    match answer.map(|response| response.into_inner().status) {
        Ok(status) if status == serving => (StatusCode::OK, "ok\n").into_response(),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "rankings is not serving\n").into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "rankings cannot be reached\n",
        )
            .into_response(),
    }
}

async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = state.session(&headers).map(|(_, session)| session);
    error_page(
        &PageError::NotFound("There is no page at this address.".to_owned()),
        session.as_ref(),
    )
    .into_response()
}

/// Every route of the console.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::rankings::page))
        .route("/rankings.csv", get(pages::rankings::csv))
        .route("/models/{*id}", get(pages::model::page))
        .route("/sources", get(pages::sources::page))
        .route("/sources/{source}/refetch", post(pages::sources::refetch))
        .route("/sources/{source}/detect", post(pages::catalog::detect))
        .route("/sources/reingest-all", post(pages::catalog::reingest_all))
        .route(
            "/sources/reingest/{job}",
            get(pages::catalog::reingest_page),
        )
        .route(
            "/sources/reingest/{job}/events",
            get(pages::catalog::reingest_events),
        )
        .route("/sources/aliases", post(pages::catalog::add_alias))
        .route(
            "/suites",
            get(pages::suites::list).post(pages::suites::create),
        )
        .route("/suites/{id}", get(pages::suites::page))
        .route("/suites/{id}/runs", post(pages::suites::start_run))
        .route(
            "/suites/{id}/cases",
            post(pages::suites::add_cases).layer(axum::extract::DefaultBodyLimit::max(
                pages::suites::MAX_UPLOAD_BYTES,
            )),
        )
        .route("/runs/{id}", get(pages::runs::page))
        .route("/runs/{id}/events", get(pages::runs::events))
        .route("/runs/{id}/compare", get(pages::runs::compare))
        .route("/login", get(pages::login::page).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/healthz", get(healthz))
        .route("/static/console.css", get(css))
        .route("/static/console.js", get(js))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Serves the console on `listener` until `shutdown` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let state = AppState {
        services: Services::new(&config)?,
        sessions: Arc::new(Sessions::new(config.session_ttl, config.secure_cookies)),
        jobs: Arc::new(jobs::Jobs::default()),
        metrics_cache: Arc::new(rpc::Cached::default()),
        shutdown: shutdown.clone(),
    };
    let local = listener.local_addr().ok();
    tracing::info!(addr = ?local, "console listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    Ok(())
}
