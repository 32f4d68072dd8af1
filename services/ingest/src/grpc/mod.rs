//! gRPC handlers of `IngestService` (and, in [`tokens`], `TokenService`): read the caller, validate
//! and convert, call the service layer or a repository read, convert back. No SQL and no rules live
//! here.

mod tokens;

pub use tokens::TokenApi;

use std::pin::Pin;
use std::sync::Arc;

use benchhub_common::convert::{date_text, from_timestamp, optional_timestamp, timestamp};
use benchhub_common::paging;
use benchhub_proto::pb;
use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::config::SourceSettings;
use crate::domain::adapters::DocumentFailure;
use crate::domain::matcher::ANY_SOURCE;
use crate::domain::sources::{self, Availability};
use crate::error::Error;
use crate::repo::catalog::{self, AliasRow};
use crate::repo::{self, RunFilter, RunRow, SourceState};
use crate::service::{IngestOutcome, Ingestor, OutcomeStatus, Trigger};

/// Shared state of the ingest handlers.
#[derive(Debug)]
pub struct IngestState {
    /// Database pool.
    pub pool: sqlx::PgPool,
    /// Every source as configured.
    pub sources: Vec<SourceSettings>,
    /// The ingest pipeline.
    pub ingestor: Arc<Ingestor>,
    /// The server's deadline of a unary call (`BENCHHUB_REQUEST_TIMEOUT`).
    pub request_timeout: std::time::Duration,
}

/// How long ReingestSource waits for its run before answering RUNNING: the caller's deadline
/// (`grpc-timeout`), at most the server's request timeout, less half a second to answer in time.
pub fn answer_within(
    grpc_timeout: Option<&tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
    request_timeout: std::time::Duration,
) -> std::time::Duration {
    let caller = grpc_timeout
        .and_then(|value| value.to_str().ok())
        .and_then(parse_grpc_timeout);
    let deadline = caller.map_or(request_timeout, |caller| caller.min(request_timeout));
    deadline
        .saturating_sub(std::time::Duration::from_millis(500))
        .max(std::time::Duration::from_millis(100))
}

/// Parses a `grpc-timeout` header value: up to 8 digits and a unit (H, M, S, m, u, n).
fn parse_grpc_timeout(value: &str) -> Option<std::time::Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => std::time::Duration::from_secs(amount.saturating_mul(3600)),
        "M" => std::time::Duration::from_secs(amount.saturating_mul(60)),
        "S" => std::time::Duration::from_secs(amount),
        "m" => std::time::Duration::from_millis(amount),
        "u" => std::time::Duration::from_micros(amount),
        "n" => std::time::Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Implements `benchhub.v1.IngestService`.
#[derive(Debug, Clone)]
pub struct IngestApi {
    state: Arc<IngestState>,
}

impl IngestApi {
    /// Creates the handlers over shared state.
    pub fn new(state: Arc<IngestState>) -> Self {
        Self { state }
    }
}

/// Largest ReingestAll concurrency accepted.
const MAX_CONCURRENCY: i32 = 16;
/// Longest alias accepted.
const MAX_ALIAS_CHARS: usize = 256;

fn source_name(field: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(
            field,
            format!("is required; one of: {}", sources::names()),
        ));
    }
    if value.chars().count() > MAX_SOURCE_CHARS {
        return Err(Error::invalid(
            field,
            format!(
                "must be at most {MAX_SOURCE_CHARS} characters; one of: {}",
                sources::names()
            ),
        ));
    }
    Ok(value.to_owned())
}

/// Longest source name echoed back in an error (error messages travel in a size-capped header).
const MAX_SOURCE_CHARS: usize = 64;

/// Shortens an unknown name for an error message.
fn shown(name: &str) -> String {
    if name.chars().count() > MAX_SOURCE_CHARS {
        let head: String = name.chars().take(MAX_SOURCE_CHARS).collect();
        format!("{head}…")
    } else {
        name.to_owned()
    }
}

fn actor<T>(request: &Request<T>) -> String {
    benchhub_common::rpc::principal(request).subject
}

fn status_to_proto_outcome(status: OutcomeStatus) -> pb::RunStatus {
    match status {
        OutcomeStatus::Succeeded => pb::RunStatus::Succeeded,
        OutcomeStatus::Failed => pb::RunStatus::Failed,
        OutcomeStatus::Skipped => pb::RunStatus::Skipped,
        OutcomeStatus::Partial => pb::RunStatus::Partial,
    }
}

fn trigger_from_domain(trigger: Trigger) -> pb::Trigger {
    match trigger {
        Trigger::Manual => pb::Trigger::Manual,
        Trigger::Schedule => pb::Trigger::Schedule,
        Trigger::Startup => pb::Trigger::Startup,
        Trigger::Detect => pb::Trigger::Detect,
    }
}

fn clamp(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Converts an ingest outcome to its wire form.
pub fn outcome_to_proto(outcome: &IngestOutcome) -> pb::IngestResult {
    pb::IngestResult {
        source: outcome.source.clone(),
        run_id: outcome.run_id.map(|id| id.to_string()).unwrap_or_default(),
        status: status_to_proto_outcome(outcome.status) as i32,
        fetched: clamp(outcome.fetched),
        inserted: clamp(outcome.inserted),
        updated: clamp(outcome.updated),
        unmatched: clamp(outcome.unmatched),
        skipped: clamp(outcome.skipped),
        failed: clamp(outcome.failed),
        duration_ms: outcome.duration_ms,
        stale: outcome.stale,
        error: outcome.error.clone().unwrap_or_default(),
        dry_run: outcome.dry_run,
        snapshot_date: date_text(outcome.snapshot_date),
        trigger: trigger_from_domain(outcome.trigger) as i32,
        models_created: clamp(outcome.models_created),
        models_updated: clamp(outcome.models_updated),
        oldest_data_date: date_text(outcome.oldest_data_date),
        newest_data_date: date_text(outcome.newest_data_date),
        document_failures: outcome
            .document_failures
            .iter()
            .map(document_failure_to_proto)
            .collect(),
    }
}

fn document_failure_to_proto(failure: &DocumentFailure) -> pb::DocumentFailure {
    pb::DocumentFailure {
        document: failure.document.clone(),
        error: failure.error.clone(),
        gave_up: failure.gave_up,
    }
}

fn alias_to_proto(alias: &AliasRow) -> pb::ModelAlias {
    pb::ModelAlias {
        source: alias.source.clone(),
        alias: alias.alias.clone(),
        model_id: alias.model_id.clone(),
        created_at: Some(timestamp(alias.created_at)),
    }
}

fn alias_fields(source: &str, alias: &str) -> Result<(String, String), Error> {
    let source = source.trim();
    if source.is_empty() {
        return Err(Error::invalid(
            "source",
            format!(
                "is required; one of: {}, or * for every source",
                sources::names()
            ),
        ));
    }
    let alias = alias.trim();
    if alias.is_empty() || alias.chars().count() > MAX_ALIAS_CHARS {
        return Err(Error::invalid(
            "alias",
            format!("must be 1 to {MAX_ALIAS_CHARS} characters"),
        ));
    }
    if alias.chars().any(char::is_control) {
        return Err(Error::invalid(
            "alias",
            "must not contain control characters",
        ));
    }
    Ok((source.to_owned(), alias.to_owned()))
}

fn run_status_filter(value: i32) -> Result<Option<&'static str>, Error> {
    match pb::RunStatus::try_from(value) {
        Ok(pb::RunStatus::Unspecified) => Ok(None),
        Ok(pb::RunStatus::Running) => Ok(Some("running")),
        Ok(pb::RunStatus::Succeeded) => Ok(Some("succeeded")),
        Ok(pb::RunStatus::Failed) => Ok(Some("failed")),
        Ok(pb::RunStatus::Skipped) => Ok(Some("skipped")),
        Ok(pb::RunStatus::Partial) => Ok(Some("partial")),
        Err(_) => Err(Error::invalid(
            "status",
            "must be RUN_STATUS_RUNNING, RUN_STATUS_SUCCEEDED, RUN_STATUS_FAILED, RUN_STATUS_SKIPPED or RUN_STATUS_PARTIAL (or unset)",
        )),
    }
}

fn trigger_filter(value: i32) -> Result<Option<&'static str>, Error> {
    match pb::Trigger::try_from(value) {
        Ok(pb::Trigger::Unspecified) => Ok(None),
        Ok(pb::Trigger::Manual) => Ok(Some("manual")),
        Ok(pb::Trigger::Schedule) => Ok(Some("schedule")),
        Ok(pb::Trigger::Startup) => Ok(Some("startup")),
        Ok(pb::Trigger::Detect) => Ok(Some("detect")),
        Err(_) => Err(Error::invalid(
            "trigger",
            "must be TRIGGER_MANUAL, TRIGGER_SCHEDULE, TRIGGER_STARTUP or TRIGGER_DETECT (or unset)",
        )),
    }
}

fn instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
    value
        .map(|value| {
            from_timestamp(value).ok_or_else(|| Error::invalid(field, "is not a valid timestamp"))
        })
        .transpose()
}

type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl pb::ingest_service_server::IngestService for IngestApi {
    async fn reingest_source(
        &self,
        request: Request<pb::ReingestSourceRequest>,
    ) -> Result<Response<pb::ReingestSourceResponse>, Status> {
        let actor = actor(&request);
        let wait = answer_within(
            request.metadata().get("grpc-timeout"),
            self.state.request_timeout,
        );
        let request = request.into_inner();
        let source = source_name("source", &request.source)?;
        if request.dry_run {
            // Writes nothing, so it may end with its call.
            let outcome = self
                .state
                .ingestor
                .ingest(&source, Trigger::Manual, Some(&actor), true)
                .await?;
            return Ok(Response::new(pb::ReingestSourceResponse {
                result: Some(outcome_to_proto(&outcome)),
            }));
        }
        let mut started = self
            .state
            .ingestor
            .start(&source, Trigger::Manual, Some(actor), false);
        let outcome = match tokio::time::timeout(wait, &mut started.outcome).await {
            Ok(joined) => joined.map_err(|error| {
                Error::Internal(anyhow::anyhow!("the ingest task failed: {error}"))
            })??,
            Err(_) => {
                // Still going: answer with the run to follow; the run keeps going without us.
                let run_id = started.run_id.await.map_err(|_| {
                    Error::Internal(anyhow::anyhow!("the run ended without being recorded"))
                })?;
                return Ok(Response::new(pb::ReingestSourceResponse {
                    result: Some(pb::IngestResult {
                        source: source.clone(),
                        run_id: run_id.to_string(),
                        status: pb::RunStatus::Running as i32,
                        trigger: pb::Trigger::Manual as i32,
                        ..Default::default()
                    }),
                }));
            }
        };
        Ok(Response::new(pb::ReingestSourceResponse {
            result: Some(outcome_to_proto(&outcome)),
        }))
    }

    type ReingestAllStream = ResultStream<pb::ReingestAllResponse>;

    async fn reingest_all(
        &self,
        request: Request<pb::ReingestAllRequest>,
    ) -> Result<Response<Self::ReingestAllStream>, Status> {
        let actor = actor(&request);
        let request = request.into_inner();
        let mut names = Vec::new();
        for name in &request.sources {
            let name = name.trim();
            if sources::find(name).is_none() {
                return Err(Error::invalid(
                    "sources",
                    format!(
                        "'{}' is not a source; known sources: {}",
                        shown(name),
                        sources::names()
                    ),
                )
                .into());
            }
            if !names.iter().any(|known: &String| known == name) {
                names.push(name.to_owned());
            }
        }
        if names.is_empty() {
            names = self
                .state
                .sources
                .iter()
                .filter(|settings| settings.spec.availability != Availability::Unavailable)
                .map(|settings| settings.spec.name.to_owned())
                .collect();
        }
        let concurrency = match request.max_concurrency {
            0 => self.state.ingestor.source_concurrency(),
            value if value < 0 => {
                return Err(Error::invalid(
                    "max_concurrency",
                    format!(
                        "must be between 0 and {MAX_CONCURRENCY} (0 means the service default)"
                    ),
                )
                .into());
            }
            value => value.min(MAX_CONCURRENCY) as usize,
        };
        let receiver =
            self.state
                .ingestor
                .ingest_all(names, request.dry_run, concurrency, Some(actor));
        let stream = tokio_stream::wrappers::ReceiverStream::new(receiver).map(|outcome| {
            Ok(pb::ReingestAllResponse {
                result: Some(outcome_to_proto(&outcome)),
            })
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_sources(
        &self,
        request: Request<pb::ListSourcesRequest>,
    ) -> Result<Response<pb::ListSourcesResponse>, Status> {
        let request = request.into_inner();
        let availability_filter = match pb::Availability::try_from(request.availability) {
            Ok(pb::Availability::Unspecified) => None,
            Ok(value) => Some(value),
            Err(_) => {
                return Err(Error::invalid(
                    "availability",
                    "must be AVAILABILITY_LIVE, AVAILABILITY_SEED or AVAILABILITY_UNAVAILABLE (or unset)",
                )
                .into());
            }
        };
        let size = paging::page_size(request.page_size).map_err(Error::from)?;
        let fingerprint = paging::fingerprint(&[&request.availability.to_string()]);
        let offset = paging::decode_token(&request.page_token, &fingerprint)
            .map_err(Error::from)?
            .map(|cursor| cursor.parse::<usize>())
            .transpose()
            .map_err(|_| Error::invalid("page_token", "is not valid for this request"))?
            .unwrap_or(0);

        let states = repo::source_states(&self.state.pool)
            .await
            .map_err(Error::from)?;
        let matching: Vec<pb::Source> = self
            .state
            .sources
            .iter()
            .map(|settings| source_to_proto(settings, states.get(settings.spec.name)))
            .filter(|source| {
                availability_filter.is_none_or(|wanted| source.availability == wanted as i32)
            })
            .collect();
        let end = (offset + size as usize).min(matching.len());
        let next_page_token = if end < matching.len() {
            paging::encode_token(&fingerprint, &end.to_string())
        } else {
            String::new()
        };
        let sources = matching
            .into_iter()
            .skip(offset)
            .take(end.saturating_sub(offset))
            .collect();
        Ok(Response::new(pb::ListSourcesResponse {
            sources,
            next_page_token,
        }))
    }

    async fn get_ingestion_run(
        &self,
        request: Request<pb::GetIngestionRunRequest>,
    ) -> Result<Response<pb::GetIngestionRunResponse>, Status> {
        let id = request.into_inner().id;
        let id = Uuid::parse_str(id.trim()).map_err(|_| {
            Error::invalid(
                "id",
                format!(
                    "'{}' is not a run id (a UUID, as in IngestResult.run_id)",
                    shown(&id)
                ),
            )
        })?;
        let run = repo::run_by_id(&self.state.pool, id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::NotFound(format!("no ingestion run {id}")))?;
        Ok(Response::new(pb::GetIngestionRunResponse {
            run: Some(run_to_proto(&run)),
        }))
    }

    async fn list_ingestion_runs(
        &self,
        request: Request<pb::ListIngestionRunsRequest>,
    ) -> Result<Response<pb::ListIngestionRunsResponse>, Status> {
        let request = request.into_inner();
        let size = paging::page_size(request.page_size).map_err(Error::from)?;
        let source = source_filter(&request.source)?;
        let filter = RunFilter {
            source: (!source.is_empty()).then(|| source.to_owned()),
            status: run_status_filter(request.status)?,
            trigger: trigger_filter(request.trigger)?,
            started_after: instant("started_after", request.started_after.as_ref())?,
            started_before: instant("started_before", request.started_before.as_ref())?,
        };
        let fingerprint = paging::fingerprint(&[
            source,
            &request.status.to_string(),
            &request.trigger.to_string(),
            &format!("{:?}", filter.started_after),
            &format!("{:?}", filter.started_before),
        ]);
        let cursor = paging::decode_token(&request.page_token, &fingerprint)
            .map_err(Error::from)?
            .map(|cursor| parse_cursor(&cursor))
            .transpose()?;
        let mut runs = repo::list_runs(&self.state.pool, &filter, cursor, i64::from(size) + 1)
            .await
            .map_err(Error::from)?;
        let next_page_token = paging::next_page_token(&mut runs, size, &fingerprint, |last| {
            paging::time_cursor(last.started_at, last.id)
        });
        Ok(Response::new(pb::ListIngestionRunsResponse {
            runs: runs.iter().map(run_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn list_unmatched_models(
        &self,
        request: Request<pb::ListUnmatchedModelsRequest>,
    ) -> Result<Response<pb::ListUnmatchedModelsResponse>, Status> {
        let request = request.into_inner();
        let size = paging::page_size(request.page_size).map_err(Error::from)?;
        let source = source_filter(&request.source)?;
        let fingerprint = paging::fingerprint(&[source]);
        let offset = paging::decode_token(&request.page_token, &fingerprint)
            .map_err(Error::from)?
            .map(|cursor| cursor.parse::<i64>())
            .transpose()
            .map_err(|_| Error::invalid("page_token", "is not valid for this request"))?
            .unwrap_or(0);
        let filter = (!source.is_empty()).then_some(source);
        let (rows, total) =
            catalog::list_unmatched(&self.state.pool, filter, offset, i64::from(size))
                .await
                .map_err(Error::from)?;
        let mut connection = self.state.pool.acquire().await.map_err(Error::from)?;
        let matcher = catalog::load_matcher(&mut connection)
            .await
            .map_err(Error::from)?;
        drop(connection);
        let models = rows
            .iter()
            .map(|row| {
                let name = row.match_name.as_deref().unwrap_or(&row.source_model_name);
                pb::UnmatchedModel {
                    source: row.source.clone(),
                    source_model_name: row.source_model_name.clone(),
                    normalized_name: crate::repo::catalog::alias_key(name),
                    observation_count: clamp(row.observation_count),
                    first_seen_at: Some(timestamp(row.first_seen_at)),
                    last_seen_at: Some(timestamp(row.last_seen_at)),
                    candidates: matcher
                        .candidates(name, 5)
                        .into_iter()
                        .map(|candidate| pb::ModelCandidate {
                            model: Some(pb::ModelRef {
                                id: candidate.model_id,
                                display_name: candidate.display_name,
                            }),
                            similarity: candidate.similarity,
                        })
                        .collect(),
                }
            })
            .collect();
        let end = offset + i64::from(size);
        let next_page_token = if end < total {
            paging::encode_token(&fingerprint, &end.to_string())
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListUnmatchedModelsResponse {
            models,
            next_page_token,
            total_size: clamp(total),
        }))
    }

    async fn add_model_alias(
        &self,
        request: Request<pb::AddModelAliasRequest>,
    ) -> Result<Response<pb::AddModelAliasResponse>, Status> {
        let actor = actor(&request);
        let request = request.into_inner();
        let (source, alias) = alias_fields(&request.source, &request.alias)?;
        let model_id = request.model_id.trim();
        if model_id.is_empty() {
            return Err(Error::invalid("model_id", "is required, e.g. openai/gpt-4o").into());
        }
        let (row, relinked) = self
            .state
            .ingestor
            .add_alias(&source, &alias, model_id, &actor)
            .await?;
        tracing::info!(source = %source, alias = %alias, model_id, relinked, actor = %actor, "alias added");
        Ok(Response::new(pb::AddModelAliasResponse {
            alias: Some(alias_to_proto(&row)),
            relinked_observations: clamp(relinked),
        }))
    }

    async fn remove_model_alias(
        &self,
        request: Request<pb::RemoveModelAliasRequest>,
    ) -> Result<Response<pb::RemoveModelAliasResponse>, Status> {
        let request = request.into_inner();
        let (source, alias) = alias_fields(&request.source, &request.alias)?;
        let (row, unlinked) = self.state.ingestor.remove_alias(&source, &alias).await?;
        tracing::info!(source = %source, alias = %alias, unlinked, "alias removed");
        Ok(Response::new(pb::RemoveModelAliasResponse {
            alias: Some(alias_to_proto(&row)),
            unlinked_observations: clamp(unlinked),
        }))
    }

    async fn detect_new_models(
        &self,
        request: Request<pb::DetectNewModelsRequest>,
    ) -> Result<Response<pb::DetectNewModelsResponse>, Status> {
        let actor = actor(&request);
        let request = request.into_inner();
        let source = source_name("source", &request.source)?;
        if source == ANY_SOURCE {
            return Err(Error::invalid("source", "must name one live source").into());
        }
        let detection = self
            .state
            .ingestor
            .detect(&source, request.auto_ingest, Some(&actor))
            .await?;
        Ok(Response::new(pb::DetectNewModelsResponse {
            source,
            new_model_names: detection.new_model_names,
            known_count: clamp(detection.known_count),
            upstream_count: clamp(detection.upstream_count),
            ingest_result: detection.ingest.as_ref().map(outcome_to_proto),
        }))
    }
}

fn availability_to_proto(availability: Availability) -> pb::Availability {
    match availability {
        Availability::Live => pb::Availability::Live,
        Availability::Seed => pb::Availability::Seed,
        Availability::Unavailable => pb::Availability::Unavailable,
    }
}

fn source_to_proto(settings: &SourceSettings, state: Option<&SourceState>) -> pb::Source {
    let spec = settings.spec;
    let state = state.cloned().unwrap_or_default();
    let next_run_at = state.next_run_at.or_else(|| {
        settings
            .schedule
            .as_ref()
            .and_then(|schedule| schedule.upcoming(chrono::Utc).next())
    });
    let stale_reason = benchhub_common::freshness::stale_reason(
        state.stale,
        state.last_success_at,
        settings.ttl,
        chrono::Utc::now(),
    );
    pb::Source {
        name: spec.name.to_owned(),
        display_name: spec.display_name.to_owned(),
        availability: availability_to_proto(spec.availability) as i32,
        availability_reason: spec.availability_reason.to_owned(),
        categories: spec
            .categories
            .iter()
            .map(|category| (*category).to_owned())
            .collect(),
        schedule: settings.schedule_text.clone(),
        base_url: settings.base_url.clone(),
        secret_env_var: spec.secret_env_var.unwrap_or_default().to_owned(),
        secret_required: spec.secret_required,
        secret_configured: settings.secret.is_some(),
        last_run: state.last_run.as_ref().map(run_to_proto),
        last_success_at: optional_timestamp(state.last_success_at),
        next_run_at: optional_timestamp(next_run_at),
        newest_snapshot_date: date_text(state.newest_snapshot_date),
        models_found: state.models_found,
        models_unmatched: state.models_unmatched,
        stale: stale_reason.is_some(),
        newest_data_date: date_text(state.newest_data_date),
        ttl: settings
            .ttl
            .map(benchhub_common::freshness::text)
            .unwrap_or_default(),
        stale_reason: stale_reason.unwrap_or_default(),
    }
}

/// Converts a stored run to its wire form.
pub fn run_to_proto(run: &RunRow) -> pb::IngestionRun {
    pb::IngestionRun {
        id: run.id.to_string(),
        source: run.source.clone(),
        trigger: trigger_to_proto(&run.trigger) as i32,
        actor: run.actor.clone().unwrap_or_default(),
        status: status_to_proto(&run.status) as i32,
        started_at: Some(timestamp(run.started_at)),
        completed_at: optional_timestamp(run.completed_at),
        fetched: run.fetched,
        inserted: run.inserted,
        updated: run.updated,
        unmatched: run.unmatched,
        skipped: run.skipped,
        failed: run.failed,
        duration_ms: run.duration_ms.unwrap_or_default(),
        error: run.error.clone().unwrap_or_default(),
        snapshot_date: date_text(run.snapshot_date),
        oldest_data_date: date_text(run.oldest_data_date),
        newest_data_date: date_text(run.newest_data_date),
        models_created: run.models_created,
        document_failures: run
            .document_failures
            .iter()
            .map(document_failure_to_proto)
            .collect(),
    }
}

fn trigger_to_proto(trigger: &str) -> pb::Trigger {
    match trigger {
        "manual" => pb::Trigger::Manual,
        "schedule" => pb::Trigger::Schedule,
        "startup" => pb::Trigger::Startup,
        "detect" => pb::Trigger::Detect,
        _ => pb::Trigger::Unspecified,
    }
}

fn status_to_proto(status: &str) -> pb::RunStatus {
    match status {
        "running" => pb::RunStatus::Running,
        "succeeded" => pb::RunStatus::Succeeded,
        "failed" => pb::RunStatus::Failed,
        "skipped" => pb::RunStatus::Skipped,
        "partial" => pb::RunStatus::Partial,
        _ => pb::RunStatus::Unspecified,
    }
}

/// Parses a `(time, id)` page token of ListIngestionRuns or ListTokens.
fn parse_cursor(cursor: &str) -> Result<(chrono::DateTime<chrono::Utc>, Uuid), Error> {
    paging::parse_time_cursor(cursor)
        .ok_or_else(|| Error::invalid("page_token", "is not valid for this request"))
}

/// Validates an optional `source` filter: empty means every source, otherwise a known source name.
fn source_filter(text: &str) -> Result<&str, Error> {
    let source = text.trim();
    if !source.is_empty() && sources::find(source).is_none() {
        return Err(Error::invalid(
            "source",
            format!(
                "'{}' is not a source; known sources: {}",
                shown(source),
                sources::names()
            ),
        ));
    }
    Ok(source)
}
