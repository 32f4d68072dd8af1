//! Rankings queries: filters, AIP-132 ordering, ranks and rank changes over a catalog.

use std::cmp::Ordering;
use std::collections::HashMap;

use benchhub_common::vocabulary;
use chrono::NaiveDate;

use super::catalog::{Catalog, Entry};
use super::grades::{Freshness, PerformanceTier};
use super::scores::{self, ComponentSet, Weights};
use super::tiers::ModelTier;

/// Longest accepted search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Most values accepted in one repeated filter field.
pub const MAX_FILTER_VALUES: usize = 100;

/// Which models a query keeps. Every set field must match; empty lists match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Lowercase substring of id, names, creator, family or aliases.
    pub search: String,
    /// Lowercase creators (any).
    pub providers: Vec<String>,
    /// Observation categories (any).
    pub categories: Vec<String>,
    /// Open or closed weights.
    pub open_weights: Option<bool>,
    /// Minimum quality index.
    pub min_quality: Option<f64>,
    /// Maximum USD per million input tokens (free = 0).
    pub max_price: Option<f64>,
    /// Performance tiers (any).
    pub performance_tiers: Vec<PerformanceTier>,
    /// Overall freshness grades (any).
    pub freshness: Vec<Freshness>,
    /// Sources that must all have data.
    pub has_sources: Vec<String>,
    /// Capability tiers (any).
    pub tiers: Vec<ModelTier>,
    /// Minimum overall score under the query's weights.
    pub min_overall: Option<f64>,
    /// Also models without any benchmark (only prices and metadata).
    pub include_unbenchmarked: bool,
    /// Lowercase family ids (any).
    pub families: Vec<String>,
    /// Fewest coding benchmarks the coding composite must rest on.
    pub min_coding_benchmarks: Option<u32>,
}

impl Filter {
    /// The filter as explicit canonical text, for page-token fingerprints: every field by name in a
    /// fixed order, strings length-prefixed, numbers in Rust's shortest round-trip form. Two filters
    /// share a text only when they are equal (a new field must be added here; the test below fails
    /// until it is).
    pub fn canonical_text(&self) -> String {
        fn text(value: &str) -> String {
            format!("{}:{value}", value.len())
        }
        fn list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
            let items: Vec<String> = values.into_iter().map(text).collect();
            format!("[{}]", items.join(","))
        }
        fn number(value: Option<f64>) -> String {
            value.map_or_else(|| "-".to_owned(), |value| value.to_string())
        }
        let Filter {
            search,
            providers,
            categories,
            open_weights,
            min_quality,
            max_price,
            performance_tiers,
            freshness,
            has_sources,
            tiers,
            min_overall,
            include_unbenchmarked,
            families,
            min_coding_benchmarks,
        } = self;
        [
            format!("search={}", text(search)),
            format!("providers={}", list(providers.iter().map(String::as_str))),
            format!("categories={}", list(categories.iter().map(String::as_str))),
            format!(
                "open_weights={}",
                open_weights.map_or("-", |open| if open { "open" } else { "closed" })
            ),
            format!("min_quality={}", number(*min_quality)),
            format!("max_price={}", number(*max_price)),
            format!(
                "performance_tiers={}",
                list(performance_tiers.iter().map(|tier| tier.as_str()))
            ),
            format!(
                "freshness={}",
                list(freshness.iter().map(|grade| grade.as_str()))
            ),
            format!(
                "has_sources={}",
                list(has_sources.iter().map(String::as_str))
            ),
            format!("tiers={}", list(tiers.iter().map(|tier| tier.as_str()))),
            format!("min_overall={}", number(*min_overall)),
            format!("include_unbenchmarked={include_unbenchmarked}"),
            format!("families={}", list(families.iter().map(String::as_str))),
            format!(
                "min_coding_benchmarks={}",
                min_coding_benchmarks.map_or_else(|| "-".to_owned(), |count| count.to_string())
            ),
        ]
        .join(";")
    }

    /// Returns whether `entry`, whose overall score under the query's weights is `overall`, matches at
    /// `reference` (the date freshness is measured at).
    pub fn matches(&self, entry: &Entry, overall: Option<f64>, reference: NaiveDate) -> bool {
        if !self.include_unbenchmarked && !entry.benchmarked {
            return false;
        }
        if !self.search.is_empty() && !entry.search_text.contains(&self.search) {
            return false;
        }
        if !self.families.is_empty() && !self.families.contains(&entry.family_lower) {
            return false;
        }
        if let Some(minimum) = self.min_coding_benchmarks
            && entry.coding_benchmarks < minimum
        {
            return false;
        }
        if !self.providers.is_empty() && !self.providers.contains(&entry.creator_lower) {
            return false;
        }
        if !self.categories.is_empty()
            && !self
                .categories
                .iter()
                .any(|category| entry.categories.binary_search(category).is_ok())
        {
            return false;
        }
        if let Some(open) = self.open_weights
            && entry.model.open_weights != Some(open)
        {
            return false;
        }
        if let Some(minimum) = self.min_quality {
            let quality = entry
                .performance
                .and_then(|performance| performance.quality_index);
            if quality.is_none_or(|quality| quality < minimum) {
                return false;
            }
        }
        if let Some(maximum) = self.max_price {
            let price = entry
                .price()
                .and_then(super::catalog::Price::effective_input);
            if price.is_none_or(|price| price > maximum) {
                return false;
            }
        }
        if !self.performance_tiers.is_empty() {
            let tier = entry.performance.and_then(|performance| performance.tier);
            if tier.is_none_or(|tier| !self.performance_tiers.contains(&tier)) {
                return false;
            }
        }
        if !self.tiers.is_empty() && entry.tier.is_none_or(|tier| !self.tiers.contains(&tier)) {
            return false;
        }
        if !self.has_sources.is_empty()
            && !self
                .has_sources
                .iter()
                .all(|source| entry.sources.binary_search(source).is_ok())
        {
            return false;
        }
        if let Some(minimum) = self.min_overall
            && overall.is_none_or(|overall| overall < minimum)
        {
            return false;
        }
        if !self.freshness.is_empty() {
            let grade = entry.dates.grade(reference).overall;
            if grade.is_none_or(|grade| !self.freshness.contains(&grade)) {
                return false;
            }
        }
        true
    }
}

/// A field `order_by` may name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortField {
    /// Overall score under the request's weights.
    OverallScore,
    /// Coding composite.
    CodingScore,
    /// Performance score.
    PerformanceScore,
    /// Value score.
    ValueScore,
    /// previous_rank minus rank.
    RankChange,
    /// Canonical id.
    Id,
    /// Display name (case-insensitive).
    DisplayName,
    /// Creator (case-insensitive).
    Creator,
    /// Release date.
    ReleaseDate,
    /// Context length.
    ContextLength,
    /// Preferred input price (free = 0).
    InputPrice,
    /// Preferred output price (free = 0).
    OutputPrice,
    /// Time to first token.
    TtftSeconds,
    /// Output throughput.
    TokensPerSecond,
    /// Quality index.
    QualityIndex,
    /// Coding benchmarks the composite rests on.
    CodingBenchmarks,
    /// Any metric's latest raw value.
    Metric {
        /// Source name.
        source: String,
        /// Category.
        category: String,
        /// Metric name.
        metric: String,
    },
}

/// The plain field names `order_by` accepts, in documentation order.
pub const SORT_FIELDS: [(&str, SortField); 16] = [
    ("overall_score", SortField::OverallScore),
    ("coding_score", SortField::CodingScore),
    ("performance_score", SortField::PerformanceScore),
    ("value_score", SortField::ValueScore),
    ("rank_change", SortField::RankChange),
    ("id", SortField::Id),
    ("display_name", SortField::DisplayName),
    ("creator", SortField::Creator),
    ("release_date", SortField::ReleaseDate),
    ("context_length", SortField::ContextLength),
    ("input_price", SortField::InputPrice),
    ("output_price", SortField::OutputPrice),
    ("ttft_seconds", SortField::TtftSeconds),
    ("tokens_per_second", SortField::TokensPerSecond),
    ("quality_index", SortField::QualityIndex),
    ("coding_benchmarks", SortField::CodingBenchmarks),
];

/// One `order_by` term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortKey {
    /// The field.
    pub field: SortField,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// The default ordering: `overall_score desc`.
pub fn default_order() -> Vec<SortKey> {
    vec![SortKey {
        field: SortField::OverallScore,
        descending: true,
    }]
}

/// Lists the accepted fields for error messages.
pub fn allowed_fields() -> String {
    let names: Vec<&str> = SORT_FIELDS.iter().map(|(name, _)| *name).collect();
    format!(
        "{} and metric.SOURCE.CATEGORY.METRIC (e.g. metric.lmarena.text.elo)",
        names.join(", ")
    )
}

fn parse_field(name: &str) -> Result<SortField, String> {
    if let Some((_, field)) = SORT_FIELDS.iter().find(|(known, _)| *known == name) {
        return Ok(field.clone());
    }
    if let Some(path) = name.strip_prefix("metric.") {
        let parts: Vec<&str> = path.split('.').collect();
        if let [source, category, metric] = parts.as_slice()
            && vocabulary::find(source, category, metric).is_some()
        {
            return Ok(SortField::Metric {
                source: (*source).to_owned(),
                category: (*category).to_owned(),
                metric: (*metric).to_owned(),
            });
        }
        let known: Vec<String> = vocabulary::METRICS
            .iter()
            .map(|spec| format!("metric.{}.{}.{}", spec.source, spec.category, spec.metric))
            .collect();
        return Err(format!(
            "unknown metric '{name}'; allowed metrics: {}",
            known.join(", ")
        ));
    }
    Err(format!(
        "unknown field '{name}'; allowed fields: {}",
        allowed_fields()
    ))
}

/// Parses an AIP-132 `order_by` ("field [asc|desc], ..."); empty means [`default_order`].
pub fn parse_order_by(text: &str) -> Result<Vec<SortKey>, String> {
    if text.trim().is_empty() {
        return Ok(default_order());
    }
    if text.len() > 1000 {
        return Err("must be at most 1000 characters".to_owned());
    }
    let mut keys: Vec<SortKey> = Vec::new();
    for term in text.split(',') {
        let words: Vec<&str> = term.split_whitespace().collect();
        let (name, descending) = match words.as_slice() {
            [name] | [name, "asc"] => (*name, false),
            [name, "desc"] => (*name, true),
            [] => return Err("has an empty term; separate fields with single commas".to_owned()),
            [name, direction, ..] => {
                return Err(format!(
                    "'{name} {direction}' has an unknown direction; use 'asc' or 'desc' after the field name"
                ));
            }
        };
        let field = parse_field(name)?;
        if keys.iter().any(|key| key.field == field) {
            return Err(format!("names '{name}' twice"));
        }
        keys.push(SortKey { field, descending });
    }
    Ok(keys)
}

/// Renders sort keys back to canonical `order_by` text.
pub fn order_text(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|key| {
            let name = match &key.field {
                SortField::Metric {
                    source,
                    category,
                    metric,
                } => format!("metric.{source}.{category}.{metric}"),
                field => SORT_FIELDS
                    .iter()
                    .find(|(_, known)| known == field)
                    .map(|(name, _)| (*name).to_owned())
                    .unwrap_or_default(),
            };
            if key.descending {
                format!("{name} desc")
            } else {
                name
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value being sorted; missing values sort last in either direction.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SortValue<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
    Date(NaiveDate),
}

fn compare_values(left: SortValue<'_>, right: SortValue<'_>, descending: bool) -> Ordering {
    let ordering = match (left, right) {
        (SortValue::Missing, SortValue::Missing) => return Ordering::Equal,
        (SortValue::Missing, _) => return Ordering::Greater,
        (_, SortValue::Missing) => return Ordering::Less,
        (SortValue::Number(left), SortValue::Number(right)) => left.total_cmp(&right),
        (SortValue::Text(left), SortValue::Text(right)) => left.cmp(right),
        (SortValue::Date(left), SortValue::Date(right)) => left.cmp(&right),
        _ => Ordering::Equal,
    };
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

fn number(value: Option<f64>) -> SortValue<'static> {
    value.map_or(SortValue::Missing, SortValue::Number)
}

fn sort_value<'a>(
    entry: &'a Entry,
    overall: Option<f64>,
    rank_change: Option<i64>,
    field: &SortField,
) -> SortValue<'a> {
    match field {
        SortField::OverallScore => number(overall),
        SortField::CodingScore => number(entry.components.coding),
        SortField::PerformanceScore => number(entry.components.performance),
        SortField::ValueScore => number(entry.components.value),
        SortField::RankChange => number(rank_change.map(|change| change as f64)),
        SortField::Id => SortValue::Text(&entry.model.id),
        SortField::DisplayName => SortValue::Text(&entry.display_name_lower),
        SortField::Creator => {
            if entry.creator_lower.is_empty() {
                SortValue::Missing
            } else {
                SortValue::Text(&entry.creator_lower)
            }
        }
        SortField::ReleaseDate => entry
            .model
            .release_date
            .map_or(SortValue::Missing, SortValue::Date),
        SortField::ContextLength => number(entry.context_length.map(|tokens| tokens as f64)),
        SortField::InputPrice => number(
            entry
                .price()
                .and_then(super::catalog::Price::effective_input),
        ),
        SortField::OutputPrice => number(
            entry
                .price()
                .and_then(|price| if price.free { Some(0.0) } else { price.output }),
        ),
        SortField::TtftSeconds => number(
            entry
                .performance
                .and_then(|performance| performance.ttft_seconds),
        ),
        SortField::TokensPerSecond => number(
            entry
                .performance
                .and_then(|performance| performance.tokens_per_second),
        ),
        SortField::QualityIndex => number(
            entry
                .performance
                .and_then(|performance| performance.quality_index),
        ),
        SortField::CodingBenchmarks => SortValue::Number(f64::from(entry.coding_benchmarks)),
        SortField::Metric {
            source,
            category,
            metric,
        } => number(
            entry
                .metric(source, category, metric)
                .map(|value| value.value),
        ),
    }
}

/// What a rankings query asks for, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingQuery {
    /// Which models.
    pub filter: Filter,
    /// Ordering.
    pub order: Vec<SortKey>,
    /// Normalised weights.
    pub weights: Weights,
    /// One row per family (its best under the ordering).
    pub group_by_family: bool,
}

/// One ranked model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankedRow {
    /// Index into the catalog's entries.
    pub index: usize,
    /// Overall score under the query's weights and the components used.
    pub overall: Option<(f64, ComponentSet)>,
    /// 1-based position under the ordering without rank_change terms.
    pub rank: u32,
    /// Position on the earlier date, when ranked then.
    pub previous_rank: Option<u32>,
    /// Whether the model was not in the earlier catalog at all.
    pub new_entry: bool,
    /// With family grouping: models of the row's family that matched (0 without grouping).
    pub family_size: u32,
    /// 95% range of the overall score under the query's weights.
    pub overall_range: Option<(f64, f64)>,
    /// Best and worst rank the overall range allows among the listed rows, when ranked by overall
    /// score.
    pub rank_range: Option<(u32, u32)>,
}

impl RankedRow {
    /// previous_rank minus rank (positive: moved up).
    pub fn rank_change(&self) -> Option<i64> {
        self.previous_rank
            .map(|previous| i64::from(previous) - i64::from(self.rank))
    }
}

/// Ranks the filtered entries of `catalog` (whose data is measured at `reference`) and returns them
/// in order, without previous ranks.
fn rank_catalog(
    catalog: &Catalog,
    query: &RankingQuery,
    base_order: &[SortKey],
    reference: NaiveDate,
) -> Vec<RankedRow> {
    let mut rows: Vec<RankedRow> = catalog
        .entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            let overall = scores::overall(&entry.components, &query.weights);
            query
                .filter
                .matches(entry, overall.map(|(score, _)| score), reference)
                .then_some(RankedRow {
                    index,
                    overall,
                    rank: 0,
                    previous_rank: None,
                    new_entry: false,
                    family_size: 0,
                    overall_range: scores::overall_range(
                        &entry.components,
                        entry.coding_error,
                        &query.weights,
                    ),
                    rank_range: None,
                })
        })
        .collect();
    sort_rows(catalog, &mut rows, base_order);
    if query.group_by_family {
        group_by_family(catalog, &mut rows);
    }
    for (position, row) in rows.iter_mut().enumerate() {
        row.rank = position as u32 + 1;
    }
    // How sure a rank by overall score is: the 95% range of its rank among the listed rows when their
    // scores are drawn within their errors.
    if base_order.first()
        == Some(&SortKey {
            field: SortField::OverallScore,
            descending: true,
        })
    {
        let scored: Vec<Option<(f64, f64)>> = rows
            .iter()
            .map(|row| {
                let entry = &catalog.entries[row.index];
                let (score, _) = row.overall?;
                let error =
                    scores::overall_error(&entry.components, entry.coding_error, &query.weights)?;
                Some((score, error))
            })
            .collect();
        let draws = scores::rank_draws(scored.len());
        for (row, range) in rows.iter_mut().zip(scores::rank_ranges(&scored, draws)) {
            row.rank_range = range;
        }
    }
    rows
}

/// Keeps the first (best under the ordering) row of each family and counts the family's rows; models
/// without a family stay rows of their own.
fn group_by_family(catalog: &Catalog, rows: &mut Vec<RankedRow>) {
    let mut sizes: HashMap<&str, u32> = HashMap::new();
    for row in rows.iter() {
        let family = catalog.entries[row.index].family_lower.as_str();
        if !family.is_empty() {
            *sizes.entry(family).or_default() += 1;
        }
    }
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    rows.retain_mut(|row| {
        let family = catalog.entries[row.index].family_lower.as_str();
        if family.is_empty() {
            row.family_size = 1;
            return true;
        }
        row.family_size = sizes.get(family).copied().unwrap_or(1);
        seen.insert(family)
    });
}

/// Sorts rows by `order`, ties broken by id. The sort values are extracted once into a flat vector
/// first, so comparisons touch compact memory instead of whole entries; entries are stored sorted by id,
/// so the entry index stands in for the id as the final tie-breaker.
fn sort_rows(catalog: &Catalog, rows: &mut Vec<RankedRow>, order: &[SortKey]) {
    let width = order.len();
    let mut values: Vec<SortValue<'_>> = Vec::with_capacity(rows.len() * width);
    for row in rows.iter() {
        let entry = &catalog.entries[row.index];
        let overall = row.overall.map(|(score, _)| score);
        let rank_change = row.rank_change();
        for key in order {
            values.push(sort_value(entry, overall, rank_change, &key.field));
        }
    }
    let mut positions: Vec<usize> = (0..rows.len()).collect();
    positions.sort_unstable_by(|&left, &right| {
        let left_values = &values[left * width..(left + 1) * width];
        let right_values = &values[right * width..(right + 1) * width];
        for ((left_value, right_value), key) in left_values.iter().zip(right_values).zip(order) {
            let ordering = compare_values(*left_value, *right_value, key.descending);
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        rows[left].index.cmp(&rows[right].index)
    });
    let sorted: Vec<RankedRow> = positions.iter().map(|&position| rows[position]).collect();
    *rows = sorted;
}

/// Ranks `catalog` (measured at `reference`) under `query`. With `previous` (an earlier catalog and its
/// reference date) each row also gets its rank there under the same filter and ordering. Ranks come from
/// the ordering without `rank_change` terms (`overall_score desc` when nothing else is left); rows are
/// returned in the full ordering.
pub fn rank(
    catalog: &Catalog,
    query: &RankingQuery,
    reference: NaiveDate,
    previous: Option<(&Catalog, NaiveDate)>,
) -> Vec<RankedRow> {
    let mut base_order: Vec<SortKey> = query
        .order
        .iter()
        .filter(|key| key.field != SortField::RankChange)
        .cloned()
        .collect();
    if base_order.is_empty() {
        base_order = default_order();
    }
    let mut rows = rank_catalog(catalog, query, &base_order, reference);
    if let Some((earlier, earlier_reference)) = previous {
        let earlier_rows = rank_catalog(earlier, query, &base_order, earlier_reference);
        let earlier_ranks: HashMap<&str, u32> = earlier_rows
            .iter()
            .map(|row| (earlier.entries[row.index].model.id.as_str(), row.rank))
            .collect();
        for row in &mut rows {
            let id = catalog.entries[row.index].model.id.as_str();
            row.previous_rank = earlier_ranks.get(id).copied();
            row.new_entry = !earlier.contains_id(id);
        }
    }
    if query.order.len() != base_order.len() || query.order != base_order {
        sort_rows(catalog, &mut rows, &query.order);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_field_changes_the_canonical_text() {
        let base = Filter::default();
        let changed = [
            Filter {
                search: "gpt".to_owned(),
                ..Filter::default()
            },
            Filter {
                providers: vec!["openai".to_owned()],
                ..Filter::default()
            },
            Filter {
                categories: vec!["coding".to_owned()],
                ..Filter::default()
            },
            Filter {
                open_weights: Some(false),
                ..Filter::default()
            },
            Filter {
                min_quality: Some(0.1),
                ..Filter::default()
            },
            Filter {
                max_price: Some(0.0),
                ..Filter::default()
            },
            Filter {
                performance_tiers: vec![PerformanceTier::Fast],
                ..Filter::default()
            },
            Filter {
                freshness: vec![Freshness::Fresh],
                ..Filter::default()
            },
            Filter {
                has_sources: vec!["lmarena".to_owned()],
                ..Filter::default()
            },
            Filter {
                tiers: vec![ModelTier::Frontier],
                ..Filter::default()
            },
            Filter {
                min_overall: Some(50.0),
                ..Filter::default()
            },
            Filter {
                include_unbenchmarked: true,
                ..Filter::default()
            },
            Filter {
                families: vec!["gpt-4o".to_owned()],
                ..Filter::default()
            },
            Filter {
                min_coding_benchmarks: Some(2),
                ..Filter::default()
            },
        ];
        let mut texts = std::collections::BTreeSet::new();
        texts.insert(base.canonical_text());
        for filter in &changed {
            assert!(texts.insert(filter.canonical_text()), "{filter:?}");
        }
        // Values cannot run into each other: ["a,b"] differs from ["a", "b"].
        let joined = Filter {
            providers: vec!["a,b".to_owned()],
            ..Filter::default()
        };
        let split = Filter {
            providers: vec!["a".to_owned(), "b".to_owned()],
            ..Filter::default()
        };
        assert_ne!(joined.canonical_text(), split.canonical_text());
        assert_eq!(base.canonical_text(), Filter::default().canonical_text());
    }
    use crate::domain::catalog::build;
    use crate::domain::catalog::tests::{date, example_input, model, observation};
    use chrono::Utc;

    fn query(order_by: &str) -> RankingQuery {
        RankingQuery {
            filter: Filter::default(),
            order: parse_order_by(order_by).expect("valid order"),
            weights: Weights::DEFAULT,
            group_by_family: false,
        }
    }

    fn ids(catalog: &Catalog, rows: &[RankedRow]) -> Vec<String> {
        rows.iter()
            .map(|row| catalog.entries[row.index].model.id.clone())
            .collect()
    }

    #[test]
    fn parses_aip_132_ordering() {
        assert_eq!(parse_order_by("").expect("empty"), default_order());
        let keys = parse_order_by("coding_score desc,  display_name , metric.lmarena.text.elo asc")
            .expect("valid");
        assert_eq!(keys.len(), 3);
        assert!(keys[0].descending);
        assert_eq!(keys[1].field, SortField::DisplayName);
        assert!(!keys[1].descending);
        assert_eq!(
            order_text(&keys),
            "coding_score desc, display_name, metric.lmarena.text.elo"
        );
    }

    #[test]
    fn rejects_unknown_fields_listing_the_allowed_ones() {
        let error = parse_order_by("popularity desc").unwrap_err();
        assert!(error.contains("unknown field 'popularity'"), "{error}");
        assert!(error.contains("overall_score"), "{error}");
        assert!(error.contains("metric.SOURCE.CATEGORY.METRIC"), "{error}");
        let error = parse_order_by("metric.lmarena.text.nope").unwrap_err();
        assert!(error.contains("metric.lmarena.text.elo"), "{error}");
        assert!(
            parse_order_by("id sideways")
                .unwrap_err()
                .contains("'asc' or 'desc'")
        );
        assert!(parse_order_by("id,,display_name").is_err());
        assert!(parse_order_by("id, id desc").unwrap_err().contains("twice"));
    }

    #[test]
    fn default_order_ranks_by_overall_with_missing_last_and_id_ties() {
        let catalog = build(example_input(), None, 1, Utc::now());
        let rows = rank(&catalog, &query(""), date("2026-01-10"), None);
        assert_eq!(
            ids(&catalog, &rows),
            vec!["acme/example-1", "free/llama-3.3-70b", "acme/old-1"]
        );
        assert_eq!(
            rows.iter().map(|row| row.rank).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        // Ascending still puts the model without a score last.
        let rows = rank(
            &catalog,
            &query("overall_score asc"),
            date("2026-01-10"),
            None,
        );
        assert_eq!(
            ids(&catalog, &rows),
            vec!["free/llama-3.3-70b", "acme/example-1", "acme/old-1"]
        );
    }

    #[test]
    fn filters_combine() {
        let catalog = build(example_input(), None, 1, Utc::now());
        let reference = date("2026-01-10");
        let run = |filter: Filter| {
            let query = RankingQuery {
                filter,
                order: default_order(),
                weights: Weights::DEFAULT,
                group_by_family: false,
            };
            ids(&catalog, &rank(&catalog, &query, reference, None))
        };
        assert_eq!(
            run(Filter {
                search: "example".to_owned(),
                ..Filter::default()
            }),
            vec!["acme/example-1"]
        );
        assert_eq!(
            run(Filter {
                search: "20260101".to_owned(),
                ..Filter::default()
            }),
            vec!["acme/example-1"]
        );
        assert_eq!(
            run(Filter {
                providers: vec!["acme".to_owned()],
                ..Filter::default()
            }),
            vec!["acme/example-1", "acme/old-1"]
        );
        assert_eq!(
            run(Filter {
                max_price: Some(1.0),
                ..Filter::default()
            }),
            vec!["free/llama-3.3-70b"]
        );
        assert_eq!(
            run(Filter {
                min_quality: Some(80.0),
                performance_tiers: vec![PerformanceTier::Fast],
                ..Filter::default()
            }),
            vec!["acme/example-1"]
        );
        assert_eq!(
            run(Filter {
                categories: vec!["coding".to_owned()],
                ..Filter::default()
            }),
            vec!["acme/example-1", "free/llama-3.3-70b"]
        );
        assert_eq!(
            run(Filter {
                has_sources: vec!["lmarena".to_owned(), "swebench".to_owned()],
                ..Filter::default()
            }),
            vec!["acme/example-1"]
        );
        assert_eq!(
            run(Filter {
                freshness: vec![Freshness::Stale],
                ..Filter::default()
            }),
            vec!["acme/old-1"]
        );
        assert_eq!(
            run(Filter {
                tiers: vec![ModelTier::Efficient],
                ..Filter::default()
            }),
            vec!["free/llama-3.3-70b", "acme/old-1"]
        );
        assert_eq!(
            run(Filter {
                min_overall: Some(70.0),
                ..Filter::default()
            }),
            vec!["acme/example-1"]
        );
    }

    #[test]
    fn custom_weights_reorder() {
        let catalog = build(example_input(), None, 1, Utc::now());
        let value_only = RankingQuery {
            filter: Filter::default(),
            order: default_order(),
            weights: Weights {
                coding: 0.0,
                performance: 0.0,
                value: 1.0,
            },
            group_by_family: false,
        };
        let rows = rank(&catalog, &value_only, date("2026-01-10"), None);
        let values: Vec<f64> = rows
            .iter()
            .filter_map(|row| row.overall.map(|(score, _)| score))
            .collect();
        assert!(values.len() >= 2);
        assert!(
            values.windows(2).all(|pair| pair[0] >= pair[1]),
            "{values:?}"
        );
        for row in rows.iter().filter(|row| row.overall.is_some()) {
            let value = catalog.entries[row.index].components.value;
            assert_eq!(row.overall.map(|(score, _)| score), value);
        }
        let coding_only = RankingQuery {
            weights: Weights {
                coding: 1.0,
                performance: 0.0,
                value: 0.0,
            },
            ..value_only
        };
        let rows = rank(&catalog, &coding_only, date("2026-01-10"), None);
        assert_eq!(catalog.entries[rows[0].index].model.id, "acme/example-1");
        let (score, used) = rows[0].overall.expect("overall");
        let coding = catalog.entries[rows[0].index]
            .components
            .coding
            .expect("coding");
        assert!((score - coding).abs() < 1e-9);
        assert_eq!(used.iter().count(), 1);
        // The old model has no coding score, so no overall under coding-only weights.
        assert_eq!(catalog.entries[rows[2].index].model.id, "acme/old-1");
        assert_eq!(rows[2].overall, None);
    }

    #[test]
    fn rank_change_against_an_earlier_catalog() {
        let now = build(example_input(), None, 1, Utc::now());
        let mut earlier_input = example_input();
        earlier_input.models.push(model("acme/gone", "Gone"));
        earlier_input.observations.retain(|observation| {
            observation.model_id != "free/llama-3.3-70b" && observation.source != "openrouter"
        });
        earlier_input.observations.push(observation(
            "acme/gone",
            "evalplus",
            "coding",
            "humaneval_plus",
            "2025-12-01",
            99.0,
            Some(100.0),
        ));
        earlier_input
            .models
            .retain(|model| model.id != "free/llama-3.3-70b");
        let earlier = build(earlier_input, Some(date("2025-12-31")), 2, Utc::now());
        let rows = rank(
            &now,
            &query("overall_score desc"),
            date("2026-01-10"),
            Some((&earlier, date("2025-12-31"))),
        );
        let by_id: HashMap<String, RankedRow> = rows
            .iter()
            .map(|row| (now.entries[row.index].model.id.clone(), *row))
            .collect();
        let example = by_id["acme/example-1"];
        assert_eq!(example.rank, 1);
        assert_eq!(example.previous_rank, Some(2));
        assert_eq!(example.rank_change(), Some(1));
        assert!(!example.new_entry);
        let free = by_id["free/llama-3.3-70b"];
        assert_eq!(free.previous_rank, None);
        assert!(free.new_entry);
        let rows = rank(
            &now,
            &query("rank_change desc"),
            date("2026-01-10"),
            Some((&earlier, date("2025-12-31"))),
        );
        assert_eq!(now.entries[rows[0].index].model.id, "acme/example-1");
        assert_eq!(rows[0].rank, 1);
    }

    #[test]
    fn orders_by_metrics_and_text() {
        let catalog = build(example_input(), None, 1, Utc::now());
        let rows = rank(
            &catalog,
            &query("metric.lmarena.text.elo"),
            date("2026-01-10"),
            None,
        );
        assert_eq!(
            ids(&catalog, &rows),
            vec!["acme/old-1", "acme/example-1", "free/llama-3.3-70b"]
        );
        let rows = rank(
            &catalog,
            &query("display_name desc"),
            date("2026-01-10"),
            None,
        );
        assert_eq!(
            ids(&catalog, &rows),
            vec!["acme/old-1", "free/llama-3.3-70b", "acme/example-1"]
        );
        let rows = rank(&catalog, &query("input_price"), date("2026-01-10"), None);
        assert_eq!(
            ids(&catalog, &rows),
            vec!["free/llama-3.3-70b", "acme/example-1", "acme/old-1"]
        );
    }
}
