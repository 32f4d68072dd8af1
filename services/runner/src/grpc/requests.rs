//! Request parsing shared by the handlers: paging, ids, cases and the CreateRun request.

use benchhub_common::paging;
use benchhub_proto::pb;
use secrecy::SecretString;
use tonic::Request;

use crate::convert;
use crate::domain::compare::Outcome;
use crate::domain::run::CaseSpec;
use crate::domain::validate::{self, MAX_AD_HOC_CASES, RequestedLimits};
use crate::error::Error;
use crate::service::RunRequest;
use benchhub_common::grading::JudgeSpec;

pub(super) fn page_size(requested: i32) -> Result<u32, Error> {
    paging::page_size(requested).map_err(|error| Error::invalid(error.field(), error.to_string()))
}

pub(super) fn decode_cursor(token: &str, fingerprint: &str) -> Result<Option<String>, Error> {
    paging::decode_token(token, fingerprint)
        .map_err(|error| Error::invalid(error.field(), error.to_string()))
}

pub(super) fn bad_token() -> Error {
    Error::invalid(
        "page_token",
        "is not valid for this request; start again without a page_token",
    )
}

pub(super) fn case_from_pb(field: &str, case: pb::TestCaseSpec) -> Result<CaseSpec, Error> {
    let grader = case
        .grader
        .as_ref()
        .map(|grader| convert::grader_from_pb(&format!("{field}.grader"), grader))
        .transpose()?;
    validate::case(
        field,
        CaseSpec {
            input: case.input,
            expected_output: Some(case.expected_output),
            rubric: Some(case.rubric),
            grader,
            tags: case.tags,
        },
    )
}

pub(super) fn bearer_token<T>(request: &Request<T>) -> Option<SecretString> {
    let header = request.metadata().get("authorization")?.to_str().ok()?;
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| SecretString::from(token.trim().to_owned()))
}

pub(super) fn outcome_to_pb(outcome: Outcome) -> pb::CaseOutcome {
    match outcome {
        Outcome::Win => pb::CaseOutcome::Win,
        Outcome::Loss => pb::CaseOutcome::Loss,
        Outcome::Tie => pb::CaseOutcome::Tie,
        Outcome::Unpaired => pb::CaseOutcome::Unpaired,
    }
}

/// Converts and validates a CreateRun request; errors name the field.
pub(super) fn run_request(request: pb::CreateRunRequest) -> Result<RunRequest, Error> {
    let suite_id = if request.suite_id.trim().is_empty() {
        None
    } else {
        Some(validate::id("suite_id", &request.suite_id)?)
    };
    if request.ad_hoc_cases.len() > MAX_AD_HOC_CASES {
        return Err(Error::invalid(
            "ad_hoc_cases",
            format!("at most {MAX_AD_HOC_CASES} ad-hoc cases per run"),
        ));
    }
    let ad_hoc_cases = request
        .ad_hoc_cases
        .into_iter()
        .enumerate()
        .map(|(index, case)| case_from_pb(&format!("ad_hoc_cases[{index}]"), case))
        .collect::<Result<Vec<_>, _>>()?;
    let models = validate::models(&request.models)?;
    let grader = request
        .grader
        .as_ref()
        .map(|grader| convert::grader_from_pb("grader", grader))
        .transpose()?;
    if let Some(grader) = &grader {
        validate::grader("grader", grader)?;
    }
    let judge = request.judge.clone().map(JudgeSpec::from_pb);
    if let Some(judge) = &judge {
        validate::judge_spec("judge", judge)?;
    }
    let limits = request.limits.unwrap_or_default();
    let limits = validate::limits(RequestedLimits {
        max_concurrency: limits.max_concurrency,
        per_provider_max_concurrency: limits.per_provider_max_concurrency,
        requests_per_minute: limits.requests_per_minute,
        call_timeout_ms: limits.call_timeout_ms,
        max_retries: limits.max_retries,
        budget_micro_usd: limits.budget_micro_usd,
    })?;
    Ok(RunRequest {
        suite_id,
        ad_hoc_cases,
        case_tags: validate::tags("case_tags", &request.case_tags)?,
        models,
        grader,
        judge,
        pairwise: request.pairwise,
        repetitions: validate::repetitions(request.repetitions)?,
        limits,
        temperature: validate::temperature(request.temperature)?,
        max_tokens: validate::max_tokens(request.max_tokens)?,
        system_prompt: validate::system_prompt(&request.system_prompt)?,
        dry_run: request.dry_run,
        use_cache: request.use_cache,
        label: validate::label(&request.label)?,
        allow_over_budget: request.allow_over_budget,
    })
}
