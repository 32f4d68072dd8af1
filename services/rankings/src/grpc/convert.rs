//! Conversion of catalog values into response messages.

use benchhub_common::convert::{date_text, optional_timestamp, timestamp};
use benchhub_proto::pb;
use chrono::NaiveDate;

use crate::domain::catalog::{
    BenchmarkMetric, Catalog, Entry, MetricValue, Performance, Price, SourceStatus,
};
use crate::domain::grades::{CategoryDates, Freshness, Graded, PerformanceTier};
use crate::domain::query::RankedRow;
use crate::domain::scores::{Component, ComponentSet, Components};
use crate::domain::sources::Availability;
use crate::domain::tiers::ModelTier;

fn model_tier(tier: Option<ModelTier>) -> i32 {
    match tier {
        None => pb::ModelTier::Unspecified,
        Some(ModelTier::Frontier) => pb::ModelTier::Frontier,
        Some(ModelTier::Strong) => pb::ModelTier::Strong,
        Some(ModelTier::Efficient) => pb::ModelTier::Efficient,
    }
    .into()
}

fn performance_tier(tier: Option<PerformanceTier>) -> i32 {
    match tier {
        None => pb::PerformanceTier::Unspecified,
        Some(PerformanceTier::Fast) => pb::PerformanceTier::Fast,
        Some(PerformanceTier::Medium) => pb::PerformanceTier::Medium,
        Some(PerformanceTier::Slow) => pb::PerformanceTier::Slow,
    }
    .into()
}

fn freshness(grade: Option<Freshness>) -> i32 {
    match grade {
        None => pb::Freshness::Unspecified,
        Some(Freshness::Fresh) => pb::Freshness::Fresh,
        Some(Freshness::Aging) => pb::Freshness::Aging,
        Some(Freshness::Stale) => pb::Freshness::Stale,
    }
    .into()
}

fn component(component: Component) -> i32 {
    match component {
        Component::Coding => pb::ScoreComponent::Coding,
        Component::Performance => pb::ScoreComponent::Performance,
        Component::Value => pb::ScoreComponent::Value,
    }
    .into()
}

/// The components an overall score used, as enum values.
pub fn components_used(used: Option<ComponentSet>) -> Vec<i32> {
    used.map(|used| used.iter().map(component).collect())
        .unwrap_or_default()
}

/// Identity and metadata of an entry.
pub fn model_info(entry: &Entry) -> pb::ModelInfo {
    let model = &entry.model;
    pb::ModelInfo {
        id: model.id.clone(),
        display_name: entry.display_name.clone(),
        creator: model.creator.clone().unwrap_or_default(),
        family: model.family.clone().unwrap_or_default(),
        release_date: date_text(model.release_date),
        context_length: entry.context_length,
        open_weights: model.open_weights,
        tier: model_tier(entry.tier),
        first_seen_at: Some(timestamp(model.first_seen_at)),
        provisional: entry.provisional(),
    }
}

/// Component scores plus an overall score, with the intervals of the coding composite and the overall
/// score.
pub fn scores(
    components: &Components,
    overall: Option<f64>,
    coding_interval: Option<(f64, f64)>,
    overall_range: Option<(f64, f64)>,
) -> pb::Scores {
    pb::Scores {
        overall,
        coding: components.coding,
        performance: components.performance,
        value: components.value,
        coding_low: coding_interval.map(|(low, _)| low),
        coding_high: coding_interval.map(|(_, high)| high),
        overall_low: overall.and(overall_range).map(|(low, _)| low),
        overall_high: overall.and(overall_range).map(|(_, high)| high),
    }
}

/// One metric value.
pub fn metric_value(value: &MetricValue) -> pb::MetricValue {
    pb::MetricValue {
        source: value.source.clone(),
        category: value.category.clone(),
        metric: value.metric.clone(),
        value: value.value,
        ci_low: value.ci_low,
        ci_high: value.ci_high,
        sample_size: value.sample_size,
        normalized: value.normalized,
        snapshot_date: date_text(Some(value.snapshot_date)),
        unit: value.unit.clone(),
        data_date: date_text(Some(value.data_date)),
        source_model_name: value.source_model_name.clone(),
        match_method: value.match_method.clone(),
        selection: value.selection.describe(),
    }
}

/// One source's price.
pub fn price(price: &Price) -> pb::Price {
    pb::Price {
        input_usd_per_million: price.input,
        output_usd_per_million: price.output,
        free: price.free,
        source: price.source.clone(),
        snapshot_date: date_text(Some(price.snapshot_date)),
        free_variant_available: false,
        source_model_name: price.source_model_name.clone(),
    }
}

/// The model's own price, with whether a free variant exists.
pub fn model_price(entry: &Entry) -> Option<pb::Price> {
    entry.price().map(|chosen| pb::Price {
        free_variant_available: entry.free_variant_available,
        ..price(chosen)
    })
}

/// Speed measurements.
pub fn performance(performance: &Performance) -> pb::PerformanceMetrics {
    pb::PerformanceMetrics {
        ttft_seconds: performance.ttft_seconds,
        tokens_per_second: performance.tokens_per_second,
        quality_index: performance.quality_index,
        performance_tier: performance_tier(performance.tier),
        snapshot_date: date_text(Some(performance.snapshot_date)),
    }
}

fn freshness_info(graded: Option<Graded>) -> pb::FreshnessInfo {
    match graded {
        None => pb::FreshnessInfo::default(),
        Some(graded) => pb::FreshnessInfo {
            freshness: freshness(Some(graded.freshness)),
            newest_snapshot_date: date_text(Some(graded.newest)),
            age_days: Some(i32::try_from(graded.age_days).unwrap_or(i32::MAX)),
        },
    }
}

/// Freshness per category, graded at `reference`.
pub fn model_freshness(dates: &CategoryDates, reference: NaiveDate) -> pb::ModelFreshness {
    let graded = dates.grade(reference);
    pb::ModelFreshness {
        benchmarks: Some(freshness_info(graded.benchmarks)),
        performance: Some(freshness_info(graded.performance)),
        pricing: Some(freshness_info(graded.pricing)),
        overall: freshness(graded.overall),
    }
}

fn clamp_rank(rank: u32) -> i32 {
    i32::try_from(rank).unwrap_or(i32::MAX)
}

/// Which fields a ranked row carries (AIP-157 views).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowView {
    /// Ranks, scores, the model's id, name, creator and tier, prices, speed and freshness grades: the
    /// numbers a leaderboard shows, without provenance text.
    Basic,
    /// Everything: also the model's family, release date and first-seen time, the source and snapshot
    /// date of the price, speed and each freshness category, the list of sources, and every metric.
    Full,
}

/// One ranked row under `view`, with every metric in the full view.
pub fn ranking_row(
    catalog: &Catalog,
    row: &RankedRow,
    reference: NaiveDate,
    view: RowView,
) -> pb::RankingRow {
    let mut message = ranking_row_without_metrics(catalog, row, reference, view);
    if view == RowView::Full {
        message.metrics = catalog.entries[row.index]
            .metrics
            .iter()
            .map(metric_value)
            .collect();
    }
    message
}

/// One ranked row under `view` with an empty metrics list (the encoder appends cached metrics).
pub fn ranking_row_without_metrics(
    catalog: &Catalog,
    row: &RankedRow,
    reference: NaiveDate,
    view: RowView,
) -> pb::RankingRow {
    let entry = &catalog.entries[row.index];
    let mut message = pb::RankingRow {
        rank: clamp_rank(row.rank),
        previous_rank: row.previous_rank.map(clamp_rank),
        rank_change: row
            .rank_change()
            .map(|change| i32::try_from(change).unwrap_or(0)),
        new_entry: row.new_entry,
        model: Some(model_info(entry)),
        scores: Some(scores(
            &entry.components,
            row.overall.map(|(score, _)| score),
            entry.coding_interval,
            row.overall_range,
        )),
        components_used: components_used(row.overall.map(|(_, used)| used)),
        metrics: Vec::new(),
        price: model_price(entry),
        performance: entry.performance.as_ref().map(performance),
        freshness: Some(model_freshness(&entry.dates, reference)),
        sources: Vec::new(),
        coding_benchmarks: i32::try_from(entry.coding_benchmarks).unwrap_or(i32::MAX),
        family_size: i32::try_from(row.family_size).unwrap_or(i32::MAX),
        rank_best: row.rank_range.map(|(best, _)| clamp_rank(best)),
        rank_worst: row.rank_range.map(|(_, worst)| clamp_rank(worst)),
    };
    match view {
        RowView::Full => message.sources = entry.sources.clone(),
        RowView::Basic => strip_provenance(&mut message),
    }
    message
}

/// Clears what a basic row leaves out: the provenance text (most of a row's decoding cost is allocating
/// strings, and a leaderboard needs the numbers) and the per-category freshness.
fn strip_provenance(row: &mut pb::RankingRow) {
    if let Some(model) = row.model.as_mut() {
        model.family = String::new();
        model.release_date = String::new();
        model.first_seen_at = None;
    }
    if let Some(price) = row.price.as_mut() {
        price.source = String::new();
        price.snapshot_date = String::new();
        price.source_model_name = String::new();
    }
    if let Some(performance) = row.performance.as_mut() {
        performance.snapshot_date = String::new();
    }
    // How sure the rank is stays (rank_best, rank_worst); the score intervals behind it are drill-down.
    if let Some(scores) = row.scores.as_mut() {
        scores.coding_low = None;
        scores.coding_high = None;
        scores.overall_low = None;
        scores.overall_high = None;
    }
    // The overall grade stays (the leaderboard's column, what the freshness filter matches); the grade,
    // age and date per category are drill-down, three nested messages a row that a client decodes.
    if let Some(freshness) = row.freshness.as_mut() {
        freshness.benchmarks = None;
        freshness.performance = None;
        freshness.pricing = None;
    }
}

fn availability(availability: Availability) -> i32 {
    match availability {
        Availability::Live => pb::Availability::Live,
        Availability::Seed => pb::Availability::Seed,
        Availability::Unavailable => pb::Availability::Unavailable,
    }
    .into()
}

/// One source's status. Staleness by age is judged now, not when the catalog was built: LMArena data
/// refreshed more than 24 hours ago is served with a stale warning even if nothing was ingested since.
/// A catalog as of a past date reports the failures of its time only.
pub fn source_status(status: &SourceStatus, as_of: Option<chrono::NaiveDate>) -> pb::SourceStatus {
    let expired = if as_of.is_none() && !status.stale {
        benchhub_common::freshness::stale_reason(
            false,
            status.last_success_at,
            status.ttl,
            chrono::Utc::now(),
        )
    } else {
        None
    };
    pb::SourceStatus {
        source: status.source.clone(),
        availability: availability(status.availability),
        last_good_snapshot_date: date_text(status.last_good_snapshot),
        newest_data_date: date_text(status.newest_data_date),
        stale: status.stale || expired.is_some(),
        reason: expired.unwrap_or_else(|| status.reason.clone()),
        last_attempt_at: optional_timestamp(status.last_attempt_at),
        model_count: i32::try_from(status.model_count).unwrap_or(i32::MAX),
    }
}

/// Every source's status.
pub fn source_statuses(catalog: &Catalog) -> Vec<pb::SourceStatus> {
    catalog
        .sources
        .iter()
        .map(|status| source_status(status, catalog.as_of))
        .collect()
}

/// One metric's coverage.
pub fn benchmark_metric(metric: &BenchmarkMetric) -> pb::BenchmarkMetric {
    pb::BenchmarkMetric {
        source: metric.source.clone(),
        category: metric.category.clone(),
        metric: metric.metric.clone(),
        unit: metric.unit.clone(),
        higher_is_better: metric.higher_is_better,
        model_count: i32::try_from(metric.model_count).unwrap_or(i32::MAX),
        unmatched_count: i32::try_from(metric.unmatched_count).unwrap_or(i32::MAX),
        newest_snapshot_date: date_text(Some(metric.newest)),
        oldest_snapshot_date: date_text(Some(metric.oldest)),
        snapshot_count: i32::try_from(metric.snapshot_count).unwrap_or(i32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lmarena(refreshed_hours_ago: i64, stale: bool) -> SourceStatus {
        SourceStatus {
            source: "lmarena".to_owned(),
            availability: Availability::Live,
            reason: if stale {
                "upstream answered HTTP 503".to_owned()
            } else {
                String::new()
            },
            last_good_snapshot: None,
            newest_data_date: None,
            stale,
            last_attempt_at: None,
            last_success_at: Some(
                chrono::Utc::now() - chrono::Duration::hours(refreshed_hours_ago),
            ),
            ttl: Some(std::time::Duration::from_secs(24 * 3600)),
            model_count: 3,
        }
    }

    #[test]
    fn arena_data_older_than_a_day_is_served_with_a_stale_warning() {
        let fresh = source_status(&lmarena(23, false), None);
        assert!(!fresh.stale);
        assert!(fresh.reason.is_empty());
        let old = source_status(&lmarena(25, false), None);
        assert!(old.stale);
        assert!(
            old.reason.contains("older than the source's 24h TTL"),
            "{}",
            old.reason
        );
        // A failure's own reason wins; a catalog as of a past date does not age.
        let failed = source_status(&lmarena(25, true), None);
        assert_eq!(failed.reason, "upstream answered HTTP 503");
        let as_of = source_status(&lmarena(25, false), NaiveDate::from_ymd_opt(2026, 1, 1));
        assert!(!as_of.stale);
    }
}
