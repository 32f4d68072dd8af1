//! The `benchctl` binary.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = benchhub_benchctl::cli::Cli::parse();
    match benchhub_benchctl::commands::dispatch(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchctl: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
