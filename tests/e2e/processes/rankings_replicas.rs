//! Two rankings processes and one ingest process on one database: after ReingestSource and
//! ReingestAll on the ingest process, both rankings processes serve the new data (each follows the
//! ingest's Postgres notifications; nothing connects the processes but the database).

use super::*;

/// What a rankings process serves: models in the catalog and, per source, whether it was ever
/// ingested with how many models have its values.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Served {
    total: i32,
    sources: BTreeMap<String, (bool, i32)>,
}

async fn served(rankings: &Process) -> anyhow::Result<Served> {
    let page = first_ranking_page(rankings).await?;
    Ok(Served {
        total: page.total_size,
        sources: page
            .source_status
            .into_iter()
            .map(|status| {
                (
                    status.source,
                    (status.last_attempt_at.is_some(), status.model_count),
                )
            })
            .collect(),
    })
}

/// Whether `view` shows every source of `sources` ingested with values.
fn serves_all(view: &Served, sources: &[&str]) -> bool {
    view.total > 0
        && sources.iter().all(|source| {
            view.sources
                .get(*source)
                .is_some_and(|(attempted, models)| *attempted && *models > 0)
        })
}

/// Polls both replicas until each serves every source of `sources` and they agree.
async fn wait_both_serve(replicas: &mut [Process; 2], sources: &[&str]) -> anyhow::Result<Served> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for replica in replicas.iter_mut() {
            anyhow::ensure!(
                replica.alive(),
                "{} exited\n{}",
                replica.name,
                replica.log_tail()
            );
        }
        let views = (served(&replicas[0]).await, served(&replicas[1]).await);
        if let (Ok(first), Ok(second)) = &views
            && serves_all(first, sources)
            && first == second
        {
            return Ok(first.clone());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the rankings replicas do not both serve {sources:?}: {views:#?}\n{}\n{}",
            replicas[0].log_tail(),
            replicas[1].log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rankings_processes_both_refresh_after_an_ingest() -> anyhow::Result<()> {
    let Some(dir) = binaries_dir(&["rankings", "ingest"]) else {
        return Ok(());
    };
    let db = TestDb::new().await?;
    let upstream = replay().await?;
    let mut ingest = Process::start(
        &dir,
        "ingest",
        "ingest",
        &borrowed(&ingest_env(&db.url, &upstream)),
    )?;
    let mut replicas = [
        Process::start(
            &dir,
            "rankings",
            "rankings-one",
            &[("DATABASE_URL", db.url.clone())],
        )?,
        Process::start(
            &dir,
            "rankings",
            "rankings-two",
            &[("DATABASE_URL", db.url.clone())],
        )?,
    ];
    ingest.wait_serving().await?;
    for replica in &mut replicas {
        replica.wait_serving().await?;
    }
    for replica in &replicas {
        let view = served(replica).await?;
        assert!(
            view.sources
                .get("modelsdev")
                .is_none_or(|(attempted, _)| !attempted),
            "{}: {view:?}",
            replica.name
        );
    }

    let result = reingest(&ingest, "modelsdev").await?;
    assert_eq!(result.status, pb::RunStatus::Succeeded as i32, "{result:?}");
    let first = wait_both_serve(&mut replicas, &["modelsdev"]).await?;

    let sources = ["openrouter", "lmarena", "evalplus"];
    let results = reingest_all(&ingest, &sources, 3).await?;
    assert_eq!(results.len(), sources.len(), "{results:?}");
    for result in results.values() {
        assert_eq!(result.status, pb::RunStatus::Succeeded as i32, "{result:?}");
    }
    let all: Vec<&str> = std::iter::once("modelsdev").chain(sources).collect();
    let second = wait_both_serve(&mut replicas, &all).await?;
    assert!(
        second.total >= first.total,
        "the catalog shrank: {first:?} then {second:?}"
    );
    assert!(ingest.alive(), "{}", ingest.log_tail());

    drop(replicas);
    drop(ingest);
    // The replay's graceful stop may wait on connections of the killed processes; bound it.
    let _ = tokio::time::timeout(Duration::from_secs(2), upstream.stop()).await;
    db.pool.close().await;
    Ok(())
}
