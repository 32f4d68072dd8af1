//! The composite score formulas (DESIGN.md "Scores"). Every score is on a 0–100 scale, higher is better.
//!
//! - **Coding composite**: an ability fitted over every model × coding benchmark score, so a model cannot
//!   gain by missing hard benchmarks, that respects dominance (see [`super::composite`]).
//! - **Performance**: throughput 50% + inverted TTFT 30% + quality index 20%, only when speed was measured
//!   (throughput or TTFT): the quality index alone is no performance. Throughput and TTFT are
//!   mapped onto 0–100 through fixed reference points (piecewise linear, clamped), not relative to the
//!   other models: a model's score then does not move when unrelated models are added or filtered out, and
//!   scores of different `as_of` dates stay comparable.
//!   - throughput (tokens/s): 0 → 0, 50 → 40, 100 → 70, 200 → 90, 400 and more → 100;
//!   - TTFT (seconds): 0 → 100, 0.5 → 80, 2 → 40, 10 and more → 0;
//!   - quality index: the Artificial Analysis intelligence index as published (already 0–100).
//! - **Value**: price efficiency 60% + context length 40%.
//!   - price efficiency: coding score per USD per million input tokens (the quality index stands in when the
//!     model has no coding score), on a log scale: 1 point/$ → 0, 10 → 40, 100 → 70, 1000 and more → 100;
//!     a free model scores 100;
//!   - context length on a log scale through 4K = 30, 32K = 60, 128K = 80 and 1M = 100 (K = 1024 tokens),
//!     piecewise linear in log2(tokens); below 4K the first segment continues down (10 points per halving)
//!     to 0 at 512 tokens; clamped to 0–100.
//! - **Overall**: coding 50% + performance 30% + value 20%, or the request's weights. Coding is the anchor:
//!   a model without a coding score has no overall score (its other scores are still shown and sortable);
//!   only performance and value may be missing, their weight then re-normalised over what is present.
//!   A request whose weights give coding 0 ranks on the other components alone, so a model then needs
//!   at least one of them.
//!
//! Within every weighted mean (overall, performance, value) a missing part drops out and the remaining
//! weights are re-normalised; a mean with no part present is itself missing.

/// Relative weights of the three components of the overall score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Weight of the coding composite.
    pub coding: f64,
    /// Weight of the performance score.
    pub performance: f64,
    /// Weight of the value score.
    pub value: f64,
}

impl Weights {
    /// The default weights: coding 0.5, performance 0.3, value 0.2.
    pub const DEFAULT: Weights = Weights {
        coding: 0.5,
        performance: 0.3,
        value: 0.2,
    };

    /// Largest weight accepted (weights are relative: only their ratios matter).
    pub const MAX: f64 = 1_000_000.0;

    /// Checks custom weights (each finite, 0 to [`Weights::MAX`], not all zero) and returns them divided by
    /// their sum; the error text says what is wrong.
    pub fn validated(self) -> Result<Weights, String> {
        let parts = [
            ("coding", self.coding),
            ("performance", self.performance),
            ("value", self.value),
        ];
        for (name, weight) in parts {
            if !weight.is_finite() {
                return Err(format!(
                    "{name} weight must be a finite number, got {weight}"
                ));
            }
            if weight < 0.0 {
                return Err(format!("{name} weight must not be negative, got {weight}"));
            }
            if weight > Self::MAX {
                // Weights are relative; huge ones would overflow their sum and blank every score.
                return Err(format!(
                    "{name} weight must be at most {} (weights are relative), got {weight}",
                    Self::MAX
                ));
            }
        }
        let sum = self.coding + self.performance + self.value;
        if sum <= 0.0 {
            return Err(
                "at least one of coding, performance and value must be greater than 0".to_owned(),
            );
        }
        Ok(Weights {
            coding: self.coding / sum,
            performance: self.performance / sum,
            value: self.value / sum,
        })
    }
}

/// One component of the overall score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    /// The coding composite.
    Coding,
    /// The performance score.
    Performance,
    /// The value score.
    Value,
}

impl Component {
    /// Every component, in the order responses list them.
    pub const ALL: [Component; 3] = [Component::Coding, Component::Performance, Component::Value];

    /// Returns the lowercase name used in CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Coding => "coding",
            Component::Performance => "performance",
            Component::Value => "value",
        }
    }
}

/// The set of components that contributed to an overall score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ComponentSet(u8);

impl ComponentSet {
    fn bit(component: Component) -> u8 {
        match component {
            Component::Coding => 1,
            Component::Performance => 2,
            Component::Value => 4,
        }
    }

    /// Adds a component.
    pub fn insert(&mut self, component: Component) {
        self.0 |= Self::bit(component);
    }

    /// Returns whether the set holds `component`.
    pub fn contains(self, component: Component) -> bool {
        self.0 & Self::bit(component) != 0
    }

    /// Returns whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Iterates over the components in [`Component::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Component> {
        Component::ALL
            .into_iter()
            .filter(move |component| self.contains(*component))
    }
}

/// A model's three component scores; `None` when the model lacks the data.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Components {
    /// Coding composite.
    pub coding: Option<f64>,
    /// Performance score.
    pub performance: Option<f64>,
    /// Value score.
    pub value: Option<f64>,
}

impl Components {
    /// Returns a component's score.
    pub fn get(&self, component: Component) -> Option<f64> {
        match component {
            Component::Coding => self.coding,
            Component::Performance => self.performance,
            Component::Value => self.value,
        }
    }
}

/// Returns the weighted mean of the parts present (value `Some`) with a positive weight, re-normalising
/// the weights over those parts; `None` when no such part exists.
pub fn weighted_mean(parts: &[(Option<f64>, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut weight_sum = 0.0;
    for (value, weight) in parts {
        if let Some(value) = value
            && *weight > 0.0
        {
            total += value * weight;
            weight_sum += weight;
        }
    }
    (weight_sum > 0.0).then(|| total / weight_sum)
}

/// Returns the overall score under `weights` and the components that contributed (present, with a
/// positive weight); `None` when no component contributes, or when coding has weight and no score
/// (coding is the anchor).
pub fn overall(components: &Components, weights: &Weights) -> Option<(f64, ComponentSet)> {
    if weights.coding > 0.0 && components.coding.is_none() {
        return None;
    }
    let parts = [
        (Component::Coding, components.coding, weights.coding),
        (
            Component::Performance,
            components.performance,
            weights.performance,
        ),
        (Component::Value, components.value, weights.value),
    ];
    let mut used = ComponentSet::default();
    let mut total = 0.0;
    let mut weight_sum = 0.0;
    for (component, value, weight) in parts {
        if let Some(value) = value
            && weight > 0.0
        {
            total += value * weight;
            weight_sum += weight;
            used.insert(component);
        }
    }
    (weight_sum > 0.0).then(|| (total / weight_sum, used))
}

/// The standard error of the overall score under `weights` (0–100 scale): the coding composite's,
/// scaled by coding's share of the weights present (the other components are measurements, not
/// estimates). `None` without an overall score.
pub fn overall_error(
    components: &Components,
    coding_error: Option<f64>,
    weights: &Weights,
) -> Option<f64> {
    let (_, used) = overall(components, weights)?;
    if !used.contains(Component::Coding) {
        return Some(0.0);
    }
    let total: f64 = [
        (Component::Coding, weights.coding),
        (Component::Performance, weights.performance),
        (Component::Value, weights.value),
    ]
    .iter()
    .filter(|(component, _)| used.contains(*component))
    .map(|(_, weight)| weight)
    .sum();
    Some(coding_error.unwrap_or(0.0) * weights.coding / total)
}

/// The 95% range of the overall score under `weights`: the score ± 1.96 of its standard errors
/// ([`overall_error`]), within 0–100. `None` without an overall score.
pub fn overall_range(
    components: &Components,
    coding_error: Option<f64>,
    weights: &Weights,
) -> Option<(f64, f64)> {
    let (score, _) = overall(components, weights)?;
    let margin = crate::domain::composite::Z_95 * overall_error(components, coding_error, weights)?;
    Some(((score - margin).max(0.0), (score + margin).min(100.0)))
}

/// Draws of the rank simulation behind [`rank_ranges`] for the default view (computed once per
/// catalog build).
pub const RANK_DRAWS: usize = 200;
/// Fewest draws a query's rank simulation makes, whatever its size (with fewer than 40 draws the 95%
/// range is the range of every draw's rank).
pub const MIN_RANK_DRAWS: usize = 20;
/// Rows × draws a query's rank simulation may cost: a listing of many rows makes fewer draws.
pub const RANK_DRAW_BUDGET: usize = 20_000;
/// Seed of the rank simulation: the same catalog and query always give the same ranges.
const RANK_SEED: u64 = 0x6265_6e63_6868_7562;

/// The draws a query's rank simulation over `rows` rows makes.
pub fn rank_draws(rows: usize) -> usize {
    (RANK_DRAW_BUDGET / rows.max(1)).clamp(MIN_RANK_DRAWS, RANK_DRAWS)
}

/// A standard normal deviate from 64 random bits: the sum of four 16-bit uniforms, centred and scaled
/// (Irwin–Hall; within 0.01 of the normal's 2.5% and 97.5% quantiles, and a few nanoseconds).
fn normal_from_bits(bits: u64) -> f64 {
    let sum = (bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) + ((bits >> 32) & 0xFFFF) + (bits >> 48);
    // Four uniforms on [0, 1) have mean 2 and variance 4/12.
    let uniform_sum = (sum as f64 + 2.0) / 65536.0;
    (uniform_sum - 2.0) / (1.0f64 / 3.0).sqrt()
}

/// An order-preserving key of a score: larger scores give smaller keys, so an ascending sort of
/// `(key << 32) | row` lists rows best first.
fn descending_key(value: f64) -> u64 {
    let bits = (value as f32).to_bits();
    let ascending = if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    u64::from(!ascending)
}

/// The `keep` smallest values seen, ascending (a tiny insertion buffer per row).
fn keep_smallest(buffer: &mut [u32], filled: &mut usize, value: u32) {
    let keep = buffer.len();
    if *filled < keep {
        let mut at = *filled;
        while at > 0 && buffer[at - 1] > value {
            buffer[at] = buffer[at - 1];
            at -= 1;
        }
        buffer[at] = value;
        *filled += 1;
    } else if value < buffer[keep - 1] {
        let mut at = keep - 1;
        while at > 0 && buffer[at - 1] > value {
            buffer[at] = buffer[at - 1];
            at -= 1;
        }
        buffer[at] = value;
    }
}

/// For rows in rank order, each with its score and standard error (`None` for unscored rows), the
/// 95% range of its rank among the scored rows: `draws` times every score is drawn from a normal
/// distribution around it (its standard error as spread) and the rows ranked; the range runs from the
/// 2.5th percentile of the ranks a row got to the 97.5th, widened to hold its own rank. Rows whose
/// drawn scores tie share every place the tie spans. Deterministic (a fixed seed).
pub fn rank_ranges(rows: &[Option<(f64, f64)>], draws: usize) -> Vec<Option<(u32, u32)>> {
    use rand::{RngCore, SeedableRng};
    let scored: Vec<(usize, f64, f64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(index, row)| row.map(|(score, error)| (index, score, error.max(0.0))))
        .collect();
    let mut result = vec![None; rows.len()];
    if scored.is_empty() {
        return result;
    }
    let draws = draws.max(1);
    let count = scored.len();
    // The 2.5th percentile is the (low + 1)-th smallest best place; the 97.5th the (draws - high)-th
    // largest worst place, kept as the smallest of the negated places.
    let low = ((draws as f64) * 0.025).floor() as usize;
    let high = (((draws as f64) * 0.975).ceil() as usize).clamp(1, draws) - 1;
    let (keep_best, keep_worst) = (low + 1, draws - high);
    let mut bests = vec![0u32; count * keep_best];
    let mut best_filled = vec![0usize; count];
    let mut worsts = vec![0u32; count * keep_worst];
    let mut worst_filled = vec![0usize; count];
    let mut rng = rand::rngs::SmallRng::seed_from_u64(RANK_SEED);
    let mut keys = vec![0u64; count];
    for _ in 0..draws {
        for (row, (key, (_, score, error))) in keys.iter_mut().zip(&scored).enumerate() {
            let value = if *error > 0.0 {
                score + error * normal_from_bits(rng.next_u64())
            } else {
                *score
            };
            *key = (descending_key(value) << 32) | row as u64;
        }
        keys.sort_unstable();
        let mut start = 0;
        while start < count {
            let value = keys[start] >> 32;
            let mut end = start + 1;
            while end < count && keys[end] >> 32 == value {
                end += 1;
            }
            for key in &keys[start..end] {
                let row = (key & 0xFFFF_FFFF) as usize;
                keep_smallest(
                    &mut bests[row * keep_best..(row + 1) * keep_best],
                    &mut best_filled[row],
                    start as u32 + 1,
                );
                keep_smallest(
                    &mut worsts[row * keep_worst..(row + 1) * keep_worst],
                    &mut worst_filled[row],
                    u32::MAX - end as u32,
                );
            }
            start = end;
        }
    }
    for (row, (index, ..)) in scored.iter().enumerate() {
        let own = row as u32 + 1;
        let best = bests[row * keep_best + keep_best - 1];
        let worst = u32::MAX - worsts[row * keep_worst + keep_worst - 1];
        result[*index] = Some((best.min(own), worst.max(own)));
    }
    result
}

/// Piecewise-linear interpolation through `points` (sorted by x), clamped to the first and last y.
pub fn interpolate(points: &[(f64, f64)], x: f64) -> f64 {
    let Some(&(first_x, first_y)) = points.first() else {
        return 0.0;
    };
    if x <= first_x {
        return first_y;
    }
    for window in points.windows(2) {
        let (x0, y0) = window[0];
        let (x1, y1) = window[1];
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    points.last().map(|&(_, y)| y).unwrap_or(first_y)
}

/// Reference points of the throughput score: (tokens per second, score).
pub const THROUGHPUT_POINTS: [(f64, f64); 5] = [
    (0.0, 0.0),
    (50.0, 40.0),
    (100.0, 70.0),
    (200.0, 90.0),
    (400.0, 100.0),
];

/// Reference points of the inverted TTFT score: (seconds, score).
pub const TTFT_POINTS: [(f64, f64); 4] = [(0.0, 100.0), (0.5, 80.0), (2.0, 40.0), (10.0, 0.0)];

/// Reference points of the context length score: (log2 of tokens, score): 512 → 0, 4K → 30, 32K → 60,
/// 128K → 80, 1M → 100.
pub const CONTEXT_POINTS: [(f64, f64); 5] = [
    (9.0, 0.0),
    (12.0, 30.0),
    (15.0, 60.0),
    (17.0, 80.0),
    (20.0, 100.0),
];

/// Reference points of the price efficiency score: (log10 of score points per USD per million input
/// tokens, score): 1 → 0, 10 → 40, 100 → 70, 1000 → 100.
pub const PRICE_EFFICIENCY_POINTS: [(f64, f64); 4] =
    [(0.0, 0.0), (1.0, 40.0), (2.0, 70.0), (3.0, 100.0)];

/// Weights inside the performance score: throughput, inverted TTFT, quality index.
pub const PERFORMANCE_PART_WEIGHTS: (f64, f64, f64) = (0.5, 0.3, 0.2);

/// Weights inside the value score: price efficiency, context length.
pub const VALUE_PART_WEIGHTS: (f64, f64) = (0.6, 0.4);

/// Maps output throughput (tokens per second) onto 0–100.
pub fn throughput_score(tokens_per_second: f64) -> f64 {
    interpolate(&THROUGHPUT_POINTS, tokens_per_second.max(0.0))
}

/// Maps time to first token (seconds) onto 0–100, lower times scoring higher.
pub fn ttft_score(seconds: f64) -> f64 {
    interpolate(&TTFT_POINTS, seconds.max(0.0))
}

/// Maps a context length (tokens) onto 0–100 on the log scale of [`CONTEXT_POINTS`].
pub fn context_score(tokens: f64) -> f64 {
    if tokens <= 0.0 {
        return 0.0;
    }
    interpolate(&CONTEXT_POINTS, tokens.log2())
}

/// The raw inputs of the performance score.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PerformanceInputs {
    /// Median time to first token, seconds.
    pub ttft_seconds: Option<f64>,
    /// Median output tokens per second.
    pub tokens_per_second: Option<f64>,
    /// Quality (intelligence) index, 0–100.
    pub quality_index: Option<f64>,
}

/// Performance = throughput 50% + inverted TTFT 30% + quality index 20%, re-weighted over the parts
/// present; `None` without a speed measurement (throughput or TTFT).
pub fn performance_score(inputs: &PerformanceInputs) -> Option<f64> {
    if inputs.tokens_per_second.is_none() && inputs.ttft_seconds.is_none() {
        return None;
    }
    let (throughput_weight, ttft_weight, quality_weight) = PERFORMANCE_PART_WEIGHTS;
    weighted_mean(&[
        (
            inputs.tokens_per_second.map(throughput_score),
            throughput_weight,
        ),
        (inputs.ttft_seconds.map(ttft_score), ttft_weight),
        (
            inputs
                .quality_index
                .map(|quality| quality.clamp(0.0, 100.0)),
            quality_weight,
        ),
    ])
}

/// Price efficiency: `quality` points (the coding score, else the quality index) per USD per million
/// input tokens on the log scale of [`PRICE_EFFICIENCY_POINTS`]; 100 for a free model (or a zero price);
/// `None` without a price, or with a price but no quality to divide.
pub fn price_efficiency_score(
    quality: Option<f64>,
    input_usd_per_million: Option<f64>,
    free: bool,
) -> Option<f64> {
    if free {
        return Some(100.0);
    }
    let price = input_usd_per_million?;
    if price <= 0.0 {
        return Some(100.0);
    }
    let quality = quality?.max(0.0);
    if quality == 0.0 {
        return Some(0.0);
    }
    Some(interpolate(
        &PRICE_EFFICIENCY_POINTS,
        (quality / price).log10(),
    ))
}

/// The raw inputs of the value score.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ValueInputs {
    /// Coding composite (preferred quality for price efficiency).
    pub coding: Option<f64>,
    /// Quality index (stands in for the coding score).
    pub quality_index: Option<f64>,
    /// USD per million input tokens.
    pub input_usd_per_million: Option<f64>,
    /// Whether the model is offered free of charge.
    pub free: bool,
    /// Context length in tokens.
    pub context_length: Option<f64>,
}

/// Value = price efficiency 60% + context length 40%, context alone when efficiency has no quality
/// to divide. `None` without the model's own price: what a model gives for the money is unknown
/// while the money is (a context window alone, or a `:free` variant, is not value).
pub fn value_score(inputs: &ValueInputs) -> Option<f64> {
    let (efficiency_weight, context_weight) = VALUE_PART_WEIGHTS;
    if inputs.input_usd_per_million.is_none() && !inputs.free {
        return None;
    }
    let efficiency = price_efficiency_score(
        inputs.coding.or(inputs.quality_index),
        inputs.input_usd_per_million,
        inputs.free,
    );
    weighted_mean(&[
        (efficiency, efficiency_weight),
        (inputs.context_length.map(context_score), context_weight),
    ])
}

/// Coding composite: the mean of the given 0–100 coding values; `None` when there are none.
pub fn coding_composite(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(
        values
            .iter()
            .map(|value| value.clamp(0.0, 100.0))
            .sum::<f64>()
            / values.len() as f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "expected {expected}, got {actual}"
        );
    }

    fn close_option(actual: Option<f64>, expected: f64) {
        close(actual.expect("a score"), expected);
    }

    #[test]
    fn rank_ranges_come_from_simulated_draws() {
        // Two close rows with wide errors swap places in some draws; a far row never moves, and a
        // row without error keeps its place among equals.
        let rows = [
            Some((80.0, 5.0)),
            Some((78.0, 5.0)),
            Some((40.0, 1.0)),
            None,
        ];
        let ranges = rank_ranges(&rows, RANK_DRAWS);
        assert_eq!(ranges[0], Some((1, 2)));
        assert_eq!(ranges[1], Some((1, 2)));
        assert_eq!(ranges[2], Some((3, 3)));
        assert_eq!(ranges[3], None);
        // Deterministic: the same input gives the same ranges.
        assert_eq!(rank_ranges(&rows, RANK_DRAWS), ranges);
        // Exact ties without error span every place they could take.
        let tied = [Some((50.0, 0.0)), Some((50.0, 0.0)), Some((10.0, 0.0))];
        assert_eq!(
            rank_ranges(&tied, 10),
            vec![Some((1, 2)), Some((1, 2)), Some((3, 3))]
        );
        assert_eq!(rank_draws(10), RANK_DRAWS);
        assert_eq!(rank_draws(1_000_000), MIN_RANK_DRAWS);
    }

    #[test]
    fn overall_range_scales_the_coding_error_by_its_weight() {
        let components = Components {
            coding: Some(60.0),
            performance: None,
            value: Some(80.0),
        };
        let error = overall_error(&components, Some(10.0), &Weights::DEFAULT).expect("error");
        close(error, 10.0 * 0.5 / 0.7);
        let (low, high) = overall_range(&components, Some(10.0), &Weights::DEFAULT).expect("range");
        let score = (0.5 * 60.0 + 0.2 * 80.0) / 0.7;
        close(low, score - crate::domain::composite::Z_95 * error);
        close(high, score + crate::domain::composite::Z_95 * error);
    }

    #[test]
    fn default_weights_are_half_three_tenths_two_tenths() {
        let weights = Weights::DEFAULT.validated().expect("valid");
        close(weights.coding, 0.5);
        close(weights.performance, 0.3);
        close(weights.value, 0.2);
    }

    #[test]
    fn custom_weights_are_normalised() {
        let weights = Weights {
            coding: 2.0,
            performance: 1.0,
            value: 1.0,
        }
        .validated()
        .expect("valid");
        close(weights.coding, 0.5);
        close(weights.performance, 0.25);
        close(weights.value, 0.25);
    }

    #[test]
    fn bad_weights_are_rejected_with_the_reason() {
        let negative = Weights {
            coding: -1.0,
            performance: 1.0,
            value: 1.0,
        };
        assert!(negative.validated().unwrap_err().contains("negative"));
        let zero = Weights {
            coding: 0.0,
            performance: 0.0,
            value: 0.0,
        };
        assert!(zero.validated().unwrap_err().contains("greater than 0"));
        let infinite = Weights {
            coding: f64::INFINITY,
            performance: 0.0,
            value: 0.0,
        };
        assert!(infinite.validated().unwrap_err().contains("finite"));
        let nan = Weights {
            coding: f64::NAN,
            performance: 1.0,
            value: 0.0,
        };
        assert!(nan.validated().unwrap_err().contains("finite"));
    }

    #[test]
    fn throughput_reference_points() {
        close(throughput_score(0.0), 0.0);
        close(throughput_score(25.0), 20.0);
        close(throughput_score(50.0), 40.0);
        close(throughput_score(100.0), 70.0);
        close(throughput_score(120.0), 74.0);
        close(throughput_score(200.0), 90.0);
        close(throughput_score(400.0), 100.0);
        close(throughput_score(5000.0), 100.0);
        close(throughput_score(-3.0), 0.0);
    }

    #[test]
    fn ttft_reference_points() {
        close(ttft_score(0.0), 100.0);
        close(ttft_score(0.4), 84.0);
        close(ttft_score(0.5), 80.0);
        close(ttft_score(1.25), 60.0);
        close(ttft_score(2.0), 40.0);
        close(ttft_score(6.0), 20.0);
        close(ttft_score(10.0), 0.0);
        close(ttft_score(60.0), 0.0);
    }

    #[test]
    fn context_length_log_scale_hits_the_documented_points() {
        close(context_score(4096.0), 30.0);
        close(context_score(32768.0), 60.0);
        close(context_score(131072.0), 80.0);
        close(context_score(1048576.0), 100.0);
        // Between the points: 8K is one of three doublings from 4K to 32K.
        close(context_score(8192.0), 40.0);
        // 64K is one of two doublings from 32K to 128K.
        close(context_score(65536.0), 70.0);
        // 256K is one of three doublings from 128K to 1M.
        close(context_score(262144.0), 80.0 + 20.0 / 3.0);
        // "128K" spelt 128,000 tokens: 60 + 10 * log2(128000 / 32768).
        close(
            context_score(128000.0),
            60.0 + 10.0 * (128000.0f64 / 32768.0).log2(),
        );
        // Below 4K the first segment continues: 2K = 20, 512 = 0, then clamped.
        close(context_score(2048.0), 20.0);
        close(context_score(512.0), 0.0);
        close(context_score(100.0), 0.0);
        close(context_score(0.0), 0.0);
        close(context_score(10_000_000.0), 100.0);
    }

    #[test]
    fn price_efficiency_points_and_free_models() {
        // 85 points at $5 = 17 points per dollar: 40 + 30 * log10(1.7).
        close_option(
            price_efficiency_score(Some(85.0), Some(5.0), false),
            40.0 + 30.0 * 1.7f64.log10(),
        );
        close_option(price_efficiency_score(Some(10.0), Some(10.0), false), 0.0);
        close_option(price_efficiency_score(Some(50.0), Some(5.0), false), 40.0);
        close_option(price_efficiency_score(Some(50.0), Some(0.5), false), 70.0);
        close_option(price_efficiency_score(Some(50.0), Some(0.05), false), 100.0);
        close_option(
            price_efficiency_score(Some(50.0), Some(0.0001), false),
            100.0,
        );
        close_option(price_efficiency_score(Some(5.0), Some(50.0), false), 0.0);
        close_option(price_efficiency_score(None, None, true), 100.0);
        close_option(price_efficiency_score(Some(40.0), Some(0.0), false), 100.0);
        assert_eq!(price_efficiency_score(None, Some(3.0), false), None);
        assert_eq!(price_efficiency_score(Some(80.0), None, false), None);
    }

    /// The seed's example model: coding 85, TTFT 0.4 s, 120 tok/s, quality 88, $5 per million input,
    /// 128K context.
    #[test]
    fn seed_example_model() {
        let performance = performance_score(&PerformanceInputs {
            ttft_seconds: Some(0.4),
            tokens_per_second: Some(120.0),
            quality_index: Some(88.0),
        });
        // 0.5 * 74 + 0.3 * 84 + 0.2 * 88 = 37 + 25.2 + 17.6
        close_option(performance, 79.8);

        let value = value_score(&ValueInputs {
            coding: Some(85.0),
            quality_index: Some(88.0),
            input_usd_per_million: Some(5.0),
            free: false,
            context_length: Some(131072.0),
        });
        // 0.6 * (40 + 30 * log10(1.7)) + 0.4 * 80
        let efficiency = 40.0 + 30.0 * 1.7f64.log10();
        let expected_value = 0.6 * efficiency + 0.4 * 80.0;
        close_option(value, expected_value);
        close(expected_value, 60.148_080_584_808_93);

        let components = Components {
            coding: Some(85.0),
            performance,
            value,
        };
        let (score, used) = overall(&components, &Weights::DEFAULT).expect("overall");
        // 0.5 * 85 + 0.3 * 79.8 + 0.2 * value = 42.5 + 23.94 + 12.029...
        close(score, 42.5 + 23.94 + 0.2 * expected_value);
        assert!((score - 78.469_616).abs() < 1e-6, "{score}");
        assert_eq!(
            used.iter().collect::<Vec<_>>(),
            vec![Component::Coding, Component::Performance, Component::Value]
        );
    }

    #[test]
    fn missing_components_drop_out_and_the_rest_are_reweighted() {
        let components = Components {
            coding: Some(80.0),
            performance: None,
            value: Some(50.0),
        };
        let (score, used) = overall(&components, &Weights::DEFAULT).expect("overall");
        // (0.5 * 80 + 0.2 * 50) / 0.7
        close(score, (40.0 + 10.0) / 0.7);
        assert_eq!(
            used.iter().collect::<Vec<_>>(),
            vec![Component::Coding, Component::Value]
        );
        assert_eq!(overall(&Components::default(), &Weights::DEFAULT), None);
    }

    #[test]
    fn a_zero_weight_component_is_not_used() {
        let components = Components {
            coding: Some(80.0),
            performance: Some(20.0),
            value: None,
        };
        let weights = Weights {
            coding: 0.0,
            performance: 1.0,
            value: 0.0,
        };
        let (score, used) = overall(&components, &weights).expect("overall");
        close(score, 20.0);
        assert_eq!(
            used.iter().collect::<Vec<_>>(),
            vec![Component::Performance]
        );
        let coding_only = Weights {
            coding: 1.0,
            performance: 0.0,
            value: 0.0,
        };
        let without_coding = Components {
            coding: None,
            ..components
        };
        assert_eq!(overall(&without_coding, &coding_only), None);
    }

    #[test]
    fn performance_parts_reweight_when_missing() {
        // Only TTFT and quality: (0.3 * 84 + 0.2 * 88) / 0.5.
        close_option(
            performance_score(&PerformanceInputs {
                ttft_seconds: Some(0.4),
                tokens_per_second: None,
                quality_index: Some(88.0),
            }),
            (25.2 + 17.6) / 0.5,
        );
        assert_eq!(performance_score(&PerformanceInputs::default()), None);
    }

    #[test]
    fn value_needs_the_models_own_price() {
        // A context window without a price is not value.
        assert_eq!(
            value_score(&ValueInputs {
                coding: Some(80.0),
                context_length: Some(1_048_576.0),
                ..ValueInputs::default()
            }),
            None
        );
        // A price without quality to divide: the context score alone.
        close_option(
            value_score(&ValueInputs {
                input_usd_per_million: Some(1.0),
                context_length: Some(32768.0),
                ..ValueInputs::default()
            }),
            60.0,
        );
        // Free with no context: efficiency alone.
        close_option(
            value_score(&ValueInputs {
                free: true,
                ..ValueInputs::default()
            }),
            100.0,
        );
        // The quality index stands in for a missing coding score: 50 / 5 = 10 points per dollar.
        close_option(
            value_score(&ValueInputs {
                quality_index: Some(50.0),
                input_usd_per_million: Some(5.0),
                ..ValueInputs::default()
            }),
            40.0,
        );
        assert_eq!(value_score(&ValueInputs::default()), None);
    }

    #[test]
    fn coding_composite_is_the_mean_of_the_values_present() {
        close_option(coding_composite(&[80.0, 90.0]), 85.0);
        close_option(coding_composite(&[70.0]), 70.0);
        close_option(coding_composite(&[100.0, 50.0, 0.0]), 50.0);
        assert_eq!(coding_composite(&[]), None);
    }

    fn component() -> impl Strategy<Value = Option<f64>> {
        prop::option::of(0.0f64..=100.0)
    }

    fn weight() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), 0.0f64..10.0]
    }

    proptest! {
        #[test]
        fn overall_stays_within_the_components_used(
            coding in component(), performance in component(), value in component(),
            coding_weight in weight(), performance_weight in weight(), value_weight in weight(),
        ) {
            let components = Components { coding, performance, value };
            let weights = Weights { coding: coding_weight, performance: performance_weight, value: value_weight };
            match overall(&components, &weights) {
                Some((score, used)) => {
                    let values: Vec<f64> = used.iter().filter_map(|c| components.get(c)).collect();
                    prop_assert!(!values.is_empty());
                    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
                    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    prop_assert!(score >= low - 1e-9 && score <= high + 1e-9);
                    for c in used.iter() {
                        prop_assert!(components.get(c).is_some());
                    }
                }
                None => {
                    // Coding is the anchor: without it (and with weight on it) there is no overall.
                    let anchored = coding_weight > 0.0 && coding.is_none();
                    for c in Component::ALL {
                        let weight = match c {
                            Component::Coding => coding_weight,
                            Component::Performance => performance_weight,
                            Component::Value => value_weight,
                        };
                        prop_assert!(anchored || components.get(c).is_none() || weight == 0.0);
                    }
                }
            }
        }

        #[test]
        fn scaling_the_weights_changes_nothing(
            coding in component(), performance in component(), value in component(),
            coding_weight in weight(), performance_weight in weight(), value_weight in weight(),
            factor in 0.01f64..100.0,
        ) {
            let components = Components { coding, performance, value };
            let weights = Weights { coding: coding_weight, performance: performance_weight, value: value_weight };
            let scaled = Weights {
                coding: coding_weight * factor,
                performance: performance_weight * factor,
                value: value_weight * factor,
            };
            let left = overall(&components, &weights);
            let right = overall(&components, &scaled);
            prop_assert_eq!(left.map(|(_, used)| used), right.map(|(_, used)| used));
            if let (Some((a, _)), Some((b, _))) = (left, right) {
                prop_assert!((a - b).abs() < 1e-9);
            }
        }

        #[test]
        fn a_missing_component_equals_renormalised_weights(
            coding in 0.0f64..=100.0, performance in 0.0f64..=100.0,
            coding_weight in 0.01f64..10.0, performance_weight in 0.01f64..10.0, value_weight in 0.01f64..10.0,
        ) {
            let components = Components { coding: Some(coding), performance: Some(performance), value: None };
            let weights = Weights { coding: coding_weight, performance: performance_weight, value: value_weight };
            let (score, used) = overall(&components, &weights).expect("two components");
            let expected = (coding * coding_weight + performance * performance_weight) / (coding_weight + performance_weight);
            prop_assert!((score - expected).abs() < 1e-9);
            prop_assert!(!used.contains(Component::Value));
        }

        #[test]
        fn validated_weights_sum_to_one(
            coding_weight in weight(), performance_weight in weight(), value_weight in weight(),
        ) {
            let weights = Weights { coding: coding_weight, performance: performance_weight, value: value_weight };
            match weights.validated() {
                Ok(normalised) => {
                    prop_assert!((normalised.coding + normalised.performance + normalised.value - 1.0).abs() < 1e-9);
                }
                Err(_) => prop_assert!(coding_weight + performance_weight + value_weight == 0.0),
            }
        }

        #[test]
        fn scales_are_monotonic_and_bounded(a in 0.0f64..2_000_000.0, b in 0.0f64..2_000_000.0) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(context_score(low) <= context_score(high) + 1e-9);
            prop_assert!(throughput_score(low) <= throughput_score(high) + 1e-9);
            prop_assert!(ttft_score(low) + 1e-9 >= ttft_score(high));
            for score in [context_score(a), throughput_score(a), ttft_score(a)] {
                prop_assert!((0.0..=100.0).contains(&score));
            }
        }
    }
}
