//! Service bootstrap shared by every benchhub binary.
//!
//! A service's `run` builds its [`config::CommonConfig`], starts [`telemetry`], creates a [`host::Host`]
//! (lazy pool, health, readiness), adds its gRPC services and calls [`host::Host::serve`], which adds
//! health and reflection, the per-RPC [`rpc`] layer (request id, span, auth, readiness) and graceful shutdown.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

pub use benchhub_db::Backoff;

pub mod auth;
pub mod calls;
pub mod config;
pub mod convert;
pub mod error;
pub mod freshness;
pub mod grading;
pub mod host;
pub mod model;
pub mod observe;
pub mod paging;
pub mod rpc;
pub mod shutdown;
pub mod stats;
pub mod status;
pub mod telemetry;
pub mod vocabulary;

pub use auth::{Access, AccessPolicy, Principal, Role};
pub use host::Host;
