//! Webhook alerts (`BENCHHUB_ALERT_WEBHOOK_URL`): a Slack-compatible `{"text": …}` POST when a
//! scheduled run fails or ends PARTIAL, when a source's data turns stale (older than its TTL), and
//! when it recovers. Each change of state is announced once across every replica: the new state is
//! claimed on `source_state.alert_state` with one UPDATE, and only the replica that changed it sends.
//! A message that cannot be delivered puts the old state back, so the next run or tick tries again.
//! The webhook URL is a secret (Slack's carries a token): it is never logged or stored.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

use crate::config::SourceSettings;
use crate::domain::alerts::{self, AlertState};
use crate::domain::sources::SourceSpec;
use crate::repo;
use crate::service::{IngestOutcome, Trigger};

/// Attempts to deliver one message.
const ATTEMPTS: usize = 3;
/// Timeout of one delivery attempt.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends the alerts of one ingest service.
#[derive(Debug)]
pub struct Alerter {
    pool: PgPool,
    webhook: SecretString,
    client: reqwest::Client,
}

impl Alerter {
    /// An alerter posting to `webhook`.
    pub fn new(pool: PgPool, webhook: SecretString) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
        Ok(Self {
            pool,
            webhook,
            client,
        })
    }

    /// Announces what a finished (not dry) run changed.
    pub async fn after_run(&self, spec: &SourceSpec, outcome: &IngestOutcome) {
        let scheduled = matches!(outcome.trigger, Trigger::Schedule | Trigger::Startup);
        let Some(new) = alerts::after_run(outcome.status_name(), scheduled) else {
            return;
        };
        let detail = match new {
            AlertState::Partial => outcome
                .document_failures
                .iter()
                .map(|failure| format!("{}: {}", failure.document, failure.error))
                .collect::<Vec<_>>()
                .join("; "),
            _ => outcome.error.clone().unwrap_or_default(),
        };
        self.transition(spec, new, &detail).await;
    }

    /// Announces every source whose data turned stale (older than its TTL) with no run under way.
    pub async fn check_stale(&self, sources: &[SourceSettings]) {
        let candidates = match repo::alert_candidates(&self.pool).await {
            Ok(candidates) => candidates,
            Err(error) => {
                tracing::warn!(error = %benchhub_db::describe(&error), "stale check failed");
                return;
            }
        };
        let now = chrono::Utc::now();
        for candidate in candidates {
            if candidate.running || AlertState::parse(&candidate.alert_state) != AlertState::Ok {
                continue;
            }
            let Some(settings) = sources
                .iter()
                .find(|settings| settings.spec.name == candidate.source)
            else {
                continue;
            };
            if let Some(reason) = benchhub_common::freshness::stale_reason(
                false,
                candidate.last_success_at,
                settings.ttl,
                now,
            ) {
                self.transition(settings.spec, AlertState::Stale, &reason)
                    .await;
            }
        }
    }

    async fn transition(&self, spec: &SourceSpec, new: AlertState, detail: &str) {
        let previous = match repo::claim_alert_state(&self.pool, spec.name, new.as_str()).await {
            Ok(Some(previous)) => AlertState::parse(&previous),
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(source = spec.name, error = %benchhub_db::describe(&error), "alert state update failed");
                return;
            }
        };
        let text = alerts::message(spec.display_name, spec.name, previous, new, detail);
        match self.deliver(&text).await {
            Ok(()) => tracing::info!(source = spec.name, state = new.as_str(), "alert sent"),
            Err(error) => {
                tracing::warn!(source = spec.name, state = new.as_str(), error = %error, "alert could not be delivered; will retry on the next change");
                if let Err(error) =
                    repo::revert_alert_state(&self.pool, spec.name, new.as_str(), previous.as_str())
                        .await
                {
                    tracing::warn!(source = spec.name, error = %benchhub_db::describe(&error), "alert state revert failed");
                }
            }
        }
    }

    /// Posts `{"text": text}`, retrying transient failures; errors never name the URL.
    async fn deliver(&self, text: &str) -> Result<(), String> {
        let body = serde_json::json!({ "text": text });
        let mut last_error = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            match self
                .client
                .post(self.webhook.expose_secret())
                .json(&body)
                .send()
                .await
            {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    last_error =
                        format!("the webhook answered HTTP {}", response.status().as_u16());
                    if response.status().is_client_error()
                        && response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS
                    {
                        break;
                    }
                }
                Err(error) => {
                    last_error =
                        format!("the webhook could not be reached: {}", error.without_url());
                }
            }
        }
        Err(last_error)
    }
}
