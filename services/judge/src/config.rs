//! Configuration of the judge service.

use std::net::SocketAddr;
use std::time::Duration;

use benchhub_common::config::{CommonConfig, humantime_duration};
use benchhub_providers::{ConfigError, ProviderRegistry};

use crate::domain::judge::JudgeSettings;

/// Help text listing the provider variables, which are read outside clap (keys never appear in
/// `--help` output or errors).
const PROVIDERS_HELP: &str = "\
Judge model providers (read from the environment; keys are never logged):
  OPENAI_API_KEY, OPENAI_BASE_URL         openai/<model>     (default https://api.openai.com)
  ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL   anthropic/<model>  (default https://api.anthropic.com)
  BENCHHUB_FAKE_PROVIDER_URL              fake/<model>       (the local fake provider; no key)
  BENCHHUB_PROVIDERS                      TOML file of extra OpenAI-compatible providers
                                          ([[providers]] name, base_url, api_key_env, max_concurrency,
                                          requests_per_minute)";

/// Command line and environment of the `judge` binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "judge",
    version,
    about = "benchhub judge service: deterministic graders, a blind LLM judge, pairwise comparison, ratings",
    after_help = PROVIDERS_HELP
)]
pub struct Config {
    /// Address the gRPC server listens on.
    #[arg(long, env = "BENCHHUB_JUDGE_ADDR", default_value = "127.0.0.1:50054")]
    pub addr: SocketAddr,

    /// Judge model used when a request names none, as provider/model (e.g. openai/gpt-4o-mini).
    #[arg(long, env = "BENCHHUB_JUDGE_DEFAULT_MODEL")]
    pub default_judge_model: Option<String>,

    /// Most LLM judge calls in flight at once across all requests of this process.
    #[arg(long, env = "BENCHHUB_JUDGE_MAX_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrency: u32,

    /// Deadline of one LLM judge call (e.g. 60s).
    #[arg(long, env = "BENCHHUB_JUDGE_CALL_TIMEOUT", default_value = "60s", value_parser = humantime_duration)]
    pub call_timeout: Duration,

    /// Retries of a judge call that failed with a 429, 5xx, timeout or connection error (with backoff,
    /// honouring Retry-After).
    #[arg(long, env = "BENCHHUB_JUDGE_RETRIES", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub retries: u32,

    /// Settings shared by every service.
    #[command(flatten)]
    pub common: CommonConfig,

    /// Judge model providers, resolved from the environment by [`Config::resolve_providers`].
    #[arg(skip)]
    pub providers: ProviderRegistry,
}

impl Config {
    /// Returns a configuration for tests: the given database, no provider keys, defaults elsewhere.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            default_judge_model: None,
            max_concurrency: 64,
            call_timeout: Duration::from_secs(30),
            retries: 2,
            common: CommonConfig::for_tests(database_url),
            providers: ProviderRegistry::from_parts(|_| None, None).unwrap_or_default(),
        }
    }

    /// Reads the providers (built-ins plus `BENCHHUB_PROVIDERS`) through `lookup` (the process
    /// environment in production).
    pub fn resolve_providers(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        self.providers = ProviderRegistry::from_env(lookup)?;
        Ok(())
    }

    /// Returns the judge's settings.
    pub fn judge_settings(&self) -> JudgeSettings {
        JudgeSettings {
            default_model: self
                .default_judge_model
                .as_ref()
                .map(|model| model.trim().to_owned())
                .filter(|model| !model.is_empty()),
            call_timeout: self.call_timeout,
            max_concurrency: self.max_concurrency as usize,
            retries: self.retries,
            ..JudgeSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn defaults_parse() {
        let config =
            Config::try_parse_from(["judge", "--database-url", "postgres://x"]).expect("valid");
        assert_eq!(config.max_concurrency, 64);
        assert_eq!(config.call_timeout, Duration::from_secs(60));
        assert_eq!(config.judge_settings().default_model, None);
    }

    #[test]
    fn help_lists_every_variable() {
        let mut command = <Config as clap::CommandFactory>::command();
        let help = command.render_long_help().to_string();
        for variable in [
            "BENCHHUB_JUDGE_ADDR",
            "BENCHHUB_JUDGE_DEFAULT_MODEL",
            "BENCHHUB_JUDGE_MAX_CONCURRENCY",
            "BENCHHUB_JUDGE_CALL_TIMEOUT",
            "BENCHHUB_JUDGE_RETRIES",
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "BENCHHUB_FAKE_PROVIDER_URL",
            "BENCHHUB_PROVIDERS",
        ] {
            assert!(help.contains(variable), "--help lacks {variable}");
        }
    }

    #[test]
    fn providers_come_from_the_lookup() {
        let mut config = Config::for_tests("postgres://x");
        config
            .resolve_providers(|name| (name == "OPENAI_API_KEY").then(|| "sk-1".to_owned()))
            .expect("valid");
        assert!(config.providers.resolve("openai/gpt-4o-mini").is_ok());
        assert!(!format!("{config:?}").contains("sk-1"));
    }
}
