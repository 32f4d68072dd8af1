//! gRPC handlers of `IngestService` and `TokenService`: read the caller, validate and convert, call the
//! domain or repository, convert back. No SQL and no rules live here.

use std::pin::Pin;
use std::sync::Arc;

use benchhub_common::auth::{self, Role};
use benchhub_common::convert::{date_text, optional_timestamp, timestamp};
use benchhub_common::paging;
use benchhub_proto::pb;
use futures::Stream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::config::SourceSettings;
use crate::domain::sources::Availability;
use crate::error::Error;
use crate::repo::{self, RunRow, SourceState};

/// Shared state of the ingest handlers.
pub struct IngestState {
    /// Database pool.
    pub pool: sqlx::PgPool,
    /// Every source as configured.
    pub sources: Vec<SourceSettings>,
}

/// Implements `benchhub.v1.IngestService`.
#[derive(Clone)]
pub struct IngestApi {
    state: Arc<IngestState>,
}

impl IngestApi {
    /// Creates the handlers over shared state.
    pub fn new(state: Arc<IngestState>) -> Self {
        Self { state }
    }
}

fn not_built(method: &str) -> Status {
    Status::from(Error::Unimplemented(format!(
        "ingest: {method} is not available yet (ingest service issue)"
    )))
}

type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl pb::ingest_service_server::IngestService for IngestApi {
    async fn reingest_source(
        &self,
        _request: Request<pb::ReingestSourceRequest>,
    ) -> Result<Response<pb::ReingestSourceResponse>, Status> {
        Err(not_built("ReingestSource"))
    }

    type ReingestAllStream = ResultStream<pb::ReingestAllResponse>;

    async fn reingest_all(
        &self,
        _request: Request<pb::ReingestAllRequest>,
    ) -> Result<Response<Self::ReingestAllStream>, Status> {
        Err(not_built("ReingestAll"))
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
        let size = paging::page_size(request.page_size)
            .map_err(|error| Error::invalid(error.field(), error.to_string()))?;
        let fingerprint = paging::fingerprint(&[&request.availability.to_string()]);
        let offset = paging::decode_token(&request.page_token, &fingerprint)
            .map_err(|error| Error::invalid(error.field(), error.to_string()))?
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

    async fn list_ingestion_runs(
        &self,
        _request: Request<pb::ListIngestionRunsRequest>,
    ) -> Result<Response<pb::ListIngestionRunsResponse>, Status> {
        Err(not_built("ListIngestionRuns"))
    }

    async fn list_unmatched_models(
        &self,
        _request: Request<pb::ListUnmatchedModelsRequest>,
    ) -> Result<Response<pb::ListUnmatchedModelsResponse>, Status> {
        Err(not_built("ListUnmatchedModels"))
    }

    async fn add_model_alias(
        &self,
        _request: Request<pb::AddModelAliasRequest>,
    ) -> Result<Response<pb::AddModelAliasResponse>, Status> {
        Err(not_built("AddModelAlias"))
    }

    async fn remove_model_alias(
        &self,
        _request: Request<pb::RemoveModelAliasRequest>,
    ) -> Result<Response<pb::RemoveModelAliasResponse>, Status> {
        Err(not_built("RemoveModelAlias"))
    }

    async fn detect_new_models(
        &self,
        _request: Request<pb::DetectNewModelsRequest>,
    ) -> Result<Response<pb::DetectNewModelsResponse>, Status> {
        Err(not_built("DetectNewModels"))
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
        stale: state.stale,
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
        _ => pb::RunStatus::Unspecified,
    }
}

/// Implements `benchhub.v1.TokenService` (admin only, enforced by the access policy).
#[derive(Clone)]
pub struct TokenApi {
    pool: sqlx::PgPool,
}

impl TokenApi {
    /// Creates the handlers.
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }
}

fn role_from_proto(value: i32) -> Result<Role, Error> {
    match pb::Role::try_from(value) {
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Runner) => Ok(Role::Runner),
        Ok(pb::Role::Reader) => Ok(Role::Reader),
        _ => Err(Error::invalid(
            "role",
            "must be ROLE_ADMIN, ROLE_RUNNER or ROLE_READER",
        )),
    }
}

fn role_to_proto(role: &str) -> pb::Role {
    match Role::parse(role) {
        Some(Role::Admin) => pb::Role::Admin,
        Some(Role::Runner) => pb::Role::Runner,
        Some(Role::Reader) => pb::Role::Reader,
        None => pb::Role::Unspecified,
    }
}

fn token_to_proto(record: &auth::TokenRecord) -> pb::Token {
    pb::Token {
        id: record.id.to_string(),
        name: record.name.clone(),
        role: role_to_proto(&record.role) as i32,
        tenant_id: record.tenant_id.clone(),
        prefix: record.token_prefix.clone(),
        created_at: Some(timestamp(record.created_at)),
        revoked_at: optional_timestamp(record.revoked_at),
        last_used_at: optional_timestamp(record.last_used_at),
        created_by: String::new(),
    }
}

fn validate_name(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

fn validate_tenant(value: &str) -> Result<String, Error> {
    let value = if value.trim().is_empty() {
        "default"
    } else {
        value.trim()
    };
    let valid = value.len() <= 64
        && value.chars().all(|character| {
            character.is_ascii_alphanumeric() || character == '-' || character == '_'
        });
    if !valid {
        return Err(Error::invalid(
            "tenant_id",
            "must be 1 to 64 characters of a-z, A-Z, 0-9, '-' or '_' (empty means 'default')",
        ));
    }
    Ok(value.to_owned())
}

#[tonic::async_trait]
impl pb::token_service_server::TokenService for TokenApi {
    async fn create_token(
        &self,
        request: Request<pb::CreateTokenRequest>,
    ) -> Result<Response<pb::CreateTokenResponse>, Status> {
        let caller = benchhub_common::rpc::principal(&request);
        let request = request.into_inner();
        let name = validate_name("name", &request.name, 200)?;
        let role = role_from_proto(request.role)?;
        let tenant_id = validate_tenant(&request.tenant_id)?;
        let (secret, record) = auth::create_token(&self.pool, &name, role, &tenant_id)
            .await
            .map_err(Error::from)?;
        tracing::info!(token_id = %record.id, role = role.as_str(), tenant = %tenant_id, created_by = %caller.subject, "token created");
        let mut token = token_to_proto(&record);
        token.created_by = caller.subject;
        Ok(Response::new(pb::CreateTokenResponse {
            secret,
            token: Some(token),
        }))
    }

    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        let request = request.into_inner();
        let size = paging::page_size(request.page_size)
            .map_err(|error| Error::invalid(error.field(), error.to_string()))?;
        let tenant = if request.tenant_id.is_empty() {
            None
        } else {
            Some(validate_tenant(&request.tenant_id)?)
        };
        let fingerprint = paging::fingerprint(&[
            &request.include_revoked.to_string(),
            tenant.as_deref().unwrap_or(""),
        ]);
        let cursor = paging::decode_token(&request.page_token, &fingerprint)
            .map_err(|error| Error::invalid(error.field(), error.to_string()))?
            .map(|cursor| parse_token_cursor(&cursor))
            .transpose()?;
        let mut records = auth::list_tokens(
            &self.pool,
            cursor,
            size + 1,
            request.include_revoked,
            tenant.as_deref(),
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = if records.len() > size as usize {
            records.truncate(size as usize);
            records
                .last()
                .map(|last| {
                    paging::encode_token(
                        &fingerprint,
                        &format!("{}|{}", last.created_at.to_rfc3339(), last.id),
                    )
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListTokensResponse {
            tokens: records.iter().map(token_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let id = Uuid::parse_str(request.get_ref().id.trim()).map_err(|_| {
            Error::invalid("id", "must be a token id (a UUID as shown by ListTokens)")
        })?;
        let record = auth::revoke_token(&self.pool, id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::NotFound(format!("token {id} not found")))?;
        tracing::info!(token_id = %id, "token revoked");
        Ok(Response::new(pb::RevokeTokenResponse {
            token: Some(token_to_proto(&record)),
        }))
    }
}

fn parse_token_cursor(cursor: &str) -> Result<(chrono::DateTime<chrono::Utc>, Uuid), Error> {
    let invalid = || Error::invalid("page_token", "is not valid for this request");
    let (time, id) = cursor.split_once('|').ok_or_else(invalid)?;
    let time = chrono::DateTime::parse_from_rfc3339(time)
        .map_err(|_| invalid())?
        .with_timezone(&chrono::Utc);
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((time, id))
}
