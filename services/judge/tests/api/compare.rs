//! Pairwise comparison through the fake provider: both orders, combination, inconsistency.

use benchhub_proto::pb;

use crate::helpers::{Harness, assert_invalid};

fn request(output_a: &str, output_b: &str, judge: &str, candidates: &[&str]) -> pb::CompareRequest {
    pb::CompareRequest {
        input: "Which planet is known as the red planet?".to_owned(),
        output_a: output_a.to_owned(),
        output_b: output_b.to_owned(),
        expected: "Mars is the red planet".to_owned(),
        rubric: String::new(),
        judge: Some(pb::JudgeModel {
            model: judge.to_owned(),
            temperature: None,
            max_tokens: None,
        }),
        candidate_models: candidates.iter().map(|model| (*model).to_owned()).collect(),
    }
}

#[tokio::test]
async fn both_orders_are_judged_and_combined() {
    let harness = Harness::start().await;
    let mut client = harness.client.clone();
    let response = client
        .compare(harness.request(request(
            "Mars is the red planet",
            "Jupiter, probably",
            "fake/judge",
            &["vendor-x/model-alpha", "vendor-y/model-beta"],
        )))
        .await
        .expect("compared")
        .into_inner();
    assert_eq!(response.verdict, pb::Verdict::A as i32);
    assert_eq!(response.verdict_ab, pb::Verdict::A as i32);
    assert_eq!(response.verdict_ba, pb::Verdict::A as i32);
    assert!(response.error.is_empty());
    assert!(!response.self_judged);
    assert_eq!(response.judge_model, "fake/judge");
    assert!(!response.notes_ab.is_empty() && !response.notes_ba.is_empty());

    // Two prompts: one shows A's output first, the other B's; neither names a model.
    let requests = harness.fake.requests();
    assert_eq!(requests.len(), 2);
    let first_shown: Vec<String> = requests
        .iter()
        .map(|logged| {
            let text = logged.full_text();
            let start = text.find("<<<RESPONSE A ").expect("response A");
            let body = &text[start..];
            body.lines().nth(1).unwrap_or_default().to_owned()
        })
        .collect();
    assert!(
        first_shown.contains(&"Mars is the red planet".to_owned()),
        "{first_shown:?}"
    );
    assert!(
        first_shown.contains(&"Jupiter, probably".to_owned()),
        "{first_shown:?}"
    );
    for logged in &requests {
        let text = logged.full_text();
        assert!(
            !text.contains("vendor-x") && !text.contains("model-beta"),
            "{text}"
        );
        assert!(
            logged
                .system
                .as_deref()
                .unwrap_or_default()
                .contains("order")
        );
    }

    let response = client
        .compare(harness.request(request(
            "Saturn",
            "Mars is the red planet",
            "fake/judge",
            &[],
        )))
        .await
        .expect("compared")
        .into_inner();
    assert_eq!(response.verdict, pb::Verdict::B as i32);

    let response = client
        .compare(harness.request(request("Mars", "Mars", "fake/judge", &[])))
        .await
        .expect("compared")
        .into_inner();
    assert_eq!(response.verdict, pb::Verdict::Tie as i32);
}

#[tokio::test]
async fn a_position_biased_judge_is_reported_inconsistent() {
    let harness = Harness::start().await;
    let mut client = harness.client.clone();
    let response = client
        .compare(harness.request(request(
            "Mars is the red planet",
            "Venus",
            "fake/judge-biased",
            &["fake/judge-biased"],
        )))
        .await
        .expect("compared")
        .into_inner();
    assert_eq!(response.verdict_ab, pb::Verdict::A as i32);
    assert_eq!(response.verdict_ba, pb::Verdict::B as i32);
    assert_eq!(response.verdict, pb::Verdict::Inconsistent as i32);
    assert!(response.self_judged);
}

#[tokio::test]
async fn malformed_judges_and_bad_requests() {
    let harness = Harness::start().await;
    let mut client = harness.client.clone();
    let response = client
        .compare(harness.request(request("Mars", "Venus", "fake/judge-malformed", &[])))
        .await
        .expect("not an RPC error")
        .into_inner();
    assert_eq!(response.verdict, pb::Verdict::Unspecified as i32);
    assert_eq!(response.verdict_ab, pb::Verdict::Unspecified as i32);
    assert!(
        response.error.contains("A-first order"),
        "{}",
        response.error
    );
    assert!(
        response.error.contains("malformed JSON twice"),
        "{}",
        response.error
    );

    let response = client
        .compare(harness.request(request("Mars", "Venus", "fake/judge-malformed-once", &[])))
        .await
        .expect("repaired")
        .into_inner();
    assert_eq!(
        response.verdict,
        pb::Verdict::A as i32,
        "{}",
        response.error
    );

    let mut missing_input = request("a", "b", "fake/judge", &[]);
    missing_input.input.clear();
    let status = client
        .compare(harness.request(missing_input))
        .await
        .expect_err("no input");
    assert_invalid(&status, "input");
    let status = client
        .compare(harness.request(request("a", "b", "nope/judge", &[])))
        .await
        .expect_err("unknown provider");
    assert_invalid(&status, "judge.model");
}
