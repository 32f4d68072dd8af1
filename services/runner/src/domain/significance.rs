//! How sure a verdict is: 95% intervals for a model's mean quality (seeded bootstrap over cases) and
//! pass rate (Wilson score), and the paired bootstrap over shared cases that decides whether the
//! leading model really beats the others. `best_model` is named only when the leader is significantly
//! better (α = 0.05) than every other graded model; otherwise the models tied for best are reported,
//! and the cheapest of them is the best value.

use std::collections::{BTreeMap, HashMap};

pub use benchhub_common::stats::{
    ALPHA, SEED, bootstrap_mean_interval, holm_adjust, wilson_interval,
};
use benchhub_common::stats::{bootstrap_means, percentile_interval};

use super::stats::ModelAggregate;

/// One model's mean quality on one case (over repetitions and, for a suite, over runs).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseScore {
    /// `provider/model`.
    pub model: String,
    /// The case (its id, or run and index for ad-hoc cases).
    pub case: String,
    /// Mean quality 0–100.
    pub quality: f64,
}

/// A paired comparison over shared cases: mean of `left − right`, its bootstrap 95% interval and
/// two-sided p-value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairedComparison {
    /// Mean difference (left − right), in quality points.
    pub mean_difference: f64,
    /// 95% interval of the mean difference.
    pub interval: (f64, f64),
    /// Two-sided bootstrap p-value: twice the smaller share of resampled means on either side of 0.
    pub p_value: f64,
    /// Shared cases compared.
    pub cases: usize,
}

impl PairedComparison {
    /// Whether left differs from right at [`ALPHA`].
    pub fn significant(&self) -> bool {
        self.p_value < ALPHA
    }
}

/// Paired bootstrap over `differences` (one per shared case); `None` with fewer than two cases.
pub fn paired_bootstrap(differences: &[f64], seed: u64) -> Option<PairedComparison> {
    if differences.len() < 2 {
        return None;
    }
    let mean_difference = differences.iter().sum::<f64>() / differences.len() as f64;
    let means = bootstrap_means(differences, seed);
    let at_or_below = means.iter().filter(|mean| **mean <= 0.0).count();
    let at_or_above = means.iter().filter(|mean| **mean >= 0.0).count();
    let p_value = (2.0 * at_or_below.min(at_or_above) as f64 / means.len() as f64).min(1.0);
    Some(PairedComparison {
        mean_difference,
        interval: percentile_interval(&means),
        p_value,
        cases: differences.len(),
    })
}

/// Per-case quality of `left` minus `right` over the cases both have.
pub fn shared_differences(cases: &[CaseScore], left: &str, right: &str) -> Vec<f64> {
    let right_scores: HashMap<&str, f64> = cases
        .iter()
        .filter(|score| score.model == right)
        .map(|score| (score.case.as_str(), score.quality))
        .collect();
    let mut differences: Vec<(&str, f64)> = cases
        .iter()
        .filter(|score| score.model == left)
        .filter_map(|score| {
            right_scores
                .get(score.case.as_str())
                .map(|other| (score.case.as_str(), score.quality - other))
        })
        .collect();
    // Case order must not depend on row order: the seeded bootstrap then gives one answer.
    differences.sort_by(|a, b| a.0.cmp(b.0));
    differences
        .into_iter()
        .map(|(_, difference)| difference)
        .collect()
}

/// Fills each aggregate's quality interval (bootstrap over its cases) and pass-rate interval (Wilson).
pub fn add_intervals(models: &mut [ModelAggregate], cases: &[CaseScore]) {
    let mut by_model: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for score in cases {
        by_model
            .entry(score.model.as_str())
            .or_default()
            .push((score.case.as_str(), score.quality));
    }
    for model in models.iter_mut() {
        if let Some(scores) = by_model.get_mut(model.model.as_str()) {
            scores.sort_by(|a, b| a.0.cmp(b.0));
            let values: Vec<f64> = scores.iter().map(|(_, quality)| *quality).collect();
            model.mean_quality_interval = bootstrap_mean_interval(&values, SEED);
        }
        model.pass_rate_interval = u64::try_from(model.pass_trials)
            .ok()
            .and_then(|trials| wilson_interval(u64::try_from(model.passes).unwrap_or(0), trials));
    }
}

/// Which model to choose, and how sure that is.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Choice {
    /// The model with the highest mean quality, named only when it is significantly better than
    /// every other graded model.
    pub best_model: Option<String>,
    /// The leader and every model not significantly worse than it, best mean first; one model when
    /// the leader is significantly best.
    pub tied_for_best: Vec<String>,
    /// The cheapest (mean cost per result, fully priced) of the models tied for best.
    pub best_value_model: Option<String>,
    /// The leader against the runner-up (second highest mean quality).
    pub versus_runner_up: Option<(String, PairedComparison)>,
}

/// Adds the intervals to `models` and chooses among them: what a run or a suite reports.
pub fn assess(models: &mut [ModelAggregate], cases: &[CaseScore]) -> Choice {
    add_intervals(models, cases);
    choose(models, cases)
}

/// Chooses among `models` (aggregates with mean quality) from their per-case scores.
pub fn choose(models: &[ModelAggregate], cases: &[CaseScore]) -> Choice {
    let mut graded: Vec<&ModelAggregate> = models
        .iter()
        .filter(|model| model.mean_quality.is_some())
        .collect();
    graded.sort_by(|left, right| {
        right
            .mean_quality
            .unwrap_or(f64::MIN)
            .total_cmp(&left.mean_quality.unwrap_or(f64::MIN))
            .then_with(|| left.total_cost_micro_usd.cmp(&right.total_cost_micro_usd))
            .then_with(|| left.model.cmp(&right.model))
    });
    let Some(leader) = graded.first() else {
        return Choice::default();
    };
    let mut tied = vec![leader.model.clone()];
    let mut versus_runner_up = None;
    for (position, other) in graded.iter().enumerate().skip(1) {
        let comparison = paired_bootstrap(
            &shared_differences(cases, &leader.model, &other.model),
            SEED,
        );
        // Without enough shared cases nothing tells them apart.
        let worse = comparison
            .as_ref()
            .is_some_and(|comparison| comparison.significant() && comparison.mean_difference > 0.0);
        if !worse {
            tied.push(other.model.clone());
        }
        if position == 1 {
            versus_runner_up = comparison.map(|comparison| (other.model.clone(), comparison));
        }
    }
    let best_value_model = graded
        .iter()
        .filter(|model| tied.contains(&model.model))
        .filter_map(|model| model.mean_cost_micro_usd().map(|cost| (cost, *model)))
        .min_by(|(left_cost, left), (right_cost, right)| {
            left_cost
                .cmp(right_cost)
                .then_with(|| left.model.cmp(&right.model))
        })
        .map(|(_, model)| model.model.clone());
    Choice {
        best_model: (tied.len() == 1).then(|| leader.model.clone()),
        tied_for_best: tied,
        best_value_model,
        versus_runner_up,
    }
}

/// Exact two-sided McNemar test on paired pass/fail outcomes: `only_a` cases passed by A alone,
/// `only_b` by B alone. Under no difference each discordant case is a fair coin, so the p-value is
/// 2 · P(X ≤ min) for X ~ Binomial(only_a + only_b, 1/2), capped at 1; 1 without discordant cases.
pub fn mcnemar_exact(only_a: u64, only_b: u64) -> f64 {
    benchhub_common::stats::sign_test(only_a, only_b)
}

/// A verdict on "B against A".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// B is significantly better.
    Better,
    /// B is significantly worse.
    Worse,
    /// The data cannot tell them apart.
    NoSignificantDifference,
}

/// The verdict on a mean difference (B − A) whose adjusted p-value is `adjusted_p`.
pub fn verdict(mean_difference: f64, adjusted_p: f64) -> Verdict {
    if adjusted_p >= ALPHA || mean_difference == 0.0 {
        Verdict::NoSignificantDifference
    } else if mean_difference > 0.0 {
        Verdict::Better
    } else {
        Verdict::Worse
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcnemar_matches_the_binomial_by_hand() {
        // 1 vs 9 discordant: 2 × (C(10,0) + C(10,1)) / 2^10 = 2 × 11 / 1024 = 0.021484375.
        assert!((mcnemar_exact(1, 9) - 0.021_484_375).abs() < 1e-12);
        assert!((mcnemar_exact(9, 1) - 0.021_484_375).abs() < 1e-12);
        // 0 vs 5: 2 / 32 = 0.0625 — five one-sided cases are not enough at α = 0.05.
        assert!((mcnemar_exact(0, 5) - 0.0625).abs() < 1e-12);
        // 3 vs 3: the tail passes the middle, capped at 1.
        assert_eq!(mcnemar_exact(3, 3), 1.0);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        // Large n stays finite: 40 vs 60 → 2 × P(X ≤ 40 | n = 100) = 0.0569 (textbook binomial).
        let p = mcnemar_exact(40, 60);
        assert!((p - 0.0569).abs() < 5e-4, "{p}");
    }

    #[test]
    fn holm_adjusts_like_the_textbook() {
        // p = (0.01, 0.04, 0.03), m = 3: sorted 0.01 × 3 = 0.03, 0.03 × 2 = 0.06, 0.04 × 1 = 0.04
        // → monotone 0.06; in input order (0.03, 0.06, 0.06).
        let adjusted = holm_adjust(&[0.01, 0.04, 0.03]);
        let expected = [0.03, 0.06, 0.06];
        for (got, want) in adjusted.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{adjusted:?}");
        }
        assert_eq!(holm_adjust(&[0.5]), vec![0.5]);
        assert_eq!(verdict(3.0, 0.03), Verdict::Better);
        assert_eq!(verdict(-3.0, 0.03), Verdict::Worse);
        assert_eq!(verdict(3.0, 0.06), Verdict::NoSignificantDifference);
    }

    #[test]
    fn wilson_matches_the_textbook() {
        // 8 of 10: p = 0.8, z = 1.96: centre (0.8 + 0.19208) / 1.38415 = 0.71674, half-width
        // 1.96 × √(0.016 + 0.009604) / 1.38415 = 0.22658 → (0.4902, 0.9433).
        let (low, high) = wilson_interval(8, 10).expect("trials");
        assert!((low - 0.4902).abs() < 5e-4, "{low}");
        assert!((high - 0.9433).abs() < 5e-4, "{high}");
        // 0 of 20: (0, z²/(n + z²)) = (0, 3.8415 / 23.8415) = (0, 0.1611).
        let (low, high) = wilson_interval(0, 20).expect("trials");
        assert_eq!(low, 0.0);
        assert!((high - 0.1611).abs() < 5e-4, "{high}");
        assert_eq!(wilson_interval(0, 0), None);
    }

    #[test]
    fn the_bootstrap_interval_brackets_the_mean_and_is_reproducible() {
        let values: Vec<f64> = (0..40).map(|index| f64::from(index % 10) * 10.0).collect();
        let interval = bootstrap_mean_interval(&values, SEED).expect("values");
        assert_eq!(Some(interval), bootstrap_mean_interval(&values, SEED));
        // mean 45, standard error 28.7 / √40 = 4.5: the interval is about ±1.96 × 4.5 = ±8.9.
        assert!(interval.0 < 45.0 && 45.0 < interval.1, "{interval:?}");
        let width = interval.1 - interval.0;
        assert!((14.0..22.0).contains(&width), "{width}");
        assert_eq!(bootstrap_mean_interval(&[50.0], SEED), None);
    }

    #[test]
    fn paired_bootstrap_p_values() {
        // Every case 10 points apart: every resampled mean is 10, p = 0.
        let clear = paired_bootstrap(&[10.0; 20], SEED).expect("cases");
        assert_eq!(clear.p_value, 0.0);
        assert_eq!(clear.interval, (10.0, 10.0));
        // Identical: every resampled mean is 0, both shares are 1, p = 1.
        let same = paired_bootstrap(&[0.0; 20], SEED).expect("cases");
        assert_eq!(same.p_value, 1.0);
        // Symmetric noise: p far above 0.05.
        let noise: Vec<f64> = (0..20)
            .map(|index| if index % 2 == 0 { 30.0 } else { -28.0 })
            .collect();
        let noisy = paired_bootstrap(&noise, SEED).expect("cases");
        assert!(noisy.p_value > 0.5, "{noisy:?}");
        assert!(!noisy.significant());
    }

    fn aggregate(model: &str, mean: f64, cost: i64) -> ModelAggregate {
        ModelAggregate {
            model: model.to_owned(),
            results: 20,
            mean_quality: Some(mean),
            total_cost_micro_usd: cost,
            priced_results: 20,
            ..ModelAggregate::default()
        }
    }

    fn scores(model: &str, values: &[f64]) -> Vec<CaseScore> {
        values
            .iter()
            .enumerate()
            .map(|(index, quality)| CaseScore {
                model: model.to_owned(),
                case: format!("case-{index:02}"),
                quality: *quality,
            })
            .collect()
    }

    #[test]
    fn a_two_point_lead_on_noisy_cases_is_a_tie() {
        // 20 cases; a and b alternate 0 and 100, a ahead on 11 of them: 55 vs 50 mean.
        let a: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 || i == 1 { 100.0 } else { 0.0 })
            .collect();
        let b: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 1 { 100.0 } else { 0.0 })
            .collect();
        let mut cases = scores("p/a", &a);
        cases.extend(scores("p/b", &b));
        let models = [aggregate("p/a", 55.0, 4_000), aggregate("p/b", 50.0, 1_000)];
        let choice = choose(&models, &cases);
        assert_eq!(choice.best_model, None, "{choice:?}");
        assert_eq!(choice.tied_for_best, ["p/a", "p/b"]);
        assert_eq!(choice.best_value_model.as_deref(), Some("p/b"));
        let (runner_up, comparison) = choice.versus_runner_up.expect("compared");
        assert_eq!(runner_up, "p/b");
        assert!(comparison.p_value > ALPHA, "{comparison:?}");
    }

    #[test]
    fn a_clear_lead_names_the_best_model() {
        let mut cases = scores("p/good", &[90.0; 20]);
        cases.extend(scores("p/bad", &[20.0; 20]));
        cases.extend(scores("p/okay", &[60.0; 20]));
        let models = [
            aggregate("p/bad", 20.0, 100),
            aggregate("p/good", 90.0, 9_000),
            aggregate("p/okay", 60.0, 1_000),
        ];
        let choice = choose(&models, &cases);
        assert_eq!(choice.best_model.as_deref(), Some("p/good"));
        assert_eq!(choice.tied_for_best, ["p/good"]);
        assert_eq!(choice.best_value_model.as_deref(), Some("p/good"));
        let (runner_up, comparison) = choice.versus_runner_up.expect("compared");
        assert_eq!(runner_up, "p/okay");
        assert_eq!(comparison.mean_difference, 30.0);
        assert!(comparison.significant());
    }

    #[test]
    fn intervals_fill_the_aggregates() {
        let mut models = [aggregate("p/a", 50.0, 0)];
        models[0].passes = 8;
        models[0].pass_trials = 10;
        let cases = scores("p/a", &[0.0, 100.0, 50.0, 50.0]);
        add_intervals(&mut models, &cases);
        let (low, high) = models[0].mean_quality_interval.expect("interval");
        assert!(low < 50.0 && 50.0 < high);
        let (low, high) = models[0].pass_rate_interval.expect("interval");
        assert!((low - 0.4902).abs() < 5e-4 && (high - 0.9433).abs() < 5e-4);
    }
}
