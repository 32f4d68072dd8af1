//! Sources that hold up against real upstreams: a multi-document source keeps what it fetched when
//! some documents fail (PARTIAL, each failure listed), and an upstream that fails every request is
//! given up on after a few failures instead of retrying every document.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_testkit::authorized;
use benchhub_upstream::{Backend, Fault, FaultKind};

use crate::support::{ADMIN, Harness, generated, status};

/// Observations of `source` per category.
async fn categories(harness: &Harness, source: &str) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT category, count(*) FROM observations WHERE source = $1 \
         GROUP BY category ORDER BY category",
    )
    .bind(source)
    .fetch_all(&harness.db.pool)
    .await
    .unwrap_or_default()
}

async fn running_runs(harness: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM ingestion_runs WHERE status = 'running'")
        .fetch_one(&harness.db.pool)
        .await
        .unwrap_or(-1)
}

/// An LMArena sample of an earlier date has no `webdev` subset: the datasets-server answers 404 for
/// that config. The other subsets are kept; the run is PARTIAL and names what failed.
async fn a_missing_subset_costs_only_itself(backend: Backend) -> anyhow::Result<()> {
    let harness = Harness::start(backend, |_| {}).await?;
    let mut missing = Fault::new("lmarena", FaultKind::Status { status: 404 });
    missing.path_contains = Some("config=webdev".to_owned());
    harness.replay.control().add_fault(missing);

    let result = harness.reingest("lmarena", false).await?;
    assert_eq!(status(&result), pb::RunStatus::Partial, "{result:?}");
    assert!(result.inserted > 0, "{result:?}");
    assert!(!result.stale, "what was fetched is current");
    assert_eq!(result.document_failures.len(), 1, "{result:?}");
    let failure = &result.document_failures[0];
    assert_eq!(failure.document, "webdev");
    assert!(failure.error.contains("HTTP 404"), "{failure:?}");
    assert!(
        result.error.contains("webdev") && result.error.contains("404"),
        "{}",
        result.error
    );
    let kept: Vec<String> = categories(&harness, "lmarena")
        .await
        .into_iter()
        .map(|(category, _)| category)
        .collect();
    assert!(kept.contains(&"text".to_owned()), "{kept:?}");
    assert!(!kept.contains(&"webdev".to_owned()), "{kept:?}");

    // The audit trail shows the same, and filters on PARTIAL.
    let runs = harness
        .client()
        .list_ingestion_runs(authorized(
            pb::ListIngestionRunsRequest {
                source: "lmarena".to_owned(),
                status: pb::RunStatus::Partial as i32,
                ..Default::default()
            },
            ADMIN,
        ))
        .await?
        .into_inner()
        .runs;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].document_failures.len(), 1);
    assert_eq!(runs[0].document_failures[0].document, "webdev");
    assert!(runs[0].error.contains("webdev"));

    // Unchanged upstream, same missing subset: nothing rewritten, still PARTIAL.
    let again = harness.reingest("lmarena", false).await?;
    assert_eq!(status(&again), pb::RunStatus::Partial, "{again:?}");
    assert_eq!((again.inserted, again.updated), (0, 0));

    // Once the subset exists again, the run succeeds and stores it.
    harness.replay.control().clear_faults();
    let recovered = harness.reingest("lmarena", false).await?;
    assert_eq!(
        status(&recovered),
        pb::RunStatus::Succeeded,
        "{recovered:?}"
    );
    assert!(recovered.document_failures.is_empty());
    let kept: Vec<String> = categories(&harness, "lmarena")
        .await
        .into_iter()
        .map(|(category, _)| category)
        .collect();
    assert!(kept.contains(&"webdev".to_owned()), "{kept:?}");
    assert_eq!(running_runs(&harness).await, 0);
    harness.stop().await
}

#[tokio::test]
async fn a_missing_lmarena_subset_costs_only_itself() -> anyhow::Result<()> {
    a_missing_subset_costs_only_itself(generated(12)).await
}

#[tokio::test]
async fn a_missing_subset_of_the_real_lmarena_sample_costs_only_itself() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    a_missing_subset_costs_only_itself(Backend::Directory(directory)).await
}

#[tokio::test]
async fn a_missing_board_file_keeps_the_other_board() -> anyhow::Result<()> {
    let harness = Harness::start(generated(12), |config| config.http_retries = 0).await?;
    let mut hard = Fault::new("bigcodebench", FaultKind::Status { status: 503 });
    hard.path_contains = Some("results-hard".to_owned());
    harness.replay.control().add_fault(hard);
    let result = harness.reingest("bigcodebench", false).await?;
    assert_eq!(status(&result), pb::RunStatus::Partial, "{result:?}");
    assert_eq!(result.document_failures.len(), 1);
    let metrics: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT metric FROM observations WHERE source = 'bigcodebench' ORDER BY metric",
    )
    .fetch_all(&harness.db.pool)
    .await?;
    assert!(!metrics.is_empty());
    assert!(
        metrics.iter().all(|metric| metric.starts_with("full_")),
        "{metrics:?}"
    );
    harness.stop().await
}

/// EcoLogits whose estimations all answer 5xx (its documented "Failed to Estimate impacts", or a 501
/// from a proxy): the client gives up after five failed requests in a row, so the run ends in seconds
/// with a clear error instead of retrying every model.
#[tokio::test]
async fn an_upstream_failing_every_request_is_given_up_on_quickly() -> anyhow::Result<()> {
    // Retries with a real backoff (as in production, shorter): without giving up, 60 models × 4
    // attempts with growing delays take minutes.
    let harness = Harness::start(generated(60), |config| {
        config.http_retries = 3;
        config.http_backoff = Duration::from_millis(200);
        config.request_concurrency = 2;
    })
    .await?;
    for status_code in [501, 500] {
        harness.replay.control().clear_faults();
        let mut estimations = Fault::new(
            "ecologits",
            FaultKind::Status {
                status: status_code,
            },
        );
        estimations.path_contains = Some("estimations".to_owned());
        harness.replay.control().add_fault(estimations);
        let started = Instant::now();
        let result = harness.reingest("ecologits", false).await?;
        let took = started.elapsed();
        println!("ecologits, every estimation HTTP {status_code}: ended in {took:?}: {result:?}");
        assert_eq!(status(&result), pb::RunStatus::Failed, "{result:?}");
        assert!(
            result
                .error
                .contains("gave up after 5 failed requests in a row"),
            "{}",
            result.error
        );
        assert!(
            result.error.contains(&format!("HTTP {status_code}")),
            "{}",
            result.error
        );
        assert!(result.stale);
        let requests = harness
            .replay
            .control()
            .requests()
            .into_iter()
            .filter(|request| request.path.contains("estimations"))
            .count();
        // 60 models × 4 attempts would be 240 requests; giving up stops far earlier.
        assert!(requests < 60, "{requests} estimation requests");
        harness.replay.control().clear_requests();
        // Bounded generously: the shared machine is noisy; the point is seconds, not minutes.
        assert!(took < Duration::from_secs(60), "took {took:?}");
    }
    assert_eq!(running_runs(&harness).await, 0);
    harness.stop().await
}

/// With the datasets-server down (every request 503), LMArena's arena-catalog files stand in for the
/// subsets they have (text, vision; there is no webdev file): the run is PARTIAL, names each subset
/// served from the fallback and the one lost, and keeps the catalog's 95% intervals
/// (rating_q025 / rating_q975).
async fn the_arena_catalog_stands_in(backend: Backend) -> anyhow::Result<()> {
    let harness = Harness::start(backend, |config| config.http_retries = 0).await?;
    harness
        .replay
        .control()
        .add_fault(Fault::new("lmarena", FaultKind::Status { status: 503 }));
    let started = Instant::now();
    let result = harness.reingest("lmarena", false).await?;
    println!("datasets-server down: {:?} {result:?}", started.elapsed());
    assert_eq!(status(&result), pb::RunStatus::Partial, "{result:?}");
    let failures: Vec<(&str, &str)> = result
        .document_failures
        .iter()
        .map(|failure| (failure.document.as_str(), failure.error.as_str()))
        .collect();
    assert_eq!(
        failures
            .iter()
            .map(|(document, _)| *document)
            .collect::<Vec<_>>(),
        ["text", "webdev", "vision"],
        "{failures:?}"
    );
    for (document, error) in &failures {
        assert!(error.contains("503"), "{document}: {error}");
        assert_eq!(
            error.contains("served from the arena-catalog file"),
            *document != "webdev",
            "{document}: {error}"
        );
    }
    let kept = categories(&harness, "lmarena").await;
    let kept_names: Vec<&str> = kept.iter().map(|(category, _)| category.as_str()).collect();
    assert_eq!(kept_names, ["text", "vision"], "{kept:?}");
    let without_interval: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM observations WHERE source = 'lmarena' \
         AND (ci_low IS NULL OR ci_high IS NULL OR NOT (ci_low <= value AND value <= ci_high))",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(
        without_interval, 0,
        "every catalog value has its 95% interval"
    );
    assert_eq!(running_runs(&harness).await, 0);
    harness.stop().await
}

#[tokio::test]
async fn the_arena_catalog_stands_in_when_the_datasets_server_is_down() -> anyhow::Result<()> {
    the_arena_catalog_stands_in(generated(12)).await
}

#[tokio::test]
async fn the_real_arena_catalog_stands_in_when_the_datasets_server_is_down() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    the_arena_catalog_stands_in(Backend::Directory(directory)).await
}
