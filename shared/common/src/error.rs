//! The error type of every service's operations and its one mapping to gRPC status codes. Each service
//! uses the variants it needs; `grpc.rs` layers turn it into a `tonic::Status` with `?`.

use tonic::Status;

/// Everything a service operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The field at fault, e.g. `cases[2].input`.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The named thing does not exist (or belongs to another tenant).
    #[error("{0}")]
    NotFound(String),
    /// The thing already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The operation cannot run in the current state or configuration (no cases, run already ended,
    /// a provider's key not set).
    #[error("{0}")]
    FailedPrecondition(String),
    /// A bound was reached (e.g. the suite's case limit).
    #[error("{0}")]
    LimitExceeded(String),
    /// A concurrent update won (or another replica holds the lock); retrying may succeed.
    #[error("{0}")]
    Busy(String),
    /// A dependency (database, judge, a model provider) cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// Builds an invalid-argument error.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Builds a not-found error for a kind of thing and its id.
    pub fn not_found(kind: &str, id: &str) -> Self {
        Error::NotFound(format!("{kind} '{id}' not found"))
    }
}

impl From<crate::paging::PageError> for Error {
    fn from(error: crate::paging::PageError) -> Self {
        Error::invalid(error.field(), error.to_string())
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        use benchhub_db::DbErrorKind;
        match benchhub_db::classify(&error) {
            DbErrorKind::Unavailable => {
                Error::Unavailable("the database is unavailable; retry later".to_owned())
            }
            DbErrorKind::RowNotFound => Error::NotFound("not found".to_owned()),
            DbErrorKind::UniqueViolation => Error::AlreadyExists("already exists".to_owned()),
            DbErrorKind::Conflict => Error::Busy("concurrent update; retry".to_owned()),
            DbErrorKind::ForeignKeyViolation
            | DbErrorKind::CheckViolation
            | DbErrorKind::InsufficientPrivilege
            | DbErrorKind::Other => Error::Internal(error.into()),
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument { field, reason } => {
                crate::status::invalid_argument(&field, &reason)
            }
            Error::NotFound(message) => Status::not_found(message),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::LimitExceeded(message) => Status::resource_exhausted(message),
            Error::Busy(message) => Status::aborted(message),
            Error::Unavailable(message) => Status::unavailable(message),
            Error::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                crate::status::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_errors_onto_codes() {
        let status = Status::from(Error::invalid("weights", "must not be negative"));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status.message(), "invalid weights: must not be negative");
        assert_eq!(
            Status::from(Error::NotFound("no model".to_owned())).code(),
            tonic::Code::NotFound
        );
        assert_eq!(
            Status::from(Error::from(sqlx::Error::PoolTimedOut)).code(),
            tonic::Code::Unavailable
        );
    }

    #[test]
    fn invalid_argument_names_the_field() {
        let status = Status::from(Error::invalid("cases[2].input", "must not be empty"));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "invalid cases[2].input: must not be empty"
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status = Status::from(Error::Internal(anyhow::anyhow!("select * from secrets")));
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(!status.message().contains("secrets"));
    }
}
