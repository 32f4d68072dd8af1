//! Freshness grades, performance tiers and the data category each metric's freshness counts towards.

use benchhub_common::vocabulary;
use chrono::NaiveDate;

/// Age grade of a piece of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Freshness {
    /// Younger than [`AGING_AFTER_DAYS`] days.
    Fresh,
    /// At least [`AGING_AFTER_DAYS`] and younger than [`STALE_AFTER_DAYS`] days.
    Aging,
    /// [`STALE_AFTER_DAYS`] days or older.
    Stale,
}

/// Data younger than this many days is fresh.
pub const AGING_AFTER_DAYS: i64 = 7;
/// Data this many days old or older is stale.
pub const STALE_AFTER_DAYS: i64 = 30;

impl Freshness {
    /// Grades data of `age_days` days.
    pub fn from_age(age_days: i64) -> Freshness {
        if age_days < AGING_AFTER_DAYS {
            Freshness::Fresh
        } else if age_days < STALE_AFTER_DAYS {
            Freshness::Aging
        } else {
            Freshness::Stale
        }
    }

    /// Returns the lowercase name used in CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Aging => "aging",
            Freshness::Stale => "stale",
        }
    }
}

/// Whole days from `snapshot` to `reference`, never negative.
pub fn age_days(snapshot: NaiveDate, reference: NaiveDate) -> i64 {
    (reference - snapshot).num_days().max(0)
}

/// The grade and age of data last seen on `newest`, measured at `reference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Graded {
    /// Newest snapshot date of the data.
    pub newest: NaiveDate,
    /// Whole days from `newest` to the reference date.
    pub age_days: i64,
    /// The grade.
    pub freshness: Freshness,
}

/// Grades data last seen on `newest` (none when there is no data).
pub fn grade(newest: Option<NaiveDate>, reference: NaiveDate) -> Option<Graded> {
    newest.map(|newest| {
        let age = age_days(newest, reference);
        Graded {
            newest,
            age_days: age,
            freshness: Freshness::from_age(age),
        }
    })
}

/// The data categories graded separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataCategory {
    /// Arena, coding and other quality benchmarks.
    Benchmarks,
    /// Time to first token, throughput and the quality index.
    Performance,
    /// Token prices.
    Pricing,
}

/// Returns the data category a metric's freshness counts towards; `None` for metadata and energy
/// estimates, which are not graded.
pub fn data_category(source: &str, category: &str, metric: &str) -> Option<DataCategory> {
    match category {
        vocabulary::PERFORMANCE => Some(DataCategory::Performance),
        vocabulary::PRICING => Some(DataCategory::Pricing),
        vocabulary::QUALITY
            if metric == vocabulary::QUALITY_INDEX && source == "artificialanalysis" =>
        {
            Some(DataCategory::Performance)
        }
        "metadata" | "energy" => None,
        _ => Some(DataCategory::Benchmarks),
    }
}

/// Newest snapshot date per data category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CategoryDates {
    /// Newest benchmark snapshot.
    pub benchmarks: Option<NaiveDate>,
    /// Newest performance snapshot.
    pub performance: Option<NaiveDate>,
    /// Newest pricing snapshot.
    pub pricing: Option<NaiveDate>,
}

impl CategoryDates {
    /// Records a snapshot date of a category, keeping the newest.
    pub fn observe(&mut self, category: DataCategory, date: NaiveDate) {
        let slot = match category {
            DataCategory::Benchmarks => &mut self.benchmarks,
            DataCategory::Performance => &mut self.performance,
            DataCategory::Pricing => &mut self.pricing,
        };
        if slot.is_none_or(|current| current < date) {
            *slot = Some(date);
        }
    }

    /// Grades every category at `reference`.
    pub fn grade(&self, reference: NaiveDate) -> ModelFreshness {
        let benchmarks = grade(self.benchmarks, reference);
        let performance = grade(self.performance, reference);
        let pricing = grade(self.pricing, reference);
        let overall = [benchmarks, performance, pricing]
            .into_iter()
            .flatten()
            .map(|graded| graded.freshness)
            .max();
        ModelFreshness {
            benchmarks,
            performance,
            pricing,
            overall,
        }
    }
}

/// A model's freshness per category and overall (the least fresh category with data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFreshness {
    /// Benchmarks grade.
    pub benchmarks: Option<Graded>,
    /// Performance grade.
    pub performance: Option<Graded>,
    /// Pricing grade.
    pub pricing: Option<Graded>,
    /// The least fresh grade among the categories with data.
    pub overall: Option<Freshness>,
}

/// Speed bucket by median time to first token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PerformanceTier {
    /// TTFT below [`FAST_BELOW_SECONDS`].
    Fast,
    /// TTFT from [`FAST_BELOW_SECONDS`] up to (not including) [`SLOW_FROM_SECONDS`].
    Medium,
    /// TTFT of [`SLOW_FROM_SECONDS`] or more.
    Slow,
}

/// TTFT below this is FAST.
pub const FAST_BELOW_SECONDS: f64 = 0.5;
/// TTFT of this or more is SLOW.
pub const SLOW_FROM_SECONDS: f64 = 2.0;

impl PerformanceTier {
    /// Buckets a TTFT in seconds.
    pub fn from_ttft(seconds: f64) -> PerformanceTier {
        if seconds < FAST_BELOW_SECONDS {
            PerformanceTier::Fast
        } else if seconds < SLOW_FROM_SECONDS {
            PerformanceTier::Medium
        } else {
            PerformanceTier::Slow
        }
    }

    /// Returns the lowercase name used in CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            PerformanceTier::Fast => "fast",
            PerformanceTier::Medium => "medium",
            PerformanceTier::Slow => "slow",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn freshness_thresholds() {
        assert_eq!(Freshness::from_age(0), Freshness::Fresh);
        assert_eq!(Freshness::from_age(6), Freshness::Fresh);
        assert_eq!(Freshness::from_age(7), Freshness::Aging);
        assert_eq!(Freshness::from_age(29), Freshness::Aging);
        assert_eq!(Freshness::from_age(30), Freshness::Stale);
        assert_eq!(Freshness::from_age(400), Freshness::Stale);
    }

    #[test]
    fn ages_are_whole_days_and_never_negative() {
        assert_eq!(age_days(date("2026-01-01"), date("2026-01-08")), 7);
        assert_eq!(age_days(date("2026-01-09"), date("2026-01-08")), 0);
    }

    #[test]
    fn overall_freshness_is_the_least_fresh_category_with_data() {
        let mut dates = CategoryDates::default();
        dates.observe(DataCategory::Benchmarks, date("2026-01-01"));
        dates.observe(DataCategory::Benchmarks, date("2026-01-05"));
        dates.observe(DataCategory::Pricing, date("2025-12-01"));
        let graded = dates.grade(date("2026-01-10"));
        let benchmarks = graded.benchmarks.expect("benchmarks");
        assert_eq!(benchmarks.newest, date("2026-01-05"));
        assert_eq!(benchmarks.age_days, 5);
        assert_eq!(benchmarks.freshness, Freshness::Fresh);
        assert_eq!(graded.performance, None);
        assert_eq!(
            graded.pricing.map(|graded| graded.freshness),
            Some(Freshness::Stale)
        );
        assert_eq!(graded.overall, Some(Freshness::Stale));
        assert_eq!(
            CategoryDates::default().grade(date("2026-01-10")).overall,
            None
        );
    }

    #[test]
    fn performance_tier_thresholds() {
        assert_eq!(PerformanceTier::from_ttft(0.0), PerformanceTier::Fast);
        assert_eq!(PerformanceTier::from_ttft(0.4), PerformanceTier::Fast);
        assert_eq!(PerformanceTier::from_ttft(0.5), PerformanceTier::Medium);
        assert_eq!(PerformanceTier::from_ttft(1.99), PerformanceTier::Medium);
        assert_eq!(PerformanceTier::from_ttft(2.0), PerformanceTier::Slow);
        assert_eq!(PerformanceTier::from_ttft(9.0), PerformanceTier::Slow);
    }

    #[test]
    fn metric_categories_map_onto_freshness_categories() {
        assert_eq!(
            data_category("artificialanalysis", "performance", "ttft_seconds"),
            Some(DataCategory::Performance)
        );
        assert_eq!(
            data_category("artificialanalysis", "quality", "intelligence_index"),
            Some(DataCategory::Performance)
        );
        assert_eq!(
            data_category("artificialanalysis", "quality", "gpqa"),
            Some(DataCategory::Benchmarks)
        );
        assert_eq!(
            data_category("openrouter", "pricing", "input_usd_per_mtok"),
            Some(DataCategory::Pricing)
        );
        assert_eq!(
            data_category("lmarena", "text", "elo"),
            Some(DataCategory::Benchmarks)
        );
        assert_eq!(
            data_category("evalplus", "coding", "humaneval_plus"),
            Some(DataCategory::Benchmarks)
        );
        assert_eq!(
            data_category("modelsdev", "metadata", "context_length"),
            None
        );
        assert_eq!(
            data_category("ecologits", "energy", "energy_kwh_per_request"),
            None
        );
    }
}
