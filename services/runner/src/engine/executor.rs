//! Executes one claimed run: loads its cases, calls every (case, model, repetition) pair without a
//! result through the per-provider stacks ([`super::pair`]), and ends the run (completed, failed on
//! budget, pairwise ratings when asked — [`super::pairwise`]) or gives it back on shutdown.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::{Semaphore, broadcast};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::domain::records::{RunRow, RunSummary};
use crate::domain::run::{
    DEFAULT_PER_PROVIDER_CONCURRENCY, PairKey, RunCase, RunConfig, RunStatus, pairs,
};
use crate::domain::stats;
use crate::engine::context::{ModelRuntime, PROGRESS_INTERVAL, ProviderRuntime, RunContext};
use crate::engine::events::RunEvent;
use crate::engine::limits::rate_limiter;
use crate::engine::stack::{self, Gates, RetryPolicy, RunBudget};
use crate::engine::{ActiveRun, Engine, pair, pairwise};
use crate::error::Error;
use crate::repo;
use crate::repo::worker::{Claimed, Ending, Renewal};

/// Executes a claimed run until it ends, is cancelled, is taken over, or the process shuts down.
///
/// Everything it does, and every task it spawns, runs in one `run` span carrying the run's id and
/// tenant, so log lines of a run need not name it themselves.
pub async fn execute(engine: Arc<Engine>, claimed: Claimed, claim_tag: String) {
    let span = tracing::info_span!("run", run_id = %claimed.run_id, tenant = %claimed.tenant_id);
    execute_in_span(engine, claimed, claim_tag)
        .instrument(span)
        .await;
}

async fn execute_in_span(engine: Arc<Engine>, claimed: Claimed, claim_tag: String) {
    let run_id = claimed.run_id;
    let active = engine.register(run_id);
    let events = engine.hub.open(run_id);
    let outcome = execute_claimed(&engine, &claimed, &claim_tag, &active, events).await;
    if let Err(error) = outcome {
        tracing::warn!(error = %error, "run execution stopped with an error; giving the run back");
        if let Err(error) =
            repo::worker::release(&engine.pool, &claimed.tenant_id, run_id, &claim_tag).await
        {
            tracing::warn!(error = %error, "could not release the run");
        }
    }
    engine.hub.close(run_id);
    engine.unregister(run_id);
}

fn build_cases(
    run: &RunRow,
    suite_cases: Vec<Option<crate::domain::records::CaseRow>>,
) -> Vec<Option<RunCase>> {
    let mut cases: Vec<Option<RunCase>> = suite_cases
        .into_iter()
        .zip(&run.case_ids)
        .enumerate()
        .map(|(index, (row, id))| {
            row.map(|row| RunCase {
                index,
                id: *id,
                from_suite: true,
                spec: row.spec(),
            })
        })
        .collect();
    if let Some(ad_hoc) = &run.ad_hoc_cases {
        for case in &ad_hoc.0 {
            cases.push(Some(RunCase {
                index: cases.len(),
                id: case.id,
                from_suite: false,
                spec: case.spec.clone(),
            }));
        }
    }
    cases
}

async fn execute_claimed(
    engine: &Arc<Engine>,
    claimed: &Claimed,
    claim_tag: &str,
    active: &ActiveRun,
    events: broadcast::Sender<RunEvent>,
) -> Result<(), Error> {
    let run_id = claimed.run_id;
    let tenant = claimed.tenant_id.clone();
    let mut transaction = repo::tenant(&engine.pool, &tenant).await?;
    let run = repo::runs::fetch_run(&mut transaction, run_id).await?;
    let suite_cases = repo::suites::cases_by_id(&mut transaction, &run.case_ids).await?;
    let existing = repo::results::existing_pairs(&mut transaction, run_id).await?;
    let counts = repo::runs::live_counts(&mut transaction, run_id).await?;
    transaction.commit().await?;

    let config = run.config.0.clone();
    let cases = build_cases(&run, suite_cases);
    let model_names = config.model_names();
    let retry_cutoff = run.retry_requested_at;
    let mut finished: HashSet<PairKey> = HashSet::new();
    let mut retrying: HashSet<PairKey> = HashSet::new();
    for pair in existing {
        let key = PairKey {
            case_index: usize::try_from(pair.case_index).unwrap_or(usize::MAX),
            model: pair.model,
            repetition: u32::try_from(pair.repetition).unwrap_or(u32::MAX),
        };
        let retry = pair.failed && retry_cutoff.is_some_and(|cutoff| pair.created_at < cutoff);
        if retry {
            retrying.insert(key);
        } else {
            finished.insert(key);
        }
    }
    let pending: Vec<PairKey> = pairs(cases.len(), &model_names, config.repetitions)
        .into_iter()
        .filter(|pair| !finished.contains(pair))
        .collect();

    let budget = Arc::new(RunBudget::new(
        counts.cost_micro_usd,
        config.limits.budget_micro_usd,
    ));
    let (models, providers) = prepare_models(engine, &config, &budget);
    let context = Arc::new(RunContext {
        engine: Arc::clone(engine),
        run_id,
        tenant: tenant.clone(),
        model_names: model_names.clone(),
        cases,
        models,
        providers,
        retrying,
        total: i64::from(run.total_pairs),
        done: AtomicI64::new(counts.done),
        failed: AtomicI64::new(counts.failed),
        cached: AtomicI64::new(counts.cached),
        cost: AtomicI64::new(counts.cost_micro_usd),
        budget,
        completed_here: AtomicI64::new(0),
        write_failures: AtomicI64::new(0),
        cancel: active.cancel.clone(),
        grading: Arc::new(Semaphore::new(engine.settings.grading_concurrency.max(1))),
        events,
        last_progress: std::sync::Mutex::new(Instant::now() - PROGRESS_INTERVAL),
        started: Instant::now(),
        forwarded: engine.forwarded_token(run_id),
        judge_prices: tokio::sync::Mutex::new(HashMap::new()),
        config,
    });

    let reason = if claimed.previous == RunStatus::Running {
        format!(
            "resumed by {} ({} of {} pairs to go)",
            engine.settings.replica_id,
            pending.len(),
            context.total
        )
    } else {
        format!("started by {}", engine.settings.replica_id)
    };
    tracing::info!(
        pending = pending.len(),
        total = context.total,
        "executing run"
    );
    let _ = context.events.send(RunEvent::Status {
        previous: claimed.previous,
        current: RunStatus::Running,
        reason,
    });
    context.maybe_send_progress(true);

    // Lease renewal; a lost lease (cancelled elsewhere, taken over) aborts the run here.
    let lease_lost = Arc::new(AtomicBool::new(false));
    let renewal = tokio::spawn(
        renew_lease(
            Arc::clone(engine),
            tenant.clone(),
            run_id,
            claim_tag.to_owned(),
            context.cancel.clone(),
            Arc::clone(&lease_lost),
        )
        .in_current_span(),
    );

    let mut by_provider: Vec<(String, Vec<PairKey>)> = Vec::new();
    for pair in pending {
        let provider = context
            .models
            .get(&pair.model)
            .map(|model| model.plan.provider.clone())
            .unwrap_or_default();
        match by_provider.iter_mut().find(|(name, _)| *name == provider) {
            Some((_, list)) => list.push(pair),
            None => by_provider.push((provider, vec![pair])),
        }
    }
    if context.budget_reached() {
        by_provider.clear();
    }
    let mut schedulers = JoinSet::new();
    for (provider, list) in by_provider {
        let cap = context
            .providers
            .get(&provider)
            .map_or(DEFAULT_PER_PROVIDER_CONCURRENCY as usize, |runtime| {
                runtime.cap
            });
        schedulers.spawn(schedule_provider(Arc::clone(&context), list, cap).in_current_span());
    }
    while schedulers.join_next().await.is_some() {}
    renewal.abort();
    context.maybe_send_progress(true);

    finish_run(&context, claim_tag, lease_lost.load(Ordering::Relaxed)).await
}

fn prepare_models(
    engine: &Arc<Engine>,
    config: &RunConfig,
    budget: &Arc<RunBudget>,
) -> (
    HashMap<String, ModelRuntime>,
    HashMap<String, ProviderRuntime>,
) {
    let limits = &config.limits;
    let run_concurrency = Arc::new(Semaphore::new(limits.max_concurrency.max(1) as usize));
    let mut providers: HashMap<String, ProviderRuntime> = HashMap::new();
    let mut run_rates = HashMap::new();
    let mut models = HashMap::new();
    for plan in &config.models {
        let resolved = engine.registry.resolve(&plan.name);
        let stack = match resolved {
            Ok(resolved) => {
                let limiter = engine.limiters.get(&plan.provider, resolved.limits);
                let runtime =
                    providers
                        .entry(plan.provider.clone())
                        .or_insert_with(|| ProviderRuntime {
                            limiter: Some(Arc::clone(&limiter)),
                            throttled: Arc::new(AtomicU64::new(0)),
                            cap: if limits.per_provider_max_concurrency > 0 {
                                limits.per_provider_max_concurrency as usize
                            } else {
                                resolved
                                    .limits
                                    .max_concurrency
                                    .unwrap_or(DEFAULT_PER_PROVIDER_CONCURRENCY)
                                    as usize
                            },
                        });
                let run_rate = run_rates
                    .entry(plan.provider.clone())
                    .or_insert_with(|| rate_limiter(limits.requests_per_minute))
                    .clone();
                let gates = Gates {
                    run_concurrency: Arc::clone(&run_concurrency),
                    provider: limiter,
                    run_rate,
                    throttled: Arc::clone(&runtime.throttled),
                    budget: Arc::clone(budget),
                };
                let policy = RetryPolicy::new(
                    limits.max_retries,
                    engine.settings.retry_base_delay,
                    engine.settings.retry_max_delay,
                );
                Ok(stack::build(resolved.provider, gates, policy))
            }
            Err(error) => {
                tracing::warn!(model = %plan.name, error = %error, "model cannot be called on this replica");
                providers
                    .entry(plan.provider.clone())
                    .or_insert_with(|| ProviderRuntime {
                        limiter: None,
                        throttled: Arc::new(AtomicU64::new(0)),
                        cap: DEFAULT_PER_PROVIDER_CONCURRENCY as usize,
                    });
                Err(error.to_string())
            }
        };
        models.insert(
            plan.name.clone(),
            ModelRuntime {
                plan: plan.clone(),
                stack,
            },
        );
    }
    (models, providers)
}

async fn renew_lease(
    engine: Arc<Engine>,
    tenant: String,
    run_id: Uuid,
    claim_tag: String,
    cancel: CancellationToken,
    lease_lost: Arc<AtomicBool>,
) {
    let interval = engine.settings.renew_interval();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = cancel.cancelled() => return,
        }
        match repo::worker::renew(
            &engine.pool,
            &tenant,
            run_id,
            &claim_tag,
            engine.settings.lease,
        )
        .await
        {
            Ok(Renewal::Held) => {}
            Ok(Renewal::Lost) => {
                tracing::info!("run no longer held here (cancelled or taken over); stopping");
                lease_lost.store(true, Ordering::Relaxed);
                cancel.cancel();
                return;
            }
            Err(error) => {
                tracing::warn!(error = %error, "lease renewal failed; retrying");
            }
        }
    }
}

async fn schedule_provider(context: Arc<RunContext>, pairs: Vec<PairKey>, cap: usize) {
    let pipeline = Arc::new(Semaphore::new(cap.max(1)));
    let mut tasks = JoinSet::new();
    for pair in pairs {
        let permit = tokio::select! {
            biased;
            _ = context.stop_requested() => break,
            permit = Arc::clone(&pipeline).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        if context.stopping() || context.budget_reached() {
            break;
        }
        tasks.spawn(pair::run_pair(Arc::clone(&context), pair, permit).in_current_span());
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

async fn finish_run(
    context: &Arc<RunContext>,
    claim_tag: &str,
    lease_lost: bool,
) -> Result<(), Error> {
    let engine = &context.engine;
    let run_id = context.run_id;
    let tenant = &context.tenant;
    if lease_lost || (context.cancel.is_cancelled() && !engine.hard_stop.is_cancelled()) {
        // Cancelled (here or on another replica), or taken over by another replica.
        let (row, _) = repo::runs::run_progress(&engine.pool, tenant, run_id).await?;
        if row.status() == RunStatus::Cancelled {
            repo::worker::settle_cancelled(&engine.pool, tenant, run_id, claim_tag).await?;
            let reason = row
                .summary
                .as_ref()
                .map(|summary| summary.0.reason.clone())
                .unwrap_or_default();
            tracing::info!("run cancelled");
            let _ = context.events.send(RunEvent::Status {
                previous: RunStatus::Running,
                current: RunStatus::Cancelled,
                reason,
            });
        }
        engine.forget_token(run_id);
        return Ok(());
    }
    let remaining = context.total - context.done.load(Ordering::Relaxed);
    if engine.hard_stop.is_cancelled() || (engine.drain.is_cancelled() && remaining > 0) {
        repo::worker::release(&engine.pool, tenant, run_id, claim_tag).await?;
        tracing::info!(
            remaining,
            "shutting down: run given back for another replica to resume"
        );
        return Ok(());
    }

    let mut summary = RunSummary::default();
    let (status, error) = if context.budget.was_hit() {
        let budget = context.config.limits.budget_micro_usd.unwrap_or(0);
        (
            RunStatus::Failed,
            Some(format!(
                "budget reached: {} of {budget} micro-USD spent; {remaining} pairs were not run",
                context.budget.spent()
            )),
        )
    } else if remaining > 0 {
        (
            RunStatus::Failed,
            Some(format!(
                "{remaining} results could not be recorded (database errors); RetryRun resumes the run"
            )),
        )
    } else {
        if context.config.pairwise && context.model_names.len() >= 2 {
            let (ratings, consistency) = pairwise::pairwise(context).await;
            summary.ratings = ratings;
            summary.judge_consistency_rate = consistency;
        }
        (RunStatus::Completed, None)
    };
    summary.reason = error.clone().unwrap_or_default();

    let mut transaction = repo::tenant(&engine.pool, tenant).await?;
    summary.models = repo::runs::model_aggregates(&mut transaction, &[run_id]).await?;
    let cases = repo::runs::case_scores(&mut transaction, &[run_id]).await?;
    transaction.commit().await?;
    let choice = crate::domain::significance::assess(&mut summary.models, &cases);
    // Named only when significantly best; its quality is stored beside it.
    let best = choice
        .best_model
        .as_ref()
        .and_then(|name| summary.models.iter().find(|model| &model.model == name))
        .cloned();
    summary.choice = Some(choice);
    let cheapest = stats::cheapest_by_total(&summary.models).cloned();
    let ending = Ending {
        status,
        error,
        budget_exhausted: context.budget.was_hit(),
        best_model: best.as_ref().map(|model| model.model.clone()),
        best_quality: best.as_ref().and_then(|model| model.mean_quality),
        cheapest_model: cheapest.as_ref().map(|model| model.model.clone()),
        cheapest_cost_micro_usd: cheapest.as_ref().map(|model| model.total_cost_micro_usd),
        summary,
    };
    let recorded = repo::worker::finish(&engine.pool, tenant, run_id, claim_tag, &ending).await?;
    engine.forget_token(run_id);
    if recorded {
        tracing::info!(status = status.as_str(), "run ended");
        let _ = context.events.send(RunEvent::Status {
            previous: RunStatus::Running,
            current: status,
            reason: ending.summary.reason.clone(),
        });
    }
    Ok(())
}
