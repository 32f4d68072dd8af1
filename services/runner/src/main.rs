//! The `runner` binary: parses configuration, starts telemetry and runs the service.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config: benchhub_runner::Config = benchhub_common::config::parse();
    benchhub_common::telemetry::init(config.common.log_format);
    benchhub_common::host::run_main(
        "runner",
        config.addr,
        "BENCHHUB_RUNNER_ADDR",
        |listener, shutdown| benchhub_runner::run(config, listener, shutdown),
    )
    .await
}
