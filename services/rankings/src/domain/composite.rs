//! The coding composite: one score per model from every model × coding benchmark score, comparable
//! across models that ran different benchmarks.
//!
//! A plain mean of whatever benchmarks a model has rewards missing the hard ones (a model with only
//! HumanEval+ outscores one with HumanEval+ and SWE-bench). Instead:
//!
//! 1. **Fit an ability per model.** Every score `p` (percent) becomes `y = logit(p / 100)` (clamped to
//!    0.5–99.5%) and is modelled as `y = ability(model) + easiness(benchmark)`: a benchmark where
//!    strong models score high is easy, so a high score there says less. Each source counts once per
//!    model: the scores of a source's metrics share a weight of 1 (BigCodeBench's four splits weigh one
//!    quarter each), so a board with many splits does not outvote the others. A benchmark's easiness
//!    is read from its **anchors**, the models scored by at least two sources: they tie the boards
//!    together. (The crowd seen on one board only, such as EvalPlus's old open models, would make that
//!    board look hard in proportion to how weak the crowd is.) Abilities are fitted by weighted least
//!    squares with a ridge penalty of [`SHRINKAGE`] sources pulling each ability towards the anchors'
//!    average: a model resting on one board moves halfway from the average. Alternating updates run
//!    until they settle.
//! 2. **Respect dominance.** If model A scores at least as well as model B on every coding benchmark
//!    both ran (at least two shared, one strictly better), A's composite is at least B's. Where the fit
//!    disagrees (it uses benchmarks the two do not share), the abilities are moved as little as possible
//!    (weighted least squares: isotonic regression on the dominance order) until no dominance is
//!    violated; models whose constraints bind end up tied. Boards that disagree (A beats B on
//!    BigCodeBench, B beats C on EvalPlus, C beats A on BigCodeBench-Hard) force such ties: the
//!    interval of each composite says how sure it is.
//! 3. **Report cohort-normalised**: 0 for the catalog's weakest model, 100 for its strongest, linear in
//!    ability (so a composite is comparable to the other 0–100 components of the overall score). The
//!    standard error is the anchors' residual spread over the square root of the model's weight (its
//!    sources plus the shrinkage); the interval is the composite ± 1.96 standard errors.
//!
//! The fit runs once per catalog build, over the catalog's own models (as of its date).

/// Ridge weight pulling abilities towards the anchors' average, in sources: a model resting on one
/// board moves halfway from the average, one resting on four moves four fifths of the way.
pub const SHRINKAGE: f64 = 1.0;
/// Scores are clamped into this range (percent) before the logit, so 0% and 100% stay finite.
pub const CLAMP_PERCENT: (f64, f64) = (0.5, 99.5);
/// Fewest shared benchmarks for one model to dominate another.
pub const MIN_SHARED: usize = 2;
const MAX_ITERATIONS: usize = 500;
const TOLERANCE: f64 = 1e-10;
/// Rounds of adding violated dominances as constraints.
const MAX_ROUNDS: usize = 100;
/// Sweeps of the dual ascent per round.
const MAX_SWEEPS: usize = 20_000;
/// Largest constraint violation (logit) at which a round of dual ascent stops; the exact solution is
/// read off the binding constraints afterwards, so the tolerance only needs to find them.
const SWEEP_TOLERANCE: f64 = 1e-12;
/// Constraint updates a round of dual ascent may make (sweeps × constraints): a catalog of thousands
/// of densely dominating models stops early and leaves the rest to pooling, which still satisfies
/// every dominance.
const SWEEP_BUDGET: usize = 5_000_000;
/// Fewest sweeps a round makes.
const MIN_SWEEPS: usize = 50;
/// 97.5% quantile of the standard normal: a 95% interval is the estimate ± this many standard errors.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// Smallest residual spread assumed (logit scale), so that a perfect fit of few scores is not read as
/// certainty.
pub const MIN_SPREAD: f64 = 0.1;

/// One coding score of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Index of the benchmark (a source's coding metric) in `0..benchmarks`.
    pub benchmark: usize,
    /// Index of the benchmark's source: scores of one source share one unit of weight per model.
    pub source: usize,
    /// The score, percent (0–100).
    pub percent: f64,
}

/// A model's composite and how sure it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Composite {
    /// The composite, 0–100.
    pub score: f64,
    /// Its standard error on the same 0–100 scale: the fit's residual spread over the square root of
    /// the model's weight (its sources plus the shrinkage).
    pub standard_error: f64,
    /// Lower end of its 95% interval: the ability ± 1.96 standard errors, where the standard error is
    /// the fit's residual spread over the square root of the model's weight (its sources plus the
    /// shrinkage): one board leaves a wide interval, many a narrow one.
    pub low: f64,
    /// Upper end of its 95% interval.
    pub high: f64,
    /// The fitted ability before dominance pooling (logit scale), for diagnostics.
    pub ability: f64,
    /// The score (percent) the model is expected to get on a benchmark of average difficulty.
    pub expected_percent: f64,
}

fn logit(percent: f64) -> f64 {
    let p = percent.clamp(CLAMP_PERCENT.0, CLAMP_PERCENT.1) / 100.0;
    (p / (1.0 - p)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Computes every model's composite; `None` for models without a coding score.
pub fn composites(models: &[Vec<Score>], benchmarks: usize) -> Vec<Option<Composite>> {
    // Observations with their weights: each source shares one unit per model.
    let mut observations: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (model, scores) in models.iter().enumerate() {
        for score in scores {
            let same_source = scores
                .iter()
                .filter(|other| other.source == score.source)
                .count();
            observations.push((
                model,
                score.benchmark,
                logit(score.percent),
                1.0 / same_source as f64,
            ));
        }
    }
    if observations.is_empty() {
        return vec![None; models.len()];
    }
    let anchor = anchors(models);
    // A benchmark's easiness is read from its anchors when it has at least two, else from everyone.
    let mut anchored = vec![0usize; benchmarks];
    for &(model, benchmark, _, _) in &observations {
        if anchor[model] {
            anchored[benchmark] += 1;
        }
    }
    let informs = |model: usize, benchmark: usize| anchor[model] || anchored[benchmark] < 2;
    let mut ability = vec![0.0; models.len()];
    let mut easiness = vec![0.0; benchmarks];
    let mut numerator_b = vec![0.0; benchmarks];
    let mut weight_b = vec![0.0; benchmarks];
    let mut numerator_m = vec![0.0; models.len()];
    let mut weight_m = vec![0.0; models.len()];
    for _ in 0..MAX_ITERATIONS {
        numerator_b.iter_mut().for_each(|value| *value = 0.0);
        weight_b.iter_mut().for_each(|value| *value = 0.0);
        for &(model, benchmark, y, weight) in &observations {
            if informs(model, benchmark) {
                numerator_b[benchmark] += weight * (y - ability[model]);
                weight_b[benchmark] += weight;
            }
        }
        for benchmark in 0..benchmarks {
            if weight_b[benchmark] > 0.0 {
                easiness[benchmark] = numerator_b[benchmark] / weight_b[benchmark];
            }
        }
        numerator_m.iter_mut().for_each(|value| *value = 0.0);
        weight_m.iter_mut().for_each(|value| *value = 0.0);
        for &(model, benchmark, y, weight) in &observations {
            numerator_m[model] += weight * (y - easiness[benchmark]);
            weight_m[model] += weight;
        }
        let mut change: f64 = 0.0;
        for model in 0..models.len() {
            if weight_m[model] > 0.0 {
                let updated = numerator_m[model] / (weight_m[model] + SHRINKAGE);
                change = change.max((updated - ability[model]).abs());
                ability[model] = updated;
            }
        }
        // The anchors' average ability is the zero point (what shrinkage pulls towards).
        let (sum, count) = ability
            .iter()
            .zip(&anchor)
            .filter(|(_, anchor)| **anchor)
            .fold((0.0, 0usize), |(sum, count), (value, _)| {
                (sum + value, count + 1)
            });
        if count > 0 {
            let mean = sum / count as f64;
            for (model, value) in ability.iter_mut().enumerate() {
                if weight_m[model] > 0.0 {
                    *value -= mean;
                }
            }
            easiness.iter_mut().for_each(|value| *value += mean);
        }
        if change < TOLERANCE {
            break;
        }
    }
    let used: Vec<f64> = (0..benchmarks)
        .filter(|benchmark| weight_b[*benchmark] > 0.0)
        .map(|benchmark| easiness[benchmark])
        .collect();
    let mean_easiness = used.iter().sum::<f64>() / used.len().max(1) as f64;
    let spread = residual_spread(&observations, &ability, &easiness, &anchor, used.len());
    let precision: Vec<f64> = weight_m.iter().map(|weight| weight + SHRINKAGE).collect();
    let pooled = isotonic(models, &ability, &precision);
    // Cohort-normalised: the catalog's weakest model 0, its strongest 100, linear in ability.
    let (lowest, highest) = models
        .iter()
        .zip(&pooled)
        .filter(|(scores, _)| !scores.is_empty())
        .fold(
            (f64::INFINITY, f64::NEG_INFINITY),
            |(low, high), (_, value)| (low.min(*value), high.max(*value)),
        );
    let flat = highest - lowest < 1e-9;
    let points_per_logit = if flat {
        0.0
    } else {
        100.0 / (highest - lowest)
    };
    let scale = |value: f64| {
        if flat {
            return 100.0;
        }
        (points_per_logit * (value - lowest)).clamp(0.0, 100.0)
    };
    models
        .iter()
        .enumerate()
        .map(|(model, scores)| {
            (!scores.is_empty()).then(|| {
                let error = spread / precision[model].sqrt();
                let margin = Z_95 * error;
                Composite {
                    score: scale(pooled[model]),
                    standard_error: points_per_logit * error,
                    low: scale(pooled[model] - margin),
                    high: scale(pooled[model] + margin),
                    ability: ability[model],
                    expected_percent: 100.0 * sigmoid(pooled[model] + mean_easiness),
                }
            })
        })
        .collect()
}

/// Anchors: models with scores from at least two sources. Only they tie benchmarks together, so only
/// they say how hard a benchmark is; a model seen on one board alone would otherwise make its board
/// look as hard as the board's crowd is weak (the average ability it is shrunk to is not its own).
fn anchors(models: &[Vec<Score>]) -> Vec<bool> {
    models
        .iter()
        .map(|scores| scores.iter().any(|score| score.source != scores[0].source))
        .collect()
}

/// The spread of what the fit does not explain (logit scale), from the anchors' scores: a one-board
/// model's residual is mostly its shrinkage, not noise.
fn residual_spread(
    observations: &[(usize, usize, f64, f64)],
    ability: &[f64],
    easiness: &[f64],
    anchor: &[bool],
    benchmarks: usize,
) -> f64 {
    let (squares, total_weight) = observations
        .iter()
        .filter(|(model, ..)| anchor[*model])
        .fold(
            (0.0, 0.0),
            |(squares, total), &(model, benchmark, y, weight)| {
                let residual = y - ability[model] - easiness[benchmark];
                (squares + weight * residual * residual, total + weight)
            },
        );
    let anchors = anchor.iter().filter(|anchor| **anchor).count();
    // Each anchor and each benchmark spends about half a unit of weight on its own estimate.
    let freedom = total_weight - (anchors + benchmarks) as f64 * 0.5;
    if freedom < 1.0 {
        return 1.0;
    }
    (squares / freedom).sqrt().max(MIN_SPREAD)
}

/// Whether `a` dominates `b`: at least [`MIN_SHARED`] shared benchmarks, `a` at least as good on each
/// and strictly better on one.
pub fn dominates(a: &[Score], b: &[Score]) -> bool {
    let mut shared = 0;
    let mut strictly = false;
    for left in a {
        if let Some(right) = b.iter().find(|right| right.benchmark == left.benchmark) {
            if left.percent < right.percent {
                return false;
            }
            strictly |= left.percent > right.percent;
            shared += 1;
        }
    }
    shared >= MIN_SHARED && strictly
}

/// Models' scores as dense rows (NaN where a model has no score), for fast dominance checks.
struct Rows {
    width: usize,
    values: Vec<f64>,
}

impl Rows {
    fn new(models: &[Vec<Score>]) -> Self {
        let width = models
            .iter()
            .flatten()
            .map(|score| score.benchmark + 1)
            .max()
            .unwrap_or(0);
        let mut values = vec![f64::NAN; models.len() * width];
        for (model, scores) in models.iter().enumerate() {
            for score in scores {
                values[model * width + score.benchmark] = score.percent;
            }
        }
        Self { width, values }
    }

    /// Which of `a` and `b` dominates the other, if either: `Some(true)` when `a` dominates `b`,
    /// `Some(false)` when `b` dominates `a`. One pass over the two rows, stopping once neither can.
    fn dominance(&self, a: usize, b: usize) -> Option<bool> {
        let left = &self.values[a * self.width..(a + 1) * self.width];
        let right = &self.values[b * self.width..(b + 1) * self.width];
        let (mut shared, mut a_better, mut b_better) = (0usize, false, false);
        for (x, y) in left.iter().zip(right) {
            if x.is_nan() || y.is_nan() {
                continue;
            }
            shared += 1;
            a_better |= x > y;
            b_better |= y > x;
            if a_better && b_better {
                return None;
            }
        }
        if shared < MIN_SHARED || a_better == b_better {
            return None;
        }
        Some(a_better)
    }
}

/// Every dominance among `candidates`, as (dominating, dominated) pairs.
fn dominance_edges(rows: &Rows, candidates: &[usize]) -> Vec<(usize, usize)> {
    let mut edges = Vec::new();
    for (position, &a) in candidates.iter().enumerate() {
        for &b in &candidates[position + 1..] {
            match rows.dominance(a, b) {
                Some(true) => edges.push((a, b)),
                Some(false) => edges.push((b, a)),
                None => {}
            }
        }
    }
    edges
}

/// The dominances `values` violate (the dominating model lower) that are not constraints yet.
fn violations(
    edges: &[(usize, usize)],
    values: &[f64],
    known: &std::collections::HashSet<(usize, usize)>,
) -> Vec<(usize, usize)> {
    edges
        .iter()
        .copied()
        .filter(|(a, b)| values[*a] < values[*b] - 1e-12 && !known.contains(&(*a, *b)))
        .collect()
}

fn find(parent: &mut [usize], mut node: usize) -> usize {
    while parent[node] != node {
        parent[node] = parent[parent[node]];
        node = parent[node];
    }
    node
}

/// Weighted isotonic regression of `ability` on the dominance order: the values closest to the fitted
/// abilities (least squares, weighted by `weight`) in which no model is below one it dominates.
///
/// Cutting planes: every dominance is found once (one pass over each pair of models with two or more
/// scores); the dominances the current values violate are added as constraints and the
/// projection onto them is solved by Hildreth's dual coordinate ascent, until no dominance is violated.
/// The exact solution is then read off: models joined by binding constraints form a block whose value
/// is the weighted mean of its abilities. Any violation left by rounding is pooled away.
fn isotonic(models: &[Vec<Score>], ability: &[f64], weight: &[f64]) -> Vec<f64> {
    let count = models.len();
    let rows = Rows::new(models);
    let candidates: Vec<usize> = (0..count)
        .filter(|model| models[*model].len() >= MIN_SHARED)
        .collect();
    let edges = dominance_edges(&rows, &candidates);
    let mut values = ability.to_vec();
    let mut known: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    let mut constraints: Vec<(usize, usize, f64)> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let found = violations(&edges, &values, &known);
        if found.is_empty() {
            break;
        }
        for edge in found {
            known.insert(edge);
            constraints.push((edge.0, edge.1, 0.0));
        }
        let sweeps = (SWEEP_BUDGET / constraints.len().max(1)).clamp(MIN_SWEEPS, MAX_SWEEPS);
        for _ in 0..sweeps {
            let mut worst: f64 = 0.0;
            for (a, b, multiplier) in &mut constraints {
                let gap = values[*b] - values[*a];
                let step = (gap / (1.0 / weight[*a] + 1.0 / weight[*b])).max(-*multiplier);
                if step != 0.0 {
                    *multiplier += step;
                    values[*a] += step / weight[*a];
                    values[*b] -= step / weight[*b];
                }
                if gap > 0.0 || *multiplier > 0.0 {
                    worst = worst.max(gap.abs());
                }
            }
            if worst < SWEEP_TOLERANCE {
                break;
            }
        }
    }
    // Blocks of binding constraints take the weighted mean of their abilities.
    let mut parent: Vec<usize> = (0..count).collect();
    for (a, b, multiplier) in &constraints {
        if *multiplier > 1e-12 {
            let (root_a, root_b) = (find(&mut parent, *a), find(&mut parent, *b));
            parent[root_b] = root_a;
        }
    }
    let mut sums: std::collections::HashMap<usize, (f64, f64)> = std::collections::HashMap::new();
    for model in 0..count {
        let root = find(&mut parent, model);
        let entry = sums.entry(root).or_default();
        entry.0 += weight[model] * ability[model];
        entry.1 += weight[model];
    }
    let block_value = |parent: &mut Vec<usize>,
                       sums: &std::collections::HashMap<usize, (f64, f64)>,
                       model: usize| {
        let root = find(parent, model);
        let (total, weight) = sums[&root];
        total / weight
    };
    let mut exact: Vec<f64> = (0..count)
        .map(|model| block_value(&mut parent, &sums, model))
        .collect();
    // Rounding can leave a violation: pool the two blocks until none is left.
    loop {
        let found = violations(&edges, &exact, &std::collections::HashSet::new());
        if found.is_empty() {
            return exact;
        }
        for (a, b) in found {
            let (root_a, root_b) = (find(&mut parent, a), find(&mut parent, b));
            if root_a == root_b {
                continue;
            }
            let merged_b = sums.remove(&root_b).unwrap_or_default();
            let entry = sums.entry(root_a).or_default();
            entry.0 += merged_b.0;
            entry.1 += merged_b.1;
            parent[root_b] = root_a;
        }
        exact = (0..count)
            .map(|model| block_value(&mut parent, &sums, model))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn score(benchmark: usize, source: usize, percent: f64) -> Score {
        Score {
            benchmark,
            source,
            percent,
        }
    }

    #[test]
    fn missing_a_hard_benchmark_does_not_help() {
        // Benchmark 0 is easy (scores 80–90), benchmark 1 hard (10–30).
        let models = vec![
            vec![score(0, 0, 90.0), score(1, 1, 30.0)],
            vec![score(0, 0, 85.0), score(1, 1, 20.0)],
            vec![score(0, 0, 80.0), score(1, 1, 10.0)],
            // Only the easy one, scoring like the middle model there.
            vec![score(0, 0, 85.0)],
        ];
        let result = composites(&models, 2);
        let value = |model: usize| result[model].expect("scored").score;
        // A plain mean would put model 3 (85) above model 0 (60).
        assert!(value(0) > value(3), "{result:?}");
        assert!(value(0) > value(1) && value(1) > value(2));
        assert!(value(3) < value(0));
    }

    #[test]
    fn dominance_holds_even_against_the_fit() {
        // Model 0 beats model 1 on both shared benchmarks but also ran a hard third one badly.
        let models = vec![
            vec![score(0, 0, 70.0), score(1, 1, 60.0), score(2, 2, 1.0)],
            vec![score(0, 0, 69.0), score(1, 1, 59.0)],
            vec![score(2, 2, 50.0), score(0, 0, 95.0)],
        ];
        let result = composites(&models, 3);
        let value = |model: usize| result[model].expect("scored").score;
        assert!(dominates(&models[0], &models[1]));
        assert!(value(0) >= value(1), "{result:?}");
    }

    #[test]
    fn a_worked_example_on_a_cohort_scale() {
        // Two models on two benchmarks: the better one is 100, the worse 0.
        let models = vec![
            vec![score(0, 0, 80.0), score(1, 1, 40.0)],
            vec![score(0, 0, 60.0), score(1, 1, 20.0)],
        ];
        let result = composites(&models, 2);
        let better = result[0].expect("scored");
        let worse = result[1].expect("scored");
        assert_eq!((better.score, worse.score), (100.0, 0.0));
        assert!(better.low < better.score && better.high == 100.0);
        // Symmetric data: the two abilities are opposite, and the better one expects over 50% on an
        // average benchmark.
        assert!((better.ability + worse.ability).abs() < 1e-6, "{result:?}");
        assert!(better.expected_percent > 50.0 && worse.expected_percent < 50.0);
        assert_eq!(composites(&[vec![]], 1), vec![None]);
    }

    #[test]
    fn the_readme_example() {
        // services/rankings/README.md: two boards, two anchors, one model seen on one board, and a
        // model that dominates an anchor on the first board alone.
        let models = vec![
            vec![score(0, 0, 80.0), score(1, 1, 40.0)],
            vec![score(0, 0, 60.0), score(1, 1, 20.0)],
            vec![score(0, 0, 70.0)],
            vec![score(1, 1, 50.0)],
        ];
        let result = composites(&models, 2);
        let rounded = |value: f64, places: i32| {
            let factor = 10f64.powi(places);
            (value * factor).round() / factor
        };
        let got: Vec<(f64, f64, f64)> = result
            .iter()
            .map(|composite| {
                let composite = composite.expect("scored");
                (
                    rounded(composite.ability, 3),
                    rounded(composite.score, 1),
                    rounded(composite.standard_error, 1),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0.327, 84.4, 17.2),
                (-0.327, 0.0, 17.2),
                (-0.024, 39.1, 21.1),
                (0.448, 100.0, 21.1),
            ]
        );
    }

    fn model_scores() -> impl Strategy<Value = Vec<Vec<Score>>> {
        let model =
            prop::collection::btree_map(0usize..5, 0.0f64..100.0, 1..5).prop_map(|scores| {
                scores
                    .into_iter()
                    .map(|(benchmark, percent)| score(benchmark, benchmark / 2, percent.round()))
                    .collect::<Vec<_>>()
            });
        prop::collection::vec(model, 2..12)
    }

    proptest! {
        #[test]
        fn dominance_is_never_violated(models in model_scores()) {
            let result = composites(&models, 5);
            for (a, left) in models.iter().enumerate() {
                for (b, right) in models.iter().enumerate() {
                    if a != b && dominates(left, right) {
                        let (x, y) = (result[a].expect("scored").score, result[b].expect("scored").score);
                        prop_assert!(x >= y - 1e-9, "{a} dominates {b} but {x} < {y}");
                    }
                }
            }
        }

        #[test]
        fn composites_stay_in_range(models in model_scores()) {
            for composite in composites(&models, 5).into_iter().flatten() {
                prop_assert!((0.0..=100.0).contains(&composite.score));
            }
        }
    }
}
