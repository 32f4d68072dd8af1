//! Offline upstreams for the demo and the tests: a deterministic [`generator`] of payloads in every
//! source's upstream format, and an HTTP [`replay`] server that serves those payloads (or files from a
//! directory laid out like `../shared/fixtures`) at the upstream paths, with ETags and per-route fault
//! injection.
//!
//! Routes are prefixed by source: a source's base URL is `http://<server>/<source>` (ARC-AGI's task
//! files: `http://<server>/arc-agi-tasks`), so every source can live on one server.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

pub mod generator;
pub mod replay;

pub use generator::Generator;
pub use replay::{Backend, Control, Fault, FaultKind, ReplayServer};
