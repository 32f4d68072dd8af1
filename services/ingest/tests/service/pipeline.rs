//! The pipeline end to end: idempotency, history, dry runs, ReingestAll, refusals, concurrency and
//! detection.

use std::time::Duration;

use benchhub_proto::pb;
use benchhub_testkit::authorized;
use benchhub_upstream::{Backend, Fault, FaultKind, Generator};
use chrono::NaiveDate;

use crate::support::{ADMIN, Harness, config, generated, start_service, status};

#[tokio::test]
async fn the_same_payload_twice_inserts_nothing_the_second_time() -> anyhow::Result<()> {
    let harness = Harness::start(generated(20), |_| {}).await?;
    let mut listener = sqlx::postgres::PgListener::connect(&harness.db.url).await?;
    listener.listen(benchhub_db::CATALOG_CHANNEL).await?;

    let first = harness.reingest("evalplus", false).await?;
    assert_eq!(status(&first), pb::RunStatus::Succeeded, "{first:?}");
    assert!(first.inserted > 0);
    assert_eq!(first.fetched, first.inserted);
    assert!(!first.run_id.is_empty());
    let notification = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await??;
    assert_eq!(notification.payload(), "evalplus");

    // Conditional GET: the replay server answers 304, nothing is rewritten.
    let second = harness.reingest("evalplus", false).await?;
    assert_eq!(status(&second), pb::RunStatus::Skipped, "{second:?}");
    assert_eq!(second.inserted, 0);
    assert_eq!(second.updated, 0);
    assert_eq!(second.skipped, first.fetched);
    assert!(
        harness
            .replay
            .control()
            .requests()
            .iter()
            .any(|request| request.source == "evalplus" && request.status == 304)
    );

    // Same body again without an ETag match (a different upstream copy): the hash matches, skipped too.
    sqlx::query("UPDATE raw_payloads SET etag = NULL WHERE source = 'evalplus'")
        .execute(&harness.db.pool)
        .await?;
    let third = harness.reingest("evalplus", false).await?;
    assert_eq!(status(&third), pb::RunStatus::Skipped);
    assert_eq!(third.inserted, 0);

    // The raw payload is kept once, hashed, with its ETag.
    let (count, sha, byte_size): (i64, String, i64) = sqlx::query_as(
        "SELECT count(*) OVER (), sha256, byte_size FROM raw_payloads WHERE source = 'evalplus' LIMIT 1",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(count, 1);
    assert_eq!(sha.len(), 64);
    assert!(byte_size > 0);

    // Cohorts are normalised 0–100 with the best at 100.
    let (low, high): (f64, f64) = sqlx::query_as(
        "SELECT min(normalized), max(normalized) FROM observations \
         WHERE source = 'evalplus' AND metric = 'humaneval_plus'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!((low, high), (0.0, 100.0));
    let best: String = sqlx::query_scalar(
        "SELECT source_model_name FROM observations WHERE source = 'evalplus' \
         AND metric = 'humaneval_plus' ORDER BY value DESC LIMIT 1",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    let best_normalized: f64 = sqlx::query_scalar(
        "SELECT normalized FROM observations WHERE source = 'evalplus' \
         AND metric = 'humaneval_plus' AND source_model_name = $1",
    )
    .bind(&best)
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(best_normalized, 100.0);

    // Runs and source state are recorded.
    let runs = harness
        .client()
        .list_ingestion_runs(authorized(
            pb::ListIngestionRunsRequest {
                source: "evalplus".to_owned(),
                ..Default::default()
            },
            ADMIN,
        ))
        .await?
        .into_inner()
        .runs;
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[2].actor, "bootstrap-admin");
    assert_eq!(runs[2].inserted, first.inserted);
    let sources = harness
        .client()
        .list_sources(pb::ListSourcesRequest::default())
        .await?
        .into_inner()
        .sources;
    let evalplus = sources
        .iter()
        .find(|source| source.name == "evalplus")
        .expect("evalplus");
    assert!(!evalplus.stale);
    assert_eq!(evalplus.models_found, 20);
    assert!(!evalplus.newest_snapshot_date.is_empty());
    assert_eq!(
        evalplus.last_run.as_ref().map(|run| run.status),
        Some(pb::RunStatus::Skipped as i32)
    );
    harness.stop().await
}

#[tokio::test]
async fn a_new_snapshot_date_adds_history() -> anyhow::Result<()> {
    let first_day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid");
    let second_day = NaiveDate::from_ymd_opt(2026, 1, 12).expect("valid");
    let harness =
        Harness::start(Backend::Generator(Generator::new(5, 15, first_day)), |_| {}).await?;
    let first = harness.reingest("lmarena", false).await?;
    assert_eq!(status(&first), pb::RunStatus::Succeeded, "{first:?}");
    assert_eq!(first.inserted, 45, "15 models × 3 subsets");
    assert_eq!(first.snapshot_date, "2026-01-05");

    harness
        .replay
        .control()
        .set_backend(Backend::Generator(Generator::new(5, 15, second_day)));
    let second = harness.reingest("lmarena", false).await?;
    assert_eq!(second.inserted, 45, "{second:?}");
    assert_eq!(second.updated, 0);
    assert_eq!(second.snapshot_date, "2026-01-12");
    let dates: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT snapshot_date) FROM observations WHERE source = 'lmarena'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(dates, 2);
    assert_eq!(harness.observations("lmarena").await, 90);
    let newest: NaiveDate = sqlx::query_scalar(
        "SELECT newest_snapshot_date FROM source_state WHERE source = 'lmarena'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(newest, second_day);
    // Elo carries its 95% CI and votes.
    let (low, high, votes): (Option<f64>, Option<f64>, Option<i64>) = sqlx::query_as(
        "SELECT ci_low, ci_high, sample_size FROM observations \
         WHERE source = 'lmarena' AND category = 'text' LIMIT 1",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert!(low.is_some() && high.is_some() && votes.is_some());
    harness.stop().await
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_reports_what_would_change() -> anyhow::Result<()> {
    let harness = Harness::start(generated(12), |_| {}).await?;
    let tables = [
        "observations",
        "ingestion_runs",
        "raw_payloads",
        "models",
        "source_state",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(harness.db.count(table).await);
    }
    let preview = harness.reingest("modelsdev", true).await?;
    assert!(preview.dry_run);
    assert!(preview.run_id.is_empty());
    assert_eq!(status(&preview), pb::RunStatus::Succeeded, "{preview:?}");
    assert!(preview.inserted > 0);
    assert!(preview.models_created > 0);
    let mut after = Vec::new();
    for table in tables {
        after.push(harness.db.count(table).await);
    }
    assert_eq!(before, after);
    let state_changed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM source_state WHERE source = 'modelsdev' AND last_run_id IS NOT NULL",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(state_changed, 0);

    let real = harness.reingest("modelsdev", false).await?;
    assert_eq!(real.inserted, preview.inserted);
    assert_eq!(real.models_created, preview.models_created);
    harness.stop().await
}

#[tokio::test]
async fn a_dry_run_over_stored_rows_counts_what_the_write_then_does() -> anyhow::Result<()> {
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid");
    let harness = Harness::start(Backend::Generator(Generator::new(5, 15, day)), |_| {}).await?;
    let first = harness.reingest("lmarena", false).await?;
    assert_eq!(first.inserted, 45, "{first:?}");
    // Other values on the same date: the upsert path, previewed in a rolled-back savepoint.
    harness
        .replay
        .control()
        .set_backend(Backend::Generator(Generator::new(6, 16, day)));
    let rows_before = harness.db.count("observations").await;
    let preview = harness.reingest("lmarena", true).await?;
    assert_eq!(status(&preview), pb::RunStatus::Succeeded, "{preview:?}");
    assert!(preview.updated > 0 && preview.inserted > 0, "{preview:?}");
    assert_eq!(harness.db.count("observations").await, rows_before);
    let real = harness.reingest("lmarena", false).await?;
    assert_eq!(
        (real.inserted, real.updated),
        (preview.inserted, preview.updated),
        "the preview counted what the write did"
    );
    harness.stop().await
}

#[tokio::test]
async fn reingest_all_streams_every_source_and_matches_through_the_catalog() -> anyhow::Result<()> {
    let harness = Harness::start(generated(40), |_| {}).await?;
    let results = harness.reingest_all(&[], false).await?;
    let mut names: Vec<&str> = results
        .iter()
        .map(|result| result.source.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            "arc-agi",
            "artificialanalysis",
            "bigcodebench",
            "ecologits",
            "evalplus",
            "livecodebench",
            "lmarena",
            "modelsdev",
            "mteb",
            "openrouter",
            "swebench",
        ]
    );
    // metadata sources stream first
    assert!(
        results[..2]
            .iter()
            .all(|result| result.source == "modelsdev" || result.source == "openrouter")
    );
    for result in &results {
        let expected = if result.source == "mteb" {
            pb::RunStatus::Skipped
        } else {
            pb::RunStatus::Succeeded
        };
        assert_eq!(status(result), expected, "{result:?}");
        if result.source != "mteb" {
            assert!(result.inserted > 0, "{result:?}");
            assert_eq!(result.failed, 0, "{result:?}");
        }
    }
    for source in [
        "lmarena",
        "evalplus",
        "bigcodebench",
        "swebench",
        "livecodebench",
        "ecologits",
    ] {
        let result = results
            .iter()
            .find(|result| result.source == source)
            .expect("result");
        assert_eq!(
            result.unmatched, 0,
            "{source}: every generated model is in the catalog"
        );
    }
    let sources_per_model: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT source) FROM observations WHERE model_id = 'openai/gpt-4o'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert!(sources_per_model >= 10, "{sources_per_model}");
    let triples: Vec<(String, String, String)> =
        sqlx::query_as("SELECT DISTINCT source, category, metric FROM observations")
            .fetch_all(&harness.db.pool)
            .await?;
    let vocabulary_violations: Vec<&(String, String, String)> = triples
        .iter()
        .filter(|(source, category, metric)| {
            benchhub_common::vocabulary::find(source, category, metric).is_none()
        })
        .collect();
    assert!(
        vocabulary_violations.is_empty(),
        "{vocabulary_violations:?}"
    );
    harness.stop().await
}

#[tokio::test]
async fn refusals_have_the_right_codes() -> anyhow::Result<()> {
    let harness = Harness::start(generated(5), |config| {
        for source in &mut config.sources {
            if source.spec.name == "artificialanalysis" {
                source.secret = None;
            }
        }
    })
    .await?;
    let error = harness
        .reingest("livebench", false)
        .await
        .expect_err("unavailable");
    assert_eq!(error.code(), tonic::Code::FailedPrecondition);
    assert!(
        error.message().contains("licence pending"),
        "{}",
        error.message()
    );
    let error = harness
        .reingest("artificialanalysis", false)
        .await
        .expect_err("no key");
    assert_eq!(error.code(), tonic::Code::FailedPrecondition);
    assert!(
        error.message().contains("key not configured"),
        "{}",
        error.message()
    );
    let error = harness.reingest("nope", false).await.expect_err("unknown");
    assert_eq!(error.code(), tonic::Code::NotFound);
    let error = harness.reingest(" ", false).await.expect_err("empty");
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
    let error = harness
        .reingest_all(&["evalplus", "bogus"], false)
        .await
        .expect_err("unknown in the list");
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
    // In ReingestAll refusals are results, and the others still run.
    let results = harness
        .reingest_all(&["livebench", "artificialanalysis", "evalplus"], false)
        .await?;
    assert_eq!(results.len(), 3);
    for result in &results {
        match result.source.as_str() {
            "evalplus" => assert_eq!(status(result), pb::RunStatus::Succeeded),
            _ => {
                assert_eq!(status(result), pb::RunStatus::Failed);
                assert!(!result.error.is_empty());
            }
        }
    }
    harness.stop().await
}

#[tokio::test]
async fn a_second_run_of_a_running_source_is_aborted_on_any_replica() -> anyhow::Result<()> {
    let harness = Harness::start(generated(5), |_| {}).await?;
    harness
        .replay
        .control()
        .add_fault(Fault::new("evalplus", FaultKind::Delay { millis: 3000 }).times(1));
    let (second_server, second_channel) =
        start_service(config(&harness.db, &harness.replay)).await?;
    let first = {
        let client = harness.client();
        tokio::spawn(async move {
            let mut client = client;
            client
                .reingest_source(authorized(
                    pb::ReingestSourceRequest {
                        source: "evalplus".to_owned(),
                        dry_run: false,
                    },
                    ADMIN,
                ))
                .await
        })
    };
    // Wait until the first run holds the lock (its run row exists).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let running: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ingestion_runs WHERE source = 'evalplus' AND status = 'running'",
        )
        .fetch_one(&harness.db.pool)
        .await?;
        if running > 0 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let here = harness.reingest("evalplus", false).await.expect_err("busy");
    assert_eq!(here.code(), tonic::Code::Aborted);
    let mut other_replica =
        benchhub_proto::pb::ingest_service_client::IngestServiceClient::new(second_channel);
    let there = other_replica
        .reingest_source(authorized(
            pb::ReingestSourceRequest {
                source: "evalplus".to_owned(),
                dry_run: false,
            },
            ADMIN,
        ))
        .await
        .expect_err("busy on the other replica too");
    assert_eq!(there.code(), tonic::Code::Aborted);
    let finished = first.await??.into_inner().result.unwrap_or_default();
    assert_eq!(status(&finished), pb::RunStatus::Succeeded);
    // Another source is not blocked.
    assert_eq!(
        status(&harness.reingest("bigcodebench", false).await?),
        pb::RunStatus::Succeeded
    );
    second_server.stop().await?;
    harness.stop().await
}

#[tokio::test]
async fn detect_lists_new_models_and_can_ingest_them() -> anyhow::Result<()> {
    let harness = Harness::start(generated(12), |_| {}).await?;
    let detect = |auto_ingest: bool| {
        let mut client = harness.client();
        async move {
            client
                .detect_new_models(authorized(
                    pb::DetectNewModelsRequest {
                        source: "evalplus".to_owned(),
                        auto_ingest,
                    },
                    ADMIN,
                ))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let found = detect(false).await?;
    assert_eq!(found.upstream_count, 12);
    // without a catalog ingest only seeded models are known; everything else is new
    assert!(found.new_model_names.len() >= 4, "{found:?}");
    assert_eq!(
        found.new_model_names.len() + found.known_count as usize,
        12,
        "{found:?}"
    );
    assert!(found.ingest_result.is_none());
    assert_eq!(harness.observations("evalplus").await, 0);

    let ingested = detect(true).await?;
    let result = ingested.ingest_result.expect("ingested");
    assert_eq!(
        pb::Trigger::try_from(result.trigger),
        Ok(pb::Trigger::Detect)
    );
    assert!(result.inserted > 0);
    let again = detect(true).await?;
    assert!(
        again.new_model_names.is_empty(),
        "already ingested: {again:?}"
    );
    assert!(again.ingest_result.is_none());

    let error = harness
        .client()
        .detect_new_models(authorized(
            pb::DetectNewModelsRequest {
                source: "mteb".to_owned(),
                auto_ingest: false,
            },
            ADMIN,
        ))
        .await
        .expect_err("seed source");
    assert_eq!(error.code(), tonic::Code::FailedPrecondition);
    harness.stop().await
}
