//! The `judge` binary: parses configuration (including the judge model providers), starts telemetry
//! and runs the service.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// mimalloc: protobuf encoding and decoding make many small allocations, which it serves far faster
/// than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut config: benchhub_judge::Config = benchhub_common::config::parse();
    if let Err(error) = config.resolve_providers(|name| std::env::var(name).ok()) {
        eprintln!("judge: {error}");
        return std::process::ExitCode::from(2);
    }
    benchhub_common::telemetry::init(config.common.log_format);
    benchhub_common::host::run_main(
        "judge",
        config.addr,
        "BENCHHUB_JUDGE_ADDR",
        |listener, shutdown| benchhub_judge::run(config, listener, shutdown),
    )
    .await
}
