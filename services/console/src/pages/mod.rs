//! One module per page (or group of pages); each handler builds its RPCs, then its HTML.

pub mod catalog;
pub mod login;
pub mod model;
pub mod rankings;
pub mod runs;
pub mod sources;
pub mod suites;
