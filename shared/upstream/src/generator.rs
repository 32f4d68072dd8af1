//! A deterministic generator of upstream payloads in the exact formats of `../shared/fixtures`, for any
//! number of synthetic models.
//!
//! The model universe is the same for every source: the first models are real, well-known ones (so the
//! demo's rankings read naturally and names match the catalog seed), the rest synthetic
//! (`aurora-r42`, …) spread over the usual creators. Each source spells them its own way (lmarena
//! slugs, EvalPlus `Name (Mon YYYY)`, BigCodeBench title case, OpenRouter `vendor/slug`, SWE-bench
//! systems with `Model:` tags…). Scores derive from each model's hidden quality plus noise; everything
//! is a pure function of (seed, model count, date).

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Map, Value, json};

/// Real models the universe starts with: (creator, slug, display name, release date, open weights,
/// context length).
const REAL: &[(&str, &str, &str, &str, bool, u32)] = &[
    ("openai", "gpt-4o", "GPT-4o", "2024-05-13", false, 128_000),
    (
        "anthropic",
        "claude-3-5-sonnet",
        "Claude 3.5 Sonnet",
        "2024-06-20",
        false,
        200_000,
    ),
    (
        "google",
        "gemini-2.5-pro",
        "Gemini 2.5 Pro",
        "2025-03-25",
        false,
        1_048_576,
    ),
    (
        "deepseek",
        "deepseek-v3",
        "DeepSeek-V3",
        "2024-12-26",
        true,
        128_000,
    ),
    (
        "anthropic",
        "claude-opus-4-5",
        "Claude Opus 4.5",
        "2025-11-24",
        false,
        200_000,
    ),
    (
        "openai",
        "gpt-4o-mini",
        "GPT-4o mini",
        "2024-07-18",
        false,
        128_000,
    ),
    (
        "meta",
        "llama-3.1-70b-instruct",
        "Llama 3.1 70B Instruct",
        "2024-07-23",
        true,
        131_072,
    ),
    (
        "mistral",
        "mistral-large",
        "Mistral Large",
        "2024-11-18",
        false,
        131_072,
    ),
];

const CREATORS: &[&str] = &[
    "openai",
    "anthropic",
    "google",
    "meta",
    "mistral",
    "deepseek",
    "alibaba",
    "xai",
];

const WORDS: &[&str] = &[
    "aurora", "nimbus", "cobalt", "zephyr", "quartz", "ember", "sable", "orbit", "lumen", "vertex",
    "halcyon", "tundra",
];

/// ARC tasks generated per evaluation set.
pub const ARC_TASKS: usize = 3;
/// LiveCodeBench problems generated.
pub const LIVECODEBENCH_PROBLEMS: usize = 20;
/// Models that get ARC-AGI prediction folders (listing every model would mean thousands of files).
pub const ARC_MODELS: usize = 6;

/// One model of the synthetic universe.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticModel {
    /// Canonical creator slug.
    pub creator: &'static str,
    /// Lower-case id without creator (`gpt-4o`, `aurora-r12`).
    pub slug: String,
    /// Display name.
    pub display: String,
    /// Release date.
    pub release: NaiveDate,
    /// Whether weights are published.
    pub open_weights: bool,
    /// Context window.
    pub context: u32,
    /// Hidden quality in 0–1 that drives every score.
    pub quality: f64,
}

/// SplitMix64: tiny, fast and stable across platforms and crate versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeds a generator from a number and a label.
    pub fn new(seed: u64, label: &str, index: u64) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in label.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Self(seed ^ hash ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        value ^ (value >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [low, high).
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }
}

fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

fn title_case(slug: &str) -> String {
    slug.split('-')
        .map(|word| {
            let mut characters = word.chars();
            match characters.next() {
                Some(first) => first.to_uppercase().chain(characters).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn month_year(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec",
    ];
    format!("{} {}", MONTHS[date.month0() as usize], date.year())
}

/// The upstream generator.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    date: NaiveDate,
    models: Vec<SyntheticModel>,
}

/// A generated response body and its content type.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// HTTP status.
    pub status: u16,
    /// Content type.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
}

impl Generated {
    fn json(value: &Value) -> Self {
        Self {
            status: 200,
            content_type: "application/json",
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    fn not_found(detail: &str) -> Self {
        Self {
            status: 404,
            content_type: "application/json",
            body: serde_json::to_vec(&json!({ "detail": detail })).unwrap_or_default(),
        }
    }
}

impl Generator {
    /// Creates a generator of `models` models (at least 1) from `seed`, dated `date` (the publish
    /// date of dated sources and the reference of synthetic release dates).
    pub fn new(seed: u64, models: usize, date: NaiveDate) -> Self {
        let models = (0..models.max(1))
            .map(|index| Self::model(seed, index, date))
            .collect();
        Self { seed, date, models }
    }

    /// The default demo date.
    pub fn default_date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default()
    }

    /// The generator's models.
    pub fn models(&self) -> &[SyntheticModel] {
        &self.models
    }

    /// The generator's date.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    fn model(seed: u64, index: usize, date: NaiveDate) -> SyntheticModel {
        let mut rng = Rng::new(seed, "model", index as u64);
        let quality = rng.range(0.3, 0.95);
        if let Some((creator, slug, display, release, open_weights, context)) = REAL.get(index) {
            return SyntheticModel {
                creator,
                slug: (*slug).to_owned(),
                display: (*display).to_owned(),
                release: NaiveDate::parse_from_str(release, "%Y-%m-%d").unwrap_or(date),
                open_weights: *open_weights,
                context: *context,
                quality: 0.6 + 0.35 * quality,
            };
        }
        let word = WORDS[index % WORDS.len()];
        let creator = CREATORS[(index / WORDS.len()) % CREATORS.len()];
        let slug = format!("{word}-r{index}");
        SyntheticModel {
            creator,
            display: format!("{} R{index}", title_case(word)),
            slug,
            release: date - Duration::days((rng.next_u64() % 700) as i64),
            open_weights: rng.unit() < 0.4,
            context: [8_192u32, 32_768, 131_072, 200_000, 1_048_576][(rng.next_u64() % 5) as usize],
            quality,
        }
    }

    fn rng(&self, source: &str, index: usize) -> Rng {
        Rng::new(
            self.seed ^ (self.date.num_days_from_ce() as u64) << 20,
            source,
            index as u64,
        )
    }

    /// Answers a request for `source` at `path` (with `query`, without the `?`), or `None` when the
    /// source has no such route.
    pub fn respond(
        &self,
        source: &str,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Option<Generated> {
        let query = parse_query(query);
        let get = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        match (source, method, path) {
            ("lmarena", "GET", "/rows") => {
                let offset = get("offset")
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(0);
                let length = get("length")
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(100);
                Some(self.lmarena(get("config").unwrap_or("text"), offset, length))
            }
            ("artificialanalysis", "GET", "/api/v2/data/llms/models") => {
                Some(Generated::json(&self.artificial_analysis()))
            }
            ("ecologits", "GET", "/v1beta/providers") => Some(Generated::json(
                &json!({ "providers": self.ecologits_providers() }),
            )),
            ("ecologits", "GET", path) if path.starts_with("/v1beta/models/") => {
                let provider = path.trim_start_matches("/v1beta/models/");
                Some(self.ecologits_models(provider))
            }
            ("ecologits", "POST", "/v1beta/estimations") => Some(self.ecologits_estimation(body)),
            ("openrouter", "GET", "/api/v1/models") => Some(Generated::json(&self.openrouter())),
            ("modelsdev", "GET", "/api.json") => Some(Generated::json(&self.models_dev())),
            ("evalplus", "GET", "/results.json") => Some(Generated::json(&self.evalplus())),
            ("bigcodebench", "GET", "/results.json") => {
                Some(Generated::json(&self.bigcodebench(false)))
            }
            ("bigcodebench", "GET", "/results-hard.json") => {
                Some(Generated::json(&self.bigcodebench(true)))
            }
            ("swebench", "GET", "/SWE-bench/swe-bench.github.io/master/data/leaderboards.json") => {
                Some(Generated::json(&self.swebench()))
            }
            ("livecodebench", "GET", "/performances_generation.json") => {
                Some(Generated::json(&self.livecodebench()))
            }
            ("arc-agi", "GET", path) => self.arc_agi(path),
            ("arc-agi-tasks", "GET", path) => self.arc_task(path),
            ("lmarena-catalog", "GET", path) => self.arena_catalog(path),
            ("livebench", "GET", path) => self.livebench(path),
            _ => None,
        }
    }

    /// An arena-catalog `leaderboard-<subset>.json` (`{"full": {model: {rating, rating_q025,
    /// rating_q975}}}`), for `text` and `vision` only, as upstream (there is no webdev file).
    fn arena_catalog(&self, path: &str) -> Option<Generated> {
        let subset = path
            .strip_prefix("/lmarena/arena-catalog/main/data/leaderboard-")?
            .strip_suffix(".json")?;
        if !matches!(subset, "text" | "vision") {
            return None;
        }
        let board: serde_json::Map<String, Value> = self
            .models
            .iter()
            .enumerate()
            .map(|(index, model)| {
                let mut rng = self.rng(&format!("lmarena:{subset}"), index);
                let rating = 1000.0 + 500.0 * model.quality + rng.range(-15.0, 15.0);
                let half = rng.range(3.0, 12.0);
                (
                    model.slug.clone(),
                    json!({"rating": rating, "rating_q025": rating - half, "rating_q975": rating + half}),
                )
            })
            .collect();
        Some(Generated::json(&json!({ "full": board })))
    }

    fn lmarena(&self, config: &str, offset: usize, length: usize) -> Generated {
        let length = length.clamp(1, 100);
        let total = self.models.len();
        let end = (offset + length).min(total);
        let rows: Vec<Value> = (offset.min(total)..end)
            .map(|index| {
                let model = &self.models[index];
                let mut rng = self.rng(&format!("lmarena:{config}"), index);
                let rating = 1000.0 + 500.0 * model.quality + rng.range(-15.0, 15.0);
                let half = rng.range(3.0, 12.0);
                let votes = (rng.next_u64() % 20_000 + 500) as f64;
                let (vote_count, rank) = match config {
                    "webdev" => (json!(votes as i64), json!(index as i64 + 1)),
                    "vision" => (Value::Null, json!((index + 1) as f64)),
                    _ => (json!(votes), json!((index + 1) as f64)),
                };
                json!({
                    "row_idx": index,
                    "row": {
                        "model_name": model.slug,
                        "organization": model.creator,
                        "license": if model.open_weights { "Apache 2.0" } else { "Proprietary" },
                        "rating": rating,
                        "rating_lower": rating - half,
                        "rating_upper": rating + half,
                        "variance": if config == "vision" { Value::Null } else { json!(half * half / 4.0) },
                        "vote_count": vote_count,
                        "rank": rank,
                        "category": "overall",
                        "leaderboard_publish_date": self.date.to_string(),
                    },
                    "truncated_cells": []
                })
            })
            .collect();
        let count_type = if config == "webdev" {
            "int64"
        } else {
            "float64"
        };
        let features: Vec<Value> = [
            ("model_name", "string"),
            ("organization", "string"),
            ("license", "string"),
            ("rating", "float64"),
            ("rating_lower", "float64"),
            ("rating_upper", "float64"),
            ("variance", "float64"),
            ("vote_count", count_type),
            ("rank", count_type),
            ("category", "string"),
            ("leaderboard_publish_date", "string"),
        ]
        .iter()
        .enumerate()
        .map(|(index, (name, dtype))| {
            json!({"feature_idx": index, "name": name, "type": {"dtype": dtype, "_type": "Value"}})
        })
        .collect();
        Generated::json(&json!({
            "features": features,
            "rows": rows,
            "num_rows_total": total,
            "num_rows_per_page": 100,
            "partial": false,
        }))
    }

    fn artificial_analysis(&self) -> Value {
        let data: Vec<Value> = self
            .models
            .iter()
            .enumerate()
            .map(|(index, model)| {
                let mut rng = self.rng("artificialanalysis", index);
                let quality = model.quality;
                let input = round(rng.range(0.1, 15.0), 2);
                let output = round(input * 4.0, 2);
                json!({
                    "id": format!("00000000-0000-4000-8000-{index:012}"),
                    "name": model.display,
                    "slug": model.slug.replace('.', "-"),
                    "release_date": model.release.to_string(),
                    "model_creator": {"id": format!("creator-{}", model.creator), "name": model.creator, "slug": model.creator},
                    "evaluations": {
                        "artificial_analysis_intelligence_index": round(20.0 + 60.0 * quality + rng.range(-3.0, 3.0), 1),
                        "artificial_analysis_coding_index": round(15.0 + 60.0 * quality + rng.range(-4.0, 4.0), 1),
                        "artificial_analysis_math_index": round(10.0 + 80.0 * quality + rng.range(-5.0, 5.0), 1),
                        "mmlu_pro": round(0.4 + 0.45 * quality, 3),
                        "gpqa": round(0.3 + 0.5 * quality, 3),
                        "hle": if index % 3 == 0 { Value::Null } else { json!(round(0.02 + 0.2 * quality, 3)) },
                        "livecodebench": round(0.2 + 0.6 * quality, 3),
                        "scicode": round(0.2 + 0.25 * quality, 3),
                        "math_500": round(0.5 + 0.45 * quality, 3),
                        "aime": round(0.05 + 0.8 * quality, 3),
                    },
                    "pricing": {
                        "price_1m_blended_3_to_1": round((3.0 * input + output) / 4.0, 3),
                        "price_1m_input_tokens": input,
                        "price_1m_output_tokens": output,
                    },
                    "median_output_tokens_per_second": round(rng.range(20.0, 250.0), 3),
                    "median_time_to_first_token_seconds": round(rng.range(0.2, 4.0), 3),
                    "median_time_to_first_answer_token": round(rng.range(0.2, 6.0), 3),
                })
            })
            .collect();
        json!({"status": 200, "prompt_options": {"parallel_queries": 1, "prompt_length": "medium"}, "data": data})
    }

    fn ecologits_provider(creator: &str) -> &'static str {
        match creator {
            "openai" => "openai",
            "anthropic" => "anthropic",
            "google" => "google_genai",
            "mistral" => "mistralai",
            _ => "huggingface_hub",
        }
    }

    fn ecologits_name(model: &SyntheticModel) -> String {
        match Self::ecologits_provider(model.creator) {
            "huggingface_hub" => format!("{}/{}", model.creator, model.slug),
            _ => model.slug.clone(),
        }
    }

    fn ecologits_providers(&self) -> Vec<&'static str> {
        let mut providers: Vec<&'static str> = self
            .models
            .iter()
            .map(|model| Self::ecologits_provider(model.creator))
            .collect();
        providers.sort_unstable();
        providers.dedup();
        providers
    }

    fn ecologits_models(&self, provider: &str) -> Generated {
        let models: Vec<Value> = self
            .models
            .iter()
            .enumerate()
            .filter(|(_, model)| Self::ecologits_provider(model.creator) == provider)
            .map(|(index, model)| {
                let mut rng = self.rng("ecologits", index);
                let parameters = round(rng.range(7.0, 400.0), 1);
                json!({
                    "provider": provider,
                    "name": Self::ecologits_name(model),
                    "architecture": {"type": "dense", "parameters": parameters},
                    "warnings": [],
                    "sources": [],
                    "deployment": {"tps": round(rng.range(20.0, 150.0), 1), "ttft": round(rng.range(0.2, 2.0), 2)},
                })
            })
            .collect();
        if models.is_empty() {
            return Generated::not_found("Provider not found");
        }
        Generated::json(&json!({ "models": models }))
    }

    fn ecologits_estimation(&self, body: &[u8]) -> Generated {
        let request: Value = match serde_json::from_slice(body) {
            Ok(request) => request,
            Err(_) => {
                return Generated {
                    status: 422,
                    content_type: "application/json",
                    body: br#"{"detail":"invalid body"}"#.to_vec(),
                };
            }
        };
        let provider = request["provider"].as_str().unwrap_or_default();
        let name = request["model_name"].as_str().unwrap_or_default();
        let tokens = request["output_token_count"].as_f64().unwrap_or(1000.0);
        let found = self.models.iter().enumerate().find(|(_, model)| {
            Self::ecologits_provider(model.creator) == provider
                && Self::ecologits_name(model) == name
        });
        let Some((index, _)) = found else {
            return Generated::json(&json!({"impacts": {
                "energy": null, "gwp": null, "adpe": null, "pe": null, "wcf": null, "usage": null,
                "embodied": null, "warnings": null,
                "errors": [{"code": "model-not-registered", "message": format!("Could not find model `{name}` for {provider} provider.")}]
            }}));
        };
        let mut rng = self.rng("ecologits:estimation", index);
        let per_token = rng.range(1e-8, 4e-7);
        let energy_low = per_token * tokens;
        let energy_high = energy_low * rng.range(1.05, 1.4);
        let impact = |kind: &str, name: &str, low: f64, high: f64, unit: &str| json!({"type": kind, "name": name, "value": {"min": low, "max": high}, "unit": unit});
        Generated::json(&json!({"impacts": {
            "energy": impact("energy", "Energy", energy_low, energy_high, "kWh"),
            "gwp": impact("GWP", "Global Warming Potential", energy_low * 0.48, energy_high * 0.48, "kgCO2eq"),
            "adpe": impact("ADPe", "Abiotic Depletion Potential (elements)", energy_low * 1e-7, energy_high * 1e-7, "kgSbeq"),
            "pe": impact("PE", "Primary Energy", energy_low * 2.8, energy_high * 2.8, "MJ"),
            "wcf": impact("WCF", "Water Consumption Footprint", energy_low * 5.0, energy_high * 5.0, "L"),
            "usage": {"type": "usage", "name": "Usage"},
            "embodied": {"type": "embodied", "name": "Embodied"},
            "warnings": [],
            "errors": null
        }}))
    }

    fn openrouter_vendor(creator: &str) -> &'static str {
        match creator {
            "meta" => "meta-llama",
            "mistral" => "mistralai",
            "xai" => "x-ai",
            "alibaba" => "qwen",
            "openai" => "openai",
            "anthropic" => "anthropic",
            "google" => "google",
            "deepseek" => "deepseek",
            _ => "other",
        }
    }

    fn openrouter(&self) -> Value {
        let mut data = Vec::new();
        for (index, model) in self.models.iter().enumerate() {
            let mut rng = self.rng("openrouter", index);
            let vendor = Self::openrouter_vendor(model.creator);
            let id = format!("{vendor}/{}", model.slug);
            // Prices as decimal strings in USD per token, like the real API.
            let prompt_micro = (rng.next_u64() % 15_000 + 50) as f64 / 1000.0;
            let prompt = format!("{:.9}", prompt_micro / 1_000_000.0);
            let completion = format!("{:.9}", prompt_micro * 4.0 / 1_000_000.0);
            let created = model
                .release
                .and_hms_opt(0, 0, 0)
                .map(|time| time.and_utc().timestamp())
                .unwrap_or(0);
            let entry = |id: &str, name: &str, prompt: &str, completion: &str| {
                json!({
                    "id": id,
                    "canonical_slug": id,
                    "hugging_face_id": if model.open_weights { json!(format!("{}/{}", model.creator, model.slug)) } else { json!("") },
                    "name": name,
                    "created": created,
                    "description": format!("{} by {}.", model.display, model.creator),
                    "context_length": model.context,
                    "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"], "tokenizer": "Other", "instruct_type": null},
                    "pricing": {"prompt": prompt, "completion": completion},
                    "top_provider": {"context_length": model.context, "max_completion_tokens": 16384, "is_moderated": false},
                    "per_request_limits": null,
                    "supported_parameters": ["max_tokens", "temperature"],
                    "default_parameters": {},
                })
            };
            let name = format!("{}: {}", title_case(model.creator), model.display);
            data.push(entry(&id, &name, &prompt, &completion));
            if model.open_weights {
                data.push(entry(
                    &format!("{id}:free"),
                    &format!("{name} (free)"),
                    "0",
                    "0",
                ));
            }
        }
        data.push(json!({
            "id": "openrouter/auto", "canonical_slug": "openrouter/auto", "hugging_face_id": "",
            "name": "Auto Router", "created": 1_700_000_000, "context_length": 2_000_000,
            "pricing": {"prompt": "-1", "completion": "-1"},
            "top_provider": {"context_length": null, "max_completion_tokens": null, "is_moderated": false},
        }));
        json!({ "data": data })
    }

    fn models_dev_provider(creator: &str) -> Option<&'static str> {
        match creator {
            "openai" => Some("openai"),
            "anthropic" => Some("anthropic"),
            "google" => Some("google"),
            "mistral" => Some("mistral"),
            "deepseek" => Some("deepseek"),
            "xai" => Some("xai"),
            "alibaba" => Some("alibaba"),
            "meta" => Some("llama"),
            _ => None,
        }
    }

    fn models_dev(&self) -> Value {
        let mut providers: Map<String, Value> = Map::new();
        for (index, model) in self.models.iter().enumerate() {
            let Some(provider) = Self::models_dev_provider(model.creator) else {
                continue;
            };
            let mut rng = self.rng("modelsdev", index);
            let input = round(rng.range(0.1, 15.0), 2);
            let entry = providers.entry(provider.to_owned()).or_insert_with(|| {
                json!({"id": provider, "name": title_case(provider), "env": [], "npm": "@ai-sdk/openai-compatible", "doc": "https://example.invalid", "models": {}})
            });
            let mut record = json!({
                "id": model.slug,
                "name": model.display,
                "family": model.slug.split('-').next().unwrap_or_default(),
                "attachment": false,
                "reasoning": false,
                "tool_call": true,
                "temperature": true,
                "release_date": model.release.to_string(),
                "last_updated": model.release.to_string(),
                "modalities": {"input": ["text"], "output": ["text"]},
                "open_weights": model.open_weights,
                "limit": {"context": model.context, "output": 16384},
            });
            // ~7% of models.dev entries have no cost; mimic that.
            if index % 14 != 13 {
                record["cost"] = json!({"input": input, "output": round(input * 4.0, 2)});
            }
            entry["models"][model.slug.clone()] = record;
        }
        Value::Object(providers)
    }

    fn evalplus(&self) -> Value {
        let mut entries = Map::new();
        for (index, model) in self.models.iter().enumerate() {
            let mut rng = self.rng("evalplus", index);
            let humaneval = round(40.0 + 55.0 * model.quality + rng.range(-3.0, 3.0), 1).min(99.0);
            let mbpp = round(40.0 + 45.0 * model.quality + rng.range(-3.0, 3.0), 1).min(99.0);
            entries.insert(
                format!("{} ({})", model.display, month_year(model.release)),
                json!({
                    "link": "https://example.invalid",
                    "open-data": "NONE",
                    "pass@1": {
                        "humaneval": humaneval,
                        "humaneval+": round(humaneval - rng.range(2.0, 8.0), 1),
                        "mbpp": if index % 5 == 4 { Value::Null } else { json!(mbpp) },
                        "mbpp+": if index % 5 == 4 { Value::Null } else { json!(round(mbpp - rng.range(5.0, 15.0), 1)) },
                    },
                    "prompted": true,
                    "size": if model.open_weights { json!(70) } else { Value::Null },
                }),
            );
        }
        Value::Object(entries)
    }

    fn bigcodebench(&self, hard: bool) -> Value {
        let mut entries = Map::new();
        let label = if hard {
            "bigcodebench:hard"
        } else {
            "bigcodebench:full"
        };
        for (index, model) in self.models.iter().enumerate() {
            let mut rng = self.rng(label, index);
            let base = if hard {
                5.0 + 35.0 * model.quality
            } else {
                20.0 + 45.0 * model.quality
            };
            entries.insert(
                title_case(&model.slug),
                json!({
                    "link": "https://example.invalid",
                    "open-data": "None",
                    "pass@1": {
                        "instruct": if index % 4 == 3 { Value::Null } else { json!(round(base + rng.range(-3.0, 3.0), 1)) },
                        "complete": round(base + rng.range(-2.0, 4.0), 1),
                    },
                    "prompted": true,
                    "moe": false,
                    "size": Value::Null,
                    "act_param": Value::Null,
                    "date": model.release.to_string(),
                    "prefill": true,
                }),
            );
        }
        Value::Object(entries)
    }

    fn swebench(&self) -> Value {
        let board = |name: &str, scale: f64, agent: &str| {
            let results: Vec<Value> = self
                .models
                .iter()
                .enumerate()
                .map(|(index, model)| {
                    let mut rng = self.rng(&format!("swebench:{name}"), index);
                    json!({
                        "name": format!("{agent} + {}", model.display),
                        "folder": format!("{}_{agent}_{}", self.date.format("%Y%m%d"), model.slug),
                        "date": model.release.to_string(),
                        "resolved": round((scale * model.quality + rng.range(-4.0, 4.0)).clamp(0.0, 100.0), 2),
                        "cost": Value::Null,
                        "instance_cost": Value::Null,
                        "instance_calls": Value::Null,
                        "checked": index % 2 == 0,
                        "os_model": model.open_weights,
                        "os_system": true,
                        "logo": [],
                        "logs": Value::Null,
                        "trajs": Value::Null,
                        "trajs_docent": false,
                        "site": "https://example.invalid",
                        "tags": [format!("Model: {}", model.slug), format!("Org: {}", model.creator), "System: Attempts - 1"],
                        "warning": Value::Null,
                    })
                })
                .collect();
            json!({"name": name, "results": results})
        };
        json!({"leaderboards": [
            board("bash-only", 75.0, "mini-SWE-agent"),
            board("Verified", 80.0, "SWE-agent"),
            board("Lite", 60.0, "SWE-agent"),
        ]})
    }

    fn livecodebench(&self) -> Value {
        let end = self.date;
        let day_ms = |date: NaiveDate| {
            date.and_hms_opt(0, 0, 0)
                .map(|time| time.and_utc().timestamp_millis())
                .unwrap_or(0)
        };
        let mut performances = Vec::new();
        for (index, model) in self.models.iter().enumerate() {
            let mut rng = self.rng("livecodebench", index);
            for problem in 0..LIVECODEBENCH_PROBLEMS {
                let date = end - Duration::days((problem * 7) as i64);
                let difficulty = ["easy", "medium", "hard"][problem % 3];
                let platform = ["leetcode", "codeforces", "atcoder"][problem % 3];
                let solved = rng.unit() < model.quality;
                performances.push(json!({
                    "question_id": format!("{}", 3000 + problem),
                    "model": title_case(&model.slug),
                    "date": day_ms(date),
                    "difficulty": difficulty,
                    "pass@1": if solved { 100.0 } else { 0.0 },
                    "platform": platform,
                }));
            }
        }
        let models: Vec<Value> = self
            .models
            .iter()
            .map(|model| {
                json!({
                    "model_name": model.slug,
                    "model_repr": title_case(&model.slug),
                    "model_style": "OpenAIChat",
                    "release_date": day_ms(model.release),
                    "link": "https://example.invalid",
                })
            })
            .collect();
        let marks: Vec<i64> = (0..12)
            .map(|month| day_ms(end - Duration::days(30 * month)))
            .collect();
        json!({"performances": performances, "models": models, "date_marks": marks})
    }

    fn arc_models(&self) -> impl Iterator<Item = (usize, &SyntheticModel)> {
        self.models.iter().enumerate().take(ARC_MODELS)
    }

    fn arc_task_body(task: usize, set: usize) -> Value {
        let size = 2 + (task + set) % 3;
        let grid = |offset: usize| -> Vec<Vec<u64>> {
            (0..size)
                .map(|row| {
                    (0..size)
                        .map(|column| ((row * 3 + column + offset + task) % 10) as u64)
                        .collect()
                })
                .collect()
        };
        json!({
            "train": [{"input": grid(0), "output": grid(1)}],
            "test": [{"input": grid(2), "output": grid(3)}],
        })
    }

    fn arc_agi(&self, path: &str) -> Option<Generated> {
        let sets = ["arc_agi_v1_public_eval", "arc_agi_v2_public_eval"];
        for (set_index, repo) in sets.iter().enumerate() {
            let tree = format!("/api/datasets/arcprize/{repo}/tree/main");
            if path == tree {
                let entries: Vec<Value> = self
                    .arc_models()
                    .map(|(_, model)| json!({"type": "directory", "oid": "0", "size": 0, "path": model.slug}))
                    .collect();
                return Some(Generated::json(&Value::Array(entries)));
            }
            if let Some(folder) = path.strip_prefix(&format!("{tree}/")) {
                if !self.arc_models().any(|(_, model)| model.slug == folder) {
                    return Some(Generated::not_found("Entry not found"));
                }
                let entries: Vec<Value> = (0..ARC_TASKS)
                    .map(|task| {
                        json!({"type": "file", "oid": format!("{task}"), "size": 100, "path": format!("{folder}/{:08x}.json", task + set_index * 100)})
                    })
                    .collect();
                return Some(Generated::json(&Value::Array(entries)));
            }
            let resolve = format!("/datasets/arcprize/{repo}/resolve/main/");
            if let Some(rest) = path.strip_prefix(&resolve) {
                let (folder, file) = rest.split_once('/')?;
                let task = usize::from_str_radix(file.strip_suffix(".json")?, 16)
                    .ok()?
                    .checked_sub(set_index * 100)?;
                let (index, model) = self.arc_models().find(|(_, model)| model.slug == folder)?;
                let expected = Self::arc_task_body(task, set_index)["test"][0]["output"].clone();
                let mut rng = self.rng(&format!("arc:{repo}"), index * 100 + task);
                let solved = rng.unit() < model.quality * (1.0 - 0.5 * set_index as f64);
                let wrong = json!([[0]]);
                let attempt = |answer: &Value, cost: f64| {
                    json!({"answer": answer, "metadata": {"model": model.slug, "provider": model.creator,
                        "usage": {"prompt_tokens": 500, "completion_tokens": 1500, "total_tokens": 2000},
                        "cost": {"prompt_cost": cost / 4.0, "completion_cost": cost * 0.75, "total_cost": cost},
                        "task_id": file.trim_end_matches(".json"), "pair_index": 0, "test_id": model.slug}})
                };
                let cost = round(rng.range(0.01, 2.0), 4);
                let body = json!([{
                    "attempt_1": attempt(&wrong, cost),
                    "attempt_2": attempt(if solved { &expected } else { &wrong }, cost),
                }]);
                return Some(Generated::json(&body));
            }
        }
        None
    }

    fn arc_task(&self, path: &str) -> Option<Generated> {
        let (set_index, rest) =
            if let Some(rest) = path.strip_prefix("/fchollet/ARC-AGI/master/data/evaluation/") {
                (0, rest)
            } else {
                (
                    1,
                    path.strip_prefix("/arcprize/ARC-AGI-2/main/data/evaluation/")?,
                )
            };
        let task = usize::from_str_radix(rest.strip_suffix(".json")?, 16).ok()?;
        let task = task.checked_sub(set_index * 100)?;
        (task < ARC_TASKS).then(|| Generated::json(&Self::arc_task_body(task, set_index)))
    }

    fn livebench(&self, path: &str) -> Option<Generated> {
        let categories = json!({"Coding": ["code_completion", "code_generation"], "Reasoning": ["logic"], "Mathematics": ["math_comp"]});
        if path.starts_with("/categories_") && path.ends_with(".json") {
            return Some(Generated::json(&categories));
        }
        if path.starts_with("/table_") && path.ends_with(".csv") {
            let mut csv = String::from("model,code_completion,code_generation,logic,math_comp\n");
            for (index, model) in self.models.iter().enumerate() {
                let mut rng = self.rng("livebench", index);
                let score = |rng: &mut Rng| round(100.0 * model.quality + rng.range(-5.0, 5.0), 3);
                csv.push_str(&format!(
                    "{},{},{},{},{}\n",
                    model.slug,
                    score(&mut rng),
                    score(&mut rng),
                    score(&mut rng),
                    score(&mut rng)
                ));
            }
            return Some(Generated {
                status: 200,
                content_type: "text/csv",
                body: csv.into_bytes(),
            });
        }
        None
    }
}

/// Splits a query string into decoded pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                match u8::from_str_radix(text.get(index + 1..index + 3).unwrap_or(""), 16) {
                    Ok(byte) => {
                        decoded.push(byte);
                        index += 3;
                        continue;
                    }
                    Err(_) => decoded.push(b'%'),
                }
            }
            b'+' => decoded.push(b' '),
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator() -> Generator {
        Generator::new(7, 30, Generator::default_date())
    }

    #[test]
    fn output_is_deterministic() {
        let first = generator().respond("evalplus", "GET", "/results.json", "", b"");
        let second = generator().respond("evalplus", "GET", "/results.json", "", b"");
        assert_eq!(first, second);
        let other_seed = Generator::new(8, 30, Generator::default_date()).respond(
            "evalplus",
            "GET",
            "/results.json",
            "",
            b"",
        );
        assert_ne!(first, other_seed);
    }

    #[test]
    fn the_universe_starts_with_real_models_and_has_unique_slugs() {
        let generator = Generator::new(1, 1000, Generator::default_date());
        assert_eq!(generator.models()[0].slug, "gpt-4o");
        let slugs: std::collections::HashSet<_> =
            generator.models().iter().map(|model| &model.slug).collect();
        assert_eq!(slugs.len(), 1000);
    }

    #[test]
    fn lmarena_pages() {
        let generator = generator();
        let page = generator
            .respond(
                "lmarena",
                "GET",
                "/rows",
                "config=text&split=latest&offset=20&length=100",
                b"",
            )
            .expect("route");
        let body: Value = serde_json::from_slice(&page.body).expect("json");
        assert_eq!(body["rows"].as_array().map(Vec::len), Some(10));
        assert_eq!(body["num_rows_total"], 30);
    }

    #[test]
    fn unknown_routes_are_none() {
        assert!(
            generator()
                .respond("evalplus", "GET", "/nope", "", b"")
                .is_none()
        );
        assert!(generator().respond("mteb", "GET", "/x", "", b"").is_none());
    }

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            parse_query("dataset=lmarena-ai%2Fleaderboard-dataset&x=a+b"),
            vec![
                (
                    "dataset".to_owned(),
                    "lmarena-ai/leaderboard-dataset".to_owned()
                ),
                ("x".to_owned(), "a b".to_owned())
            ]
        );
    }
}
