//! Integration tests of the runner over real gRPC, Postgres, the judge service (in process) and the
//! fake provider over HTTP. One test binary with a module per area, to keep link times down.

mod analysis;
mod harness;
mod inputs;
mod lifecycle;
mod limits;
mod runs;
mod tenancy;
