//! One module per command group; each prints to stdout and returns an error for a non-zero exit.

pub mod chart;
pub mod db;
pub mod fake_provider;
pub mod health;
pub mod ingest;
pub mod judge;
pub mod rankings;
pub mod runner;
pub mod screens;
pub mod sources;
pub mod token;

use crate::cli::{Cli, Command};
use crate::client::Clients;

/// Runs the parsed command.
pub async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let token = cli.endpoints().token;
    let clients = Clients::new(cli.endpoints())?;
    match cli.command {
        Command::Health(args) => health::run(&clients, &args).await,
        Command::Db(command) => db::run(command).await,
        Command::Sources => sources::run(&clients).await,
        Command::Token(command) => token::run(&clients, command).await,
        Command::Chart(command) => chart::run(&clients, command).await,
        Command::Rankings(args) => rankings::run_rankings(&clients, &args).await,
        Command::Model(args) => rankings::run_model(&clients, &args).await,
        Command::Latest(args) => rankings::run_latest(&clients, &args).await,
        Command::FakeProvider(args) => fake_provider::run(&args).await,
        Command::Suite(command) => runner::run_suite(&clients, command).await,
        Command::Run(args) => runner::run_run(&clients, args).await,
        Command::Runs(args) => runner::run_runs(&clients, args).await,
        Command::Cancel(args) => runner::run_cancel(&clients, args).await,
        Command::Stats(args) => runner::run_stats(&clients, args).await,
        Command::Compare(args) => runner::compare::run(&clients, args).await,
        Command::Retry(args) => runner::run_retry(&clients, args).await,
        Command::Judge(command) => judge::run(&clients, command).await,
        Command::Reingest(args) => ingest::run_reingest(&clients, &args).await,
        Command::IngestRuns(args) => ingest::run_runs(&clients, &args).await,
        Command::Unmatched(args) => ingest::run_unmatched(&clients, &args).await,
        Command::Alias(command) => ingest::run_alias(&clients, command).await,
        Command::Detect(args) => ingest::run_detect(&clients, &args).await,
        Command::Replay(command) => ingest::run_replay(command).await,
        Command::Screens(args) => screens::run(&args, token.as_deref()).await,
    }
}
