//! EcoLogits API (`/v1beta/providers`, `/v1beta/models/{provider}`, `POST /v1beta/estimations`).
//!
//! For every model of every provider, benchhub asks for the impacts of one reference request:
//! [`REFERENCE_OUTPUT_TOKENS`] output tokens, with a latency of `ttft + tokens / tps` from the model's
//! deployment data (or [`DEFAULT_LATENCY_SECONDS`] when EcoLogits has none), in the world electricity
//! mix. Energy (kWh) and GWP (kgCO2eq) per request go to category `energy`. A value is a number or a
//! `{min, max}` range: ranges are stored as their midpoint with the bounds as CI. An unknown model is
//! not an HTTP error but a 200 with `errors`, and an estimation request the API refuses (4xx, or its
//! documented 500 "Failed to Estimate impacts") leaves the model without a value: both are counted as
//! skipped, not failed; a provider whose model list answers 404 is skipped. Warnings arrive as bare codes (package data) or `{code, message}` (API).

use serde_json::{Value, json as json_value};

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::observation::{Parsed, ParsedObservation};

/// Output tokens of the reference request.
pub const REFERENCE_OUTPUT_TOKENS: u32 = 1000;
/// Latency of the reference request when EcoLogits has no deployment data for the model.
pub const DEFAULT_LATENCY_SECONDS: f64 = 30.0;
/// Electricity mix zone of the reference request (world average).
pub const ZONE: &str = "WOR";

/// The EcoLogits adapter.
#[derive(Debug)]
pub struct EcoLogits;

/// One model from a provider's model list.
#[derive(Debug, Clone, PartialEq)]
pub struct EcoModel {
    /// EcoLogits provider id (`openai`, `google_genai`, …).
    pub provider: String,
    /// Model name as the provider spells it.
    pub name: String,
    /// Tokens per second of the reference deployment, if known.
    pub tps: Option<f64>,
    /// Time to first token of the reference deployment, if known.
    pub ttft: Option<f64>,
    /// Architecture as reported (`dense`/`moe` with parameters).
    pub architecture: Option<Value>,
    /// Warning codes.
    pub warnings: Vec<String>,
}

impl EcoModel {
    /// The reference request for this model.
    pub fn estimation_request(&self) -> Value {
        let latency = match (self.tps, self.ttft) {
            (Some(tps), ttft) if tps > 0.0 => {
                ttft.unwrap_or(0.0) + f64::from(REFERENCE_OUTPUT_TOKENS) / tps
            }
            _ => DEFAULT_LATENCY_SECONDS,
        };
        let latency = (latency * 1000.0).round() / 1000.0;
        json_value!({
            "provider": self.provider,
            "model_name": self.name,
            "output_token_count": REFERENCE_OUTPUT_TOKENS,
            "request_latency": latency,
            "electricity_mix_zone": ZONE,
        })
    }

    /// Source model name: `provider/name`.
    pub fn source_name(&self) -> String {
        format!("{}/{}", self.provider, self.name)
    }
}

/// Parses `{providers:[…]}`.
pub fn parse_providers(document: &Document) -> Result<Vec<String>, ParseError> {
    let body: Value = json(document)?;
    let providers = body
        .get("providers")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Malformed {
            key: document.key.clone(),
            reason: "missing field `providers`".to_owned(),
        })?;
    Ok(providers
        .iter()
        .filter_map(|provider| text(Some(provider)))
        .collect())
}

/// Parses a model list: the API's `{models:[…]}` or the package's `models.json` (`{aliases, models}`).
pub fn parse_models(document: &Document) -> Result<Vec<EcoModel>, ParseError> {
    let body: Value = json(document)?;
    let models = body
        .get("models")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Malformed {
            key: document.key.clone(),
            reason: "missing field `models`".to_owned(),
        })?;
    Ok(models
        .iter()
        .filter_map(|model| {
            let provider = text(model.get("provider"))?;
            let name = text(model.get("name"))?;
            let warnings = model
                .get("warnings")
                .and_then(Value::as_array)
                .map(|warnings| {
                    warnings
                        .iter()
                        .filter_map(|warning| {
                            text(Some(warning)).or_else(|| text(warning.get("code")))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(EcoModel {
                provider,
                name,
                tps: number(model.pointer("/deployment/tps")),
                ttft: number(model.pointer("/deployment/ttft")),
                architecture: model.get("architecture").cloned(),
                warnings,
            })
        })
        .collect())
}

/// One impact value: (midpoint, min, max); a plain number has no range.
pub fn impact(value: Option<&Value>) -> Option<Impact> {
    let value = value?;
    if let Some(number) = number(Some(value)) {
        return Some((number, None, None));
    }
    let low = number(value.get("min"))?;
    let high = number(value.get("max"))?;
    Some(((low + high) / 2.0, Some(low), Some(high)))
}

/// An impact value: midpoint, and the range's bounds when it is a range.
pub type Impact = (f64, Option<f64>, Option<f64>);

/// Parses an estimation response into [energy, gwp] or the upstream's error codes.
pub fn parse_estimation(document: &Document) -> Result<Result<[Impact; 2], String>, ParseError> {
    let body: Value = json(document)?;
    let impacts = body.get("impacts").ok_or_else(|| ParseError::Malformed {
        key: document.key.clone(),
        reason: "missing field `impacts`".to_owned(),
    })?;
    let energy = impact(impacts.pointer("/energy/value"));
    let gwp = impact(impacts.pointer("/gwp/value"));
    match (energy, gwp) {
        (Some(energy), Some(gwp)) => Ok(Ok([energy, gwp])),
        _ => {
            let codes: Vec<String> = impacts
                .get("errors")
                .and_then(Value::as_array)
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|error| text(error.get("code")))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Err(if codes.is_empty() {
                "no energy or gwp value".to_owned()
            } else {
                codes.join(", ")
            }))
        }
    }
}

#[async_trait::async_trait]
impl Source for EcoLogits {
    fn name(&self) -> &'static str {
        "ecologits"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        let base = &context.base_url;
        let providers_document = http
            .get("providers", &format!("{base}/v1beta/providers"), &[])
            .await?;
        let providers = parse_providers(&providers_document)?;
        let mut fetched = Fetched::complete(vec![providers_document]);
        let mut models = Vec::new();
        // A provider or an estimation that fails is listed; the others are kept.
        for provider in providers {
            let key = format!("models:{provider}");
            match http
                .get(&key, &format!("{base}/v1beta/models/{provider}"), &[])
                .await
            {
                Ok(document) => {
                    models.extend(parse_models(&document)?);
                    fetched.documents.push(document);
                }
                Err(error) if error.is_not_found() => {}
                Err(error) => {
                    if !fetched.failed(key, &error) {
                        return Ok(fetched);
                    }
                }
            }
        }
        let url = format!("{base}/v1beta/estimations");
        let results = super::fetch_all(models, context.concurrency, |model| {
            let url = url.clone();
            async move {
                let key = format!("estimation:{}", model.source_name());
                let result = http
                    .post_json(&key, &url, &model.estimation_request())
                    .await;
                (key, result)
            }
        })
        .await;
        for (key, result) in results {
            match result {
                Ok(document) => fetched.documents.push(document),
                // An estimation the upstream says it cannot make ("Failed to Estimate impacts" is a
                // 500; a 4xx is a refused model) is one failed record, not a failed source.
                Err(FetchError::Status { status, .. }) if (400..500).contains(&status) => {}
                Err(FetchError::Status { status: 500, .. }) => {}
                Err(error) => {
                    fetched.failed(key, &error);
                }
            }
        }
        Ok(fetched)
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let mut parsed = Parsed::default();
        let mut models = std::collections::HashMap::new();
        for document in documents
            .iter()
            .filter(|document| document.key.starts_with("models:"))
        {
            for model in parse_models(document)? {
                models.insert(model.source_name(), model);
            }
        }
        let expected = models.len();
        let mut estimated = 0;
        for document in documents
            .iter()
            .filter(|document| document.key.starts_with("estimation:"))
        {
            let name = document.key.trim_start_matches("estimation:");
            parsed.records += 1;
            estimated += 1;
            match parse_estimation(document)? {
                Ok([energy, gwp]) => {
                    let model = models.get(name);
                    let mut extra = serde_json::Map::new();
                    extra.insert(
                        "reference_request".to_owned(),
                        json_value!({"output_token_count": REFERENCE_OUTPUT_TOKENS, "electricity_mix_zone": ZONE}),
                    );
                    if let Some(model) = model {
                        if let Some(architecture) = &model.architecture {
                            extra.insert("architecture".to_owned(), architecture.clone());
                        }
                        if !model.warnings.is_empty() {
                            extra.insert("warnings".to_owned(), json_value!(model.warnings));
                        }
                    }
                    let extra = Value::Object(extra);
                    for ((value, low, high), metric) in [
                        (energy, "energy_kwh_per_request"),
                        (gwp, "gwp_kgco2eq_per_request"),
                    ] {
                        let mut observation =
                            ParsedObservation::new("energy", metric, name, context.today, value);
                        observation.ci_low = low;
                        observation.ci_high = high;
                        observation.extra = Some(extra.clone());
                        parsed.observations.push(observation);
                    }
                }
                // The upstream has no estimate for this model: nothing to store, not a broken payload.
                Err(codes) => {
                    tracing::debug!(model = name, codes = %codes, "no estimation");
                    parsed.skipped += 1;
                }
            }
        }
        // Models whose estimation request was refused have no document at all.
        parsed.skipped += expected.saturating_sub(estimated);
        if !documents.iter().any(|document| document.key == "providers") {
            return Err(ParseError::Missing("providers".to_owned()));
        }
        parsed.check_drift()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{ScriptedHttp, context, fixture};

    #[test]
    fn parses_every_api_fixture() {
        let Some(providers) = fixture("ecologits/v1beta_providers.json", "providers") else {
            return;
        };
        assert_eq!(parse_providers(&providers).expect("providers").len(), 6);
        let mut total = 0;
        for provider in ["openai", "anthropic", "mistralai", "google_genai"] {
            let document = fixture(
                &format!("ecologits/v1beta_models_{provider}.json"),
                &format!("models:{provider}"),
            )
            .expect("present with the providers file");
            let models = parse_models(&document).expect("models");
            assert!(models.iter().all(|model| model.provider == provider));
            total += models.len();
        }
        assert!(total > 100, "{total}");
        let package = fixture("ecologits/models.json", "models:package").expect("package data");
        let models = parse_models(&package).expect("package models");
        assert_eq!(models.len(), 361);
        let gpt4o = models
            .iter()
            .find(|model| model.name == "gpt-4o-2024-08-06")
            .expect("gpt-4o");
        assert_eq!(gpt4o.tps, Some(33.5));
        assert!(
            gpt4o
                .warnings
                .contains(&"model-arch-not-released".to_owned())
        );

        let mini = fixture(
            "ecologits/v1beta_estimations_openai_gpt-4o-mini.json",
            "estimation:openai/gpt-4o-mini",
        )
        .expect("estimation");
        let [energy, gwp] = parse_estimation(&mini).expect("json").expect("values");
        assert_eq!(energy.1, Some(1.740232832301384e-05));
        assert_eq!(energy.2, Some(2.1502108309942407e-05));
        assert!(gwp.0 > 0.0);
        let large = fixture(
            "ecologits/v1beta_estimations_mistralai_mistral-large-latest.json",
            "estimation:mistralai/mistral-large-latest",
        )
        .expect("estimation");
        let [energy, _] = parse_estimation(&large).expect("json").expect("values");
        assert_eq!(energy, (0.00013732043990974884, None, None));
        let unknown = fixture(
            "ecologits/v1beta_estimations_unknown_model.json",
            "estimation:openai/no-such-model",
        )
        .expect("estimation");
        assert_eq!(
            parse_estimation(&unknown).expect("json"),
            Err("model-not-registered".to_owned())
        );

        let cases = fixture("ecologits/v1beta_estimations_cases.json", "cases").expect("cases");
        let cases: Vec<Value> = json(&cases).expect("cases json");
        let outcomes: Vec<bool> = cases
            .iter()
            .map(|case| {
                let body = serde_json::to_vec(&case["response"]).expect("json");
                let document = Document::from_body("estimation:case", "case", body);
                parse_estimation(&document).expect("json").is_ok()
            })
            .collect();
        assert_eq!(outcomes, vec![true, true, true, true, true, true, false]);

        for zone in ["WOR", "FRA", "USA"] {
            let mix = fixture(
                &format!("ecologits/v1beta_electricity_mix_{zone}.json"),
                "mix",
            )
            .expect("mix");
            let mix: Value = json(&mix).expect("mix json");
            assert_eq!(
                mix.pointer("/electricity_mix/zone").and_then(Value::as_str),
                Some(zone)
            );
        }
        let csv = fixture("ecologits/electricity_mixes.csv", "mixes").expect("csv");
        let mut reader = csv::Reader::from_reader(csv.body.as_ref());
        let headers = reader.headers().expect("headers").clone();
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            vec!["name", "adpe", "pe", "gwp", "wue"]
        );
        assert!(
            reader
                .records()
                .filter_map(Result::ok)
                .any(|record| &record[0] == "FRA")
        );
    }

    #[tokio::test]
    async fn fetches_providers_models_and_estimations() {
        let Some(estimation) = fixture(
            "ecologits/v1beta_estimations_openai_gpt-4o-mini.json",
            "estimation:openai/gpt-4o-mini",
        ) else {
            return;
        };
        let mut http = ScriptedHttp::default();
        http.responses.insert(
            "http://upstream.test/v1beta/providers".to_owned(),
            br#"{"providers":["openai","cohere"]}"#.to_vec(),
        );
        http.responses.insert(
            "http://upstream.test/v1beta/models/openai".to_owned(),
            br#"{"models":[{"provider":"openai","name":"gpt-4o-mini","architecture":{"type":"dense","parameters":8},"warnings":[],"sources":[],"deployment":{"tps":50.0,"ttft":0.5}},
                           {"provider":"openai","name":"gone","architecture":null,"warnings":null,"sources":[],"deployment":null}]}"#
                .to_vec(),
        );
        http.responses.insert(
            "http://upstream.test/v1beta/estimations#estimation:openai/gpt-4o-mini".to_owned(),
            estimation.body.to_vec(),
        );
        let documents = EcoLogits
            .fetch(&http, &context())
            .await
            .expect("fetches")
            .documents;
        let parsed = EcoLogits.parse(&documents, &context()).expect("parses");
        assert_eq!(parsed.observations.len(), 2);
        assert_eq!(parsed.skipped, 1);
        assert_eq!(
            parsed.observations[0].source_model_name,
            "openai/gpt-4o-mini"
        );
        let request = EcoModel {
            provider: "openai".to_owned(),
            name: "x".to_owned(),
            tps: Some(50.0),
            ttft: Some(0.5),
            architecture: None,
            warnings: Vec::new(),
        }
        .estimation_request();
        assert_eq!(request["request_latency"], 20.5);
    }
}
