//! Integration tests of the ingest service over real gRPC, a real Postgres and the replay server over
//! real HTTP. One test binary (modules below) to keep link time down.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

mod admin;
mod alerts;
mod detached;
mod faults;
mod fixtures;
mod normalisation;
mod partial;
mod pipeline;
mod spelling;
mod support;
