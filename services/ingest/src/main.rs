//! The `ingest` binary: parses configuration, starts telemetry and runs the service.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// mimalloc: protobuf encoding and decoding make many small allocations, which it serves far faster
/// than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut config: benchhub_ingest::Config = benchhub_common::config::parse();
    benchhub_common::telemetry::init(config.common.log_format);
    config.sources = match benchhub_ingest::config::resolve_sources(|name| std::env::var(name).ok())
    {
        Ok(sources) => sources,
        Err(error) => {
            eprintln!("ingest: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    benchhub_common::host::run_main(
        "ingest",
        config.addr,
        "BENCHHUB_INGEST_ADDR",
        |listener, shutdown| benchhub_ingest::run(config, listener, shutdown),
    )
    .await
}
