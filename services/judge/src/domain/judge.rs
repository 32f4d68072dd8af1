//! The LLM judge: resolves the judge model, asks it through the one provider call policy (bounded
//! concurrency, timeout, retries of transient provider failures), parses its JSON answer and repairs a
//! malformed one once.

use std::sync::Arc;
use std::time::Duration;

use benchhub_common::calls::{self, Call, CallMetrics, Gate, RetryPolicy};
use benchhub_providers::{
    ChatMessage, ChatRequest, ProviderError, ProviderRegistry, ResolveError, ResolvedModel,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::prompt::{self, AnswerFormat};
use crate::domain::spec::{JudgeSpec, MAX_RUBRIC_BYTES, MAX_TEXT_BYTES, RubricSpec, check_text};
use crate::domain::text;
use crate::error::Error;

/// Default answer-length limit of the judge.
pub const DEFAULT_MAX_TOKENS: u32 = 1_024;
/// Largest answer-length limit a request may ask for.
pub const MAX_JUDGE_TOKENS: i32 = 8_192;
/// Most candidate models a request may name.
pub const MAX_CANDIDATES: usize = 100;
/// Longest wait honoured from a provider's `Retry-After`.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// Longest malformed answer echoed back in the repair turn, in characters.
const MAX_ECHOED_ANSWER_CHARS: usize = 4_000;

/// How the judge calls its models.
#[derive(Debug, Clone)]
pub struct JudgeSettings {
    /// Judge model used when a request names none (`provider/model`).
    pub default_model: Option<String>,
    /// Deadline of one judge call.
    pub call_timeout: Duration,
    /// Most judge calls in flight in this process.
    pub max_concurrency: usize,
    /// Retries of a call that failed with a transient provider error (429, 5xx, timeout, transport).
    pub retries: u32,
    /// First backoff between retries (doubled each time, with jitter, up to 30 s) when the provider
    /// sends no `Retry-After`.
    pub retry_backoff: Duration,
}

impl Default for JudgeSettings {
    fn default() -> Self {
        Self {
            default_model: None,
            call_timeout: Duration::from_secs(60),
            max_concurrency: 64,
            retries: 2,
            retry_backoff: Duration::from_millis(500),
        }
    }
}

/// A judge model ready to call.
#[derive(Clone, Debug)]
pub struct PreparedJudge {
    /// The resolved model.
    pub model: ResolvedModel,
    /// Sampling temperature.
    pub temperature: f64,
    /// Answer-length limit.
    pub max_tokens: u32,
    /// Whether the judge model is one of the candidates.
    pub self_judged: bool,
}

/// A validated LLM rubric grader.
#[derive(Clone, Debug)]
pub struct PreparedRubric {
    /// Reference answer (may be empty).
    pub expected: String,
    /// Grading instructions (may be empty).
    pub rubric: String,
    /// The judge.
    pub judge: PreparedJudge,
    /// Pass threshold, if any.
    pub pass_threshold: Option<f64>,
}

/// Tokens and calls a judging spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JudgeUsage {
    /// Judge prompts sent (1, or 2 after a repair), not counting transport retries.
    pub attempts: u32,
    /// Input tokens across attempts.
    pub input_tokens: u64,
    /// Output tokens across attempts.
    pub output_tokens: u64,
}

/// Why a judging produced no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JudgeFailure {
    /// The judge answered malformed JSON twice (first answer, then after the repair instruction).
    Malformed(String),
    /// The provider failed (after retries for transient failures).
    Provider(ProviderError),
}

impl JudgeFailure {
    /// Describes the failure for a result's `error` field (never contains secrets).
    pub fn describe(&self, judge_model: &str) -> String {
        match self {
            JudgeFailure::Malformed(problem) => format!(
                "the judge ({judge_model}) answered malformed JSON twice, the second time after a repair instruction: {problem}"
            ),
            JudgeFailure::Provider(error) => format!("judge call to {judge_model} failed: {error}"),
        }
    }

    /// Maps a provider failure to an RPC-level error (malformed answers are not RPC errors).
    pub fn to_error(&self, judge_model: &str) -> Option<Error> {
        match self {
            JudgeFailure::Malformed(_) => None,
            JudgeFailure::Provider(error @ ProviderError::Auth { .. }) => {
                Some(Error::FailedPrecondition(format!(
                    "the provider of judge model {judge_model} rejected the judge service's credentials: {error}"
                )))
            }
            JudgeFailure::Provider(error @ ProviderError::BadRequest { .. }) => {
                Some(Error::FailedPrecondition(format!(
                    "the provider of judge model {judge_model} rejected the request: {error}"
                )))
            }
            JudgeFailure::Provider(error) => Some(Error::Unavailable(format!(
                "judge model {judge_model} is unavailable: {error}"
            ))),
        }
    }
}

struct Inner {
    registry: ProviderRegistry,
    settings: JudgeSettings,
    permits: Arc<Semaphore>,
}

/// The LLM judge, shared by every request of the process.
#[derive(Clone)]
pub struct Judge {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Judge").finish_non_exhaustive()
    }
}

impl Judge {
    /// Creates the judge over the configured providers.
    pub fn new(registry: ProviderRegistry, settings: JudgeSettings) -> Self {
        let permits = Arc::new(Semaphore::new(settings.max_concurrency.max(1)));
        Self {
            inner: Arc::new(Inner {
                registry,
                settings,
                permits,
            }),
        }
    }

    /// A judge with no providers, for graders that never call one.
    pub fn without_providers() -> Self {
        Self::new(ProviderRegistry::empty(), JudgeSettings::default())
    }

    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        Self::without_providers()
    }

    /// Validates the judge model and its parameters (`field` is the grader's path) and resolves the
    /// model: an unknown provider or bad name is INVALID_ARGUMENT, a provider without its key on this
    /// service is FAILED_PRECONDITION — both before any call.
    pub fn prepare_judge(
        &self,
        spec: &JudgeSpec,
        candidate_models: &[String],
        field: &str,
    ) -> Result<PreparedJudge, Error> {
        let model_field = join(field, "judge.model");
        let name = if spec.model.trim().is_empty() {
            self.inner.settings.default_model.clone().ok_or_else(|| {
                Error::invalid(
                    &model_field,
                    "is required: this judge service has no default judge model (BENCHHUB_JUDGE_DEFAULT_MODEL); name one as provider/model, e.g. openai/gpt-4o-mini",
                )
            })?
        } else {
            spec.model.trim().to_owned()
        };
        let model = self
            .inner
            .registry
            .resolve(&name)
            .map_err(|error| match error {
                ResolveError::InvalidName { .. } | ResolveError::UnknownProvider { .. } => {
                    Error::invalid(&model_field, error.to_string())
                }
                ResolveError::MissingKey { .. } | ResolveError::NotConfigured { .. } => {
                    Error::FailedPrecondition(format!(
                        "judge model {name}: {error} on the judge service"
                    ))
                }
            })?;
        let temperature = spec.temperature.unwrap_or(0.0);
        if !(0.0..=2.0).contains(&temperature) {
            return Err(Error::invalid(
                join(field, "judge.temperature"),
                format!("must be between 0 and 2, got {temperature}"),
            ));
        }
        let max_tokens = match spec.max_tokens {
            None => DEFAULT_MAX_TOKENS,
            Some(value) if (1..=MAX_JUDGE_TOKENS).contains(&value) => value as u32,
            Some(value) => {
                return Err(Error::invalid(
                    join(field, "judge.max_tokens"),
                    format!("must be between 1 and {MAX_JUDGE_TOKENS}, got {value}"),
                ));
            }
        };
        if candidate_models.len() > MAX_CANDIDATES {
            return Err(Error::invalid(
                join(field, "candidate_models"),
                format!(
                    "must name at most {MAX_CANDIDATES} models, got {}",
                    candidate_models.len()
                ),
            ));
        }
        Ok(PreparedJudge {
            self_judged: is_self_judged(&model.name, candidate_models),
            model,
            temperature,
            max_tokens,
        })
    }

    /// Validates an LLM rubric grader (`field` is its path, e.g. `grader.llm_rubric`).
    pub fn prepare_rubric(&self, spec: RubricSpec, field: &str) -> Result<PreparedRubric, Error> {
        check_text(&format!("{field}.expected"), &spec.expected, MAX_TEXT_BYTES)?;
        check_text(&format!("{field}.rubric"), &spec.rubric, MAX_RUBRIC_BYTES)?;
        if spec.expected.trim().is_empty() && spec.rubric.trim().is_empty() {
            return Err(Error::invalid(
                format!("{field}.expected"),
                "expected or rubric (or both) must be set so the judge has something to grade against",
            ));
        }
        if let Some(threshold) = spec.pass_threshold
            && !(0.0..=100.0).contains(&threshold)
        {
            return Err(Error::invalid(
                format!("{field}.pass_threshold"),
                format!("must be between 0 and 100, got {threshold}"),
            ));
        }
        let default_judge = JudgeSpec::default();
        let judge_spec = spec.judge.as_ref().unwrap_or(&default_judge);
        let judge = self.prepare_judge(judge_spec, &spec.candidate_models, field)?;
        Ok(PreparedRubric {
            expected: spec.expected,
            rubric: spec.rubric,
            judge,
            pass_threshold: spec.pass_threshold,
        })
    }

    /// Asks the judge to grade `output` against the rubric.
    pub async fn grade_rubric(
        &self,
        rubric: &PreparedRubric,
        input: &str,
        output: &str,
    ) -> (Result<prompt::RubricVerdict, JudgeFailure>, JudgeUsage) {
        let user = prompt::rubric_prompt(input, &rubric.expected, &rubric.rubric, output);
        let threshold = rubric.pass_threshold;
        self.ask(
            &rubric.judge,
            prompt::RUBRIC_SYSTEM,
            user,
            AnswerFormat::Rubric,
            move |text| prompt::parse_rubric_answer(text, threshold),
        )
        .await
    }

    /// Asks the judge which of two outputs is better, `first` shown as A.
    pub async fn prefer(
        &self,
        judge: &PreparedJudge,
        input: &str,
        expected: &str,
        rubric: &str,
        first: &str,
        second: &str,
    ) -> (Result<prompt::PairwiseVerdict, JudgeFailure>, JudgeUsage) {
        let user = prompt::pairwise_prompt(input, expected, rubric, first, second);
        self.ask(
            judge,
            prompt::PAIRWISE_SYSTEM,
            user,
            AnswerFormat::Pairwise,
            prompt::parse_pairwise_answer,
        )
        .await
    }

    /// Sends the prompt, parses the answer, and on a malformed answer sends one repair turn.
    async fn ask<T>(
        &self,
        judge: &PreparedJudge,
        system: &str,
        user: String,
        format: AnswerFormat,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> (Result<T, JudgeFailure>, JudgeUsage) {
        let mut usage = JudgeUsage::default();
        let mut messages = vec![ChatMessage::user(user)];
        let mut problem = String::new();
        for attempt in 0..2 {
            if attempt == 1 {
                messages.push(ChatMessage::user(prompt::repair_instruction(
                    format, &problem,
                )));
            }
            usage.attempts += 1;
            let request = ChatRequest {
                model: judge.model.model.clone(),
                system: Some(system.to_owned()),
                messages: messages.clone(),
                temperature: Some(judge.temperature),
                max_tokens: Some(judge.max_tokens),
                timeout: self.inner.settings.call_timeout,
            };
            let response = match self.call(judge, request).await {
                Ok(response) => response,
                Err(error) => return (Err(JudgeFailure::Provider(error)), usage),
            };
            usage.input_tokens += response.input_tokens;
            usage.output_tokens += response.output_tokens;
            match parse(&response.text) {
                Ok(verdict) => return (Ok(verdict), usage),
                Err(reason) => {
                    tracing::debug!(judge = %judge.model.name, attempt, %reason, "malformed judge answer");
                    problem = reason;
                    messages.push(ChatMessage::assistant(text::excerpt(
                        &response.text,
                        MAX_ECHOED_ANSWER_CHARS,
                    )));
                }
            }
        }
        (Err(JudgeFailure::Malformed(problem)), usage)
    }

    /// One judge call through the one provider call policy (`benchhub_common::calls`): under the
    /// process-wide limit, bounded by the call timeout, retrying transient failures (Retry-After,
    /// else backoff with jitter).
    async fn call(
        &self,
        judge: &PreparedJudge,
        request: ChatRequest,
    ) -> Result<benchhub_providers::ChatResponse, ProviderError> {
        let settings = &self.inner.settings;
        let policy = RetryPolicy::new(settings.retries, settings.retry_backoff, MAX_RETRY_WAIT)
            .with_max_retry_after(MAX_RETRY_WAIT);
        let stack = calls::build(
            Arc::clone(&judge.model.provider),
            JudgeGate(Arc::clone(&self.inner.permits)),
            policy,
            &METRICS,
        );
        calls::send(&stack, Call::new(request)).await
    }
}

/// The judge's provider-call metrics.
static METRICS: CallMetrics = CallMetrics {
    in_flight: "benchhub_judge_calls_in_flight",
    duration: "benchhub_judge_call_duration_seconds",
    errors: "benchhub_judge_provider_errors_total",
    retries: "benchhub_judge_retries_total",
};

/// The judge's gate: the process-wide limit of judge calls in flight.
#[derive(Debug, Clone)]
struct JudgeGate(Arc<Semaphore>);

impl Gate for JudgeGate {
    type Pass = OwnedSemaphorePermit;

    async fn enter(&self) -> Result<Self::Pass, ProviderError> {
        Arc::clone(&self.0)
            .acquire_owned()
            .await
            .map_err(|_| ProviderError::Transport("the judge is shutting down".to_owned()))
    }
}

/// Returns `field.suffix`, or `suffix` alone at the top level of a request.
fn join(field: &str, suffix: &str) -> String {
    if field.is_empty() {
        suffix.to_owned()
    } else {
        format!("{field}.{suffix}")
    }
}

/// Returns whether the judge model is one of the candidates: the same `provider/model` (ignoring case),
/// or the same final model id (so `openai/gpt-4o` judging `openrouter/openai/gpt-4o` is flagged).
pub fn is_self_judged(judge_model: &str, candidate_models: &[String]) -> bool {
    let judge = judge_model.trim().to_lowercase();
    let judge_id = judge.rsplit('/').next().unwrap_or(&judge).to_owned();
    candidate_models.iter().any(|candidate| {
        let candidate = candidate.trim().to_lowercase();
        let candidate_id = candidate.rsplit('/').next().unwrap_or(&candidate);
        candidate == judge || (!judge_id.is_empty() && candidate_id == judge_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge_with_fake() -> Judge {
        let registry = ProviderRegistry::from_parts(
            |name| (name == "BENCHHUB_FAKE_PROVIDER_URL").then(|| "http://127.0.0.1:9".to_owned()),
            None,
        )
        .expect("valid");
        Judge::new(registry, JudgeSettings::default())
    }

    fn invalid_field(result: Result<PreparedJudge, Error>) -> String {
        match result {
            Err(Error::InvalidArgument { field, .. }) => field,
            Err(other) => panic!("expected InvalidArgument, got {other:?}"),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn self_judging_is_detected_by_name_or_model_id() {
        let candidates = vec![
            "openrouter/openai/gpt-4o".to_owned(),
            "fake/good".to_owned(),
        ];
        assert!(is_self_judged("openai/gpt-4o", &candidates));
        assert!(is_self_judged("FAKE/good", &candidates));
        assert!(!is_self_judged("anthropic/claude-sonnet-4-5", &candidates));
        assert!(!is_self_judged("fake/judge", &[]));
    }

    #[test]
    fn judge_parameters_are_validated_with_field_names() {
        let judge = judge_with_fake();
        let spec = |model: &str, temperature: Option<f64>, max_tokens: Option<i32>| JudgeSpec {
            model: model.to_owned(),
            temperature,
            max_tokens,
        };
        assert_eq!(
            invalid_field(judge.prepare_judge(&spec("", None, None), &[], "grader.llm_rubric")),
            "grader.llm_rubric.judge.model"
        );
        assert_eq!(
            invalid_field(judge.prepare_judge(&spec("mystery/model", None, None), &[], "g")),
            "g.judge.model"
        );
        assert_eq!(
            invalid_field(judge.prepare_judge(&spec("fake/judge", Some(2.5), None), &[], "g")),
            "g.judge.temperature"
        );
        assert_eq!(
            invalid_field(judge.prepare_judge(&spec("fake/judge", None, Some(0)), &[], "g")),
            "g.judge.max_tokens"
        );
        let missing_key = judge.prepare_judge(&spec("openai/gpt-4o-mini", None, None), &[], "g");
        match missing_key {
            Err(Error::FailedPrecondition(message)) => {
                assert!(message.contains("OPENAI_API_KEY"), "{message}");
            }
            other => panic!("expected FailedPrecondition, got {other:?}"),
        }
        let prepared = judge
            .prepare_judge(
                &spec("fake/judge", None, None),
                &["fake/judge".to_owned()],
                "g",
            )
            .expect("valid");
        assert!(prepared.self_judged);
        assert_eq!(prepared.temperature, 0.0);
        assert_eq!(prepared.max_tokens, DEFAULT_MAX_TOKENS);
    }

    #[test]
    fn rubric_needs_something_to_grade_against() {
        let judge = judge_with_fake();
        let spec = RubricSpec {
            judge: Some(JudgeSpec {
                model: "fake/judge".to_owned(),
                ..JudgeSpec::default()
            }),
            ..RubricSpec::default()
        };
        match judge.prepare_rubric(spec.clone(), "grader.llm_rubric") {
            Err(Error::InvalidArgument { field, .. }) => {
                assert_eq!(field, "grader.llm_rubric.expected");
            }
            _ => panic!("expected InvalidArgument"),
        }
        let threshold = RubricSpec {
            rubric: "be right".to_owned(),
            pass_threshold: Some(101.0),
            ..spec
        };
        match judge.prepare_rubric(threshold, "grader.llm_rubric") {
            Err(Error::InvalidArgument { field, .. }) => {
                assert_eq!(field, "grader.llm_rubric.pass_threshold");
            }
            _ => panic!("expected InvalidArgument"),
        }
    }

    #[test]
    fn provider_failures_map_to_rpc_errors() {
        let auth = JudgeFailure::Provider(ProviderError::Auth { status: 401 });
        assert!(matches!(
            auth.to_error("m"),
            Some(Error::FailedPrecondition(_))
        ));
        let down = JudgeFailure::Provider(ProviderError::Server { status: 503 });
        assert!(matches!(down.to_error("m"), Some(Error::Unavailable(_))));
        assert!(
            JudgeFailure::Malformed("x".to_owned())
                .to_error("m")
                .is_none()
        );
        assert!(
            JudgeFailure::Malformed("not json".to_owned())
                .describe("fake/judge")
                .contains("malformed JSON twice")
        );
    }
}
