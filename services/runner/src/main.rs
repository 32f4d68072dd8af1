//! The `runner` binary: parses configuration, starts telemetry, resolves the model providers from the
//! environment and runs the service.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// mimalloc: protobuf encoding and decoding make many small allocations, which it serves far faster
/// than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut config: benchhub_runner::Config = benchhub_common::config::parse();
    benchhub_common::telemetry::init(config.common.log_format);
    config.providers =
        match benchhub_providers::ProviderRegistry::from_env(|name| std::env::var(name).ok()) {
            Ok(registry) => registry,
            Err(error) => {
                eprintln!("runner: {error}");
                return std::process::ExitCode::from(2);
            }
        };
    benchhub_common::host::run_main(
        "runner",
        config.addr,
        "BENCHHUB_RUNNER_ADDR",
        |listener, shutdown| benchhub_runner::run(config, listener, shutdown),
    )
    .await
}
