//! End-to-end tests live in `e2e/`; this library is empty on purpose.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package
