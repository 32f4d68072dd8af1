//! OpenRouter models API (`GET /api/v1/models`, one response, no auth).
//!
//! Each row's `id` (`vendor/model[:variant]`) is its source name, so `:free`, `:thinking`, `:exacto`…
//! variants are kept as their own rows; matching strips the variant. Prices are decimal strings in
//! USD per token, parsed exactly and stored per million tokens (`"0"` is free and flagged in `extra`;
//! `"-1"` marks router or variable pricing and is skipped). Both dumps' schemas are accepted: pricing
//! keys that disappeared in 2026 are optional, and new keys (`knowledge_cutoff`, `links`, …) are
//! ignored. Rows other than routers also produce model metadata (gap-filling; a variant row describes
//! its base model, which may have no row of its own):
//! creator from the vendor prefix, release date from `created`, context length, open weights when a
//! Hugging Face id is given.

use benchhub_common::vocabulary;
use chrono::DateTime;
use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::observation::{ModelRecord, Parsed, ParsedObservation, RecordKind};

/// Path of the models endpoint.
pub const PATH: &str = "/api/v1/models";

/// The OpenRouter adapter.
#[derive(Debug)]
pub struct OpenRouter;

/// Canonical creator of an OpenRouter vendor prefix.
pub fn creator(vendor: &str) -> String {
    match vendor {
        "x-ai" => "xai",
        "z-ai" => "zai",
        "meta-llama" => "meta",
        "mistralai" => "mistral",
        "qwen" => "alibaba",
        "google" => "google",
        other => other,
    }
    .to_owned()
}

/// Parses a decimal USD-per-token string into USD per million tokens without binary rounding
/// surprises (`"0.0000025"` → 2.5). Returns `None` for anything that is not a plain decimal.
pub fn per_million(price: &str) -> Option<f64> {
    let price = price.trim();
    let (negative, digits) = match price.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, price),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|byte| byte.is_ascii_digit())
        || !fraction.bytes().all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    // value = mantissa / 10^scale; per million = mantissa / 10^(scale - 6)
    let mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
    let scale = fraction.len() as i32 - 6;
    let magnitude = if scale > 0 {
        mantissa as f64 / 10f64.powi(scale)
    } else {
        mantissa as f64 * 10f64.powi(-scale)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Whether a row is billed by something other than tokens: a non-zero price besides `prompt` and
/// `completion` (`request`, `image`, `web_search`…), or an output modality other than text.
fn non_token_pricing(row: &Value) -> bool {
    let other_price = row
        .get("pricing")
        .and_then(Value::as_object)
        .is_some_and(|pricing| {
            pricing
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "prompt" | "completion"))
                .filter(|(key, _)| !key.starts_with("input_cache") && *key != "internal_reasoning")
                .any(|(_, value)| {
                    text(Some(value))
                        .and_then(|price| per_million(&price))
                        .is_some_and(|price| price > 0.0)
                })
        });
    let non_text_output = row
        .pointer("/architecture/output_modalities")
        .and_then(Value::as_array)
        .is_some_and(|modalities| {
            modalities
                .iter()
                .filter_map(Value::as_str)
                .any(|modality| modality != "text")
        });
    other_price || non_text_output
}

#[async_trait::async_trait]
impl Source for OpenRouter {
    fn name(&self) -> &'static str {
        "openrouter"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        super::fetch_single(http, context, "models", PATH).await
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let document = super::document(documents, "models")?;
        let body: Value = json(document)?;
        let rows =
            body.get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| ParseError::Malformed {
                    key: document.key.clone(),
                    reason: "missing field `data`".to_owned(),
                })?;
        let mut parsed = Parsed::default();
        for row in rows {
            parsed.records += 1;
            parse_row(row, context, &mut parsed);
        }
        parsed.check_drift()
    }
}

fn parse_row(row: &Value, context: &SourceContext, parsed: &mut Parsed) {
    let Some(id) = text(row.get("id")) else {
        parsed.fail("model without `id`");
        return;
    };
    let Some(pricing) = row.get("pricing").filter(|pricing| pricing.is_object()) else {
        parsed.fail(format!("{id}: no `pricing` object"));
        return;
    };
    let (base_id, variant) = match id.split_once(':') {
        Some((base, variant)) => (base.to_owned(), Some(variant.to_owned())),
        None => (id.clone(), None),
    };
    let prompt = text(pricing.get("prompt")).and_then(|price| per_million(&price));
    let completion = text(pricing.get("completion")).and_then(|price| per_million(&price));
    let zero_tokens = prompt == Some(0.0) && completion == Some(0.0);
    // "0" per token is free only for a model billed by the token: a row with a per-request, per-image…
    // price, or generating something other than text (a song, a video), is billed otherwise.
    let non_token = zero_tokens && variant.as_deref() != Some("free") && non_token_pricing(row);
    let free = zero_tokens && !non_token;
    let mut extra = serde_json::Map::new();
    if let Some(name) = text(row.get("name")) {
        extra.insert("name".to_owned(), Value::String(name));
    }
    if let Some(variant) = &variant {
        extra.insert("variant".to_owned(), Value::String(variant.clone()));
    }
    if let Some(slug) = text(row.get("canonical_slug")) {
        extra.insert("canonical_slug".to_owned(), Value::String(slug));
    }
    if free || variant.as_deref() == Some("free") {
        extra.insert("free".to_owned(), Value::Bool(true));
    }
    if non_token {
        extra.insert("non_token_pricing".to_owned(), Value::Bool(true));
    }
    let extra = Value::Object(extra);
    let observe = |parsed: &mut Parsed, category: &str, metric: &str, value: f64| {
        let mut observation = ParsedObservation::new(category, metric, &id, context.today, value);
        // A variant is matched as its base model; `:thinking` keeps its mode (it is that model run
        // with reasoning on).
        observation.match_name = variant.as_deref().map(|variant| match variant {
            "thinking" => format!("{base_id}:thinking"),
            _ => base_id.clone(),
        });
        observation.extra = Some(extra.clone());
        parsed.observations.push(observation);
    };
    for (price, metric) in [
        (prompt, vocabulary::INPUT_PRICE),
        (completion, vocabulary::OUTPUT_PRICE),
    ] {
        match price {
            Some(_) if non_token => parsed.skipped += 1,
            Some(value) if value >= 0.0 => observe(parsed, vocabulary::PRICING, metric, value),
            Some(_) => parsed.skipped += 1,
            None => {}
        }
    }
    let context_length = number(row.get("context_length"))
        .or_else(|| number(row.pointer("/top_provider/context_length")))
        .filter(|length| *length > 0.0);
    if let Some(length) = context_length {
        observe(parsed, "metadata", "context_length", length);
    }
    let Some((vendor, model)) = base_id.split_once('/') else {
        return;
    };
    // Routers (`openrouter/auto`, `~openai/gpt-latest`) are no model of their own.
    if vendor == "openrouter" || vendor.starts_with('~') {
        return;
    }
    // A variant row (`:free`, `:thinking`) describes its base model, which it may be the only row of.
    let display_name = text(row.get("name"))
        .map(|name| match name.split_once(": ") {
            Some((_, rest)) => rest.to_owned(),
            None => name,
        })
        .map(|name| match &variant {
            Some(variant) => name
                .trim_end_matches(&format!(" ({variant})"))
                .trim()
                .to_owned(),
            None => name,
        })
        .unwrap_or_else(|| model.to_owned());
    let hugging_face = text(row.get("hugging_face_id"));
    parsed.models.push(ModelRecord {
        upstream_name: base_id.clone(),
        kind: RecordKind::Catalog,
        creator: Some(creator(vendor)),
        display_name,
        release_date: row
            .get("created")
            .and_then(Value::as_i64)
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .map(|time| time.date_naive()),
        observed_on: None,
        context_length: context_length.and_then(|length| i32::try_from(length as i64).ok()),
        open_weights: hugging_face.map(|_| true),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    fn value(parsed: &Parsed, id: &str, metric: &str) -> Option<f64> {
        parsed
            .observations
            .iter()
            .find(|observation| observation.source_model_name == id && observation.metric == metric)
            .map(|observation| observation.value)
    }

    #[test]
    fn zero_token_prices_of_rows_billed_otherwise_are_not_free() {
        let row = serde_json::json!({
            "id": "google/lyria-3-pro-preview",
            "pricing": {"prompt": "0", "completion": "0"},
            "architecture": {"output_modalities": ["text", "audio"]},
        });
        let mut parsed = Parsed::default();
        parse_row(&row, &context(), &mut parsed);
        assert!(
            parsed
                .observations
                .iter()
                .all(|o| o.category != vocabulary::PRICING)
        );
        assert_eq!(parsed.skipped, 2);
        let per_request = serde_json::json!({
            "id": "x/y",
            "pricing": {"prompt": "0", "completion": "0", "request": "0.005"},
        });
        let mut parsed = Parsed::default();
        parse_row(&per_request, &context(), &mut parsed);
        assert!(
            parsed
                .observations
                .iter()
                .all(|o| o.category != vocabulary::PRICING)
        );
        let free =
            serde_json::json!({"id": "x/y:free", "pricing": {"prompt": "0", "completion": "0"}});
        let mut parsed = Parsed::default();
        parse_row(&free, &context(), &mut parsed);
        assert_eq!(
            parsed
                .observations
                .iter()
                .filter(|o| o.category == vocabulary::PRICING)
                .count(),
            2
        );
    }

    #[test]
    fn decimal_prices_are_exact() {
        assert_eq!(per_million("0.0000025"), Some(2.5));
        assert_eq!(per_million("0.00001"), Some(10.0));
        assert_eq!(per_million("0"), Some(0.0));
        assert_eq!(per_million("-1"), Some(-1_000_000.0));
        assert_eq!(per_million("0.000000075"), Some(0.075));
        assert_eq!(per_million("abc"), None);
        assert_eq!(per_million(""), None);
    }

    #[test]
    fn parses_both_dumps_despite_schema_drift() {
        let (Some(old), Some(new)) = (
            fixture("openrouter/api_v1_models_2025-12-02.json", "models"),
            fixture("openrouter/api_v1_models_2026-05.json", "models"),
        ) else {
            return;
        };
        for (document, rows) in [(old, 335), (new, 364)] {
            let parsed = OpenRouter.parse(&[document], &context()).expect("parses");
            assert_eq!(parsed.records, rows);
            assert_eq!(parsed.failed, 0);
            assert_eq!(
                value(&parsed, "openai/gpt-4o-2024-08-06", vocabulary::INPUT_PRICE),
                Some(2.5)
            );
            assert_eq!(
                value(
                    &parsed,
                    "openai/gpt-4o-2024-08-06",
                    vocabulary::OUTPUT_PRICE
                ),
                Some(10.0)
            );
            assert_eq!(
                value(&parsed, "openai/gpt-4o-2024-08-06", "context_length"),
                Some(128_000.0)
            );
            // "-1" router prices are skipped, the row's context length is kept
            assert_eq!(
                value(&parsed, "openrouter/auto", vocabulary::INPUT_PRICE),
                None
            );
            assert!(parsed.skipped >= 2);
            // :free variants are rows of their own, priced 0 and flagged
            let free = parsed
                .observations
                .iter()
                .find(|observation| observation.source_model_name == "openai/gpt-oss-20b:free")
                .expect("free variant");
            assert_eq!(free.value, 0.0);
            assert_eq!(free.match_name.as_deref(), Some("openai/gpt-oss-20b"));
            assert_eq!(free.extra.as_ref().expect("extra")["free"], true);
            let record = parsed
                .models
                .iter()
                .find(|model| model.upstream_name == "openai/gpt-4o-2024-08-06")
                .expect("metadata");
            assert_eq!(record.creator.as_deref(), Some("openai"));
            assert_eq!(record.kind, RecordKind::Catalog);
            assert_eq!(record.display_name, "GPT-4o (2024-08-06)");
            assert_eq!(
                record.release_date.map(|date| date.to_string()).as_deref(),
                Some("2024-08-06")
            );
            assert!(
                parsed
                    .models
                    .iter()
                    .all(|model| !model.upstream_name.contains(':'))
            );
        }
    }
}
