//! The ingest service's error type and its one mapping to gRPC status codes.

use tonic::Status;

/// Everything an ingest operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The field at fault.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The thing already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The operation cannot run in the current state (e.g. an unavailable source).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The source is already being ingested (here or on another replica).
    #[error("{0}")]
    Busy(String),
    /// A dependency (database, upstream) cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// Builds an invalid-argument error.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

impl From<benchhub_common::paging::PageError> for Error {
    fn from(error: benchhub_common::paging::PageError) -> Self {
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
                benchhub_common::status::invalid_argument(&field, &reason)
            }
            Error::NotFound(message) => Status::not_found(message),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::Busy(message) => Status::aborted(message),
            Error::Unavailable(message) => Status::unavailable(message),
            Error::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                benchhub_common::status::internal()
            }
        }
    }
}
