//! The judge's rules, in plain Rust (no tonic types): graders, the LLM judge and its prompts, pairwise
//! comparison, and Bradley–Terry ratings.

pub mod compare;
pub mod graders;
pub mod judge;
pub mod prompt;
pub mod rating;
pub mod scoring;
pub mod spec;
pub mod text;
