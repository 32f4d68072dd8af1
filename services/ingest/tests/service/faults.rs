//! Every fault kind of the replay server: a clear error, nothing written, the source marked stale, the
//! other sources unaffected; and retries that recover.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_upstream::{Fault, FaultKind};

use crate::support::{Harness, generated, status};

async fn stale(harness: &Harness, source: &str) -> bool {
    sqlx::query_scalar("SELECT stale FROM source_state WHERE source = $1")
        .bind(source)
        .fetch_one(&harness.db.pool)
        .await
        .unwrap_or(false)
}

#[tokio::test]
async fn each_fault_fails_only_its_source_and_writes_nothing() -> anyhow::Result<()> {
    let harness = Harness::start(generated(10), |config| {
        config.http_timeout = Duration::from_millis(700);
        config.http_retries = 1;
    })
    .await?;
    let cases: Vec<(FaultKind, &str)> = vec![
        (FaultKind::Status { status: 500 }, "HTTP 500"),
        (FaultKind::Status { status: 404 }, "HTTP 404"),
        (
            FaultKind::RateLimit {
                retry_after_seconds: 1,
            },
            "429",
        ),
        (FaultKind::Delay { millis: 3000 }, "timed out"),
        (FaultKind::Truncate, "truncated JSON"),
        (FaultKind::Drift, "upstream schema changed"),
    ];
    for (kind, expected) in cases {
        harness.replay.control().clear_faults();
        harness
            .replay
            .control()
            .add_fault(Fault::new("evalplus", kind.clone()));
        let bigcodebench_before = harness.observations("bigcodebench").await;
        let results = harness
            .reingest_all(&["evalplus", "bigcodebench"], false)
            .await?;
        let evalplus = results
            .iter()
            .find(|result| result.source == "evalplus")
            .expect("evalplus result");
        assert_eq!(
            status(evalplus),
            pb::RunStatus::Failed,
            "{kind:?}: {evalplus:?}"
        );
        assert!(evalplus.stale, "{kind:?}");
        assert!(
            evalplus.error.contains(expected),
            "{kind:?}: '{}' lacks '{expected}'",
            evalplus.error
        );
        assert!(
            !evalplus.error.contains("example.invalid"),
            "no upstream body in errors"
        );
        assert_eq!((evalplus.inserted, evalplus.updated), (0, 0));
        assert_eq!(harness.observations("evalplus").await, 0, "{kind:?}");
        assert!(stale(&harness, "evalplus").await);
        let bigcodebench = results
            .iter()
            .find(|result| result.source == "bigcodebench")
            .expect("bigcodebench result");
        assert_ne!(status(bigcodebench), pb::RunStatus::Failed, "{kind:?}");
        assert!(harness.observations("bigcodebench").await >= bigcodebench_before);
        assert!(!stale(&harness, "bigcodebench").await);
    }
    let failed_runs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ingestion_runs WHERE source = 'evalplus' AND status = 'failed' \
         AND stale AND error IS NOT NULL",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(failed_runs, 6);
    let payloads: i64 =
        sqlx::query_scalar("SELECT count(*) FROM raw_payloads WHERE source = 'evalplus'")
            .fetch_one(&harness.db.pool)
            .await?;
    assert_eq!(payloads, 0);
    harness.stop().await
}

#[tokio::test]
async fn readers_keep_the_last_good_snapshot_and_retries_recover() -> anyhow::Result<()> {
    let harness = Harness::start(generated(10), |config| {
        config.http_retries = 2;
    })
    .await?;
    let good = harness.reingest("evalplus", false).await?;
    assert_eq!(status(&good), pb::RunStatus::Succeeded);
    let stored = harness.observations("evalplus").await;

    harness
        .replay
        .control()
        .add_fault(Fault::new("evalplus", FaultKind::Status { status: 502 }));
    let failed = harness.reingest("evalplus", false).await?;
    assert_eq!(status(&failed), pb::RunStatus::Failed);
    assert_eq!(harness.observations("evalplus").await, stored);
    assert!(stale(&harness, "evalplus").await);
    let requests = harness
        .replay
        .control()
        .requests()
        .iter()
        .filter(|request| request.source == "evalplus" && request.status == 502)
        .count();
    assert_eq!(requests, 3, "one attempt and two retries");

    // A transient 503 is retried away.
    harness.replay.control().clear_faults();
    harness
        .replay
        .control()
        .add_fault(Fault::new("bigcodebench", FaultKind::Status { status: 503 }).times(1));
    let recovered = harness.reingest("bigcodebench", false).await?;
    assert_eq!(
        status(&recovered),
        pb::RunStatus::Succeeded,
        "{recovered:?}"
    );

    // A 429 waits for Retry-After, then succeeds.
    harness.replay.control().add_fault(
        Fault::new(
            "livecodebench",
            FaultKind::RateLimit {
                retry_after_seconds: 1,
            },
        )
        .times(1),
    );
    let started = Instant::now();
    let limited = harness.reingest("livecodebench", false).await?;
    assert_eq!(status(&limited), pb::RunStatus::Succeeded, "{limited:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );

    // The next good run clears the stale flag.
    let back = harness.reingest("evalplus", false).await?;
    assert_ne!(status(&back), pb::RunStatus::Failed, "{back:?}");
    assert!(!stale(&harness, "evalplus").await);
    harness.stop().await
}

#[tokio::test]
async fn oversized_responses_are_refused() -> anyhow::Result<()> {
    let harness = Harness::start(generated(200), |config| {
        config.max_response_bytes = 2048;
    })
    .await?;
    let result = harness.reingest("modelsdev", false).await?;
    assert_eq!(status(&result), pb::RunStatus::Failed);
    assert!(result.error.contains("2048-byte limit"), "{}", result.error);
    assert_eq!(harness.observations("modelsdev").await, 0);
    harness.stop().await
}
