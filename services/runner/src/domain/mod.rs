//! Plain rules of the runner: run and case types, validation bounds, grading configuration, pricing,
//! cost estimates, statistics and run comparison. No gRPC, no SQL, no I/O.

pub mod compare;
pub mod estimate;
pub mod limits;
pub mod normalize;
pub mod plan;
pub mod pricing;
pub mod records;
pub mod run;
pub mod significance;
pub mod stats;
pub mod validate;
