//! `/sources`: every upstream source with its schedule, runs, freshness and availability; the
//! "Latest" card; the ingestion history; and the admin's Re-fetch (dry run, confirm, result banner).

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use benchhub_proto::pb;
use maud::{Markup, html};

use crate::AppState;
use crate::html::{Nav, Page, banner, error_page, layout, model_href, or_dash, time};
use crate::rpc::{PageError, request};
use crate::session::{Flash, Session};

fn availability(value: i32) -> &'static str {
    match pb::Availability::try_from(value) {
        Ok(pb::Availability::Live) => "live",
        Ok(pb::Availability::Seed) => "seed",
        Ok(pb::Availability::Unavailable) => "disabled",
        _ => "unknown",
    }
}

/// `manual`, `scheduled`, `start-up` or `detect`.
pub fn trigger(value: i32) -> &'static str {
    match pb::Trigger::try_from(value) {
        Ok(pb::Trigger::Manual) => "manual",
        Ok(pb::Trigger::Schedule) => "scheduled",
        Ok(pb::Trigger::Startup) => "start-up",
        Ok(pb::Trigger::Detect) => "detect",
        _ => "–",
    }
}

/// The word for an ingestion run's status.
pub fn status(value: i32) -> &'static str {
    match pb::RunStatus::try_from(value) {
        Ok(pb::RunStatus::Running) => "running",
        Ok(pb::RunStatus::Succeeded) => "succeeded",
        Ok(pb::RunStatus::Failed) => "failed",
        Ok(pb::RunStatus::Skipped) => "unchanged",
        Ok(pb::RunStatus::Partial) => "partial",
        _ => "–",
    }
}

/// `GET /sources`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = state.session(&headers);
    let flash = session
        .as_ref()
        .and_then(|(id, _)| state.sessions.take_flash(id));
    let session = session.map(|(_, session)| session);
    // The four questions are independent: ask them at once.
    let sources = async {
        state
            .services
            .ingest()
            .list_sources(request(
                pb::ListSourcesRequest {
                    page_size: 100,
                    ..Default::default()
                },
                session.as_ref(),
            ))
            .await
    };
    let latest = async {
        state
            .services
            .rankings()
            .get_latest_model(request(
                pb::GetLatestModelRequest::default(),
                session.as_ref(),
            ))
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| PageError::from_status("rankings", &status))
    };
    let history = async {
        match &session {
            Some(session) => Some(
                state
                    .services
                    .ingest()
                    .list_ingestion_runs(request(
                        pb::ListIngestionRunsRequest {
                            page_size: 30,
                            ..Default::default()
                        },
                        Some(session),
                    ))
                    .await
                    .map(|response| response.into_inner().runs)
                    .map_err(|status| PageError::from_status("ingest", &status)),
            ),
            None => None,
        }
    };
    let unmatched = async {
        match &session {
            Some(session) => Some(crate::pages::catalog::unmatched_section(&state, session).await),
            None => None,
        }
    };
    let (sources, latest, history, unmatched) = tokio::join!(sources, latest, history, unmatched);
    let sources = match sources {
        Ok(response) => response.into_inner().sources,
        Err(status) => {
            return match PageError::from_status("ingest", &status) {
                PageError::SignIn => crate::pages::login::redirect_to_login(),
                error => error_page(&error, session.as_ref()).into_response(),
            };
        }
    };
    Page {
        status: StatusCode::OK,
        body: layout(
            "Sources",
            Nav::Sources,
            session.as_ref(),
            flash.as_ref(),
            html! {
                (content(session.as_ref(), &sources, &latest, history.as_ref()))
                @if let Some(unmatched) = unmatched { (unmatched) }
            },
        ),
    }
    .into_response()
}

fn content(
    session: Option<&Session>,
    sources: &[pb::Source],
    latest: &Result<pb::GetLatestModelResponse, PageError>,
    history: Option<&Result<Vec<pb::IngestionRun>, PageError>>,
) -> Markup {
    let admin = session.is_some_and(|session| session.admin);
    html! {
        h1 { "Sources" }
        (latest_card(latest))
        @if admin {
            @if let Some(session) = session {
                form method="post" action="/sources/reingest-all" class="toolbar" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    label class="check" { input type="checkbox" name="dry_run" value="1"; " Dry run (write nothing)" }
                    " " button type="submit" { "Re-ingest all" }
                }
            }
        }
        table class="sources" {
            caption { "Every upstream source benchhub reads. Disabled sources stay listed with the reason." }
            thead { tr {
                th scope="col" { "Source" } th scope="col" { "Status" } th scope="col" { "Schedule" }
                th scope="col" { "Last run" } th scope="col" { "Next run" } th scope="col" { "Newest snapshot" }
                th scope="col" { "Data up to" } th scope="col" { "Models" } th scope="col" { "Unmatched" }
                @if admin { th scope="col" { "Action" } }
            } }
            tbody {
                @for source in sources {
                    @let word = availability(source.availability);
                    @let disabled = word == "disabled";
                    tr class=(if disabled { "disabled" } else { "" }) {
                        th scope="row" { (or_dash(&source.display_name)) br; span class="id" { (source.name) } }
                        td {
                            span class=(format!("state {word}")) { (word) }
                            @if source.stale { " " span class="state stale" data-freshness="stale" { "stale" } }
                            @if !source.availability_reason.is_empty() { br; span class="reason" { (source.availability_reason) } }
                            @if source.stale && !source.stale_reason.is_empty() { br; span class="reason" { (source.stale_reason) } }
                            @if source.secret_required && !source.secret_configured { br; span class="reason" { "needs " (source.secret_env_var) } }
                        }
                        td { (or_dash(&source.schedule)) @if !source.ttl.is_empty() { br; span class="reason" { "fresh for " (source.ttl) } } }
                        td {
                            @if let Some(run) = &source.last_run {
                                (status(run.status)) " (" (trigger(run.trigger)) ")" br;
                                span class="reason" { (time(run.started_at.as_ref())) }
                                @if !run.error.is_empty() { br; span class="reason" { (run.error) } }
                            } @else { "never" }
                        }
                        td { (time(source.next_run_at.as_ref())) }
                        td { (or_dash(&source.newest_snapshot_date)) }
                        td { (or_dash(&source.newest_data_date)) }
                        td class="num" { (source.models_found) }
                        td class="num" { (source.models_unmatched) }
                        @if admin {
                            td {
                                @if !disabled {
                                    @if let Some(session) = session {
                                        form method="post" action=(format!("/sources/{}/refetch", crate::html::encode(&source.name))) {
                                            input type="hidden" name="csrf" value=(session.csrf);
                                            button type="submit" aria-label=(format!("Re-fetch {}", source.name)) { "Re-fetch" }
                                        }
                                        @if word == "live" {
                                            form method="post" action=(format!("/sources/{}/detect", crate::html::encode(&source.name))) {
                                                input type="hidden" name="csrf" value=(session.csrf);
                                                button type="submit" class="secondary" aria-label=(format!("Detect new models at {}", source.name)) { "Detect new" }
                                            }
                                        }
                                    }
                                } @else { span class="reason" { "disabled" } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="history-heading" {
            h2 id="history-heading" { "Ingestion history" }
            @match history {
                None => { p { a href="/login" { "Sign in" } " to see the ingestion history." } }
                Some(Err(error)) => { (banner("warn", "The ingestion history is unavailable", &[error.message()])) }
                Some(Ok(runs)) => { (history_table(runs)) }
            }
        }
    }
}

fn latest_card(latest: &Result<pb::GetLatestModelResponse, PageError>) -> Markup {
    html! {
        @match latest {
            Ok(latest) => {
                @if let Some(model) = &latest.model {
                    div class="card latest" {
                        span class="label" { "Latest" }
                        p { a href=(model_href(&model.id)) { (or_dash(&model.display_name)) }
                            " (" (latest.days_ago) (if latest.days_ago == 1 { " day ago" } else { " days ago" }) ")" }
                        p class="reason" { "first ingested " (time(latest.ingested_at.as_ref())) @if !latest.source.is_empty() { " from " (latest.source) } }
                    }
                }
            }
            Err(PageError::NotFound(_)) => { div class="card latest" { span class="label" { "Latest" } p { "No model ingested yet." } } }
            Err(_) => { div class="card latest" { span class="label" { "Latest" } p { "Unavailable: the rankings service did not answer." } } }
        }
    }
}

fn history_table(runs: &[pb::IngestionRun]) -> Markup {
    html! {
        table class="history" {
            caption { "The newest ingestion runs: manual, scheduled, start-up and detect runs told apart." }
            thead { tr {
                th scope="col" { "Started" } th scope="col" { "Source" } th scope="col" { "Trigger" } th scope="col" { "By" }
                th scope="col" { "Status" } th scope="col" { "Fetched" } th scope="col" { "Inserted" } th scope="col" { "Unmatched" }
                th scope="col" { "Failed" } th scope="col" { "Took" } th scope="col" { "Error" }
            } }
            tbody {
                @for run in runs {
                    tr class=(format!("run {}", status(run.status))) {
                        td { (time(run.started_at.as_ref())) }
                        th scope="row" { (run.source) }
                        td { (trigger(run.trigger)) }
                        td { (or_dash(&run.actor)) }
                        td { (status(run.status)) }
                        td class="num" { (run.fetched) } td class="num" { (run.inserted) } td class="num" { (run.unmatched) } td class="num" { (run.failed) }
                        td class="num" { (format!("{:.1} s", run.duration_ms as f64 / 1000.0)) }
                        td { (or_dash(&run.error)) }
                    }
                }
            }
        }
        @if runs.is_empty() { p class="empty" { "No ingestion has run yet." } }
    }
}

/// The form fields of a Re-fetch: `csrf` and, on the second step, `confirm=1`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RefetchForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// Present on the confirmed (real) run.
    #[serde(default)]
    pub confirm: Option<String>,
}

fn counts(result: &pb::IngestResult) -> Vec<String> {
    let mut lines = vec![format!(
        "fetched {} · inserted {} · updated {} · unmatched {} · failed {} · {:.1} s",
        result.fetched,
        result.inserted,
        result.updated,
        result.unmatched,
        result.failed,
        result.duration_ms as f64 / 1000.0
    )];
    if !result.snapshot_date.is_empty() {
        lines.push(format!("snapshot {}", result.snapshot_date));
    }
    if !result.error.is_empty() {
        lines.push(format!("error: {}", result.error));
    }
    for failure in result.document_failures.iter().take(5) {
        lines.push(format!("{}: {}", failure.document, failure.error));
    }
    lines
}

/// `POST /sources/{source}/refetch`: without `confirm`, a dry run shown for confirmation; with it, the
/// real run, then back to `/sources` with the result banner.
pub async fn refetch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(source): Path<String>,
    Form(form): Form<RefetchForm>,
) -> Response {
    let (id, session) = match state.post_session(&headers, &form.csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let confirmed = form.confirm.is_some();
    let mut ingest = state.services.ingest();
    let outcome = ingest
        .reingest_source(request(
            pb::ReingestSourceRequest {
                source: source.clone(),
                dry_run: !confirmed,
            },
            Some(&session),
        ))
        .await;
    let result = match outcome {
        Ok(response) => response.into_inner().result.unwrap_or_default(),
        Err(status) => {
            let error = PageError::from_status("ingest", &status);
            if confirmed {
                let message = error.message();
                state.sessions.set_flash(
                    &id,
                    Flash {
                        kind: "error",
                        title: format!("Re-fetch of {source} failed"),
                        lines: vec![message],
                    },
                );
                return Redirect::to("/sources").into_response();
            }
            return error_page(&error, Some(&session)).into_response();
        }
    };
    if confirmed {
        let failed = !result.error.is_empty() || result.status == pb::RunStatus::Failed as i32;
        state.sessions.set_flash(
            &id,
            Flash {
                kind: if failed { "error" } else { "ok" },
                title: format!("Re-fetch of {source}: {}", status(result.status)),
                lines: counts(&result),
            },
        );
        return Redirect::to("/sources").into_response();
    }
    // The dry run: what a real run would do, then Confirm or Cancel.
    let body = layout(
        "Confirm re-fetch",
        Nav::Sources,
        Some(&session),
        None,
        html! {
            h1 { "Re-fetch " (source) "?" }
            (banner(if result.error.is_empty() { "ok" } else { "warn" }, "Dry run: nothing was written", &counts(&result)))
            form method="post" action=(format!("/sources/{}/refetch", crate::html::encode(&source))) class="confirm" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="confirm" value="1";
                button type="submit" { "Confirm re-fetch" }
                " "
                a href="/sources" { "Cancel" }
            }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
    }
    .into_response()
}
