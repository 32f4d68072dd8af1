//! Helpers that build `tonic::Status` values the same way in every service.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// INVALID_ARGUMENT naming the field, with a `google.rpc.BadRequest` detail for machines.
pub fn invalid_argument(field: &str, reason: &str) -> Status {
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid {field}: {reason}"),
        ErrorDetails::with_bad_request_violation(field, reason),
    )
}

/// INTERNAL with a fixed message; the cause is logged by the caller, never sent.
pub fn internal() -> Status {
    Status::internal("internal error; see the service log")
}

/// UNAVAILABLE for a dependency that cannot be reached.
pub fn unavailable(what: &str) -> Status {
    Status::unavailable(format!("{what} is unavailable; retry later"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_a_bad_request_detail() {
        let status = invalid_argument("page_size", "must be between 1 and 500");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "invalid page_size: must be between 1 and 500"
        );
        let details = status.get_error_details();
        let violations = details
            .bad_request()
            .expect("bad request detail")
            .field_violations
            .clone();
        assert_eq!(violations[0].field, "page_size");
    }
}
