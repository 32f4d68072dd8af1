//! Input bounds and validation. Every error names the request field at fault and what is allowed.

use std::collections::HashSet;

use benchhub_common::grading;

use crate::domain::run::{CaseSpec, Limits};
use crate::error::Error;
use benchhub_common::grading::{GraderSpec, JudgeSpec, RubricSpec};

/// Longest suite name, in characters.
pub const MAX_SUITE_NAME_CHARS: usize = 128;
/// Longest suite description, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 4 * 1024;
/// Longest case input or expected output, in bytes.
pub const MAX_CASE_TEXT_BYTES: usize = 64 * 1024;
/// Longest rubric, in bytes.
pub const MAX_RUBRIC_BYTES: usize = 8 * 1024;
/// Most tags per case.
pub const MAX_TAGS: usize = 16;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Most cases per AddTestCases request.
pub const MAX_CASES_PER_REQUEST: usize = 1_000;
/// Most cases in a suite.
pub const MAX_CASES_PER_SUITE: i64 = 10_000;
/// Most ad-hoc cases per run.
pub const MAX_AD_HOC_CASES: usize = 1_000;
/// Most models per run.
pub const MAX_MODELS: usize = 16;
/// Longest model name, in characters.
pub const MAX_MODEL_NAME_CHARS: usize = 200;
/// Most repetitions per (case, model).
pub const MAX_REPETITIONS: u32 = 10;
/// Most calls per run.
pub const MAX_TOTAL_CALLS: u64 = 100_000;
/// Largest max_tokens.
pub const MAX_OUTPUT_TOKENS: i32 = 32_768;
/// Longest system prompt, in bytes.
pub const MAX_SYSTEM_PROMPT_BYTES: usize = 16 * 1024;
/// Longest run label, in characters.
pub const MAX_LABEL_CHARS: usize = 256;
/// Largest run-level concurrency.
pub const MAX_CONCURRENCY: i32 = 256;
/// Largest call timeout.
pub const MAX_CALL_TIMEOUT_MS: i64 = 600_000;
/// Most retries.
pub const MAX_RETRIES: i32 = 10;
/// Largest requests-per-minute limit.
pub const MAX_REQUESTS_PER_MINUTE: i32 = 1_000_000;

/// Validates a suite name and returns it trimmed.
pub fn suite_name(name: &str) -> Result<String, Error> {
    let trimmed = name.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_SUITE_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            format!("must be 1–{MAX_SUITE_NAME_CHARS} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Validates a suite description.
pub fn description(text: &str) -> Result<String, Error> {
    if text.len() > MAX_DESCRIPTION_BYTES {
        return Err(Error::invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION_BYTES} bytes"),
        ));
    }
    Ok(text.to_owned())
}

/// Validates a suite search: a name substring, at most as long as a suite name.
pub fn suite_search(text: &str) -> Result<String, Error> {
    let trimmed = text.trim();
    if trimmed.chars().count() > MAX_SUITE_NAME_CHARS {
        return Err(Error::invalid(
            "search",
            format!(
                "'{}…' is longer than {MAX_SUITE_NAME_CHARS} characters, the longest suite name",
                trimmed.chars().take(20).collect::<String>()
            ),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Validates a uuid-valued field.
pub fn id(field: &str, text: &str) -> Result<uuid::Uuid, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    uuid::Uuid::parse_str(text).map_err(|_| Error::invalid(field, "must be a uuid"))
}

/// Validates tags (used both on cases and as filters).
pub fn tags(field: &str, tags: &[String]) -> Result<Vec<String>, Error> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_TAGS} tags are allowed"),
        ));
    }
    let mut out = Vec::with_capacity(tags.len());
    for (index, tag) in tags.iter().enumerate() {
        let trimmed = tag.trim();
        let length = trimmed.chars().count();
        if length == 0 || length > MAX_TAG_CHARS || trimmed.chars().any(char::is_control) {
            return Err(Error::invalid(
                format!("{field}[{index}]"),
                format!("must be 1–{MAX_TAG_CHARS} printable characters"),
            ));
        }
        if !out.iter().any(|existing: &String| existing == trimmed) {
            out.push(trimmed.to_owned());
        }
    }
    Ok(out)
}

/// Validates a test case; `field` is its position, e.g. `cases[2]`.
pub fn case(field: &str, spec: CaseSpec) -> Result<CaseSpec, Error> {
    if spec.input.trim().is_empty() {
        return Err(Error::invalid(
            format!("{field}.input"),
            "must not be empty",
        ));
    }
    if spec.input.len() > MAX_CASE_TEXT_BYTES {
        return Err(Error::invalid(
            format!("{field}.input"),
            format!("must be at most {MAX_CASE_TEXT_BYTES} bytes"),
        ));
    }
    let expected_output = spec.expected_output.filter(|text| !text.is_empty());
    if expected_output
        .as_ref()
        .is_some_and(|text| text.len() > MAX_CASE_TEXT_BYTES)
    {
        return Err(Error::invalid(
            format!("{field}.expected_output"),
            format!("must be at most {MAX_CASE_TEXT_BYTES} bytes"),
        ));
    }
    let rubric = spec.rubric.filter(|text| !text.is_empty());
    if rubric
        .as_ref()
        .is_some_and(|text| text.len() > MAX_RUBRIC_BYTES)
    {
        return Err(Error::invalid(
            format!("{field}.rubric"),
            format!("must be at most {MAX_RUBRIC_BYTES} bytes"),
        ));
    }
    if let Some(grader) = &spec.grader {
        self::grader(&format!("{field}.grader"), grader)?;
        grader
            .for_case(expected_output.as_deref(), rubric.as_deref(), None)
            .map_err(|reason| Error::invalid(format!("{field}.grader"), reason))?;
    }
    Ok(CaseSpec {
        input: spec.input,
        expected_output,
        rubric,
        grader: spec.grader,
        tags: tags(&format!("{field}.tags"), &spec.tags)?,
    })
}

/// Validates a grader's own parameters; regexes and schemas are compiled as the judge compiles them,
/// so a case is rejected when it is added, not when it is graded.
pub fn grader(field: &str, grader: &GraderSpec) -> Result<(), Error> {
    grader
        .check_bounds()
        .map_err(|(sub_field, reason)| Error::invalid(format!("{field}.{sub_field}"), reason))?;
    match grader {
        GraderSpec::Regex { pattern } => {
            grading::compile_pattern(pattern)
                .map_err(|reason| Error::invalid(format!("{field}.regex.pattern"), reason))?;
        }
        GraderSpec::JsonSchema { schema_json } => {
            grading::compile_schema(schema_json).map_err(|reason| {
                Error::invalid(format!("{field}.json_schema.schema_json"), reason)
            })?;
        }
        GraderSpec::LlmRubric(RubricSpec { rubric, judge, .. }) => {
            if rubric.len() > MAX_RUBRIC_BYTES {
                return Err(Error::invalid(
                    format!("{field}.llm_rubric.rubric"),
                    format!("must be at most {MAX_RUBRIC_BYTES} bytes"),
                ));
            }
            if let Some(judge) = judge {
                judge_spec(&format!("{field}.llm_rubric.judge"), judge)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Validates a judge selection.
pub fn judge_spec(field: &str, judge: &JudgeSpec) -> Result<(), Error> {
    if !judge.model.is_empty() && benchhub_providers::split_model_name(&judge.model).is_none() {
        return Err(Error::invalid(
            format!("{field}.model"),
            "must be provider/model, e.g. openai/gpt-4o-mini, or empty for the judge's default",
        ));
    }
    if judge
        .temperature
        .is_some_and(|value| !(0.0..=2.0).contains(&value))
    {
        return Err(Error::invalid(
            format!("{field}.temperature"),
            "must be between 0 and 2",
        ));
    }
    if judge
        .max_tokens
        .is_some_and(|value| !(1..=8_192).contains(&value))
    {
        return Err(Error::invalid(
            format!("{field}.max_tokens"),
            "must be between 1 and 8192",
        ));
    }
    Ok(())
}

/// Validates the models of a run: 1–16 distinct `provider/model` names. Returns them trimmed.
pub fn models(models: &[String]) -> Result<Vec<String>, Error> {
    if models.is_empty() || models.len() > MAX_MODELS {
        return Err(Error::invalid(
            "models",
            format!("must list 1–{MAX_MODELS} models as provider/model, e.g. openai/gpt-4o-mini"),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(models.len());
    for (index, model) in models.iter().enumerate() {
        let name = model.trim();
        if name.chars().count() > MAX_MODEL_NAME_CHARS
            || benchhub_providers::split_model_name(name).is_none()
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid(
                format!("models[{index}]"),
                format!(
                    "'{}' must be provider/model without spaces, e.g. openai/gpt-4o-mini",
                    name.chars().take(MAX_MODEL_NAME_CHARS).collect::<String>()
                ),
            ));
        }
        if !seen.insert(name.to_owned()) {
            return Err(Error::invalid(
                format!("models[{index}]"),
                format!("'{name}' is listed more than once"),
            ));
        }
        out.push(name.to_owned());
    }
    Ok(out)
}

/// Raw limits as requested (0 and `None` mean defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RequestedLimits {
    /// `limits.max_concurrency`.
    pub max_concurrency: i32,
    /// `limits.per_provider_max_concurrency`.
    pub per_provider_max_concurrency: i32,
    /// `limits.requests_per_minute`.
    pub requests_per_minute: i32,
    /// `limits.call_timeout_ms`.
    pub call_timeout_ms: i64,
    /// `limits.max_retries`.
    pub max_retries: Option<i32>,
    /// `limits.budget_micro_usd`.
    pub budget_micro_usd: Option<i64>,
}

/// Validates limits and fills in defaults.
pub fn limits(requested: RequestedLimits) -> Result<Limits, Error> {
    let defaults = Limits::default();
    let bounded = |field: &str, value: i64, max: i64| -> Result<u64, Error> {
        if value < 0 || value > max {
            return Err(Error::invalid(
                format!("limits.{field}"),
                format!("must be between 0 and {max} (0 means the default)"),
            ));
        }
        Ok(value as u64)
    };
    let max_concurrency = bounded(
        "max_concurrency",
        i64::from(requested.max_concurrency),
        i64::from(MAX_CONCURRENCY),
    )? as u32;
    let per_provider = bounded(
        "per_provider_max_concurrency",
        i64::from(requested.per_provider_max_concurrency),
        i64::from(MAX_CONCURRENCY),
    )? as u32;
    let requests_per_minute = bounded(
        "requests_per_minute",
        i64::from(requested.requests_per_minute),
        i64::from(MAX_REQUESTS_PER_MINUTE),
    )? as u32;
    let call_timeout_ms = bounded(
        "call_timeout_ms",
        requested.call_timeout_ms,
        MAX_CALL_TIMEOUT_MS,
    )?;
    let max_retries = match requested.max_retries {
        None => defaults.max_retries,
        Some(value) if (0..=MAX_RETRIES).contains(&value) => value as u32,
        Some(_) => {
            return Err(Error::invalid(
                "limits.max_retries",
                format!("must be between 0 and {MAX_RETRIES}"),
            ));
        }
    };
    if requested.budget_micro_usd.is_some_and(|value| value < 0) {
        return Err(Error::invalid(
            "limits.budget_micro_usd",
            "must not be negative",
        ));
    }
    Ok(Limits {
        max_concurrency: if max_concurrency == 0 {
            defaults.max_concurrency
        } else {
            max_concurrency
        },
        per_provider_max_concurrency: per_provider,
        requests_per_minute,
        call_timeout_ms: if call_timeout_ms == 0 {
            defaults.call_timeout_ms
        } else {
            call_timeout_ms
        },
        max_retries,
        budget_micro_usd: requested.budget_micro_usd,
    })
}

/// Validates the repetitions (0 means 1).
pub fn repetitions(value: i32) -> Result<u32, Error> {
    match value {
        0 => Ok(1),
        1..=10 => Ok(value as u32),
        _ => Err(Error::invalid(
            "repetitions",
            format!("must be between 0 and {MAX_REPETITIONS} (0 means 1)"),
        )),
    }
}

/// Validates the temperature (absent means 0).
pub fn temperature(value: Option<f64>) -> Result<f64, Error> {
    match value {
        None => Ok(0.0),
        Some(value) if value.is_finite() && (0.0..=2.0).contains(&value) => Ok(value),
        Some(_) => Err(Error::invalid("temperature", "must be between 0 and 2")),
    }
}

/// Validates max_tokens (absent means 1,024).
pub fn max_tokens(value: Option<i32>) -> Result<u32, Error> {
    match value {
        None => Ok(crate::domain::run::DEFAULT_MAX_TOKENS),
        Some(value) if (1..=MAX_OUTPUT_TOKENS).contains(&value) => Ok(value as u32),
        Some(_) => Err(Error::invalid(
            "max_tokens",
            format!("must be between 1 and {MAX_OUTPUT_TOKENS}"),
        )),
    }
}

/// Validates the system prompt.
pub fn system_prompt(text: &str) -> Result<String, Error> {
    if text.len() > MAX_SYSTEM_PROMPT_BYTES {
        return Err(Error::invalid(
            "system_prompt",
            format!("must be at most {MAX_SYSTEM_PROMPT_BYTES} bytes"),
        ));
    }
    Ok(text.to_owned())
}

/// Validates the run label.
pub fn label(text: &str) -> Result<String, Error> {
    if text.chars().count() > MAX_LABEL_CHARS {
        return Err(Error::invalid(
            "label",
            format!("must be at most {MAX_LABEL_CHARS} characters"),
        ));
    }
    Ok(text.trim().to_owned())
}

/// Checks the size of a run: there must be cases, and at most 100,000 calls.
pub fn run_size(case_count: usize, model_count: usize, repetitions: u32) -> Result<u64, Error> {
    if case_count == 0 {
        return Err(Error::FailedPrecondition(
            "the run has no test cases: add test cases to the suite (AddTestCases, or `benchctl suite add`) or pass ad_hoc_cases".to_owned(),
        ));
    }
    let calls = case_count as u64 * model_count as u64 * u64::from(repetitions);
    if calls > MAX_TOTAL_CALLS {
        return Err(Error::invalid(
            "models",
            format!(
                "the run would make {calls} calls (cases × models × repetitions); at most {MAX_TOTAL_CALLS} are allowed"
            ),
        ));
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_search_is_capped_and_quotes_only_a_prefix() {
        assert_eq!(suite_search("  sql  ").expect("valid"), "sql");
        let long = "x".repeat(100_000);
        let error = suite_search(&long).expect_err("too long");
        let Error::InvalidArgument { field, reason } = error else {
            panic!("invalid argument");
        };
        assert_eq!(field, "search");
        assert!(reason.len() < 200, "{reason}");
    }

    fn field_of(error: Error) -> String {
        match error {
            Error::InvalidArgument { field, .. } => field,
            other => format!("not invalid-argument: {other}"),
        }
    }

    #[test]
    fn case_errors_name_the_field() {
        let empty = CaseSpec::default();
        assert_eq!(
            field_of(case("cases[2]", empty).unwrap_err()),
            "cases[2].input"
        );
        let huge = CaseSpec {
            input: "x".repeat(MAX_CASE_TEXT_BYTES + 1),
            ..CaseSpec::default()
        };
        assert_eq!(
            field_of(case("cases[0]", huge).unwrap_err()),
            "cases[0].input"
        );
        let bad_tag = CaseSpec {
            input: "q".to_owned(),
            tags: vec!["ok".to_owned(), " ".to_owned()],
            ..CaseSpec::default()
        };
        assert_eq!(
            field_of(case("ad_hoc_cases[1]", bad_tag).unwrap_err()),
            "ad_hoc_cases[1].tags[1]"
        );
        let bad_grader = CaseSpec {
            input: "q".to_owned(),
            grader: Some(GraderSpec::Contains {
                needles: Vec::new(),
                all: true,
                case_insensitive: false,
            }),
            ..CaseSpec::default()
        };
        assert_eq!(
            field_of(case("cases[3]", bad_grader).unwrap_err()),
            "cases[3].grader.contains.needles"
        );
        let rubric_without_expectation = CaseSpec {
            input: "q".to_owned(),
            grader: Some(GraderSpec::LlmRubric(RubricSpec::default())),
            ..CaseSpec::default()
        };
        assert_eq!(
            field_of(case("cases[0]", rubric_without_expectation).unwrap_err()),
            "cases[0].grader"
        );
    }

    #[test]
    fn valid_cases_drop_empty_optionals_and_duplicate_tags() {
        let spec = CaseSpec {
            input: "2+2".to_owned(),
            expected_output: Some(String::new()),
            rubric: Some(String::new()),
            grader: None,
            tags: vec!["math".to_owned(), " math ".to_owned()],
        };
        let valid = case("cases[0]", spec).expect("valid");
        assert_eq!(valid.expected_output, None);
        assert_eq!(valid.rubric, None);
        assert_eq!(valid.tags, vec!["math".to_owned()]);
    }

    #[test]
    fn model_lists_are_checked() {
        assert_eq!(field_of(models(&[]).unwrap_err()), "models");
        assert_eq!(
            field_of(models(&["openai/a".to_owned(), "gpt-4o".to_owned()]).unwrap_err()),
            "models[1]"
        );
        assert_eq!(
            field_of(models(&["fake/a".to_owned(), " fake/a".to_owned()]).unwrap_err()),
            "models[1]"
        );
        assert_eq!(
            models(&["fake/a ".to_owned()]).expect("valid"),
            vec!["fake/a".to_owned()]
        );
    }

    #[test]
    fn limits_fill_defaults_and_reject_out_of_range() {
        let filled = limits(RequestedLimits::default()).expect("defaults");
        assert_eq!(filled, Limits::default());
        let error = limits(RequestedLimits {
            max_concurrency: 257,
            ..RequestedLimits::default()
        })
        .unwrap_err();
        assert_eq!(field_of(error), "limits.max_concurrency");
        let error = limits(RequestedLimits {
            max_retries: Some(11),
            ..RequestedLimits::default()
        })
        .unwrap_err();
        assert_eq!(field_of(error), "limits.max_retries");
        let error = limits(RequestedLimits {
            budget_micro_usd: Some(-1),
            ..RequestedLimits::default()
        })
        .unwrap_err();
        assert_eq!(field_of(error), "limits.budget_micro_usd");
        assert_eq!(
            limits(RequestedLimits {
                max_retries: Some(0),
                ..RequestedLimits::default()
            })
            .expect("valid")
            .max_retries,
            0
        );
    }

    #[test]
    fn scalar_bounds() {
        assert_eq!(repetitions(0).expect("default"), 1);
        assert_eq!(field_of(repetitions(11).unwrap_err()), "repetitions");
        assert_eq!(field_of(temperature(Some(2.5)).unwrap_err()), "temperature");
        assert_eq!(max_tokens(None).expect("default"), 1_024);
        assert_eq!(field_of(max_tokens(Some(0)).unwrap_err()), "max_tokens");
        assert_eq!(field_of(suite_name("  ").unwrap_err()), "name");
        assert_eq!(field_of(id("suite_id", "nope").unwrap_err()), "suite_id");
        assert!(matches!(
            run_size(0, 2, 1),
            Err(Error::FailedPrecondition(_))
        ));
        assert_eq!(field_of(run_size(100_000, 2, 1).unwrap_err()), "models");
        assert_eq!(run_size(10, 2, 3).expect("fits"), 60);
    }
}
