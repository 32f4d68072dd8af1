//! The fused catalog: one entry per canonical model with the value chosen for it from every source
//! ([`super::selection`]), its own price, speed, freshness dates, tier, coding composite
//! ([`super::composite`]) and component scores, plus per-source status and per-metric coverage.
//!
//! A catalog is immutable once built; the service swaps whole catalogs, so readers never see a half-built
//! one.

use std::collections::{BTreeSet, HashMap};

use benchhub_common::vocabulary::{self, Direction};
use chrono::{DateTime, NaiveDate, Utc};

use super::composite::{self, Score};
use super::grades::{CategoryDates, PerformanceTier, data_category};
use super::records::{AliasRecord, CatalogInput, ModelRecord, ObservationRecord};
use super::scores::{self, ComponentSet, Components, PerformanceInputs, ValueInputs, Weights};
use super::selection::{self, Selection};
use super::sources::{self, Availability};
use super::tiers::{self, ModelTier};

/// The value chosen for a model from one source's metric, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValue {
    /// Source name.
    pub source: String,
    /// Observation category.
    pub category: String,
    /// Metric name.
    pub metric: String,
    /// Value as published.
    pub value: f64,
    /// Lower CI bound.
    pub ci_low: Option<f64>,
    /// Upper CI bound.
    pub ci_high: Option<f64>,
    /// Sample size.
    pub sample_size: Option<i64>,
    /// Cohort-normalised value.
    pub normalized: Option<f64>,
    /// Snapshot date (when benchhub stored it).
    pub snapshot_date: NaiveDate,
    /// When the upstream measured or published the value.
    pub data_date: NaiveDate,
    /// Unit (empty when dimensionless or unknown).
    pub unit: String,
    /// The upstream entry the value is from (a SWE-bench system, an arena name).
    pub source_model_name: String,
    /// How that entry's name was matched to the model (`exact`, `version`, `mode`…).
    pub match_method: String,
    /// Why it was chosen among the source's entries for the model.
    pub selection: Selection,
}

/// A model's price from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// USD per million input tokens.
    pub input: Option<f64>,
    /// USD per million output tokens.
    pub output: Option<f64>,
    /// Whether the model's own price is zero (not a free variant: see
    /// [`Entry::free_variant_available`]).
    pub free: bool,
    /// Source of the price.
    pub source: String,
    /// Snapshot date of the newest of the two prices.
    pub snapshot_date: NaiveDate,
    /// How directly the priced entry names the model (see [`ObservationRecord::match_precision`]).
    pub precision: u8,
    /// The upstream entry priced.
    pub source_model_name: String,
}

impl Price {
    /// The price the `max_price` filter and `input_price` ordering use: 0 when free, else the input price.
    pub fn effective_input(&self) -> Option<f64> {
        if self.free { Some(0.0) } else { self.input }
    }
}

/// A model's speed measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Performance {
    /// Median TTFT, seconds.
    pub ttft_seconds: Option<f64>,
    /// Median output tokens per second.
    pub tokens_per_second: Option<f64>,
    /// Quality index, 0–100.
    pub quality_index: Option<f64>,
    /// Tier by TTFT.
    pub tier: Option<PerformanceTier>,
    /// Snapshot date of the newest measurement.
    pub snapshot_date: NaiveDate,
}

/// How one upstream name was matched to a model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NameMatch {
    /// Source name.
    pub source: String,
    /// The name as the upstream spells it.
    pub source_model_name: String,
    /// `alias`, `exact`, `created`, `version`, `size` or `mode`.
    pub method: String,
    /// Why, in words.
    pub detail: String,
}

/// One catalog model.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Identity and metadata as stored.
    pub model: ModelRecord,
    /// Resolved capability tier.
    pub tier: Option<ModelTier>,
    /// Context length: OpenRouter, else models.dev, else the stored value.
    pub context_length: Option<i64>,
    /// Aliases mapping onto the model.
    pub aliases: Vec<AliasRecord>,
    /// The chosen value of every metric, sorted by (source, category, metric).
    pub metrics: Vec<MetricValue>,
    /// Current price per source, the model's price first (see [`Entry::price`]).
    pub prices: Vec<Price>,
    /// Whether the model can also be used for free: an OpenRouter `:free` variant in the newest snapshot,
    /// or a current zero price beside the paid one.
    pub free_variant_available: bool,
    /// Speed measurements.
    pub performance: Option<Performance>,
    /// Newest data date per data category.
    pub dates: CategoryDates,
    /// Sources with data, sorted.
    pub sources: Vec<String>,
    /// Categories with data, sorted.
    pub categories: Vec<String>,
    /// Whether the model has at least one benchmark (arena, coding, quality or reasoning): the default
    /// listing shows only these.
    pub benchmarked: bool,
    /// Coding benchmarks (source metrics) the coding composite rests on.
    pub coding_benchmarks: u32,
    /// 95% interval of the coding composite.
    pub coding_interval: Option<(f64, f64)>,
    /// Standard error of the coding composite (0–100 scale).
    pub coding_error: Option<f64>,
    /// Best and worst default rank the model's overall range allows.
    pub default_rank_range: Option<(u32, u32)>,
    /// Component scores.
    pub components: Components,
    /// Overall score under the default weights.
    pub default_overall: Option<(f64, ComponentSet)>,
    /// Position in the default rankings (overall desc, benchmarked models).
    pub default_rank: Option<u32>,
    /// Source of the model's first observation.
    pub first_source: Option<String>,
    /// Lowercase id, names and aliases joined, for text search.
    pub search_text: String,
    /// Lowercase creator (empty when unknown).
    pub creator_lower: String,
    /// Lowercase family (empty when unknown).
    pub family_lower: String,
    /// The display name shown: the stored one, made unique in the catalog (a release date or the id
    /// is added when two models share a name).
    pub display_name: String,
    /// Lowercase display name, for ordering.
    pub display_name_lower: String,
    /// Lowercase upstream spellings matched onto the model (e.g. lmarena's `gpt-4o-2024-08-06`), so
    /// GetModel finds a model by any name a source uses for it.
    pub upstream_names: Vec<String>,
    /// How every upstream name of the model was matched, sorted.
    pub matches: Vec<NameMatch>,
}

impl Entry {
    /// The model's price: its own paid price from the newest snapshot across sources (an older snapshot
    /// never beats a newer one), a paid price before a zero one, the most precisely matched entry
    /// first, then models.dev, OpenRouter, Artificial Analysis.
    pub fn price(&self) -> Option<&Price> {
        self.prices.first()
    }

    /// Finds the chosen value of a metric.
    pub fn metric(&self, source: &str, category: &str, metric: &str) -> Option<&MetricValue> {
        self.metrics
            .binary_search_by(|value| {
                (
                    value.source.as_str(),
                    value.category.as_str(),
                    value.metric.as_str(),
                )
                    .cmp(&(source, category, metric))
            })
            .ok()
            .map(|index| &self.metrics[index])
    }

    /// Whether the model is a provisional one (a board's name no catalog lists).
    pub fn provisional(&self) -> bool {
        self.model.origin == "benchmark"
    }
}

/// How current one source's data is.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    /// Source name.
    pub source: String,
    /// Availability.
    pub availability: Availability,
    /// Error of the latest failed attempt, else the availability reason.
    pub reason: String,
    /// Newest snapshot date with data (up to the catalog's date).
    pub last_good_snapshot: Option<NaiveDate>,
    /// Newest data date (when the upstream last measured or published a value).
    pub newest_data_date: Option<NaiveDate>,
    /// Whether the latest ingest failed and older data is served.
    pub stale: bool,
    /// When the latest attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the latest successful (or unchanged) run ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// How long the source's data stays fresh (LMArena: 24 h); `None` when it never goes stale by age.
    pub ttl: Option<std::time::Duration>,
    /// Catalog models with data from the source.
    pub model_count: usize,
}

/// Coverage of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkMetric {
    /// Source name.
    pub source: String,
    /// Observation category.
    pub category: String,
    /// Metric name.
    pub metric: String,
    /// Unit.
    pub unit: String,
    /// Whether higher raw values are better.
    pub higher_is_better: bool,
    /// Catalog models with a value in the newest snapshot.
    pub model_count: usize,
    /// Unmatched upstream names in the newest snapshot.
    pub unmatched_count: i64,
    /// Newest snapshot date.
    pub newest: NaiveDate,
    /// Oldest snapshot date.
    pub oldest: NaiveDate,
    /// Distinct snapshot dates.
    pub snapshot_count: i64,
}

/// An immutable fused catalog.
#[derive(Debug)]
pub struct Catalog {
    /// Version number, unique within the process; page tokens name it.
    pub version: u64,
    /// When it was built.
    pub built_at: DateTime<Utc>,
    /// The date it shows the rankings as of; `None` for the live catalog (every snapshot).
    pub as_of: Option<NaiveDate>,
    /// Models sorted by id.
    pub entries: Vec<Entry>,
    /// Every source's status, sorted by name.
    pub sources: Vec<SourceStatus>,
    /// Every metric's coverage, sorted by (category, source, metric).
    pub benchmarks: Vec<BenchmarkMetric>,
    /// Every (source, category, metric) any entry has, sorted.
    pub metric_keys: Vec<(String, String, String)>,
    by_name: HashMap<String, usize>,
    by_family: HashMap<String, Vec<usize>>,
}

impl Catalog {
    /// Finds a model by canonical id, alias, display name or any upstream spelling matched onto it
    /// (case-insensitive, in that order).
    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.by_name
            .get(&name.trim().to_lowercase())
            .map(|index| &self.entries[*index])
    }

    /// Returns whether the model id is in the catalog.
    pub fn contains_id(&self, id: &str) -> bool {
        self.entries
            .binary_search_by(|entry| entry.model.id.as_str().cmp(id))
            .is_ok()
    }

    /// The other models of an entry's family, by id.
    pub fn siblings(&self, entry: &Entry) -> Vec<&Entry> {
        self.by_family
            .get(&entry.family_lower)
            .map(|members| {
                members
                    .iter()
                    .map(|index| &self.entries[*index])
                    .filter(|member| member.model.id != entry.model.id)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Categories that count as a benchmark for the default listing.
pub fn is_benchmark_category(category: &str) -> bool {
    matches!(category, "coding" | "quality" | "reasoning")
        || sources::ARENA_CATEGORIES.contains(&category)
}

fn is_coding_metric(source: &str, category: &str, metric: &str) -> bool {
    vocabulary::find(source, category, metric)
        .map(|spec| spec.coding)
        .unwrap_or(category == vocabulary::CODING)
}

/// The newest snapshot date of every (source, category, metric): an entry whose latest row is older is
/// no longer in the source's newest snapshot.
type NewestSnapshots = HashMap<(String, String, String), NaiveDate>;

struct Fused {
    entry: Entry,
    arena: Option<(usize, f64)>,
}

fn fuse_model(
    model: ModelRecord,
    observations: Vec<ObservationRecord>,
    aliases: Vec<AliasRecord>,
    first_source: Option<String>,
    newest: &NewestSnapshots,
) -> Fused {
    let current = |observation: &ObservationRecord| {
        newest
            .get(&(
                observation.source.clone(),
                observation.category.clone(),
                observation.metric.clone(),
            ))
            .is_none_or(|newest| observation.snapshot_date >= *newest)
    };
    let mut grouped: HashMap<(&str, &str, &str), Vec<&ObservationRecord>> = HashMap::new();
    let mut free_variant = false;
    for observation in &observations {
        if observation.category == vocabulary::PRICING
            && selection::is_free_variant(&observation.source_model_name)
            && current(observation)
        {
            free_variant = true;
        }
        grouped
            .entry((
                observation.source.as_str(),
                observation.category.as_str(),
                observation.metric.as_str(),
            ))
            .or_default()
            .push(observation);
    }
    // One entry per (source, category) of a versioned board stands for the model across its metrics.
    let mut by_board: HashMap<(&str, &str), Vec<&ObservationRecord>> = HashMap::new();
    for ((source, category, _), candidates) in &grouped {
        if *category != vocabulary::PRICING {
            by_board
                .entry((source, category))
                .or_default()
                .extend(candidates.iter().copied());
        }
    }
    let preferred: HashMap<(&str, &str), &str> = by_board
        .iter()
        .filter_map(|(board, candidates)| Some((*board, selection::preferred_entry(candidates)?)))
        .collect();
    let mut values: Vec<MetricValue> = grouped
        .iter()
        .filter_map(|((source, category, _), candidates)| {
            let (chosen, how) = if *category == vocabulary::PRICING {
                selection::choose_price(candidates, current)?
            } else {
                selection::choose(candidates, preferred.get(&(*source, *category)).copied())?
            };
            let unit = chosen
                .unit
                .clone()
                .filter(|unit| !unit.is_empty())
                .or_else(|| {
                    vocabulary::find(&chosen.source, &chosen.category, &chosen.metric)
                        .map(|spec| spec.unit.to_owned())
                })
                .unwrap_or_default();
            Some(MetricValue {
                source: chosen.source.clone(),
                category: chosen.category.clone(),
                metric: chosen.metric.clone(),
                value: chosen.value,
                ci_low: chosen.ci_low,
                ci_high: chosen.ci_high,
                sample_size: chosen.sample_size,
                normalized: chosen.normalized,
                snapshot_date: chosen.snapshot_date,
                data_date: chosen.data_date,
                unit,
                source_model_name: chosen.source_model_name.clone(),
                match_method: chosen.match_method.clone().unwrap_or_default(),
                selection: how,
            })
        })
        .collect();
    values.sort_by(|left, right| {
        (&left.source, &left.category, &left.metric).cmp(&(
            &right.source,
            &right.category,
            &right.metric,
        ))
    });

    let mut upstream_names: Vec<String> = observations
        .iter()
        .map(|observation| observation.source_model_name.to_lowercase())
        .collect();
    upstream_names.sort();
    upstream_names.dedup();
    let mut matches: Vec<NameMatch> = observations
        .iter()
        .map(|observation| NameMatch {
            source: observation.source.clone(),
            source_model_name: observation.source_model_name.clone(),
            method: observation.match_method.clone().unwrap_or_default(),
            detail: observation.match_detail.clone().unwrap_or_default(),
        })
        .collect();
    matches.sort();
    matches.dedup();
    let mut entry = Entry {
        upstream_names,
        matches,
        tier: None,
        context_length: None,
        aliases,
        metrics: values,
        prices: Vec::new(),
        free_variant_available: free_variant,
        performance: None,
        dates: CategoryDates::default(),
        sources: Vec::new(),
        categories: Vec::new(),
        benchmarked: false,
        coding_benchmarks: 0,
        coding_interval: None,
        coding_error: None,
        default_rank_range: None,
        components: Components::default(),
        default_overall: None,
        default_rank: None,
        first_source,
        search_text: String::new(),
        creator_lower: model.creator.as_deref().unwrap_or("").to_lowercase(),
        family_lower: model.family.as_deref().unwrap_or("").to_lowercase(),
        display_name: model.display_name.clone(),
        display_name_lower: model.display_name.to_lowercase(),
        model,
    };

    let mut source_set = BTreeSet::new();
    let mut category_set = BTreeSet::new();
    for value in &entry.metrics {
        source_set.insert(value.source.clone());
        category_set.insert(value.category.clone());
        if let Some(category) = data_category(&value.source, &value.category, &value.metric) {
            entry.dates.observe(category, value.data_date);
        }
        if is_coding_metric(&value.source, &value.category, &value.metric) {
            entry.coding_benchmarks += 1;
        }
    }
    entry.benchmarked = category_set
        .iter()
        .any(|category| is_benchmark_category(category));
    entry.sources = source_set.into_iter().collect();
    entry.categories = category_set.into_iter().collect();

    for source in &sources::PRICE_SOURCES {
        let input = entry.metric(source, vocabulary::PRICING, vocabulary::INPUT_PRICE);
        let output = entry.metric(source, vocabulary::PRICING, vocabulary::OUTPUT_PRICE);
        let Some(priced) = input.or(output) else {
            continue;
        };
        let snapshot_date = input
            .iter()
            .chain(output.iter())
            .map(|value| value.snapshot_date)
            .max()
            .unwrap_or(NaiveDate::MIN);
        let input_price = input.map(|value| value.value);
        let output_price = output.map(|value| value.value);
        let zero_price = input_price.is_some_and(|price| price == 0.0)
            && output_price.is_none_or(|price| price == 0.0);
        let precision = observations
            .iter()
            .find(|observation| {
                observation.source == *source
                    && observation.source_model_name == priced.source_model_name
            })
            .map(ObservationRecord::match_precision)
            .unwrap_or(1);
        entry.prices.push(Price {
            input: input_price,
            output: output_price,
            free: zero_price,
            source: (*source).to_owned(),
            snapshot_date,
            precision,
            source_model_name: priced.source_model_name.clone(),
        });
    }
    // The model's own price: newest snapshot, a paid price before a zero one (a free API beside paid
    // ones is a free variant), most precise entry, source preference (the order of PRICE_SOURCES,
    // kept by the stable sort).
    entry.prices.sort_by(|left, right| {
        right
            .snapshot_date
            .cmp(&left.snapshot_date)
            .then_with(|| left.free.cmp(&right.free))
            .then_with(|| left.precision.cmp(&right.precision))
    });
    if entry.prices.len() > 1
        && entry.prices.first().is_some_and(|price| !price.free)
        && entry.prices.iter().any(|price| price.free)
    {
        entry.free_variant_available = true;
    }

    let ttft = entry.metric(
        sources::PERFORMANCE_SOURCE,
        vocabulary::PERFORMANCE,
        vocabulary::TTFT,
    );
    let throughput = entry.metric(
        sources::PERFORMANCE_SOURCE,
        vocabulary::PERFORMANCE,
        vocabulary::THROUGHPUT,
    );
    let quality = entry.metric(
        sources::PERFORMANCE_SOURCE,
        vocabulary::QUALITY,
        vocabulary::QUALITY_INDEX,
    );
    let newest_performance = [ttft, throughput, quality]
        .into_iter()
        .flatten()
        .map(|value| value.data_date)
        .max();
    let performance_inputs = PerformanceInputs {
        ttft_seconds: ttft.map(|value| value.value),
        tokens_per_second: throughput.map(|value| value.value),
        quality_index: quality.map(|value| value.value),
    };
    entry.performance = newest_performance.map(|snapshot_date| Performance {
        ttft_seconds: performance_inputs.ttft_seconds,
        tokens_per_second: performance_inputs.tokens_per_second,
        quality_index: performance_inputs.quality_index,
        tier: performance_inputs
            .ttft_seconds
            .map(PerformanceTier::from_ttft),
        snapshot_date,
    });
    entry.components.performance = scores::performance_score(&performance_inputs);

    entry.context_length = sources::CONTEXT_SOURCES
        .iter()
        .find_map(|source| entry.metric(source, "metadata", "context_length"))
        .map(|value| value.value.round() as i64)
        .filter(|tokens| *tokens > 0)
        .or(entry.model.context_length.map(i64::from));

    let arena = sources::ARENA_CATEGORIES
        .iter()
        .enumerate()
        .find_map(|(index, category)| {
            entry
                .metric(sources::ARENA_SOURCE, category, vocabulary::ELO)
                .map(|value| (index, value.value))
        });
    Fused { entry, arena }
}

/// Sets the components that depend on the coding composite (value, overall) once it is known.
fn score_entry(entry: &mut Entry) {
    let price = entry.price();
    let quality_index = entry
        .performance
        .and_then(|performance| performance.quality_index);
    entry.components.value = scores::value_score(&ValueInputs {
        coding: entry.components.coding,
        quality_index,
        input_usd_per_million: price.and_then(|price| price.input),
        free: price.is_some_and(|price| price.free),
        context_length: entry.context_length.map(|tokens| tokens as f64),
    });
    entry.default_overall = scores::overall(&entry.components, &Weights::DEFAULT);
}

fn search_text(entry: &Entry) -> String {
    let mut search = String::new();
    for part in [
        entry.model.id.as_str(),
        entry.display_name.as_str(),
        entry.model.display_name.as_str(),
        entry.model.creator.as_deref().unwrap_or(""),
        entry.model.family.as_deref().unwrap_or(""),
    ] {
        search.push_str(&part.to_lowercase());
        search.push('\n');
    }
    for alias in &entry.aliases {
        search.push_str(&alias.alias.to_lowercase());
        search.push('\n');
    }
    search
}

/// Fits the coding composite over every entry's coding metrics and sets `components.coding`.
fn fit_coding(entries: &mut [Entry]) {
    let mut benchmark_index: HashMap<(String, String, String), usize> = HashMap::new();
    let mut source_index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Vec<Score>> = Vec::with_capacity(entries.len());
    for entry in entries.iter() {
        let mut row = Vec::new();
        for value in &entry.metrics {
            if !is_coding_metric(&value.source, &value.category, &value.metric) {
                continue;
            }
            let next = benchmark_index.len();
            let benchmark = *benchmark_index
                .entry((
                    value.source.clone(),
                    value.category.clone(),
                    value.metric.clone(),
                ))
                .or_insert(next);
            let next = source_index.len();
            let source = *source_index.entry(value.source.clone()).or_insert(next);
            row.push(Score {
                benchmark,
                source,
                percent: value.value,
            });
        }
        rows.push(row);
    }
    let results = composite::composites(&rows, benchmark_index.len());
    for (entry, result) in entries.iter_mut().zip(results) {
        entry.components.coding = result.map(|composite| composite.score);
        entry.coding_interval = result.map(|composite| (composite.low, composite.high));
        entry.coding_error = result.map(|composite| composite.standard_error);
    }
}

/// Makes display names unique: models sharing a name get their release date, else their id, added.
fn disambiguate_names(entries: &mut [Entry]) {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        groups
            .entry(entry.display_name.to_lowercase())
            .or_default()
            .push(index);
    }
    for members in groups.values().filter(|members| members.len() > 1) {
        let dates: BTreeSet<Option<NaiveDate>> = members
            .iter()
            .map(|index| entries[*index].model.release_date)
            .collect();
        let by_date = dates.len() == members.len() && dates.iter().all(Option::is_some);
        for index in members {
            let entry = &mut entries[*index];
            entry.display_name = match (by_date, entry.model.release_date) {
                (true, Some(date)) => format!("{} ({date})", entry.model.display_name),
                _ => format!("{} ({})", entry.model.display_name, entry.model.id),
            };
        }
    }
    for entry in entries.iter_mut() {
        entry.display_name_lower = entry.display_name.to_lowercase();
    }
}

/// Builds a catalog from database records. `as_of` is the date the input was cut at (`None` for the live
/// catalog); models first seen after it and without observations up to it are left out.
pub fn build(
    input: CatalogInput,
    as_of: Option<NaiveDate>,
    version: u64,
    built_at: DateTime<Utc>,
) -> Catalog {
    let CatalogInput {
        models,
        aliases,
        observations,
        sources: states,
        coverage,
        first_sources,
    } = input;

    let mut observations_by_model: HashMap<String, Vec<ObservationRecord>> = HashMap::new();
    for observation in observations {
        observations_by_model
            .entry(observation.model_id.clone())
            .or_default()
            .push(observation);
    }
    let mut aliases_by_model: HashMap<String, Vec<AliasRecord>> = HashMap::new();
    for alias in aliases {
        aliases_by_model
            .entry(alias.model_id.clone())
            .or_default()
            .push(alias);
    }
    let mut first_source_by_model: HashMap<String, String> = first_sources.into_iter().collect();
    let mut newest: NewestSnapshots = HashMap::new();
    for observations in observations_by_model.values() {
        for observation in observations {
            let slot = newest
                .entry((
                    observation.source.clone(),
                    observation.category.clone(),
                    observation.metric.clone(),
                ))
                .or_insert(observation.snapshot_date);
            if *slot < observation.snapshot_date {
                *slot = observation.snapshot_date;
            }
        }
    }

    let mut fused: Vec<Fused> = Vec::with_capacity(models.len());
    for model in models {
        let observations = observations_by_model.remove(&model.id).unwrap_or_default();
        // As of a date, a model without data by then is listed only when it was released by then.
        let known_by_date = as_of.is_none_or(|date| {
            model
                .release_date
                .unwrap_or_else(|| model.first_seen_at.date_naive())
                <= date
        });
        if observations.is_empty() && !known_by_date {
            continue;
        }
        let mut model_aliases = aliases_by_model.remove(&model.id).unwrap_or_default();
        model_aliases
            .sort_by(|left, right| (&left.source, &left.alias).cmp(&(&right.source, &right.alias)));
        let first_source = first_source_by_model.remove(&model.id);
        fused.push(fuse_model(
            model,
            observations,
            model_aliases,
            first_source,
            &newest,
        ));
    }

    let mut arenas: Vec<Option<(usize, f64)>> = Vec::with_capacity(fused.len());
    let mut entries: Vec<Entry> = Vec::with_capacity(fused.len());
    for item in fused {
        arenas.push(item.arena);
        entries.push(item.entry);
    }
    fit_coding(&mut entries);
    let mut best_elo = [f64::NEG_INFINITY; 3];
    let mut best_coding = f64::NEG_INFINITY;
    let mut best_quality = f64::NEG_INFINITY;
    for (entry, arena) in entries.iter_mut().zip(&arenas) {
        score_entry(entry);
        if let Some((index, elo)) = arena {
            best_elo[*index] = best_elo[*index].max(*elo);
        }
        if let Some(coding) = entry.components.coding {
            best_coding = best_coding.max(coding);
        }
        if let Some(quality) = entry
            .performance
            .and_then(|performance| performance.quality_index)
        {
            best_quality = best_quality.max(quality);
        }
    }
    for (entry, arena) in entries.iter_mut().zip(&arenas) {
        entry.tier = tiers::resolve_tier(&tiers::Evidence {
            arena: arena.map(|(index, elo)| (elo, best_elo[index])),
            coding: entry.components.coding.map(|coding| (coding, best_coding)),
            quality: entry
                .performance
                .and_then(|performance| performance.quality_index)
                .map(|quality| (quality, best_quality)),
            stored: ModelTier::parse(&entry.model.tier),
        });
    }
    disambiguate_names(&mut entries);
    for entry in &mut entries {
        entry.search_text = search_text(entry);
    }
    entries.sort_by(|left, right| left.model.id.cmp(&right.model.id));

    let mut ranked: Vec<(f64, usize)> = entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.benchmarked)
        .filter_map(|(index, entry)| entry.default_overall.map(|(score, _)| (score, index)))
        .collect();
    ranked.sort_by(|left, right| right.0.total_cmp(&left.0).then(left.1.cmp(&right.1)));
    for (position, (_, index)) in ranked.iter().enumerate() {
        entries[*index].default_rank = Some(position as u32 + 1);
    }
    let scored: Vec<Option<(f64, f64)>> = ranked
        .iter()
        .map(|(score, index)| {
            let entry = &entries[*index];
            scores::overall_error(&entry.components, entry.coding_error, &Weights::DEFAULT)
                .map(|error| (*score, error))
        })
        .collect();
    for ((_, index), range) in ranked
        .iter()
        .zip(scores::rank_ranges(&scored, scores::RANK_DRAWS))
    {
        entries[*index].default_rank_range = range;
    }

    let mut by_name = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        by_name.insert(entry.model.id.to_lowercase(), index);
    }
    for (index, entry) in entries.iter().enumerate() {
        for alias in &entry.aliases {
            by_name.entry(alias.alias.to_lowercase()).or_insert(index);
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        by_name
            .entry(entry.display_name_lower.clone())
            .or_insert(index);
        by_name
            .entry(entry.model.display_name.to_lowercase())
            .or_insert(index);
    }
    for (index, entry) in entries.iter().enumerate() {
        for upstream in &entry.upstream_names {
            by_name.entry(upstream.clone()).or_insert(index);
        }
    }
    let mut by_family: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        if !entry.family_lower.is_empty() {
            by_family
                .entry(entry.family_lower.clone())
                .or_default()
                .push(index);
        }
    }

    let mut metric_keys: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    let mut models_per_source: HashMap<&str, usize> = HashMap::new();
    let mut newest_coverage: HashMap<(&str, &str, &str), NaiveDate> = HashMap::new();
    for record in &coverage {
        newest_coverage.insert(
            (
                record.source.as_str(),
                record.category.as_str(),
                record.metric.as_str(),
            ),
            record.newest,
        );
    }
    let mut models_in_newest: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for entry in &entries {
        for source in &entry.sources {
            *models_per_source.entry(source.as_str()).or_default() += 1;
        }
        for value in &entry.metrics {
            let key = (
                value.source.as_str(),
                value.category.as_str(),
                value.metric.as_str(),
            );
            metric_keys.insert(key);
            if newest_coverage.get(&key) == Some(&value.snapshot_date) {
                *models_in_newest.entry(key).or_default() += 1;
            }
        }
    }

    let mut benchmarks: Vec<BenchmarkMetric> = coverage
        .iter()
        .map(|record| {
            let key = (
                record.source.as_str(),
                record.category.as_str(),
                record.metric.as_str(),
            );
            BenchmarkMetric {
                source: record.source.clone(),
                category: record.category.clone(),
                metric: record.metric.clone(),
                unit: record
                    .unit
                    .clone()
                    .filter(|unit| !unit.is_empty())
                    .or_else(|| {
                        vocabulary::find(&record.source, &record.category, &record.metric)
                            .map(|spec| spec.unit.to_owned())
                    })
                    .unwrap_or_default(),
                higher_is_better: vocabulary::direction(
                    &record.source,
                    &record.category,
                    &record.metric,
                ) == Direction::HigherIsBetter,
                model_count: models_in_newest.get(&key).copied().unwrap_or(0),
                unmatched_count: record.unmatched_newest,
                newest: record.newest,
                oldest: record.oldest,
                snapshot_count: record.snapshot_count,
            }
        })
        .collect();
    benchmarks.sort_by(|left, right| {
        (&left.category, &left.source, &left.metric).cmp(&(
            &right.category,
            &right.source,
            &right.metric,
        ))
    });

    let mut newest_per_source: HashMap<&str, NaiveDate> = HashMap::new();
    for record in &coverage {
        let slot = newest_per_source
            .entry(record.source.as_str())
            .or_insert(record.newest);
        if *slot < record.newest {
            *slot = record.newest;
        }
    }
    let mut names: BTreeSet<String> = sources::KNOWN_SOURCES
        .iter()
        .map(|(name, _, _)| (*name).to_owned())
        .collect();
    names.extend(states.iter().map(|state| state.source.clone()));
    names.extend(coverage.iter().map(|record| record.source.clone()));
    let metric_keys: Vec<(String, String, String)> = metric_keys
        .into_iter()
        .map(|(source, category, metric)| {
            (source.to_owned(), category.to_owned(), metric.to_owned())
        })
        .collect();
    let source_statuses = names
        .into_iter()
        .map(|name| {
            let state = states.iter().find(|state| state.source == name);
            let (availability, availability_reason) = sources::availability(&name);
            let failed_error = state
                .filter(|state| state.last_run_status.as_deref() == Some("failed"))
                .and_then(|state| state.last_run_error.clone())
                .filter(|error| !error.is_empty());
            let last_good_snapshot = newest_per_source.get(name.as_str()).copied().or_else(|| {
                state
                    .and_then(|state| state.newest_snapshot_date)
                    .filter(|date| as_of.is_none_or(|as_of| *date <= as_of))
            });
            SourceStatus {
                availability,
                reason: failed_error.unwrap_or_else(|| availability_reason.to_owned()),
                last_good_snapshot,
                newest_data_date: state
                    .and_then(|state| state.newest_data_date)
                    .filter(|date| as_of.is_none_or(|as_of| *date <= as_of)),
                stale: state.is_some_and(|state| state.stale),
                last_attempt_at: state.and_then(|state| state.last_attempt_at),
                last_success_at: state.and_then(|state| state.last_success_at),
                ttl: state.and_then(|state| state.ttl),
                model_count: models_per_source.get(name.as_str()).copied().unwrap_or(0),
                source: name,
            }
        })
        .collect();

    Catalog {
        version,
        built_at,
        as_of,
        entries,
        sources: source_statuses,
        benchmarks,
        metric_keys,
        by_name,
        by_family,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::records::{CoverageRecord, SourceStateRecord};
    use chrono::TimeZone;

    pub(crate) fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    pub(crate) fn model(id: &str, name: &str) -> ModelRecord {
        ModelRecord::new(
            id,
            name,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("time"),
        )
    }

    pub(crate) fn observation(
        model_id: &str,
        source: &str,
        category: &str,
        metric: &str,
        snapshot: &str,
        value: f64,
        normalized: Option<f64>,
    ) -> ObservationRecord {
        ObservationRecord {
            model_id: model_id.to_owned(),
            source: source.to_owned(),
            category: category.to_owned(),
            metric: metric.to_owned(),
            source_model_name: model_id.to_owned(),
            snapshot_date: date(snapshot),
            value,
            ci_low: None,
            ci_high: None,
            sample_size: None,
            normalized,
            unit: None,
            data_date: date(snapshot),
            match_method: Some("exact".to_owned()),
            match_detail: None,
        }
    }

    /// The seed's example model plus others: an older arena-only model, an open model with a paid price
    /// and a `:free` variant, and a model known only from its price.
    pub(crate) fn example_input() -> CatalogInput {
        let example = "acme/example-1";
        let llama = "free/llama-3.3-70b";
        let mut observations = vec![
            observation(
                example,
                "evalplus",
                "coding",
                "humaneval_plus",
                "2026-01-05",
                91.0,
                Some(80.0),
            ),
            observation(
                example,
                "swebench",
                "coding",
                "verified_resolved",
                "2026-01-04",
                60.0,
                Some(90.0),
            ),
            observation(
                example,
                "artificialanalysis",
                "performance",
                "ttft_seconds",
                "2026-01-06",
                0.4,
                Some(70.0),
            ),
            observation(
                example,
                "artificialanalysis",
                "performance",
                "tokens_per_second",
                "2026-01-06",
                120.0,
                Some(60.0),
            ),
            observation(
                example,
                "artificialanalysis",
                "quality",
                "intelligence_index",
                "2026-01-06",
                88.0,
                Some(95.0),
            ),
            observation(
                example,
                "openrouter",
                "pricing",
                "input_usd_per_mtok",
                "2026-01-07",
                5.0,
                None,
            ),
            observation(
                example,
                "openrouter",
                "pricing",
                "output_usd_per_mtok",
                "2026-01-07",
                15.0,
                None,
            ),
            observation(
                example,
                "openrouter",
                "metadata",
                "context_length",
                "2026-01-07",
                131072.0,
                None,
            ),
            observation(
                example,
                "modelsdev",
                "pricing",
                "input_usd_per_mtok",
                "2026-01-02",
                6.0,
                None,
            ),
            observation(
                example,
                "lmarena",
                "text",
                "elo",
                "2026-01-03",
                1400.0,
                Some(100.0),
            ),
            observation(
                "acme/old-1",
                "lmarena",
                "text",
                "elo",
                "2025-11-01",
                1200.0,
                Some(10.0),
            ),
            observation(
                "acme/old-1",
                "lmarena",
                "text",
                "elo",
                "2025-10-01",
                1190.0,
                Some(10.0),
            ),
            observation(
                llama,
                "openrouter",
                "pricing",
                "input_usd_per_mtok",
                "2026-01-07",
                0.12,
                None,
            ),
            observation(
                llama,
                "openrouter",
                "pricing",
                "output_usd_per_mtok",
                "2026-01-07",
                0.3,
                None,
            ),
            observation(
                llama,
                "evalplus",
                "coding",
                "humaneval_plus",
                "2026-01-05",
                40.0,
                Some(40.0),
            ),
            observation(
                "acme/price-only",
                "openrouter",
                "pricing",
                "input_usd_per_mtok",
                "2026-01-07",
                1.0,
                None,
            ),
        ];
        for metric in ["input_usd_per_mtok", "output_usd_per_mtok"] {
            let mut free_variant = observation(
                llama,
                "openrouter",
                "pricing",
                metric,
                "2026-01-07",
                0.0,
                None,
            );
            free_variant.source_model_name = format!("{llama}:free");
            observations.push(free_variant);
        }
        CatalogInput {
            models: vec![
                model(example, "Example One"),
                model("acme/old-1", "Old One"),
                model(llama, "Free Llama"),
                model("acme/price-only", "Price Only"),
            ],
            aliases: vec![AliasRecord {
                source: "lmarena".to_owned(),
                alias: "example-1-20260101".to_owned(),
                model_id: example.to_owned(),
                created_at: Utc
                    .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                    .single()
                    .expect("time"),
            }],
            observations,
            sources: vec![SourceStateRecord {
                source: "lmarena".to_owned(),
                last_attempt_at: None,
                newest_snapshot_date: Some(date("2026-01-03")),
                newest_data_date: Some(date("2026-01-03")),
                stale: true,
                last_run_status: Some("failed".to_owned()),
                last_run_error: Some("upstream answered 503".to_owned()),
                last_success_at: None,
                ttl: None,
            }],
            coverage: vec![CoverageRecord {
                source: "lmarena".to_owned(),
                category: "text".to_owned(),
                metric: "elo".to_owned(),
                unit: Some("elo".to_owned()),
                oldest: date("2025-10-01"),
                newest: date("2026-01-03"),
                snapshot_count: 3,
                unmatched_newest: 2,
            }],
            first_sources: vec![(example.to_owned(), "lmarena".to_owned())],
        }
    }

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "expected {expected}, got {actual}"
        );
    }

    #[test]
    fn fuses_the_seed_example_model() {
        let catalog = build(example_input(), None, 1, Utc::now());
        assert_eq!(catalog.entries.len(), 4);
        let entry = catalog.find("acme/example-1").expect("entry");
        let coding = entry.components.coding.expect("coding");
        assert_eq!(entry.coding_benchmarks, 2);
        close(entry.components.performance.expect("performance"), 79.8);
        let (overall, used) = entry.default_overall.expect("overall");
        assert_eq!(used.iter().count(), 3);
        let value = entry.components.value.expect("value");
        close(overall, 0.5 * coding + 0.3 * 79.8 + 0.2 * value);
        // Newest snapshot across sources: OpenRouter's 2026-01-07 beats models.dev's 2026-01-02.
        let price = entry.price().expect("price");
        assert_eq!(price.source, "openrouter");
        assert_eq!(price.input, Some(5.0));
        assert_eq!(price.output, Some(15.0));
        assert!(!price.free);
        assert!(!entry.free_variant_available);
        assert_eq!(entry.prices.len(), 2);
        assert_eq!(entry.context_length, Some(131072));
        let performance = entry.performance.expect("performance");
        assert_eq!(performance.tier, Some(PerformanceTier::Fast));
        assert_eq!(performance.snapshot_date, date("2026-01-06"));
        assert_eq!(entry.dates.benchmarks, Some(date("2026-01-05")));
        assert_eq!(entry.dates.pricing, Some(date("2026-01-07")));
        assert_eq!(entry.tier, Some(ModelTier::Frontier));
        assert_eq!(entry.default_rank, Some(1));
        assert_eq!(entry.first_source.as_deref(), Some("lmarena"));
        assert!(entry.benchmarked);
        assert_eq!(
            entry.sources,
            vec![
                "artificialanalysis",
                "evalplus",
                "lmarena",
                "modelsdev",
                "openrouter",
                "swebench"
            ]
        );
        let humaneval = entry
            .metric("evalplus", "coding", "humaneval_plus")
            .expect("value");
        assert_eq!(humaneval.selection, Selection::Only);
        assert_eq!(humaneval.match_method, "exact");
    }

    #[test]
    fn finds_models_by_id_alias_and_name() {
        let catalog = build(example_input(), None, 1, Utc::now());
        for name in [
            "acme/example-1",
            "ACME/Example-1",
            "example-1-20260101",
            "Example One",
        ] {
            assert_eq!(
                catalog.find(name).map(|entry| entry.model.id.as_str()),
                Some("acme/example-1"),
                "{name}"
            );
        }
        assert!(catalog.find("nobody").is_none());
    }

    #[test]
    fn coding_is_the_anchor_of_the_overall_score() {
        let catalog = build(example_input(), None, 1, Utc::now());
        let old = catalog.find("acme/old-1").expect("old");
        assert_eq!(old.metrics.len(), 1);
        close(old.metrics[0].value, 1200.0);
        // 200 points behind the arena leader.
        assert_eq!(old.tier, Some(ModelTier::Efficient));
        assert_eq!(old.components.coding, None);
        assert_eq!(old.default_overall, None);
        assert_eq!(old.default_rank, None);
        assert!(old.benchmarked);
        // Known only from a price: not benchmarked, no tier, not ranked.
        let price_only = catalog.find("acme/price-only").expect("price only");
        assert!(!price_only.benchmarked);
        assert_eq!(price_only.tier, None);
        assert_eq!(price_only.default_rank, None);
    }

    #[test]
    fn free_variants_are_a_flag_not_the_price() {
        let catalog = build(example_input(), None, 1, Utc::now());
        let llama = catalog.find("free/llama-3.3-70b").expect("llama");
        let price = llama.price().expect("price");
        assert!(!price.free, "{price:?}");
        assert_eq!(price.input, Some(0.12));
        assert_eq!(price.source_model_name, "free/llama-3.3-70b");
        assert!(llama.free_variant_available);
        // Price efficiency from the paid price, not 100.
        let value = llama.components.value.expect("value");
        assert!(value < 100.0, "{value}");
        assert_eq!(llama.default_rank, Some(2));
    }

    #[test]
    fn a_variant_gone_from_the_newest_snapshot_is_gone() {
        let mut input = example_input();
        // A later OpenRouter snapshot lists the paid model only.
        for metric in ["input_usd_per_mtok", "output_usd_per_mtok"] {
            let mut newer = observation(
                "free/llama-3.3-70b",
                "openrouter",
                "pricing",
                metric,
                "2026-02-01",
                0.2,
                None,
            );
            newer.source_model_name = "free/llama-3.3-70b".to_owned();
            input.observations.push(newer);
        }
        let catalog = build(input, None, 1, Utc::now());
        let llama = catalog.find("free/llama-3.3-70b").expect("llama");
        assert!(!llama.free_variant_available);
        assert_eq!(llama.price().and_then(|price| price.input), Some(0.2));
        // Example One's OpenRouter price is from an older snapshot now: models.dev's stays current.
        let example = catalog.find("acme/example-1").expect("example");
        assert_eq!(
            example.price().map(|price| price.source.as_str()),
            Some("modelsdev")
        );
    }

    #[test]
    fn display_names_are_unique() {
        let mut input = example_input();
        let mut twin = model("other/example-1", "Example One");
        twin.release_date = Some(date("2025-06-01"));
        input.models.push(twin);
        input.models[0].release_date = Some(date("2026-01-01"));
        let catalog = build(input, None, 1, Utc::now());
        let names: BTreeSet<&str> = catalog
            .entries
            .iter()
            .map(|entry| entry.display_name.as_str())
            .collect();
        assert_eq!(names.len(), catalog.entries.len());
        assert!(names.contains("Example One (2026-01-01)"), "{names:?}");
        assert!(names.contains("Example One (2025-06-01)"));
    }

    #[test]
    fn source_status_and_coverage() {
        let catalog = build(example_input(), None, 1, Utc::now());
        let lmarena = catalog
            .sources
            .iter()
            .find(|status| status.source == "lmarena")
            .expect("lmarena");
        assert!(lmarena.stale);
        assert_eq!(lmarena.reason, "upstream answered 503");
        assert_eq!(lmarena.last_good_snapshot, Some(date("2026-01-03")));
        assert_eq!(lmarena.newest_data_date, Some(date("2026-01-03")));
        assert_eq!(lmarena.model_count, 2);
        let livebench = catalog
            .sources
            .iter()
            .find(|status| status.source == "livebench")
            .expect("livebench");
        assert_eq!(livebench.availability, Availability::Unavailable);
        assert_eq!(livebench.reason, "licence pending");
        assert_eq!(catalog.benchmarks.len(), 1);
        let elo = &catalog.benchmarks[0];
        // Only the example model has a value in the newest snapshot.
        assert_eq!(elo.model_count, 1);
        assert_eq!(elo.unmatched_count, 2);
        assert!(elo.higher_is_better);
    }

    #[test]
    fn historical_catalogs_leave_out_models_not_released_yet() {
        let mut input = example_input();
        let mut late = model("acme/late", "Late");
        late.release_date = Some(date("2026-03-01"));
        input.models.push(late);
        let catalog = build(input, Some(date("2026-02-01")), 2, Utc::now());
        assert!(catalog.find("acme/late").is_none());
        assert!(catalog.contains_id("acme/old-1"));
        assert!(!catalog.contains_id("acme/late"));
    }
}
