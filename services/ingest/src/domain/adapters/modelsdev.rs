//! models.dev (`GET /api.json`, one ~2.3 MB document: `{provider: {models: {id: {…}}}}`).
//!
//! Only first-party providers are read ([`FIRST_PARTY`]): resellers repeat the same models with their
//! own ids and prices, and the labs' own entries are the canonical metadata. Each model becomes the
//! source name `provider/model_id` with prices (USD per 1M tokens) when `cost` is present (missing for
//! ~7% of models), context and output limits, and a first-party metadata record (creator, release
//! date — `YYYY-MM-DD` or `YYYY-MM`, context length, open weights). An undated id beside dated ones
//! (`claude-opus-4-5`, `claude-opus-4-5-20251101`) resolves to one of those versions
//! ([`crate::domain::matcher`]).
//!
//! The repository's source files (`providers/<p>/models/<m>.toml`, optionally inheriting a shared
//! `models/<lab>/<m>.toml` through `base_model`) are read by [`parse_toml_model`] into the same
//! records, for when api.json lags the repository.

use benchhub_common::vocabulary;
use chrono::NaiveDate;
use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::observation::{ModelRecord, Parsed, ParsedObservation, RecordKind};

/// Path of the document.
pub const PATH: &str = "/api.json";

/// First-party provider ids and the canonical creator each stands for.
pub const FIRST_PARTY: &[(&str, &str)] = &[
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("google", "google"),
    ("deepseek", "deepseek"),
    ("mistral", "mistral"),
    ("xai", "xai"),
    ("alibaba", "alibaba"),
    ("moonshotai", "moonshotai"),
    ("zai", "zai"),
    ("cohere", "cohere"),
    ("minimax", "minimax"),
    ("llama", "meta"),
    ("perplexity", "perplexity"),
    ("inception", "inception"),
    ("poolside", "poolside"),
    ("stepfun", "stepfun"),
    ("xiaomi", "xiaomi"),
    ("upstage", "upstage"),
    ("sarvam", "sarvam"),
];

/// The models.dev adapter.
#[derive(Debug)]
pub struct ModelsDev;

fn release_date(value: Option<&Value>) -> Option<NaiveDate> {
    let text = text(value)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d"))
        .ok()
}

#[async_trait::async_trait]
impl Source for ModelsDev {
    fn name(&self) -> &'static str {
        "modelsdev"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        super::fetch_single(http, context, "api", PATH).await
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let document = super::document(documents, "api")?;
        let body: Value = json(document)?;
        let providers = body.as_object().ok_or_else(|| ParseError::Malformed {
            key: document.key.clone(),
            reason: "expected an object of providers".to_owned(),
        })?;
        let mut parsed = Parsed::default();
        for (provider, creator) in FIRST_PARTY {
            let Some(entry) = providers.get(*provider) else {
                continue;
            };
            let Some(models) = entry.get("models").and_then(Value::as_object) else {
                parsed.records += 1;
                parsed.fail(format!("{provider}: no `models` object"));
                continue;
            };
            for (model_id, model) in models {
                parsed.records += 1;
                parse_model(provider, creator, model_id, model, context, &mut parsed);
            }
        }
        parsed.check_drift()
    }
}

fn parse_model(
    provider: &str,
    creator: &str,
    model_id: &str,
    model: &Value,
    context: &SourceContext,
    parsed: &mut Parsed,
) {
    if !model.is_object() {
        parsed.fail(format!("{provider}/{model_id}: not an object"));
        return;
    }
    let name = format!("{provider}/{model_id}");
    let context_length = number(model.pointer("/limit/context")).filter(|length| *length > 0.0);
    let output_limit = number(model.pointer("/limit/output")).filter(|length| *length > 0.0);
    let mut extra = serde_json::Map::new();
    for field in ["name", "status", "knowledge"] {
        if let Some(value) = text(model.get(field)) {
            extra.insert(field.to_owned(), Value::String(value));
        }
    }
    for field in ["reasoning", "tool_call", "open_weights"] {
        if let Some(flag) = model.get(field).and_then(Value::as_bool) {
            extra.insert(field.to_owned(), Value::Bool(flag));
        }
    }
    let extra = Value::Object(extra);
    // Prices above a prompt-size threshold (`cost.tiers`, older `cost.context_over_200k`) travel with
    // the price observations; the runner costs long prompts with them.
    let mut pricing_extra = extra.clone();
    if let Value::Object(map) = &mut pricing_extra {
        for field in ["tiers", "context_over_200k"] {
            if let Some(value) = model
                .pointer(&format!("/cost/{field}"))
                .filter(|value| !value.is_null())
            {
                map.insert(field.to_owned(), value.clone());
            }
        }
    }
    let values = [
        (
            vocabulary::PRICING,
            vocabulary::INPUT_PRICE,
            number(model.pointer("/cost/input")),
        ),
        (
            vocabulary::PRICING,
            vocabulary::OUTPUT_PRICE,
            number(model.pointer("/cost/output")),
        ),
        ("metadata", "context_length", context_length),
        ("metadata", "output_limit", output_limit),
    ];
    for (category, metric, value) in values {
        if let Some(value) = value.filter(|value| *value >= 0.0) {
            let mut observation =
                ParsedObservation::new(category, metric, &name, context.today, value);
            observation.extra = Some(if category == vocabulary::PRICING {
                pricing_extra.clone()
            } else {
                extra.clone()
            });
            parsed.observations.push(observation);
        }
    }
    parsed.models.push(ModelRecord {
        upstream_name: name,
        kind: RecordKind::FirstParty,
        creator: Some(creator.to_owned()),
        display_name: text(model.get("name")).unwrap_or_else(|| model_id.to_owned()),
        release_date: release_date(model.get("release_date")),
        observed_on: None,
        context_length: context_length.and_then(|length| i32::try_from(length as i64).ok()),
        open_weights: model.get("open_weights").and_then(Value::as_bool),
    });
}

/// Parses a provider's model TOML, merged over its `base_model` TOML when it names one (the provider's
/// keys win; tables such as `cost` and `limit` merge key by key), into `parsed` as `provider/model_id`.
pub fn parse_toml_model(
    provider: &str,
    model_id: &str,
    model_toml: &str,
    base_toml: Option<&str>,
    context: &SourceContext,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    let malformed = |error: toml::de::Error| ParseError::Malformed {
        key: format!("{provider}/{model_id}.toml"),
        reason: error.message().to_owned(),
    };
    let own: Value = toml::from_str(model_toml).map_err(malformed)?;
    let mut merged = match base_toml {
        Some(base) => toml::from_str::<Value>(base).map_err(malformed)?,
        None => Value::Object(serde_json::Map::new()),
    };
    if let (Some(target), Value::Object(own)) = (merged.as_object_mut(), own) {
        for (key, value) in own {
            match (target.get_mut(&key), value) {
                (Some(Value::Object(existing)), Value::Object(overrides)) => {
                    existing.extend(overrides);
                }
                (_, value) => {
                    target.insert(key, value);
                }
            }
        }
    }
    let creator = FIRST_PARTY
        .iter()
        .find(|(id, _)| *id == provider)
        .map(|(_, creator)| *creator)
        .unwrap_or(provider);
    parsed.records += 1;
    parse_model(provider, creator, model_id, &merged, context, parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    #[test]
    fn parses_the_full_and_subset_documents() {
        let (Some(full), Some(subset)) = (
            fixture("modelsdev/api.json", "api"),
            fixture("modelsdev/api.subset.json", "api"),
        ) else {
            return;
        };
        for document in [full, subset] {
            let parsed = ModelsDev.parse(&[document], &context()).expect("parses");
            assert_eq!(parsed.failed, 0);
            let price = parsed
                .observations
                .iter()
                .find(|observation| {
                    observation.source_model_name == "openai/gpt-4o-2024-08-06"
                        && observation.metric == vocabulary::INPUT_PRICE
                })
                .expect("gpt-4o price");
            assert_eq!(price.value, 2.5);
            let sonnet = parsed
                .models
                .iter()
                .find(|model| model.upstream_name == "anthropic/claude-3-5-sonnet-20241022")
                .expect("sonnet");
            assert_eq!(sonnet.display_name, "Claude Sonnet 3.5 v2");
            assert_eq!(sonnet.kind, RecordKind::FirstParty);
            assert_eq!(sonnet.context_length, Some(200_000));
            assert_eq!(sonnet.open_weights, Some(false));
            let deepseek = parsed
                .models
                .iter()
                .find(|model| model.upstream_name == "deepseek/deepseek-chat")
                .expect("deepseek");
            assert_eq!(deepseek.open_weights, Some(true));
            assert!(
                parsed
                    .models
                    .iter()
                    .any(|model| model.creator.as_deref() == Some("meta"))
            );
            // resellers are not read
            assert!(
                parsed
                    .observations
                    .iter()
                    .all(|observation| !observation.source_model_name.starts_with("openrouter/"))
            );
        }
    }

    #[test]
    fn parses_the_source_toml_files_with_inheritance() {
        let Some(directory) = benchhub_testkit::fixtures_dir() else {
            return;
        };
        let directory = directory.join("modelsdev/toml");
        let read = |name: &str| {
            std::fs::read_to_string(directory.join(name))
                .unwrap_or_else(|error| panic!("{name}: {error}"))
        };
        let mut parsed = Parsed::default();
        let mut files: Vec<String> = std::fs::read_dir(&directory)
            .expect("toml directory")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        files.sort();
        for file in &files {
            let text = read(file);
            if let Some(rest) = file.strip_prefix("providers_")
                && let Some((provider, model)) =
                    rest.trim_end_matches(".toml").split_once("_models_")
            {
                let own: Value = toml::from_str(&text).expect("toml");
                let base = own
                    .get("base_model")
                    .and_then(Value::as_str)
                    .map(|base| read(&format!("models_{}.toml", base.replace('/', "_"))));
                parse_toml_model(
                    provider,
                    model,
                    &text,
                    base.as_deref(),
                    &context(),
                    &mut parsed,
                )
                .expect("parses");
            } else {
                // provider.toml and shared model files are plain TOML tables
                let table: Value = toml::from_str(&text).expect("toml");
                assert!(table.get("name").is_some(), "{file}");
            }
        }
        let value = |name: &str, metric: &str| {
            parsed
                .observations
                .iter()
                .find(|observation| {
                    observation.source_model_name == name && observation.metric == metric
                })
                .map(|observation| observation.value)
        };
        assert_eq!(
            value("anthropic/claude-opus-4-5", vocabulary::INPUT_PRICE),
            Some(5.0)
        );
        assert_eq!(
            value("anthropic/claude-opus-4-5", "context_length"),
            Some(200_000.0)
        );
        // gpt-5's provider file sets the price; the context comes from its base model
        assert_eq!(value("openai/gpt-5", vocabulary::INPUT_PRICE), Some(1.25));
        assert_eq!(value("openai/gpt-5", "context_length"), Some(400_000.0));
        let record = parsed
            .models
            .iter()
            .find(|model| model.upstream_name == "openai/gpt-5")
            .expect("gpt-5 record");
        assert_eq!(record.display_name, "GPT-5");
        assert_eq!(
            record.release_date.map(|date| date.to_string()).as_deref(),
            Some("2025-08-07")
        );
        assert_eq!(parsed.failed, 0);
    }

    #[test]
    fn month_only_release_dates_parse() {
        assert_eq!(
            release_date(Some(&Value::String("2024-09".to_owned()))).map(|date| date.to_string()),
            Some("2024-09-01".to_owned())
        );
    }

    #[test]
    fn prompt_size_price_tiers_travel_with_the_prices() {
        let Some(directory) = benchhub_testkit::fixtures_dir() else {
            return;
        };
        let text = std::fs::read_to_string(directory.join("modelsdev/api.json")).expect("api.json");
        let document: Value = serde_json::from_str(&text).expect("json");
        let mut checked = 0;
        for (provider, entry) in document.as_object().expect("providers") {
            for (model_id, model) in entry["models"].as_object().into_iter().flatten() {
                let Some(tiers) = model.pointer("/cost/tiers") else {
                    continue;
                };
                let mut parsed = Parsed::default();
                let source_context = context();
                parse_model(
                    provider,
                    provider,
                    model_id,
                    model,
                    &source_context,
                    &mut parsed,
                );
                let input = parsed
                    .observations
                    .iter()
                    .find(|observation| observation.metric == vocabulary::INPUT_PRICE)
                    .expect("an input price");
                assert_eq!(
                    input.extra.as_ref().and_then(|extra| extra.get("tiers")),
                    Some(tiers)
                );
                let context_length = parsed
                    .observations
                    .iter()
                    .find(|observation| observation.metric == "context_length");
                if let Some(observation) = context_length {
                    assert!(
                        observation
                            .extra
                            .as_ref()
                            .and_then(|extra| extra.get("tiers"))
                            .is_none()
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 0, "the dump has models with price tiers");
    }
}
