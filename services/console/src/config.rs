//! Configuration of the console: where it listens and where the four services are.

use std::net::SocketAddr;
use std::time::Duration;

use benchhub_common::config::{LogFormat, humantime_duration, validate_base_url};

/// Command line and environment of the `console` binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "console", version, about = "benchhub web console")]
pub struct Config {
    /// Address the web console listens on.
    #[arg(long, env = "BENCHHUB_CONSOLE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// URL of the rankings service.
    #[arg(long, env = "BENCHHUB_RANKINGS_URL", default_value = "http://127.0.0.1:50052", value_parser = validate_base_url)]
    pub rankings_url: String,

    /// URL of the ingest service.
    #[arg(long, env = "BENCHHUB_INGEST_URL", default_value = "http://127.0.0.1:50051", value_parser = validate_base_url)]
    pub ingest_url: String,

    /// URL of the runner service.
    #[arg(long, env = "BENCHHUB_RUNNER_URL", default_value = "http://127.0.0.1:50053", value_parser = validate_base_url)]
    pub runner_url: String,

    /// URL of the judge service.
    #[arg(long, env = "BENCHHUB_JUDGE_URL", default_value = "http://127.0.0.1:50054", value_parser = validate_base_url)]
    pub judge_url: String,

    /// Mark the session cookie Secure (set it when the console is served over TLS, e.g. behind a
    /// TLS-terminating proxy).
    #[arg(long, env = "BENCHHUB_CONSOLE_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// How long a signed-in session lasts without use (e.g. 12h).
    #[arg(long, env = "BENCHHUB_CONSOLE_SESSION_TTL", default_value = "12h", value_parser = humantime_duration)]
    pub session_ttl: Duration,

    /// Deadline of one RPC made for a page (e.g. 10s); a slower service gives a page with a banner.
    #[arg(long, env = "BENCHHUB_CONSOLE_RPC_TIMEOUT", default_value = "10s", value_parser = humantime_duration)]
    pub rpc_timeout: Duration,

    /// Log format: pretty for a terminal, json for machines.
    #[arg(long, env = "BENCHHUB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
}

impl Config {
    /// A configuration for tests: the four services at the given URLs, port 0, short deadlines.
    pub fn for_tests(ingest: &str, rankings: &str, runner: &str, judge: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            rankings_url: rankings.to_owned(),
            ingest_url: ingest.to_owned(),
            runner_url: runner.to_owned(),
            judge_url: judge.to_owned(),
            secure_cookies: false,
            session_ttl: Duration::from_secs(3600),
            rpc_timeout: Duration::from_secs(10),
            log_format: LogFormat::Pretty,
        }
    }
}
