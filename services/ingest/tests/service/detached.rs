//! Runs detached from the RPC that started them: ReingestSource answers with the result when the run
//! ends within the caller's deadline, else with the run id (status RUNNING) to follow with
//! GetIngestionRun; the run completes either way. Runs whose process stopped are closed as interrupted
//! by any replica, from their released source lock or their stale heartbeat.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_testkit::authorized;
use benchhub_upstream::{Fault, FaultKind};

use crate::support::{ADMIN, Harness, generated, status};

async fn get_run(harness: &Harness, id: &str) -> Result<pb::IngestionRun, tonic::Status> {
    harness
        .client()
        .get_ingestion_run(authorized(
            pb::GetIngestionRunRequest { id: id.to_owned() },
            ADMIN,
        ))
        .await
        .map(|response| response.into_inner().run.expect("a run"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_longer_than_the_callers_deadline_answers_running_and_completes() -> anyhow::Result<()>
{
    let harness = Harness::start(generated(8), |_| {}).await?;
    harness
        .replay
        .control()
        .add_fault(Fault::new("evalplus", FaultKind::Delay { millis: 3_000 }));
    let mut request = authorized(
        pb::ReingestSourceRequest {
            source: "evalplus".to_owned(),
            dry_run: false,
        },
        ADMIN,
    );
    request.set_timeout(Duration::from_millis(1_500));
    let asked = Instant::now();
    let result = harness
        .client()
        .reingest_source(request)
        .await?
        .into_inner()
        .result
        .expect("a result");
    println!("answered after {:?}: {result:?}", asked.elapsed());
    assert_eq!(status(&result), pb::RunStatus::Running, "{result:?}");
    assert!(!result.run_id.is_empty());
    assert_eq!(result.source, "evalplus");

    // The run goes on without its caller and is followed to its end.
    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let run = get_run(&harness, &result.run_id).await?;
        if run.status != pb::RunStatus::Running as i32 {
            break run;
        }
        anyhow::ensure!(Instant::now() < deadline, "the run never ended: {run:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!("run ended after {:?}: {run:?}", asked.elapsed());
    assert_eq!(run.status, pb::RunStatus::Succeeded as i32, "{run:?}");
    assert!(run.inserted > 0);
    assert!(harness.observations("evalplus").await > 0);

    // A caller that gives up (its deadline passes mid-call) does not abort the write either.
    harness.replay.control().clear_faults();
    harness.replay.control().add_fault(Fault::new(
        "bigcodebench",
        FaultKind::Delay { millis: 2_000 },
    ));
    let mut impatient = authorized(
        pb::ReingestSourceRequest {
            source: "bigcodebench".to_owned(),
            dry_run: false,
        },
        ADMIN,
    );
    impatient.set_timeout(Duration::from_millis(300));
    let answer = harness.client().reingest_source(impatient).await;
    println!("impatient caller: {answer:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ingestion_runs WHERE source = 'bigcodebench' \
             AND status = 'succeeded'",
        )
        .fetch_one(&harness.db.pool)
        .await?;
        if done == 1 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the abandoned run never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(harness.observations("bigcodebench").await > 0);

    // A run that ends in time answers with its result, as before.
    let quick = harness.reingest("swebench", false).await?;
    assert_eq!(status(&quick), pb::RunStatus::Succeeded, "{quick:?}");
    harness.stop().await
}

#[tokio::test]
async fn get_ingestion_run_names_bad_ids_and_unknown_runs() -> anyhow::Result<()> {
    let harness = Harness::start(generated(4), |_| {}).await?;
    let bad = get_run(&harness, "not-a-uuid").await.expect_err("rejected");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("id"), "{}", bad.message());
    let unknown = get_run(&harness, "00000000-0000-0000-0000-000000000001")
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    let anonymous = harness
        .client()
        .get_ingestion_run(pb::GetIngestionRunRequest {
            id: "00000000-0000-0000-0000-000000000001".to_owned(),
        })
        .await
        .expect_err("needs a token");
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    let result = harness.reingest("evalplus", false).await?;
    let run = get_run(&harness, &result.run_id).await?;
    assert_eq!(run.id, result.run_id);
    assert_eq!(run.status, pb::RunStatus::Succeeded as i32);
    assert_eq!(run.inserted, result.inserted);
    harness.stop().await
}

/// A run whose process died (its source lock released) or hangs (its heartbeat stale while it still
/// holds the lock) is closed as interrupted by a running replica within a tick, not only when that
/// replica restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_whose_process_stopped_are_closed_by_any_replica() -> anyhow::Result<()> {
    let harness = Harness::start(generated(4), |config| {
        config.scheduler_tick = Duration::from_millis(200);
    })
    .await?;
    // Died: no process holds evalplus's lock.
    let died: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO ingestion_runs (source, trigger, status, heartbeat_at) \
         VALUES ('evalplus', 'manual', 'running', now()) RETURNING id",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    // Hangs: its lock is held (by this test's connection), but its heartbeat stopped two minutes ago.
    let mut holder = harness.db.pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(hashtextextended('benchhub.ingest.swebench', 0))")
        .execute(&mut *holder)
        .await?;
    let hung: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO ingestion_runs (source, trigger, status, heartbeat_at) \
         VALUES ('swebench', 'manual', 'running', now() - interval '2 minutes') RETURNING id",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    // Alive: lock held and a fresh heartbeat.
    sqlx::query("SELECT pg_advisory_lock(hashtextextended('benchhub.ingest.bigcodebench', 0))")
        .execute(&mut *holder)
        .await?;
    let alive: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO ingestion_runs (source, trigger, status, heartbeat_at) \
         VALUES ('bigcodebench', 'manual', 'running', now()) RETURNING id",
    )
    .fetch_one(&harness.db.pool)
    .await?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(20);
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ingestion_runs WHERE id = ANY($1) AND status = 'running'",
        )
        .bind(vec![died, hung])
        .fetch_one(&harness.db.pool)
        .await?;
        if open == 0 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "interrupted runs stayed running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("closed after {:?}", started.elapsed());
    for id in [died, hung] {
        let run = get_run(&harness, &id.to_string()).await?;
        assert_eq!(run.status, pb::RunStatus::Failed as i32, "{run:?}");
        assert!(run.error.starts_with("interrupted"), "{}", run.error);
        assert!(run.completed_at.is_some());
    }
    let alive_run = get_run(&harness, &alive.to_string()).await?;
    assert_eq!(alive_run.status, pb::RunStatus::Running as i32);
    drop(holder);
    harness.stop().await
}
