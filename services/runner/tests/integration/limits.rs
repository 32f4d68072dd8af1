//! Provider limits shared by runner replicas on one database: max concurrency, the adaptive decrease
//! on 429 answers and the rate limit hold across replicas, and a dead replica's share comes back.

use std::time::Duration;

use benchhub_fake_provider::{FakeConfig, Latency, ModelBehavior, Quality};
use benchhub_proto::pb;
use benchhub_proto::pb::runner_service_client::RunnerServiceClient;
use benchhub_runner::domain::limits::AdaptiveTuning;
use benchhub_runner::repo::limits::{SyncInput, release, sync, take_rate};
use benchhub_testkit::{TestDb, TestServer};

use crate::harness::{Harness, RunnerOptions, admin, cases, limits, run_of};

fn slow() -> FakeConfig {
    FakeConfig::new().with_model(
        "slow",
        ModelBehavior::oracle(Quality::Good)
            .with_latency(Latency::fixed(Duration::from_millis(100))),
    )
}

/// Two replicas, each running its own run of 24 calls with a per-run limit of 8, against a provider
/// limited to 4: the fake provider never sees more than 4 calls at once, and both runs complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_exceed_the_providers_limit_together() {
    // One run at a time per replica, so each replica executes one of the two runs.
    let options = RunnerOptions {
        provider_concurrency: 4,
        max_active_runs: 1,
        ..RunnerOptions::default()
    };
    let harness = Harness::start_with(slow(), options.clone()).await;
    let mut config = harness.runner_config(&options);
    config.replica_id = Some("replica-b".to_owned());
    let second =
        TestServer::start(|listener, shutdown| benchhub_runner::run(config, listener, shutdown))
            .await
            .expect("second runner");
    second
        .wait_serving(Duration::from_secs(30))
        .await
        .expect("second runner serving");
    let suite = harness.suite("shared-limit", cases(24)).await;

    let first = harness
        .create_run(run_of(&suite, &["fake/slow"], limits(8, 0)))
        .await;
    harness
        .wait_done(&first.id, 1, Duration::from_secs(30))
        .await;
    let other = RunnerServiceClient::new(second.channel().await.expect("channel"))
        .create_run(admin(run_of(&suite, &["fake/slow"], limits(8, 0))))
        .await
        .expect("run on the second replica")
        .into_inner()
        .run
        .expect("run");
    for run_id in [&first.id, &other.id] {
        let run = harness.wait_ended(run_id, Duration::from_secs(60)).await;
        assert_eq!(
            run.status,
            pb::BenchmarkRunStatus::Completed as i32,
            "{run:?}"
        );
        assert_eq!(run.counts.expect("counts").done, 24);
    }
    let stats = harness.fake.stats();
    assert_eq!(stats.total_calls, 48);
    assert!(
        (1..=4).contains(&stats.max_in_flight),
        "{} calls in flight at once against a limit of 4",
        stats.max_in_flight
    );
    let claims: Vec<String> = sqlx::query_scalar(
        "SELECT split_part(claimed_by, '/', 1) FROM benchmark_runs WHERE id = ANY($1::uuid[])",
    )
    .bind(vec![first.id.clone(), other.id.clone()])
    .fetch_all(&harness.db.pool)
    .await
    .expect("claims");
    assert_eq!(claims.len(), 2);
    assert!(
        claims.iter().any(|claim| claim == "replica-b"),
        "one run executed on the second replica: {claims:?}"
    );
    second.stop().await.expect("second runner stopped");
    // Both replicas give their shares back when they go idle or stop.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let held: i64 =
            sqlx::query_scalar("SELECT COALESCE(SUM(held), 0) FROM provider_slot_grants")
                .fetch_one(&harness.db.pool)
                .await
                .expect("grants");
        if held == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{held} slots still held by idle replicas"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn input<'a>(
    replica: &'a str,
    (in_flight, cap): (u32, u32),
    wanted: u32,
    throttled: u64,
) -> SyncInput<'a> {
    SyncInput {
        provider: "openai",
        replica,
        max_concurrency: 10,
        in_flight,
        cap,
        wanted,
        successes: 0,
        throttled,
        tuning: AdaptiveTuning {
            decrease_factor: 0.5,
            decrease_cooldown: Duration::from_secs(60),
        },
        lease: Duration::from_secs(30),
    }
}

/// A 429 seen by one replica halves the provider's limit for every replica; the other one's share
/// shrinks with it, and successes reported by either grow it back.
#[tokio::test]
async fn a_429_on_one_replica_lowers_the_limit_of_every_replica() {
    let db = TestDb::new().await.expect("test database");
    let a = sync(&db.pool, &input("a", (0, 0), 10, 0))
        .await
        .expect("sync a");
    assert_eq!((a.grant.cap, a.limit.current), (10, 10));
    // b wants 10 too: nothing is free until a shrinks to its half.
    let b = sync(&db.pool, &input("b", (0, 0), 10, 0))
        .await
        .expect("sync b");
    assert_eq!(b.grant.cap, 0);
    assert_eq!(b.replicas, 2);
    // a is throttled: the shared limit halves (10 → 5) and a's cap is its half of 5.
    let a = sync(&db.pool, &input("a", (10, 10), 10, 1))
        .await
        .expect("sync a");
    assert_eq!(a.limit.current, 5);
    assert_eq!(a.limit.throttled, 1);
    assert_eq!(
        (a.grant.cap, a.grant.held),
        (3, 10),
        "its calls in flight stay held until they finish"
    );
    // A second 429 inside the cooldown is counted but does not cut again.
    let a = sync(&db.pool, &input("a", (3, 3), 10, 1))
        .await
        .expect("sync a");
    assert_eq!((a.limit.current, a.limit.throttled), (5, 2));
    assert_eq!(a.grant.held, 3);
    // b never saw a 429, but its share follows the lowered limit.
    let b = sync(&db.pool, &input("b", (0, 0), 10, 0))
        .await
        .expect("sync b");
    assert_eq!((b.limit.current, b.grant.cap), (5, 2));
    // Five successes (a window as long as the limit) add one slot, wherever they happened.
    let mut grow = input("b", (2, 2), 10, 0);
    grow.successes = 5;
    let b = sync(&db.pool, &grow).await.expect("sync b");
    assert_eq!(b.limit.current, 6);
    let held: i64 = sqlx::query_scalar("SELECT SUM(held) FROM provider_slot_grants")
        .fetch_one(&db.pool)
        .await
        .expect("held");
    assert!(held <= 6, "{held} slots held under a limit of 6");
    release(&db.pool, "openai", "a").await.expect("release a");
    release(&db.pool, "openai", "b").await.expect("release b");
    db.pool.close().await;
}

/// A replica that dies keeps its share only until its lease runs out.
#[tokio::test]
async fn a_dead_replicas_share_returns_when_its_lease_expires() {
    let db = TestDb::new().await.expect("test database");
    let mut ghost = input("ghost", (10, 0), 10, 0);
    ghost.lease = Duration::from_millis(300);
    assert_eq!(sync(&db.pool, &ghost).await.expect("ghost").grant.cap, 10);
    let live = sync(&db.pool, &input("live", (0, 0), 10, 0))
        .await
        .expect("live");
    assert_eq!(live.grant.cap, 0, "the ghost's lease is still running");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let live = sync(&db.pool, &input("live", (0, 0), 10, 0))
        .await
        .expect("live");
    assert_eq!(live.grant.cap, 10);
    let replicas: Vec<String> = sqlx::query_scalar("SELECT replica FROM provider_slot_grants")
        .fetch_all(&db.pool)
        .await
        .expect("grants");
    assert_eq!(replicas, ["live"]);
    db.pool.close().await;
}

/// The rate limit is one budget for every replica: at 60 requests per minute (bursts of one), the
/// second request waits about a second whichever replica asks.
#[tokio::test]
async fn the_rate_limit_is_one_budget_for_every_replica() {
    let db = TestDb::new().await.expect("test database");
    assert_eq!(
        take_rate(&db.pool, "slowapi", 4, 60).await.expect("first"),
        None
    );
    let wait = take_rate(&db.pool, "slowapi", 4, 60)
        .await
        .expect("second")
        .expect("must wait");
    assert!(
        wait > Duration::from_millis(800) && wait <= Duration::from_secs(1),
        "{wait:?}"
    );
    // At 600 per minute, bursts of 10 start at once and the 11th waits.
    for index in 0..10 {
        assert_eq!(
            take_rate(&db.pool, "fastapi", 4, 600).await.expect("take"),
            None,
            "request {index} of the burst"
        );
    }
    assert!(
        take_rate(&db.pool, "fastapi", 4, 600)
            .await
            .expect("take")
            .is_some()
    );
    db.pool.close().await;
}
