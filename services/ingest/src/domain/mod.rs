//! Ingest rules in plain Rust: the source registry, the adapters, name normalisation and matching,
//! and the shape of parsed data. No SQL and no gRPC here; adapters fetch through the [`adapters::Http`]
//! trait.

pub mod adapters;
pub mod alerts;
pub mod identity;
pub mod matcher;
pub mod observation;
pub mod seed;
pub mod sources;
