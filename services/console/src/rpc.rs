//! The console's clients of the four services, and what their errors mean for a page.

use std::time::Duration;

use benchhub_proto::pb;
use secrecy::ExposeSecret as _;
use tonic::transport::{Channel, Endpoint};

use crate::config::Config;
use crate::session::Session;

/// Largest response the console accepts from a service (a 500-row rankings page in the full view is
/// a few MB).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Lazily connected channels to the four services.
#[derive(Debug, Clone)]
pub struct Services {
    ingest: Channel,
    rankings: Channel,
    runner: Channel,
    /// The ingest service without a deadline, for ReingestAll streams.
    ingest_streaming: Channel,
    /// The runner without a deadline, for WatchRun streams that last as long as the run.
    runner_streaming: Channel,
    judge: Channel,
}

fn channel(url: &str, timeout: Duration) -> anyhow::Result<Channel> {
    Ok(endpoint(url, timeout)?.timeout(timeout).connect_lazy())
}

fn endpoint(url: &str, timeout: Duration) -> anyhow::Result<Endpoint> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(2).min(timeout))
        .tcp_nodelay(true))
}

impl Services {
    /// Channels to the services named by `config` (nothing connects until a page needs it).
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            ingest: channel(&config.ingest_url, config.rpc_timeout)?,
            rankings: channel(&config.rankings_url, config.rpc_timeout)?,
            runner: channel(&config.runner_url, config.rpc_timeout)?,
            ingest_streaming: endpoint(&config.ingest_url, config.rpc_timeout)?
                .http2_keep_alive_interval(Duration::from_secs(20))
                .connect_lazy(),
            runner_streaming: endpoint(&config.runner_url, config.rpc_timeout)?
                .http2_keep_alive_interval(Duration::from_secs(20))
                .connect_lazy(),
            judge: channel(&config.judge_url, config.rpc_timeout)?,
        })
    }

    /// A rankings client.
    pub fn rankings(&self) -> pb::rankings_service_client::RankingsServiceClient<Channel> {
        pb::rankings_service_client::RankingsServiceClient::new(self.rankings.clone())
            .max_decoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// An ingest client.
    pub fn ingest(&self) -> pb::ingest_service_client::IngestServiceClient<Channel> {
        pb::ingest_service_client::IngestServiceClient::new(self.ingest.clone())
            .max_decoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// A token-administration client (served by the ingest service).
    pub fn tokens(&self) -> pb::token_service_client::TokenServiceClient<Channel> {
        pb::token_service_client::TokenServiceClient::new(self.ingest.clone())
    }

    /// A runner client.
    pub fn runner(&self) -> pb::runner_service_client::RunnerServiceClient<Channel> {
        pb::runner_service_client::RunnerServiceClient::new(self.runner.clone())
            .max_decoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// A health client of the rankings service.
    pub fn health(&self) -> tonic_health::pb::health_client::HealthClient<Channel> {
        tonic_health::pb::health_client::HealthClient::new(self.rankings.clone())
    }

    /// An ingest client for streams (no deadline).
    pub fn ingest_streaming(&self) -> pb::ingest_service_client::IngestServiceClient<Channel> {
        pb::ingest_service_client::IngestServiceClient::new(self.ingest_streaming.clone())
            .max_decoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// A runner client for streams (no deadline).
    pub fn runner_streaming(&self) -> pb::runner_service_client::RunnerServiceClient<Channel> {
        pb::runner_service_client::RunnerServiceClient::new(self.runner_streaming.clone())
            .max_decoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// A judge client.
    pub fn judge(&self) -> pb::judge_service_client::JudgeServiceClient<Channel> {
        pb::judge_service_client::JudgeServiceClient::new(self.judge.clone())
            .max_decoding_message_size(MAX_RESPONSE_BYTES)
    }
}

/// A request carrying the session's token, when there is a session.
pub fn request<T>(message: T, session: Option<&Session>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(session) = session {
        with_token(&mut request, session.token.expose_secret());
    }
    request
}

/// Adds `authorization: Bearer <token>`.
pub fn with_token<T>(request: &mut tonic::Request<T>, token: &str) {
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
}

/// What went wrong while building a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// A service is down, slow or failed: a page with a banner (503).
    Unavailable {
        /// Which service.
        service: &'static str,
        /// What it said, or that it did not answer.
        message: String,
    },
    /// Nothing there (404).
    NotFound(String),
    /// The request was wrong (400).
    BadInput(String),
    /// The page needs a signed-in session (303 to /login).
    SignIn,
    /// The session's token may not do this (403).
    Forbidden(String),
}

impl PageError {
    /// What went wrong, as one line for a banner.
    pub fn message(&self) -> String {
        match self {
            Self::Unavailable { service, message } => {
                format!("the {service} service is unavailable: {message}")
            }
            Self::NotFound(message) | Self::BadInput(message) | Self::Forbidden(message) => {
                message.clone()
            }
            Self::SignIn => "the session's token is no longer accepted; sign in again".to_owned(),
        }
    }

    /// Classifies a service's answer.
    pub fn from_status(service: &'static str, status: &tonic::Status) -> Self {
        use tonic::Code;
        let message = status.message().to_owned();
        match status.code() {
            Code::NotFound => Self::NotFound(message),
            Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
                Self::BadInput(message)
            }
            Code::Unauthenticated => Self::SignIn,
            Code::PermissionDenied => Self::Forbidden(message),
            Code::DeadlineExceeded => Self::Unavailable {
                service,
                message: "it did not answer in time".to_owned(),
            },
            Code::Internal | Code::Unknown | Code::DataLoss => Self::Unavailable {
                service,
                message: "it failed to answer; retry in a moment".to_owned(),
            },
            _ if message.is_empty() || message.contains("transport") || message.contains("tcp") => {
                Self::Unavailable {
                    service,
                    message: "it cannot be reached".to_owned(),
                }
            }
            _ => Self::Unavailable { service, message },
        }
    }
}

/// One value reused until it is older than the caller allows.
#[derive(Debug)]
pub struct Cached<T> {
    value: std::sync::Mutex<Option<(std::time::Instant, T)>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Self {
            value: std::sync::Mutex::new(None),
        }
    }
}

impl<T: Clone> Cached<T> {
    /// The value, when it is younger than `max_age`.
    pub fn get(&self, max_age: Duration) -> Option<T> {
        let guard = self
            .value
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|(stored, _)| stored.elapsed() < max_age)
            .map(|(_, value)| value.clone())
    }

    /// Stores a fresh value.
    pub fn put(&self, value: T) {
        *self
            .value
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), value));
    }
}
