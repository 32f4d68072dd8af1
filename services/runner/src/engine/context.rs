//! What the tasks of one executing run share: the run's context (configuration, cases, models with
//! their call stacks, providers with their limiters, counters, cancellation and events). The executor
//! builds it; pair execution and pairwise judging read it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::run::{ModelPlan, PairKey, RunCase, RunConfig};
use crate::engine::Engine;
use crate::engine::events::{Counts, ProgressSnapshot, ProviderSnapshot, RunEvent};
use crate::engine::limits::ProviderLimiter;
use crate::engine::stack::{CallStack, RunBudget};

/// Progress events are sent at most this often.
pub(super) const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

/// A model of the run with its call stack (or why it cannot be called here).
pub(super) struct ModelRuntime {
    pub(super) plan: ModelPlan,
    pub(super) stack: Result<CallStack, String>,
}

/// A provider of the run: its shared limiter, the run's 429 count and the run's cap.
pub(super) struct ProviderRuntime {
    pub(super) limiter: Option<Arc<ProviderLimiter>>,
    pub(super) throttled: Arc<AtomicU64>,
    pub(super) cap: usize,
}

/// Everything the tasks of one executing run share.
pub(super) struct RunContext {
    pub(super) engine: Arc<Engine>,
    pub(super) run_id: Uuid,
    pub(super) tenant: String,
    pub(super) config: RunConfig,
    pub(super) model_names: Vec<String>,
    pub(super) cases: Vec<Option<RunCase>>,
    pub(super) models: HashMap<String, ModelRuntime>,
    pub(super) providers: HashMap<String, ProviderRuntime>,
    pub(super) retrying: HashSet<PairKey>,
    pub(super) total: i64,
    pub(super) done: AtomicI64,
    pub(super) failed: AtomicI64,
    pub(super) cached: AtomicI64,
    pub(super) cost: AtomicI64,
    pub(super) budget: Arc<RunBudget>,
    pub(super) completed_here: AtomicI64,
    pub(super) write_failures: AtomicI64,
    pub(super) cancel: CancellationToken,
    pub(super) grading: Arc<Semaphore>,
    pub(super) events: broadcast::Sender<RunEvent>,
    pub(super) last_progress: std::sync::Mutex<Instant>,
    pub(super) started: Instant,
    pub(super) forwarded: Option<SecretString>,
    /// Prices of the judge models met so far (`None`: unknown), resolved once each.
    pub(super) judge_prices:
        tokio::sync::Mutex<HashMap<String, Option<crate::domain::pricing::Price>>>,
}

impl RunContext {
    /// What a judge call of `model` with these tokens cost, at the model's catalog price or override;
    /// `None` when its price is unknown (or no model was named).
    pub(super) async fn judge_cost(
        &self,
        model: &str,
        input_tokens: u64,
        output_tokens: u64,
    ) -> Option<i64> {
        if model.is_empty() {
            return None;
        }
        let mut prices = self.judge_prices.lock().await;
        if !prices.contains_key(model) {
            let provider_model = model.split_once('/').map_or(model, |(_, rest)| rest);
            let resolved = async {
                let mut transaction = crate::repo::tenant(&self.engine.pool, &self.tenant).await?;
                let price =
                    crate::repo::pricing::resolve(&mut transaction, model, provider_model).await?;
                transaction.commit().await?;
                Ok::<_, crate::error::Error>(price.price)
            }
            .await;
            match resolved {
                Ok(price) => {
                    prices.insert(model.to_owned(), price);
                }
                Err(error) => {
                    // Not cached: the next call tries again.
                    tracing::warn!(error = %error, "judge price lookup failed");
                    return None;
                }
            }
        }
        prices
            .get(model)
            .and_then(Option::as_ref)
            .map(|price| price.cost_micro_usd(input_tokens, output_tokens))
    }

    pub(super) fn stopping(&self) -> bool {
        self.cancel.is_cancelled() || self.engine.drain.is_cancelled()
    }

    pub(super) async fn stop_requested(&self) {
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            _ = self.engine.drain.cancelled() => {}
        }
    }

    pub(super) fn budget_reached(&self) -> bool {
        self.budget.reached()
    }

    pub(super) fn counts(&self) -> Counts {
        Counts {
            total: self.total,
            done: self.done.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            cached: self.cached.load(Ordering::Relaxed),
        }
    }

    pub(super) fn progress(&self) -> ProgressSnapshot {
        let counts = self.counts();
        let completed = self.completed_here.load(Ordering::Relaxed);
        let eta_ms = (completed >= 3 && counts.remaining() > 0).then(|| {
            let per_result = self.started.elapsed().as_secs_f64() / completed as f64;
            (per_result * counts.remaining() as f64 * 1000.0).round() as i64
        });
        let mut providers: Vec<ProviderSnapshot> = self
            .providers
            .iter()
            .filter_map(|(name, runtime)| {
                let snapshot = runtime.limiter.as_ref()?.concurrency.snapshot();
                Some(ProviderSnapshot {
                    provider: name.clone(),
                    current_limit: snapshot.current,
                    max_limit: snapshot.max,
                    in_flight: snapshot.in_flight,
                    throttled: runtime.throttled.load(Ordering::Relaxed),
                    replica_share: snapshot.granted,
                    replicas: snapshot.replicas,
                })
            })
            .collect();
        providers.sort_by(|left, right| left.provider.cmp(&right.provider));
        ProgressSnapshot {
            counts,
            cost_micro_usd: self.cost.load(Ordering::Relaxed),
            eta_ms,
            providers,
        }
    }

    pub(super) fn maybe_send_progress(&self, force: bool) {
        let due = {
            let mut last = self
                .last_progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if force || last.elapsed() >= PROGRESS_INTERVAL {
                *last = Instant::now();
                true
            } else {
                false
            }
        };
        if due {
            let _ = self.events.send(RunEvent::Progress(self.progress()));
        }
    }
}
