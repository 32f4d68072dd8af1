//! The `judge` binary: parses configuration, starts telemetry and runs the service.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config: benchhub_judge::Config = benchhub_common::config::parse();
    benchhub_common::telemetry::init(config.common.log_format);
    benchhub_common::host::run_main(
        "judge",
        config.addr,
        "BENCHHUB_JUDGE_ADDR",
        |listener, shutdown| benchhub_judge::run(config, listener, shutdown),
    )
    .await
}
