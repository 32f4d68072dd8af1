//! `/login` and `/logout`: a benchhub token in, a server-side session out.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use benchhub_proto::pb;
use maud::html;
use secrecy::SecretString;

use crate::AppState;
use crate::html::{Nav, Page, banner, error_page, layout};
use crate::rpc::{PageError, with_token};
use crate::session::{LOGIN_COOKIE, cookie, random_id, same_secret};

/// A 303 to the login page.
pub fn redirect_to_login() -> Response {
    Redirect::to("/login").into_response()
}

fn form_page(state: &AppState, status: StatusCode, problem: Option<&str>) -> Response {
    let csrf = random_id();
    let body = layout(
        "Sign in",
        Nav::Other,
        None,
        None,
        html! {
            h1 { "Sign in" }
            @if let Some(problem) = problem { (banner("error", "Not signed in", &[problem.to_owned()])) }
            p { "Sign in with a benchhub token (from " code { "benchctl token create" } " or your admin). Pages that only read open data work without one." }
            form method="post" action="/login" class="login" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Token" }
                input id="token" type="password" name="token" autocomplete="off" required maxlength="512";
                button type="submit" { "Sign in" }
            }
        },
    );
    let mut response = Page { status, body }.into_response();
    if let Ok(value) = HeaderValue::from_str(&state.sessions.login_cookie(&csrf)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /login`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some((_, session)) = state.session(&headers) {
        let body = layout(
            "Signed in",
            Nav::Other,
            Some(&session),
            None,
            html! { h1 { "You are signed in" } p { a href="/" { "Go to the rankings" } } },
        );
        return Page {
            status: StatusCode::OK,
            body,
        }
        .into_response();
    }
    form_page(&state, StatusCode::OK, None)
}

/// The login form.
#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("LoginForm").finish_non_exhaustive()
    }
}

/// `POST /login`: checks the form's CSRF token against its cookie, then the benchhub token with a
/// cheap RPC (ListIngestionRuns needs any valid token), then whether it may administer (ListTokens).
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE);
    if !expected.is_some_and(|expected| same_secret(&expected, &form.csrf)) {
        return error_page(
            &PageError::Forbidden(
                "The sign-in form expired or did not come from this console; open it again."
                    .to_owned(),
            ),
            None,
        )
        .into_response();
    }
    let token = form.token.trim().to_owned();
    if token.is_empty() || token.len() > 512 || token.chars().any(char::is_control) {
        return form_page(
            &state,
            StatusCode::BAD_REQUEST,
            Some("Enter a benchhub token (at most 512 characters)."),
        );
    }
    let mut ingest = state.services.ingest();
    let mut probe = tonic::Request::new(pb::ListIngestionRunsRequest {
        page_size: 1,
        ..Default::default()
    });
    with_token(&mut probe, &token);
    if let Err(status) = ingest.list_ingestion_runs(probe).await {
        return match PageError::from_status("ingest", &status) {
            PageError::SignIn => form_page(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("That token is not accepted (unknown, revoked or mistyped)."),
            ),
            error => error_page(&error, None).into_response(),
        };
    }
    let mut tokens = tonic::Request::new(pb::ListTokensRequest {
        page_size: 1,
        ..Default::default()
    });
    with_token(&mut tokens, &token);
    let (admin, tenant) = match state.services.tokens().list_tokens(tokens).await {
        Ok(response) => (
            true,
            response
                .into_inner()
                .tokens
                .first()
                .map(|token| token.tenant_id.clone())
                .unwrap_or_default(),
        ),
        Err(_) => (false, String::new()),
    };
    let subject = format!("{}…", token.chars().take(10).collect::<String>());
    let id = state
        .sessions
        .create(SecretString::from(token), subject, tenant, admin);
    let mut response = Redirect::to("/").into_response();
    for value in [
        state.sessions.session_cookie(&id),
        format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The logout form.
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (id, _) = match state.post_session(&headers, &form.csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    state.sessions.remove(&id);
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&state.sessions.clear_session_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
