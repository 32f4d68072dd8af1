//! Integration tests of the runner over real gRPC, Postgres, the judge service (in process) and the
//! fake provider over HTTP. One test binary with a module per area, to keep link times down.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

mod analysis;
mod harness;
mod inputs;
mod lifecycle;
mod limits;
mod runs;
mod tenancy;
