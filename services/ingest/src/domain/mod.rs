//! Ingest rules in plain Rust: the source registry and how a source's state is presented.

pub mod sources;
