//! The judge service's error type and its one mapping to gRPC status codes.

use tonic::Status;

/// Everything a judge operation can fail with. A judge model that answers malformed JSON is not an
/// error of this type: it is reported inside the result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The field at fault, e.g. `items[3].grader.regex.pattern`.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The request is valid but this service cannot serve it as configured (e.g. the judge
    /// provider's key is not set, or the provider rejected the credentials).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The judge model's provider cannot be reached (after retries).
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
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument { field, reason } => {
                benchhub_common::status::invalid_argument(&field, &reason)
            }
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::Unavailable(message) => Status::unavailable(message),
            Error::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                benchhub_common::status::internal()
            }
        }
    }
}
