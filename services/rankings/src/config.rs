//! Configuration of the rankings service.

use std::net::SocketAddr;

use benchhub_common::config::CommonConfig;

use crate::store::StoreLimits;

/// Command line and environment of the `rankings` binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "rankings", version, about = "benchhub rankings service")]
pub struct Config {
    /// Address the gRPC server listens on.
    #[arg(
        long,
        env = "BENCHHUB_RANKINGS_ADDR",
        default_value = "127.0.0.1:50052"
    )]
    pub addr: SocketAddr,

    /// Require a token (any role, reader or above) for every rankings read; reads are open otherwise.
    #[arg(long, env = "BENCHHUB_RANKINGS_REQUIRE_TOKEN")]
    pub require_token: bool,

    /// Earlier catalog versions kept in memory so page tokens stay valid across rebuilds.
    #[arg(long, env = "BENCHHUB_RANKINGS_RETAINED_VERSIONS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(0..=64))]
    pub retained_versions: u16,

    /// Historical catalogs (as_of and compare_to dates) kept in memory.
    #[arg(long, env = "BENCHHUB_RANKINGS_HISTORY_CACHE", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub history_cache: u16,

    /// Settings shared by every service.
    #[command(flatten)]
    pub common: CommonConfig,
}

impl Config {
    /// Returns a configuration for tests: the given database, defaults everywhere else.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            require_token: false,
            retained_versions: 4,
            history_cache: 8,
            common: CommonConfig::for_tests(database_url),
        }
    }

    /// Returns the cache limits of the in-memory store.
    pub fn store_limits(&self) -> StoreLimits {
        StoreLimits {
            retained_versions: usize::from(self.retained_versions),
            historical: usize::from(self.history_cache),
            ..StoreLimits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn reads_the_token_requirement() {
        let config = Config::try_parse_from([
            "rankings",
            "--database-url",
            "postgres://localhost/x",
            "--require-token",
        ])
        .expect("valid");
        assert!(config.require_token);
        let config =
            Config::try_parse_from(["rankings", "--database-url", "postgres://localhost/x"])
                .expect("valid");
        assert!(!config.require_token);
        assert_eq!(config.store_limits().historical, 8);
    }
}
