//! gRPC handlers of `TokenService`: API tokens of a tenant (a platform admin manages every tenant;
//! a tenant's admin only its own).

use benchhub_common::auth::{self, Role};
use benchhub_common::convert::{optional_timestamp, timestamp};
use benchhub_common::paging;
use benchhub_proto::pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::error::Error;

use super::{parse_cursor, shown};

/// Implements `benchhub.v1.TokenService` (admin only, enforced by the access policy).
#[derive(Debug, Clone)]
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
        let tenant_id = if request.tenant_id.trim().is_empty() {
            caller.tenant_id.clone()
        } else {
            validate_tenant(&request.tenant_id)?
        };
        own_tenant(&caller, &tenant_id)?;
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
        let caller = benchhub_common::rpc::principal(&request);
        let request = request.into_inner();
        let size = paging::page_size(request.page_size).map_err(Error::from)?;
        let tenant = if request.tenant_id.is_empty() {
            // A tenant's admin lists its own tenant's tokens; the platform admin every tenant's.
            (!caller.platform_admin).then(|| caller.tenant_id.clone())
        } else {
            let tenant = validate_tenant(&request.tenant_id)?;
            own_tenant(&caller, &tenant)?;
            Some(tenant)
        };
        let fingerprint = paging::fingerprint(&[
            &request.include_revoked.to_string(),
            tenant.as_deref().unwrap_or(""),
        ]);
        let cursor = paging::decode_token(&request.page_token, &fingerprint)
            .map_err(Error::from)?
            .map(|cursor| parse_cursor(&cursor))
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
        let next_page_token = paging::next_page_token(&mut records, size, &fingerprint, |last| {
            paging::time_cursor(last.created_at, last.id)
        });
        Ok(Response::new(pb::ListTokensResponse {
            tokens: records.iter().map(token_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let caller = benchhub_common::rpc::principal(&request);
        let id = Uuid::parse_str(request.get_ref().id.trim()).map_err(|_| {
            Error::invalid("id", "must be a token id (a UUID as shown by ListTokens)")
        })?;
        // Another tenant's token is NOT_FOUND to a tenant's admin: its existence is not disclosed.
        let tenant = (!caller.platform_admin).then_some(caller.tenant_id.as_str());
        let record = auth::revoke_token(&self.pool, id, tenant)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::NotFound(format!("token {id} not found")))?;
        tracing::info!(token_id = %id, "token revoked");
        Ok(Response::new(pb::RevokeTokenResponse {
            token: Some(token_to_proto(&record)),
        }))
    }
}

/// Refuses a tenant's admin acting on another tenant: only the platform admin (the bootstrap token)
/// manages every tenant.
fn own_tenant(caller: &auth::Principal, tenant: &str) -> Result<(), Status> {
    if caller.platform_admin || caller.tenant_id == tenant {
        return Ok(());
    }
    Err(Status::permission_denied(format!(
        "tenant_id: an admin token of tenant '{}' manages only that tenant's tokens; tenant '{}' needs \
         that tenant's admin or the platform admin (bootstrap) token",
        caller.tenant_id,
        shown(tenant)
    )))
}
