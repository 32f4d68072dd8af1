//! Artificial Analysis API v2 (`GET /api/v2/data/llms/models`, header `x-api-key`).
//!
//! Two response shapes are accepted: the documented `{status, prompt_options, data:[…]}` with speed at
//! the top level of each model, and the newer paginated `{tier, pagination:{page, has_more}, data:[…]}`
//! with speed under `performance` (pages are followed while `has_more`). Each model's `slug` is its
//! source name. Indices (0–100) and evaluation fractions go to `quality`, median TTFT and output
//! tokens/s to `performance`, USD per 1M tokens to `pricing`. A speed or TTFT of 0 means "not
//! measured" and is skipped, as are null values.

use benchhub_common::vocabulary;
use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::observation::{Parsed, ParsedObservation};

/// Path of the models endpoint.
pub const PATH: &str = "/api/v2/data/llms/models";
/// Safety cap on pages.
pub const MAX_PAGES: u64 = 50;

/// Evaluation keys → metric names (category `quality`).
const EVALUATIONS: &[(&str, &str)] = &[
    (
        "artificial_analysis_intelligence_index",
        vocabulary::QUALITY_INDEX,
    ),
    ("artificial_analysis_coding_index", "coding_index"),
    ("artificial_analysis_math_index", "math_index"),
    ("mmlu_pro", "mmlu_pro"),
    ("gpqa", "gpqa"),
    ("hle", "hle"),
    ("livecodebench", "livecodebench"),
    ("scicode", "scicode"),
    ("math_500", "math_500"),
    ("aime", "aime"),
    ("aime_25", "aime_25"),
    ("terminalbench_hard", "terminalbench_hard"),
    ("ifbench", "ifbench"),
    ("lcr", "lcr"),
    ("tau2", "tau2"),
];

/// Pricing keys → metric names (category `pricing`).
const PRICES: &[(&str, &str)] = &[
    ("price_1m_input_tokens", vocabulary::INPUT_PRICE),
    ("price_1m_output_tokens", vocabulary::OUTPUT_PRICE),
    ("price_1m_blended_3_to_1", "blended_usd_per_mtok"),
];

/// The Artificial Analysis adapter.
#[derive(Debug)]
pub struct ArtificialAnalysis;

#[async_trait::async_trait]
impl Source for ArtificialAnalysis {
    fn name(&self) -> &'static str {
        "artificialanalysis"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        use secrecy::ExposeSecret;
        let key = context
            .secret
            .as_ref()
            .ok_or_else(|| FetchError::NotConfigured("key not configured".to_owned()))?;
        let headers = vec![("x-api-key", key.expose_secret().to_owned())];
        let mut documents = Vec::new();
        let mut page = 1;
        loop {
            let url = if page == 1 {
                format!("{}{PATH}", context.base_url)
            } else {
                format!("{}{PATH}?page={page}", context.base_url)
            };
            let document = http.get(&format!("models:{page}"), &url, &headers).await?;
            let body: Value = json(&document)?;
            documents.push(document);
            let has_more = body
                .pointer("/pagination/has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            // All pages or none: a price dump missing pages would read as models gone from it.
            if !has_more || page >= MAX_PAGES {
                return Ok(Fetched::complete(documents));
            }
            page += 1;
        }
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let mut parsed = Parsed::default();
        for document in documents {
            let body: Value = json(document)?;
            let models = body.get("data").and_then(Value::as_array).ok_or_else(|| {
                ParseError::Malformed {
                    key: document.key.clone(),
                    reason: "missing field `data`".to_owned(),
                }
            })?;
            for model in models {
                parsed.records += 1;
                parse_model(model, context, &mut parsed);
            }
        }
        parsed.check_drift()
    }
}

fn parse_model(model: &Value, context: &SourceContext, parsed: &mut Parsed) {
    let Some(slug) = text(model.get("slug")).or_else(|| text(model.get("id"))) else {
        parsed.fail("model without `slug`");
        return;
    };
    let evaluations = model.get("evaluations");
    let pricing = model.get("pricing");
    let performance = model.get("performance").unwrap_or(model);
    if evaluations.is_none() && pricing.is_none() && model.get("performance").is_none() {
        parsed.fail(format!(
            "{slug}: no `evaluations`, `pricing` or speed fields"
        ));
        return;
    }
    let mut extra = serde_json::Map::new();
    for (field, key) in [
        ("name", "/name"),
        ("creator", "/model_creator/slug"),
        ("id", "/id"),
    ] {
        if let Some(value) = text(model.pointer(key)) {
            extra.insert(field.to_owned(), Value::String(value));
        }
    }
    if let Some(release) = text(model.get("release_date")) {
        extra.insert("release_date".to_owned(), Value::String(release));
    }
    parsed.describe_benchmark_model(
        &slug,
        text(model.pointer("/model_creator/slug")),
        super::date(model.get("release_date")),
        None,
    );
    if let (Some(record), Some(name)) = (parsed.models.last_mut(), text(model.get("name")))
        && record.upstream_name == slug
    {
        record.display_name = name;
    }
    let extra = Value::Object(extra);
    let mut push = |category: &str, metric: &str, value: f64| {
        let mut observation = ParsedObservation::new(category, metric, &slug, context.today, value);
        observation.extra = Some(extra.clone());
        parsed.observations.push(observation);
    };
    let mut pending = Vec::new();
    for (key, metric) in EVALUATIONS {
        if let Some(value) = number(evaluations.and_then(|evaluations| evaluations.get(*key))) {
            pending.push((vocabulary::QUALITY, *metric, value));
        }
    }
    for (key, metric) in PRICES {
        if let Some(value) = number(pricing.and_then(|pricing| pricing.get(*key))) {
            pending.push((vocabulary::PRICING, *metric, value));
        }
    }
    let mut skipped = 0;
    for (key, metric) in [
        ("median_time_to_first_token_seconds", vocabulary::TTFT),
        ("median_output_tokens_per_second", vocabulary::THROUGHPUT),
    ] {
        match number(performance.get(key)) {
            Some(value) if value > 0.0 => pending.push((vocabulary::PERFORMANCE, metric, value)),
            Some(_) => skipped += 1,
            None => {}
        }
    }
    for (category, metric, value) in pending {
        push(category, metric, value);
    }
    parsed.skipped += skipped;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{ScriptedHttp, context, fixture};

    fn value(parsed: &Parsed, slug: &str, metric: &str) -> Option<f64> {
        parsed
            .observations
            .iter()
            .find(|observation| {
                observation.source_model_name == slug && observation.metric == metric
            })
            .map(|observation| observation.value)
    }

    #[test]
    fn parses_both_fixture_files() {
        let (Some(docs_example), Some(reconstructed)) = (
            fixture(
                "artificialanalysis/data_llms_models.docs_example.json",
                "models:1",
            ),
            fixture(
                "artificialanalysis/data_llms_models.RECONSTRUCTED.json",
                "models:1",
            ),
        ) else {
            return;
        };
        let parsed = ArtificialAnalysis
            .parse(&[docs_example], &context())
            .expect("docs example parses");
        assert_eq!(
            value(&parsed, "o3-mini", vocabulary::QUALITY_INDEX),
            Some(62.9)
        );
        assert_eq!(value(&parsed, "o3-mini", vocabulary::TTFT), Some(14.939));
        assert_eq!(
            value(&parsed, "o3-mini", vocabulary::INPUT_PRICE),
            Some(1.1)
        );

        let parsed = ArtificialAnalysis
            .parse(&[reconstructed], &context())
            .expect("reconstructed parses");
        assert_eq!(parsed.records, 15);
        assert_eq!(
            value(&parsed, "claude-35-sonnet", "coding_index"),
            Some(30.2)
        );
        assert_eq!(
            value(&parsed, "claude-35-sonnet", vocabulary::OUTPUT_PRICE),
            Some(15.0)
        );
        // kimi-k2-thinking: zero speed means "not measured", null prices are absent
        assert_eq!(
            value(&parsed, "kimi-k2-thinking", vocabulary::THROUGHPUT),
            None
        );
        assert_eq!(
            value(&parsed, "kimi-k2-thinking", vocabulary::INPUT_PRICE),
            None
        );
        assert_eq!(value(&parsed, "kimi-k2-thinking", "math_index"), Some(94.7));
        assert_eq!(parsed.skipped, 2);
    }

    #[tokio::test]
    async fn follows_the_paginated_shape_and_needs_the_key() {
        let http = ScriptedHttp::default();
        let error = ArtificialAnalysis
            .fetch(&http, &context())
            .await
            .expect_err("no key");
        assert_eq!(error.to_string(), "key not configured");

        let mut http = ScriptedHttp::default();
        let page = |page: u64, has_more: bool, slug: &str| {
            serde_json::to_vec(&serde_json::json!({
                "tier": "free",
                "pagination": {"page": page, "page_size": 1, "total_pages": 2, "has_more": has_more},
                "data": [{"slug": slug, "evaluations": {"artificial_analysis_intelligence_index": 50.0},
                          "performance": {"median_output_tokens_per_second": 80.0,
                                          "median_time_to_first_token_seconds": 0.4}}]
            }))
            .expect("json")
        };
        http.responses
            .insert(format!("http://upstream.test{PATH}"), page(1, true, "a"));
        http.responses.insert(
            format!("http://upstream.test{PATH}?page=2"),
            page(2, false, "b"),
        );
        let mut context = context();
        context.secret = Some("k".to_owned().into());
        let documents = ArtificialAnalysis
            .fetch(&http, &context)
            .await
            .expect("fetches")
            .documents;
        let parsed = ArtificialAnalysis
            .parse(&documents, &context)
            .expect("parses");
        assert_eq!(value(&parsed, "b", vocabulary::THROUGHPUT), Some(80.0));
        assert_eq!(value(&parsed, "a", vocabulary::TTFT), Some(0.4));
    }
}
