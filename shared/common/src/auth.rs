//! Bearer-token authentication and role checks.
//!
//! Tokens are random strings shown once at creation; only their SHA-256 is stored (`api_tokens`). A
//! bootstrap admin token comes from `BENCHHUB_ADMIN_TOKEN`. Roles nest: admin ⊇ runner ⊇ reader.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads rankings, runs and suites.
    Reader,
    /// Creates suites and runs, calls the judge.
    Runner,
    /// Everything, including ingestion and token management.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Reader, Role::Runner, Role::Admin];

    /// Returns the lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Runner => "runner",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Returns whether this role includes the `required` one.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }
}

/// Who is calling, as established by the RPC layer and stored in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Token name, `bootstrap-admin`, or `anonymous`.
    pub subject: String,
    /// Id of the stored token, when the caller used one.
    pub token_id: Option<Uuid>,
    /// Role of the token; `None` for anonymous callers of open methods.
    pub role: Option<Role>,
    /// Tenant whose suites and runs the caller sees.
    pub tenant_id: String,
    /// Whether the caller is the platform admin (the bootstrap token), who manages every tenant; an
    /// admin token of a tenant manages only that tenant.
    pub platform_admin: bool,
}

impl Principal {
    /// The principal of a caller that sent no token to an open method.
    pub fn anonymous() -> Self {
        Self {
            subject: "anonymous".to_owned(),
            token_id: None,
            role: None,
            tenant_id: "default".to_owned(),
            platform_admin: false,
        }
    }

    /// Returns whether the caller holds at least `required`.
    pub fn has(&self, required: Role) -> bool {
        self.role.is_some_and(|role| role.allows(required))
    }
}

/// What a method requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; a token, if sent, must still be valid.
    Open,
    /// A valid token with at least this role.
    Role(Role),
}

/// The access rule of every gRPC method a server exposes. Methods not listed need admin.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    methods: HashMap<String, Access>,
    services: HashMap<String, Access>,
}

impl AccessPolicy {
    /// Returns an empty policy (everything admin-only, health and reflection open).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the rule of every method of a service, e.g. `benchhub.v1.RankingsService`.
    pub fn service(mut self, service: &str, access: Access) -> Self {
        self.services.insert(service.to_owned(), access);
        self
    }

    /// Sets the rule of one method, e.g. `/benchhub.v1.IngestService/ListSources`.
    pub fn method(mut self, path: &str, access: Access) -> Self {
        self.methods.insert(path.to_owned(), access);
        self
    }

    /// Returns the rule for a request path.
    pub fn access_for(&self, path: &str) -> Access {
        if let Some(access) = self.methods.get(path) {
            return *access;
        }
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        if service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.") {
            return Access::Open;
        }
        self.services
            .get(service)
            .copied()
            .unwrap_or(Access::Role(Role::Admin))
    }
}

/// Why a caller could not be authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `authorization` metadata on a method that needs it.
    #[error("missing bearer token: send metadata 'authorization: Bearer <token>'")]
    Missing,
    /// The metadata is not `Bearer <token>`.
    #[error("malformed authorization metadata: expected 'Bearer <token>'")]
    Malformed,
    /// Unknown or revoked token.
    #[error("invalid or revoked token")]
    Invalid,
    /// The token store could not be read.
    #[error("token store unavailable")]
    Unavailable(#[source] sqlx::Error),
}

/// Returns the hex SHA-256 of a token, the only form in which tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Generates a new random token: `bh_` followed by 48 hex characters (192 bits).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("bh_{}", hex::encode(bytes))
}

/// Returns the non-secret prefix shown in listings to tell tokens apart.
pub fn token_prefix(token: &str) -> String {
    token.chars().take(10).collect()
}

/// Checks bearer tokens against the bootstrap token and the `api_tokens` table.
#[derive(Clone)]
pub struct Authenticator {
    pool: PgPool,
    bootstrap_hash: Option<String>,
    bootstrap_tenant: String,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Authenticator")
            .field("bootstrap", &self.bootstrap_hash.is_some())
            .finish()
    }
}

impl Authenticator {
    /// Creates an authenticator; the bootstrap token is kept only as its hash.
    pub fn new(pool: PgPool, bootstrap: Option<&SecretString>, bootstrap_tenant: &str) -> Self {
        Self {
            pool,
            bootstrap_hash: bootstrap
                .map(|token| token.expose_secret().trim().to_owned())
                .filter(|token| !token.is_empty())
                .map(|token| hash_token(&token)),
            bootstrap_tenant: bootstrap_tenant.to_owned(),
        }
    }

    /// Resolves the `authorization` metadata value; `None` input means no token was sent.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Principal, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let token = parse_bearer(header).ok_or(AuthError::Malformed)?;
        let hash = hash_token(token);
        if self.bootstrap_hash.as_deref() == Some(hash.as_str()) {
            return Ok(Principal {
                subject: "bootstrap-admin".to_owned(),
                token_id: None,
                role: Some(Role::Admin),
                tenant_id: self.bootstrap_tenant.clone(),
                platform_admin: true,
            });
        }
        // The service's role cannot read api_tokens; this function answers for a known hash only.
        let row = sqlx::query!(
            r#"SELECT id AS "id!", name AS "name!", role AS "role!", tenant_id AS "tenant_id!"
                 FROM benchhub_authenticate($1)"#,
            hash
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(AuthError::Unavailable)?
        .ok_or(AuthError::Invalid)?;
        Ok(Principal {
            subject: row.name,
            token_id: Some(row.id),
            role: Some(Role::parse(&row.role).ok_or(AuthError::Invalid)?),
            tenant_id: row.tenant_id,
            platform_admin: false,
        })
    }
}

fn parse_bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// A stored token's metadata (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Token id.
    pub id: Uuid,
    /// Human name given at creation.
    pub name: String,
    /// Stored role name.
    pub role: String,
    /// Tenant the token acts for.
    pub tenant_id: String,
    /// First characters of the token, for identification.
    pub token_prefix: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last successful use.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Stores a new token (creating its tenant if needed) and returns the secret once with its record.
pub async fn create_token(
    pool: &PgPool,
    name: &str,
    role: Role,
    tenant_id: &str,
) -> Result<(String, TokenRecord), sqlx::Error> {
    let token = generate_token();
    let mut transaction = benchhub_db::begin_tokens(pool).await?;
    sqlx::query!(
        "INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING",
        tenant_id
    )
    .execute(&mut *transaction)
    .await?;
    let record = sqlx::query_as!(
        TokenRecord,
        "INSERT INTO api_tokens (name, token_sha256, token_prefix, role, tenant_id) \
         VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, name, role, tenant_id, token_prefix, created_at, revoked_at, last_used_at",
        name,
        hash_token(&token),
        token_prefix(&token),
        role.as_str(),
        tenant_id
    )
    .fetch_one(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok((token, record))
}

/// Lists tokens by creation time (newest first), `limit` rows after the cursor `(created_at, id)`.
pub async fn list_tokens(
    pool: &PgPool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
    include_revoked: bool,
    tenant_id: Option<&str>,
) -> Result<Vec<TokenRecord>, sqlx::Error> {
    let (after_time, after_id) = match after {
        Some((time, id)) => (Some(time), Some(id)),
        None => (None, None),
    };
    let mut transaction = benchhub_db::begin_tokens(pool).await?;
    let records = sqlx::query_as!(
        TokenRecord,
        "SELECT id, name, role, tenant_id, token_prefix, created_at, revoked_at, last_used_at \
           FROM api_tokens \
          WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2)) \
            AND ($3 OR revoked_at IS NULL) \
            AND ($5::text IS NULL OR tenant_id = $5) \
          ORDER BY created_at DESC, id DESC LIMIT $4",
        after_time,
        after_id,
        include_revoked,
        i64::from(limit),
        tenant_id
    )
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(records)
}

/// Revokes a token (of `tenant_id` only, when given); returns its record, or `None` when no such
/// token exists there. Revoking twice is a no-op.
pub async fn revoke_token(
    pool: &PgPool,
    id: Uuid,
    tenant_id: Option<&str>,
) -> Result<Option<TokenRecord>, sqlx::Error> {
    let mut transaction = benchhub_db::begin_tokens(pool).await?;
    let record = sqlx::query_as!(
        TokenRecord,
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) \
         WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2) \
         RETURNING id, name, role, tenant_id, token_prefix, created_at, revoked_at, last_used_at",
        id,
        tenant_id
    )
    .fetch_optional(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest() {
        assert!(Role::Admin.allows(Role::Reader));
        assert!(Role::Admin.allows(Role::Runner));
        assert!(Role::Runner.allows(Role::Reader));
        assert!(!Role::Reader.allows(Role::Runner));
        assert!(!Role::Runner.allows(Role::Admin));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(parse_bearer("Bearer abc"), Some("abc"));
        assert_eq!(parse_bearer("bearer  abc "), Some("abc"));
        assert_eq!(parse_bearer("Basic abc"), None);
        assert_eq!(parse_bearer("Bearer "), None);
        assert_eq!(parse_bearer("abc"), None);
    }

    #[test]
    fn tokens_are_random_and_hashes_are_hex_sha256() {
        let first = generate_token();
        let second = generate_token();
        assert_ne!(first, second);
        assert!(first.starts_with("bh_") && first.len() == 51);
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(token_prefix(&first).len(), 10);
    }

    #[test]
    fn policy_defaults_to_admin_and_opens_health_and_reflection() {
        let policy = AccessPolicy::new()
            .service("benchhub.v1.RankingsService", Access::Open)
            .method(
                "/benchhub.v1.IngestService/ListSources",
                Access::Role(Role::Reader),
            );
        assert_eq!(
            policy.access_for("/benchhub.v1.RankingsService/ListRankings"),
            Access::Open
        );
        assert_eq!(
            policy.access_for("/benchhub.v1.IngestService/ListSources"),
            Access::Role(Role::Reader)
        );
        assert_eq!(
            policy.access_for("/benchhub.v1.IngestService/ReingestSource"),
            Access::Role(Role::Admin)
        );
        assert_eq!(
            policy.access_for("/grpc.health.v1.Health/Check"),
            Access::Open
        );
        assert_eq!(
            policy.access_for("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            Access::Open
        );
    }
}
