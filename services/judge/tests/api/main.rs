//! The judge service over real gRPC, with a real Postgres (for the host and tokens) and the fake
//! provider over real HTTP standing in for every judge model.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

mod auth;
mod binary;
mod compare;
mod graders;
mod helpers;
mod llm;
mod rank;
