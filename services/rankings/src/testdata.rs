//! Test and benchmark data written straight into the ingest tables (`models`, `model_aliases`,
//! `observations`, `source_state`), so rankings can be exercised without the ingest service: small
//! hand-made rows for integration tests and a deterministic generator of any number of synthetic models
//! with several snapshots of history from ten sources for scale tests and the benchmark.
//!
//! Not used by the service itself.

use std::collections::HashMap;

use benchhub_common::vocabulary::{self, Direction};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sqlx::PgPool;

pub use crate::domain::records::ModelRecord;

/// An `observations` row to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationSeed {
    /// Source.
    pub source: String,
    /// Category.
    pub category: String,
    /// Metric.
    pub metric: String,
    /// Upstream model name.
    pub source_model_name: String,
    /// Snapshot date.
    pub snapshot_date: NaiveDate,
    /// Matched canonical model (`None`: unmatched).
    pub model_id: Option<String>,
    /// Value.
    pub value: f64,
    /// Lower CI bound.
    pub ci_low: Option<f64>,
    /// Upper CI bound.
    pub ci_high: Option<f64>,
    /// Sample size.
    pub sample_size: Option<i64>,
    /// Cohort-normalised value.
    pub normalized: Option<f64>,
    /// Unit (from the shared vocabulary when known).
    pub unit: Option<String>,
}

impl ObservationSeed {
    /// A matched observation named after the model, with the vocabulary's unit.
    pub fn new(
        model_id: &str,
        source: &str,
        category: &str,
        metric: &str,
        snapshot_date: NaiveDate,
        value: f64,
        normalized: Option<f64>,
    ) -> Self {
        Self {
            source: source.to_owned(),
            category: category.to_owned(),
            metric: metric.to_owned(),
            source_model_name: model_id.to_owned(),
            snapshot_date,
            model_id: Some(model_id.to_owned()),
            value,
            ci_low: None,
            ci_high: None,
            sample_size: None,
            normalized,
            unit: vocabulary::find(source, category, metric).map(|spec| spec.unit.to_owned()),
        }
    }
}

/// Inserts models (ignoring ids that exist).
pub async fn insert_models(pool: &PgPool, models: &[ModelRecord]) -> Result<(), sqlx::Error> {
    for batch in models.chunks(2000) {
        sqlx::query(
            "INSERT INTO models (id, display_name, creator, family, release_date, context_length, \
                                 open_weights, first_seen_at, tier, origin, identity_name) \
             SELECT u.*, u.id FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], \
                                  $6::int[], $7::bool[], $8::timestamptz[], $9::text[], $10::text[]) \
                    AS u(id, display_name, creator, family, release_date, context_length, \
                         open_weights, first_seen_at, tier, origin) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(batch.iter().map(|m| m.id.clone()).collect::<Vec<_>>())
        .bind(
            batch
                .iter()
                .map(|m| m.display_name.clone())
                .collect::<Vec<_>>(),
        )
        .bind(batch.iter().map(|m| m.creator.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|m| m.family.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|m| m.release_date).collect::<Vec<_>>())
        .bind(batch.iter().map(|m| m.context_length).collect::<Vec<_>>())
        .bind(batch.iter().map(|m| m.open_weights).collect::<Vec<_>>())
        .bind(batch.iter().map(|m| m.first_seen_at).collect::<Vec<_>>())
        .bind(batch.iter().map(|m| m.tier.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|m| m.origin.clone()).collect::<Vec<_>>())
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Upserts observations on their natural key (the same day overwrites, as ingest does).
pub async fn insert_observations(
    pool: &PgPool,
    observations: &[ObservationSeed],
) -> Result<(), sqlx::Error> {
    for batch in observations.chunks(5000) {
        sqlx::query(
            "INSERT INTO observations (source, category, metric, source_model_name, snapshot_date, \
                                       model_id, value, ci_low, ci_high, sample_size, normalized, unit) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], \
                                  $6::text[], $7::float8[], $8::float8[], $9::float8[], $10::int8[], \
                                  $11::float8[], $12::text[]) \
             ON CONFLICT ON CONSTRAINT observations_natural_key DO UPDATE SET \
                 model_id = EXCLUDED.model_id, value = EXCLUDED.value, ci_low = EXCLUDED.ci_low, \
                 ci_high = EXCLUDED.ci_high, sample_size = EXCLUDED.sample_size, \
                 normalized = EXCLUDED.normalized, unit = EXCLUDED.unit, updated_at = now()",
        )
        .bind(batch.iter().map(|o| o.source.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.category.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.metric.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.source_model_name.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.snapshot_date).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.model_id.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.value).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.ci_low).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.ci_high).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.sample_size).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.normalized).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.unit.clone()).collect::<Vec<_>>())
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Adds an alias of a model.
pub async fn insert_alias(
    pool: &PgPool,
    source: &str,
    alias: &str,
    model_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO model_aliases (source, alias, normalized_alias, model_id) \
         VALUES ($1, $2, lower($2), $3) ON CONFLICT ON CONSTRAINT model_aliases_source_alias_key DO NOTHING",
    )
    .bind(source)
    .bind(alias)
    .bind(model_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a source's state as ingest would after a run.
pub async fn set_source_state(
    pool: &PgPool,
    source: &str,
    newest_snapshot_date: Option<NaiveDate>,
    stale: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO source_state (source, newest_snapshot_date, stale, last_attempt_at) \
         VALUES ($1, $2, $3, now()) \
         ON CONFLICT (source) DO UPDATE SET newest_snapshot_date = EXCLUDED.newest_snapshot_date, \
             stale = EXCLUDED.stale, last_attempt_at = EXCLUDED.last_attempt_at, updated_at = now()",
    )
    .bind(source)
    .bind(newest_snapshot_date)
    .bind(stale)
    .execute(pool)
    .await?;
    Ok(())
}

/// Announces a changed catalog, as ingest does after every committed ingest.
pub async fn notify_catalog(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, 'testdata')")
        .bind(benchhub_db::CATALOG_CHANNEL)
        .execute(pool)
        .await?;
    Ok(())
}

/// Shape of a synthetic data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticSpec {
    /// Number of models.
    pub models: usize,
    /// Snapshot dates per source, one week apart, the newest on `newest`.
    pub snapshots: usize,
    /// Newest snapshot date.
    pub newest: NaiveDate,
    /// Seed of the pseudo-random values.
    pub seed: u64,
}

/// The synthetic sources and metrics: ten sources, each covering a share of the models.
const SYNTHETIC_METRICS: &[(&str, &str, &str, f64)] = &[
    ("lmarena", "text", vocabulary::ELO, 0.6),
    ("artificialanalysis", "performance", vocabulary::TTFT, 0.5),
    (
        "artificialanalysis",
        "performance",
        vocabulary::THROUGHPUT,
        0.5,
    ),
    (
        "artificialanalysis",
        "quality",
        vocabulary::QUALITY_INDEX,
        0.5,
    ),
    (
        "artificialanalysis",
        "pricing",
        vocabulary::INPUT_PRICE,
        0.5,
    ),
    ("openrouter", "pricing", vocabulary::INPUT_PRICE, 0.8),
    ("openrouter", "pricing", vocabulary::OUTPUT_PRICE, 0.8),
    ("openrouter", "metadata", "context_length", 0.8),
    ("modelsdev", "pricing", vocabulary::INPUT_PRICE, 0.7),
    ("modelsdev", "metadata", "context_length", 0.7),
    ("evalplus", "coding", "humaneval_plus", 0.4),
    ("evalplus", "coding", "mbpp_plus", 0.4),
    ("bigcodebench", "coding", "full_complete", 0.35),
    ("bigcodebench", "coding", "hard_complete", 0.35),
    ("swebench", "coding", "verified_resolved", 0.3),
    ("livecodebench", "coding", "pass_at_1", 0.3),
    ("ecologits", "energy", "energy_kwh_per_request", 0.4),
    ("arc-agi", "reasoning", "arc_agi_1_accuracy", 0.2),
];

const CREATORS: &[&str] = &[
    "openai",
    "anthropic",
    "google",
    "meta-llama",
    "mistralai",
    "deepseek",
    "qwen",
    "x-ai",
    "cohere",
    "acme",
    "widgets",
    "labs",
];

/// SplitMix64: a tiny deterministic generator, enough for synthetic data.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        value ^ (value >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn synthetic_value(metric: &str, quality: f64, noise: f64) -> f64 {
    match metric {
        vocabulary::ELO => 1000.0 + 450.0 * quality + 20.0 * noise,
        vocabulary::TTFT => (0.2 + 3.0 * (1.0 - quality) * noise.abs()).max(0.05),
        vocabulary::THROUGHPUT => 20.0 + 300.0 * noise.abs(),
        vocabulary::QUALITY_INDEX => (100.0 * quality + 5.0 * noise).clamp(0.0, 100.0),
        vocabulary::INPUT_PRICE => {
            ((0.05 + 15.0 * quality * quality) * (1.0 + 0.2 * noise)).max(0.0)
        }
        vocabulary::OUTPUT_PRICE => {
            ((0.2 + 60.0 * quality * quality) * (1.0 + 0.2 * noise)).max(0.0)
        }
        "context_length" => [8192.0, 32768.0, 131072.0, 200000.0, 1048576.0]
            [((quality * 4.0 + noise).clamp(0.0, 4.0)) as usize],
        "energy_kwh_per_request" => 0.0001 + 0.01 * quality * noise.abs(),
        _ => (100.0 * quality + 8.0 * noise).clamp(0.0, 100.0),
    }
}

/// Generates `spec.models` models with `spec.snapshots` weekly snapshots of the synthetic metrics, each
/// cohort (source, category, metric, date) min-max normalised the way ingest does (best = 100). Models
/// are named `CREATOR/synthetic-NNNNN`; a model's values follow one latent quality, so rankings are
/// coherent across sources.
pub fn synthetic(spec: SyntheticSpec) -> (Vec<ModelRecord>, Vec<ObservationSeed>) {
    let mut random = Random(spec.seed);
    let base_time = Utc.from_utc_datetime(&spec.newest.and_hms_opt(12, 0, 0).unwrap_or_default());
    let mut models = Vec::with_capacity(spec.models);
    let mut qualities = Vec::with_capacity(spec.models);
    for index in 0..spec.models {
        let creator = CREATORS[index % CREATORS.len()];
        let quality = random.unit();
        let mut model = ModelRecord::new(
            &format!("{creator}/synthetic-{index:05}"),
            &format!("Synthetic {index}"),
            base_time - Duration::days((index % 400) as i64),
        );
        model.family = Some(format!("synthetic-{}", index % 50));
        model.open_weights = Some(index % 3 == 0);
        model.release_date = Some(spec.newest - Duration::days((index % 700) as i64));
        models.push(model);
        qualities.push(quality);
    }
    let mut observations = Vec::new();
    for snapshot in 0..spec.snapshots {
        let date = spec.newest - Duration::days(7 * snapshot as i64);
        for (source, category, metric, coverage) in SYNTHETIC_METRICS {
            let mut cohort: Vec<ObservationSeed> = Vec::new();
            for (index, model) in models.iter().enumerate() {
                let covered = (index as f64 * 0.618_033_988_7 + source.len() as f64 * 0.1) % 1.0;
                if covered >= *coverage {
                    continue;
                }
                let noise = random.unit() * 2.0 - 1.0;
                let value = synthetic_value(metric, qualities[index], noise);
                cohort.push(ObservationSeed::new(
                    &model.id, source, category, metric, date, value, None,
                ));
            }
            normalize(&mut cohort);
            observations.extend(cohort);
        }
    }
    (models, observations)
}

/// Min-max normalises one cohort onto 0–100 with the metric's direction (best = 100).
fn normalize(cohort: &mut [ObservationSeed]) {
    let Some(first) = cohort.first() else {
        return;
    };
    let direction = vocabulary::direction(&first.source, &first.category, &first.metric);
    if direction == Direction::Neutral {
        return;
    }
    let low = cohort.iter().map(|o| o.value).fold(f64::INFINITY, f64::min);
    let high = cohort
        .iter()
        .map(|o| o.value)
        .fold(f64::NEG_INFINITY, f64::max);
    if cohort.len() < 2 || high <= low {
        return;
    }
    for observation in cohort.iter_mut() {
        let scaled = (100.0 * (observation.value - low) / (high - low)).clamp(0.0, 100.0);
        observation.normalized = Some(match direction {
            Direction::LowerIsBetter => 100.0 - scaled,
            _ => scaled,
        });
    }
}

/// Counts synthetic observations per source (for reports).
pub fn count_by_source(observations: &[ObservationSeed]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for observation in observations {
        *counts.entry(observation.source.clone()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_data_is_deterministic_and_normalised() {
        let spec = SyntheticSpec {
            models: 200,
            snapshots: 2,
            newest: NaiveDate::from_ymd_opt(2026, 1, 10).expect("date"),
            seed: 7,
        };
        let (models, observations) = synthetic(spec);
        let (again, observations_again) = synthetic(spec);
        assert_eq!(models, again);
        assert_eq!(observations, observations_again);
        assert_eq!(models.len(), 200);
        assert_eq!(count_by_source(&observations).len(), 10);
        for observation in &observations {
            if let Some(normalized) = observation.normalized {
                assert!((0.0..=100.0).contains(&normalized));
            }
            assert!(observation.model_id.is_some());
        }
        let dates: std::collections::BTreeSet<NaiveDate> =
            observations.iter().map(|o| o.snapshot_date).collect();
        assert_eq!(dates.len(), 2);
    }
}
