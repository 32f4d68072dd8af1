//! `/suites` and `/suites/{id}`: a tenant's suites, their statistics (stat cards, the 90-day
//! staleness warning, the cost trend, the model comparison with best and cheapest marked), adding
//! cases from a JSONL/CSV upload, and starting a run after seeing its cost estimate.

use axum::extract::{Form, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use benchhub_proto::pb;
use maud::{Markup, PreEscaped, html};

use crate::AppState;
use crate::html::{Nav, Page, banner, encode, layout, number, or_dash, time};
use crate::pages::rankings::RankingsForm;
use crate::pages::{fail, require_session};
use crate::rpc::{PageError, request};
use crate::session::{Flash, Session};

/// Graders a run may use as its default (a case's own grader wins).
pub const GRADERS: [(&str, &str); 5] = [
    ("exact", "Exact match"),
    ("normalized_exact", "Exact after normalising"),
    ("json_valid", "Valid JSON"),
    ("contains", "Contains the expected text"),
    ("llm_rubric", "LLM judge with the case's rubric"),
];

/// Micro-USD as dollars, e.g. `$0.0123`.
pub fn usd(micro_usd: i64) -> String {
    let dollars = micro_usd as f64 / 1_000_000.0;
    if dollars != 0.0 && dollars.abs() < 0.01 {
        format!("${dollars:.6}")
    } else {
        format!("${dollars:.2}")
    }
}

/// After a failed action: the error as a banner on `back`, or the login page when the token is no
/// longer accepted.
fn failed_back(state: &AppState, id: &str, title: &str, error: PageError, back: &str) -> Response {
    if let PageError::SignIn = error {
        return crate::pages::login::redirect_to_login();
    }
    state.sessions.set_flash(
        id,
        Flash {
            kind: "error",
            title: title.to_owned(),
            lines: vec![error.message()],
        },
    );
    Redirect::to(back).into_response()
}

/// `GET /suites`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (id, session) = match require_session(&state, &headers) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let flash = state.sessions.take_flash(&id);
    let form = RankingsForm::parse(query.as_deref());
    let search = form.get("search").unwrap_or("").to_owned();
    let suites = state
        .services
        .runner()
        .list_suites(request(
            pb::ListSuitesRequest {
                page_size: 200,
                page_token: String::new(),
                search: search.clone(),
            },
            Some(&session),
        ))
        .await;
    let suites = match suites {
        Ok(response) => response.into_inner().suites,
        Err(status) => return fail(PageError::from_status("runner", &status), &session),
    };
    let body = layout(
        "Suites",
        Nav::Suites,
        Some(&session),
        flash.as_ref(),
        html! {
            h1 { "Test suites" }
            form method="get" action="/suites" class="filters" aria-label="Search suites" {
                div class="row" {
                    label { "Search " input type="search" name="search" value=(search) maxlength="128"; }
                    button type="submit" { "Search" }
                }
            }
            table {
                caption { "Your tenant's suites: golden test cases models are benchmarked on." }
                thead { tr { th scope="col" { "Suite" } th scope="col" { "Cases" } th scope="col" { "Last completed run" } th scope="col" { "Description" } } }
                tbody {
                    @for suite in &suites {
                        tr {
                            th scope="row" { a href=(format!("/suites/{}", encode(&suite.id))) { (suite.name) } }
                            td class="num" { (suite.case_count) }
                            td { (time(suite.last_completed_run_at.as_ref())) }
                            td { (or_dash(&suite.description)) }
                        }
                    }
                }
            }
            @if suites.is_empty() { p class="empty" { "No suite yet." } }
            h2 { "New suite" }
            form method="post" action="/suites" class="stack" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="suite-name" { "Name" }
                input id="suite-name" type="text" name="name" required maxlength="128";
                label for="suite-description" { "Description" }
                input id="suite-description" type="text" name="description" maxlength="4096";
                button type="submit" { "Create suite" }
            }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
    }
    .into_response()
}

/// The new-suite form.
#[derive(Debug, serde::Deserialize)]
pub struct NewSuiteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

/// `POST /suites`.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<NewSuiteForm>,
) -> Response {
    let (id, session) = match state.post_session(&headers, &form.csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let created = state
        .services
        .runner()
        .create_suite(request(
            pb::CreateSuiteRequest {
                name: form.name.trim().to_owned(),
                description: form.description.trim().to_owned(),
            },
            Some(&session),
        ))
        .await;
    match created {
        Ok(response) => {
            let suite = response.into_inner().suite.unwrap_or_default();
            Redirect::to(&format!("/suites/{}", encode(&suite.id))).into_response()
        }
        Err(status) => failed_back(
            &state,
            &id,
            "The suite was not created",
            PageError::from_status("runner", &status),
            "/suites",
        ),
    }
}

/// `GET /suites/{id}`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(suite_id): Path<String>,
) -> Response {
    let (id, session) = match require_session(&state, &headers) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let flash = state.sessions.take_flash(&id);
    let mut runner = state.services.runner();
    let suite = match runner
        .get_suite(request(
            pb::GetSuiteRequest {
                suite_id: suite_id.clone(),
            },
            Some(&session),
        ))
        .await
    {
        Ok(response) => response.into_inner().suite.unwrap_or_default(),
        Err(status) => return fail(PageError::from_status("runner", &status), &session),
    };
    // Statistics, runs and the first cases are independent: ask them at once.
    let (mut stats_client, mut runs_client) = (runner.clone(), runner.clone());
    let stats = async {
        stats_client
            .get_suite_stats(request(
                pb::GetSuiteStatsRequest {
                    suite_id: suite.id.clone(),
                    since: None,
                },
                Some(&session),
            ))
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| PageError::from_status("runner", &status))
    };
    let runs = async {
        runs_client
            .list_runs(request(
                pb::ListRunsRequest {
                    page_size: 20,
                    suite_id: suite.id.clone(),
                    ..Default::default()
                },
                Some(&session),
            ))
            .await
            .map(|response| response.into_inner().runs)
            .unwrap_or_default()
    };
    let cases = async {
        runner
            .list_test_cases(request(
                pb::ListTestCasesRequest {
                    suite_id: suite.id.clone(),
                    page_size: 10,
                    ..Default::default()
                },
                Some(&session),
            ))
            .await
            .map(|response| response.into_inner().cases)
            .unwrap_or_default()
    };
    let (stats, runs, cases) = tokio::join!(stats, runs, cases);
    let body = layout(
        &suite.name,
        Nav::Suites,
        Some(&session),
        flash.as_ref(),
        suite_content(&session, &suite, &stats, &runs, &cases),
    );
    Page {
        status: StatusCode::OK,
        body,
    }
    .into_response()
}

fn interval(value: Option<f64>, low: Option<f64>, high: Option<f64>, decimals: usize) -> Markup {
    html! {
        (number(value, decimals))
        @if let (Some(low), Some(high)) = (low, high) {
            br; span class="interval" title="95% interval" { (number(Some(low), decimals)) "–" (number(Some(high), decimals)) }
        }
    }
}

/// The sentence that says how sure "best" is.
pub fn best_sentence(
    best: &str,
    tied: &[String],
    test: Option<&pb::BestModelTest>,
) -> Option<String> {
    if best.is_empty() {
        return None;
    }
    let others: Vec<&String> = tied.iter().filter(|model| *model != best).collect();
    if !others.is_empty() {
        return Some(format!(
            "No single best model: {best} is tied with {} (their quality intervals overlap).",
            others
                .iter()
                .map(|model| model.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Some(match test {
        Some(test) if !test.runner_up.is_empty() => format!(
            "{best} is best: {:+.1} quality points over {} (95% interval {:+.1} to {:+.1}, {} over {} shared cases).",
            test.mean_difference,
            test.runner_up,
            test.ci_low,
            test.ci_high,
            benchhub_common::stats::p_value_phrase(test.p_value),
            test.cases
        ),
        _ => format!("{best} is best (no runner-up to compare with)."),
    })
}

fn suite_content(
    session: &Session,
    suite: &pb::Suite,
    stats: &Result<pb::GetSuiteStatsResponse, PageError>,
    runs: &[pb::Run],
    cases: &[pb::TestCase],
) -> Markup {
    let suite_path = format!("/suites/{}", encode(&suite.id));
    let last_models: Vec<String> = runs
        .first()
        .map(|run| run.models.iter().map(|model| model.model.clone()).collect())
        .unwrap_or_default();
    html! {
        nav aria-label="Breadcrumb" class="crumbs" { a href="/suites" { "Suites" } " › " (suite.name) }
        h1 { (suite.name) }
        @if !suite.description.is_empty() { p class="summary" { (suite.description) } }
        @match stats {
            Err(error) => { (banner("warn", "Statistics are unavailable", &[error.message()])) }
            Ok(stats) => {
                @if stats.stale {
                    div class="banner warn" role="status" {
                        strong { "These results are old" }
                        p { (or_dash(&stats.stale_reason)) }
                        @if !last_models.is_empty() {
                            form method="post" action=(format!("{suite_path}/runs")) class="inline" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="models" value=(last_models.join(", "));
                                button type="submit" { "Re-run on the same models" }
                            }
                        }
                    }
                }
                (stat_cards(suite, stats))
                @if let Some(sentence) = best_sentence(&stats.best_model, &stats.tied_for_best, stats.best_versus_runner_up.as_ref()) {
                    p class="verdict" { (sentence) }
                }
                (cost_trend(suite, stats))
                (comparison_table(stats))
            }
        }
        section aria-labelledby="runs-heading" {
            h2 id="runs-heading" { "Runs" }
            table {
                thead { tr { th scope="col" { "Run" } th scope="col" { "Status" } th scope="col" { "Models" } th scope="col" { "Done" } th scope="col" { "Cost" } th scope="col" { "Best" } th scope="col" { "Created" } } }
                tbody {
                    @for run in runs {
                        @let counts = run.counts.unwrap_or_default();
                        tr {
                            th scope="row" { a href=(format!("/runs/{}", encode(&run.id))) { (run.id.chars().take(8).collect::<String>()) } @if !run.label.is_empty() { " " span class="reason" { (run.label) } } }
                            td { (crate::pages::runs::status_word(run.status)) }
                            td { (run.models.iter().map(|model| model.model.as_str()).collect::<Vec<_>>().join(", ")) }
                            td class="num" { (counts.done) " / " (counts.total) }
                            td class="num" { (usd(run.cost_micro_usd)) @if !run.price_known { " " span class="reason" { "(incomplete)" } } }
                            td { (or_dash(&run.best_model)) }
                            td { (time(run.created_at.as_ref())) }
                        }
                    }
                }
            }
            @if runs.is_empty() { p class="empty" { "No run yet." } }
        }
        section aria-labelledby="start-heading" {
            h2 id="start-heading" { "Start a run" }
            (run_form(session, &suite_path, &last_models))
        }
        section aria-labelledby="cases-heading" {
            h2 id="cases-heading" { "Cases (" (suite.case_count) ")" }
            @if !cases.is_empty() {
                table {
                    thead { tr { th scope="col" { "Input" } th scope="col" { "Expected" } th scope="col" { "Tags" } } }
                    tbody {
                        @for case in cases {
                            tr { td { (shorten(&case.input, 160)) } td { (shorten(&case.expected_output, 80)) } td { (case.tags.join(", ")) } }
                        }
                    }
                }
                @if suite.case_count as usize > cases.len() { p class="reason" { "The first " (cases.len()) " of " (suite.case_count) " cases." } }
            }
            form method="post" action=(format!("{suite_path}/cases")) enctype="multipart/form-data" class="stack" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="cases-file" { "Add cases from a JSONL or CSV file" }
                input id="cases-file" type="file" name="file" accept=".jsonl,.ndjson,.json,.csv" required;
                button type="submit" { "Upload cases" }
            }
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max - 1).collect();
        short.push('…');
        short
    }
}

fn stat_cards(suite: &pb::Suite, stats: &pb::GetSuiteStatsResponse) -> Markup {
    let best = stats
        .models
        .iter()
        .find(|model| model.model == stats.best_model);
    let cheapest = stats
        .models
        .iter()
        .find(|model| model.model == stats.cheapest_model);
    html! {
        dl class="cards" {
            div { dt { "Completed runs" } dd { (stats.completed_runs) } }
            div { dt { "Last run" } dd class="small" { (time(stats.last_completed_at.as_ref())) } }
            div { dt { "Cases" } dd { (suite.case_count) } }
            div { dt { "Best mean quality" } dd {
                @if let Some(best) = best { (interval(best.mean_quality, best.mean_quality_low, best.mean_quality_high, 1)) } @else { "–" }
            } }
            div { dt { "Cheapest mean cost / call" } dd {
                @if let Some(cheapest) = cheapest { (cheapest.mean_cost_micro_usd.map(usd).unwrap_or_else(|| "–".to_owned())) } @else { "–" }
            } }
        }
    }
}

fn cost_trend(suite: &pb::Suite, stats: &pb::GetSuiteStatsResponse) -> Markup {
    let svg = benchhub_charts::proto::suite_trend_from_proto(suite.name.clone(), stats)
        .ok()
        .and_then(|trend| benchhub_charts::suite_trend_svg(&trend).ok())
        .map(crate::charts::strip_prolog);
    html! {
        section aria-labelledby="trend-heading" {
            h2 id="trend-heading" { "Cost and quality over time" }
            @match svg {
                Some(svg) => { figure class="chart" { (PreEscaped(svg)) figcaption { "Mean cost per call and mean quality of each model, run by run." } } }
                None => { p class="empty" { "The trend appears after the first completed run." } }
            }
        }
    }
}

fn comparison_table(stats: &pb::GetSuiteStatsResponse) -> Markup {
    html! {
        section aria-labelledby="models-heading" {
            h2 id="models-heading" { "Models compared" }
            table {
                caption { "Across the suite's completed runs. Intervals are 95%." }
                thead { tr {
                    th scope="col" { "Model" } th scope="col" { "Mean quality" } th scope="col" { "Pass rate" }
                    th scope="col" { "Mean cost / call" } th scope="col" { "Latency p50 / p95" } th scope="col" { "Results" } th scope="col" { "Failed" } th scope="col" { "Runs" }
                } }
                tbody {
                    @for model in &stats.models {
                        tr {
                            th scope="row" {
                                (model.model)
                                @if model.model == stats.best_model { " " span class="mark best" { "best" } }
                                @else if stats.tied_for_best.contains(&model.model) { " " span class="mark best" { "tied for best" } }
                                @if model.model == stats.cheapest_model { " " span class="mark cheapest" { "cheapest" } }
                                @if model.model == stats.best_value_model { " " span class="mark value" { "best value" } }
                            }
                            td class="num" { (interval(model.mean_quality, model.mean_quality_low, model.mean_quality_high, 1)) }
                            td class="num" { (interval(model.pass_rate.map(|rate| rate * 100.0), model.pass_rate_low.map(|rate| rate * 100.0), model.pass_rate_high.map(|rate| rate * 100.0), 0)) "%" }
                            td class="num" { (model.mean_cost_micro_usd.map(usd).unwrap_or_else(|| "–".to_owned())) @if !model.price_known { " " span class="reason" { "(unpriced)" } } }
                            td class="num" { (model.latency_p50_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "–".to_owned())) " / " (model.latency_p95_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "–".to_owned())) }
                            td class="num" { (model.results) } td class="num" { (model.failed) } td class="num" { (model.runs) }
                        }
                    }
                }
            }
            @if stats.models.is_empty() { p class="empty" { "No completed run yet." } }
        }
    }
}

/// The fields of the run form, carried unchanged from the first step (estimate) to the second.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RunForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    models: String,
    #[serde(default)]
    grader: String,
    #[serde(default)]
    judge: String,
    #[serde(default)]
    pairwise: Option<String>,
    #[serde(default)]
    repetitions: String,
    #[serde(default)]
    budget_usd: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    confirm: Option<String>,
}

fn run_form(session: &Session, suite_path: &str, models: &[String]) -> Markup {
    html! {
        form method="post" action=(format!("{suite_path}/runs")) class="run-form" {
            input type="hidden" name="csrf" value=(session.csrf);
            div class="row" {
                label { "Models (comma-separated) " input type="text" name="models" value=(models.join(", ")) required size="60" placeholder="openai/gpt-4o-mini, anthropic/claude-sonnet-4-5"; }
            }
            div class="row" {
                label { "Grader "
                    select name="grader" {
                        option value="" { "Each case's own (exact when none)" }
                        @for (value, label) in GRADERS { option value=(value) { (label) } }
                    }
                }
                label { "Judge model " input type="text" name="judge" placeholder="openai/gpt-4o"; }
                label { "Repetitions " input type="text" inputmode="numeric" name="repetitions" value="1" size="3"; }
                label { "Budget (USD) " input type="text" inputmode="decimal" name="budget_usd" size="6" placeholder="none"; }
                label { "Label " input type="text" name="label" maxlength="256"; }
                label class="check" { input type="checkbox" name="pairwise" value="1"; " Pairwise ratings" }
            }
            button type="submit" { "Estimate the cost" }
        }
    }
}

fn run_request(suite_id: &str, form: &RunForm) -> Result<pb::CreateRunRequest, String> {
    let models: Vec<String> = form
        .models
        .split([',', '\n'])
        .map(str::trim)
        .filter(|model| !model.is_empty())
        .map(str::to_owned)
        .collect();
    if models.is_empty() {
        return Err("name at least one model, e.g. openai/gpt-4o-mini".to_owned());
    }
    let grader = match form.grader.trim() {
        "" => None,
        name => Some(
            benchhub_cases::grader_from_json(&serde_json::Value::String(name.to_owned()))
                .map_err(|error| format!("grader: {error}"))?,
        ),
    };
    let repetitions = match form.repetitions.trim() {
        "" => 1,
        text => text
            .parse::<i32>()
            .ok()
            .filter(|count| (1..=10).contains(count))
            .ok_or_else(|| format!("repetitions must be 1 to 10, not '{text}'"))?,
    };
    let budget_micro_usd = match form.budget_usd.trim() {
        "" => None,
        text => Some(
            text.trim_start_matches('$')
                .parse::<f64>()
                .ok()
                .filter(|usd| usd.is_finite() && *usd > 0.0 && *usd < 1e9)
                .map(|usd| (usd * 1_000_000.0).round() as i64)
                .ok_or_else(|| format!("budget must be a positive amount in USD, not '{text}'"))?,
        ),
    };
    Ok(pb::CreateRunRequest {
        suite_id: suite_id.to_owned(),
        models,
        grader,
        judge: Some(form.judge.trim().to_owned())
            .filter(|judge| !judge.is_empty())
            .map(|model| pb::JudgeModel {
                model,
                temperature: None,
                max_tokens: None,
            }),
        pairwise: form.pairwise.is_some(),
        repetitions,
        limits: Some(pb::RunLimits {
            budget_micro_usd,
            ..Default::default()
        }),
        label: form.label.trim().to_owned(),
        use_cache: true,
        ..Default::default()
    })
}

/// `POST /suites/{id}/runs`: first the cost estimate (a dry run) with Confirm, then the run.
pub async fn start_run(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(suite_id): Path<String>,
    Form(form): Form<RunForm>,
) -> Response {
    let (id, session) = match state.post_session(&headers, &form.csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let suite_path = format!("/suites/{}", encode(&suite_id));
    let mut message = match run_request(&suite_id, &form) {
        Ok(message) => message,
        Err(problem) => {
            state.sessions.set_flash(
                &id,
                Flash {
                    kind: "error",
                    title: "The run was not started".to_owned(),
                    lines: vec![problem],
                },
            );
            return Redirect::to(&suite_path).into_response();
        }
    };
    let confirmed = form.confirm.is_some();
    message.dry_run = !confirmed;
    let created = state
        .services
        .runner()
        .create_run(request(message, Some(&session)))
        .await;
    let run = match created {
        Ok(response) => response.into_inner().run.unwrap_or_default(),
        Err(status) => {
            return failed_back(
                &state,
                &id,
                "The run was not started",
                PageError::from_status("runner", &status),
                &suite_path,
            );
        }
    };
    if confirmed {
        return Redirect::to(&format!("/runs/{}", encode(&run.id))).into_response();
    }
    let estimate = run.estimate.clone().unwrap_or_default();
    let body = layout(
        "Confirm the run",
        Nav::Suites,
        Some(&session),
        None,
        html! {
            h1 { "Start this run?" }
            p { "Nothing has been called yet. The estimate, from each case's length and the models' prices:" }
            table {
                thead { tr { th scope="col" { "Model" } th scope="col" { "Calls" } th scope="col" { "Tokens in / out" } th scope="col" { "Cost" } } }
                tbody {
                    @for model in &estimate.models {
                        tr {
                            th scope="row" { (model.model) }
                            td class="num" { (model.calls) }
                            td class="num" { (model.input_tokens) " / " (model.output_tokens) }
                            td class="num" { (model.cost_micro_usd.map(usd).unwrap_or_else(|| "unknown price".to_owned())) }
                        }
                    }
                    @if estimate.judge_calls > 0 {
                        tr { th scope="row" { "LLM judge" } td class="num" { (estimate.judge_calls) } td class="num" { "–" } td class="num" { (estimate.judge_cost_micro_usd.map(usd).unwrap_or_else(|| "unknown price".to_owned())) } }
                    }
                }
            }
            p class="verdict" {
                "Total: " (estimate.total_calls) " calls, " (usd(estimate.cost_micro_usd))
                @if !estimate.unpriced_models.is_empty() { " plus unpriced " (estimate.unpriced_models.join(", ")) }
                @if !estimate.within_budget { " — over the budget" }
            }
            form method="post" action=(format!("{suite_path}/runs")) class="confirm" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="models" value=(form.models);
                input type="hidden" name="grader" value=(form.grader);
                input type="hidden" name="judge" value=(form.judge);
                @if form.pairwise.is_some() { input type="hidden" name="pairwise" value="1"; }
                input type="hidden" name="repetitions" value=(form.repetitions);
                input type="hidden" name="budget_usd" value=(form.budget_usd);
                input type="hidden" name="label" value=(form.label);
                input type="hidden" name="confirm" value="1";
                button type="submit" { "Start the run" }
                " " a href=(suite_path) { "Cancel" }
            }
        },
    );
    Page {
        status: StatusCode::OK,
        body,
    }
    .into_response()
}

/// Largest case file accepted by the upload (the runner caps a request at 1,000 cases).
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;

/// `POST /suites/{id}/cases` (multipart: `csrf`, `file`).
pub async fn add_cases(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(suite_id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let mut csrf = String::new();
    let mut file: Option<(String, String)> = None;
    let mut problem: Option<String> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().unwrap_or("cases").to_owned();
                match field.text().await {
                    Ok(text) if name == "csrf" => csrf = text,
                    Ok(text) if name == "file" => file = Some((file_name, text)),
                    Ok(_) => {}
                    Err(error) => {
                        problem = Some(format!("the upload could not be read: {error}"));
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(error) => {
                problem = Some(format!("the upload could not be read: {error}"));
                break;
            }
        }
    }
    let (id, session) = match state.post_session(&headers, &csrf) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let suite_path = format!("/suites/{}", encode(&suite_id));
    let parsed =
        match (problem, file) {
            (Some(problem), _) => Err(problem),
            (None, None) => Err("choose a JSONL or CSV file".to_owned()),
            (None, Some((name, text))) => {
                let format = benchhub_cases::Format::detect(std::path::Path::new(&name), None);
                match format {
                    Err(error) => Err(error.to_string()),
                    Ok(benchhub_cases::Format::Jsonl) => benchhub_cases::parse_jsonl(&name, &text)
                        .map_err(|error| format!("{error:#}")),
                    Ok(benchhub_cases::Format::Csv) => benchhub_cases::parse_csv(&name, &text)
                        .map_err(|error| format!("{error:#}")),
                }
            }
        };
    let flash = match parsed {
        Err(problem) => Flash {
            kind: "error",
            title: "No case was added".to_owned(),
            lines: vec![problem],
        },
        Ok(cases) => {
            let count = cases.len();
            match state
                .services
                .runner()
                .add_test_cases(request(
                    pb::AddTestCasesRequest {
                        suite_id: suite_id.clone(),
                        cases,
                    },
                    Some(&session),
                ))
                .await
            {
                Ok(response) => Flash {
                    kind: "ok",
                    title: format!("Added {count} cases"),
                    lines: vec![format!(
                        "The suite now has {} cases.",
                        response.into_inner().case_count
                    )],
                },
                Err(status) => Flash {
                    kind: "error",
                    title: "No case was added".to_owned(),
                    lines: vec![PageError::from_status("runner", &status).message()],
                },
            }
        }
    };
    state.sessions.set_flash(&id, flash);
    Redirect::to(&suite_path).into_response()
}
