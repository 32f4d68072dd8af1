//! Plain records read from the database, the inputs of a catalog build.

use benchhub_common::model::ModelRow;
use chrono::{DateTime, NaiveDate, Utc};

/// One row of `models`: its description (the shape ingest writes) and what rankings alone reads.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    /// Id, name, creator, family, release date, context length, open weights.
    pub row: ModelRow,
    /// When benchhub first ingested the model.
    pub first_seen_at: DateTime<Utc>,
    /// Stored tier (`frontier`, `strong`, `efficient` or `unknown`).
    pub tier: String,
    /// Where the model came from: `catalog` (models.dev, OpenRouter), `seed`, or `benchmark` (a
    /// provisional model created for a board's name that no catalog lists).
    pub origin: String,
}

impl ModelRecord {
    /// A catalog model of unknown tier, known by id and name, first seen at `first_seen_at`.
    pub fn new(id: &str, display_name: &str, first_seen_at: DateTime<Utc>) -> Self {
        Self {
            row: ModelRow::new(id, display_name),
            first_seen_at,
            tier: "unknown".to_owned(),
            origin: "catalog".to_owned(),
        }
    }
}

impl std::ops::Deref for ModelRecord {
    type Target = ModelRow;

    fn deref(&self) -> &ModelRow {
        &self.row
    }
}

impl std::ops::DerefMut for ModelRecord {
    fn deref_mut(&mut self) -> &mut ModelRow {
        &mut self.row
    }
}

/// One row of `model_aliases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasRecord {
    /// Source the alias applies to (`*` for any).
    pub source: String,
    /// The name as the source spells it.
    pub alias: String,
    /// Canonical model id.
    pub model_id: String,
    /// When the alias was created.
    pub created_at: DateTime<Utc>,
}

/// A matched observation: one source's value of one metric for one model on one snapshot date.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRecord {
    /// Canonical model id.
    pub model_id: String,
    /// Source name.
    pub source: String,
    /// Observation category.
    pub category: String,
    /// Metric name.
    pub metric: String,
    /// The upstream's name of the model.
    pub source_model_name: String,
    /// Snapshot date.
    pub snapshot_date: NaiveDate,
    /// Value as published.
    pub value: f64,
    /// Lower CI bound.
    pub ci_low: Option<f64>,
    /// Upper CI bound.
    pub ci_high: Option<f64>,
    /// Sample size.
    pub sample_size: Option<i64>,
    /// Cohort-normalised value, 0–100, higher is better.
    pub normalized: Option<f64>,
    /// Unit of `value`.
    pub unit: Option<String>,
    /// When the upstream measured or published the value (the snapshot date when unknown).
    pub data_date: NaiveDate,
    /// How the upstream name was matched (`alias`, `exact`, `created`, `version`, `size`, `mode`).
    pub match_method: Option<String>,
    /// Why, in words.
    pub match_detail: Option<String>,
}

impl ObservationRecord {
    /// How directly the upstream name identifies the model: 0 exactly (alias, exact id, a model created
    /// for the name), 1 by rule (the version an undated name means, omitted sizes), 2 a reasoning mode of
    /// it. Unknown methods (rows written before match methods were recorded) count as 1.
    pub fn match_precision(&self) -> u8 {
        match self.match_method.as_deref() {
            Some("alias" | "exact" | "created") => 0,
            Some("mode") => 2,
            _ => 1,
        }
    }
}

/// One source's bookkeeping (`source_state` joined with its latest run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceStateRecord {
    /// Source name.
    pub source: String,
    /// When the latest ingest attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Newest snapshot date stored.
    pub newest_snapshot_date: Option<NaiveDate>,
    /// Newest data date stored (when the upstream last measured or published a value).
    pub newest_data_date: Option<NaiveDate>,
    /// Whether the latest attempt failed and an older snapshot is served.
    pub stale: bool,
    /// Status of the latest run (`running`, `succeeded`, `failed`, `skipped`).
    pub last_run_status: Option<String>,
    /// When the latest successful (or unchanged) run ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// How long the source's data stays fresh; `None` when it never goes stale by age.
    pub ttl: Option<std::time::Duration>,
    /// Error of the latest run.
    pub last_run_error: Option<String>,
}

/// Snapshot coverage of one (source, category, metric).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRecord {
    /// Source name.
    pub source: String,
    /// Observation category.
    pub category: String,
    /// Metric name.
    pub metric: String,
    /// Unit of the values.
    pub unit: Option<String>,
    /// Oldest snapshot date.
    pub oldest: NaiveDate,
    /// Newest snapshot date.
    pub newest: NaiveDate,
    /// Distinct snapshot dates.
    pub snapshot_count: i64,
    /// Distinct unmatched upstream names in the newest snapshot.
    pub unmatched_newest: i64,
}

/// Everything a catalog is built from, read in one consistent database snapshot.
#[derive(Debug, Clone, Default)]
pub struct CatalogInput {
    /// Every model.
    pub models: Vec<ModelRecord>,
    /// Every alias.
    pub aliases: Vec<AliasRecord>,
    /// The latest observation per (model, source, category, metric, upstream name) up to the date.
    pub observations: Vec<ObservationRecord>,
    /// Per-source bookkeeping.
    pub sources: Vec<SourceStateRecord>,
    /// Coverage per metric up to the date.
    pub coverage: Vec<CoverageRecord>,
    /// (model id, source) of each model's first observation.
    pub first_sources: Vec<(String, String)>,
}
