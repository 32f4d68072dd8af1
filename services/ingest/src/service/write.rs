//! The write of one ingest: models and observations upserted (or COPied), cohorts renormalised, raw
//! payloads kept and the run completed, in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use benchhub_common::vocabulary;
use chrono::NaiveDate;
use sqlx::{Connection, PgConnection};

use super::outcome::completion;
use super::{IngestOutcome, Ingestor, OutcomeStatus, creates_models, describe_failures};
use crate::domain::adapters::Document;
use crate::domain::matcher::{CatalogChanges, Match, NameQuery};
use crate::domain::observation::{self, Parsed, ParsedObservation};
use crate::error::Error;
use crate::repo::catalog;
use crate::repo::snapshot::{self, Cohort, CohortStats, ObservationRow};
use crate::repo::{self, SourceLock};

/// Adds what re-matching needs to `extra`: the match name, and the release date of the catalog entry
/// the name belongs to (`released`), which picks the version an undated catalog id stands for.
fn with_match_name(
    extra: Option<serde_json::Value>,
    match_name: Option<&str>,
    released: Option<NaiveDate>,
) -> Option<serde_json::Value> {
    if match_name.is_none() && released.is_none() {
        return extra;
    }
    let mut object = match extra {
        Some(serde_json::Value::Object(object)) => object,
        Some(other) => {
            let mut object = serde_json::Map::new();
            object.insert("value".to_owned(), other);
            object
        }
        None => serde_json::Map::new(),
    };
    if let Some(match_name) = match_name {
        object.insert(
            "match_name".to_owned(),
            serde_json::Value::String(match_name.to_owned()),
        );
    }
    if let Some(released) = released {
        object.insert(
            "released".to_owned(),
            serde_json::Value::String(released.to_string()),
        );
    }
    Some(serde_json::Value::Object(object))
}

impl Ingestor {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn write(
        &self,
        lock: &mut SourceLock,
        name: &str,
        documents: &[Document],
        hashes: &[String],
        parsed: &Parsed,
        outcome: &mut IngestOutcome,
        started: Instant,
    ) -> Result<(), Error> {
        let dry_run = outcome.dry_run;
        let phase = Instant::now();
        let mut transaction = lock.connection().begin().await?;
        catalog::lock_catalog(&mut transaction, creates_models(name) && !dry_run).await?;
        let mut matcher = catalog::load_matcher(&mut transaction).await?;
        let changes = if creates_models(name) {
            matcher.apply_records(name, &parsed.models)
        } else {
            CatalogChanges::default()
        };
        if !dry_run {
            catalog::upsert_models(&mut transaction, &changes.upserts).await?;
        }
        let data_dates = self
            .data_dates(&mut transaction, name, &parsed.observations)
            .await?;
        let normalized = observation::normalize_cohorts(name, &parsed.observations);
        let mut rows = Vec::with_capacity(parsed.observations.len());
        let mut cohorts: BTreeMap<Cohort, CohortStats> = BTreeMap::new();
        let mut unmatched = 0i64;
        let released = observation::catalog_release_dates(&parsed.models);
        let resolution_dates: Vec<NaiveDate> = parsed
            .observations
            .iter()
            .zip(&data_dates)
            .map(|(observation, data_date)| {
                released
                    .get(observation.name_to_match())
                    .copied()
                    .unwrap_or(*data_date)
            })
            .collect();
        // A name is resolved once per date, however many metrics it has.
        let mut resolved: HashMap<(&str, Option<&str>, NaiveDate), Option<Match>> = HashMap::new();
        let matches: Vec<Option<Match>> = parsed
            .observations
            .iter()
            .zip(&resolution_dates)
            .map(|(observation, day)| {
                let key = (
                    observation.source_model_name.as_str(),
                    observation.match_name.as_deref(),
                    *day,
                );
                resolved
                    .entry(key)
                    .or_insert_with(|| {
                        matcher.resolve(&NameQuery {
                            source: name,
                            name: &observation.source_model_name,
                            match_name: observation.match_name.as_deref(),
                            observed_on: Some(*day),
                        })
                    })
                    .clone()
            })
            .collect();
        for (((observation, found), normalized), data_date) in parsed
            .observations
            .iter()
            .zip(&matches)
            .zip(normalized)
            .zip(&data_dates)
        {
            if found.is_none() {
                unmatched += 1;
            }
            let spec = vocabulary::find(name, &observation.category, &observation.metric);
            let direction = vocabulary::direction(name, &observation.category, &observation.metric);
            cohorts
                .entry((
                    observation.category.clone(),
                    observation.metric.clone(),
                    observation.snapshot_date,
                    observation::direction_code(direction),
                ))
                .or_default()
                .add(observation.value);
            rows.push(ObservationRow {
                category: &observation.category,
                metric: &observation.metric,
                source_model_name: &observation.source_model_name,
                snapshot_date: observation.snapshot_date,
                model_id: found.as_ref().map(|found| found.model_id.as_str()),
                value: observation.value,
                ci_low: observation.ci_low,
                ci_high: observation.ci_high,
                sample_size: observation.sample_size,
                normalized,
                unit: spec.map(|spec| spec.unit),
                extra: with_match_name(
                    observation.extra.clone(),
                    observation.match_name.as_deref(),
                    released.get(observation.name_to_match()).copied(),
                ),
                match_method: found.as_ref().map(|found| found.method.as_str()),
                match_detail: found.as_ref().map(|found| found.detail.as_str()),
                data_date: *data_date,
            });
        }
        outcome.oldest_data_date = data_dates.iter().min().copied();
        outcome.newest_data_date = data_dates.iter().max().copied();
        tracing::debug!(
            elapsed_ms = phase.elapsed().as_millis() as u64,
            "matched and normalised"
        );
        let phase = Instant::now();
        let dates: Vec<NaiveDate> = cohorts
            .keys()
            .map(|(_, _, date, _)| *date)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // A snapshot date the source has no rows for cannot conflict (the lock excludes other
        // writers): COPY it in; otherwise upsert.
        let fresh = !snapshot::has_rows_on(&mut transaction, name, &dates).await?;
        let run_id = outcome.run_id.unwrap_or_default();
        let (inserted, updated) = match (dry_run, fresh) {
            (true, true) => (rows.len() as i64, 0),
            (true, false) => snapshot::preview_observations(&mut transaction, name, &rows).await?,
            (false, true) => (
                snapshot::copy_observations(&mut transaction, name, run_id, &rows).await? as i64,
                0,
            ),
            (false, false) => {
                snapshot::upsert_observations(&mut transaction, name, run_id, &rows).await?
            }
        };
        let fetched = rows.len() as i64;
        outcome.fetched = fetched;
        outcome.inserted = inserted;
        outcome.updated = updated;
        outcome.skipped = (fetched - inserted - updated).max(0);
        outcome.unmatched = unmatched;
        outcome.failed = parsed.failed as i64;
        outcome.snapshot_date = parsed
            .observations
            .iter()
            .map(|observation| observation.snapshot_date)
            .max();
        outcome.models_created = changes.created as i64;
        outcome.models_updated = changes.updated as i64;
        if !outcome.document_failures.is_empty() {
            outcome.status = OutcomeStatus::Partial;
            outcome.error = Some(describe_failures(&outcome.document_failures));
        }
        if parsed.failed > 0 {
            // Counted in `failed`; the result's error stays empty for a run that succeeded.
            tracing::warn!(
                failed = parsed.failed,
                first = parsed.failures.first().map(String::as_str).unwrap_or(""),
                "some upstream records were unusable"
            );
        }
        drop(rows);
        if dry_run {
            outcome.duration_ms = started.elapsed().as_millis() as i64;
            transaction.rollback().await?;
            return Ok(());
        }
        tracing::debug!(
            elapsed_ms = phase.elapsed().as_millis() as u64,
            fresh,
            "observations written"
        );
        let phase = Instant::now();
        let all_written = outcome.inserted + outcome.updated == outcome.fetched;
        let renormalized =
            snapshot::renormalize(&mut transaction, name, &cohorts, all_written).await?;
        tracing::debug!(
            elapsed_ms = phase.elapsed().as_millis() as u64,
            renormalized,
            "cohorts renormalised"
        );
        let phase = Instant::now();
        let payloads: Vec<(&Document, String)> =
            documents.iter().zip(hashes.iter().cloned()).collect();
        snapshot::store_payloads(&mut transaction, name, run_id, &payloads).await?;
        tracing::debug!(
            elapsed_ms = phase.elapsed().as_millis() as u64,
            "raw payloads stored"
        );
        let models_found = parsed
            .observations
            .iter()
            .map(|observation| observation.source_model_name.as_str())
            .collect::<HashSet<_>>()
            .len() as i32;
        outcome.duration_ms = started.elapsed().as_millis() as i64;
        repo::complete_run(
            &mut transaction,
            name,
            run_id,
            &completion(outcome, models_found),
        )
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Each observation's data date: the adapter's, else the date its series first showed the same
    /// value (the newest stored value before this snapshot, when equal), else its snapshot date.
    pub(super) async fn data_dates(
        &self,
        connection: &mut PgConnection,
        source: &str,
        observations: &[ParsedObservation],
    ) -> Result<Vec<NaiveDate>, Error> {
        let Some(earliest) = observations
            .iter()
            .filter(|observation| observation.data_date.is_none())
            .map(|observation| observation.snapshot_date)
            .min()
        else {
            return Ok(observations
                .iter()
                .map(|observation| observation.data_date.unwrap_or(observation.snapshot_date))
                .collect());
        };
        let latest = observations
            .iter()
            .map(|observation| observation.snapshot_date)
            .max()
            .unwrap_or(earliest);
        let previous = snapshot::previous_values(connection, source, latest).await?;
        Ok(observations
            .iter()
            .map(|observation| {
                if let Some(day) = observation.data_date {
                    return day;
                }
                let key = (
                    observation.category.clone(),
                    observation.metric.clone(),
                    observation.source_model_name.clone(),
                );
                match previous.get(&key) {
                    Some((value, day))
                        if *value == observation.value && *day <= observation.snapshot_date =>
                    {
                        *day
                    }
                    _ => observation.snapshot_date,
                }
            })
            .collect())
    }
}
