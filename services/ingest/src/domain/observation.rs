//! What adapters produce: observations (one value of one metric for one upstream model on one date)
//! and model metadata records, plus the rules applied to them before they are stored.

use std::collections::{HashMap, HashSet};

use benchhub_common::vocabulary::{self, Direction};
use chrono::NaiveDate;

use crate::domain::adapters::ParseError;

/// One parsed upstream value.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedObservation {
    /// Category (`text`, `coding`, `pricing`, …), as in the shared metric vocabulary.
    pub category: String,
    /// Metric name, as in the shared metric vocabulary.
    pub metric: String,
    /// The model (or system) name exactly as the upstream spells it; part of the natural key.
    pub source_model_name: String,
    /// The name to match against the catalog when it differs from `source_model_name` (e.g. the
    /// `Model:` tag of a SWE-bench system); `None` means match `source_model_name`.
    pub match_name: Option<String>,
    /// Snapshot date: the upstream's publish date when it has one, else the day of the fetch. With the
    /// natural key it keys the history.
    pub snapshot_date: NaiveDate,
    /// When the upstream measured or published the value, when the payload says (a publish date, an
    /// entry's date, the document's Last-Modified); `None` lets the pipeline use the first snapshot in
    /// which the value appeared.
    pub data_date: Option<NaiveDate>,
    /// The value, in the metric's unit.
    pub value: f64,
    /// Lower bound of the confidence interval or range, if any.
    pub ci_low: Option<f64>,
    /// Upper bound of the confidence interval or range, if any.
    pub ci_high: Option<f64>,
    /// Votes, problems or tasks behind the value, if known.
    pub sample_size: Option<i64>,
    /// Upstream details worth keeping (organisation, licence, tags, window…).
    pub extra: Option<serde_json::Value>,
}

impl ParsedObservation {
    /// Creates an observation with only the required fields.
    pub fn new(
        category: &str,
        metric: &str,
        source_model_name: &str,
        snapshot_date: NaiveDate,
        value: f64,
    ) -> Self {
        Self {
            category: category.to_owned(),
            metric: metric.to_owned(),
            source_model_name: source_model_name.to_owned(),
            match_name: None,
            snapshot_date,
            data_date: None,
            value,
            ci_low: None,
            ci_high: None,
            sample_size: None,
            extra: None,
        }
    }

    /// The name the matcher should use.
    pub fn name_to_match(&self) -> &str {
        self.match_name
            .as_deref()
            .unwrap_or(&self.source_model_name)
    }
}

/// Who describes a model in a [`ModelRecord`], which decides what the record may do to the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// The lab's own catalog entry (models.dev first-party providers): creates models and overwrites
    /// open weights, widens release date and context length.
    FirstParty,
    /// A catalog listing callable models (OpenRouter): creates models and fills gaps only.
    Catalog,
    /// A benchmark board naming a model no catalog lists (an open model on EvalPlus): creates a
    /// provisional model when nothing else matches and never changes an existing one.
    Benchmark,
}

/// Metadata about a model: from a metadata source (models.dev, OpenRouter), or what a benchmark board
/// says of a model it ranks.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    /// The upstream's spelling, matched against the catalog like any model name; a model created from
    /// the record takes its id and identity from it.
    pub upstream_name: String,
    /// Who describes the model.
    pub kind: RecordKind,
    /// Creator: the canonical slug for metadata records (`openai`), an organisation hint for benchmark
    /// records (arena organisation, Hugging Face owner, link host), which may be absent.
    pub creator: Option<String>,
    /// Human-readable name.
    pub display_name: String,
    /// Release date (for benchmark records: when the upstream dates the model, if it does).
    pub release_date: Option<NaiveDate>,
    /// For benchmark records: the data date of the values the board gives the model, which picks the
    /// version an undated name means (as for the values themselves).
    pub observed_on: Option<NaiveDate>,
    /// Context window in tokens.
    pub context_length: Option<i32>,
    /// Whether the weights are published.
    pub open_weights: Option<bool>,
}

impl ModelRecord {
    /// A benchmark record: the board's spelling with an optional organisation hint.
    pub fn benchmark(upstream_name: &str, creator_hint: Option<String>) -> Self {
        Self {
            upstream_name: upstream_name.to_owned(),
            kind: RecordKind::Benchmark,
            creator: creator_hint,
            display_name: upstream_name.to_owned(),
            release_date: None,
            observed_on: None,
            context_length: None,
            open_weights: None,
        }
    }
}

/// Everything parsed from one source's documents.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Observations, at most one per natural key.
    pub observations: Vec<ParsedObservation>,
    /// Model metadata records.
    pub models: Vec<ModelRecord>,
    /// Upstream records (rows, entries, files) that could not be used.
    pub failed: usize,
    /// Upstream values deliberately not stored (e.g. "-1" router prices, zero "no measurement" speeds).
    pub skipped: usize,
    /// The first few failure reasons, for logs and the run's error.
    pub failures: Vec<String>,
    /// Upstream records seen (for the drift check).
    pub records: usize,
    /// Names [`Parsed::describe_benchmark_model`] already recorded.
    described: HashSet<String>,
}

impl Parsed {
    /// Counts one unusable record, keeping its reason when it is among the first few.
    pub fn fail(&mut self, reason: impl Into<String>) {
        self.failed += 1;
        if self.failures.len() < 5 {
            self.failures.push(reason.into());
        }
    }

    /// Checks the share of unusable records: when none is usable, or more than half fail, the
    /// upstream has drifted and the whole payload is rejected rather than half-applied.
    /// Observations with a non-finite value or bound (an overflowing average, a `NaN` cell) are
    /// dropped first and counted as unusable.
    pub fn check_drift(mut self) -> Result<Self, ParseError> {
        let finite = |observation: &ParsedObservation| {
            [
                Some(observation.value),
                observation.ci_low,
                observation.ci_high,
            ]
            .into_iter()
            .flatten()
            .all(f64::is_finite)
        };
        let (kept, dropped): (Vec<_>, Vec<_>) = std::mem::take(&mut self.observations)
            .into_iter()
            .partition(finite);
        self.observations = kept;
        for observation in dropped {
            self.fail(format!(
                "{} {}/{}: value is not a finite number",
                observation.source_model_name, observation.category, observation.metric
            ));
        }
        let total = self.records.max(self.failed);
        let unusable = self.observations.is_empty() && self.models.is_empty();
        if self.failed > 0 && (unusable || self.failed * 2 > total) {
            return Err(ParseError::SchemaDrift {
                failed: self.failed,
                total,
                first: self.failures.first().cloned().unwrap_or_default(),
            });
        }
        if unusable && total == 0 {
            return Err(ParseError::SchemaDrift {
                failed: 0,
                total: 0,
                first: "no records found".to_owned(),
            });
        }
        Ok(self)
    }

    /// Drops repeated natural keys (keeping the last) and returns how many were dropped.
    pub fn deduplicate(&mut self) -> usize {
        let mut seen = HashSet::new();
        let before = self.observations.len();
        let mut kept: Vec<ParsedObservation> = Vec::with_capacity(before);
        for observation in self.observations.drain(..).rev() {
            let key = (
                observation.category.clone(),
                observation.metric.clone(),
                observation.source_model_name.clone(),
                observation.snapshot_date,
            );
            if seen.insert(key) {
                kept.push(observation);
            }
        }
        kept.reverse();
        self.observations = kept;
        before - self.observations.len()
    }

    /// Adds a benchmark record for `name` (once per name): the board's spelling and an organisation
    /// hint, so that a model no catalog lists becomes a provisional model of its own.
    pub fn describe_benchmark_model(
        &mut self,
        name: &str,
        creator_hint: Option<String>,
        release_date: Option<NaiveDate>,
        observed_on: Option<NaiveDate>,
    ) {
        if !self.described.insert(name.to_owned()) {
            return;
        }
        let mut record = ModelRecord::benchmark(name, creator_hint);
        record.release_date = release_date;
        record.observed_on = observed_on;
        self.models.push(record);
    }

    /// Distinct upstream names to match (match names where given).
    pub fn model_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .observations
            .iter()
            .map(|observation| observation.name_to_match().to_owned())
            .chain(self.models.iter().map(|model| model.upstream_name.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        names.sort();
        names
    }
}

/// Release dates of the catalog records (models.dev, OpenRouter) by upstream name: an undated catalog
/// id resolves to the version current on its release date, not on the day it was fetched.
pub fn catalog_release_dates(records: &[ModelRecord]) -> HashMap<&str, NaiveDate> {
    records
        .iter()
        .filter(|record| record.kind != RecordKind::Benchmark)
        .filter_map(|record| Some((record.upstream_name.as_str(), record.release_date?)))
        .collect()
}

/// Rescales `value` to 0–100 within a cohort spanning `low..=high`, best = 100 by direction;
/// `None` for neutral metrics. The same arithmetic runs in SQL, so both agree bit for bit.
pub fn normalized_value(direction: Direction, value: f64, low: f64, high: f64) -> Option<f64> {
    let scaled = match direction {
        Direction::Neutral => return None,
        _ if high <= low => 100.0,
        Direction::HigherIsBetter => (value - low) / (high - low) * 100.0,
        Direction::LowerIsBetter => (high - value) / (high - low) * 100.0,
    };
    Some(scaled.clamp(0.0, 100.0))
}

/// Direction code stored alongside cohorts in SQL: 1 higher is better, -1 lower is better, 0 neutral.
pub fn direction_code(direction: Direction) -> i16 {
    match direction {
        Direction::HigherIsBetter => 1,
        Direction::LowerIsBetter => -1,
        Direction::Neutral => 0,
    }
}

/// Computes each observation's cohort-normalised value from the payload alone (the cohort of
/// (category, metric, snapshot date) within this source). The store recomputes over the whole stored
/// cohort afterwards, which changes nothing when the payload is the whole cohort.
pub fn normalize_cohorts(source: &str, observations: &[ParsedObservation]) -> Vec<Option<f64>> {
    let mut bounds: HashMap<(&str, &str, NaiveDate), (f64, f64)> = HashMap::new();
    for observation in observations {
        let entry = bounds
            .entry((
                &observation.category,
                &observation.metric,
                observation.snapshot_date,
            ))
            .or_insert((observation.value, observation.value));
        entry.0 = entry.0.min(observation.value);
        entry.1 = entry.1.max(observation.value);
    }
    observations
        .iter()
        .map(|observation| {
            let (low, high) = bounds[&(
                observation.category.as_str(),
                observation.metric.as_str(),
                observation.snapshot_date,
            )];
            let direction =
                vocabulary::direction(source, &observation.category, &observation.metric);
            normalized_value(direction, observation.value, low, high)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid")
    }

    #[test]
    fn cohorts_scale_best_to_100_by_direction() {
        let observations = vec![
            ParsedObservation::new("performance", "ttft_seconds", "a", day(), 1.0),
            ParsedObservation::new("performance", "ttft_seconds", "b", day(), 3.0),
            ParsedObservation::new("quality", "intelligence_index", "a", day(), 10.0),
            ParsedObservation::new("quality", "intelligence_index", "b", day(), 30.0),
        ];
        let normalized = normalize_cohorts("artificialanalysis", &observations);
        assert_eq!(
            normalized,
            vec![Some(100.0), Some(0.0), Some(0.0), Some(100.0)]
        );
    }

    #[test]
    fn single_member_cohorts_score_100_and_neutral_metrics_none() {
        assert_eq!(
            normalized_value(Direction::HigherIsBetter, 5.0, 5.0, 5.0),
            Some(100.0)
        );
        assert_eq!(normalized_value(Direction::Neutral, 5.0, 1.0, 9.0), None);
    }

    #[test]
    fn drift_rejects_mostly_broken_payloads() {
        let mut parsed = Parsed {
            records: 10,
            ..Parsed::default()
        };
        for index in 0..6 {
            parsed.fail(format!("row {index}"));
        }
        parsed
            .observations
            .push(ParsedObservation::new("coding", "x", "m", day(), 1.0));
        let error = parsed.check_drift().expect_err("6 of 10 failed");
        assert!(error.to_string().contains("6 of 10"), "{error}");
    }

    #[test]
    fn deduplicate_keeps_the_last_value() {
        let mut parsed = Parsed::default();
        parsed
            .observations
            .push(ParsedObservation::new("coding", "x", "m", day(), 1.0));
        parsed
            .observations
            .push(ParsedObservation::new("coding", "x", "m", day(), 2.0));
        assert_eq!(parsed.deduplicate(), 1);
        assert_eq!(parsed.observations[0].value, 2.0);
    }
}
