//! The rankings service's error type and its one mapping to gRPC status codes.

use tonic::Status;

/// Everything a rankings operation can fail with.
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
    /// A dependency (the database) cannot be reached, or no catalog has been built yet.
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

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        use benchhub_db::DbErrorKind;
        match benchhub_db::classify(&error) {
            DbErrorKind::Unavailable => {
                Error::Unavailable("the database is unavailable; retry later".to_owned())
            }
            DbErrorKind::RowNotFound => Error::NotFound("not found".to_owned()),
            DbErrorKind::UniqueViolation
            | DbErrorKind::Conflict
            | DbErrorKind::ForeignKeyViolation
            | DbErrorKind::CheckViolation
            | DbErrorKind::InsufficientPrivilege
            | DbErrorKind::Other => Error::Internal(error.into()),
        }
    }
}

impl From<benchhub_common::paging::PageError> for Error {
    fn from(error: benchhub_common::paging::PageError) -> Self {
        Error::invalid(error.field(), error.to_string())
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument { field, reason } => {
                benchhub_common::status::invalid_argument(&field, &reason)
            }
            Error::NotFound(message) => Status::not_found(message),
            Error::Unavailable(message) => Status::unavailable(message),
            Error::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                benchhub_common::status::internal()
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
        let internal = Status::from(Error::Internal(anyhow::anyhow!("secret detail")));
        assert_eq!(internal.code(), tonic::Code::Internal);
        assert!(!internal.message().contains("secret"));
    }
}
