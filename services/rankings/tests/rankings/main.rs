//! Rankings service over real gRPC and Postgres: listing, filters, ordering, paging, weights, models,
//! history, export, refresh on NOTIFY, stale serving and bad inputs.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

mod export;
mod listing;
mod models;
mod refresh;
mod support;
mod validation;
