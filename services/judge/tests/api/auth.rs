//! Access: grading needs a runner token, ratings a reader token, and no token is UNAUTHENTICATED.

use benchhub_common::Role;
use benchhub_proto::pb;

use crate::helpers::{Harness, grader};

fn score_request() -> pb::ScoreRequest {
    pb::ScoreRequest {
        input: String::new(),
        output: "x".to_owned(),
        grader: Some(grader(pb::grader::Kind::Exact(pb::ExactGrader {
            expected: "x".to_owned(),
        }))),
    }
}

fn rank_request() -> pb::RankModelsRequest {
    pb::RankModelsRequest {
        verdicts: vec![pb::PairwiseVerdict {
            model_a: "a".to_owned(),
            model_b: "b".to_owned(),
            winner: pb::Verdict::A as i32,
        }],
        bootstrap_rounds: Some(0),
        seed: 0,
    }
}

#[tokio::test]
async fn roles_gate_the_methods() {
    let harness = Harness::start().await;
    let mut client = harness.client.clone();

    let status = client
        .score(tonic::Request::new(score_request()))
        .await
        .expect_err("no token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let status = client
        .rank_models(tonic::Request::new(rank_request()))
        .await
        .expect_err("no token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let status = client
        .score(benchhub_testkit::authorized(score_request(), "not-a-token"))
        .await
        .expect_err("bad token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let (reader, _) =
        benchhub_common::auth::create_token(&harness.db.pool, "reader", Role::Reader, "default")
            .await
            .expect("reader token");
    let (runner, _) =
        benchhub_common::auth::create_token(&harness.db.pool, "runner", Role::Runner, "default")
            .await
            .expect("runner token");

    let status = client
        .score(benchhub_testkit::authorized(score_request(), &reader))
        .await
        .expect_err("reader cannot score");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = client
        .compare(benchhub_testkit::authorized(
            pb::CompareRequest::default(),
            &reader,
        ))
        .await
        .expect_err("reader cannot compare");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    client
        .rank_models(benchhub_testkit::authorized(rank_request(), &reader))
        .await
        .expect("reader can rank");

    let result = client
        .score(benchhub_testkit::authorized(score_request(), &runner))
        .await
        .expect("runner can score")
        .into_inner();
    assert_eq!(result.result.and_then(|result| result.passed), Some(true));
    client
        .score_batch(benchhub_testkit::authorized(
            pb::ScoreBatchRequest {
                items: vec![pb::ScoreItem {
                    input: String::new(),
                    output: "x".to_owned(),
                    grader: Some(grader(pb::grader::Kind::JsonValid(pb::JsonValidGrader {}))),
                }],
                concurrency: 0,
            },
            &runner,
        ))
        .await
        .expect("runner can batch");
}
