//! Configuration of the judge service.

use std::net::SocketAddr;

use benchhub_common::config::CommonConfig;

/// Command line and environment of the `judge` binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "judge", version, about = "benchhub judge service")]
pub struct Config {
    /// Address the gRPC server listens on.
    #[arg(long, env = "BENCHHUB_JUDGE_ADDR", default_value = "127.0.0.1:50054")]
    pub addr: SocketAddr,

    /// Settings shared by every service.
    #[command(flatten)]
    pub common: CommonConfig,
}

impl Config {
    /// Returns a configuration for tests: the given database, defaults everywhere else.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            common: CommonConfig::for_tests(database_url),
        }
    }
}
