//! Paired comparison of two runs over their shared cases (CompareRuns).

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::significance::{self, Verdict};
use crate::domain::stats::{mean, percentile};

/// Most per-(case, model) rows returned.
pub const MAX_CASE_ROWS: usize = 10_000;
/// Quality differences within this many points count as ties.
pub const TIE_EPSILON: f64 = 0.5;

/// One result of a run, as needed for comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparedResult {
    /// Identity of the case across runs: the suite case id, or a hash of an ad-hoc case's input.
    pub case_key: String,
    /// The case id to show.
    pub case_id: String,
    /// Position of the case in its run, for ordering.
    pub case_index: usize,
    /// `provider/model`.
    pub model: String,
    /// Quality, when graded.
    pub quality: Option<f64>,
    /// Pass flag, when graded.
    pub passed: Option<bool>,
    /// Cost, when priced.
    pub cost_micro_usd: Option<i64>,
    /// Latency of a successful call.
    pub latency_ms: Option<i64>,
    /// Whether the call failed.
    pub failed: bool,
}

/// B's outcome against A on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// B scored higher.
    Win,
    /// B scored lower.
    Loss,
    /// Same quality within [`TIE_EPSILON`].
    Tie,
    /// One side has no quality.
    Unpaired,
}

/// One model on one case across the two runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    /// Case id (B's when both have one).
    pub case_id: String,
    /// Model.
    pub model: String,
    /// Quality in A (mean over repetitions).
    pub quality_a: Option<f64>,
    /// Quality in B.
    pub quality_b: Option<f64>,
    /// Outcome from B's side.
    pub outcome: Outcome,
    /// Cost in B minus A (mean over repetitions).
    pub cost_delta_micro_usd: Option<i64>,
    /// Latency in B minus A (mean over repetitions).
    pub latency_delta_ms: Option<i64>,
}

/// One model across the two runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelRow {
    /// Model.
    pub model: String,
    /// Cases with a quality on both sides.
    pub paired_cases: usize,
    /// Mean quality in A over paired cases.
    pub mean_quality_a: Option<f64>,
    /// Mean quality in B over paired cases.
    pub mean_quality_b: Option<f64>,
    /// Mean of B − A.
    pub mean_quality_diff: Option<f64>,
    /// 95% interval of the mean difference.
    pub diff_interval: Option<(f64, f64)>,
    /// Cases B won.
    pub wins: usize,
    /// Cases B lost.
    pub losses: usize,
    /// Tied cases.
    pub ties: usize,
    /// Mean cost per call in B minus in A.
    pub cost_delta_micro_usd: Option<i64>,
    /// Median latency in B minus in A.
    pub latency_p50_delta_ms: Option<i64>,
    /// Pass rate in B minus in A.
    pub pass_rate_delta: Option<f64>,
    /// Two-sided paired-bootstrap p-value of the mean difference.
    pub p_value: Option<f64>,
    /// That p-value after Holm correction across the rows of one comparison.
    pub adjusted_p_value: Option<f64>,
    /// Cases passed by A alone and by B alone (the discordant pairs of McNemar's test).
    pub passed_only: (usize, usize),
    /// Exact McNemar p-value on pass/fail; `None` without paired verdicts.
    pub mcnemar_p_value: Option<f64>,
    /// B against A, from the adjusted p-value; `None` with fewer than two paired cases.
    pub verdict: Option<Verdict>,
}

/// The comparison of two runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    /// Cases present in both runs.
    pub shared_cases: usize,
    /// Per-model rows for models in both runs.
    pub models: Vec<ModelRow>,
    /// Per (case, model) rows, by B's case order then model.
    pub cases: Vec<CaseRow>,
    /// True when `cases` was cut at [`MAX_CASE_ROWS`].
    pub truncated: bool,
    /// (case, model) pairs present in both runs.
    pub shared_pairs: usize,
}

#[derive(Default)]
struct Side {
    qualities: Vec<f64>,
    passes: Vec<bool>,
    costs: Vec<i64>,
    latencies: Vec<i64>,
    unpriced: bool,
}

impl Side {
    fn add(&mut self, result: &ComparedResult) {
        if let Some(quality) = result.quality {
            self.qualities.push(quality);
        }
        if let Some(passed) = result.passed {
            self.passes.push(passed);
        }
        match result.cost_micro_usd {
            Some(cost) => self.costs.push(cost),
            None if !result.failed => self.unpriced = true,
            None => {}
        }
        if let (Some(latency), false) = (result.latency_ms, result.failed) {
            self.latencies.push(latency);
        }
    }

    fn quality(&self) -> Option<f64> {
        mean(&self.qualities)
    }

    /// Passed on this case: at least half of its repetitions passed.
    fn passed(&self) -> Option<bool> {
        (!self.passes.is_empty())
            .then(|| 2 * self.passes.iter().filter(|passed| **passed).count() >= self.passes.len())
    }

    fn cost(&self) -> Option<f64> {
        if self.unpriced {
            return None;
        }
        mean(
            &self
                .costs
                .iter()
                .map(|cost| *cost as f64)
                .collect::<Vec<_>>(),
        )
    }

    fn latency(&self) -> Option<f64> {
        mean(&self.latencies.iter().map(|v| *v as f64).collect::<Vec<_>>())
    }
}

type Grouped = BTreeMap<(String, String), Side>;

fn group(results: &[ComparedResult]) -> Grouped {
    let mut grouped: Grouped = BTreeMap::new();
    for result in results {
        grouped
            .entry((result.case_key.clone(), result.model.clone()))
            .or_default()
            .add(result);
    }
    grouped
}

fn delta(b: Option<f64>, a: Option<f64>) -> Option<i64> {
    Some((b? - a?).round() as i64)
}

/// Compares run B against baseline A.
pub fn compare(a: &[ComparedResult], b: &[ComparedResult]) -> Comparison {
    let grouped_a = group(a);
    let grouped_b = group(b);
    let cases_a: BTreeSet<&str> = a.iter().map(|r| r.case_key.as_str()).collect();
    let models_a: BTreeSet<&str> = a.iter().map(|r| r.model.as_str()).collect();
    let models_b: BTreeSet<&str> = b.iter().map(|r| r.model.as_str()).collect();
    let shared_models: Vec<&str> = models_a.intersection(&models_b).copied().collect();

    // Shared cases in B's order, with B's ids.
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut ordered_cases: Vec<(usize, &str, &str)> = b
        .iter()
        .filter(|result| cases_a.contains(result.case_key.as_str()))
        .filter(|result| seen.insert(result.case_key.as_str()))
        .map(|result| {
            (
                result.case_index,
                result.case_key.as_str(),
                result.case_id.as_str(),
            )
        })
        .collect();
    ordered_cases.sort();

    let mut comparison = Comparison {
        shared_cases: ordered_cases.len(),
        ..Comparison::default()
    };
    let mut accumulators: BTreeMap<&str, ModelAccumulator> = shared_models
        .iter()
        .map(|model| (*model, ModelAccumulator::default()))
        .collect();
    for (_, key, case_id) in &ordered_cases {
        for model in &shared_models {
            let lookup = ((*key).to_owned(), (*model).to_owned());
            let (Some(side_a), Some(side_b)) = (grouped_a.get(&lookup), grouped_b.get(&lookup))
            else {
                continue;
            };
            comparison.shared_pairs += 1;
            let accumulator = accumulators.entry(model).or_default();
            merge_into(&mut accumulator.all_a, side_a);
            merge_into(&mut accumulator.all_b, side_b);
            let quality_a = side_a.quality();
            let quality_b = side_b.quality();
            if let (Some(pass_a), Some(pass_b)) = (side_a.passed(), side_b.passed()) {
                accumulator.pass_pairs.push((pass_a, pass_b));
            }
            let outcome = match (quality_a, quality_b) {
                (Some(qa), Some(qb)) => {
                    accumulator.paired_a.push(qa);
                    accumulator.paired_b.push(qb);
                    if (qb - qa).abs() <= TIE_EPSILON {
                        accumulator.ties += 1;
                        Outcome::Tie
                    } else if qb > qa {
                        accumulator.wins += 1;
                        Outcome::Win
                    } else {
                        accumulator.losses += 1;
                        Outcome::Loss
                    }
                }
                _ => Outcome::Unpaired,
            };
            if comparison.cases.len() < MAX_CASE_ROWS {
                comparison.cases.push(CaseRow {
                    case_id: (*case_id).to_owned(),
                    model: (*model).to_owned(),
                    quality_a,
                    quality_b,
                    outcome,
                    cost_delta_micro_usd: delta(side_b.cost(), side_a.cost()),
                    latency_delta_ms: delta(side_b.latency(), side_a.latency()),
                });
            } else {
                comparison.truncated = true;
            }
        }
    }
    for model in shared_models {
        let accumulator = accumulators.remove(model).unwrap_or_default();
        comparison.models.push(accumulator.finish(model));
    }
    apply_verdicts(&mut comparison.models);
    comparison
}

/// Holm-corrects the rows' p-values together (one family per request) and gives each its verdict.
pub fn apply_verdicts(rows: &mut [ModelRow]) {
    let tested: Vec<usize> = (0..rows.len())
        .filter(|index| rows[*index].p_value.is_some())
        .collect();
    let p_values: Vec<f64> = tested
        .iter()
        .map(|index| rows[*index].p_value.unwrap_or(1.0))
        .collect();
    for (index, adjusted) in tested.into_iter().zip(significance::holm_adjust(&p_values)) {
        let row = &mut rows[index];
        row.adjusted_p_value = Some(adjusted);
        row.verdict = row
            .mean_quality_diff
            .map(|difference| significance::verdict(difference, adjusted));
    }
}

#[derive(Default)]
struct ModelAccumulator {
    paired_a: Vec<f64>,
    paired_b: Vec<f64>,
    all_a: Side,
    all_b: Side,
    wins: usize,
    losses: usize,
    ties: usize,
    /// Per case with verdicts on both sides: (A passed, B passed).
    pass_pairs: Vec<(bool, bool)>,
}

impl ModelAccumulator {
    fn finish(self, model: &str) -> ModelRow {
        let differences: Vec<f64> = self
            .paired_b
            .iter()
            .zip(&self.paired_a)
            .map(|(b, a)| b - a)
            .collect();
        let difference = significance::paired_bootstrap(&differences, significance::SEED);
        let only_a = self.pass_pairs.iter().filter(|(a, b)| *a && !*b).count();
        let only_b = self.pass_pairs.iter().filter(|(a, b)| !*a && *b).count();
        let median_latency = |side: &Side| -> Option<f64> {
            percentile(
                &side.latencies.iter().map(|v| *v as f64).collect::<Vec<_>>(),
                0.5,
            )
        };
        let pass_rate = |side: &Side| -> Option<f64> {
            (!side.passes.is_empty()).then(|| {
                side.passes.iter().filter(|passed| **passed).count() as f64
                    / side.passes.len() as f64
            })
        };
        ModelRow {
            model: model.to_owned(),
            paired_cases: differences.len(),
            mean_quality_a: mean(&self.paired_a),
            mean_quality_b: mean(&self.paired_b),
            mean_quality_diff: difference
                .as_ref()
                .map(|d| d.mean_difference)
                .or_else(|| (differences.len() == 1).then(|| differences[0])),
            diff_interval: difference.as_ref().map(|d| d.interval),
            p_value: difference.as_ref().map(|d| d.p_value),
            adjusted_p_value: None,
            passed_only: (only_a, only_b),
            mcnemar_p_value: (!self.pass_pairs.is_empty())
                .then(|| significance::mcnemar_exact(only_a as u64, only_b as u64)),
            verdict: None,
            wins: self.wins,
            losses: self.losses,
            ties: self.ties,
            cost_delta_micro_usd: delta(self.all_b.cost(), self.all_a.cost()),
            latency_p50_delta_ms: delta(median_latency(&self.all_b), median_latency(&self.all_a)),
            pass_rate_delta: match (pass_rate(&self.all_b), pass_rate(&self.all_a)) {
                (Some(b_rate), Some(a_rate)) => Some(b_rate - a_rate),
                _ => None,
            },
        }
    }
}

fn merge_into(target: &mut Side, source: &Side) {
    target.qualities.extend(&source.qualities);
    target.passes.extend(&source.passes);
    target.costs.extend(&source.costs);
    target.latencies.extend(&source.latencies);
    target.unpriced |= source.unpriced;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(case: &str, index: usize, model: &str, quality: Option<f64>) -> ComparedResult {
        ComparedResult {
            case_key: case.to_owned(),
            case_id: case.to_owned(),
            case_index: index,
            model: model.to_owned(),
            quality,
            passed: quality.map(|q| q >= 50.0),
            cost_micro_usd: Some(100),
            latency_ms: Some(200),
            failed: false,
        }
    }

    #[test]
    fn counts_wins_losses_and_ties_with_an_interval() {
        let a = vec![
            result("c1", 0, "m/x", Some(50.0)),
            result("c2", 1, "m/x", Some(80.0)),
            result("c3", 2, "m/x", Some(60.0)),
            result("c4", 3, "m/x", Some(10.0)),
            result("c1", 0, "m/only-a", Some(10.0)),
        ];
        let mut b = vec![
            result("c1", 0, "m/x", Some(70.0)),
            result("c2", 1, "m/x", Some(60.0)),
            result("c3", 2, "m/x", Some(60.2)),
            result("c4", 3, "m/x", None),
            result("c9", 4, "m/x", Some(99.0)),
        ];
        b[0].cost_micro_usd = Some(150);
        b[0].latency_ms = Some(260);
        let comparison = compare(&a, &b);
        assert_eq!(comparison.shared_cases, 4);
        assert_eq!(comparison.models.len(), 1);
        let row = &comparison.models[0];
        assert_eq!((row.wins, row.losses, row.ties), (1, 1, 1));
        assert_eq!(row.paired_cases, 3);
        let diff = row.mean_quality_diff.expect("paired");
        assert!((diff - (20.0 - 20.0 + 0.2) / 3.0).abs() < 1e-9);
        assert!(row.diff_interval.is_some());
        assert_eq!(comparison.cases.len(), 4);
        assert_eq!(comparison.cases[0].case_id, "c1");
        assert_eq!(comparison.cases[0].outcome, Outcome::Win);
        assert_eq!(comparison.cases[0].cost_delta_micro_usd, Some(50));
        assert_eq!(comparison.cases[0].latency_delta_ms, Some(60));
        assert_eq!(comparison.cases[3].outcome, Outcome::Unpaired);
        assert_eq!(row.cost_delta_micro_usd, Some(13));
        assert_eq!(row.pass_rate_delta, Some(0.25));
    }

    #[test]
    fn disjoint_runs_share_nothing() {
        let a = vec![result("c1", 0, "m/x", Some(50.0))];
        let b = vec![result("c2", 0, "m/x", Some(50.0))];
        let comparison = compare(&a, &b);
        assert_eq!(comparison.shared_pairs, 0);
        assert_eq!(comparison.shared_cases, 0);
    }
}
