//! The error of a rankings operation: the shared service error, mapped to gRPC status codes in one place
//! ([`benchhub_common::error`]).

pub use benchhub_common::error::Error;
