//! The rankings domain: plain Rust, no gRPC and no SQL.
//!
//! - [`records`]: what is read from the database;
//! - [`catalog`]: fusing records into one immutable catalog entry per model;
//! - [`scores`]: the composite score formulas;
//! - [`grades`]: freshness and performance tiers;
//! - [`tiers`]: capability tiers;
//! - [`query`]: filters, ordering and ranks;
//! - [`export`]: CSV rows and chunks;
//! - [`history`]: per-metric time series;
//! - [`sources`]: the sources reported on.

pub mod catalog;
pub mod composite;
pub mod export;
pub mod grades;
pub mod history;
pub mod query;
pub mod records;
pub mod scores;
pub mod selection;
pub mod sources;
pub mod tiers;
