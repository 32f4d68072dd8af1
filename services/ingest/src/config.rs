//! Configuration of the ingest service: listen address, the shared settings, and per-source base URLs,
//! schedules and secrets resolved from the environment.

use std::net::SocketAddr;
use std::str::FromStr;

use std::time::Duration;

use benchhub_common::config::{CommonConfig, humantime_duration, validate_base_url};
use secrecy::SecretString;

use crate::domain::sources::{Availability, SOURCES, SourceSpec};

/// Command line and environment of the `ingest` binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "ingest",
    version,
    about = "benchhub ingest service: pulls every source into dated snapshots"
)]
pub struct Config {
    /// Address the gRPC server listens on.
    #[arg(long, env = "BENCHHUB_INGEST_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: SocketAddr,

    /// Settings shared by every service.
    #[command(flatten)]
    pub common: CommonConfig,

    /// Timeout of one upstream request (e.g. 60s).
    #[arg(long, env = "BENCHHUB_INGEST_HTTP_TIMEOUT", default_value = "60s", value_parser = humantime_duration)]
    pub http_timeout: Duration,

    /// Retries of a failed upstream request (5xx, 429, timeouts, broken connections).
    #[arg(long, env = "BENCHHUB_INGEST_HTTP_RETRIES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub http_retries: u32,

    /// First delay between retries; it doubles up to 10s (a 429's Retry-After wins).
    #[arg(long, env = "BENCHHUB_INGEST_HTTP_BACKOFF", default_value = "500ms", value_parser = humantime_duration)]
    pub http_backoff: Duration,

    /// Failed upstream requests in a row (5xx, 429, timeouts, broken connections; each after its
    /// retries) after which an ingest stops asking that upstream and ends with what it has (0: never).
    #[arg(long, env = "BENCHHUB_INGEST_FAIL_FAST_AFTER", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub fail_fast_after: u32,

    /// Largest upstream response accepted, in bytes.
    #[arg(long, env = "BENCHHUB_INGEST_MAX_RESPONSE_BYTES", default_value_t = 64 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_response_bytes: u64,

    /// Sources ReingestAll ingests at once when the request leaves max_concurrency at 0.
    #[arg(long, env = "BENCHHUB_INGEST_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub concurrency: u32,

    /// Requests one source's adapter may have in flight (ecologits estimations, arc-agi files).
    #[arg(long, env = "BENCHHUB_INGEST_REQUEST_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub request_concurrency: u32,

    /// Whether this replica runs the cron schedules (each firing runs once across replicas).
    #[arg(long, env = "BENCHHUB_INGEST_SCHEDULER", default_value_t = true, action = clap::ArgAction::Set)]
    pub scheduler: bool,

    /// How often the scheduler looks for due sources.
    #[arg(long, env = "BENCHHUB_INGEST_SCHEDULER_TICK", default_value = "30s", value_parser = humantime_duration)]
    pub scheduler_tick: Duration,

    /// Whether start-up applies the catalog seed and the MTEB seed (when changed).
    #[arg(long, env = "BENCHHUB_INGEST_APPLY_SEEDS", default_value_t = true, action = clap::ArgAction::Set)]
    pub apply_seeds: bool,

    /// Webhook receiving alerts (Slack-compatible `{"text": …}` POST): a scheduled run FAILED or
    /// PARTIAL, a source turning stale, its recovery. A secret: never logged. Unset: no alerts.
    #[arg(long, env = "BENCHHUB_ALERT_WEBHOOK_URL", value_parser = webhook_url, hide_env_values = true)]
    pub alert_webhook_url: Option<SecretString>,

    /// Resolved per-source settings (from `BENCHHUB_SOURCE_<NAME>_URL`, `_SCHEDULE` and secrets).
    #[arg(skip)]
    pub sources: Vec<SourceSettings>,
}

impl Config {
    /// Returns a configuration for tests: the given database, every source at its default settings.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            common: CommonConfig::for_tests(database_url),
            http_timeout: Duration::from_secs(10),
            http_retries: 2,
            http_backoff: Duration::from_millis(20),
            fail_fast_after: 5,
            max_response_bytes: 64 * 1024 * 1024,
            concurrency: 4,
            request_concurrency: 8,
            scheduler: false,
            scheduler_tick: Duration::from_millis(200),
            apply_seeds: true,
            alert_webhook_url: None,
            sources: resolve_sources(|_| None).unwrap_or_default(),
        }
    }

    /// Returns the pipeline settings this configuration describes.
    pub fn pipeline_settings(&self) -> PipelineSettings {
        PipelineSettings {
            http: crate::fetch::HttpSettings {
                timeout: self.http_timeout,
                max_response_bytes: self.max_response_bytes,
                retries: self.http_retries as usize,
                min_backoff: self.http_backoff,
                max_backoff: Duration::from_secs(10).max(self.http_backoff),
                max_retry_after: Duration::from_secs(60),
                fail_fast_after: self.fail_fast_after,
            },
            request_concurrency: self.request_concurrency as usize,
            source_concurrency: self.concurrency as usize,
            ..PipelineSettings::default()
        }
    }

    /// Points every source with an upstream at `base` (`http://host:port`), each under its own path
    /// prefix as the replay server serves them (`base/<source>`, `base/arc-agi-tasks`,
    /// `base/lmarena-catalog`).
    pub fn point_sources_at(&mut self, base: &str) {
        let base = base.trim_end_matches('/');
        for source in &mut self.sources {
            if !source.spec.default_base_url.is_empty() {
                source.base_url = format!("{base}/{}", source.spec.name);
            }
            if !source.spec.default_secondary_url.is_empty() {
                source.secondary_url =
                    format!("{base}/{}-{}", source.spec.name, source.spec.secondary_name);
            }
        }
    }
}

/// Parses `BENCHHUB_ALERT_WEBHOOK_URL`: an http(s) URL (its path and query may hold a token).
fn webhook_url(text: &str) -> Result<SecretString, String> {
    let text = text.trim();
    let parsed = reqwest::Url::parse(text)
        .map_err(|_| "not a URL; expected http(s)://host[:port]/path".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err("expected an http(s)://host[:port]/path URL".to_owned());
    }
    Ok(SecretString::from(text.to_owned()))
}

/// One source as configured for this process.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// The static description.
    pub spec: &'static SourceSpec,
    /// Upstream base URL (`scheme://host[:port][/prefix]`, no trailing slash); empty when the source
    /// has none.
    pub base_url: String,
    /// Base URL of the source's second upstream (ARC-AGI task files); empty when it has none.
    pub secondary_url: String,
    /// How long fetched data stays fresh; `None` when it never goes stale.
    pub ttl: Option<Duration>,
    /// Cron schedule (UTC), `None` when the source is never scheduled.
    pub schedule: Option<cron::Schedule>,
    /// Text of the schedule as configured.
    pub schedule_text: String,
    /// The source's secret, when its variable is set. Never logged.
    pub secret: Option<SecretString>,
}

/// A configuration variable with a bad value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for {variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: String,
    /// What is wrong and what is allowed.
    pub reason: String,
}

/// Resolves every source's settings through `lookup` (the process environment in production).
pub fn resolve_sources(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<SourceSettings>, ConfigError> {
    SOURCES
        .iter()
        .map(|spec| {
            let url_variable = spec.url_env_var();
            let base_url = match lookup(&url_variable).filter(|value| !value.trim().is_empty()) {
                Some(value) => validate_base_url(&value).map_err(|reason| ConfigError {
                    variable: url_variable.clone(),
                    reason: format!("{reason}; expected scheme://host[:port]"),
                })?,
                None => spec.default_base_url.to_owned(),
            };
            let secondary_variable = spec.secondary_url_env_var();
            let secondary_url = if spec.default_secondary_url.is_empty() {
                String::new()
            } else {
                match lookup(&secondary_variable).filter(|value| !value.trim().is_empty()) {
                    Some(value) => validate_base_url(&value).map_err(|reason| ConfigError {
                        variable: secondary_variable.clone(),
                        reason: format!("{reason}; expected scheme://host[:port]"),
                    })?,
                    None => spec.default_secondary_url.to_owned(),
                }
            };
            let schedule_variable = spec.schedule_env_var();
            let schedule_text = lookup(&schedule_variable)
                .map(|value| value.trim().to_owned())
                .unwrap_or_else(|| spec.default_schedule.to_owned());
            let schedule = if schedule_text.is_empty() || schedule_text == "off" {
                None
            } else if spec.availability != Availability::Live {
                return Err(ConfigError {
                    variable: schedule_variable,
                    reason: format!("{} is not a live source and cannot be scheduled", spec.name),
                });
            } else {
                Some(cron::Schedule::from_str(&schedule_text).map_err(|error| ConfigError {
                    variable: schedule_variable.clone(),
                    reason: format!(
                        "'{schedule_text}' is not a cron expression ({}); use 'sec min hour day-of-month month day-of-week', e.g. '0 0 3 * * Mon', or 'off'",
                        error.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
                    ),
                })?)
            };
            let secret = spec
                .secret_env_var
                .and_then(&lookup)
                .filter(|value| !value.trim().is_empty())
                .map(SecretString::from);
            let ttl_variable = spec.ttl_env_var();
            let ttl_text = lookup(&ttl_variable)
                .map(|value| value.trim().to_owned())
                .unwrap_or_else(|| spec.default_ttl.to_owned());
            let ttl = if ttl_text.is_empty() || ttl_text == "off" {
                None
            } else {
                Some(
                    humantime_duration(&ttl_text)
                        .ok()
                        .filter(|ttl| *ttl >= Duration::from_secs(60))
                        .ok_or_else(|| ConfigError {
                            variable: ttl_variable.clone(),
                            reason: format!(
                                "'{ttl_text}' is not a duration of at least a minute; use e.g. '24h', '8d' or 'off'"
                            ),
                        })?,
                )
            };
            Ok(SourceSettings {
                spec,
                base_url,
                secondary_url,
                ttl,
                schedule_text: if schedule.is_some() { schedule_text } else { String::new() },
                schedule,
                secret,
            })
        })
        .collect()
}

/// Tunables of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Upstream request policy.
    pub http: crate::fetch::HttpSettings,
    /// Requests one adapter may have in flight.
    pub request_concurrency: usize,
    /// Sources ReingestAll runs at once by default.
    pub source_concurrency: usize,
    /// User-Agent of upstream requests.
    pub user_agent: String,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            http: crate::fetch::HttpSettings::default(),
            request_concurrency: 8,
            source_concurrency: 4,
            user_agent: format!("benchhub-ingest/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let sources = resolve_sources(|_| None).expect("defaults are valid");
        let lmarena = sources
            .iter()
            .find(|source| source.spec.name == "lmarena")
            .expect("lmarena");
        assert_eq!(lmarena.base_url, "https://datasets-server.huggingface.co");
        assert!(lmarena.schedule.is_some());
        assert_eq!(lmarena.ttl, Some(Duration::from_secs(24 * 3600)));
        assert_eq!(lmarena.secondary_url, "https://raw.githubusercontent.com");
        assert_eq!(
            lmarena.spec.secondary_url_env_var(),
            "BENCHHUB_SOURCE_LMARENA_CATALOG_URL"
        );
        let mteb = sources
            .iter()
            .find(|source| source.spec.name == "mteb")
            .expect("mteb");
        assert!(mteb.schedule.is_none());
    }

    #[test]
    fn ttls_are_durations_or_off() {
        let sources = resolve_sources(|name| match name {
            "BENCHHUB_SOURCE_LMARENA_TTL" => Some("12h".to_owned()),
            "BENCHHUB_SOURCE_EVALPLUS_TTL" => Some("off".to_owned()),
            _ => None,
        })
        .expect("valid");
        let ttl = |name: &str| {
            sources
                .iter()
                .find(|source| source.spec.name == name)
                .and_then(|source| source.ttl)
        };
        assert_eq!(ttl("lmarena"), Some(Duration::from_secs(12 * 3600)));
        assert_eq!(ttl("evalplus"), None);
        assert_eq!(ttl("mteb"), None);
        let error = resolve_sources(|name| {
            (name == "BENCHHUB_SOURCE_LMARENA_TTL").then(|| "daily".to_owned())
        })
        .expect_err("not a duration");
        assert_eq!(error.variable, "BENCHHUB_SOURCE_LMARENA_TTL");
        assert!(error.to_string().contains("'24h'"), "{error}");
    }

    #[test]
    fn bad_url_names_the_variable() {
        let error = resolve_sources(|name| {
            (name == "BENCHHUB_SOURCE_OPENROUTER_URL").then(|| "ftp://x".to_owned())
        })
        .expect_err("ftp is rejected");
        assert_eq!(error.variable, "BENCHHUB_SOURCE_OPENROUTER_URL");
        assert!(
            error.to_string().contains("scheme://host[:port]"),
            "{error}"
        );
    }

    #[test]
    fn bad_schedule_names_the_variable_and_the_format() {
        let error = resolve_sources(|name| {
            (name == "BENCHHUB_SOURCE_ARC_AGI_SCHEDULE").then(|| "every night".to_owned())
        })
        .expect_err("not cron");
        assert_eq!(error.variable, "BENCHHUB_SOURCE_ARC_AGI_SCHEDULE");
        assert!(error.reason.contains("0 0 3 * * Mon"), "{}", error.reason);
    }

    #[test]
    fn overrides_and_secrets_are_read() {
        let sources = resolve_sources(|name| match name {
            "BENCHHUB_SOURCE_EVALPLUS_URL" => Some("http://127.0.0.1:9000/".to_owned()),
            "ARTIFICIAL_ANALYSIS_API_KEY" => Some("k".to_owned()),
            "BENCHHUB_SOURCE_LMARENA_SCHEDULE" => Some("off".to_owned()),
            _ => None,
        })
        .expect("valid");
        let by_name = |name: &str| {
            sources
                .iter()
                .find(|source| source.spec.name == name)
                .expect("source")
        };
        assert_eq!(by_name("evalplus").base_url, "http://127.0.0.1:9000");
        assert!(by_name("artificialanalysis").secret.is_some());
        assert!(by_name("lmarena").schedule.is_none());
    }
}
