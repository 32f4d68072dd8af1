//! One module per page (or group of pages); each handler builds its RPCs, then its HTML.

pub mod catalog;
pub mod login;
pub mod model;
pub mod rankings;
pub mod runs;
pub mod sources;
pub mod suites;

use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};

use crate::AppState;
use crate::html::error_page;
use crate::rpc::PageError;
use crate::session::Session;

/// The session a page needs (its id and itself); without one, a 303 to the login page.
#[allow(clippy::result_large_err)]
pub fn require_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, Session), Response> {
    state.session(headers).ok_or_else(login::redirect_to_login)
}

/// The response for a failed RPC of a signed-in page: the login page when the token is no longer
/// accepted, else the error page.
pub fn fail(error: PageError, session: &Session) -> Response {
    match error {
        PageError::SignIn => login::redirect_to_login(),
        error => error_page(&error, Some(session)).into_response(),
    }
}
