//! Bradley–Terry ratings from pairwise verdicts, with bootstrap intervals.
//!
//! Model: P(i beats j) = p_i / (p_i + p_j). Ties (and inconsistent verdicts) count as half a win for
//! each side. Strengths are the maximum-likelihood estimate, found with Hunter's (2004) MM iteration
//! `p_i ← W_i / Σ_j n_ij / (p_i + p_j)` (W_i: wins of i, n_ij: games between i and j).
//!
//! Scale and anchoring: rating_i = 1000 + 400 · (log10 p_i − mean_k log10 p_k), so the ratings'
//! mean is exactly 1000 and a 400-point gap means 10:1 odds (Elo's convention). With two models
//! and 3 wins to 1, the gap is 400 · log10(3) ≈ 190.8.
//!
//! The MLE exists only when the "scored against" graph is strongly connected (every split of the
//! models into two groups has a win, or tie, each way across). When it is not (a model that never
//! won, never lost, or groups never compared), every model also plays one virtual tie against a
//! fixed reference of strength 1; this keeps ratings finite, pulls the unidentified ones towards the
//! middle, and is reported as `regularized`.
//!
//! Intervals: `rounds` bootstrap resamples of the verdicts (with replacement, from a seeded ChaCha
//! generator, so the same verdicts and seed give the same intervals), refitted each time; the 95%
//! interval is the 2.5th and 97.5th percentiles (linear interpolation between order statistics).

use std::collections::{BTreeMap, HashMap};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::Error;

/// Most verdicts of one request.
pub const MAX_VERDICTS: usize = 100_000;
/// Most distinct models of one request.
pub const MAX_MODELS: usize = 1_000;
/// Longest model name, in characters.
pub const MAX_MODEL_NAME_CHARS: usize = 256;
/// Bootstrap rounds when the request sets none.
pub const DEFAULT_BOOTSTRAP_ROUNDS: u32 = 100;
/// Most bootstrap rounds.
pub const MAX_BOOTSTRAP_ROUNDS: u32 = 10_000;
/// Most resampled verdicts per request (rounds × verdicts), bounding CPU time.
pub const MAX_BOOTSTRAP_DRAWS: u64 = 50_000_000;

/// Weight of the virtual tie against the reference when the MLE does not exist.
const ANCHOR_GAMES: f64 = 1.0;
/// Convergence threshold on the largest change of a log-strength.
const TOLERANCE: f64 = 1e-12;
/// Iteration cap of the MM algorithm.
const MAX_ITERATIONS: usize = 20_000;

/// Who won a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `model_a` won.
    AWins,
    /// `model_b` won.
    BWins,
    /// Neither (a tie or an inconsistent verdict).
    Tie,
}

/// One pairwise verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// First model.
    pub model_a: String,
    /// Second model.
    pub model_b: String,
    /// The result.
    pub outcome: Outcome,
}

/// One model's rating.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRating {
    /// The model as named in the verdicts.
    pub model: String,
    /// Rating (mean 1000).
    pub rating: f64,
    /// 2.5th bootstrap percentile (the rating itself without bootstrap).
    pub ci_low: f64,
    /// 97.5th bootstrap percentile (the rating itself without bootstrap).
    pub ci_high: f64,
    /// Comparisons won.
    pub wins: u32,
    /// Comparisons lost.
    pub losses: u32,
    /// Comparisons tied.
    pub ties: u32,
    /// Comparisons played.
    pub games: u32,
    /// (wins + ties / 2) / games.
    pub win_rate: f64,
    /// 1-based rank, highest rating first.
    pub rank: u32,
}

/// Every model's rating.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratings {
    /// Highest first.
    pub ratings: Vec<ModelRating>,
    /// Verdicts used.
    pub games: usize,
    /// Bootstrap rounds run.
    pub bootstrap_rounds: u32,
    /// Seed used.
    pub seed: u64,
    /// Whether the fit needed the virtual-tie prior (see the module docs).
    pub regularized: bool,
}

/// A verdict with models as indices; `score_a` is 1, 0 or 0.5.
#[derive(Debug, Clone, Copy)]
struct Game {
    pair: usize,
    a: usize,
    score_a: f64,
}

/// The verdicts indexed for fitting.
struct Indexed {
    models: Vec<String>,
    pairs: Vec<(usize, usize)>,
    games: Vec<Game>,
}

fn index(comparisons: &[Comparison]) -> Indexed {
    let mut model_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for comparison in comparisons {
        model_ids.entry(comparison.model_a.as_str()).or_default();
        model_ids.entry(comparison.model_b.as_str()).or_default();
    }
    for (position, id) in model_ids.values_mut().enumerate() {
        *id = position;
    }
    let mut pair_ids: HashMap<(usize, usize), usize> = HashMap::new();
    let mut pairs = Vec::new();
    let games = comparisons
        .iter()
        .map(|comparison| {
            let a = model_ids[comparison.model_a.as_str()];
            let b = model_ids[comparison.model_b.as_str()];
            let key = (a.min(b), a.max(b));
            let pair = *pair_ids.entry(key).or_insert_with(|| {
                pairs.push(key);
                pairs.len() - 1
            });
            let score_a = match comparison.outcome {
                Outcome::AWins => 1.0,
                Outcome::BWins => 0.0,
                Outcome::Tie => 0.5,
            };
            Game { pair, a, score_a }
        })
        .collect();
    Indexed {
        models: model_ids.keys().map(|name| (*name).to_owned()).collect(),
        pairs,
        games,
    }
}

/// Sufficient statistics of a set of games: per-model (half-)wins, per-pair game counts and per-pair
/// wins of the pair's lower-indexed model.
struct Tally {
    wins: Vec<f64>,
    pair_games: Vec<f64>,
    pair_low_wins: Vec<f64>,
}

fn tally(indexed: &Indexed, games: impl Iterator<Item = Game>) -> Tally {
    let mut tally = Tally {
        wins: vec![0.0; indexed.models.len()],
        pair_games: vec![0.0; indexed.pairs.len()],
        pair_low_wins: vec![0.0; indexed.pairs.len()],
    };
    for game in games {
        let (low, high) = indexed.pairs[game.pair];
        let b = if game.a == low { high } else { low };
        tally.wins[game.a] += game.score_a;
        tally.wins[b] += 1.0 - game.score_a;
        tally.pair_games[game.pair] += 1.0;
        tally.pair_low_wins[game.pair] += if game.a == low {
            game.score_a
        } else {
            1.0 - game.score_a
        };
    }
    tally
}

/// Whether every model can reach every other through "scored against" edges both ways.
fn strongly_connected(model_count: usize, pairs: &[(usize, usize)], tally: &Tally) -> bool {
    let mut forward = vec![Vec::new(); model_count];
    let mut backward = vec![Vec::new(); model_count];
    for (pair, &(low, high)) in pairs.iter().enumerate() {
        let games = tally.pair_games[pair];
        if games == 0.0 {
            continue;
        }
        let low_score = tally.pair_low_wins[pair];
        if low_score > 0.0 {
            forward[low].push(high);
            backward[high].push(low);
        }
        if games - low_score > 0.0 {
            forward[high].push(low);
            backward[low].push(high);
        }
    }
    let reaches_all = |edges: &[Vec<usize>]| {
        let mut seen = vec![false; model_count];
        let mut stack = vec![0usize];
        seen[0] = true;
        while let Some(node) = stack.pop() {
            for &next in &edges[node] {
                if !seen[next] {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        seen.iter().all(|visited| *visited)
    };
    model_count > 0 && reaches_all(&forward) && reaches_all(&backward)
}

/// Fits log-strengths (natural log, mean 0); returns them and whether the prior was needed.
fn fit(indexed: &Indexed, tally: &Tally) -> (Vec<f64>, bool) {
    let count = indexed.models.len();
    let regularized = !strongly_connected(count, &indexed.pairs, tally);
    let anchor = if regularized { ANCHOR_GAMES } else { 0.0 };
    let mut strength = vec![1.0f64; count];
    let mut denominators = vec![0.0f64; count];
    for _ in 0..MAX_ITERATIONS {
        denominators.iter_mut().for_each(|value| *value = 0.0);
        for (pair, &(low, high)) in indexed.pairs.iter().enumerate() {
            let games = tally.pair_games[pair];
            if games == 0.0 {
                continue;
            }
            let share = games / (strength[low] + strength[high]);
            denominators[low] += share;
            denominators[high] += share;
        }
        let mut largest_change = 0.0f64;
        let mut next = Vec::with_capacity(count);
        for model in 0..count {
            let denominator = denominators[model] + anchor / (strength[model] + 1.0);
            let wins = tally.wins[model] + anchor * 0.5;
            let updated = if denominator > 0.0 && wins > 0.0 {
                wins / denominator
            } else {
                strength[model]
            };
            next.push(updated);
        }
        if !regularized {
            // Without the reference the scale is free: keep the geometric mean at 1.
            let mean_log = next.iter().map(|value| value.ln()).sum::<f64>() / count as f64;
            let scale = mean_log.exp();
            next.iter_mut().for_each(|value| *value /= scale);
        }
        for model in 0..count {
            largest_change = largest_change.max((next[model].ln() - strength[model].ln()).abs());
        }
        strength = next;
        if largest_change < TOLERANCE {
            break;
        }
    }
    let logs: Vec<f64> = strength.iter().map(|value| value.ln()).collect();
    let mean = logs.iter().sum::<f64>() / count as f64;
    (
        logs.into_iter().map(|value| value - mean).collect(),
        regularized,
    )
}

fn to_rating(log_strength: f64) -> f64 {
    1000.0 + 400.0 * log_strength / std::f64::consts::LN_10
}

/// Linear-interpolated percentile of sorted values (`quantile` in 0..=1).
fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = quantile * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let fraction = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

/// Validates the request's verdicts and bootstrap settings.
pub fn validate(comparisons: &[Comparison], rounds: u32) -> Result<(), Error> {
    if comparisons.is_empty() || comparisons.len() > MAX_VERDICTS {
        return Err(Error::invalid(
            "verdicts",
            format!(
                "must hold 1 to {MAX_VERDICTS} verdicts, got {}",
                comparisons.len()
            ),
        ));
    }
    let mut models: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (position, comparison) in comparisons.iter().enumerate() {
        for (name, field) in [
            (&comparison.model_a, "model_a"),
            (&comparison.model_b, "model_b"),
        ] {
            let characters = name.chars().count();
            if name.trim().is_empty() || characters > MAX_MODEL_NAME_CHARS {
                return Err(Error::invalid(
                    format!("verdicts[{position}].{field}"),
                    format!("must be 1 to {MAX_MODEL_NAME_CHARS} characters"),
                ));
            }
            models.insert(name.as_str());
        }
        if comparison.model_a == comparison.model_b {
            return Err(Error::invalid(
                format!("verdicts[{position}].model_b"),
                format!("must differ from model_a ('{}')", comparison.model_a),
            ));
        }
    }
    if models.len() > MAX_MODELS {
        return Err(Error::invalid(
            "verdicts",
            format!(
                "must name at most {MAX_MODELS} distinct models, got {}",
                models.len()
            ),
        ));
    }
    if rounds > MAX_BOOTSTRAP_ROUNDS {
        return Err(Error::invalid(
            "bootstrap_rounds",
            format!("must be between 0 and {MAX_BOOTSTRAP_ROUNDS}, got {rounds}"),
        ));
    }
    let draws = u64::from(rounds) * comparisons.len() as u64;
    if draws > MAX_BOOTSTRAP_DRAWS {
        return Err(Error::invalid(
            "bootstrap_rounds",
            format!(
                "times the number of verdicts must be at most {MAX_BOOTSTRAP_DRAWS}, got {rounds} × {} = {draws}; lower bootstrap_rounds",
                comparisons.len()
            ),
        ));
    }
    Ok(())
}

/// Fits the ratings and their bootstrap intervals. CPU-bound: call it off the async runtime.
#[tracing::instrument(skip_all, fields(verdicts = comparisons.len(), rounds = rounds, seed = seed))]
pub fn rank_models(comparisons: &[Comparison], rounds: u32, seed: u64) -> Result<Ratings, Error> {
    validate(comparisons, rounds)?;
    let indexed = index(comparisons);
    let full = tally(&indexed, indexed.games.iter().copied());
    let (log_strengths, regularized) = fit(&indexed, &full);
    let ratings: Vec<f64> = log_strengths
        .iter()
        .map(|value| to_rating(*value))
        .collect();

    let model_count = indexed.models.len();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds as usize); model_count];
    let mut rng = StdRng::seed_from_u64(seed);
    let total = indexed.games.len();
    for _ in 0..rounds {
        let resampled = (0..total).map(|_| indexed.games[rng.random_range(0..total)]);
        let sample_tally = tally(&indexed, resampled);
        let (sample_logs, _) = fit(&indexed, &sample_tally);
        for (model, value) in sample_logs.into_iter().enumerate() {
            samples[model].push(to_rating(value));
        }
    }

    let mut wins = vec![0u32; model_count];
    let mut losses = vec![0u32; model_count];
    let mut ties = vec![0u32; model_count];
    for game in &indexed.games {
        let (low, high) = indexed.pairs[game.pair];
        let b = if game.a == low { high } else { low };
        if game.score_a == 1.0 {
            wins[game.a] += 1;
            losses[b] += 1;
        } else if game.score_a == 0.0 {
            wins[b] += 1;
            losses[game.a] += 1;
        } else {
            ties[game.a] += 1;
            ties[b] += 1;
        }
    }

    let mut result: Vec<ModelRating> = (0..model_count)
        .map(|model| {
            let (ci_low, ci_high) = if rounds == 0 {
                (ratings[model], ratings[model])
            } else {
                let mut sorted = samples[model].clone();
                sorted.sort_by(f64::total_cmp);
                (percentile(&sorted, 0.025), percentile(&sorted, 0.975))
            };
            let games = wins[model] + losses[model] + ties[model];
            ModelRating {
                model: indexed.models[model].clone(),
                rating: ratings[model],
                ci_low,
                ci_high,
                wins: wins[model],
                losses: losses[model],
                ties: ties[model],
                games,
                win_rate: if games == 0 {
                    0.0
                } else {
                    (f64::from(wins[model]) + f64::from(ties[model]) / 2.0) / f64::from(games)
                },
                rank: 0,
            }
        })
        .collect();
    result.sort_by(|left, right| {
        right
            .rating
            .total_cmp(&left.rating)
            .then_with(|| left.model.cmp(&right.model))
    });
    for (position, rating) in result.iter_mut().enumerate() {
        rating.rank = position as u32 + 1;
    }
    Ok(Ratings {
        ratings: result,
        games: total,
        bootstrap_rounds: rounds,
        seed,
        regularized,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(a: &str, b: &str, outcome: Outcome) -> Comparison {
        Comparison {
            model_a: a.to_owned(),
            model_b: b.to_owned(),
            outcome,
        }
    }

    fn repeat(a: &str, b: &str, outcome: Outcome, times: usize) -> Vec<Comparison> {
        (0..times).map(|_| verdict(a, b, outcome)).collect()
    }

    fn rating_of<'a>(ratings: &'a Ratings, model: &str) -> &'a ModelRating {
        ratings
            .ratings
            .iter()
            .find(|rating| rating.model == model)
            .expect("model rated")
    }

    #[test]
    fn two_models_three_wins_to_one() {
        let mut verdicts = repeat("x", "y", Outcome::AWins, 3);
        verdicts.push(verdict("y", "x", Outcome::AWins));
        let ratings = rank_models(&verdicts, 0, 0).expect("fits");
        let x = rating_of(&ratings, "x");
        let y = rating_of(&ratings, "y");
        let gap = 400.0 * 3f64.log10();
        assert!(
            (x.rating - y.rating - gap).abs() < 1e-6,
            "{} vs {}",
            x.rating,
            y.rating
        );
        assert!((x.rating + y.rating - 2000.0).abs() < 1e-9);
        assert!(!ratings.regularized);
        assert_eq!((x.wins, x.losses, x.ties, x.games), (3, 1, 0, 4));
        assert_eq!(x.win_rate, 0.75);
        assert_eq!((x.rank, y.rank), (1, 2));
        assert_eq!((x.ci_low, x.ci_high), (x.rating, x.rating));
    }

    #[test]
    fn ties_count_as_half_wins() {
        // 2 wins + 2 ties vs 0 wins + 2 ties: half-wins 3 to 1, the same gap as 3 wins to 1.
        let mut verdicts = repeat("x", "y", Outcome::AWins, 2);
        verdicts.extend(repeat("x", "y", Outcome::Tie, 2));
        let ratings = rank_models(&verdicts, 0, 0).expect("fits");
        let gap = rating_of(&ratings, "x").rating - rating_of(&ratings, "y").rating;
        assert!((gap - 400.0 * 3f64.log10()).abs() < 1e-6, "{gap}");
        assert_eq!(rating_of(&ratings, "y").win_rate, 0.25);
    }

    #[test]
    fn even_record_rates_everyone_1000() {
        let mut verdicts = repeat("a", "b", Outcome::AWins, 5);
        verdicts.extend(repeat("a", "b", Outcome::BWins, 5));
        let ratings = rank_models(&verdicts, 0, 0).expect("fits");
        for rating in &ratings.ratings {
            assert!((rating.rating - 1000.0).abs() < 1e-9);
        }
    }

    /// d/dθ_i of the log-likelihood (θ = ln p): W_i − Σ_j n_ij · p_i / (p_i + p_j).
    fn gradient(indexed: &Indexed, tally: &Tally, logs: &[f64]) -> Vec<f64> {
        let strength: Vec<f64> = logs.iter().map(|value| value.exp()).collect();
        let mut gradient = tally.wins.clone();
        for (pair, &(low, high)) in indexed.pairs.iter().enumerate() {
            let games = tally.pair_games[pair];
            let total = strength[low] + strength[high];
            gradient[low] -= games * strength[low] / total;
            gradient[high] -= games * strength[high] / total;
        }
        gradient
    }

    #[test]
    fn gradient_vanishes_at_the_solution_on_random_data() {
        let mut rng = StdRng::seed_from_u64(42);
        let true_strength = [1.0, 2.0, 0.5, 4.0, 1.5, 0.8];
        let names: Vec<String> = (0..true_strength.len())
            .map(|index| format!("m{index}"))
            .collect();
        let mut verdicts = Vec::new();
        for _ in 0..3_000 {
            let a = rng.random_range(0..true_strength.len());
            let mut b = rng.random_range(0..true_strength.len() - 1);
            if b >= a {
                b += 1;
            }
            let draw: f64 = rng.random();
            let p_a = true_strength[a] / (true_strength[a] + true_strength[b]);
            let outcome = if draw < 0.1 {
                Outcome::Tie
            } else if draw < 0.1 + 0.9 * p_a {
                Outcome::AWins
            } else {
                Outcome::BWins
            };
            verdicts.push(verdict(&names[a], &names[b], outcome));
        }
        let indexed = index(&verdicts);
        let full = tally(&indexed, indexed.games.iter().copied());
        let (logs, regularized) = fit(&indexed, &full);
        assert!(!regularized);
        let gradient = gradient(&indexed, &full, &logs);
        for value in &gradient {
            assert!(value.abs() < 1e-6, "gradient {gradient:?}");
        }
        // And the fit recovers the ordering of the true strengths.
        let ratings = rank_models(&verdicts, 0, 0).expect("fits");
        assert_eq!(ratings.ratings[0].model, "m3");
        assert_eq!(ratings.ratings[5].model, "m2");
    }

    #[test]
    fn bootstrap_is_reproducible_and_brackets_the_rating() {
        let mut verdicts = repeat("x", "y", Outcome::AWins, 30);
        verdicts.extend(repeat("x", "y", Outcome::BWins, 10));
        verdicts.extend(repeat("y", "z", Outcome::AWins, 25));
        verdicts.extend(repeat("y", "z", Outcome::BWins, 15));
        verdicts.extend(repeat("x", "z", Outcome::Tie, 5));
        let first = rank_models(&verdicts, 100, 7).expect("fits");
        let again = rank_models(&verdicts, 100, 7).expect("fits");
        assert_eq!(first, again);
        let other_seed = rank_models(&verdicts, 100, 8).expect("fits");
        assert_ne!(first.ratings[0].ci_low, other_seed.ratings[0].ci_low);
        for rating in &first.ratings {
            assert!(
                rating.ci_low <= rating.rating && rating.rating <= rating.ci_high,
                "{rating:?}"
            );
            assert!(rating.ci_high - rating.ci_low > 1.0, "{rating:?}");
        }
        assert_eq!(first.bootstrap_rounds, 100);
        assert_eq!(first.games, 85);
    }

    #[test]
    fn unbeaten_models_are_regularized_to_finite_ratings() {
        let verdicts = repeat("champ", "chump", Outcome::AWins, 5);
        let ratings = rank_models(&verdicts, 20, 1).expect("fits");
        assert!(ratings.regularized);
        let champ = rating_of(&ratings, "champ");
        let chump = rating_of(&ratings, "chump");
        assert!(champ.rating.is_finite() && chump.rating.is_finite());
        assert!(champ.rating > chump.rating);
        assert!((champ.rating + chump.rating - 2000.0).abs() < 1e-6);
    }

    #[test]
    fn invalid_requests_name_the_field() {
        let field_of = |result: Result<Ratings, Error>| match result {
            Err(Error::InvalidArgument { field, .. }) => field,
            _ => panic!("expected InvalidArgument"),
        };
        assert_eq!(field_of(rank_models(&[], 0, 0)), "verdicts");
        assert_eq!(
            field_of(rank_models(&[verdict("a", "a", Outcome::Tie)], 0, 0)),
            "verdicts[0].model_b"
        );
        assert_eq!(
            field_of(rank_models(&[verdict("", "a", Outcome::Tie)], 0, 0)),
            "verdicts[0].model_a"
        );
        assert_eq!(
            field_of(rank_models(&[verdict("a", "b", Outcome::Tie)], 10_001, 0)),
            "bootstrap_rounds"
        );
        let many = repeat("a", "b", Outcome::Tie, 10_000);
        assert_eq!(field_of(rank_models(&many, 10_000, 0)), "bootstrap_rounds");
    }

    #[test]
    fn percentile_interpolates() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert_eq!(percentile(&values, 0.5), 3.0);
        assert!((percentile(&values, 0.025) - 1.1).abs() < 1e-12);
        assert_eq!(percentile(&values, 1.0), 5.0);
    }
}
