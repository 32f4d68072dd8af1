//! Time series of a model's metrics across snapshot dates, and relative day labels.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::sources::FREE_VARIANT_SUFFIX;

/// One stored observation of the model, as read for its history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    /// Source name.
    pub source: String,
    /// Category.
    pub category: String,
    /// Metric.
    pub metric: String,
    /// Upstream model name.
    pub source_model_name: String,
    /// Snapshot date.
    pub snapshot_date: NaiveDate,
    /// Value as published.
    pub value: f64,
    /// Cohort-normalised value.
    pub normalized: Option<f64>,
    /// Lower CI bound.
    pub ci_low: Option<f64>,
    /// Upper CI bound.
    pub ci_high: Option<f64>,
    /// Unit.
    pub unit: Option<String>,
}

/// One point of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Snapshot date.
    pub snapshot_date: NaiveDate,
    /// Value.
    pub value: f64,
    /// Cohort-normalised value.
    pub normalized: Option<f64>,
    /// Lower CI bound.
    pub ci_low: Option<f64>,
    /// Upper CI bound.
    pub ci_high: Option<f64>,
}

/// The history of one (source, category, metric).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Source name.
    pub source: String,
    /// Category.
    pub category: String,
    /// Metric.
    pub metric: String,
    /// Unit (empty when unknown).
    pub unit: String,
    /// Points in ascending date order, one per date.
    pub points: Vec<Point>,
}

/// Groups records into series sorted by (source, category, metric), one point per date: when several
/// upstream names of the model have a value on the same date, the paid (not `:free`) variant wins, then
/// the smallest name.
pub fn series(records: Vec<HistoryRecord>) -> Vec<Series> {
    type Key = (String, String, String);
    let mut grouped: BTreeMap<Key, (String, BTreeMap<NaiveDate, HistoryRecord>)> = BTreeMap::new();
    for record in records {
        let key = (
            record.source.clone(),
            record.category.clone(),
            record.metric.clone(),
        );
        let (unit, points) = grouped.entry(key).or_default();
        if unit.is_empty()
            && let Some(text) = &record.unit
        {
            unit.clone_from(text);
        }
        let replace = match points.get(&record.snapshot_date) {
            None => true,
            Some(existing) => {
                let rank = |name: &str| (name.ends_with(FREE_VARIANT_SUFFIX), name.to_owned());
                rank(&record.source_model_name) < rank(&existing.source_model_name)
            }
        };
        if replace {
            points.insert(record.snapshot_date, record);
        }
    }
    grouped
        .into_iter()
        .map(|((source, category, metric), (unit, points))| Series {
            source,
            category,
            metric,
            unit,
            points: points
                .into_values()
                .map(|record| Point {
                    snapshot_date: record.snapshot_date,
                    value: record.value,
                    normalized: record.normalized,
                    ci_low: record.ci_low,
                    ci_high: record.ci_high,
                })
                .collect(),
        })
        .collect()
}

/// The newest model's label: "Latest: <name> (today)", "(yesterday)" or "(N days ago)".
pub fn latest_label(display_name: &str, days_ago: i64) -> String {
    format!("Latest: {display_name} ({})", relative_day_label(days_ago))
}

/// "today", "yesterday" or "N days ago".
pub fn relative_day_label(days_ago: i64) -> String {
    match days_ago {
        i64::MIN..=0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        days => format!("{days} days ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(metric: &str, name: &str, date: &str, value: f64) -> HistoryRecord {
        HistoryRecord {
            source: "openrouter".to_owned(),
            category: "pricing".to_owned(),
            metric: metric.to_owned(),
            source_model_name: name.to_owned(),
            snapshot_date: NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date"),
            value,
            normalized: None,
            ci_low: None,
            ci_high: None,
            unit: Some("usd/mtok".to_owned()),
        }
    }

    #[test]
    fn groups_sorts_and_prefers_paid_variants() {
        let series = series(vec![
            record("input_usd_per_mtok", "m:free", "2026-01-02", 0.0),
            record("input_usd_per_mtok", "m", "2026-01-02", 2.0),
            record("input_usd_per_mtok", "m", "2026-01-01", 3.0),
            record("output_usd_per_mtok", "m", "2026-01-01", 9.0),
        ]);
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].metric, "input_usd_per_mtok");
        assert_eq!(series[0].unit, "usd/mtok");
        let values: Vec<f64> = series[0].points.iter().map(|point| point.value).collect();
        assert_eq!(values, vec![3.0, 2.0]);
        assert_eq!(series[1].points.len(), 1);
    }

    #[test]
    fn day_labels() {
        assert_eq!(relative_day_label(0), "today");
        assert_eq!(relative_day_label(-1), "today");
        assert_eq!(relative_day_label(1), "yesterday");
        assert_eq!(relative_day_label(3), "3 days ago");
        assert_eq!(
            latest_label("Claude Opus 4.5", 3),
            "Latest: Claude Opus 4.5 (3 days ago)"
        );
        assert_eq!(latest_label("o3", 0), "Latest: o3 (today)");
    }
}
