//! One module per command group; each prints to stdout and returns an error for a non-zero exit.

pub mod health;
pub mod sources;
pub mod token;

use crate::cli::{Cli, Command};
use crate::client::Clients;

/// Runs the parsed command.
pub async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let clients = Clients::new(cli.endpoints())?;
    match cli.command {
        Command::Health(args) => health::run(&clients, &args).await,
        Command::Sources => sources::run(&clients).await,
        Command::Token(command) => token::run(&clients, command).await,
    }
}
