//! LMArena through the Hugging Face datasets-server rows API
//! (`/rows?dataset=lmarena-ai/leaderboard-dataset&config=<subset>&split=latest&offset=&length=100`).
//!
//! Subsets `text`, `webdev` and `vision` become categories of the same names with metric `elo`
//! (CI from `rating_lower`/`rating_upper`, votes as sample size). Only the `overall` rows are kept;
//! rows come grouped by category with `overall` first, so paging stops at the first page that moves
//! past it. The snapshot date is the row's `leaderboard_publish_date`. Quirks handled: `vote_count` and
//! `rank` are floats in `text` and integers in `webdev`; Elo-era rows have null CI, variance and votes.
//!
//! The static arena-catalog files (`leaderboard-<subset>.json`: `{category: {model: {rating,
//! rating_q025, rating_q975}}}`, the `full` category being the headline board) are read too, from
//! documents keyed `catalog:<subset>`, filed under the fetch day since they carry no date; and
//! `scatterplot-data.json` gives display names, organisations and prices (strings, USD per 1M).
//! The leaderboard files are fetched when the datasets-server cannot give a subset (down, or the
//! subset missing), from `<secondary>/lmarena/arena-catalog/main/data/leaderboard-<subset>.json`
//! (`BENCHHUB_SOURCE_LMARENA_CATALOG_URL`, default raw.githubusercontent.com); their values carry
//! the file's Last-Modified day as data date when the server sends one.

use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, bearer, json, number,
    text,
};
use crate::domain::observation::{Parsed, ParsedObservation};

/// Subsets fetched, each a category.
pub const SUBSETS: &[&str] = &["text", "webdev", "vision"];
/// Rows per page (the API's maximum).
pub const PAGE_LENGTH: usize = 100;
/// Safety cap on pages per subset.
pub const MAX_PAGES: usize = 200;
/// Dataset id.
pub const DATASET: &str = "lmarena-ai/leaderboard-dataset";

/// The LMArena adapter.
#[derive(Debug)]
pub struct LmArena;

/// Returns the path and query of one page.
pub fn page_path(subset: &str, offset: usize) -> String {
    format!(
        "/rows?dataset=lmarena-ai%2Fleaderboard-dataset&config={subset}&split=latest&offset={offset}&length={PAGE_LENGTH}"
    )
}

#[async_trait::async_trait]
impl Source for LmArena {
    fn name(&self) -> &'static str {
        "lmarena"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        let headers = bearer(context.secret.as_ref());
        // Subsets come and go upstream (`webdev` did not exist before 2024): one that fails is listed
        // and the others are kept. A subset is kept whole or not at all. When the datasets-server
        // cannot give a subset, its arena-catalog file (seed 003's source, with rating_q025 /
        // rating_q975) stands in, and the run lists the subset as served from the fallback.
        let mut fetched = Fetched::default();
        let mut first_error = None;
        for subset in SUBSETS {
            let error = match fetch_subset(http, context, subset, &headers).await {
                Ok(pages) => {
                    fetched.documents.extend(pages);
                    continue;
                }
                Err(error) => error,
            };
            if !error.is_gave_up() && !context.secondary_url.is_empty() {
                match fetch_catalog(http, context, subset).await {
                    Ok(document) => {
                        fetched.documents.push(document);
                        fetched.failures.push(super::DocumentFailure {
                            document: (*subset).to_owned(),
                            error: format!(
                                "datasets-server: {error}; served from the arena-catalog file instead"
                            ),
                            gave_up: false,
                        });
                        continue;
                    }
                    Err(catalog_error) => {
                        tracing::debug!(subset, error = %catalog_error, "arena-catalog fallback failed");
                    }
                }
            }
            let go_on = fetched.failed(*subset, &error);
            first_error.get_or_insert(error);
            if !go_on {
                break;
            }
        }
        match first_error {
            Some(error) if fetched.documents.is_empty() => Err(error),
            _ => Ok(fetched),
        }
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let mut parsed = Parsed::default();
        for document in documents {
            if let Some(subset) = document.key.strip_prefix("catalog:") {
                if SUBSETS.contains(&subset) {
                    parse_catalog(document, subset, context, &mut parsed)?;
                }
                continue;
            }
            let subset = document.key.split(':').next().unwrap_or_default();
            if !SUBSETS.contains(&subset) {
                continue;
            }
            parse_page(document, subset, &mut parsed)?;
        }
        parsed.check_drift()
    }
}

/// Fetches every `overall` page of one subset.
async fn fetch_subset(
    http: &dyn Http,
    context: &SourceContext,
    subset: &str,
    headers: &[(&'static str, String)],
) -> Result<Vec<Document>, FetchError> {
    let mut documents = Vec::new();
    let mut offset = 0;
    for _ in 0..MAX_PAGES {
        let url = format!("{}{}", context.base_url, page_path(subset, offset));
        let document = http
            .get(&format!("{subset}:{offset}"), &url, headers)
            .await?;
        let page: Value = json(&document)?;
        let rows =
            page.get("rows")
                .and_then(Value::as_array)
                .ok_or_else(|| ParseError::Malformed {
                    key: document.key.clone(),
                    reason: "missing field `rows`".to_owned(),
                })?;
        let row_count = rows.len();
        let total = page
            .get("num_rows_total")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let left_overall = rows
            .iter()
            .any(|row| row.pointer("/row/category").and_then(Value::as_str) != Some("overall"));
        documents.push(document);
        offset += row_count;
        if row_count < PAGE_LENGTH || offset >= total || left_overall {
            break;
        }
    }
    Ok(documents)
}

/// Path of an arena-catalog leaderboard file on the secondary base URL (raw.githubusercontent.com).
pub fn catalog_path(subset: &str) -> String {
    format!("/lmarena/arena-catalog/main/data/leaderboard-{subset}.json")
}

/// Fetches the arena-catalog file of one subset (the datasets-server fallback), keyed `catalog:<subset>`.
async fn fetch_catalog(
    http: &dyn Http,
    context: &SourceContext,
    subset: &str,
) -> Result<Document, FetchError> {
    let url = format!("{}{}", context.secondary_url, catalog_path(subset));
    http.get(&format!("catalog:{subset}"), &url, &[]).await
}

/// Parses one rows page into `parsed`, filing its observations under `category`.
pub fn parse_page(
    document: &Document,
    category: &str,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    let page: Value = json(document)?;
    let rows = page
        .get("rows")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Malformed {
            key: document.key.clone(),
            reason: "missing field `rows`".to_owned(),
        })?;
    for entry in rows {
        let Some(row) = entry.get("row") else {
            parsed.records += 1;
            parsed.fail(format!("{}: row without `row`", document.key));
            continue;
        };
        if row.get("category").and_then(Value::as_str) != Some("overall") {
            continue;
        }
        parsed.records += 1;
        let name = text(row.get("model_name"));
        let rating = number(row.get("rating"));
        let date = super::date(row.get("leaderboard_publish_date"));
        let (Some(name), Some(rating), Some(date)) = (name, rating, date) else {
            parsed.fail(format!(
                "{}: row needs model_name, rating and leaderboard_publish_date",
                document.key
            ));
            continue;
        };
        let mut observation = ParsedObservation::new(category, "elo", &name, date, rating);
        observation.data_date = Some(date);
        parsed.describe_benchmark_model(&name, text(row.get("organization")), None, Some(date));
        observation.ci_low = number(row.get("rating_lower"));
        observation.ci_high = number(row.get("rating_upper"));
        observation.sample_size = number(row.get("vote_count")).map(|votes| votes.round() as i64);
        let mut extra = serde_json::Map::new();
        for field in ["organization", "license"] {
            if let Some(value) = text(row.get(field)) {
                extra.insert(field.to_owned(), Value::String(value));
            }
        }
        if let Some(rank) = number(row.get("rank")) {
            extra.insert("rank".to_owned(), Value::from(rank.round() as i64));
        }
        if let Some(variance) = number(row.get("variance")) {
            extra.insert("variance".to_owned(), Value::from(variance));
        }
        observation.extra = (!extra.is_empty()).then_some(Value::Object(extra));
        parsed.observations.push(observation);
    }
    Ok(())
}

/// Parses an arena-catalog `leaderboard-<subset>.json` (its `full` board) into `parsed`.
pub fn parse_catalog(
    document: &Document,
    category: &str,
    context: &SourceContext,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    let body: Value = json(document)?;
    let board =
        body.get("full")
            .and_then(Value::as_object)
            .ok_or_else(|| ParseError::Malformed {
                key: document.key.clone(),
                reason: "missing field `full`".to_owned(),
            })?;
    for (name, entry) in board {
        parsed.records += 1;
        let Some(rating) = number(entry.get("rating")) else {
            parsed.fail(format!("{}: {name}: missing field `rating`", document.key));
            continue;
        };
        let mut observation = ParsedObservation::new(category, "elo", name, context.today, rating);
        observation.data_date = document.last_modified_date();
        parsed.describe_benchmark_model(name, None, None, observation.data_date);
        observation.ci_low = number(entry.get("rating_q025"));
        observation.ci_high = number(entry.get("rating_q975"));
        parsed.observations.push(observation);
    }
    Ok(())
}

/// One entry of the arena-catalog `scatterplot-data.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArenaModelInfo {
    /// Arena key (`model_api_name`).
    pub arena_name: String,
    /// Display name.
    pub display_name: String,
    /// Organisation as written.
    pub organization: Option<String>,
    /// USD per 1M input tokens.
    pub input_price: Option<f64>,
    /// USD per 1M output tokens.
    pub output_price: Option<f64>,
}

/// Parses `scatterplot-data.json` (prices are strings).
pub fn parse_scatterplot(document: &Document) -> Result<Vec<ArenaModelInfo>, ParseError> {
    let entries: Vec<Value> = json(document)?;
    Ok(entries
        .iter()
        .filter_map(|entry| {
            Some(ArenaModelInfo {
                arena_name: text(entry.get("model_api_name"))?,
                display_name: text(entry.get("name"))?,
                organization: text(entry.get("organization")),
                input_price: number(entry.get("input_token_price")),
                output_price: number(entry.get("output_token_price")),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{ScriptedHttp, context, fixture};

    fn find<'a>(parsed: &'a Parsed, category: &str, name: &str) -> &'a ParsedObservation {
        parsed
            .observations
            .iter()
            .find(|observation| {
                observation.category == category && observation.source_model_name == name
            })
            .unwrap_or_else(|| panic!("{category}/{name} missing"))
    }

    #[test]
    fn parses_every_fixture_page() {
        let files = [
            (
                "lmarena/datasets_server/rows_text_latest_offset0.json",
                "text:0",
            ),
            (
                "lmarena/datasets_server/rows_webdev_latest_offset0.json",
                "webdev:0",
            ),
            (
                "lmarena/datasets_server/rows_vision_latest_offset0.RECONSTRUCTED.json",
                "vision:0",
            ),
            (
                "lmarena/datasets_server/rows_text_full_sample.json",
                "text:full",
            ),
        ];
        let mut documents = Vec::new();
        for (path, key) in files {
            let Some(document) = fixture(path, key) else {
                return;
            };
            documents.push(document);
        }
        let parsed = LmArena.parse(&documents, &context()).expect("parses");
        assert_eq!(parsed.failed, 0);
        let top = find(&parsed, "text", "gemini-4-argon-high");
        assert!((top.value - 1533.4609832971757).abs() < 1e-9);
        assert_eq!(top.sample_size, Some(4932));
        assert_eq!(top.snapshot_date.to_string(), "2026-10-02");
        let webdev = find(&parsed, "webdev", "claude-opus-4-6");
        assert_eq!(webdev.sample_size, Some(2845));
        assert!(webdev.ci_low.is_some());
        let vision = find(&parsed, "vision", "gemini-2.5-pro");
        assert_eq!(vision.sample_size, None);
        assert_eq!(vision.snapshot_date.to_string(), "2025-12-11");
        let elo_era = parsed
            .observations
            .iter()
            .find(|observation| observation.source_model_name == "vicuna-13b")
            .expect("vicuna");
        assert_eq!(elo_era.value, 1094.0);
        assert_eq!(elo_era.ci_low, None);
        assert_eq!(elo_era.snapshot_date.to_string(), "2023-05-08");
        // the `coding` rows of the full sample are not the headline board
        assert!(
            parsed
                .observations
                .iter()
                .all(|observation| observation.category != "coding")
        );
    }

    #[test]
    fn parses_the_arena_catalog_files() {
        let mut documents = Vec::new();
        for (file, key) in [
            ("leaderboard-text.json", "catalog:text"),
            ("leaderboard-vision.json", "catalog:vision"),
        ] {
            let Some(document) = fixture(&format!("lmarena/arena_catalog/{file}"), key) else {
                return;
            };
            documents.push(document);
        }
        let parsed = LmArena.parse(&documents, &context()).expect("parses");
        assert_eq!(
            parsed
                .observations
                .iter()
                .filter(|observation| observation.category == "text")
                .count(),
            282
        );
        assert_eq!(parsed.observations.len(), 282 + 87);
        let top = find(&parsed, "text", "gemini-3-pro");
        assert!((top.value - 1486.6027120272704).abs() < 1e-9);
        assert!(top.ci_low.is_some_and(|low| low < top.value));
        assert!(
            parsed
                .observations
                .iter()
                .any(|observation| observation.source_model_name == "deepseek-v3")
        );
        let image = fixture(
            "lmarena/arena_catalog/leaderboard-image.json",
            "catalog:image",
        )
        .expect("image board");
        let mut image_parsed = Parsed::default();
        parse_catalog(&image, "image", &context(), &mut image_parsed).expect("image parses");
        assert_eq!(image_parsed.observations.len(), 34);
        let scatter =
            fixture("lmarena/arena_catalog/scatterplot-data.json", "scatter").expect("scatterplot");
        let infos = parse_scatterplot(&scatter).expect("scatterplot parses");
        assert_eq!(infos.len(), 141);
        assert!(infos.iter().any(|info| info.input_price.is_some()));
    }

    #[tokio::test]
    async fn paging_stops_at_a_short_page() {
        let page = |names: &[&str]| {
            let rows: Vec<Value> = names
                .iter()
                .map(|name| {
                    serde_json::json!({"row_idx": 0, "row": {"model_name": name, "rating": 1000.0,
                        "category": "overall", "leaderboard_publish_date": "2026-01-01"}})
                })
                .collect();
            serde_json::to_vec(&serde_json::json!({"rows": rows, "num_rows_total": 1000}))
                .expect("json")
        };
        let full: Vec<String> = (0..PAGE_LENGTH).map(|index| format!("m{index}")).collect();
        let full_refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let mut http = ScriptedHttp::default();
        for subset in SUBSETS {
            http.responses.insert(
                format!("http://upstream.test{}", page_path(subset, 0)),
                page(&full_refs),
            );
            http.responses.insert(
                format!("http://upstream.test{}", page_path(subset, PAGE_LENGTH)),
                page(&["last"]),
            );
        }
        let documents = LmArena
            .fetch(&http, &context())
            .await
            .expect("fetches")
            .documents;
        assert_eq!(documents.len(), 6);
        let parsed = LmArena.parse(&documents, &context()).expect("parses");
        assert_eq!(parsed.observations.len(), 3 * (PAGE_LENGTH + 1));
    }
}
