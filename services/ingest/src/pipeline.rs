//! The ingest pipeline: lock → fetch → (skip when unchanged) → parse → match → one transaction that
//! upserts models and observations, renormalises the touched cohorts, keeps the raw payloads and
//! completes the run and the source's state → `pg_notify` after commit. Also ReingestAll, new-model
//! detection, alias changes with re-linking, and the start-up seeds.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use benchhub_common::vocabulary;
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::config::SourceSettings;
use crate::domain::adapters::{self, Document, DocumentFailure, Fetched, Source, SourceContext};
use crate::domain::matcher::{ANY_SOURCE, CatalogChanges, Match, NameQuery};
use crate::domain::observation::{self, Parsed, ParsedObservation};
use crate::domain::sources::{self, Availability};
use crate::error::Error;
use crate::fetch::{HttpSettings, UpstreamHttp};
use crate::repo::catalog::{self, AliasRow};
use crate::repo::snapshot::{self, Cohort, CohortStats, ObservationRow};
use crate::repo::{self, RunCompletion, SourceLock};

/// Sources whose records create canonical models; ReingestAll runs them first, one after the other in
/// this order (so a model both list takes models.dev's id on every run), and then the others, so that
/// benchmark names match on a first ingest.
pub const METADATA_SOURCES: &[&str] = &["modelsdev", "openrouter"];

/// Sources that describe models a team can choose (catalogs, and boards of LLM benchmarks): their
/// records may create models. EcoLogits estimates and the MTEB embedding seed name models too, but a
/// model only they know is not a chat model to rank.
pub fn creates_models(source: &str) -> bool {
    !matches!(source, "ecologits" | "mteb" | "livebench")
}

/// How long an ingest waits for its source's lock before answering that the source is busy: enough
/// for the catalog maintenance of another ingest to re-link the source's names.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// How often a running ingest renews its run's heartbeat.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// How old a running run's heartbeat may get before any replica closes the run as interrupted.
pub const HEARTBEAT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// An ingest started with [`Ingestor::start`].
#[derive(Debug)]
pub struct StartedIngest {
    /// The run's id, once recorded (never sent for a dry run or a refusal).
    pub run_id: tokio::sync::oneshot::Receiver<Uuid>,
    /// The outcome, when the ingest ends.
    pub outcome: tokio::task::JoinHandle<Result<IngestOutcome, Error>>,
}

/// What started an ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// ReingestSource or ReingestAll.
    Manual,
    /// The cron schedule.
    Schedule,
    /// Service start-up (seed data).
    Startup,
    /// DetectNewModels with auto_ingest.
    Detect,
}

impl Trigger {
    /// Database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
            Trigger::Startup => "startup",
            Trigger::Detect => "detect",
        }
    }
}

/// How an ingest ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    /// The snapshot was written (or would be, for a dry run).
    Succeeded,
    /// Nothing was written; readers keep the last good snapshot.
    Failed,
    /// The upstream was unchanged.
    Skipped,
    /// Some documents could not be fetched; what was fetched is stored (or was unchanged).
    Partial,
}

impl OutcomeStatus {
    /// The stored name: `succeeded`, `failed`, `skipped` or `partial`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Succeeded => "succeeded",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Skipped => "skipped",
            OutcomeStatus::Partial => "partial",
        }
    }
}

/// The result of ingesting one source.
#[derive(Debug, Clone)]
pub struct IngestOutcome {
    /// Source name.
    pub source: String,
    /// Recorded run, absent for dry runs and refusals.
    pub run_id: Option<Uuid>,
    /// How it ended.
    pub status: OutcomeStatus,
    /// Observations parsed.
    pub fetched: i64,
    /// Inserted (or would be).
    pub inserted: i64,
    /// Updated (or would be).
    pub updated: i64,
    /// Without a canonical model.
    pub unmatched: i64,
    /// Left untouched.
    pub skipped: i64,
    /// Unusable upstream records.
    pub failed: i64,
    /// Wall time.
    pub duration_ms: i64,
    /// Whether readers keep an older snapshot because this fetch failed.
    pub stale: bool,
    /// Readable error.
    pub error: Option<String>,
    /// Whether nothing was written on purpose.
    pub dry_run: bool,
    /// Newest snapshot date written.
    pub snapshot_date: Option<NaiveDate>,
    /// Oldest data date (when upstream measured or published a value) among the values written.
    pub oldest_data_date: Option<NaiveDate>,
    /// Newest data date among the values written.
    pub newest_data_date: Option<NaiveDate>,
    /// What started it.
    pub trigger: Trigger,
    /// Canonical models created from metadata records.
    pub models_created: i64,
    /// Canonical models whose metadata changed.
    pub models_updated: i64,
    /// Documents that could not be fetched (a PARTIAL run; a FAILED run when nothing was usable).
    pub document_failures: Vec<DocumentFailure>,
}

/// Counts a finished ingest in the Prometheus metrics: runs by status, rows by kind, per source.
fn record_metrics(outcome: &IngestOutcome) {
    if outcome.dry_run {
        return;
    }
    let source = outcome.source.clone();
    ::metrics::counter!(
        "benchhub_ingest_runs_total",
        "source" => source.clone(),
        "status" => outcome.status.as_str()
    )
    .increment(1);
    for (kind, count) in [
        ("inserted", outcome.inserted),
        ("updated", outcome.updated),
        ("unmatched", outcome.unmatched),
        ("failed", outcome.failed),
    ] {
        ::metrics::counter!("benchhub_ingest_rows_total", "source" => source.clone(), "kind" => kind)
            .increment(u64::try_from(count).unwrap_or(0));
    }
    ::metrics::histogram!("benchhub_ingest_duration_seconds", "source" => source)
        .record(outcome.duration_ms as f64 / 1000.0);
}

impl IngestOutcome {
    /// The status's stored name.
    pub fn status_name(&self) -> &'static str {
        self.status.as_str()
    }

    fn new(source: &str, trigger: Trigger, dry_run: bool) -> Self {
        Self {
            source: source.to_owned(),
            run_id: None,
            status: OutcomeStatus::Succeeded,
            fetched: 0,
            inserted: 0,
            updated: 0,
            unmatched: 0,
            skipped: 0,
            failed: 0,
            duration_ms: 0,
            stale: false,
            error: None,
            dry_run,
            snapshot_date: None,
            oldest_data_date: None,
            newest_data_date: None,
            trigger,
            models_created: 0,
            models_updated: 0,
            document_failures: Vec::new(),
        }
    }

    /// A refused ingest (unknown, unavailable, busy…) reported as a failed result.
    pub fn refused(source: &str, trigger: Trigger, dry_run: bool, error: &Error) -> Self {
        let mut outcome = Self::new(source, trigger, dry_run);
        outcome.status = OutcomeStatus::Failed;
        outcome.error = Some(match error {
            Error::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        });
        outcome
    }
}

/// What DetectNewModels found.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Upstream names neither in the catalog nor already ingested, sorted.
    pub new_model_names: Vec<String>,
    /// Upstream names that match a canonical model.
    pub known_count: i64,
    /// Upstream names in all.
    pub upstream_count: i64,
    /// The ingest run by auto_ingest.
    pub ingest: Option<IngestOutcome>,
}

/// Tunables of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Upstream request policy.
    pub http: HttpSettings,
    /// Requests one adapter may have in flight.
    pub request_concurrency: usize,
    /// Sources ReingestAll runs at once by default.
    pub source_concurrency: usize,
    /// User-Agent of upstream requests.
    pub user_agent: String,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            http: HttpSettings::default(),
            request_concurrency: 8,
            source_concurrency: 4,
            user_agent: format!("benchhub-ingest/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Runs ingests. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Ingestor {
    pool: PgPool,
    sources: Vec<SourceSettings>,
    client: reqwest::Client,
    settings: PipelineSettings,
    alerter: Option<Arc<crate::alerts::Alerter>>,
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Ingestor {
    /// Creates the pipeline over a pool and the configured sources.
    pub fn new(
        pool: PgPool,
        sources: Vec<SourceSettings>,
        settings: PipelineSettings,
    ) -> anyhow::Result<Self> {
        let client = UpstreamHttp::client(&settings.user_agent)?;
        Ok(Self {
            pool,
            sources,
            client,
            settings,
            alerter: None,
        })
    }

    /// Sends webhook alerts through `alerter` after every run.
    pub fn with_alerter(mut self, alerter: crate::alerts::Alerter) -> Self {
        self.alerter = Some(Arc::new(alerter));
        self
    }

    /// The webhook alerter, when one is configured.
    pub fn alerter(&self) -> Option<&Arc<crate::alerts::Alerter>> {
        self.alerter.as_ref()
    }

    /// The database pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Every configured source.
    pub fn sources(&self) -> &[SourceSettings] {
        &self.sources
    }

    /// Sources' default concurrency for ReingestAll.
    pub fn source_concurrency(&self) -> usize {
        self.settings.source_concurrency
    }

    /// Finds a configured source.
    pub fn settings(&self, name: &str) -> Result<&SourceSettings, Error> {
        self.sources
            .iter()
            .find(|settings| settings.spec.name == name)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "unknown source '{name}'; known sources: {}",
                    sources::names()
                ))
            })
    }

    /// Refuses sources that cannot be ingested: unavailable ones and those missing a required secret.
    pub fn check_ingestible(settings: &SourceSettings) -> Result<(), Error> {
        let spec = settings.spec;
        if spec.availability == Availability::Unavailable {
            return Err(Error::FailedPrecondition(format!(
                "{} is unavailable: {}",
                spec.name, spec.availability_reason
            )));
        }
        if spec.secret_required && settings.secret.is_none() {
            return Err(Error::FailedPrecondition(format!(
                "key not configured: set {} to ingest {}",
                spec.secret_env_var.unwrap_or("the source's secret"),
                spec.name
            )));
        }
        Ok(())
    }

    fn context(&self, settings: &SourceSettings) -> SourceContext {
        SourceContext {
            base_url: settings.base_url.clone(),
            secondary_url: settings.secondary_url.clone(),
            secret: settings.secret.clone(),
            today: Utc::now().date_naive(),
            concurrency: self.settings.request_concurrency,
        }
    }

    fn adapter(name: &str) -> Result<Box<dyn Source>, Error> {
        adapters::adapter(name)
            .ok_or_else(|| Error::FailedPrecondition(format!("{name} has no adapter")))
    }

    /// Ingests one source. Refusals (unknown, unavailable, missing key, already running) are errors;
    /// upstream and parse failures are results with status FAILED.
    #[tracing::instrument(skip_all, fields(source = %name, trigger = trigger.as_str(), dry_run))]
    pub async fn ingest(
        &self,
        name: &str,
        trigger: Trigger,
        actor: Option<&str>,
        dry_run: bool,
    ) -> Result<IngestOutcome, Error> {
        let outcome = self.run(name, trigger, actor, dry_run, None, None).await;
        if let Ok(outcome) = &outcome {
            record_metrics(outcome);
        }
        outcome
    }

    /// Starts an ingest that runs to completion whatever becomes of its caller (a cancelled or
    /// timed-out RPC never aborts a write half-way): the handle yields the run id as soon as the run is
    /// recorded and the outcome when it ends. Refusals arrive as the outcome's error, at once.
    pub fn start(
        self: &Arc<Self>,
        name: &str,
        trigger: Trigger,
        actor: Option<String>,
        dry_run: bool,
    ) -> StartedIngest {
        let (sender, run_id) = tokio::sync::oneshot::channel();
        let this = Arc::clone(self);
        let name = name.to_owned();
        let outcome = tokio::spawn(async move {
            let outcome = this
                .run(
                    &name,
                    trigger,
                    actor.as_deref(),
                    dry_run,
                    None,
                    Some(sender),
                )
                .await;
            if let Ok(outcome) = &outcome {
                record_metrics(outcome);
            }
            outcome
        });
        StartedIngest { run_id, outcome }
    }

    /// Runs everything after the fetch on documents the caller already has (benchmarks, replays of
    /// stored payloads): the same lock, skip check, parse, match, write and bookkeeping as [`Self::ingest`].
    pub async fn ingest_documents(
        &self,
        name: &str,
        documents: Vec<Document>,
        trigger: Trigger,
        actor: Option<&str>,
    ) -> Result<IngestOutcome, Error> {
        self.run(name, trigger, actor, false, Some(documents), None)
            .await
    }

    async fn run(
        &self,
        name: &str,
        trigger: Trigger,
        actor: Option<&str>,
        dry_run: bool,
        prefetched: Option<Vec<Document>>,
        run_recorded: Option<tokio::sync::oneshot::Sender<Uuid>>,
    ) -> Result<IngestOutcome, Error> {
        let started = Instant::now();
        let settings = self.settings(name)?;
        Self::check_ingestible(settings)?;
        let adapter = Self::adapter(name)?;
        let Some(mut lock) = SourceLock::acquire_within(&self.pool, name, LOCK_PATIENCE).await?
        else {
            return Err(Error::Busy(format!(
                "{name} is already being ingested; retry when that run finishes"
            )));
        };
        let mut outcome = IngestOutcome::new(name, trigger, dry_run);
        let result = self
            .ingest_locked(
                &mut lock,
                settings,
                adapter.as_ref(),
                actor,
                &mut outcome,
                started,
                prefetched,
                run_recorded,
            )
            .await;
        lock.release().await;
        result?;
        // A PARTIAL run wrote what it fetched: the rankings must hear of it as of a full one.
        if !dry_run
            && matches!(
                outcome.status,
                OutcomeStatus::Succeeded | OutcomeStatus::Partial
            )
        {
            if outcome.models_created > 0 || outcome.models_updated > 0 {
                self.maintain_catalog().await;
            }
            if let Err(error) = repo::notify_catalog(&self.pool, name).await {
                tracing::warn!(error = %benchhub_db::describe(&error), "catalog notification failed");
            }
        }
        if !dry_run && let Some(alerter) = &self.alerter {
            // Delivered off the caller's path: a slow webhook never holds up a run's answer.
            let alerter = Arc::clone(alerter);
            let spec = settings.spec;
            let finished = outcome.clone();
            tokio::spawn(async move { alerter.after_run(spec, &finished).await });
        }
        tracing::info!(
            status = outcome.status.as_str(),
            fetched = outcome.fetched,
            inserted = outcome.inserted,
            updated = outcome.updated,
            unmatched = outcome.unmatched,
            failed = outcome.failed,
            duration_ms = outcome.duration_ms,
            error = outcome.error.as_deref().unwrap_or(""),
            "ingest finished"
        );
        Ok(outcome)
    }

    #[allow(clippy::too_many_arguments)]
    async fn ingest_locked(
        &self,
        lock: &mut SourceLock,
        settings: &SourceSettings,
        adapter: &dyn Source,
        actor: Option<&str>,
        outcome: &mut IngestOutcome,
        started: Instant,
        prefetched: Option<Vec<Document>>,
        run_recorded: Option<tokio::sync::oneshot::Sender<Uuid>>,
    ) -> Result<(), Error> {
        let name = settings.spec.name;
        let dry_run = outcome.dry_run;
        // While the run goes on, its row's heartbeat is renewed: a run whose process died is found by
        // its stale heartbeat (or its released source lock) and closed as interrupted.
        let mut _heartbeat = None;
        if !dry_run {
            let run_id =
                repo::insert_run(lock.connection(), name, outcome.trigger.as_str(), actor).await?;
            outcome.run_id = Some(run_id);
            _heartbeat = Some(repo::keep_alive(self.pool.clone(), run_id, HEARTBEAT_EVERY));
            if let Some(sender) = run_recorded {
                let _ = sender.send(run_id);
            }
        }
        let stored = repo::stored_payloads(lock.connection(), name).await?;
        let context = self.context(settings);
        let http = UpstreamHttp::new(
            self.client.clone(),
            self.settings.http.clone(),
            stored,
            &self.pool,
        );
        let fetched = match prefetched {
            Some(documents) => Ok(Fetched::complete(documents)),
            None => adapter.fetch(&http, &context).await,
        };
        let Fetched {
            documents,
            failures,
        } = match fetched {
            Ok(fetched) => fetched,
            Err(error) => {
                return self
                    .fail(lock, outcome, started, format!("fetch failed: {error}"))
                    .await;
            }
        };
        outcome.document_failures = failures;
        if documents.is_empty() {
            let error = format!(
                "fetch failed: {}",
                describe_failures(&outcome.document_failures)
            );
            return self.fail(lock, outcome, started, error).await;
        }
        let hashes: Vec<String> = documents
            .iter()
            .map(|document| sha256_hex(&document.body))
            .collect();
        let unchanged = documents.iter().zip(&hashes).all(|(document, hash)| {
            document.not_modified
                || http
                    .stored()
                    .get(&document.url)
                    .is_some_and(|stored| &stored.sha256 == hash)
        });
        if unchanged {
            let stored_ids: Vec<i64> = documents
                .iter()
                .filter_map(|document| http.stored().get(&document.url).map(|stored| stored.id))
                .collect();
            return self.skip(lock, outcome, started, &stored_ids).await;
        }
        let phase = Instant::now();
        let mut parsed = match adapter.parse(&documents, &context) {
            Ok(parsed) => parsed,
            // What was fetched is not enough to parse (no record left): the failures say why.
            Err(_) if !outcome.document_failures.is_empty() => {
                let error = format!(
                    "fetch failed: {}",
                    describe_failures(&outcome.document_failures)
                );
                return self.fail(lock, outcome, started, error).await;
            }
            Err(error) => {
                return self
                    .fail(lock, outcome, started, format!("parse failed: {error}"))
                    .await;
            }
        };
        if parsed.observations.is_empty() && !outcome.document_failures.is_empty() {
            // What was fetched gave nothing to store: the failures are the whole story.
            let error = format!(
                "fetch failed: {}",
                describe_failures(&outcome.document_failures)
            );
            return self.fail(lock, outcome, started, error).await;
        }
        tracing::debug!(elapsed_ms = phase.elapsed().as_millis() as u64, "parsed");
        let duplicates = parsed.deduplicate();
        if duplicates > 0 {
            tracing::warn!(
                duplicates,
                "upstream repeated observations; kept the last of each"
            );
        }
        match self
            .write(lock, name, &documents, &hashes, &parsed, outcome, started)
            .await
        {
            Ok(()) => Ok(()),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "storing the snapshot failed");
                self.fail(
                    lock,
                    outcome,
                    started,
                    "storing the snapshot failed; nothing was written".to_owned(),
                )
                .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn write(
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
    async fn data_dates(
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

    async fn skip(
        &self,
        lock: &mut SourceLock,
        outcome: &mut IngestOutcome,
        started: Instant,
        stored_ids: &[i64],
    ) -> Result<(), Error> {
        // Unchanged, except the documents that failed: what is stored stays current, the rest is
        // listed.
        if outcome.document_failures.is_empty() {
            outcome.status = OutcomeStatus::Skipped;
        } else {
            outcome.status = OutcomeStatus::Partial;
            outcome.error = Some(describe_failures(&outcome.document_failures));
        }
        outcome.skipped = i64::from(repo::last_fetched(lock.connection(), &outcome.source).await?);
        outcome.duration_ms = started.elapsed().as_millis() as i64;
        if let Some(run_id) = outcome.run_id {
            let mut transaction = lock.connection().begin().await?;
            snapshot::touch_payloads(&mut transaction, stored_ids).await?;
            repo::complete_run(
                &mut transaction,
                &outcome.source,
                run_id,
                &completion(outcome, 0),
            )
            .await?;
            transaction.commit().await?;
        }
        Ok(())
    }

    async fn fail(
        &self,
        lock: &mut SourceLock,
        outcome: &mut IngestOutcome,
        started: Instant,
        error: String,
    ) -> Result<(), Error> {
        outcome.status = OutcomeStatus::Failed;
        outcome.stale = true;
        outcome.error = Some(error);
        outcome.inserted = 0;
        outcome.updated = 0;
        outcome.duration_ms = started.elapsed().as_millis() as i64;
        if let Some(run_id) = outcome.run_id {
            repo::complete_run(
                lock.connection(),
                &outcome.source,
                run_id,
                &completion(outcome, 0),
            )
            .await?;
        }
        Ok(())
    }

    /// After the catalog changed: re-matches the stored names of every source (sources being ingested
    /// right now are left alone; their own run matches with the newest catalog), then removes models
    /// that dated versions supersede and provisional models nothing refers to any more.
    pub async fn maintain_catalog(&self) {
        for settings in &self.sources {
            let name = settings.spec.name;
            let result: Result<i64, sqlx::Error> = async {
                let mut transaction = self.pool.begin().await?;
                if !repo::try_lock_in_transaction(&mut transaction, name).await? {
                    return Ok(0);
                }
                let matcher = catalog::load_matcher(&mut transaction).await?;
                let (_, _, changed) =
                    catalog::relink(&mut transaction, Some(name), &matcher, None).await?;
                transaction.commit().await?;
                Ok(changed)
            }
            .await;
            match result {
                Ok(0) => {}
                Ok(changed) => {
                    tracing::info!(source = name, changed, "re-linked stored observations")
                }
                Err(error) => {
                    tracing::warn!(source = name, error = %benchhub_db::describe(&error), "re-linking failed")
                }
            }
        }
        match catalog::remove_superseded(&self.pool).await {
            Ok(Some(0)) | Ok(None) => {}
            Ok(Some(removed)) => tracing::info!(removed, "removed superseded and orphaned models"),
            Err(error) => {
                tracing::warn!(error = %benchhub_db::describe(&error), "removing superseded models failed")
            }
        }
    }

    /// Ingests many sources, metadata sources first, at most `concurrency` at a time, and sends each
    /// result as it finishes. A refused or failing source is reported and never stops the others.
    pub fn ingest_all(
        self: &Arc<Self>,
        names: Vec<String>,
        dry_run: bool,
        concurrency: usize,
        actor: Option<String>,
    ) -> mpsc::Receiver<IngestOutcome> {
        let (sender, receiver) = mpsc::channel(names.len().max(1));
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let (mut first, rest): (Vec<String>, Vec<String>) = names
                .into_iter()
                .partition(|name| METADATA_SOURCES.contains(&name.as_str()));
            first.sort_by_key(|name| METADATA_SOURCES.iter().position(|known| known == name));
            for (phase, concurrency) in [(first, 1), (rest, concurrency)] {
                futures::stream::iter(phase)
                    .map(|name| {
                        let this = Arc::clone(&this);
                        let actor = actor.clone();
                        async move {
                            match this
                                .ingest(&name, Trigger::Manual, actor.as_deref(), dry_run)
                                .await
                            {
                                Ok(outcome) => outcome,
                                Err(error) => {
                                    if let Error::Internal(cause) = &error {
                                        tracing::error!(source = %name, error = %format!("{cause:#}"), "ingest failed");
                                    }
                                    IngestOutcome::refused(&name, Trigger::Manual, dry_run, &error)
                                }
                            }
                        }
                    })
                    .buffer_unordered(concurrency.max(1))
                    .for_each(|outcome| {
                        let sender = sender.clone();
                        async move {
                            // The caller may have gone away; the ingests still complete.
                            let _ = sender.send(outcome).await;
                        }
                    })
                    .await;
            }
        });
        receiver
    }

    /// Lists upstream model names of a live source that match no canonical model and were never
    /// ingested; with `auto_ingest` and something new, ingests the source (trigger detect).
    pub async fn detect(
        &self,
        name: &str,
        auto_ingest: bool,
        actor: Option<&str>,
    ) -> Result<Detection, Error> {
        let settings = self.settings(name)?;
        Self::check_ingestible(settings)?;
        if settings.spec.availability != Availability::Live {
            return Err(Error::FailedPrecondition(format!(
                "{name} is not a live source; only live sources can be checked for new models"
            )));
        }
        let adapter = Self::adapter(name)?;
        let context = self.context(settings);
        let mut connection = self.pool.acquire().await?;
        let stored = repo::stored_payloads(&mut connection, name).await?;
        let http = UpstreamHttp::new(
            self.client.clone(),
            self.settings.http.clone(),
            stored,
            &self.pool,
        );
        let upstream_unavailable =
            |error: String| Error::Unavailable(format!("cannot read {name} upstream: {error}"));
        let names: Vec<(String, Option<String>)> = match adapter.list_models(&http, &context).await
        {
            Some(listed) => listed
                .map_err(|error| upstream_unavailable(error.to_string()))?
                .into_iter()
                .map(|model| (model, None))
                .collect(),
            None => {
                let fetched = adapter
                    .fetch(&http, &context)
                    .await
                    .map_err(|error| upstream_unavailable(error.to_string()))?;
                let parsed = adapter
                    .parse(&fetched.documents, &context)
                    .map_err(|error| upstream_unavailable(error.to_string()))?;
                parsed
                    .observations
                    .iter()
                    .map(|observation| {
                        (
                            observation.source_model_name.clone(),
                            observation.match_name.clone(),
                        )
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            }
        };
        let matcher = catalog::load_matcher(&mut connection).await?;
        drop(connection);
        let ingested: HashSet<String> = catalog::stored_names(&self.pool, name)
            .await?
            .into_iter()
            .collect();
        let mut upstream = BTreeSet::new();
        let mut known = BTreeSet::new();
        let mut new_names = BTreeSet::new();
        for (model, match_name) in &names {
            upstream.insert(model.clone());
            let query = NameQuery {
                source: name,
                name: model,
                match_name: match_name.as_deref(),
                observed_on: None,
            };
            if matcher.resolve(&query).is_some() {
                known.insert(model.clone());
            } else if !ingested.contains(model) {
                new_names.insert(model.clone());
            }
        }
        let ingest = if auto_ingest && !new_names.is_empty() {
            Some(self.ingest(name, Trigger::Detect, actor, false).await?)
        } else {
            None
        };
        Ok(Detection {
            new_model_names: new_names.into_iter().collect(),
            known_count: known.len() as i64,
            upstream_count: upstream.len() as i64,
            ingest,
        })
    }

    /// Adds an alias and re-links that source's stored observations at once; returns the alias and how
    /// many observations now point at its model.
    pub async fn add_alias(
        &self,
        source: &str,
        alias: &str,
        model_id: &str,
        actor: &str,
    ) -> Result<(AliasRow, i64), Error> {
        check_alias_scope(source)?;
        if !catalog::model_exists(&self.pool, model_id).await? {
            return Err(Error::NotFound(format!(
                "model '{model_id}' not found; use an id from the catalog, e.g. openai/gpt-4o"
            )));
        }
        let mut transaction = self.pool.begin().await?;
        let row = match catalog::find_alias(&mut transaction, source, alias).await? {
            Some(existing) if existing.model_id == model_id => existing,
            Some(existing) => {
                return Err(Error::AlreadyExists(format!(
                    "alias '{alias}' of {source} already points at {}; remove it first",
                    existing.model_id
                )));
            }
            None => catalog::insert_alias(&mut transaction, source, alias, model_id, actor).await?,
        };
        let matcher = catalog::load_matcher(&mut transaction).await?;
        let scope = (source != ANY_SOURCE).then_some(source);
        let (linked, _, _) =
            catalog::relink(&mut transaction, scope, &matcher, Some(model_id)).await?;
        transaction.commit().await?;
        self.notify(&format!("alias:{source}")).await;
        Ok((row, linked))
    }

    /// Removes an alias; observations that matched only through it are re-matched (usually becoming
    /// unmatched). Returns the alias and how many observations left its model.
    pub async fn remove_alias(&self, source: &str, alias: &str) -> Result<(AliasRow, i64), Error> {
        check_alias_scope(source)?;
        let mut transaction = self.pool.begin().await?;
        let Some(row) = catalog::find_alias(&mut transaction, source, alias).await? else {
            return Err(Error::NotFound(format!(
                "alias '{alias}' of {source} not found"
            )));
        };
        catalog::delete_alias(&mut transaction, source, alias).await?;
        let matcher = catalog::load_matcher(&mut transaction).await?;
        let scope = (source != ANY_SOURCE).then_some(source);
        let (_, unlinked, _) =
            catalog::relink(&mut transaction, scope, &matcher, Some(&row.model_id)).await?;
        transaction.commit().await?;
        self.notify(&format!("alias:{source}")).await;
        Ok((row, unlinked))
    }

    async fn notify(&self, payload: &str) {
        if let Err(error) = repo::notify_catalog(&self.pool, payload).await {
            tracing::warn!(error = %benchhub_db::describe(&error), "catalog notification failed");
        }
    }

    /// Applies the catalog seed, then the MTEB seed when it differs from the stored copy (trigger
    /// startup). Seed failures are logged, never fatal.
    pub async fn apply_seeds(&self) -> anyhow::Result<()> {
        let (models, aliases) = crate::domain::seed::catalog_seed()?;
        catalog::apply_seed(&self.pool, &models, &aliases).await?;
        let seed = adapters::mteb::seed_document();
        let hash = sha256_hex(&seed.body);
        let mut connection = self.pool.acquire().await?;
        let stored = repo::stored_payloads(&mut connection, "mteb").await?;
        drop(connection);
        if stored
            .get(adapters::mteb::SEED_URL)
            .is_some_and(|payload| payload.sha256 == hash)
        {
            return Ok(());
        }
        match self
            .ingest("mteb", Trigger::Startup, Some("startup"), false)
            .await
        {
            Ok(outcome) => tracing::info!(inserted = outcome.inserted, "mteb seed applied"),
            Err(error) => tracing::warn!(error = %error, "mteb seed not applied"),
        }
        Ok(())
    }
}

fn check_alias_scope(source: &str) -> Result<(), Error> {
    if catalog::is_alias_scope(source) {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "unknown source '{source}'; use one of: {}, or * for every source",
            sources::names()
        )))
    }
}

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

fn completion(outcome: &IngestOutcome, models_found: i32) -> RunCompletion {
    let clamp = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
    RunCompletion {
        status: outcome.status.as_str(),
        snapshot_date: outcome.snapshot_date,
        fetched: clamp(outcome.fetched),
        inserted: clamp(outcome.inserted),
        updated: clamp(outcome.updated),
        unmatched: clamp(outcome.unmatched),
        skipped: clamp(outcome.skipped),
        failed: clamp(outcome.failed),
        duration_ms: outcome.duration_ms,
        stale: outcome.stale,
        error: outcome.error.clone(),
        models_found,
        oldest_data_date: outcome.oldest_data_date,
        newest_data_date: outcome.newest_data_date,
        models_created: clamp(outcome.models_created),
        document_failures: outcome.document_failures.clone(),
    }
}

/// One line naming each failed document and why (`webdev: upstream answered HTTP 404 for …`).
pub fn describe_failures(failures: &[DocumentFailure]) -> String {
    // Giving up says the most (why the rest was not even asked for): it comes first.
    let shown: Vec<String> = failures
        .iter()
        .filter(|failure| failure.gave_up)
        .chain(failures.iter().filter(|failure| !failure.gave_up))
        .take(5)
        .map(|failure| format!("{}: {}", failure.document, failure.error))
        .collect();
    let more = failures.len().saturating_sub(shown.len());
    let mut text = format!(
        "{} document{} failed: {}",
        failures.len(),
        if failures.len() == 1 { "" } else { "s" },
        shown.join("; ")
    );
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}
