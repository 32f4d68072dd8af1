//! A real Postgres outage with requests in flight: the four services run as processes on a private
//! cluster, which is stopped (`pg_ctl stop -m fast`) while a benchmark run is calling the fake
//! provider, then started again on the same port and data directory.

use benchhub_testkit::PgCluster;
use pb::ingest_service_client::IngestServiceClient;
use pb::judge_service_client::JudgeServiceClient;
use pb::rankings_service_client::RankingsServiceClient;
use sqlx::postgres::PgPoolOptions;
use tonic::Code;

use super::*;

/// Longest an RPC may take during the outage: the services' pools give up after 5 s
/// (`acquire_timeout`), so anything near this bound is a hang.
const OUTAGE_RPC_TIMEOUT: Duration = Duration::from_secs(20);

/// Checks that an RPC made during the outage answered (no hang, no dropped connection) with a value
/// or UNAVAILABLE; returns a line for the failure message.
async fn answers_during_outage<T: std::fmt::Debug>(
    what: &str,
    call: impl std::future::Future<Output = Result<T, tonic::Status>>,
) -> anyhow::Result<String> {
    let Ok(outcome) = tokio::time::timeout(OUTAGE_RPC_TIMEOUT, call).await else {
        anyhow::bail!("{what} did not answer within {OUTAGE_RPC_TIMEOUT:?} during the outage");
    };
    match outcome {
        Ok(_) => Ok(format!("{what}: ok")),
        Err(status) if status.code() == Code::Unavailable => {
            Ok(format!("{what}: UNAVAILABLE ({})", status.message()))
        }
        Err(status) => anyhow::bail!(
            "{what} answered {:?} ({}) during the outage; expected a value or UNAVAILABLE",
            status.code(),
            status.message()
        ),
    }
}

/// The rankings' status of `source`: (ever attempted, models with its values), and whether the
/// served catalog is stale.
async fn source_in_rankings(rankings: &Process, source: &str) -> anyhow::Result<(bool, i32, bool)> {
    let page = first_ranking_page(rankings).await?;
    let status = page
        .source_status
        .iter()
        .find(|status| status.source == source);
    Ok((
        status.is_some_and(|status| status.last_attempt_at.is_some()),
        status.map_or(0, |status| status.model_count),
        page.catalog_stale,
    ))
}

/// Waits until `rankings` serves a fresh catalog holding values of `source`.
async fn wait_source_served(
    rankings: &mut Process,
    source: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        anyhow::ensure!(
            rankings.alive(),
            "{} exited\n{}",
            rankings.name,
            rankings.log_tail()
        );
        let outcome = source_in_rankings(rankings, source).await;
        if matches!(outcome, Ok((true, models, false)) if models > 0) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} does not serve {source} within {timeout:?}: last answer {outcome:?}\n{}",
            rankings.name,
            rankings.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stop_and_restart_flips_health_and_loses_nothing() -> anyhow::Result<()> {
    let Some(dir) = binaries_dir(&["runner", "judge", "rankings", "ingest"]) else {
        return Ok(());
    };
    let Some(mut cluster) = tokio::task::block_in_place(PgCluster::create)? else {
        return Ok(());
    };
    let outcome = outage_with_a_run_in_flight(&dir, &mut cluster).await;
    tokio::task::block_in_place(move || drop(cluster));
    outcome
}

async fn outage_with_a_run_in_flight(dir: &Path, cluster: &mut PgCluster) -> anyhow::Result<()> {
    let url = cluster.create_database("benchhub_outage").await?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&cluster.url("benchhub_outage"))
        .await?;
    let upstream = replay().await?;
    let (_, fake) = benchhub_fake_provider::spawn(FakeConfig::default()).await?;

    let mut judge = Process::start(
        dir,
        "judge",
        "judge",
        &[
            ("DATABASE_URL", url.clone()),
            ("BENCHHUB_FAKE_PROVIDER_URL", fake.url()),
        ],
    )?;
    let mut rankings = Process::start(
        dir,
        "rankings",
        "rankings",
        &[("DATABASE_URL", url.clone())],
    )?;
    let mut ingest = Process::start(
        dir,
        "ingest",
        "ingest",
        &borrowed(&ingest_env(&url, &upstream)),
    )?;
    judge.wait_serving().await?;
    rankings.wait_serving().await?;
    ingest.wait_serving().await?;
    let mut runner = Process::start(
        dir,
        "runner",
        "runner",
        &[
            ("DATABASE_URL", url.clone()),
            ("BENCHHUB_JUDGE_URL", judge.url.clone()),
            ("BENCHHUB_RUNNER_JUDGE_TOKEN", ADMIN_TOKEN.to_owned()),
            ("BENCHHUB_FAKE_PROVIDER_URL", fake.url()),
            ("BENCHHUB_RUNNER_REPLICA_ID", "runner".to_owned()),
            ("BENCHHUB_RUNNER_POLL_INTERVAL", "200ms".to_owned()),
        ],
    )?;
    runner.wait_serving().await?;
    // The runner keeps its default 30 s lease, longer than the outage: the run stays with it, and
    // whatever it computed meanwhile must reach the database once Postgres is back.

    // Data written before the outage: one source ingested and served, part of a run stored.
    let modelsdev = reingest(&ingest, "modelsdev").await?;
    assert_eq!(
        modelsdev.status,
        pb::RunStatus::Succeeded as i32,
        "{modelsdev:?}"
    );
    wait_source_served(&mut rankings, "modelsdev", Duration::from_secs(30)).await?;

    let models = [
        "fake/good+latency=400ms",
        "fake/okay+latency=400ms",
        "fake/bad+latency=400ms",
    ];
    let total = 24;
    let run = create_run(
        &runner,
        pb::CreateRunRequest {
            ad_hoc_cases: cases("outage", total / models.len()),
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            grader: Some(exact()),
            limits: Some(limits(2)),
            ..pb::CreateRunRequest::default()
        },
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = get_run(&runner, &run.id)
            .await?
            .counts
            .map_or(0, |c| c.done);
        if done >= 4 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no progress\n{}",
            runner.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The outage, with model calls in flight.
    let before = stored_pairs(&pool, &run.id).await?;
    assert!(
        before.len() < total,
        "the run ended before the outage: {before:?}"
    );
    tokio::task::block_in_place(|| cluster.stop())?;
    for process in [&mut judge, &mut rankings, &mut ingest, &mut runner] {
        process
            .wait_status(ServingStatus::NotServing, Duration::from_secs(30))
            .await?;
    }
    let mut answers = Vec::new();
    answers.push(
        answers_during_outage(
            "runner GetRun",
            RunnerServiceClient::new(runner.channel().await?).get_run(authorized(
                pb::GetRunRequest {
                    run_id: run.id.clone(),
                },
                ADMIN_TOKEN,
            )),
        )
        .await?,
    );
    answers.push(
        answers_during_outage(
            "runner CreateRun",
            RunnerServiceClient::new(runner.channel().await?).create_run(authorized(
                pb::CreateRunRequest {
                    ad_hoc_cases: cases("during the outage", 1),
                    models: vec![models[0].to_owned()],
                    grader: Some(exact()),
                    ..pb::CreateRunRequest::default()
                },
                ADMIN_TOKEN,
            )),
        )
        .await?,
    );
    answers.push(
        answers_during_outage(
            "judge Score",
            JudgeServiceClient::new(judge.channel().await?).score(authorized(
                pb::ScoreRequest {
                    input: "what is the answer?".to_owned(),
                    output: "answer 1".to_owned(),
                    grader: Some(exact()),
                },
                ADMIN_TOKEN,
            )),
        )
        .await?,
    );
    answers.push(
        answers_during_outage(
            "rankings ListRankings",
            RankingsServiceClient::new(rankings.channel().await?).list_rankings(
                pb::ListRankingsRequest {
                    page_size: 5,
                    ..pb::ListRankingsRequest::default()
                },
            ),
        )
        .await?,
    );
    answers.push(
        answers_during_outage(
            "ingest ListSources",
            IngestServiceClient::new(ingest.channel().await?)
                .list_sources(authorized(pb::ListSourcesRequest::default(), ADMIN_TOKEN)),
        )
        .await?,
    );
    answers.push(
        answers_during_outage(
            "ingest ReingestSource",
            IngestServiceClient::new(ingest.channel().await?).reingest_source(authorized(
                pb::ReingestSourceRequest {
                    source: "evalplus".to_owned(),
                    dry_run: false,
                },
                ADMIN_TOKEN,
            )),
        )
        .await?,
    );
    eprintln!("answers during the outage: {answers:#?}");
    for process in [&mut judge, &mut rankings, &mut ingest, &mut runner] {
        assert!(process.alive(), "{}", process.log_tail());
    }

    // Back up: SERVING again, the run completes with every pair stored once, nothing lost.
    tokio::task::block_in_place(|| cluster.start())?;
    for process in [&mut judge, &mut rankings, &mut ingest, &mut runner] {
        process
            .wait_status(ServingStatus::Serving, Duration::from_secs(30))
            .await?;
    }
    let finished = wait_completed(&mut runner, &run.id, Duration::from_secs(60)).await?;
    let counts = finished.counts.expect("counts");
    assert_eq!(
        (counts.total, counts.done, counts.failed),
        (total as i32, total as i32, 0),
        "{counts:?}"
    );
    let after = stored_pairs(&pool, &run.id).await?;
    assert_eq!(after.len(), total, "every pair has a result: {after:?}");
    assert!(
        after.values().all(|count| *count == 1),
        "a pair has two results: {after:?}"
    );
    for pair in before.keys() {
        assert!(
            after.contains_key(pair),
            "a result stored before the outage is gone: {pair:?}"
        );
    }
    // Answers that arrived during the outage were kept until the database was back, not thrown away
    // and bought again: each (model, prompt) was called once.
    let stats = fake.stats();
    assert_eq!(stats.total_calls, total as u64, "{:?}", stats.pairs);
    assert_eq!(stats.max_calls_per_pair, 1, "{:?}", stats.pairs);
    let modelsdev_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ingestion_runs WHERE source = 'modelsdev'")
            .fetch_one(&pool)
            .await?;
    assert!(modelsdev_rows >= 1, "the ingest before the outage is gone");

    // An ingest after the restart succeeds and reaches rankings (its notification connection is
    // back).
    let openrouter = reingest(&ingest, "openrouter").await?;
    assert_eq!(
        openrouter.status,
        pb::RunStatus::Succeeded as i32,
        "{openrouter:?}"
    );
    wait_source_served(&mut rankings, "openrouter", Duration::from_secs(30)).await?;
    wait_source_served(&mut rankings, "modelsdev", Duration::from_secs(5)).await?;
    for process in [&mut judge, &mut rankings, &mut ingest, &mut runner] {
        assert!(process.alive(), "{}", process.log_tail());
    }

    drop((judge, rankings, ingest, runner));
    let _ = tokio::time::timeout(Duration::from_secs(2), upstream.stop()).await;
    pool.close().await;
    Ok(())
}
