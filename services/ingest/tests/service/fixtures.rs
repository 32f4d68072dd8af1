//! Every source ingested offline from the shared fixtures through the replay server's directory mode.

use benchhub_proto::pb;
use benchhub_upstream::Backend;

use crate::support::{Harness, status};

#[tokio::test]
async fn every_source_ingests_from_the_fixture_directory() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    let harness = Harness::start(Backend::Directory(directory), |_| {}).await?;
    let results = harness.reingest_all(&[], false).await?;
    assert_eq!(results.len(), 11);
    for result in &results {
        let expected = if result.source == "mteb" {
            pb::RunStatus::Skipped
        } else {
            pb::RunStatus::Succeeded
        };
        assert_eq!(status(result), expected, "{result:?}");
    }
    let count = |source: &str| {
        results
            .iter()
            .find(|result| result.source == source)
            .map(|result| result.inserted)
            .unwrap_or_default()
    };
    assert_eq!(count("lmarena"), 22 + 18 + 87);
    assert!(count("openrouter") > 700);
    assert!(count("ecologits") >= 10, "{}", count("ecologits"));
    assert_eq!(
        count("arc-agi"),
        10,
        "3 models' accuracy (pass@2, attempt 1, attempt 2) + o1-pro's cost"
    );

    // Spellings of one model from many sources land on it.
    for (model, at_least) in [
        ("openai/gpt-4o-2024-08-06", 6),
        ("anthropic/claude-3-5-sonnet-20241022", 6),
        ("google/gemini-2.5-pro", 5),
        ("deepseek/deepseek-v3", 5),
    ] {
        let sources: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT source FROM observations WHERE model_id = $1 ORDER BY source",
        )
        .bind(model)
        .fetch_all(&harness.db.pool)
        .await?;
        assert!(sources.len() >= at_least, "{model}: {sources:?}");
    }
    let accuracy: f64 = sqlx::query_scalar(
        "SELECT value FROM observations WHERE source = 'arc-agi' \
         AND source_model_name = 'claude_sonnet_20241022' AND metric = 'arc_agi_1_accuracy'",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    assert_eq!(accuracy, 25.0);

    // Nothing changed upstream: every source is a cheap skip the second time.
    let again = harness.reingest_all(&[], false).await?;
    for result in &again {
        assert_eq!(status(result), pb::RunStatus::Skipped, "{result:?}");
        assert_eq!(result.inserted, 0);
    }
    harness.stop().await
}

/// Two catalogs ingested at the same moment (two admins, two replicas) create each model once: a write
/// that may create models holds the catalog lock exclusively, so the second sees the first's models.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogs_ingested_at_once_create_each_model_once() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    let harness = Harness::start(Backend::Directory(directory), |_| {}).await?;
    let (modelsdev, openrouter) = tokio::join!(
        harness.reingest("modelsdev", false),
        harness.reingest("openrouter", false)
    );
    for result in [modelsdev?, openrouter?] {
        assert_eq!(status(&result), pb::RunStatus::Succeeded, "{result:?}");
    }
    // Both list Llama 4 Maverick (models.dev once per host, OpenRouter without sizes) and DeepSeek-V3
    // (as deepseek-chat): one model each, whichever catalog wrote first.
    for (spellings, line) in [
        (
            [
                "llama/llama-4-maverick-17b-128e-instruct-fp8",
                "meta-llama/llama-4-maverick",
            ],
            "%llama-4-maverick%",
        ),
        (
            ["deepseek/deepseek-chat", "deepseek/deepseek-chat"],
            "%deepseek-v3",
        ),
    ] {
        let models: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT model_id FROM observations \
             WHERE source_model_name = ANY($1) AND model_id IS NOT NULL",
        )
        .bind(spellings.to_vec())
        .fetch_all(&harness.db.pool)
        .await?;
        assert_eq!(models.len(), 1, "{spellings:?}: {models:?}");
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM models WHERE id LIKE $1")
            .bind(line)
            .fetch_one(&harness.db.pool)
            .await?;
        assert_eq!(rows, 1, "{line}");
    }
    harness.stop().await
}
