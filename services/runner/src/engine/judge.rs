//! The judge service over gRPC, with the runner's token (or the run creator's, forwarded) and the
//! request id propagated as `x-request-id`.

use std::time::Duration;

use benchhub_common::rpc::REQUEST_ID_HEADER;
use benchhub_proto::pb;
use benchhub_proto::pb::judge_service_client::JudgeServiceClient;
use secrecy::{ExposeSecret, SecretString};
use tonic::transport::{Channel, Endpoint};

/// Calls to the judge that fail with UNAVAILABLE are retried this many times.
const UNAVAILABLE_RETRIES: u32 = 3;

/// Why a judge call failed (the judge's own grading errors come back inside its result instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JudgeError {
    /// No token is configured and none could be forwarded.
    #[error("no token for the judge: set BENCHHUB_RUNNER_JUDGE_TOKEN")]
    NoToken,
    /// The judge could not be reached.
    #[error("judge unavailable: {0}")]
    Unavailable(String),
    /// The judge rejected the request.
    #[error("judge rejected the request ({code}): {message}")]
    Rejected {
        /// gRPC code name.
        code: String,
        /// The judge's message.
        message: String,
    },
}

/// A lazily connected judge client.
#[derive(Clone)]
pub struct JudgeClient {
    channel: Channel,
    token: Option<SecretString>,
    timeout: Duration,
}

impl std::fmt::Debug for JudgeClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("JudgeClient")
            .field("token", &self.token.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl JudgeClient {
    /// Creates a client of the judge at `url`; nothing connects until the first call.
    pub fn new(url: &str, token: Option<SecretString>, timeout: Duration) -> anyhow::Result<Self> {
        let channel = Endpoint::from_shared(url.to_owned())?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(Self {
            channel,
            token,
            timeout,
        })
    }

    fn request<T>(
        &self,
        message: T,
        request_id: Option<&str>,
        forwarded: Option<&SecretString>,
    ) -> Result<tonic::Request<T>, JudgeError> {
        let token = self
            .token
            .as_ref()
            .or(forwarded)
            .ok_or(JudgeError::NoToken)?;
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        let header = format!("Bearer {}", token.expose_secret())
            .parse()
            .map_err(|_| JudgeError::NoToken)?;
        request.metadata_mut().insert("authorization", header);
        if let Some(id) = request_id
            && let Ok(value) = id.parse()
        {
            request.metadata_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(request)
    }

    async fn with_retries<T, F, Fut>(&self, mut attempt: F) -> Result<T, JudgeError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, JudgeError>>,
    {
        let mut delays =
            benchhub_db::Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(JudgeError::Unavailable(_)) if tries < UNAVAILABLE_RETRIES => {
                    tries += 1;
                    tokio::time::sleep(delays.next_delay()).await;
                }
                other => return other,
            }
        }
    }

    /// Grades one output.
    pub async fn score(
        &self,
        message: pb::ScoreRequest,
        request_id: Option<&str>,
        forwarded: Option<&SecretString>,
    ) -> Result<pb::ScoreResult, JudgeError> {
        self.with_retries(|| {
            let request = self.request(message.clone(), request_id, forwarded);
            let mut client = JudgeServiceClient::new(self.channel.clone());
            async move {
                let response = client.score(request?).await.map_err(status_error)?;
                Ok(response.into_inner().result.unwrap_or_default())
            }
        })
        .await
    }

    /// Compares two outputs in both orders.
    pub async fn compare(
        &self,
        message: pb::CompareRequest,
        request_id: Option<&str>,
        forwarded: Option<&SecretString>,
    ) -> Result<pb::CompareResponse, JudgeError> {
        self.with_retries(|| {
            let request = self.request(message.clone(), request_id, forwarded);
            let mut client = JudgeServiceClient::new(self.channel.clone());
            async move {
                Ok(client
                    .compare(request?)
                    .await
                    .map_err(status_error)?
                    .into_inner())
            }
        })
        .await
    }

    /// Fits Bradley–Terry ratings.
    pub async fn rank(
        &self,
        message: pb::RankModelsRequest,
        request_id: Option<&str>,
        forwarded: Option<&SecretString>,
    ) -> Result<pb::RankModelsResponse, JudgeError> {
        self.with_retries(|| {
            let request = self.request(message.clone(), request_id, forwarded);
            let mut client = JudgeServiceClient::new(self.channel.clone());
            async move {
                Ok(client
                    .rank_models(request?)
                    .await
                    .map_err(status_error)?
                    .into_inner())
            }
        })
        .await
    }
}

fn status_error(status: tonic::Status) -> JudgeError {
    match status.code() {
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown => {
            JudgeError::Unavailable(status.message().to_owned())
        }
        code => JudgeError::Rejected {
            code: format!("{code:?}"),
            message: status.message().to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_carry_the_token_and_request_id() {
        let client = JudgeClient::new(
            "http://127.0.0.1:9",
            Some(SecretString::from("judge-token".to_owned())),
            Duration::from_secs(1),
        )
        .expect("valid url");
        let request = client
            .request(pb::ScoreRequest::default(), Some("req-42"), None)
            .expect("token");
        assert_eq!(
            request
                .metadata()
                .get("authorization")
                .map(|v| v.to_str().unwrap_or("")),
            Some("Bearer judge-token")
        );
        assert_eq!(
            request
                .metadata()
                .get(REQUEST_ID_HEADER)
                .map(|v| v.to_str().unwrap_or("")),
            Some("req-42")
        );
        assert!(!format!("{client:?}").contains("judge-token"));
    }

    #[tokio::test]
    async fn forwarded_token_is_used_without_a_configured_one() {
        let client = JudgeClient::new("http://127.0.0.1:9", None, Duration::from_secs(1))
            .expect("valid url");
        assert_eq!(
            client
                .request(pb::ScoreRequest::default(), None, None)
                .err(),
            Some(JudgeError::NoToken)
        );
        let forwarded = SecretString::from("caller".to_owned());
        assert!(
            client
                .request(pb::ScoreRequest::default(), None, Some(&forwarded))
                .is_ok()
        );
    }
}
