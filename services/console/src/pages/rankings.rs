//! `/` (the rankings) and `/rankings.csv` (ExportRankings with the same query).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use benchhub_proto::pb;
use futures::StreamExt as _;
use maud::{Markup, html};

use crate::AppState;
use crate::html::{
    Nav, Page, banner, encode, error_page, freshness_cell, layout, model_href, number, or_dash,
    time, with_interval,
};
use crate::rpc::{PageError, request};
use crate::session::Session;

static NO_MODEL: pb::ModelInfo = pb::ModelInfo {
    id: String::new(),
    display_name: String::new(),
    creator: String::new(),
    family: String::new(),
    release_date: String::new(),
    context_length: None,
    open_weights: None,
    tier: 0,
    first_seen_at: None,
    provisional: false,
};

static NO_PERFORMANCE: pb::PerformanceMetrics = pb::PerformanceMetrics {
    ttft_seconds: None,
    tokens_per_second: None,
    quality_index: None,
    performance_tier: 0,
    snapshot_date: String::new(),
};

/// Rows per page unless the query asks otherwise.
pub const DEFAULT_PAGE_SIZE: i32 = 50;

/// The query of the rankings page, as typed (to fill the form again) and as understood.
#[derive(Debug, Clone, Default)]
pub struct RankingsForm {
    pairs: Vec<(String, String)>,
}

const CHECKBOXES: [(&str, &[(&str, &str)]); 3] = [
    (
        "tier",
        &[
            ("frontier", "Frontier"),
            ("strong", "Strong"),
            ("efficient", "Efficient"),
        ],
    ),
    (
        "speed",
        &[("fast", "Fast"), ("medium", "Medium"), ("slow", "Slow")],
    ),
    (
        "freshness",
        &[
            ("fresh", "Fresh (< 7 d)"),
            ("aging", "Aging (< 30 d)"),
            ("stale", "Stale"),
        ],
    ),
];

/// Columns whose header sorts: (order_by field, header text, abbreviation title).
const SORTABLE: [(&str, &str); 10] = [
    ("overall_score", "Overall"),
    ("coding_score", "Coding"),
    ("performance_score", "Performance"),
    ("value_score", "Value"),
    ("input_price", "$ in / M"),
    ("output_price", "$ out / M"),
    ("ttft_seconds", "TTFT s"),
    ("tokens_per_second", "Tokens/s"),
    ("coding_benchmarks", "Coding benchmarks"),
    ("release_date", "Released"),
];

impl RankingsForm {
    /// Reads a raw query string (`a=1&b=2`, repeated keys allowed).
    pub fn parse(query: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(key, value)| (key.into_owned(), value.trim().to_owned()))
            .filter(|(_, value)| !value.is_empty())
            .take(200)
            .collect();
        Self { pairs }
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(name, _)| name == key)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn has(&self, key: &str, value: &str) -> bool {
        self.all(key).iter().any(|item| item == value)
    }

    fn number(&self, key: &str, label: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .map(Some)
                .ok_or_else(|| format!("{label} must be a number, not '{}'", prefix(text))),
        }
    }

    fn enums(
        &self,
        key: &str,
        label: &str,
        map: impl Fn(&str) -> Option<i32>,
        allowed: &str,
    ) -> Result<Vec<i32>, String> {
        self.all(key)
            .iter()
            .map(|value| {
                map(value)
                    .ok_or_else(|| format!("{label} '{}' is not one of {allowed}", prefix(value)))
            })
            .collect()
    }

    /// The ListRankings request this query asks for, or a message naming the bad field.
    pub fn to_request(&self) -> Result<pb::ListRankingsRequest, String> {
        let open_weights = match self.get("open_weights") {
            None | Some("any") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(format!(
                    "open weights '{}' is not one of any, true, false",
                    prefix(other)
                ));
            }
        };
        let min_coding_benchmarks = match self.get("min_coding_benchmarks") {
            None => None,
            Some(text) => Some(text.parse::<i32>().map_err(|_| {
                format!(
                    "minimum coding benchmarks must be a whole number, not '{}'",
                    prefix(text)
                )
            })?),
        };
        let filter = pb::RankingsFilter {
            search: self.get("search").unwrap_or("").to_owned(),
            providers: self.all("provider"),
            categories: self.all("category"),
            open_weights,
            min_quality: self.number("min_quality", "minimum quality")?,
            max_price: self.number("max_price", "maximum price")?,
            performance_tiers: self.enums(
                "speed",
                "speed",
                |name| match name {
                    "fast" => Some(pb::PerformanceTier::Fast as i32),
                    "medium" => Some(pb::PerformanceTier::Medium as i32),
                    "slow" => Some(pb::PerformanceTier::Slow as i32),
                    _ => None,
                },
                "fast, medium, slow",
            )?,
            freshness: self.enums(
                "freshness",
                "freshness",
                |name| match name {
                    "fresh" => Some(pb::Freshness::Fresh as i32),
                    "aging" => Some(pb::Freshness::Aging as i32),
                    "stale" => Some(pb::Freshness::Stale as i32),
                    _ => None,
                },
                "fresh, aging, stale",
            )?,
            has_sources: self.all("has_source"),
            tiers: self.enums(
                "tier",
                "tier",
                |name| match name {
                    "frontier" => Some(pb::ModelTier::Frontier as i32),
                    "strong" => Some(pb::ModelTier::Strong as i32),
                    "efficient" => Some(pb::ModelTier::Efficient as i32),
                    _ => None,
                },
                "frontier, strong, efficient",
            )?,
            min_overall_score: self.number("min_score", "minimum overall score")?,
            include_unbenchmarked: self.get("all").is_some(),
            families: self.all("family"),
            min_coding_benchmarks,
        };
        let weights = {
            let coding = self.number("w_coding", "coding weight")?;
            let performance = self.number("w_performance", "performance weight")?;
            let value = self.number("w_value", "value weight")?;
            if coding.is_none() && performance.is_none() && value.is_none() {
                None
            } else {
                Some(pb::Weights {
                    coding: coding.unwrap_or(0.0),
                    performance: performance.unwrap_or(0.0),
                    value: value.unwrap_or(0.0),
                })
            }
        };
        let page_size = match self.get("page_size") {
            None => DEFAULT_PAGE_SIZE,
            Some(text) => text
                .parse::<i32>()
                .ok()
                .filter(|size| (1..=500).contains(size))
                .ok_or_else(|| format!("rows per page must be 1 to 500, not '{}'", prefix(text)))?,
        };
        Ok(pb::ListRankingsRequest {
            filter: Some(filter),
            order_by: self.get("sort").unwrap_or("").to_owned(),
            page_size,
            page_token: self.get("page").unwrap_or("").to_owned(),
            weights,
            as_of: self.get("as_of").unwrap_or("").to_owned(),
            compare_to: self.get("compare_to").unwrap_or("").to_owned(),
            // Full rows: intervals, per-category freshness, sources and every metric.
            view: pb::RankingView::Full as i32,
            group_by_family: self.get("by_family").is_some(),
        })
    }

    /// This query with `key` set to `value` (or removed when `None`) and the page reset, as
    /// `?a=b&…`.
    pub fn with(&self, key: &str, value: Option<&str>) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, current) in &self.pairs {
            if name != key && name != "page" {
                serializer.append_pair(name, current);
            }
        }
        if let Some(value) = value {
            serializer.append_pair(key, value);
        }
        let query = serializer.finish();
        if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        }
    }
}

fn prefix(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// `GET /`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let session = state.session(&headers);
    let form = RankingsForm::parse(query.as_deref());
    let flash = session
        .as_ref()
        .and_then(|(id, _)| state.sessions.take_flash(id));
    let session = session.map(|(_, session)| session);
    let rankings = async {
        match form.to_request() {
            Err(message) => Err(PageError::BadInput(message)),
            Ok(request_message) => {
                let mut client = state.services.rankings();
                client
                    .list_rankings(request(request_message, session.as_ref()))
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(|status| PageError::from_status("rankings", &status))
            }
        }
    };
    // The metrics a person may add as columns, asked at the same time; without them the page still
    // works.
    let (rendered, metrics) = tokio::join!(rankings, benchmark_metrics(&state, session.as_ref()));
    match rendered {
        Ok(response) => Page {
            status: StatusCode::OK,
            body: layout(
                "Rankings",
                Nav::Rankings,
                session.as_ref(),
                flash.as_ref(),
                content(&form, &metrics, Some(&response), None),
            ),
        }
        .into_response(),
        // A bad filter: the form again with the message, never a crash.
        Err(PageError::BadInput(message)) => Page {
            status: StatusCode::BAD_REQUEST,
            body: layout(
                "Rankings",
                Nav::Rankings,
                session.as_ref(),
                flash.as_ref(),
                content(&form, &metrics, None, Some(&message)),
            ),
        }
        .into_response(),
        Err(PageError::SignIn) => crate::pages::login::redirect_to_login(),
        Err(error) => error_page(&error, session.as_ref()).into_response(),
    }
}

/// How long the list of benchmark metrics is reused: it changes only when the catalog is rebuilt,
/// and asking for it costs the rankings service more than a page of rows.
const METRICS_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The benchmark metrics of the catalog (ListBenchmarks), from a one-minute cache.
async fn benchmark_metrics(
    state: &AppState,
    session: Option<&Session>,
) -> std::sync::Arc<Vec<pb::BenchmarkMetric>> {
    if let Some(metrics) = state.metrics_cache.get(METRICS_TTL) {
        return metrics;
    }
    let answer = state
        .services
        .rankings()
        .list_benchmarks(request(
            pb::ListBenchmarksRequest {
                page_size: 1000,
                ..Default::default()
            },
            session,
        ))
        .await;
    match answer {
        Ok(response) => {
            let metrics: Vec<pb::BenchmarkMetric> = response
                .into_inner()
                .categories
                .into_iter()
                .flat_map(|category| category.metrics)
                .collect();
            let metrics = std::sync::Arc::new(metrics);
            state.metrics_cache.put(std::sync::Arc::clone(&metrics));
            metrics
        }
        Err(_) => std::sync::Arc::default(),
    }
}

fn content(
    form: &RankingsForm,
    metrics: &[pb::BenchmarkMetric],
    response: Option<&pb::ListRankingsResponse>,
    problem: Option<&str>,
) -> Markup {
    html! {
        h1 { "Model rankings" }
        @if let Some(problem) = problem {
            (banner("error", "Check the filters", &[problem.to_owned()]))
        }
        @if let Some(response) = response {
            (summary(response))
            (source_strip(&response.source_status))
        }
        (filters(form, metrics))
        @if let Some(response) = response {
            (table(form, metrics, response))
            (paging(form, response))
        }
    }
}

fn summary(response: &pb::ListRankingsResponse) -> Markup {
    html! {
        p class="summary" {
            (response.total_size) " models as of " (or_dash(&response.as_of))
            "; catalog built " (time(response.catalog_built_at.as_ref())) "."
        }
        @if response.catalog_stale {
            (banner("warn", "Older data shown", &["The latest catalog rebuild failed; these rankings come from the last good one.".to_owned()]))
        }
    }
}

fn availability_word(value: i32) -> &'static str {
    match pb::Availability::try_from(value) {
        Ok(pb::Availability::Live) => "live",
        Ok(pb::Availability::Seed) => "seed",
        Ok(pb::Availability::Unavailable) => "unavailable",
        _ => "unknown",
    }
}

fn source_strip(statuses: &[pb::SourceStatus]) -> Markup {
    html! {
        section aria-labelledby="sources-heading" class="strip" {
            h2 id="sources-heading" { "Sources" }
            ul {
                @for status in statuses {
                    @let word = if status.stale { "stale" } else { availability_word(status.availability) };
                    li class=(format!("source {word}")) title=(status.reason) {
                        strong { (status.source) } " "
                        span class="state" { (word) }
                        " · last good " (or_dash(&status.last_good_snapshot_date))
                        @if !status.newest_data_date.is_empty() { " · data to " (status.newest_data_date) }
                        " · " (status.model_count) " models"
                        @if status.stale || !status.reason.is_empty() {
                            br; span class="reason" { (or_dash(&status.reason)) }
                        }
                    }
                }
            }
        }
    }
}

/// `source.category.metric`, the path `order_by` takes after `metric.`.
fn metric_path(metric: &pb::BenchmarkMetric) -> String {
    format!("{}.{}.{}", metric.source, metric.category, metric.metric)
}

fn filters(form: &RankingsForm, metrics: &[pb::BenchmarkMetric]) -> Markup {
    let text = |key: &str| form.get(key).unwrap_or("").to_owned();
    let list = |key: &str| form.all(key).join(", ");
    html! {
        form method="get" action="/" class="filters" aria-label="Filters" {
            div class="row" {
                label { "Search " input type="search" name="search" value=(text("search")) maxlength="200"; }
                label { "Providers " input type="text" name="provider" value=(list("provider")) placeholder="openai, anthropic"; }
                label { "Families " input type="text" name="family" value=(list("family")) placeholder="openai/gpt-4o"; }
                label { "Categories " input type="text" name="category" value=(list("category")) placeholder="coding, text"; }
                label { "Has data from " input type="text" name="has_source" value=(list("has_source")) placeholder="lmarena"; }
            }
            div class="row" {
                label { "Open weights "
                    select name="open_weights" {
                        @for (value, label) in [("any", "Any"), ("true", "Open"), ("false", "Closed")] {
                            option value=(value) selected[form.get("open_weights").unwrap_or("any") == value] { (label) }
                        }
                    }
                }
                label { "Min overall " input type="text" inputmode="decimal" name="min_score" value=(text("min_score")) size="5"; }
                label { "Min quality " input type="text" inputmode="decimal" name="min_quality" value=(text("min_quality")) size="5"; }
                label { "Max $ in / M " input type="text" inputmode="decimal" name="max_price" value=(text("max_price")) size="5"; }
                label { "Min coding benchmarks " input type="text" inputmode="numeric" name="min_coding_benchmarks" value=(text("min_coding_benchmarks")) size="3"; }
            }
            div class="row" {
                @for (key, options) in CHECKBOXES {
                    fieldset {
                        legend { (key) }
                        @for (value, label) in options {
                            label class="check" {
                                input type="checkbox" name=(key) value=(value) checked[form.has(key, value)];
                                " " (label)
                            }
                        }
                    }
                }
                fieldset {
                    legend { "weights" }
                    label { "Coding " input type="text" inputmode="decimal" name="w_coding" value=(text("w_coding")) size="4"; }
                    label { "Performance " input type="text" inputmode="decimal" name="w_performance" value=(text("w_performance")) size="4"; }
                    label { "Value " input type="text" inputmode="decimal" name="w_value" value=(text("w_value")) size="4"; }
                }
            }
            div class="row" {
                label { "As of " input type="date" name="as_of" value=(text("as_of")); }
                label { "Rank change since " input type="date" name="compare_to" value=(text("compare_to")); }
                label { "Sort " input type="text" name="sort" value=(text("sort")) placeholder="overall_score desc"; }
                label { "Rows " input type="text" inputmode="numeric" name="page_size" value=(text("page_size")) placeholder="50" size="4"; }
                label class="check" { input type="checkbox" name="all" value="1" checked[form.get("all").is_some()]; " Include unbenchmarked models" }
                label class="check" { input type="checkbox" name="by_family" value="1" checked[form.get("by_family").is_some()]; " One row per family" }
            }
            @if !metrics.is_empty() {
                details class="metrics" open[!form.all("metric").is_empty()] {
                    summary { "Metric columns (" (metrics.len()) " benchmarks)" }
                    div class="metric-list" {
                        @for metric in metrics {
                            @let path = metric_path(metric);
                            label class="check" {
                                input type="checkbox" name="metric" value=(path) checked[form.has("metric", &path)];
                                " " (path) " " span class="reason" { "(" (metric.model_count) " models)" }
                            }
                        }
                    }
                }
            }
            div class="row actions" {
                button type="submit" { "Apply" }
                a href="/" { "Reset" }
                a href=(format!("/rankings.csv{}", form.with("page", None))) download="rankings.csv" { "Download CSV" }
            }
        }
    }
}

fn sort_header(form: &RankingsForm, field: &str, label: &str) -> Markup {
    let current = form.get("sort").unwrap_or("");
    let descending = format!("{field} desc");
    let ascending = format!("{field} asc");
    let (state, next) = if current == descending {
        ("descending", ascending.clone())
    } else if current == ascending || current == field {
        ("ascending", descending.clone())
    } else {
        ("none", descending.clone())
    };
    html! {
        th scope="col" aria-sort=(state) {
            a href=(form.with("sort", Some(&next))) { (label)
                @match state { "descending" => { " ▼" } "ascending" => { " ▲" } _ => {} }
            }
        }
    }
}

fn rank_cell(row: &pb::RankingRow) -> Markup {
    html! {
        td class="rank" {
            (row.rank)
            @if let (Some(best), Some(worst)) = (row.rank_best, row.rank_worst) {
                @if best != worst {
                    br; span class="interval" title="95% range of the rank" { "likely " (best) "–" (worst) }
                }
            }
        }
    }
}

fn change_cell(row: &pb::RankingRow) -> Markup {
    html! {
        td class="change" {
            @if row.new_entry { span class="new" { "new" } }
            @else {
                @match row.rank_change {
                    Some(change) if change > 0 => { span class="up" aria-label=(format!("up {change}")) { "▲" (change) } }
                    Some(change) if change < 0 => { span class="down" aria-label=(format!("down {}", -change)) { "▼" (-change) } }
                    Some(_) => { span aria-label="unchanged" { "=" } }
                    None => { "–" }
                }
            }
        }
    }
}

fn tier_word(value: i32) -> &'static str {
    match pb::ModelTier::try_from(value) {
        Ok(pb::ModelTier::Frontier) => "frontier",
        Ok(pb::ModelTier::Strong) => "strong",
        Ok(pb::ModelTier::Efficient) => "efficient",
        _ => "–",
    }
}

fn speed_word(value: i32) -> &'static str {
    match pb::PerformanceTier::try_from(value) {
        Ok(pb::PerformanceTier::Fast) => "fast",
        Ok(pb::PerformanceTier::Medium) => "medium",
        Ok(pb::PerformanceTier::Slow) => "slow",
        _ => "–",
    }
}

/// `free`, `in / out` in USD per million tokens, or an en dash.
pub fn price_text(price: Option<&pb::Price>) -> (String, String) {
    match price {
        None => ("–".to_owned(), "–".to_owned()),
        Some(price) if price.free && price.input_usd_per_million.unwrap_or(0.0) == 0.0 => {
            ("free".to_owned(), "free".to_owned())
        }
        Some(price) => (
            number(price.input_usd_per_million, 2),
            number(price.output_usd_per_million, 2),
        ),
    }
}

/// A paid model that also has a separately listed free variant (OpenRouter's `:free`, with its own rate
/// limits) says so beside its price, so its price is never read as "free" and the free route is not
/// missed either.
pub fn free_variant_note(price: Option<&pb::Price>) -> Markup {
    html! {
        @if let Some(price) = price {
            @if price.free_variant_available && !price.free {
                br; span class="note free-variant" title="a free variant of this model is listed separately, with its own limits" { "free variant too" }
            }
        }
    }
}

fn metric_cell(row: &pb::RankingRow, metric: &pb::BenchmarkMetric) -> Markup {
    let value = row.metrics.iter().find(|value| {
        value.source == metric.source
            && value.category == metric.category
            && value.metric == metric.metric
    });
    html! {
        @match value {
            Some(value) => {
                td class="num" title=(format!("{} {} · snapshot {} · upstream name {}", value.source, value.metric, value.snapshot_date, value.source_model_name)) {
                    (number(Some(value.value), 1))
                    @if let (Some(low), Some(high)) = (value.ci_low, value.ci_high) {
                        br; span class="interval" title="95% interval" { (number(Some(low), 1)) "–" (number(Some(high), 1)) }
                    }
                }
            }
            None => { td class="num" { "–" } }
        }
    }
}

fn table(
    form: &RankingsForm,
    metrics: &[pb::BenchmarkMetric],
    response: &pb::ListRankingsResponse,
) -> Markup {
    let comparing = form.get("compare_to").is_some();
    let chosen: Vec<&pb::BenchmarkMetric> = metrics
        .iter()
        .filter(|metric| form.has("metric", &metric_path(metric)))
        .collect();
    html! {
        table class="rankings" {
            caption { "Models ranked by " (form.get("sort").unwrap_or("overall score")) ". Intervals are 95%." }
            thead {
                tr {
                    th scope="col" { "#" }
                    @if comparing { th scope="col" { "Change" } }
                    th scope="col" { "Model" }
                    th scope="col" { "Tier" }
                    @for (field, label) in SORTABLE.iter().take(4) { (sort_header(form, field, label)) }
                    @for (field, label) in SORTABLE.iter().skip(4).take(4) { (sort_header(form, field, label)) }
                    th scope="col" { "Speed" }
                    (sort_header(form, SORTABLE[8].0, SORTABLE[8].1))
                    @for metric in &chosen {
                        (sort_header(form, &format!("metric.{}", metric_path(metric)), &format!("{} {}", metric.source, metric.metric)))
                    }
                    th scope="col" { "Freshness" }
                    th scope="col" { "Sources" }
                }
            }
            tbody {
                @for row in &response.rows {
                    @let model = row.model.as_ref().unwrap_or(&NO_MODEL);
                    @let scores = row.scores.unwrap_or_default();
                    @let performance = row.performance.as_ref().unwrap_or(&NO_PERFORMANCE);
                    @let (price_in, price_out) = price_text(row.price.as_ref());
                    tr {
                        (rank_cell(row))
                        @if comparing { (change_cell(row)) }
                        th scope="row" class="model" {
                            a href=(model_href(&model.id)) { (model.display_name) }
                            br; span class="id" { (model.id) }
                            @if row.family_size > 1 { " " span class="family" { "(" (row.family_size) " in family)" } }
                        }
                        td { (tier_word(model.tier)) }
                        td class="num" { (with_interval(scores.overall, scores.overall_low, scores.overall_high)) }
                        td class="num" { (with_interval(scores.coding, scores.coding_low, scores.coding_high)) }
                        td class="num" { (number(scores.performance, 1)) }
                        td class="num" { (number(scores.value, 1)) }
                        td class="num" { (price_in) (free_variant_note(row.price.as_ref())) }
                        td class="num" { (price_out) }
                        td class="num" { (number(performance.ttft_seconds, 2)) }
                        td class="num" { (number(performance.tokens_per_second, 0)) }
                        td { (speed_word(performance.performance_tier)) }
                        td class="num" { (row.coding_benchmarks) }
                        @for metric in &chosen { (metric_cell(row, metric)) }
                        (freshness_cell(row.freshness.as_ref(), &row.sources))
                        td class="sources" title=(row.sources.join(", ")) { (row.sources.len()) }
                    }
                }
            }
        }
        @if response.rows.is_empty() {
            p class="empty" { "No model matches these filters." }
        }
    }
}

fn paging(form: &RankingsForm, response: &pb::ListRankingsResponse) -> Markup {
    html! {
        nav class="paging" aria-label="Pages" {
            @if form.get("page").is_some() {
                a href=(form.with("page", None)) { "First page" }
            }
            @if !response.next_page_token.is_empty() {
                a href=(format!("{}{}page={}", form.with("page", None), if form.with("page", None).is_empty() { "?" } else { "&" }, encode(&response.next_page_token))) rel="next" { "Next page" }
            }
        }
    }
}

/// `GET /rankings.csv`: ExportRankings streamed through.
pub async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let session: Option<Session> = state.session(&headers).map(|(_, session)| session);
    let form = RankingsForm::parse(query.as_deref());
    let list = match form.to_request() {
        Ok(list) => list,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response();
        }
    };
    let export = pb::ExportRankingsRequest {
        filter: list.filter,
        order_by: list.order_by,
        weights: list.weights,
        as_of: list.as_of,
        compare_to: list.compare_to,
        group_by_family: list.group_by_family,
    };
    let mut client = state.services.rankings();
    match client
        .export_rankings(request(export, session.as_ref()))
        .await
    {
        Ok(response) => {
            let stream = response.into_inner().map(|chunk| {
                chunk
                    .map(|chunk| bytes::Bytes::from(chunk.data))
                    .map_err(|status| std::io::Error::other(status.message().to_owned()))
            });
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"rankings.csv\"",
                    ),
                ],
                Body::from_stream(stream),
            )
                .into_response()
        }
        Err(status) => match PageError::from_status("rankings", &status) {
            PageError::BadInput(message) => {
                (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response()
            }
            PageError::SignIn => crate::pages::login::redirect_to_login(),
            error => error_page(&error, session.as_ref()).into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_a_request() {
        let form = RankingsForm::parse(Some(
            "search=gpt&tier=frontier&tier=strong&freshness=fresh&w_coding=2&sort=coding_score+desc&provider=openai,+anthropic",
        ));
        let request = form.to_request().expect("valid");
        let filter = request.filter.expect("filter");
        assert_eq!(filter.search, "gpt");
        assert_eq!(filter.tiers.len(), 2);
        assert_eq!(filter.providers, vec!["openai", "anthropic"]);
        assert_eq!(request.order_by, "coding_score desc");
        assert_eq!(request.weights.expect("weights").coding, 2.0);
        assert_eq!(request.page_size, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn bad_values_name_the_field() {
        let error = RankingsForm::parse(Some("min_score=abc"))
            .to_request()
            .expect_err("not a number");
        assert!(error.contains("minimum overall score"), "{error}");
        let error = RankingsForm::parse(Some("tier=huge"))
            .to_request()
            .expect_err("not a tier");
        assert!(error.contains("frontier, strong, efficient"), "{error}");
        let error = RankingsForm::parse(Some("page_size=100000"))
            .to_request()
            .expect_err("too many rows");
        assert!(error.contains("1 to 500"), "{error}");
    }

    #[test]
    fn sorting_links_keep_the_filters_and_reset_the_page() {
        let form = RankingsForm::parse(Some("search=x&page=abc"));
        assert_eq!(
            form.with("sort", Some("coding_score desc")),
            "?search=x&sort=coding_score+desc"
        );
    }
}
