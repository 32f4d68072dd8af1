//! Model prices and the cost of a call.
//!
//! Prices are USD per million tokens, so one token at `p` USD/Mtok costs exactly `p` micro-USD: the cost
//! of a call in micro-USD is `input_tokens × input_price + output_tokens × output_price`. Some sources
//! price long prompts higher (models.dev `cost.tiers` / `context_over_200k`): above a prompt-size
//! threshold the whole call is billed at the tier's rates.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a price comes from.
pub const SOURCE_OVERRIDE: &str = "override";

/// A price tier that applies when the prompt has more than `above_input_tokens` tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTier {
    /// Prompt size (input tokens) above which the tier applies.
    pub above_input_tokens: u64,
    /// USD per million input tokens in the tier.
    pub input_usd_per_mtok: f64,
    /// USD per million output tokens in the tier.
    pub output_usd_per_mtok: f64,
}

/// A model's price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// USD per million input tokens.
    pub input_usd_per_mtok: f64,
    /// USD per million output tokens.
    pub output_usd_per_mtok: f64,
    /// Higher rates for long prompts, by ascending threshold.
    #[serde(default)]
    pub tiers: Vec<PriceTier>,
    /// `override`, `openrouter` or `modelsdev`.
    pub source: String,
}

impl Price {
    /// Returns the rates (input, output) that apply to a prompt of `input_tokens`.
    pub fn rates_for(&self, input_tokens: u64) -> (f64, f64) {
        self.tiers
            .iter()
            .filter(|tier| input_tokens > tier.above_input_tokens)
            .max_by_key(|tier| tier.above_input_tokens)
            .map(|tier| (tier.input_usd_per_mtok, tier.output_usd_per_mtok))
            .unwrap_or((self.input_usd_per_mtok, self.output_usd_per_mtok))
    }

    /// Returns the cost of a call in micro-USD, rounded to the nearest micro-USD.
    pub fn cost_micro_usd(&self, input_tokens: u64, output_tokens: u64) -> i64 {
        let (input_rate, output_rate) = self.rates_for(input_tokens);
        let cost = input_tokens as f64 * input_rate + output_tokens as f64 * output_rate;
        cost.round().clamp(0.0, i64::MAX as f64) as i64
    }

    /// Builds a price from an override row (micro-USD per million tokens).
    pub fn from_override(input_micro_per_mtok: i64, output_micro_per_mtok: i64) -> Self {
        Self {
            input_usd_per_mtok: input_micro_per_mtok as f64 / 1_000_000.0,
            output_usd_per_mtok: output_micro_per_mtok as f64 / 1_000_000.0,
            tiers: Vec::new(),
            source: SOURCE_OVERRIDE.to_owned(),
        }
    }
}

/// Reads prompt-size tiers from the `extra` JSON that ingest stores beside a price observation.
///
/// Accepted shapes (any of them, in either the input or the output price's `extra`):
/// - models.dev's own: `{"tiers": [{"input": 2.5, "output": 15, "tier": {"size": 200000}}]}`;
/// - models.dev's older key: `{"context_over_200k": {"input": 2.5, "output": 15}}`;
/// - one rate per metric: `{"tiers": [{"above_tokens": 200000, "value": 2.5}]}` (also `size`,
///   `threshold_tokens`, `usd_per_mtok`), which fills only that metric's side of the tier.
///
/// A side a tier does not give keeps the base rate. Negative or non-finite rates are ignored.
pub fn tiers_from_extra(
    input_extra: Option<&Value>,
    output_extra: Option<&Value>,
    base: (f64, f64),
) -> Vec<PriceTier> {
    let mut tiers: Vec<(u64, Option<f64>, Option<f64>)> = Vec::new();
    let mut merge = |size: u64, input: Option<f64>, output: Option<f64>| match tiers
        .iter_mut()
        .find(|(existing, _, _)| *existing == size)
    {
        Some(entry) => {
            entry.1 = entry.1.or(input);
            entry.2 = entry.2.or(output);
        }
        None => tiers.push((size, input, output)),
    };
    for (extra, side_is_input) in [(input_extra, true), (output_extra, false)] {
        let Some(extra) = extra else { continue };
        if let Some(list) = extra.get("tiers").and_then(Value::as_array) {
            for tier in list {
                let Some(size) = tier_size(tier) else {
                    continue;
                };
                let input = rate(tier.get("input"));
                let output = rate(tier.get("output"));
                let single = rate(tier.get("value")).or_else(|| rate(tier.get("usd_per_mtok")));
                match (input, output, single) {
                    (None, None, Some(value)) if side_is_input => merge(size, Some(value), None),
                    (None, None, Some(value)) => merge(size, None, Some(value)),
                    (input, output, _) => merge(size, input, output),
                }
            }
        }
        if let Some(over) = extra.get("context_over_200k") {
            merge(200_000, rate(over.get("input")), rate(over.get("output")));
        }
    }
    let mut result: Vec<PriceTier> = tiers
        .into_iter()
        .filter(|(_, input, output)| input.is_some() || output.is_some())
        .map(|(size, input, output)| PriceTier {
            above_input_tokens: size,
            input_usd_per_mtok: input.unwrap_or(base.0),
            output_usd_per_mtok: output.unwrap_or(base.1),
        })
        .collect();
    result.sort_by_key(|tier| tier.above_input_tokens);
    result
}

fn tier_size(tier: &Value) -> Option<u64> {
    let candidates = [
        tier.get("tier").and_then(|inner| inner.get("size")),
        tier.get("size"),
        tier.get("above_tokens"),
        tier.get("threshold_tokens"),
        tier.get("above_input_tokens"),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|value| value.as_u64().or_else(|| value.as_f64().map(|v| v as u64)))
}

fn rate(value: Option<&Value>) -> Option<f64> {
    let value = value?;
    let number = value
        .as_f64()
        .or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))?;
    (number.is_finite() && number >= 0.0).then_some(number)
}

/// Returns a price rate if it is a usable number (finite, not negative: OpenRouter sends "-1" for
/// variable-priced routers).
pub fn usable_rate(value: f64) -> Option<f64> {
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Sources of ingested prices, most preferred first.
pub const PRICE_SOURCES: [&str; 2] = ["openrouter", "modelsdev"];

/// One upstream model's ingested price rows (from one source and snapshot).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceCandidate {
    /// `openrouter` or `modelsdev`.
    pub source: String,
    /// The upstream model name, e.g. `openai/gpt-4o` or `openai/gpt-oss-20b:free`.
    pub source_model_name: String,
    /// USD per million input tokens.
    pub input: Option<f64>,
    /// USD per million output tokens.
    pub output: Option<f64>,
    /// `extra` of the input price row.
    pub input_extra: Option<Value>,
    /// `extra` of the output price row.
    pub output_extra: Option<Value>,
}

/// Picks the price to use among ingested candidates: sources in [`PRICE_SOURCES`] order; within a
/// source, an upstream name equal to the requested or canonical name first, then names without a
/// `:variant` suffix (OpenRouter's `:free` rows would price a paid model at 0), then paid over free,
/// then by name. Candidates without both rates usable are skipped.
pub fn choose_price(
    candidates: &[PriceCandidate],
    requested: &str,
    canonical: Option<&str>,
) -> Option<Price> {
    for source in PRICE_SOURCES {
        let best = candidates
            .iter()
            .filter(|candidate| candidate.source == source)
            .filter_map(|candidate| {
                let input = usable_rate(candidate.input?)?;
                let output = usable_rate(candidate.output?)?;
                Some((candidate, input, output))
            })
            .min_by_key(|(candidate, input, output)| {
                let name = candidate.source_model_name.as_str();
                let exact = name == requested || Some(name) == canonical;
                let variant = name.contains(':');
                let free = *input == 0.0 && *output == 0.0;
                (!exact, variant, free, name.to_owned())
            });
        if let Some((candidate, input, output)) = best {
            return Some(Price {
                input_usd_per_mtok: input,
                output_usd_per_mtok: output,
                tiers: tiers_from_extra(
                    candidate.input_extra.as_ref(),
                    candidate.output_extra.as_ref(),
                    (input, output),
                ),
                source: source.to_owned(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn price(tiers: Vec<PriceTier>) -> Price {
        Price {
            input_usd_per_mtok: 1.25,
            output_usd_per_mtok: 10.0,
            tiers,
            source: "modelsdev".to_owned(),
        }
    }

    #[test]
    fn cost_is_tokens_times_usd_per_million_in_micro_usd() {
        let price = price(Vec::new());
        assert_eq!(price.cost_micro_usd(1_000, 500), 1_250 + 5_000);
        assert_eq!(price.cost_micro_usd(0, 0), 0);
        let override_price = Price::from_override(3_000_000, 15_000_000);
        assert_eq!(override_price.cost_micro_usd(100, 10), 450);
    }

    #[test]
    fn long_prompts_use_the_tier_rates() {
        let price = price(vec![PriceTier {
            above_input_tokens: 200_000,
            input_usd_per_mtok: 2.5,
            output_usd_per_mtok: 15.0,
        }]);
        assert_eq!(price.cost_micro_usd(200_000, 0), 250_000);
        assert_eq!(price.cost_micro_usd(200_001, 10), 500_003 + 150);
    }

    #[test]
    fn tiers_are_read_from_every_known_shape() {
        let modelsdev = json!({"tiers": [{"input": 2.5, "output": 15, "cache_read": 0.25, "tier": {"size": 200000}}]});
        let tiers = tiers_from_extra(Some(&modelsdev), None, (1.25, 10.0));
        assert_eq!(
            tiers,
            vec![PriceTier {
                above_input_tokens: 200_000,
                input_usd_per_mtok: 2.5,
                output_usd_per_mtok: 15.0
            }]
        );
        let legacy = json!({"context_over_200k": {"input": 5, "output": 22.5}});
        assert_eq!(
            tiers_from_extra(None, Some(&legacy), (1.0, 2.0))[0].output_usd_per_mtok,
            22.5
        );
        let per_metric_in = json!({"tiers": [{"above_tokens": 128000, "value": 3.0}]});
        let per_metric_out = json!({"tiers": [{"above_tokens": 128000, "value": "12"}]});
        assert_eq!(
            tiers_from_extra(Some(&per_metric_in), Some(&per_metric_out), (1.0, 2.0)),
            vec![PriceTier {
                above_input_tokens: 128_000,
                input_usd_per_mtok: 3.0,
                output_usd_per_mtok: 12.0
            }]
        );
        let only_input = json!({"tiers": [{"size": 1000, "value": 9.0}]});
        assert_eq!(
            tiers_from_extra(Some(&only_input), None, (1.0, 2.0))[0].output_usd_per_mtok,
            2.0
        );
        assert!(tiers_from_extra(Some(&json!({"tiers": "nope"})), None, (1.0, 2.0)).is_empty());
        assert!(
            tiers_from_extra(
                Some(&json!({"tiers": [{"size": 5, "value": -1}]})),
                None,
                (1.0, 2.0)
            )
            .is_empty()
        );
    }

    #[test]
    fn negative_rates_are_unusable() {
        assert_eq!(usable_rate(-1.0), None);
        assert_eq!(usable_rate(0.0), Some(0.0));
        assert_eq!(usable_rate(f64::NAN), None);
    }
    #[test]
    fn choose_price_prefers_openrouter_exact_and_paid_rows() {
        let candidate = |source: &str, name: &str, input: f64, output: f64| PriceCandidate {
            source: source.to_owned(),
            source_model_name: name.to_owned(),
            input: Some(input),
            output: Some(output),
            ..PriceCandidate::default()
        };
        let candidates = vec![
            candidate("modelsdev", "openai/gpt-oss-20b", 0.1, 0.5),
            candidate("openrouter", "openai/gpt-oss-20b:free", 0.0, 0.0),
            candidate("openrouter", "openai/gpt-oss-20b", 0.03, 0.15),
        ];
        let price = choose_price(&candidates, "openai/gpt-oss-20b", None).expect("priced");
        assert_eq!(price.source, "openrouter");
        assert_eq!(price.input_usd_per_mtok, 0.03);
        let only_free = vec![candidate("openrouter", "x/y:free", 0.0, 0.0)];
        assert_eq!(
            choose_price(&only_free, "x/y", None)
                .expect("free")
                .input_usd_per_mtok,
            0.0
        );
        let broken = vec![
            candidate("openrouter", "x/y", -1.0, -1.0),
            candidate("modelsdev", "x/y", 1.0, 2.0),
        ];
        assert_eq!(
            choose_price(&broken, "x/y", None).expect("fallback").source,
            "modelsdev"
        );
        assert_eq!(choose_price(&[], "x/y", None), None);
    }
}
