//! The LLM rubric grader through the fake provider: scores, blindness, the malformed-JSON repair,
//! self-judging, configuration errors and provider failures.

use benchhub_fake_provider::{FakeConfig, ModelBehavior};
use benchhub_proto::pb;
use benchhub_proto::pb::grader::Kind;

use crate::helpers::{Harness, assert_invalid, grader, rubric};

#[tokio::test]
async fn rubric_scores_come_from_the_judge_with_usage() {
    let harness = Harness::start().await;
    let result = harness
        .score_with_input(
            "What is the capital of France?",
            "Paris is the capital of France.",
            rubric("Paris is the capital of France", "", "fake/judge", &[]),
        )
        .await
        .expect("scored");
    assert_eq!(result.score, Some(100.0));
    assert_eq!(result.passed, Some(true));
    assert_eq!(result.grader, pb::GraderKind::LlmRubric as i32);
    assert_eq!(result.judge_model, "fake/judge");
    assert_eq!(result.judge_attempts, 1);
    assert!(result.judge_input_tokens > 0 && result.judge_output_tokens > 0);
    assert!(result.notes.contains("overlap"), "{}", result.notes);
    assert!(!result.self_judged);

    let result = harness
        .score_with_input(
            "What is the capital of France?",
            "London",
            rubric("Paris", "", "fake/judge", &[]),
        )
        .await
        .expect("scored");
    assert_eq!((result.score, result.passed), (Some(0.0), Some(false)));

    // The judge is called at temperature 0 with the default answer limit.
    let logged = harness.fake.requests();
    assert_eq!(logged[0].temperature, Some(0.0));
    assert_eq!(logged[0].max_tokens, Some(1024));
    assert_eq!(logged[0].model, "judge");
}

#[tokio::test]
async fn the_judge_never_sees_model_or_provider_names() {
    let harness = Harness::start().await;
    let candidates = ["acme-labs/secret-candidate-7b", "openrouter/zebra-llm-v2"];
    let result = harness
        .score_with_input(
            "Name a prime number greater than 10.",
            "13",
            rubric(
                "13",
                "Any prime above 10 is correct.",
                "fake/judge",
                &candidates,
            ),
        )
        .await
        .expect("scored");
    assert_eq!(result.passed, Some(true));
    let requests = harness.fake.requests();
    assert_eq!(requests.len(), 1);
    let text = requests[0].full_text();
    for forbidden in ["secret-candidate", "acme-labs", "zebra-llm", "openrouter"] {
        assert!(
            !text.contains(forbidden),
            "the judge prompt mentions {forbidden}:\n{text}"
        );
    }
    let system = requests[0].system.as_deref().unwrap_or_default();
    assert!(
        system.contains("length") && system.contains("style"),
        "{system}"
    );
    assert!(text.contains("Any prime above 10 is correct."));
    assert!(text.contains("<<<RESPONSE "));
}

#[tokio::test]
async fn a_malformed_answer_is_repaired_once_then_reported() {
    let harness = Harness::start().await;
    let result = harness
        .score_with_input(
            "2+2?",
            "4",
            rubric("4", "", "fake/judge-malformed-once", &[]),
        )
        .await
        .expect("scored");
    assert_eq!(result.score, Some(100.0), "{}", result.error);
    assert_eq!(result.judge_attempts, 2);
    let requests = harness.fake.requests();
    assert_eq!(requests.len(), 2);
    let repair = &requests[1];
    assert_eq!(repair.messages.len(), 3);
    assert_eq!(repair.messages[1].role, "assistant");
    assert!(
        repair.messages[2].content.contains("could not be used"),
        "{}",
        repair.messages[2].content
    );
    assert!(repair.messages[2].content.contains("\"score\""));

    harness.fake.reset();
    let result = harness
        .score_with_input("2+2?", "4", rubric("4", "", "fake/judge-malformed", &[]))
        .await
        .expect("a malformed judge is not an RPC error");
    assert_eq!(result.score, None);
    assert_eq!(result.passed, None);
    assert_eq!(result.judge_attempts, 2);
    assert!(
        result.error.contains("malformed JSON twice"),
        "{}",
        result.error
    );
    assert_eq!(harness.fake.stats().total_calls, 2);

    let result = harness
        .score_with_input("2+2?", "4", rubric("4", "", "fake/judge-fenced", &[]))
        .await
        .expect("scored");
    assert_eq!((result.score, result.judge_attempts), (Some(100.0), 1));
}

#[tokio::test]
async fn self_judging_is_flagged() {
    let harness = Harness::start().await;
    let result = harness
        .score_with_input(
            "q",
            "a",
            rubric("a", "", "fake/judge", &["fake/good", "fake/judge"]),
        )
        .await
        .expect("scored");
    assert!(result.self_judged);
}

#[tokio::test]
async fn judge_configuration_errors_come_before_any_call() {
    let harness = Harness::start().await;
    let message = assert_invalid(
        &harness
            .score("a", rubric("a", "", "mystery/model", &[]))
            .await
            .expect_err("unknown provider"),
        "grader.llm_rubric.judge.model",
    );
    assert!(message.contains("anthropic, fake, openai"), "{message}");
    let status = harness
        .score("a", rubric("a", "", "openai/gpt-4o-mini", &[]))
        .await
        .expect_err("no key");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status.message().contains("OPENAI_API_KEY"),
        "{}",
        status.message()
    );
    assert_invalid(
        &harness
            .score("a", rubric("a", "", "", &[]))
            .await
            .expect_err("no default"),
        "grader.llm_rubric.judge.model",
    );
    assert_invalid(
        &harness
            .score("a", rubric("", "", "fake/judge", &[]))
            .await
            .expect_err("nothing to grade against"),
        "grader.llm_rubric.expected",
    );
    let mut bad_temperature = rubric("a", "", "fake/judge", &[]);
    if let Kind::LlmRubric(ref mut grader) = bad_temperature {
        grader.judge.as_mut().expect("judge").temperature = Some(3.0);
    }
    assert_invalid(
        &harness
            .score("a", bad_temperature)
            .await
            .expect_err("temperature"),
        "grader.llm_rubric.judge.temperature",
    );
    assert_eq!(harness.fake.stats().total_calls, 0);
}

#[tokio::test]
async fn the_default_judge_model_applies_when_none_is_named() {
    let harness = Harness::start_with(FakeConfig::new(), |config| {
        config.default_judge_model = Some("fake/judge".to_owned());
    })
    .await;
    let result = harness
        .score("Paris", rubric("Paris", "", "", &[]))
        .await
        .expect("scored");
    assert_eq!(result.judge_model, "fake/judge");
    assert_eq!(result.score, Some(100.0));
}

#[tokio::test]
async fn provider_failures_fail_a_score_but_not_a_batch() {
    let config = FakeConfig::new()
        .with_model(
            "down",
            ModelBehavior::judge(benchhub_fake_provider::JudgeStyle::WellFormed)
                .with_error_rates(1.0, 0.0, 0.0),
        )
        .with_model(
            "flaky",
            ModelBehavior::judge(benchhub_fake_provider::JudgeStyle::WellFormed).with_fail_first(1),
        )
        .with_model(
            "throttled",
            ModelBehavior::judge(benchhub_fake_provider::JudgeStyle::WellFormed)
                .with_rate_limit_first(1)
                .with_retry_after(1),
        );
    let harness = Harness::start_with(config, |config| config.retries = 1).await;

    let status = harness
        .score("a", rubric("a", "", "fake/down", &[]))
        .await
        .expect_err("provider down");
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(
        status.message().contains("fake/down"),
        "{}",
        status.message()
    );
    // One call plus one retry.
    assert_eq!(harness.fake.stats().calls_by_model["down"], 2);

    // A transient 500 is retried transparently.
    let result = harness
        .score("a", rubric("a", "", "fake/flaky", &[]))
        .await
        .expect("retried");
    assert_eq!(result.score, Some(100.0));

    // A 429 is retried after its Retry-After, through the same call policy as the runner's calls.
    let result = harness
        .score("a", rubric("a", "", "fake/throttled", &[]))
        .await
        .expect("retried after the 429");
    assert_eq!(result.score, Some(100.0));
    assert_eq!(harness.fake.stats().calls_by_model["throttled"], 2);

    let mut client = harness.client.clone();
    let items = [
        "fake/judge",
        "fake/down",
        "fake/judge-malformed",
        "fake/judge",
    ]
    .iter()
    .enumerate()
    .map(|(index, judge)| pb::ScoreItem {
        input: format!("task {index}"),
        output: "blue".to_owned(),
        grader: Some(grader(rubric("blue", "", judge, &[]))),
    })
    .collect();
    let results = client
        .score_batch(harness.request(pb::ScoreBatchRequest {
            items,
            concurrency: 4,
        }))
        .await
        .expect("the batch succeeds")
        .into_inner()
        .results;
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].score, Some(100.0));
    assert_eq!(results[1].score, None);
    assert!(
        results[1].error.contains("server error"),
        "{}",
        results[1].error
    );
    assert!(
        results[2].error.contains("malformed"),
        "{}",
        results[2].error
    );
    assert_eq!(results[3].score, Some(100.0));
}

#[tokio::test]
async fn llm_batches_run_concurrently() {
    let config = FakeConfig::new().with_model(
        "slow-judge",
        ModelBehavior::judge(benchhub_fake_provider::JudgeStyle::WellFormed).with_latency(
            benchhub_fake_provider::Latency::fixed(std::time::Duration::from_millis(200)),
        ),
    );
    let harness = Harness::start_with(config, |_| {}).await;
    let mut client = harness.client.clone();
    let items = (0..20)
        .map(|index| pb::ScoreItem {
            input: format!("task {index}"),
            output: "x".to_owned(),
            grader: Some(grader(rubric("x", "", "fake/slow-judge", &[]))),
        })
        .collect();
    let started = std::time::Instant::now();
    let results = client
        .score_batch(harness.request(pb::ScoreBatchRequest {
            items,
            concurrency: 20,
        }))
        .await
        .expect("scored")
        .into_inner()
        .results;
    let elapsed = started.elapsed();
    assert!(results.iter().all(|result| result.score == Some(100.0)));
    // Sequential would take 4 s.
    assert!(
        elapsed < std::time::Duration::from_millis(1500),
        "{elapsed:?}"
    );
}
