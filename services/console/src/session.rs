//! Signed-in sessions kept by the server, their cookie, and CSRF tokens.
//!
//! A session holds the benchhub token the person signed in with; the browser only holds a random
//! session id in an HttpOnly, SameSite=Strict cookie (Secure when configured). Every POST carries the
//! session's CSRF token in a hidden field; the login form, which has no session yet, carries a
//! one-time token matched against a short-lived cookie of its own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use rand::RngCore as _;
use secrecy::SecretString;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bh_session";
/// Name of the cookie holding the login form's CSRF token.
pub const LOGIN_COOKIE: &str = "bh_login";

/// A result banner shown once on the next page (post/redirect/get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `ok` or `error`.
    pub kind: &'static str,
    /// The title line.
    pub title: String,
    /// Further lines.
    pub lines: Vec<String>,
}

/// One signed-in person.
#[derive(Clone)]
pub struct Session {
    /// The benchhub token, forwarded to the services; never rendered, never logged.
    pub token: SecretString,
    /// The token's name as the services know it (for the header).
    pub subject: String,
    /// The tenant the token acts for.
    pub tenant: String,
    /// Whether the token may administer (the services decide; this only hides buttons).
    pub admin: bool,
    /// The CSRF token every POST of this session must carry.
    pub csrf: String,
    expires: Instant,
    flash: Option<Flash>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Session")
            .field("subject", &self.subject)
            .field("tenant", &self.tenant)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

/// The sessions of this console process (a restart signs everyone out).
#[derive(Debug)]
pub struct Sessions {
    ttl: Duration,
    secure: bool,
    map: Mutex<HashMap<String, Session>>,
}

/// A random 32-byte value as hex.
pub fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Sessions {
    /// An empty store whose sessions last `ttl` without use.
    pub fn new(ttl: Duration, secure: bool) -> Self {
        Self {
            ttl,
            secure,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts a session and returns its id.
    pub fn create(
        &self,
        token: SecretString,
        subject: String,
        tenant: String,
        admin: bool,
    ) -> String {
        let id = random_id();
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, session| session.expires > now);
        map.insert(
            id.clone(),
            Session {
                token,
                subject,
                tenant,
                admin,
                csrf: random_id(),
                expires: now + self.ttl,
                flash: None,
            },
        );
        id
    }

    /// The session named by the request's cookie, renewed, if it exists and has not expired.
    pub fn get(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let now = Instant::now();
        let mut map = self.lock();
        let session = map.get_mut(&id)?;
        if session.expires <= now {
            map.remove(&id);
            return None;
        }
        session.expires = now + self.ttl;
        Some((id, session.clone()))
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Keeps a banner for the session's next page.
    pub fn set_flash(&self, id: &str, flash: Flash) {
        if let Some(session) = self.lock().get_mut(id) {
            session.flash = Some(flash);
        }
    }

    /// Takes the banner kept for this page, if any.
    pub fn take_flash(&self, id: &str) -> Option<Flash> {
        self.lock()
            .get_mut(id)
            .and_then(|session| session.flash.take())
    }

    /// The `Set-Cookie` value that stores a session id.
    pub fn session_cookie(&self, id: &str) -> String {
        format!(
            "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
            self.ttl.as_secs(),
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that deletes the session cookie.
    pub fn clear_session_cookie(&self) -> String {
        format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value of the login form's CSRF cookie (10 minutes).
    pub fn login_cookie(&self, value: &str) -> String {
        format!(
            "{LOGIN_COOKIE}={value}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=600{}",
            if self.secure { "; Secure" } else { "" }
        )
    }
}

/// Reads one cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(left: &str, right: &str) -> bool {
    left.len() == right.len()
        && left
            .bytes()
            .zip(right.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_cookie_and_expires() {
        let sessions = Sessions::new(Duration::from_millis(50), false);
        let id = sessions.create("tok".to_owned().into(), "ci".into(), "default".into(), true);
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            format!("other=1; {SESSION_COOKIE}={id}").parse().unwrap(),
        );
        let (found, session) = sessions.get(&headers).expect("session");
        assert_eq!(found, id);
        assert!(session.admin);
        assert!(!format!("{session:?}").contains("tok"));
        std::thread::sleep(Duration::from_millis(80));
        assert!(sessions.get(&headers).is_none());
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let sessions = Sessions::new(Duration::from_secs(60), true);
        let cookie = sessions.session_cookie("abc");
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Strict"));
        assert!(cookie.ends_with("; Secure"));
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
