//! Rankings service over real gRPC and Postgres: listing, filters, ordering, paging, weights, models,
//! history, export, refresh on NOTIFY, stale serving and bad inputs.

mod export;
mod listing;
mod models;
mod refresh;
mod support;
mod validation;
