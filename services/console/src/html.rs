//! The page frame (header, navigation, banners) and the small pieces every page uses.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use benchhub_proto::pb;
use maud::{DOCTYPE, Markup, html};

use crate::rpc::PageError;
use crate::session::{Flash, Session};

/// A rendered page with its status.
#[derive(Debug)]
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// The whole document.
    pub body: Markup,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        (self.status, Html(self.body.into_string())).into_response()
    }
}

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/`.
    Rankings,
    /// `/sources`.
    Sources,
    /// `/suites`.
    Suites,
    /// None of them.
    Other,
}

/// A banner: `kind` is `ok`, `warn` or `error`.
pub fn banner(kind: &str, title: &str, lines: &[String]) -> Markup {
    html! {
        div class=(format!("banner {kind}")) role=(if kind == "error" { "alert" } else { "status" }) {
            strong { (title) }
            @for line in lines { p { (line) } }
        }
    }
}

/// The document around `content`.
pub fn layout(
    title: &str,
    nav: Nav,
    session: Option<&Session>,
    flash: Option<&Flash>,
    content: Markup,
) -> Markup {
    let current = |entry: Nav| if entry == nav { Some("page") } else { None };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · benchhub" }
                link rel="stylesheet" href="/static/console.css";
                script src="/static/console.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/" { "benchhub" }
                    nav aria-label="Main" {
                        ul {
                            li { a href="/" aria-current=[current(Nav::Rankings)] { "Rankings" } }
                            li { a href="/sources" aria-current=[current(Nav::Sources)] { "Sources" } }
                            li { a href="/suites" aria-current=[current(Nav::Suites)] { "Suites" } }
                        }
                    }
                    div class="who" {
                        @if let Some(session) = session {
                            span {
                                "Signed in as " strong { (session.subject) }
                                @if !session.tenant.is_empty() { " · tenant " (session.tenant) }
                                @if session.admin { " · admin" }
                            }
                            form method="post" action="/logout" class="inline" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button type="submit" { "Sign out" }
                            }
                        } @else {
                            a href="/login" { "Sign in" }
                        }
                    }
                }
                main id="main" {
                    @if let Some(flash) = flash {
                        (banner(flash.kind, &flash.title, &flash.lines))
                    }
                    (content)
                }
                footer { "benchhub console · data from the ingest, rankings, runner and judge services" }
            }
        }
    }
}

/// The page for an error, with the navigation so the person can go on.
pub fn error_page(error: &PageError, session: Option<&Session>) -> Page {
    let (status, title, lines) = match error {
        PageError::Unavailable { service, message } => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The {service} service is unavailable"),
            vec![
                format!("{message}."),
                "This page will work again once it is back; reload to retry.".to_owned(),
            ],
        ),
        PageError::NotFound(message) => (
            StatusCode::NOT_FOUND,
            "Not found".to_owned(),
            vec![message.clone()],
        ),
        PageError::BadInput(message) => (
            StatusCode::BAD_REQUEST,
            "That request is not valid".to_owned(),
            vec![message.clone()],
        ),
        PageError::Forbidden(message) => (
            StatusCode::FORBIDDEN,
            "Not allowed".to_owned(),
            vec![message.clone()],
        ),
        PageError::SignIn => (
            StatusCode::UNAUTHORIZED,
            "Sign in to see this page".to_owned(),
            vec!["This page needs a benchhub token.".to_owned()],
        ),
    };
    let kind = if status == StatusCode::NOT_FOUND {
        "warn"
    } else {
        "error"
    };
    let body = layout(
        &title,
        Nav::Other,
        session,
        None,
        html! {
            h1 { (title) }
            (banner(kind, &title, &lines))
            p { a href="/" { "Back to the rankings" } }
        },
    );
    Page { status, body }
}

/// `fresh`, `aging`, `stale` or `unknown`.
pub fn freshness_word(value: i32) -> &'static str {
    match pb::Freshness::try_from(value) {
        Ok(pb::Freshness::Fresh) => "fresh",
        Ok(pb::Freshness::Aging) => "aging",
        Ok(pb::Freshness::Stale) => "stale",
        _ => "unknown",
    }
}

/// A table cell for a model's freshness: the word (never colour alone), the age, and what it rests on
/// in the title.
pub fn freshness_cell(freshness: Option<&pb::ModelFreshness>, sources: &[String]) -> Markup {
    let Some(freshness) = freshness else {
        return html! { td class="freshness unknown" data-freshness="unknown" { "unknown" } };
    };
    let word = freshness_word(freshness.overall);
    let parts: Vec<(&str, Option<&pb::FreshnessInfo>)> = vec![
        ("benchmarks", freshness.benchmarks.as_ref()),
        ("performance", freshness.performance.as_ref()),
        ("pricing", freshness.pricing.as_ref()),
    ];
    let oldest = parts
        .iter()
        .filter_map(|(_, info)| info.and_then(|info| info.age_days))
        .max();
    let mut title: Vec<String> = parts
        .iter()
        .filter_map(|(what, info)| {
            let info = (*info)?;
            let age = info.age_days?;
            Some(format!(
                "{what}: {age} d old ({}), {}",
                info.newest_snapshot_date,
                freshness_word(info.freshness)
            ))
        })
        .collect();
    if !sources.is_empty() {
        title.push(format!("sources: {}", sources.join(", ")));
    }
    html! {
        td class=(format!("freshness {word}")) data-freshness=(word) title=(title.join("; ")) {
            (word)
            @if let Some(age) = oldest { " " span class="age" { (age) " d" } }
        }
    }
}

/// A number with `decimals` decimals, or an en dash when absent.
pub fn number(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(value) if value.is_finite() => format!("{value:.decimals$}"),
        _ => "–".to_owned(),
    }
}

/// A value with its 95% interval underneath when it has one.
pub fn with_interval(value: Option<f64>, low: Option<f64>, high: Option<f64>) -> Markup {
    html! {
        (number(value, 1))
        @if let (Some(low), Some(high)) = (low, high) {
            br; span class="interval" title="95% interval" { (number(Some(low), 1)) "–" (number(Some(high), 1)) }
        }
    }
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The link to a model's page.
pub fn model_href(id: &str) -> String {
    format!("/models/{}", encode(id))
}

/// A timestamp as `YYYY-MM-DD HH:MM UTC`, or an en dash.
pub fn time(value: Option<&prost_types::Timestamp>) -> String {
    value
        .and_then(|value| {
            chrono::DateTime::from_timestamp(value.seconds, value.nanos.max(0) as u32)
        })
        .map(|time| time.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "–".to_owned())
}

/// `value` or an en dash when empty.
pub fn or_dash(value: &str) -> &str {
    if value.is_empty() { "–" } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_model_ids_for_paths() {
        assert_eq!(model_href("openai/gpt-4o"), "/models/openai%2Fgpt-4o");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn a_freshness_cell_says_the_word_and_the_age() {
        let freshness = pb::ModelFreshness {
            benchmarks: Some(pb::FreshnessInfo {
                freshness: pb::Freshness::Aging as i32,
                newest_snapshot_date: "2026-11-20".into(),
                age_days: Some(12),
            }),
            overall: pb::Freshness::Aging as i32,
            ..Default::default()
        };
        let cell = freshness_cell(Some(&freshness), &["lmarena".to_owned()]).into_string();
        assert!(cell.contains(r#"data-freshness="aging""#), "{cell}");
        assert!(cell.contains("aging"));
        assert!(cell.contains("12 d"));
        assert!(cell.contains("sources: lmarena"));
    }
}
