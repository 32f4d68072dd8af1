//! WatchRun from the start, mid-run and after the end; kill-and-resume; lease takeover.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use benchhub_fake_provider::FakeConfig;
use benchhub_proto::pb;
use benchhub_proto::pb::watch_run_response::Event;

use crate::harness::{Harness, RunnerOptions, admin, cases, limits, run_of};

/// What a watcher saw.
#[derive(Default, Debug)]
struct Seen {
    statuses: Vec<(i32, i32)>,
    results: Vec<(String, String, i32)>,
    progress: usize,
    summary: Option<pb::Run>,
    sequences: Vec<i64>,
}

async fn watch(harness: &Harness, run_id: &str, replay: bool) -> Seen {
    let mut stream = harness
        .client()
        .await
        .watch_run(admin(pb::WatchRunRequest {
            run_id: run_id.to_owned(),
            replay_results: replay,
        }))
        .await
        .expect("watch")
        .into_inner();
    let mut seen = Seen::default();
    while let Some(message) = stream.message().await.expect("event") {
        seen.sequences.push(message.sequence);
        assert!(seen.summary.is_none(), "nothing follows the summary");
        match message.event.expect("an event") {
            Event::StatusChange(change) => seen.statuses.push((change.previous, change.current)),
            Event::Result(result) => seen.results.push((
                result.case_id.clone(),
                result.model.clone(),
                result.repetition,
            )),
            Event::Progress(_) => seen.progress += 1,
            Event::Summary(run) => seen.summary = Some(run),
        }
    }
    seen
}

fn assert_well_formed(seen: &Seen) {
    let expected: Vec<i64> = (1..=seen.sequences.len() as i64).collect();
    assert_eq!(seen.sequences, expected, "sequence numbers count from 1");
    assert_eq!(
        seen.statuses.first().map(|(previous, _)| *previous),
        Some(pb::BenchmarkRunStatus::Unspecified as i32),
        "the first event reports the current state"
    );
    let unique: HashSet<_> = seen.results.iter().collect();
    assert_eq!(unique.len(), seen.results.len(), "no result is sent twice");
    let summary = seen.summary.as_ref().expect("a summary ends the stream");
    assert_eq!(summary.status, pb::BenchmarkRunStatus::Completed as i32);
    assert!(seen.progress >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_start_mid_run_and_after_the_end() {
    let harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("watch", cases(12)).await;
    let created = harness
        .create_run(run_of(
            &suite,
            &["fake/good+latency=60ms", "fake/okay+latency=60ms"],
            limits(2, 0),
        ))
        .await;
    let from_start = tokio::spawn({
        let client_harness_run = created.id.clone();
        let channel = harness.client().await;
        async move {
            let mut client = channel;
            let mut stream = client
                .watch_run(admin(pb::WatchRunRequest {
                    run_id: client_harness_run,
                    replay_results: true,
                }))
                .await
                .expect("watch")
                .into_inner();
            let mut results = HashSet::new();
            let mut summary = None;
            let mut statuses = Vec::new();
            while let Some(message) = stream.message().await.expect("event") {
                match message.event.expect("event") {
                    Event::Result(result) => {
                        assert!(results.insert((result.case_id, result.model, result.repetition)));
                    }
                    Event::Summary(run) => summary = Some(run),
                    Event::StatusChange(change) => statuses.push(change.current),
                    Event::Progress(_) => {}
                }
            }
            (results.len(), summary, statuses)
        }
    });
    harness
        .wait_done(&created.id, 6, Duration::from_secs(30))
        .await;
    let mid_replay = tokio::spawn({
        let run_id = created.id.clone();
        let mut client = harness.client().await;
        async move {
            let mut stream = client
                .watch_run(admin(pb::WatchRunRequest {
                    run_id,
                    replay_results: true,
                }))
                .await
                .expect("watch")
                .into_inner();
            let mut results = HashSet::new();
            let mut ended = false;
            while let Some(message) = stream.message().await.expect("event") {
                match message.event.expect("event") {
                    Event::Result(result) => {
                        assert!(results.insert((result.case_id, result.model, result.repetition)));
                    }
                    Event::Summary(_) => ended = true,
                    _ => {}
                }
            }
            (results.len(), ended)
        }
    });
    let mid_live = watch(&harness, &created.id, false).await;
    assert_well_formed(&mid_live);
    assert!(
        mid_live.results.len() < 24,
        "results recorded before the watch are not replayed: {}",
        mid_live.results.len()
    );

    let (start_count, start_summary, start_statuses) = from_start.await.expect("watcher");
    assert_eq!(
        start_count, 24,
        "the watcher from the start saw every result once"
    );
    let summary = start_summary.expect("summary");
    assert_eq!(summary.status, pb::BenchmarkRunStatus::Completed as i32);
    assert_eq!(summary.counts.as_ref().map(|c| c.done), Some(24));
    assert!(start_statuses.contains(&(pb::BenchmarkRunStatus::Completed as i32)));
    let (replayed, ended) = mid_replay.await.expect("watcher");
    assert_eq!(
        replayed, 24,
        "a mid-run watcher with replay sees earlier results too"
    );
    assert!(ended);

    let after = watch(&harness, &created.id, true).await;
    assert_well_formed(&after);
    assert_eq!(after.results.len(), 24);
    assert_eq!(after.statuses.len(), 1);
    let quiet = watch(&harness, &created.id, false).await;
    assert!(quiet.results.is_empty());
    assert!(quiet.summary.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runner_resumes_without_calling_any_pair_twice() {
    let mut harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("resume", cases(30)).await;
    let created = harness
        .create_run(run_of(
            &suite,
            &["fake/good+latency=80ms", "fake/okay+latency=50ms..120ms"],
            limits(4, 0),
        ))
        .await;
    harness
        .wait_done(&created.id, 12, Duration::from_secs(30))
        .await;
    harness.stop_runner().await;
    let done_before = harness
        .db
        .count(&format!(
            "benchmark_results WHERE run_id = '{}'",
            created.id
        ))
        .await;
    let status: String =
        sqlx::query_scalar("SELECT status FROM benchmark_runs WHERE id = $1::uuid")
            .bind(&created.id)
            .fetch_one(&harness.db.pool)
            .await
            .expect("status");
    assert_eq!(
        status, "running",
        "a stopped runner gives the run back, still running"
    );
    assert!((12..60).contains(&done_before), "{done_before}");
    assert_eq!(
        harness.fake.stats().total_calls as i64,
        done_before,
        "every call started before the stop was finished and recorded"
    );

    harness.start_runner(RunnerOptions::default()).await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(60))
        .await;
    assert_eq!(run.status, pb::BenchmarkRunStatus::Completed as i32);
    assert_eq!(run.counts.as_ref().map(|c| c.done), Some(60));
    let stats = harness.fake.stats();
    assert_eq!(stats.total_calls, 60);
    assert_eq!(stats.max_calls_per_pair, 1, "no pair was called twice");
    assert_eq!(harness.results(&run.id).await.len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_takes_over_an_expired_lease() {
    let mut harness = Harness::start_with(
        FakeConfig::new(),
        RunnerOptions {
            worker: false,
            ..RunnerOptions::default()
        },
    )
    .await;
    let suite = harness.suite("lease", cases(4)).await;
    let created = harness
        .create_run(run_of(&suite, &["fake/good"], limits(4, 0)))
        .await;
    // A replica claimed it and died: its lease runs out in 1.5 s.
    sqlx::query(
        "UPDATE benchmark_runs SET status = 'running', claimed_by = 'ghost/0', started_at = now(), \
             lease_expires_at = now() + interval '1500 milliseconds' WHERE id = $1::uuid",
    )
    .bind(&created.id)
    .execute(&harness.db.pool)
    .await
    .expect("ghost claim");
    let started = Instant::now();
    harness.stop_runner().await;
    harness.start_runner(RunnerOptions::default()).await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(30))
        .await;
    assert_eq!(run.status, pb::BenchmarkRunStatus::Completed as i32);
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "the live lease was respected until it expired"
    );
    let claimed_by: String =
        sqlx::query_scalar("SELECT claimed_by FROM benchmark_runs WHERE id = $1::uuid")
            .bind(&created.id)
            .fetch_one(&harness.db.pool)
            .await
            .expect("claim");
    assert!(!claimed_by.starts_with("ghost"), "{claimed_by}");
    assert_eq!(harness.fake.stats().total_calls, 4);
}
