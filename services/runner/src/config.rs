//! Configuration of the runner service.

use std::net::SocketAddr;
use std::time::Duration;

use benchhub_common::config::{CommonConfig, humantime_duration, validate_base_url};
use benchhub_providers::ProviderRegistry;
use secrecy::SecretString;

/// Command line and environment of the `runner` binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "runner",
    version,
    about = "benchhub runner service: test cases × models, fanned out, durable and costed"
)]
pub struct Config {
    /// Address the gRPC server listens on.
    #[arg(long, env = "BENCHHUB_RUNNER_ADDR", default_value = "127.0.0.1:50053")]
    pub addr: SocketAddr,

    /// Settings shared by every service.
    #[command(flatten)]
    pub common: CommonConfig,

    /// URL of the judge service that grades outputs.
    #[arg(long, env = "BENCHHUB_JUDGE_URL", default_value = "http://127.0.0.1:50054", value_parser = validate_base_url)]
    pub judge_url: String,

    /// Token (role runner) the runner presents to the judge. Without it, the token of the caller that
    /// created a run is forwarded while this process executes the run. Never logged.
    #[arg(long, env = "BENCHHUB_RUNNER_JUDGE_TOKEN", hide_env_values = true)]
    pub judge_token: Option<SecretString>,

    /// Timeout of one judge call (e.g. 120s).
    #[arg(long, env = "BENCHHUB_RUNNER_JUDGE_TIMEOUT", default_value = "120s", value_parser = humantime_duration)]
    pub judge_timeout: Duration,

    /// Name of this replica in run claims; default: host name and process id.
    #[arg(long, env = "BENCHHUB_RUNNER_REPLICA_ID")]
    pub replica_id: Option<String>,

    /// Whether this replica executes runs; false makes an API-only replica.
    #[arg(long, env = "BENCHHUB_RUNNER_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub worker: bool,

    /// Lease of a claimed run: another replica takes a run over when its lease has not been renewed
    /// for this long (e.g. 30s).
    #[arg(long, env = "BENCHHUB_RUNNER_LEASE", default_value = "30s", value_parser = humantime_duration)]
    pub lease: Duration,

    /// How often the worker looks for pending runs (runs created on this replica start at once).
    #[arg(long, env = "BENCHHUB_RUNNER_POLL_INTERVAL", default_value = "1s", value_parser = humantime_duration)]
    pub poll_interval: Duration,

    /// Runs this replica executes at the same time.
    #[arg(long, env = "BENCHHUB_RUNNER_MAX_ACTIVE_RUNS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_active_runs: u32,

    /// Calls in flight per provider across every run of every runner replica on the database, for
    /// providers whose configuration (BENCHHUB_PROVIDERS) sets no max_concurrency. The shared adaptive
    /// limit starts here and never exceeds it.
    #[arg(long, env = "BENCHHUB_RUNNER_PROVIDER_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub provider_concurrency: u32,

    /// First retry backoff of a failed call (doubles per retry, with jitter) when the provider sends no
    /// Retry-After.
    #[arg(long, env = "BENCHHUB_RUNNER_RETRY_BASE", default_value = "500ms", value_parser = humantime_duration)]
    pub retry_base: Duration,

    /// Longest retry backoff when the provider sends no Retry-After.
    #[arg(long, env = "BENCHHUB_RUNNER_RETRY_MAX", default_value = "30s", value_parser = humantime_duration)]
    pub retry_max: Duration,

    /// Minimum time between two decreases of a provider's adaptive concurrency on 429 answers.
    #[arg(long, env = "BENCHHUB_RUNNER_THROTTLE_COOLDOWN", default_value = "1s", value_parser = humantime_duration)]
    pub throttle_cooldown: Duration,

    /// Factor applied to a provider's adaptive concurrency on a 429 (multiplicative decrease, 0.1–0.95).
    #[arg(long, env = "BENCHHUB_RUNNER_THROTTLE_BACKOFF", default_value_t = 0.9, value_parser = backoff_factor)]
    pub throttle_backoff: f64,

    /// Outputs graded at the same time per run.
    #[arg(long, env = "BENCHHUB_RUNNER_GRADING_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub grading_concurrency: u32,

    /// Model providers (built-in openai, anthropic and fake, plus BENCHHUB_PROVIDERS), resolved from the
    /// environment by the binary.
    #[arg(skip)]
    pub providers: ProviderRegistry,
}

impl Config {
    /// Returns a configuration for tests: the given database, a short lease and poll interval, no
    /// providers (tests add them), defaults everywhere else.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            common: CommonConfig::for_tests(database_url),
            judge_url: "http://127.0.0.1:50054".to_owned(),
            judge_token: None,
            judge_timeout: Duration::from_secs(30),
            replica_id: None,
            worker: true,
            lease: Duration::from_secs(3),
            poll_interval: Duration::from_millis(200),
            max_active_runs: 4,
            provider_concurrency: 64,
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_secs(2),
            throttle_cooldown: Duration::from_millis(500),
            throttle_backoff: 0.9,
            grading_concurrency: 64,
            providers: ProviderRegistry::from_parts(|_| None, None).unwrap_or_default(),
        }
    }

    /// Returns the replica id: the configured one, else `<host>-<pid>`.
    pub fn replica_name(&self) -> String {
        self.replica_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .unwrap_or_else(|| {
                let host = std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|name| name.trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| "runner".to_owned());
                format!("{host}-{}", std::process::id())
            })
    }
}

fn backoff_factor(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number; use a factor between 0.1 and 0.95"))?;
    if (0.1..=0.95).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is out of range; use a factor between 0.1 and 0.95"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn defaults_parse() {
        let config = Config::try_parse_from(["runner", "--database-url", "postgres://x@y/z"])
            .expect("defaults are valid");
        assert_eq!(config.lease, Duration::from_secs(30));
        assert_eq!(config.judge_url, "http://127.0.0.1:50054");
        assert!(config.worker);
        assert!(!config.replica_name().is_empty());
    }

    #[test]
    fn bad_judge_url_is_rejected() {
        let error = Config::try_parse_from([
            "runner",
            "--database-url",
            "postgres://x@y/z",
            "--judge-url",
            "localhost:50054",
        ])
        .expect_err("no scheme");
        assert!(error.to_string().contains("http://"), "{error}");
        assert!(backoff_factor("0.5").is_ok());
        assert!(backoff_factor("1.5").is_err());
        assert!(backoff_factor("half").is_err());
    }
}
