//! The statistics behind every "how sure" benchhub prints: Wilson intervals of rates, seeded
//! percentile-bootstrap intervals of means, the exact two-sided sign test (McNemar's test on
//! discordant pairs is this test) and Holm's correction across the tests of one request. Used by the
//! runner (run and suite verdicts) and by benchctl (judge files); plain functions, no I/O.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// z of a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// Significance level of every verdict.
pub const ALPHA: f64 = 0.05;
/// Seed of every bootstrap, so the same data always gives the same interval and verdict.
pub const SEED: u64 = 0x5EED_B0B5;
/// Resample work per bootstrap (resamples × values); the resample count stays within 200–2,000.
const WORK: usize = 1_000_000;

/// Formats a p-value with three decimals, or `< 0.001` below that (a resampled p-value of 0 only means
/// none of the resamples crossed zero).
pub fn format_p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_owned()
    } else {
        format!("{p:.3}")
    }
}

/// `p < 0.001` or `p = 0.042`, for a sentence.
pub fn p_value_phrase(p: f64) -> String {
    let text = format_p_value(p);
    if text.starts_with('<') {
        format!("p {text}")
    } else {
        format!("p = {text}")
    }
}

/// Wilson score 95% interval of `successes` out of `trials`; `None` without trials.
pub fn wilson_interval(successes: u64, trials: u64) -> Option<(f64, f64)> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

fn resamples(count: usize) -> usize {
    (WORK / count.max(1)).clamp(200, 2_000)
}

/// Bootstrap means of `values` (resampled with replacement, seeded), sorted ascending.
pub fn bootstrap_means(values: &[f64], seed: u64) -> Vec<f64> {
    let count = values.len();
    if count == 0 {
        return Vec::new();
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..resamples(count))
        .map(|_| {
            let sum: f64 = (0..count).map(|_| values[rng.random_range(0..count)]).sum();
            sum / count as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    means
}

/// The 2.5th and 97.5th percentiles of sorted, non-empty values (linear interpolation).
pub fn percentile_interval(sorted: &[f64]) -> (f64, f64) {
    let at = |fraction: f64| {
        let position = fraction * (sorted.len() - 1) as f64;
        let lower = position.floor() as usize;
        let upper = position.ceil() as usize;
        sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower as f64)
    };
    (at(0.025), at(0.975))
}

/// Percentile-bootstrap 95% interval of the mean of `values`; `None` with fewer than two values.
pub fn bootstrap_mean_interval(values: &[f64], seed: u64) -> Option<(f64, f64)> {
    (values.len() >= 2).then(|| percentile_interval(&bootstrap_means(values, seed)))
}

/// Exact two-sided sign test: `wins` against `losses` (ties left out), each a fair coin under no
/// difference, so p = 2 · P(X ≤ min) for X ~ Binomial(wins + losses, 1/2), capped at 1; 1 without
/// decisive outcomes. On pass/fail pairs (`wins` passed by A alone, `losses` by B alone) this is the
/// exact McNemar test.
pub fn sign_test(wins: u64, losses: u64) -> f64 {
    let n = wins + losses;
    if n == 0 {
        return 1.0;
    }
    let k = wins.min(losses);
    // Σ_{i ≤ k} C(n, i) / 2^n, in logs to stay finite for large n.
    let ln_half_n = n as f64 * std::f64::consts::LN_2;
    let mut ln_choose = 0.0_f64; // ln C(n, 0)
    let mut tail = 0.0_f64;
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_choose - ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// Holm–Bonferroni adjusted p-values (same order as `p_values`): the i-th smallest of m is multiplied
/// by (m − i), made non-decreasing and capped at 1. A hypothesis is rejected at α when its adjusted
/// p-value is below α.
pub fn holm_adjust(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p_values[*a].total_cmp(&p_values[*b]));
    let mut adjusted = vec![1.0; m];
    let mut running = 0.0_f64;
    for (rank, index) in order.into_iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[index]).min(1.0));
        adjusted[index] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook_formula() {
        // 8 of 10: centre (0.8 + 1.92/10) / 1.384 = 0.7168, half-width 0.2265 → 0.4902 to 0.9433.
        let (low, high) = wilson_interval(8, 10).expect("trials");
        assert!((low - 0.4902).abs() < 1e-4, "{low}");
        assert!((high - 0.9433).abs() < 1e-4, "{high}");
        assert_eq!(wilson_interval(0, 0), None);
        let (low, high) = wilson_interval(0, 5).expect("trials");
        assert_eq!(low, 0.0);
        assert!(high > 0.4 && high < 0.44, "{high}");
    }

    #[test]
    fn sign_test_by_hand() {
        // 1 vs 9: 2 × (C(10,0) + C(10,1)) / 1024 = 22 / 1024.
        assert!((sign_test(1, 9) - 22.0 / 1024.0).abs() < 1e-12);
        assert_eq!(sign_test(9, 1), sign_test(1, 9));
        assert_eq!(sign_test(0, 0), 1.0);
        assert_eq!(sign_test(5, 5), 1.0);
        // Large n stays finite and tiny.
        assert!(sign_test(0, 2_000) < 1e-300);
    }

    #[test]
    fn holm_by_hand() {
        // Sorted 0.01, 0.03, 0.04 → ×3, ×2, ×1 = 0.03, 0.06, 0.04 → monotone 0.03, 0.06, 0.06.
        let adjusted = holm_adjust(&[0.01, 0.04, 0.03]);
        let expected = [0.03, 0.06, 0.06];
        for (value, expected) in adjusted.iter().zip(expected) {
            assert!((value - expected).abs() < 1e-12, "{adjusted:?}");
        }
        assert!(holm_adjust(&[]).is_empty());
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_mean() {
        let values: Vec<f64> = (0..40).map(|index| f64::from(index % 10) * 10.0).collect();
        let first = bootstrap_mean_interval(&values, SEED).expect("interval");
        assert_eq!(bootstrap_mean_interval(&values, SEED), Some(first));
        assert!(first.0 < 45.0 && 45.0 < first.1, "{first:?}");
        assert_eq!(bootstrap_mean_interval(&[1.0], SEED), None);
        assert!(bootstrap_means(&[], SEED).is_empty());
    }
}
