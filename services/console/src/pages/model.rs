//! `/models/{id}`: one model's values per source (interval, date, how its name was matched), its
//! history and its family.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use benchhub_proto::pb;
use maud::{Markup, PreEscaped, html};

use crate::AppState;
use crate::html::{
    Nav, Page, error_page, layout, model_href, number, or_dash, time, with_interval,
};
use crate::pages::rankings::{RankingsForm, free_variant_note, price_text};
use crate::rpc::{PageError, request};

/// Longest model id or alias the page asks about (the rankings service's own limit).
const MAX_ID_CHARS: usize = 300;

/// `GET /models/{id}` (the id URL-encoded, or with its slash as is).
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let session = state.session(&headers).map(|(_, session)| session);
    let id = id.trim_matches('/').to_owned();
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        return error_page(
            &PageError::NotFound("No model has that id.".to_owned()),
            session.as_ref(),
        )
        .into_response();
    }
    let form = RankingsForm::parse(query.as_deref());
    let as_of = form.get("as_of").unwrap_or("").to_owned();
    let mut client = state.services.rankings();
    let model = client
        .get_model(request(
            pb::GetModelRequest {
                model: id.clone(),
                as_of: as_of.clone(),
            },
            session.as_ref(),
        ))
        .await;
    let model = match model {
        Ok(model) => model.into_inner(),
        Err(status) => {
            return match PageError::from_status("rankings", &status) {
                PageError::SignIn => crate::pages::login::redirect_to_login(),
                PageError::NotFound(_) => error_page(
                    &PageError::NotFound(format!(
                        "No model is called '{}'. Search the rankings for it.",
                        id.chars().take(80).collect::<String>()
                    )),
                    session.as_ref(),
                )
                .into_response(),
                error => error_page(&error, session.as_ref()).into_response(),
            };
        }
    };
    let canonical = model.model.clone().unwrap_or_default();
    // History is a second, smaller question: without it the page still shows the values.
    let history = client
        .get_model_history(request(
            pb::GetModelHistoryRequest {
                model: canonical.id.clone(),
                ..Default::default()
            },
            session.as_ref(),
        ))
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| PageError::from_status("rankings", &status));
    let title = if canonical.display_name.is_empty() {
        canonical.id.clone()
    } else {
        canonical.display_name.clone()
    };
    Page {
        status: StatusCode::OK,
        body: layout(
            &title,
            Nav::Rankings,
            session.as_ref(),
            None,
            content(&model, history.as_ref().ok(), history.as_ref().err()),
        ),
    }
    .into_response()
}

fn content(
    model: &pb::GetModelResponse,
    history: Option<&pb::GetModelHistoryResponse>,
    history_error: Option<&PageError>,
) -> Markup {
    let info = model.model.clone().unwrap_or_default();
    let scores = model.scores.unwrap_or_default();
    let (price_in, price_out) = price_text(model.price.as_ref());
    html! {
        nav aria-label="Breadcrumb" class="crumbs" { a href="/" { "Rankings" } " › " (info.id) }
        h1 { (or_dash(&info.display_name)) " " span class="id" { (info.id) } }
        p class="summary" {
            "By " (or_dash(&info.creator)) " · family " (or_dash(&info.family))
            " · released " (or_dash(&info.release_date))
            @if let Some(context) = info.context_length { " · " (context) " tokens of context" }
            @if let Some(open) = info.open_weights { " · " (if open { "open weights" } else { "closed weights" }) }
            " · as of " (or_dash(&model.as_of))
        }
        @if info.provisional {
            p class="banner warn" role="status" { "Provisional: known from one source only so far." }
        }
        section aria-labelledby="scores-heading" {
            h2 id="scores-heading" { "Scores" }
            dl class="cards" {
                div { dt { "Rank" } dd {
                    @if let Some(rank) = model.rank { (rank) } @else { "–" }
                    @if let (Some(best), Some(worst)) = (model.rank_best, model.rank_worst) {
                        @if best != worst { br; span class="interval" { "likely " (best) "–" (worst) } }
                    }
                } }
                div { dt { "Overall" } dd { (with_interval(scores.overall, scores.overall_low, scores.overall_high)) } }
                div { dt { "Coding" } dd { (with_interval(scores.coding, scores.coding_low, scores.coding_high)) br; span class="interval" { (model.coding_benchmarks) " benchmarks" } } }
                div { dt { "Performance" } dd { (number(scores.performance, 1)) } }
                div { dt { "Value" } dd { (number(scores.value, 1)) } }
                div { dt { "$ in / out per M" } dd { (price_in) " / " (price_out) (free_variant_note(model.price.as_ref())) } }
            }
        }
        section aria-labelledby="values-heading" {
            h2 id="values-heading" { "Values per source" }
            table {
                caption { "Every upstream number, as published, with its 95% interval where the source gives one." }
                thead { tr {
                    th scope="col" { "Source" } th scope="col" { "Category" } th scope="col" { "Metric" }
                    th scope="col" { "Value" } th scope="col" { "95% interval" } th scope="col" { "Samples" }
                    th scope="col" { "Snapshot" } th scope="col" { "Data date" } th scope="col" { "Upstream name" } th scope="col" { "Matched by" }
                } }
                tbody {
                    @for metric in &model.metrics {
                        tr {
                            td { (metric.source) } td { (metric.category) }
                            th scope="row" { (metric.metric) }
                            td class="num" { (number(Some(metric.value), 2)) " " (metric.unit) }
                            td class="num" {
                                @if let (Some(low), Some(high)) = (metric.ci_low, metric.ci_high) { (number(Some(low), 2)) "–" (number(Some(high), 2)) } @else { "–" }
                            }
                            td class="num" { @if let Some(samples) = metric.sample_size { (samples) } @else { "–" } }
                            td class="nowrap" { (or_dash(&metric.snapshot_date)) }
                            td class="nowrap" { (or_dash(&metric.data_date)) }
                            td { (or_dash(&metric.source_model_name)) }
                            td { (or_dash(&metric.match_method)) }
                        }
                    }
                }
            }
            @if model.metrics.is_empty() { p class="empty" { "No benchmark has a value for this model." } }
        }
        @if !model.matches.is_empty() {
            section aria-labelledby="matches-heading" {
                h2 id="matches-heading" { "How upstream names were matched" }
                ul {
                    @for matched in &model.matches {
                        li { strong { (matched.source) } ": “" (matched.source_model_name) "” by " (matched.method)
                            @if !matched.detail.is_empty() { " (" (matched.detail) ")" } }
                    }
                }
            }
        }
        @if !model.prices.is_empty() {
            section aria-labelledby="prices-heading" {
                h2 id="prices-heading" { "Prices" }
                table {
                    thead { tr { th scope="col" { "Source" } th scope="col" { "$ in / M" } th scope="col" { "$ out / M" } th scope="col" { "Snapshot" } th scope="col" { "Upstream name" } } }
                    tbody {
                        @for price in &model.prices {
                            @let (input, output) = price_text(Some(price));
                            tr { th scope="row" { (price.source) } td class="num" { (input) } td class="num" { (output) } td class="nowrap" { (or_dash(&price.snapshot_date)) } td { (or_dash(&price.source_model_name)) } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="history-heading" {
            h2 id="history-heading" { "History" }
            @match (history, history_error) {
                (Some(history), _) => { (history_section(history)) }
                (None, Some(error)) => { p class="banner warn" role="status" { "History is unavailable: " (error.message()) } }
                _ => {}
            }
        }
        section aria-labelledby="family-heading" {
            h2 id="family-heading" { "Family" }
            @if model.siblings.is_empty() { p { "No other model of this family is known." } }
            @else {
                ul { @for sibling in &model.siblings { li { a href=(model_href(&sibling.id)) { (or_dash(&sibling.display_name)) } " " span class="id" { (sibling.id) } } } }
            }
        }
        @if !model.aliases.is_empty() {
            section aria-labelledby="aliases-heading" {
                h2 id="aliases-heading" { "Aliases" }
                ul { @for alias in &model.aliases { li { (alias.alias) " (" (alias.source) ", " (time(alias.created_at.as_ref())) ")" } } }
            }
        }
    }
}

fn history_section(history: &pb::GetModelHistoryResponse) -> Markup {
    match crate::charts::history_svg(history) {
        Some(svg) => html! {
            figure class="chart" {
                (PreEscaped(svg))
                figcaption { "Each source's values over time; bars are published 95% intervals." }
            }
            (history_table(history))
        },
        None => html! { p class="empty" { "No history yet." } },
    }
}

fn history_table(history: &pb::GetModelHistoryResponse) -> Markup {
    html! {
        details {
            summary { "History as a table" }
            table {
                thead { tr { th scope="col" { "Source" } th scope="col" { "Metric" } th scope="col" { "Snapshot" } th scope="col" { "Value" } th scope="col" { "95% interval" } } }
                tbody {
                    @for series in &history.series {
                        @for point in &series.points {
                            tr {
                                td { (series.source) } th scope="row" { (series.category) "." (series.metric) }
                                td class="nowrap" { (point.snapshot_date) }
                                td class="num" { (number(Some(point.value), 2)) " " (series.unit) }
                                td class="num" { @if let (Some(low), Some(high)) = (point.ci_low, point.ci_high) { (number(Some(low), 2)) "–" (number(Some(high), 2)) } @else { "–" } }
                            }
                        }
                    }
                }
            }
        }
    }
}
