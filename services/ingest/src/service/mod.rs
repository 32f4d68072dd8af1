//! The ingest service layer (orchestration and transactions; `grpc.rs` decodes and validates, `domain/`
//! computes, `repo/` holds the SQL). One ingest: lock → fetch → (skip when unchanged) → parse → match →
//! one transaction that upserts models and observations, renormalises the touched cohorts, keeps the
//! raw payloads and completes the run and the source's state → `pg_notify` after commit. ReingestAll
//! runs many. The parts: [`write`] (the write transaction), [`outcome`] (what a run reports and
//! stores), [`admin`] (detection, aliases and catalog maintenance), [`seeds`] (start-up seeds).

mod admin;
mod outcome;
mod seeds;
mod write;

pub use admin::Detection;
pub use outcome::{IngestOutcome, OutcomeStatus, describe_failures};
use outcome::{completion, record_metrics};

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgPool};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::config::{PipelineSettings, SourceSettings};
use crate::domain::adapters::{self, Document, Fetched, Source, SourceContext};
use crate::domain::sources::{self, Availability};
use crate::error::Error;
use crate::fetch::UpstreamHttp;
use crate::repo::snapshot::{self};
use crate::repo::{self, SourceLock};

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

    async fn notify(&self, payload: &str) {
        if let Err(error) = repo::notify_catalog(&self.pool, payload).await {
            tracing::warn!(error = %benchhub_db::describe(&error), "catalog notification failed");
        }
    }
}
