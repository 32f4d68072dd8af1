//! benchctl, the benchhub admin CLI, as a library: the end-to-end tests drive the same client code.
//!
//! [`client::Clients`] dials the services with the caller's token; [`commands`] turn RPC answers into
//! tables.

#![cfg_attr(test, allow(unused_crate_dependencies))] // unit tests see the dev-dependencies of the integration tests

pub use benchhub_charts as charts;
pub mod cli;
pub mod client;
pub mod commands;
pub mod render;
