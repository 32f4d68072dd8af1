//! End-to-end tests: every service in this process over real gRPC and a real Postgres, driven through
//! benchctl's client code where it exists.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

mod browser;
mod catalog;
mod console;
mod foundation;
mod grpcurl;
mod hostile;
mod partial;
mod processes;
mod replicas;
mod roles;
mod stack;
mod trust;
mod undecodable;
