//! Configuration shared by every service, read from `BENCHHUB_*` environment variables (clap lists each
//! one in `--help`). Invalid values stop the process at start-up with a message naming the variable.

use std::time::Duration;

use secrecy::SecretString;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Settings every service shares: logging, auth bootstrap, request limits and the database.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonConfig {
    /// Postgres connection string (postgres://user:password@host:port/database).
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// Postgres URL of the tables' owner; when set, the service applies pending migrations with it at
    /// start-up (single-node use). Unset, the service waits until `benchctl db migrate` has run.
    #[arg(
        long = "migrate-database-url",
        env = "BENCHHUB_MIGRATE_DATABASE_URL",
        hide_env_values = true
    )]
    pub migrate_database_url: Option<String>,

    /// Maximum number of pooled Postgres connections.
    #[arg(long, env = "BENCHHUB_DB_MAX_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_connections: u32,

    /// How long a query waits for a pooled connection before answering UNAVAILABLE (e.g. 5s).
    #[arg(long, env = "BENCHHUB_DB_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = humantime_duration)]
    pub db_acquire_timeout: Duration,

    /// Log format: pretty for a terminal, json for machines.
    #[arg(long, env = "BENCHHUB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Bootstrap admin token; requests bearing it act as admin of the bootstrap tenant. Never logged.
    #[arg(long, env = "BENCHHUB_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<SecretString>,

    /// Tenant of the bootstrap admin token.
    #[arg(long, env = "BENCHHUB_ADMIN_TENANT", default_value = "default")]
    pub admin_tenant: String,

    /// Largest request message accepted, in bytes (larger ones answer RESOURCE_EXHAUSTED).
    #[arg(long, env = "BENCHHUB_MAX_REQUEST_BYTES", default_value_t = 4 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=256 * 1024 * 1024))]
    pub max_request_bytes: u64,

    /// Deadline for one unary RPC when the caller sets none (e.g. 120s); streams are not cut.
    #[arg(long, env = "BENCHHUB_REQUEST_TIMEOUT", default_value = "120s", value_parser = humantime_duration)]
    pub request_timeout: Duration,

    /// How often the database is probed for the health status.
    #[arg(long, env = "BENCHHUB_HEALTH_INTERVAL", default_value = "2s", value_parser = humantime_duration)]
    pub health_interval: Duration,

    /// Address of the Prometheus metrics endpoint (`GET /metrics`); unset means no endpoint.
    #[arg(long, env = "BENCHHUB_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// How long in-flight RPCs may take to finish after SIGTERM/SIGINT before the process exits.
    #[arg(long, env = "BENCHHUB_SHUTDOWN_GRACE", default_value = "20s", value_parser = humantime_duration)]
    pub shutdown_grace: Duration,
}

impl CommonConfig {
    /// Returns settings for tests: the given database, defaults everywhere else.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            migrate_database_url: None,
            db_max_connections: 10,
            db_acquire_timeout: Duration::from_secs(5),
            log_format: LogFormat::Pretty,
            admin_token: None,
            admin_tenant: "default".to_owned(),
            max_request_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            health_interval: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(10),
            metrics_addr: None,
        }
    }

    /// Returns the pool settings derived from this configuration.
    pub fn pool_settings(&self) -> benchhub_db::PoolSettings {
        benchhub_db::PoolSettings {
            max_connections: self.db_max_connections,
            acquire_timeout: self.db_acquire_timeout,
        }
    }
}

/// Parses durations such as `500ms`, `5s`, `2m`, `1h`.
pub fn humantime_duration(text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| {
        format!("'{text}' is not a duration; use a number with a unit: ms, s, m, h or d (e.g. 30s)")
    })
}

fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|character: char| !character.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    match unit.trim() {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => Some(Duration::from_secs(number.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(number.checked_mul(3600)?)),
        "d" => Some(Duration::from_secs(number.checked_mul(86_400)?)),
        _ => None,
    }
}

/// Checks that a listen or upstream URL is `http(s)://host[:port]` with nothing after the authority.
pub fn validate_base_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| format!("'{text}' must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("'{text}' has no host"));
    }
    Ok(trimmed.to_owned())
}

/// Parses a service's configuration from the command line and environment. On a bad value it exits
/// with code 2 and a message that names the environment variable the value came from (clap alone
/// names only the flag).
pub fn parse<T: clap::Parser>() -> T {
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match T::try_parse_from(&arguments) {
        Ok(config) => config,
        Err(error) => {
            let hint = env_hint::<T>(&error, &arguments);
            let _ = error.print();
            if let Some(hint) = hint {
                eprintln!("{hint}");
            }
            std::process::exit(error.exit_code());
        }
    }
}

/// Returns "note: …" naming the environment variable behind the argument a clap error is about.
fn env_hint<T: clap::CommandFactory>(
    error: &clap::Error,
    arguments: &[std::ffi::OsString],
) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let invalid = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(text)) => vec![text.clone()],
        Some(ContextValue::Strings(texts)) => texts.clone(),
        _ => return None,
    };
    let command = T::command();
    let mut notes = Vec::new();
    for text in invalid {
        let long = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_start_matches("--")
            .to_owned();
        let argument = command
            .get_arguments()
            .find(|argument| argument.get_long() == Some(long.as_str()));
        let Some(variable) = argument.and_then(|argument| argument.get_env()) else {
            continue;
        };
        let flag_given = arguments
            .iter()
            .any(|argument| argument.to_string_lossy().starts_with(&format!("--{long}")));
        let variable = variable.to_string_lossy();
        if flag_given {
            continue;
        }
        if std::env::var_os(variable.as_ref()).is_some() {
            notes.push(format!(
                "note: the value comes from the environment variable {variable}"
            ));
        } else {
            notes.push(format!(
                "note: set the environment variable {variable} (or pass --{long})"
            ));
        }
    }
    (!notes.is_empty()).then(|| notes.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_with_units() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("5 days"), None);
    }

    #[test]
    fn duration_error_names_the_allowed_units() {
        let message = humantime_duration("soon").unwrap_err();
        assert!(message.contains("ms, s, m, h or d"), "{message}");
    }

    #[test]
    fn base_urls_need_a_scheme_and_host() {
        assert_eq!(
            validate_base_url("http://127.0.0.1:8080/").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        assert!(validate_base_url("127.0.0.1:8080").is_err());
        assert!(validate_base_url("https://").is_err());
    }
}
