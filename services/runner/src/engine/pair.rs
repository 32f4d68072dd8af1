//! One (case, model, repetition) pair: the response cache or a call through the provider's stack,
//! grading by the judge, and the result recorded the moment it is ready.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use benchhub_proto::pb;
use benchhub_providers::{ChatMessage, ChatRequest, ChatResponse, ProviderError};
use sha2::{Digest, Sha256};
use tokio::sync::OwnedSemaphorePermit;
use uuid::Uuid;

use crate::domain::normalize::matches_expected;
use crate::domain::records::ResultRecord;
use crate::domain::run::{ModelPlan, PairKey, RunCase, RunConfig};
use crate::engine::context::{ModelRuntime, RunContext};
use crate::engine::events::RunEvent;
use crate::engine::stack::{self, Call};
use crate::error::Error;
use crate::repo;
use crate::repo::results::{CachedResponse, NewResult};
use benchhub_common::grading::GraderKind;

/// What a pair's call produced.
enum CallOutcome {
    Answer {
        response: ChatResponse,
        attempts: u32,
        cached: bool,
    },
    Failed {
        error: String,
        attempts: u32,
    },
}

/// What grading produced.
#[derive(Default)]
struct Grading {
    quality: Option<f64>,
    passed: Option<bool>,
    grader: Option<String>,
    notes: Option<String>,
    error: Option<String>,
    self_judged: bool,
    judge_model: String,
    judge_input_tokens: u64,
    judge_output_tokens: u64,
}

fn cache_key(config: &RunConfig, plan: &ModelPlan, input: &str) -> String {
    let material = serde_json::json!([
        plan.provider,
        plan.provider_model,
        config.system_prompt,
        input,
        config.max_tokens,
        config.temperature,
    ]);
    hex::encode(Sha256::digest(material.to_string().as_bytes()))
}

async fn call_model(
    context: &RunContext,
    case: &RunCase,
    model: &ModelRuntime,
    pair: &PairKey,
) -> Option<CallOutcome> {
    let stack = match &model.stack {
        Ok(stack) => stack,
        Err(reason) => {
            return Some(CallOutcome::Failed {
                error: format!("model cannot be called: {reason}"),
                attempts: 0,
            });
        }
    };
    let config = &context.config;
    let cacheable = config.use_cache && config.temperature == 0.0;
    let key = cacheable.then(|| cache_key(config, &model.plan, &case.spec.input));
    if let Some(key) = &key {
        match repo::results::cache_get(&context.engine.pool, &context.tenant, key).await {
            Ok(Some(hit)) => {
                let input_tokens = hit.input_tokens.unwrap_or(0).max(0) as u64;
                let output_tokens = hit.output_tokens.unwrap_or(0).max(0) as u64;
                return Some(CallOutcome::Answer {
                    response: ChatResponse {
                        text: hit.output,
                        input_tokens,
                        output_tokens,
                        usage_estimated: false,
                        latency: Duration::ZERO,
                        finish_reason: None,
                    },
                    attempts: 0,
                    cached: true,
                });
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(error = %error, "response cache lookup failed; calling the model");
            }
        }
    }
    let request = ChatRequest {
        model: model.plan.provider_model.clone(),
        system: (!config.system_prompt.is_empty()).then(|| config.system_prompt.clone()),
        messages: vec![ChatMessage::user(case.spec.input.clone())],
        temperature: Some(config.temperature),
        max_tokens: Some(config.max_tokens),
        timeout: Duration::from_millis(config.limits.call_timeout_ms),
    };
    let call = Call::new(request);
    let result = tokio::select! {
        result = stack::send(stack, call.clone()) => result,
        _ = context.cancel.cancelled() => return None,
    };
    if let Err(ProviderError::NotCalled(reason)) = &result {
        // Refused by the run's own gates (stopping, budget spent): the pair is not run, not failed.
        tracing::debug!(model = %pair.model, case = pair.case_index, %reason, "not called");
        return None;
    }
    let attempts = call.attempts();
    match result {
        Ok(response) => {
            if let Some(key) = &key {
                let cached = CachedResponse {
                    output: response.text.clone(),
                    input_tokens: i32::try_from(response.input_tokens).ok(),
                    output_tokens: i32::try_from(response.output_tokens).ok(),
                };
                if let Err(error) = repo::results::cache_put(
                    &context.engine.pool,
                    &context.tenant,
                    key,
                    &model.plan.provider,
                    &model.plan.provider_model,
                    &cached,
                )
                .await
                {
                    tracing::warn!(error = %error, "could not store the response in the cache");
                }
            }
            Some(CallOutcome::Answer {
                response,
                attempts,
                cached: false,
            })
        }
        Err(error) => {
            tracing::debug!(model = %pair.model, case = pair.case_index, kind = error.kind(), "call failed");
            Some(CallOutcome::Failed {
                error: describe_failure(&error, attempts),
                attempts,
            })
        }
    }
}

fn describe_failure(error: &ProviderError, attempts: u32) -> String {
    if error.is_retryable() && attempts > 1 {
        format!("{error} (after {attempts} attempts)")
    } else {
        error.to_string()
    }
}

async fn grade(context: &RunContext, case: &RunCase, output: &str) -> Grading {
    let config = &context.config;
    let Some(base) = case.spec.grader.as_ref().or(config.grader.as_ref()) else {
        return Grading::default();
    };
    let grader = match base.for_case(
        case.spec.expected_output.as_deref(),
        case.spec.rubric.as_deref(),
        config.judge.as_ref(),
    ) {
        Ok(grader) => grader,
        Err(reason) => {
            return Grading {
                grader: Some(base.kind().as_str().to_owned()),
                error: Some(reason),
                ..Grading::default()
            };
        }
    };
    let kind = grader.kind();
    let request = pb::ScoreRequest {
        input: case.spec.input.clone(),
        output: output.to_owned(),
        grader: Some(grader.with_candidate_models(&context.model_names).to_pb()),
    };
    match context
        .engine
        .judge
        .score(
            request,
            config.request_id.as_deref(),
            context.forwarded.as_ref(),
        )
        .await
    {
        Ok(result) => Grading {
            quality: result.score.map(|score| score.clamp(0.0, 100.0)),
            passed: result.passed,
            grader: Some(
                GraderKind::from_pb(result.grader)
                    .unwrap_or(kind)
                    .as_str()
                    .to_owned(),
            ),
            notes: (!result.notes.is_empty()).then_some(result.notes),
            error: (!result.error.is_empty()).then_some(result.error),
            self_judged: result.self_judged,
            judge_model: result.judge_model,
            judge_input_tokens: u64::try_from(result.judge_input_tokens).unwrap_or(0),
            judge_output_tokens: u64::try_from(result.judge_output_tokens).unwrap_or(0),
        },
        Err(error) => Grading {
            grader: Some(kind.as_str().to_owned()),
            error: Some(error.to_string()),
            ..Grading::default()
        },
    }
}

fn to_i32(value: u64) -> Option<i32> {
    Some(i32::try_from(value).unwrap_or(i32::MAX))
}

pub(super) async fn run_pair(
    context: Arc<RunContext>,
    pair: PairKey,
    permit: OwnedSemaphorePermit,
) {
    let Some(model) = context.models.get(&pair.model) else {
        return;
    };
    let case = context.cases.get(pair.case_index).cloned().flatten();
    let (case_id, suite_case_id, input, expected) = match &case {
        Some(case) => (
            case.id,
            case.from_suite.then_some(case.id),
            case.spec.input.clone(),
            case.spec.expected_output.clone(),
        ),
        None => (Uuid::nil(), None, String::new(), None),
    };
    let plan = &model.plan;
    let mut result = NewResult {
        record: ResultRecord {
            id: Uuid::nil(),
            run_id: context.run_id,
            case_id: Some(case_id),
            case_index: i32::try_from(pair.case_index).unwrap_or(i32::MAX),
            model: plan.name.clone(),
            provider: plan.provider.clone(),
            canonical_model_id: plan.canonical_id.clone(),
            repetition: i32::try_from(pair.repetition).unwrap_or(i32::MAX),
            output: None,
            input_tokens: None,
            output_tokens: None,
            total_tokens: None,
            latency_ms: None,
            cost_micro_usd: plan.price.as_ref().map(|_| 0),
            price_known: plan.price.is_some(),
            quality: None,
            passed: None,
            grader: None,
            notes: None,
            matches_expected: None,
            error: None,
            grading_error: None,
            self_judged: false,
            cached: false,
            attempts: 0,
            created_at: chrono::Utc::now(),
            judge_input_tokens: None,
            judge_output_tokens: None,
            judge_cost_micro_usd: None,
        },
        suite_case_id,
        input,
        expected_output: expected.clone(),
    };
    match &case {
        None => {
            drop(permit);
            result.record.error = Some("the test case no longer exists in the suite".to_owned());
            result.suite_case_id = None;
        }
        Some(case) => {
            let Some(outcome) = call_model(&context, case, model, &pair).await else {
                return;
            };
            let call_cost = match &outcome {
                CallOutcome::Answer { response, .. } => plan.price.as_ref().map(|price| {
                    price.cost_micro_usd(response.input_tokens, response.output_tokens)
                }),
                CallOutcome::Failed { .. } => None,
            };
            // A call is paid the moment it answers (a cached answer is not): charge the budget
            // before the next pair may start, not once this one is graded and stored.
            if let CallOutcome::Answer { cached: false, .. } = &outcome {
                context.budget.add(call_cost.unwrap_or(0));
            }
            let grading_permit = Arc::clone(&context.grading).acquire_owned().await;
            drop(permit);
            match outcome {
                CallOutcome::Failed { error, attempts } => {
                    result.record.error = Some(error);
                    result.record.attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
                }
                CallOutcome::Answer {
                    response,
                    attempts,
                    cached,
                } => {
                    result.record.attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
                    result.record.cached = cached;
                    result.record.input_tokens = to_i32(response.input_tokens);
                    result.record.output_tokens = to_i32(response.output_tokens);
                    result.record.total_tokens =
                        to_i32(response.input_tokens + response.output_tokens);
                    result.record.latency_ms = to_i32(response.latency.as_millis() as u64);
                    result.record.cost_micro_usd = call_cost;
                    result.record.matches_expected = expected
                        .as_deref()
                        .map(|expected| matches_expected(&response.text, expected));
                    let grading = tokio::select! {
                        grading = grade(&context, case, &response.text) => grading,
                        _ = context.cancel.cancelled() => return,
                    };
                    result.record.output = Some(response.text);
                    result.record.quality = grading.quality;
                    result.record.passed = grading.passed;
                    result.record.grader = grading.grader;
                    result.record.notes = grading.notes;
                    result.record.grading_error = grading.error;
                    result.record.self_judged = grading.self_judged;
                    if grading.judge_input_tokens + grading.judge_output_tokens > 0 {
                        result.record.judge_input_tokens = to_i32(grading.judge_input_tokens);
                        result.record.judge_output_tokens = to_i32(grading.judge_output_tokens);
                        result.record.judge_cost_micro_usd = context
                            .judge_cost(
                                &grading.judge_model,
                                grading.judge_input_tokens,
                                grading.judge_output_tokens,
                            )
                            .await;
                    }
                }
            }
            drop(grading_permit);
        }
    }
    record(&context, &pair, result).await;
}

/// How long a finished pair keeps trying to record its result while the database is unavailable
/// (Postgres restarting, a failover) before the result is given up: the call is paid for, so an outage
/// shorter than this loses nothing. Past it the run ends FAILED and RetryRun resumes it.
const RECORD_RETRY_WINDOW: Duration = Duration::from_secs(300);

/// First and longest wait between two attempts to record a result.
const RECORD_RETRY_DELAYS: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_secs(5));

/// Runs `attempt` until it succeeds or fails with anything but [`Error::Unavailable`], waiting with
/// exponential backoff (`delays`: first, longest) in between; stops early when `give_up` fires or the
/// waits add up to `window`. Returns the last outcome and the attempts made.
async fn retry_while_unavailable<T, F, Fut>(
    mut attempt: F,
    give_up: impl Future<Output = ()>,
    window: Duration,
    delays: (Duration, Duration),
) -> (Result<T, Error>, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    use backon::{ExponentialBuilder, Retryable};

    let attempts = AtomicU32::new(0);
    let backoff = ExponentialBuilder::default()
        .with_min_delay(delays.0)
        .with_max_delay(delays.1)
        .with_total_delay(Some(window))
        .without_max_times();
    let retried = (|| {
        attempts.fetch_add(1, Ordering::Relaxed);
        attempt()
    })
    .retry(backoff)
    .sleep(tokio::time::sleep)
    .when(|error| matches!(error, Error::Unavailable(_)));
    let outcome = tokio::select! {
        biased;
        outcome = retried => outcome,
        () = give_up => Err(Error::Unavailable(
            "the database is unavailable and the run was stopped".to_owned(),
        )),
    };
    (outcome, attempts.load(Ordering::Relaxed))
}

/// Counts a result this replica stored: a new pair is done, a retried pair that now succeeded is no
/// longer failed.
fn count_recorded(context: &RunContext, pair: &PairKey, failed: bool) {
    if context.retrying.contains(pair) {
        if !failed {
            context.failed.fetch_sub(1, Ordering::Relaxed);
        }
    } else {
        context.done.fetch_add(1, Ordering::Relaxed);
        if failed {
            context.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn record(context: &RunContext, pair: &PairKey, result: NewResult) {
    let failed = result.record.error.is_some();
    // The judge's cost counts like the model's, against the budget too (a cached answer is still
    // graded, so its judge call is paid); the model's was charged when its call answered (see
    // `run_pair`).
    let judge_cost = result.record.judge_cost_micro_usd.unwrap_or(0);
    let cost = result.record.cost_micro_usd.unwrap_or(0) + judge_cost;
    let cached = result.record.cached;
    // Cancelling the run ends the retries, and so does a hard stop (the drain grace ran out; the
    // run's token is its child); a graceful shutdown does not, so a result ready when it began is
    // still recorded.
    let (outcome, attempts) = retry_while_unavailable(
        || repo::results::insert_result(&context.engine.pool, &context.tenant, &result),
        context.cancel.cancelled(),
        RECORD_RETRY_WINDOW,
        RECORD_RETRY_DELAYS,
    )
    .await;
    if attempts > 1 && outcome.is_ok() {
        tracing::info!(case = pair.case_index, model = %pair.model, attempts, "recorded a result once the database was back");
    }
    match outcome {
        Ok(Some(record)) => {
            count_recorded(context, pair, failed);
            if cached {
                context.cached.fetch_add(1, Ordering::Relaxed);
            }
            context.budget.add(judge_cost);
            context.cost.fetch_add(cost, Ordering::Relaxed);
            context.completed_here.fetch_add(1, Ordering::Relaxed);
            let _ = context.events.send(RunEvent::Result(Box::new(record)));
            context.maybe_send_progress(false);
        }
        // An earlier attempt committed but its answer was lost with the connection: the row is ours.
        Ok(None) if attempts > 1 => {
            count_recorded(context, pair, failed);
            context.completed_here.fetch_add(1, Ordering::Relaxed);
            context.maybe_send_progress(false);
        }
        Ok(None) => {
            tracing::debug!(case = pair.case_index, model = %pair.model, "pair already had a result");
        }
        Err(error) => {
            context.write_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(case = pair.case_index, model = %pair.model, error = %error, "could not record a result");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::estimate::CostEstimate;
    use crate::domain::run::Limits;

    const QUICK: (Duration, Duration) = (Duration::from_millis(1), Duration::from_millis(2));

    fn unavailable() -> Error {
        Error::Unavailable("the database is unavailable; retry later".to_owned())
    }

    #[tokio::test]
    async fn recording_waits_out_an_unavailable_database() {
        let mut calls = 0;
        let (outcome, attempts) = retry_while_unavailable(
            || {
                calls += 1;
                let answer = if calls < 4 {
                    Err(unavailable())
                } else {
                    Ok(calls)
                };
                async move { answer }
            },
            std::future::pending(),
            Duration::from_secs(60),
            QUICK,
        )
        .await;
        assert_eq!((outcome.ok(), attempts), (Some(4), 4));
    }

    #[tokio::test]
    async fn recording_does_not_retry_other_errors() {
        let (outcome, attempts) = retry_while_unavailable(
            || async { Err::<(), _>(Error::Internal(anyhow::anyhow!("bug"))) },
            std::future::pending(),
            Duration::from_secs(60),
            QUICK,
        )
        .await;
        assert!(matches!(outcome, Err(Error::Internal(_))));
        assert_eq!(attempts, 1);
    }

    #[tokio::test]
    async fn recording_stops_retrying_on_give_up_or_after_the_window() {
        let (outcome, attempts) = retry_while_unavailable(
            || async { Err::<(), _>(unavailable()) },
            std::future::ready(()),
            Duration::from_secs(60),
            QUICK,
        )
        .await;
        assert!(matches!(outcome, Err(Error::Unavailable(_))));
        assert_eq!(attempts, 1);

        let (outcome, attempts) = retry_while_unavailable(
            || async { Err::<(), _>(unavailable()) },
            std::future::pending(),
            Duration::from_millis(30),
            QUICK,
        )
        .await;
        assert!(matches!(outcome, Err(Error::Unavailable(_))));
        assert!(attempts > 1, "{attempts}");
    }

    fn config() -> RunConfig {
        RunConfig {
            models: Vec::new(),
            repetitions: 1,
            temperature: 0.0,
            max_tokens: 64,
            system_prompt: String::new(),
            use_cache: true,
            pairwise: false,
            grader: None,
            judge: None,
            limits: Limits::default(),
            case_tags: Vec::new(),
            estimate: CostEstimate::default(),
            request_id: None,
        }
    }

    fn plan(model: &str) -> ModelPlan {
        ModelPlan {
            name: format!("fake/{model}"),
            provider: "fake".to_owned(),
            provider_model: model.to_owned(),
            canonical_id: None,
            price: None,
        }
    }

    #[test]
    fn cache_keys_depend_on_every_request_parameter() {
        let base = cache_key(&config(), &plan("a"), "hello");
        assert_eq!(base.len(), 64);
        assert_eq!(base, cache_key(&config(), &plan("a"), "hello"));
        assert_ne!(base, cache_key(&config(), &plan("b"), "hello"));
        assert_ne!(base, cache_key(&config(), &plan("a"), "hello!"));
        let mut longer = config();
        longer.max_tokens = 65;
        assert_ne!(base, cache_key(&longer, &plan("a"), "hello"));
        let mut system = config();
        system.system_prompt = "be brief".to_owned();
        assert_ne!(base, cache_key(&system, &plan("a"), "hello"));
    }

    #[test]
    fn failures_mention_attempts_only_after_retries() {
        let error = ProviderError::Server { status: 503 };
        assert_eq!(
            describe_failure(&error, 4),
            "provider server error (http 503) (after 4 attempts)"
        );
        assert_eq!(
            describe_failure(&ProviderError::Auth { status: 401 }, 1),
            "the provider rejected the credentials (http 401)"
        );
    }
}
