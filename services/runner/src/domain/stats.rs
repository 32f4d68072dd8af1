//! Statistics: percentiles, means, per-model aggregates, and the cheapest model (the best one, with
//! how sure that is, is [`super::significance`]'s).

use serde::{Deserialize, Serialize};

/// Returns the `fraction` percentile (0–1) of `values` by linear interpolation between closest ranks
/// (Postgres `percentile_cont`); `None` for no values.
pub fn percentile(values: &[f64], fraction: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let position = fraction.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let weight = position - lower as f64;
    Some(sorted[lower] + (sorted[upper] - sorted[lower]) * weight)
}

/// Returns the arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Aggregates of one model's results (over one run or a suite's runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelAggregate {
    /// `provider/model`.
    pub model: String,
    /// Canonical catalog id, if any.
    pub canonical_id: Option<String>,
    /// Results recorded.
    pub results: i64,
    /// Results whose call failed.
    pub failed: i64,
    /// Mean quality over graded results.
    pub mean_quality: Option<f64>,
    /// Fraction of graded results that passed.
    pub pass_rate: Option<f64>,
    /// Total cost of priced results.
    pub total_cost_micro_usd: i64,
    /// Results with a price (`price_known`).
    pub priced_results: i64,
    /// Input tokens over all results.
    pub input_tokens: i64,
    /// Output tokens over all results.
    pub output_tokens: i64,
    /// Mean total tokens per successful result.
    pub mean_total_tokens: f64,
    /// Median latency of successful calls.
    pub latency_p50_ms: Option<f64>,
    /// 95th percentile latency of successful calls.
    pub latency_p95_ms: Option<f64>,
    /// Runs covered.
    pub runs: i64,
    /// Graded results that passed.
    #[serde(default)]
    pub passes: i64,
    /// Graded results with a pass/fail verdict.
    #[serde(default)]
    pub pass_trials: i64,
    /// 95% interval of the mean quality (seeded bootstrap over cases); `None` with fewer than two.
    #[serde(default)]
    pub mean_quality_interval: Option<(f64, f64)>,
    /// 95% Wilson interval of the pass rate; `None` without verdicts.
    #[serde(default)]
    pub pass_rate_interval: Option<(f64, f64)>,
}

impl ModelAggregate {
    /// Returns whether every successful result is priced, so the cost fields are complete.
    pub fn price_known(&self) -> bool {
        let successes = self.results - self.failed;
        successes > 0 && self.priced_results >= successes
    }

    /// Returns the mean cost per result, when the model is fully priced.
    pub fn mean_cost_micro_usd(&self) -> Option<i64> {
        (self.price_known() && self.results > 0)
            .then(|| (self.total_cost_micro_usd as f64 / self.results as f64).round() as i64)
    }
}

/// Returns the fully priced model with the lowest total cost (ties: name).
pub fn cheapest_by_total(models: &[ModelAggregate]) -> Option<&ModelAggregate> {
    models
        .iter()
        .filter(|model| model.price_known())
        .min_by(|left, right| {
            left.total_cost_micro_usd
                .cmp(&right.total_cost_micro_usd)
                .then_with(|| left.model.cmp(&right.model))
        })
}

/// Returns the fully priced model with the lowest mean cost per result (ties: name).
pub fn cheapest_by_mean(models: &[ModelAggregate]) -> Option<&ModelAggregate> {
    models
        .iter()
        .filter_map(|model| model.mean_cost_micro_usd().map(|cost| (cost, model)))
        .min_by(|(left_cost, left), (right_cost, right)| {
            left_cost
                .cmp(right_cost)
                .then_with(|| left.model.cmp(&right.model))
        })
        .map(|(_, model)| model)
}

/// Orders aggregates best mean quality first (ungraded last, then by name).
pub fn sort_by_quality(models: &mut [ModelAggregate]) {
    models.sort_by(|left, right| {
        let left_quality = left.mean_quality.unwrap_or(f64::NEG_INFINITY);
        let right_quality = right.mean_quality.unwrap_or(f64::NEG_INFINITY);
        right_quality
            .total_cmp(&left_quality)
            .then_with(|| left.model.cmp(&right.model))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_postgres() {
        let values = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&values, 0.5), Some(2.5));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&values, 1.0), Some(4.0));
        assert!((percentile(&values, 0.95).expect("values") - 3.85).abs() < 1e-9);
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7.0], 0.95), Some(7.0));
    }

    fn aggregate(model: &str, quality: Option<f64>, cost: i64, priced: i64) -> ModelAggregate {
        ModelAggregate {
            model: model.to_owned(),
            results: 4,
            failed: 0,
            mean_quality: quality,
            total_cost_micro_usd: cost,
            priced_results: priced,
            ..ModelAggregate::default()
        }
    }

    #[test]
    fn best_and_cheapest() {
        let models = vec![
            aggregate("a/x", Some(80.0), 400, 4),
            aggregate("b/y", Some(90.0), 900, 4),
            aggregate("c/z", Some(90.0), 100, 2),
            aggregate("d/w", None, 0, 0),
        ];
        assert_eq!(
            cheapest_by_total(&models).map(|m| m.model.as_str()),
            Some("a/x")
        );
        assert_eq!(
            cheapest_by_mean(&models).map(|m| m.model.as_str()),
            Some("a/x")
        );
        assert_eq!(models[0].mean_cost_micro_usd(), Some(100));
        assert_eq!(models[2].mean_cost_micro_usd(), None);
        let mut sorted = models.clone();
        sort_by_quality(&mut sorted);
        assert_eq!(sorted[0].model, "b/y");
        assert_eq!(sorted[3].model, "d/w");
    }
}
