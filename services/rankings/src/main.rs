//! The `rankings` binary: parses configuration, starts telemetry and runs the service.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// mimalloc: protobuf encoding and decoding make many small allocations, which it serves far faster
/// than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config: benchhub_rankings::Config = benchhub_common::config::parse();
    benchhub_common::telemetry::init(config.common.log_format);
    benchhub_common::host::run_main(
        "rankings",
        config.addr,
        "BENCHHUB_RANKINGS_ADDR",
        |listener, shutdown| benchhub_rankings::run(config, listener, shutdown),
    )
    .await
}
