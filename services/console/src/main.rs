//! The `console` binary: parses configuration, starts telemetry and serves the web console.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// mimalloc, as in the services: decoding protobuf and writing HTML make many small allocations.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config: benchhub_console::Config = benchhub_common::config::parse();
    benchhub_common::telemetry::init(config.log_format);
    benchhub_common::host::run_main(
        "console",
        config.addr,
        "BENCHHUB_CONSOLE_ADDR",
        |listener, shutdown| benchhub_console::run(config, listener, shutdown),
    )
    .await
}
