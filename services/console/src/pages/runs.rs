//! `/runs/{id}`: a benchmark run with live progress (Server-Sent Events at `/runs/{id}/events`, fed
//! by WatchRun), its results with outputs, notes and errors, the models' statistics and ratings with
//! intervals, and a comparison with another run (`/runs/{id}/compare?with=…`).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use benchhub_proto::pb;
use futures::StreamExt as _;
use maud::{Markup, PreEscaped, html};

use crate::AppState;
use crate::html::{Nav, Page, banner, encode, error_page, layout, number};
use crate::pages::rankings::RankingsForm;
use crate::pages::suites::{best_sentence, usd};
use crate::pages::{fail, require_session};
use crate::rpc::{PageError, request};

/// The word for a benchmark run's status.
pub fn status_word(value: i32) -> &'static str {
    match pb::BenchmarkRunStatus::try_from(value) {
        Ok(pb::BenchmarkRunStatus::Pending) => "PENDING",
        Ok(pb::BenchmarkRunStatus::Running) => "RUNNING",
        Ok(pb::BenchmarkRunStatus::Completed) => "COMPLETED",
        Ok(pb::BenchmarkRunStatus::Failed) => "FAILED",
        Ok(pb::BenchmarkRunStatus::Cancelled) => "CANCELLED",
        _ => "–",
    }
}

fn ended(value: i32) -> bool {
    matches!(
        pb::BenchmarkRunStatus::try_from(value),
        Ok(pb::BenchmarkRunStatus::Completed
            | pb::BenchmarkRunStatus::Failed
            | pb::BenchmarkRunStatus::Cancelled)
    )
}

/// `GET /runs/{id}`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
) -> Response {
    let session = match require_session(&state, &headers) {
        Ok((_, session)) => session,
        Err(response) => return response,
    };
    let mut runner = state.services.runner();
    let run = match runner
        .get_run(request(
            pb::GetRunRequest {
                run_id: run_id.clone(),
            },
            Some(&session),
        ))
        .await
    {
        Ok(response) => response.into_inner().run.unwrap_or_default(),
        Err(status) => return fail(PageError::from_status("runner", &status), &session),
    };
    let results = runner
        .list_run_results(request(
            pb::ListRunResultsRequest {
                run_id: run.id.clone(),
                page_size: 200,
                ..Default::default()
            },
            Some(&session),
        ))
        .await
        .map(|response| response.into_inner().results)
        .unwrap_or_default();
    let title = format!("Run {}", run.id.chars().take(8).collect::<String>());
    Page {
        status: StatusCode::OK,
        body: layout(
            &title,
            Nav::Suites,
            Some(&session),
            None,
            content(&run, &results),
        ),
    }
    .into_response()
}

fn content(run: &pb::Run, results: &[pb::BenchmarkResult]) -> Markup {
    let counts = run.counts.unwrap_or_default();
    let live = !ended(run.status);
    html! {
        nav aria-label="Breadcrumb" class="crumbs" {
            a href="/suites" { "Suites" } " › "
            a href=(format!("/suites/{}", encode(&run.suite_id))) { "suite" } " › run"
        }
        h1 { "Run " span class="id" { (run.id) } @if !run.label.is_empty() { " " (run.label) } }
        section id="live" aria-live="polite" data-events=(if live { format!("/runs/{}/events", encode(&run.id)) } else { String::new() }) {
            dl class="cards" {
                div { dt { "Status" } dd id="run-status" data-status=(status_word(run.status)) { (status_word(run.status)) } }
                div { dt { "Done" } dd { span id="run-done" { (counts.done) } " / " span id="run-total" { (counts.total) } } }
                div { dt { "Failed" } dd id="run-failed" { (counts.failed) } }
                div { dt { "Cost so far" } dd id="run-cost" { (usd(run.cost_micro_usd)) } }
                div { dt { "ETA" } dd id="run-eta" { @if live { "…" } @else { "–" } } }
            }
            progress id="run-progress" max=(counts.total.max(1)) value=(counts.done + counts.failed) { (counts.done) " of " (counts.total) }
            p id="run-providers" class="reason" {}
            @if live { p class="reason" { "This page follows the run live; it reloads with the results when the run ends." } }
        }
        @if !run.error.is_empty() { (banner("error", "The run failed", std::slice::from_ref(&run.error))) }
        @if run.budget_exhausted { (banner("warn", "The budget ran out", &["Calls stopped when the budget was spent; the results so far are kept.".to_owned()])) }
        @if let Some(sentence) = best_sentence(&run.best_model, &run.tied_for_best, run.best_versus_runner_up.as_ref()) {
            p class="verdict" { (sentence) }
        }
        (model_stats(run))
        (ratings(run))
        (quality_cost_chart(run))
        section aria-labelledby="compare-heading" {
            h2 id="compare-heading" { "Compare with another run" }
            form method="get" action=(format!("/runs/{}/compare", encode(&run.id))) {
                label for="compare-with" { "Other run id " }
                input id="compare-with" type="text" name="with" required size="40";
                " " button type="submit" { "Compare" }
            }
        }
        section aria-labelledby="results-heading" {
            h2 id="results-heading" { "Results" }
            table class="results" {
                thead { tr {
                    th scope="col" { "Model" } th scope="col" { "Case" } th scope="col" { "Rep" } th scope="col" { "Quality" }
                    th scope="col" { "Passed" } th scope="col" { "Latency" } th scope="col" { "Cost" } th scope="col" { "Output, notes, errors" }
                } }
                tbody {
                    @for result in results {
                        tr {
                            th scope="row" { (result.model) }
                            td class="id" { (result.case_id.chars().take(8).collect::<String>()) }
                            td class="num" { (result.repetition) }
                            td class="num" { (number(result.quality, 1)) }
                            td { @match result.passed { Some(true) => { "yes" } Some(false) => { "no" } None => { "–" } } }
                            td class="num" { (result.latency_ms) " ms" }
                            td class="num" { (result.cost_micro_usd.map(usd).unwrap_or_else(|| "–".to_owned())) }
                            td {
                                @if !result.error.is_empty() { span class="error" { "error: " (result.error) } br; }
                                @if !result.grading_error.is_empty() { span class="error" { "grading: " (result.grading_error) } br; }
                                details { summary { (shorten(&result.output, 80)) } pre { (result.output) } }
                                @if !result.notes.is_empty() { span class="reason" { (result.notes) } }
                            }
                        }
                    }
                }
            }
            @if results.is_empty() { p class="empty" { "No result yet." } }
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max && text.lines().count() <= 1 {
        line.to_owned()
    } else {
        let mut short: String = line.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

fn model_stats(run: &pb::Run) -> Markup {
    html! {
        section aria-labelledby="models-heading" {
            h2 id="models-heading" { "Models" }
            table {
                caption { "Mean quality and pass rate with 95% intervals." }
                thead { tr { th scope="col" { "Model" } th scope="col" { "Mean quality" } th scope="col" { "Pass rate" } th scope="col" { "Cost" } th scope="col" { "Latency p50 / p95" } th scope="col" { "Results" } th scope="col" { "Failed" } } }
                tbody {
                    @for model in &run.model_stats {
                        tr {
                            th scope="row" { (model.model)
                                @if model.model == run.best_model { " " span class="mark best" { "best" } }
                                @else if run.tied_for_best.contains(&model.model) { " " span class="mark best" { "tied for best" } }
                                @if model.model == run.cheapest_model { " " span class="mark cheapest" { "cheapest" } }
                            }
                            td class="num" { (number(model.mean_quality, 1))
                                @if let (Some(low), Some(high)) = (model.mean_quality_low, model.mean_quality_high) { br; span class="interval" { (number(Some(low), 1)) "–" (number(Some(high), 1)) } } }
                            td class="num" { (number(model.pass_rate.map(|rate| rate * 100.0), 0)) "%"
                                @if let (Some(low), Some(high)) = (model.pass_rate_low, model.pass_rate_high) { br; span class="interval" { (number(Some(low * 100.0), 0)) "–" (number(Some(high * 100.0), 0)) "%" } } }
                            td class="num" { (usd(model.total_cost_micro_usd)) @if !model.price_known { " " span class="reason" { "(unpriced)" } } }
                            td class="num" { (model.latency_p50_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "–".to_owned())) " / " (model.latency_p95_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "–".to_owned())) }
                            td class="num" { (model.results) } td class="num" { (model.failed) }
                        }
                    }
                }
            }
        }
    }
}

fn ratings(run: &pb::Run) -> Markup {
    html! {
        @if !run.ratings.is_empty() {
            section aria-labelledby="ratings-heading" {
                h2 id="ratings-heading" { "Pairwise ratings" }
                table {
                    caption {
                        "Bradley–Terry ratings from the judge's pairwise verdicts, 95% intervals."
                        @if let Some(rate) = run.judge_consistency_rate { " The judge agreed with itself on " (number(Some(rate * 100.0), 0)) "% of swapped pairs." }
                    }
                    thead { tr { th scope="col" { "Model" } th scope="col" { "Rating" } th scope="col" { "95% interval" } th scope="col" { "Wins / losses / ties" } } }
                    tbody {
                        @for rating in &run.ratings {
                            tr { th scope="row" { (rating.model) } td class="num" { (number(Some(rating.rating), 0)) } td class="num" { (number(Some(rating.ci_low), 0)) "–" (number(Some(rating.ci_high), 0)) } td class="num" { (rating.wins) " / " (rating.losses) " / " (rating.ties) } }
                        }
                    }
                }
            }
        }
    }
}

fn quality_cost_chart(run: &pb::Run) -> Markup {
    if run.model_stats.is_empty() {
        return html! {};
    }
    let data = benchhub_charts::proto::quality_cost_from_proto(run);
    match benchhub_charts::run_quality_cost_svg(&data).map(crate::charts::strip_prolog) {
        Ok(svg) => html! {
            figure class="chart" { (PreEscaped(svg)) figcaption { "Quality (with its 95% interval) against total cost per model." } }
        },
        Err(_) => html! {},
    }
}

/// `GET /runs/{id}/events`: WatchRun as Server-Sent Events (`progress`, `status`, `result`, `end`).
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
) -> Response {
    let session = match require_session(&state, &headers) {
        Ok((_, session)) => session,
        Err(response) => return response,
    };
    let watch = state
        .services
        .runner_streaming()
        .watch_run(request(
            pb::WatchRunRequest {
                run_id,
                replay_results: false,
            },
            Some(&session),
        ))
        .await;
    let stream = match watch {
        Ok(response) => response.into_inner(),
        Err(status) => return fail(PageError::from_status("runner", &status), &session),
    };
    let shutdown = state.shutdown.clone();
    let events = stream
        .filter_map(|message| async move {
            let message = message.ok()?;
            match message.event? {
                pb::watch_run_response::Event::Progress(progress) => {
                    let counts = progress.counts.unwrap_or_default();
                    let providers: Vec<String> = progress
                        .providers
                        .iter()
                        .map(|provider| {
                            format!(
                                "{}: {} in flight, limit {} of {}{}",
                                provider.provider,
                                provider.in_flight,
                                provider.current_limit,
                                provider.max_limit,
                                if provider.replicas > 1 {
                                    format!(" ({} replicas)", provider.replicas)
                                } else {
                                    String::new()
                                }
                            )
                        })
                        .collect();
                    let data = serde_json::json!({
                        "done": counts.done,
                        "failed": counts.failed,
                        "total": counts.total,
                        "cost": usd(progress.cost_micro_usd),
                        "eta": progress.eta_ms.map(|ms| format!("{} s", (ms + 999) / 1000)),
                        "providers": providers.join(" · "),
                    });
                    Some(Event::default().event("progress").data(data.to_string()))
                }
                pb::watch_run_response::Event::StatusChange(change) => Some(
                    Event::default()
                        .event("status")
                        .data(status_word(change.current)),
                ),
                pb::watch_run_response::Event::Summary(run) => {
                    Some(Event::default().event("end").data(status_word(run.status)))
                }
                pb::watch_run_response::Event::Result(_) => None,
            }
        })
        .map(Ok::<Event, Infallible>)
        .take_until(shutdown.cancelled_owned());
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// `GET /runs/{id}/compare?with=OTHER`: CompareRuns, per model, with verdicts and p-values.
pub async fn compare(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let session = match require_session(&state, &headers) {
        Ok((_, session)) => session,
        Err(response) => return response,
    };
    let form = RankingsForm::parse(query.as_deref());
    let Some(other) = form.get("with").map(str::to_owned) else {
        return error_page(
            &PageError::BadInput(
                "name the other run: /runs/{id}/compare?with=OTHER_RUN_ID".to_owned(),
            ),
            Some(&session),
        )
        .into_response();
    };
    let compared = state
        .services
        .runner()
        .compare_runs(request(
            pb::CompareRunsRequest {
                run_a_id: run_id.clone(),
                run_b_id: other.clone(),
            },
            Some(&session),
        ))
        .await;
    let comparison = match compared {
        Ok(response) => response.into_inner(),
        Err(status) => return fail(PageError::from_status("runner", &status), &session),
    };
    let body = layout(
        "Compare runs",
        Nav::Suites,
        Some(&session),
        None,
        html! {
            h1 { "Run " span class="id" { (run_id) } " against " span class="id" { (other) } }
            p class="summary" { (comparison.shared_cases) " shared cases. Differences are B − A with 95% intervals; p-values are Holm-adjusted across models." }
            table {
                thead { tr { th scope="col" { "Model" } th scope="col" { "Quality A" } th scope="col" { "Quality B" } th scope="col" { "B − A" } th scope="col" { "Wins / losses / ties" } th scope="col" { "p" } th scope="col" { "Verdict" } } }
                tbody {
                    @for model in &comparison.models {
                        tr {
                            th scope="row" { (model.model) }
                            td class="num" { (number(model.mean_quality_a, 1)) }
                            td class="num" { (number(model.mean_quality_b, 1)) }
                            td class="num" { (number(model.mean_quality_diff, 1))
                                @if let (Some(low), Some(high)) = (model.diff_ci_low, model.diff_ci_high) { br; span class="interval" { (number(Some(low), 1)) " to " (number(Some(high), 1)) } } }
                            td class="num" { (model.wins) " / " (model.losses) " / " (model.ties) }
                            td class="num" { (model.adjusted_p_value.or(model.p_value).map(benchhub_common::stats::format_p_value).unwrap_or_else(|| "–".to_owned())) }
                            td { (verdict(model.verdict)) }
                        }
                    }
                }
            }
            p { a href=(format!("/runs/{}", encode(&run_id))) { "Back to the run" } }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
    }
    .into_response()
}

fn verdict(value: i32) -> &'static str {
    match pb::ComparisonVerdict::try_from(value) {
        Ok(pb::ComparisonVerdict::Better) => "B is better",
        Ok(pb::ComparisonVerdict::Worse) => "B is worse",
        Ok(pb::ComparisonVerdict::NoSignificantDifference) => "no significant difference",
        _ => "–",
    }
}
