//! The admin actions of `/sources` beyond Re-fetch: Re-ingest all with live per-source progress,
//! unmatched upstream names with suggested aliases and an "add alias" action, and detecting new models.

use std::convert::Infallible;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use benchhub_proto::pb;
use futures::StreamExt as _;
use maud::{Markup, html};

use crate::AppState;
use crate::html::{Nav, Page, banner, encode, error_page, layout, model_href, time};
use crate::pages::sources::status;
use crate::rpc::{PageError, request};
use crate::session::{Flash, Session};

/// The unmatched-names section of `/sources` (any signed-in token may read it; admins may act).
pub async fn unmatched_section(state: &AppState, session: &Session) -> Markup {
    let answer = state
        .services
        .ingest()
        .list_unmatched_models(request(
            pb::ListUnmatchedModelsRequest {
                page_size: 50,
                ..Default::default()
            },
            Some(session),
        ))
        .await;
    let models = match answer {
        Ok(response) => response.into_inner(),
        Err(status) => {
            let error = PageError::from_status("ingest", &status);
            return html! { (banner("warn", "Unmatched names are unavailable", &[error.message()])) };
        }
    };
    html! {
        section aria-labelledby="unmatched-heading" id="unmatched" {
            h2 id="unmatched-heading" { "Unmatched upstream names (" (models.total_size) ")" }
            p class="reason" { "Names a source publishes that match no model in the catalog. An alias links a name to a model; its stored values are re-linked at once." }
            @if models.models.is_empty() { p class="empty" { "Every upstream name is matched." } }
            @else {
                table {
                    thead { tr { th scope="col" { "Source" } th scope="col" { "Upstream name" } th scope="col" { "Values" } th scope="col" { "Last seen" } th scope="col" { "Suggested models" } } }
                    tbody {
                        @for model in &models.models {
                            tr {
                                td { (model.source) }
                                th scope="row" { (model.source_model_name) }
                                td class="num" { (model.observation_count) }
                                td { (time(model.last_seen_at.as_ref())) }
                                td {
                                    @if model.candidates.is_empty() { span class="reason" { "no close match" } }
                                    @for candidate in &model.candidates {
                                        @let target = candidate.model.clone().unwrap_or_default();
                                        div class="candidate" {
                                            a href=(model_href(&target.id)) { (target.id) }
                                            " " span class="reason" { (format!("{:.0}% similar", candidate.similarity * 100.0)) }
                                            @if session.admin {
                                                form method="post" action="/sources/aliases" class="inline" {
                                                    input type="hidden" name="csrf" value=(session.csrf);
                                                    input type="hidden" name="source" value=(model.source);
                                                    input type="hidden" name="alias" value=(model.source_model_name);
                                                    input type="hidden" name="model_id" value=(target.id);
                                                    " " button type="submit" aria-label=(format!("Add alias {} for {}", model.source_model_name, target.id)) { "Add alias" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The add-alias form.
#[derive(Debug, serde::Deserialize)]
pub struct AliasForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    alias: String,
    #[serde(default)]
    model_id: String,
}

/// `POST /sources/aliases`.
pub async fn add_alias(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AliasForm>,
) -> Response {
    let (id, session) = match state.post_session(&headers, &form.csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let answer = state
        .services
        .ingest()
        .add_model_alias(request(
            pb::AddModelAliasRequest {
                source: form.source.clone(),
                alias: form.alias.clone(),
                model_id: form.model_id.clone(),
            },
            Some(&session),
        ))
        .await;
    let flash = match answer {
        Ok(response) => Flash {
            kind: "ok",
            title: format!("“{}” is now an alias of {}", form.alias, form.model_id),
            lines: vec![format!(
                "{} stored values re-linked.",
                response.into_inner().relinked_observations
            )],
        },
        Err(status) => Flash {
            kind: "error",
            title: "The alias was not added".to_owned(),
            lines: vec![PageError::from_status("ingest", &status).message()],
        },
    };
    state.sessions.set_flash(&id, flash);
    Redirect::to("/sources#unmatched").into_response()
}

/// The detect form.
#[derive(Debug, serde::Deserialize)]
pub struct DetectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    auto_ingest: Option<String>,
}

/// `POST /sources/{source}/detect`: the source's upstream models that are new to benchhub (and, with
/// `auto_ingest`, an ingest of them).
pub async fn detect(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(source): Path<String>,
    Form(form): Form<DetectForm>,
) -> Response {
    let (_, session) = match state.post_session(&headers, &form.csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let answer = state
        .services
        .ingest()
        .detect_new_models(request(
            pb::DetectNewModelsRequest {
                source: source.clone(),
                auto_ingest: form.auto_ingest.is_some(),
            },
            Some(&session),
        ))
        .await;
    let detected = match answer {
        Ok(response) => response.into_inner(),
        Err(status) => {
            return match PageError::from_status("ingest", &status) {
                PageError::SignIn => crate::pages::login::redirect_to_login(),
                error => error_page(&error, Some(&session)).into_response(),
            };
        }
    };
    let body = layout(
        "New models",
        Nav::Sources,
        Some(&session),
        None,
        html! {
            nav aria-label="Breadcrumb" class="crumbs" { a href="/sources" { "Sources" } " › detect " (source) }
            h1 { "New models at " (source) }
            p class="summary" { (detected.upstream_count) " models upstream, " (detected.known_count) " already known, " (detected.new_model_names.len()) " new." }
            @if detected.new_model_names.is_empty() { p class="empty" { "Nothing new." } }
            @else { ul { @for name in &detected.new_model_names { li { (name) } } } }
            @if let Some(result) = &detected.ingest_result {
                (banner("ok", &format!("Ingested: {}", status(result.status)), &[format!("fetched {} · inserted {} · unmatched {}", result.fetched, result.inserted, result.unmatched)]))
            } @else if !detected.new_model_names.is_empty() {
                form method="post" action=(format!("/sources/{}/detect", encode(&source))) {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="auto_ingest" value="1";
                    button type="submit" { "Ingest them now" }
                }
            }
            p { a href="/sources" { "Back to the sources" } }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
    }
    .into_response()
}

/// The Re-ingest-all form.
#[derive(Debug, serde::Deserialize)]
pub struct ReingestAllForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    dry_run: Option<String>,
}

/// One source's line in the progress list (also sent whole over SSE).
pub fn result_item(result: &pb::IngestResult) -> Markup {
    let word = if result.error.is_empty() {
        status(result.status)
    } else {
        "failed"
    };
    html! {
        li class=(format!("run {word}")) {
            strong { (result.source) } ": " span class="state" { (word) }
            " · fetched " (result.fetched) " · inserted " (result.inserted) " · unmatched " (result.unmatched)
            " · failed " (result.failed) " · " (format!("{:.1} s", result.duration_ms as f64 / 1000.0))
            @if !result.error.is_empty() { br; span class="reason" { (result.error) } }
        }
    }
}

/// `POST /sources/reingest-all`: starts ReingestAll as a job of this session (it keeps running if the
/// tab closes) and goes to its page.
pub async fn reingest_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ReingestAllForm>,
) -> Response {
    let (id, session) = match state.post_session(&headers, &form.csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let dry_run = form.dry_run.is_some();
    let answer = state
        .services
        .ingest_streaming()
        .reingest_all(request(
            pb::ReingestAllRequest {
                dry_run,
                sources: Vec::new(),
                max_concurrency: 0,
            },
            Some(&session),
        ))
        .await;
    match answer {
        Ok(response) => {
            let job = state.jobs.start(&id, dry_run, response.into_inner());
            Redirect::to(&format!("/sources/reingest/{job}")).into_response()
        }
        Err(status) => match PageError::from_status("ingest", &status) {
            PageError::SignIn => crate::pages::login::redirect_to_login(),
            error => error_page(&error, Some(&session)).into_response(),
        },
    }
}

/// The signed-in session and its job `job_id`: the login page without a session, 404 when the job
/// is not this session's (or is older than an hour).
#[allow(clippy::result_large_err)]
fn session_job(
    state: &AppState,
    headers: &HeaderMap,
    job_id: &str,
) -> Result<(Session, std::sync::Arc<crate::jobs::Job>), Response> {
    let Some((id, session)) = state.session(headers) else {
        return Err(crate::pages::login::redirect_to_login());
    };
    match state.jobs.get(job_id, &id) {
        Some(job) => Ok((session, job)),
        None => Err(error_page(
            &PageError::NotFound(
                "No re-ingest of this session has that id (jobs are kept for an hour).".to_owned(),
            ),
            Some(&session),
        )
        .into_response()),
    }
}

/// `GET /sources/reingest/{job}`: the results so far; while it runs, the page follows it over SSE.
pub async fn reingest_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    let (session, job) = match session_job(&state, &headers, &job_id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let progress = job.snapshot();
    let running = progress.finished.is_none();
    let body = layout(
        "Re-ingest all",
        Nav::Sources,
        Some(&session),
        None,
        html! {
            nav aria-label="Breadcrumb" class="crumbs" { a href="/sources" { "Sources" } " › re-ingest all" }
            h1 { "Re-ingest all" @if job.dry_run { " (dry run)" } }
            p class="reason" { "Each source appears as it finishes. The run goes on if you leave this page." }
            ol id="job-results" class="progress-list" aria-live="polite"
                data-events=(if running { format!("/sources/reingest/{}/events", encode(&job_id)) } else { String::new() }) {
                @for result in &progress.results { (result_item(result)) }
            }
            p id="job-state" role="status" {
                @match &progress.finished {
                    None => { "Running…" }
                    Some(ending) if ending.is_empty() => { strong { "Done." } " " (progress.results.len()) " sources." }
                    Some(ending) => { strong { "Stopped early: " } (ending) }
                }
            }
            p { a href="/sources" { "Back to the sources" } }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
    }
    .into_response()
}

/// `GET /sources/reingest/{job}/events`: `result` events (the line's HTML) as sources finish, then
/// `end`. Results already in when the stream opens are sent first, so nothing is missed.
pub async fn reingest_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    let job = match session_job(&state, &headers, &job_id) {
        Ok((_, job)) => job,
        Err(response) => return response,
    };
    let receiver = job.watch();
    let shutdown = state.shutdown.clone();
    // Each change of the progress becomes the events not yet sent.
    let events = futures::stream::unfold(
        (receiver, 0usize, false),
        |(mut receiver, sent, ended)| async move {
            if ended {
                return None;
            }
            loop {
                let progress = receiver.borrow_and_update().clone();
                if progress.results.len() > sent || progress.finished.is_some() {
                    let mut events: Vec<Event> = progress.results[sent..]
                        .iter()
                        .map(|result| {
                            Event::default()
                                .event("result")
                                .data(result_item(result).into_string())
                        })
                        .collect();
                    let finished = progress.finished.is_some();
                    if let Some(ending) = &progress.finished {
                        let text = if ending.is_empty() {
                            format!("Done. {} sources.", progress.results.len())
                        } else {
                            format!("Stopped early: {ending}")
                        };
                        events.push(Event::default().event("end").data(text));
                    }
                    return Some((
                        futures::stream::iter(events),
                        (receiver, progress.results.len(), finished),
                    ));
                }
                if receiver.changed().await.is_err() {
                    return None;
                }
            }
        },
    )
    .flatten()
    .map(Ok::<Event, Infallible>)
    .take_until(shutdown.cancelled_owned());
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response()
}
