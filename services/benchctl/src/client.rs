//! Connections to the benchhub services, with the bearer token attached to every call.

use std::time::Duration;

use anyhow::Context as _;
use benchhub_proto::pb;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};

/// Where the services are and who is calling. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct Endpoints {
    /// Ingest service URL.
    pub ingest: String,
    /// Rankings service URL.
    pub rankings: String,
    /// Runner service URL.
    pub runner: String,
    /// Judge service URL.
    pub judge: String,
    /// Bearer token, if any.
    pub token: Option<String>,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Endpoints")
            .field("ingest", &self.ingest)
            .field("rankings", &self.rankings)
            .field("runner", &self.runner)
            .field("judge", &self.judge)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Adds `authorization: Bearer <token>` to every request when a token is configured. Its `Debug`
/// never shows the header.
#[derive(Clone)]
pub struct BearerInterceptor {
    header: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl std::fmt::Debug for BearerInterceptor {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BearerInterceptor")
            .field("header", &self.header.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Interceptor for BearerInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", header.clone());
        }
        Ok(request)
    }
}

type Intercepted = tonic::service::interceptor::InterceptedService<Channel, BearerInterceptor>;

/// Typed clients of every service.
#[derive(Debug)]
pub struct Clients {
    endpoints: Endpoints,
    interceptor: BearerInterceptor,
}

impl Clients {
    /// Prepares clients; connections are opened lazily by each accessor.
    pub fn new(endpoints: Endpoints) -> anyhow::Result<Self> {
        let header = match &endpoints.token {
            Some(token) => Some(
                format!("Bearer {token}")
                    .parse()
                    .context("the token contains characters that cannot be sent as metadata")?,
            ),
            None => None,
        };
        Ok(Self {
            endpoints,
            interceptor: BearerInterceptor { header },
        })
    }

    /// Returns the configured endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Opens a channel to `url`, with a connect timeout.
    pub async fn channel(url: &str) -> anyhow::Result<Channel> {
        Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("'{url}' is not a valid service URL"))?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .with_context(|| format!("cannot connect to {url}"))
    }

    /// Ingest client.
    pub async fn ingest(
        &self,
    ) -> anyhow::Result<pb::ingest_service_client::IngestServiceClient<Intercepted>> {
        let channel = Self::channel(&self.endpoints.ingest).await?;
        Ok(
            pb::ingest_service_client::IngestServiceClient::with_interceptor(
                channel,
                self.interceptor.clone(),
            ),
        )
    }

    /// Token client (served by the ingest binary).
    pub async fn tokens(
        &self,
    ) -> anyhow::Result<pb::token_service_client::TokenServiceClient<Intercepted>> {
        let channel = Self::channel(&self.endpoints.ingest).await?;
        Ok(
            pb::token_service_client::TokenServiceClient::with_interceptor(
                channel,
                self.interceptor.clone(),
            ),
        )
    }

    /// Rankings client.
    pub async fn rankings(
        &self,
    ) -> anyhow::Result<pb::rankings_service_client::RankingsServiceClient<Intercepted>> {
        let channel = Self::channel(&self.endpoints.rankings).await?;
        Ok(
            pb::rankings_service_client::RankingsServiceClient::with_interceptor(
                channel,
                self.interceptor.clone(),
            ),
        )
    }

    /// Runner client.
    pub async fn runner(
        &self,
    ) -> anyhow::Result<pb::runner_service_client::RunnerServiceClient<Intercepted>> {
        let channel = Self::channel(&self.endpoints.runner).await?;
        Ok(
            pb::runner_service_client::RunnerServiceClient::with_interceptor(
                channel,
                self.interceptor.clone(),
            ),
        )
    }

    /// Judge client.
    pub async fn judge(
        &self,
    ) -> anyhow::Result<pb::judge_service_client::JudgeServiceClient<Intercepted>> {
        let channel = Self::channel(&self.endpoints.judge).await?;
        Ok(
            pb::judge_service_client::JudgeServiceClient::with_interceptor(
                channel,
                self.interceptor.clone(),
            ),
        )
    }
}

/// Turns a gRPC status into an error message a person can act on.
pub fn explain(status: &tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let endpoints = Endpoints {
            ingest: "http://a".to_owned(),
            rankings: "http://b".to_owned(),
            runner: "http://c".to_owned(),
            judge: "http://d".to_owned(),
            token: Some("bh_secret_token_value".to_owned()),
        };
        let clients = Clients::new(endpoints.clone()).expect("clients");
        for text in [format!("{endpoints:?}"), format!("{clients:?}")] {
            assert!(!text.contains("bh_secret_token_value"), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
}
