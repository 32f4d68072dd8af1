//! RankModels over gRPC: a hand-computable fit, bootstrap reproducibility, validation.

use benchhub_proto::pb;

use crate::helpers::{Harness, assert_invalid};

fn verdict(model_a: &str, model_b: &str, winner: pb::Verdict) -> pb::PairwiseVerdict {
    pb::PairwiseVerdict {
        model_a: model_a.to_owned(),
        model_b: model_b.to_owned(),
        winner: winner as i32,
    }
}

#[tokio::test]
async fn three_wins_to_one_is_a_gap_of_400_log10_3() {
    let harness = Harness::start().await;
    let mut client = harness.client.clone();
    let verdicts = vec![
        verdict("fake/good", "fake/bad", pb::Verdict::A),
        verdict("fake/good", "fake/bad", pb::Verdict::A),
        verdict("fake/bad", "fake/good", pb::Verdict::B),
        verdict("fake/bad", "fake/good", pb::Verdict::A),
    ];
    let response = client
        .rank_models(harness.request(pb::RankModelsRequest {
            verdicts,
            bootstrap_rounds: Some(0),
            seed: 0,
        }))
        .await
        .expect("ranked")
        .into_inner();
    assert_eq!(response.games, 4);
    assert!(!response.regularized);
    let good = &response.ratings[0];
    let bad = &response.ratings[1];
    assert_eq!((good.model.as_str(), good.rank), ("fake/good", 1));
    assert!((good.rating - bad.rating - 400.0 * 3f64.log10()).abs() < 1e-6);
    assert!((good.rating + bad.rating - 2000.0).abs() < 1e-6);
    assert_eq!(
        (good.wins, good.losses, good.ties, good.games),
        (3, 1, 0, 4)
    );
    assert_eq!(good.win_rate, 0.75);
    assert_eq!((good.ci_low, good.ci_high), (good.rating, good.rating));
}

#[tokio::test]
async fn bootstrap_defaults_to_100_rounds_and_reproduces_with_the_seed() {
    let harness = Harness::start().await;
    let mut client = harness.client.clone();
    let mut verdicts = Vec::new();
    for round in 0..60 {
        let winner = if round % 3 == 0 {
            pb::Verdict::B
        } else {
            pb::Verdict::A
        };
        verdicts.push(verdict("a", "b", winner));
        let winner = match round % 4 {
            0 => pb::Verdict::Tie,
            1 => pb::Verdict::Inconsistent,
            2 => pb::Verdict::B,
            _ => pb::Verdict::A,
        };
        verdicts.push(verdict("b", "c", winner));
    }
    let ask = |seed: u64| pb::RankModelsRequest {
        verdicts: verdicts.clone(),
        bootstrap_rounds: None,
        seed,
    };
    let first = client
        .rank_models(harness.request(ask(7)))
        .await
        .expect("ranked")
        .into_inner();
    let again = client
        .rank_models(harness.request(ask(7)))
        .await
        .expect("ranked")
        .into_inner();
    assert_eq!(first, again);
    assert_eq!(first.bootstrap_rounds, 100);
    assert_eq!(first.seed, 7);
    for rating in &first.ratings {
        assert!(
            rating.ci_low < rating.rating && rating.rating < rating.ci_high,
            "{rating:?}"
        );
    }
    let b = first
        .ratings
        .iter()
        .find(|rating| rating.model == "b")
        .expect("b");
    assert_eq!(b.ties, 30);
    assert_eq!(b.games, 120);
}

async fn rejected(
    harness: &Harness,
    verdicts: Vec<pb::PairwiseVerdict>,
    bootstrap_rounds: Option<i32>,
) -> tonic::Status {
    let mut client = harness.client.clone();
    client
        .rank_models(harness.request(pb::RankModelsRequest {
            verdicts,
            bootstrap_rounds,
            seed: 0,
        }))
        .await
        .expect_err("invalid")
}

#[tokio::test]
async fn invalid_verdicts_are_named() {
    let harness = Harness::start().await;
    assert_invalid(&rejected(&harness, Vec::new(), None).await, "verdicts");
    assert_invalid(
        &rejected(&harness, vec![verdict("x", "x", pb::Verdict::A)], None).await,
        "verdicts[0].model_b",
    );
    assert_invalid(
        &rejected(
            &harness,
            vec![
                verdict("x", "y", pb::Verdict::A),
                verdict("x", "y", pb::Verdict::Unspecified),
            ],
            None,
        )
        .await,
        "verdicts[1].winner",
    );
    assert_invalid(
        &rejected(&harness, vec![verdict("x", "y", pb::Verdict::A)], Some(-1)).await,
        "bootstrap_rounds",
    );
}
