//! The judge service over real gRPC, with a real Postgres (for the host and tokens) and the fake
//! provider over real HTTP standing in for every judge model.

mod auth;
mod binary;
mod compare;
mod graders;
mod helpers;
mod llm;
mod rank;
