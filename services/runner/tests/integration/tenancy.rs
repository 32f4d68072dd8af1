//! Tenants see nothing of each other, even by id; roles gate mutations.

use std::time::Duration;

use benchhub_common::auth::Role;
use benchhub_fake_provider::FakeConfig;
use benchhub_proto::pb;
use benchhub_testkit::authorized;
use sqlx::Connection;

use crate::harness::{Harness, cases, exact, limits};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_tenant_sees_nothing_of_the_first_even_by_id() {
    let harness = Harness::start(FakeConfig::new()).await;
    let alice = harness.token(Role::Runner, "alice").await;
    let bob = harness.token(Role::Runner, "bob").await;
    let mut client = harness.client().await;

    let suite = client
        .create_suite(authorized(
            pb::CreateSuiteRequest {
                name: "shared-name".to_owned(),
                description: "alice's".to_owned(),
            },
            &alice,
        ))
        .await
        .expect("suite")
        .into_inner()
        .suite
        .expect("suite");
    assert_eq!(suite.tenant_id, "alice");
    let added = client
        .add_test_cases(authorized(
            pb::AddTestCasesRequest {
                suite_id: suite.id.clone(),
                cases: cases(3),
            },
            &alice,
        ))
        .await
        .expect("cases")
        .into_inner();
    let run = client
        .create_run(authorized(
            pb::CreateRunRequest {
                suite_id: suite.id.clone(),
                models: vec!["fake/good".to_owned()],
                grader: Some(exact()),
                limits: Some(limits(4, 0)),
                ..pb::CreateRunRequest::default()
            },
            &alice,
        ))
        .await
        .expect("run")
        .into_inner()
        .run
        .expect("run");
    assert_eq!(run.tenant_id, "alice");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let current = client
            .get_run(authorized(
                pb::GetRunRequest {
                    run_id: run.id.clone(),
                },
                &alice,
            ))
            .await
            .expect("alice sees her run")
            .into_inner()
            .run
            .expect("run");
        if current.status == pb::BenchmarkRunStatus::Completed as i32 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "run did not complete");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Bob may use the same suite name: names are unique per tenant.
    client
        .create_suite(authorized(
            pb::CreateSuiteRequest {
                name: "shared-name".to_owned(),
                description: String::new(),
            },
            &bob,
        ))
        .await
        .expect("bob's own suite");

    let suites = client
        .list_suites(authorized(pb::ListSuitesRequest::default(), &bob))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(suites.suites.len(), 1);
    assert!(suites.suites.iter().all(|listed| listed.id != suite.id));
    let runs = client
        .list_runs(authorized(pb::ListRunsRequest::default(), &bob))
        .await
        .expect("list")
        .into_inner();
    assert!(runs.runs.is_empty());

    let not_found = |result: Result<(), tonic::Status>, what: &str| match result {
        Err(status) => assert_eq!(status.code(), tonic::Code::NotFound, "{what}: {status:?}"),
        Ok(()) => panic!("{what}: bob saw alice's data"),
    };
    not_found(
        client
            .get_suite(authorized(
                pb::GetSuiteRequest {
                    suite_id: suite.id.clone(),
                },
                &bob,
            ))
            .await
            .map(|_| ()),
        "GetSuite",
    );
    not_found(
        client
            .list_test_cases(authorized(
                pb::ListTestCasesRequest {
                    suite_id: suite.id.clone(),
                    ..pb::ListTestCasesRequest::default()
                },
                &bob,
            ))
            .await
            .map(|_| ()),
        "ListTestCases",
    );
    not_found(
        client
            .add_test_cases(authorized(
                pb::AddTestCasesRequest {
                    suite_id: suite.id.clone(),
                    cases: cases(1),
                },
                &bob,
            ))
            .await
            .map(|_| ()),
        "AddTestCases",
    );
    not_found(
        client
            .create_run(authorized(
                pb::CreateRunRequest {
                    suite_id: suite.id.clone(),
                    models: vec!["fake/good".to_owned()],
                    ..pb::CreateRunRequest::default()
                },
                &bob,
            ))
            .await
            .map(|_| ()),
        "CreateRun on alice's suite",
    );
    for (name, call) in [
        ("GetRun", 0),
        ("ListRunResults", 1),
        ("WatchRun", 2),
        ("CancelRun", 3),
        ("RetryRun", 4),
        ("CompareRuns", 5),
    ] {
        let run_id = run.id.clone();
        let result = match call {
            0 => client
                .get_run(authorized(pb::GetRunRequest { run_id }, &bob))
                .await
                .map(|_| ()),
            1 => client
                .list_run_results(authorized(
                    pb::ListRunResultsRequest {
                        run_id,
                        ..pb::ListRunResultsRequest::default()
                    },
                    &bob,
                ))
                .await
                .map(|_| ()),
            2 => client
                .watch_run(authorized(
                    pb::WatchRunRequest {
                        run_id,
                        replay_results: true,
                    },
                    &bob,
                ))
                .await
                .map(|_| ()),
            3 => client
                .cancel_run(authorized(pb::CancelRunRequest { run_id }, &bob))
                .await
                .map(|_| ()),
            4 => client
                .retry_run(authorized(pb::RetryRunRequest { run_id }, &bob))
                .await
                .map(|_| ()),
            _ => client
                .compare_runs(authorized(
                    pb::CompareRunsRequest {
                        run_a_id: run_id.clone(),
                        run_b_id: run_id,
                    },
                    &bob,
                ))
                .await
                .map(|_| ()),
        };
        not_found(result, name);
    }
    not_found(
        client
            .get_suite_stats(authorized(
                pb::GetSuiteStatsRequest {
                    suite_id: suite.id.clone(),
                    since: None,
                },
                &bob,
            ))
            .await
            .map(|_| ()),
        "GetSuiteStats",
    );

    // Postgres itself enforces it: as the application role with bob's tenant, alice's rows are
    // invisible, whatever the query.
    let mut connection = sqlx::PgConnection::connect(&harness.db.url)
        .await
        .expect("connection");
    let mut transaction = connection.begin().await.expect("transaction");
    sqlx::query("SET LOCAL ROLE benchhub_app")
        .execute(&mut *transaction)
        .await
        .expect("role");
    sqlx::query("SELECT set_config('benchhub.tenant_id', 'bob', true)")
        .execute(&mut *transaction)
        .await
        .expect("tenant");
    for table in ["test_cases", "benchmark_runs", "benchmark_results"] {
        let visible: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *transaction)
            .await
            .expect("count");
        assert_eq!(visible, 0, "bob sees rows of {table}");
    }
    transaction.rollback().await.expect("rollback");
    assert_eq!(harness.db.count("benchmark_results").await, 3);
    assert_eq!(added.case_count, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_read_and_runners_mutate() {
    let harness = Harness::start(FakeConfig::new()).await;
    let reader = harness.token(Role::Reader, "default").await;
    let suite_id = harness.suite("roles", cases(1)).await;
    let mut client = harness.client().await;
    let denied = client
        .create_suite(authorized(
            pb::CreateSuiteRequest {
                name: "nope".to_owned(),
                description: String::new(),
            },
            &reader,
        ))
        .await
        .expect_err("readers cannot create");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let denied = client
        .create_run(authorized(
            pb::CreateRunRequest {
                suite_id: suite_id.clone(),
                models: vec!["fake/good".to_owned()],
                ..pb::CreateRunRequest::default()
            },
            &reader,
        ))
        .await
        .expect_err("readers cannot run");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let suite = client
        .get_suite(authorized(pb::GetSuiteRequest { suite_id }, &reader))
        .await
        .expect("readers read")
        .into_inner()
        .suite
        .expect("suite");
    assert_eq!(suite.case_count, 1);
    let anonymous = client
        .list_suites(tonic::Request::new(pb::ListSuitesRequest::default()))
        .await
        .expect_err("a token is required");
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
}
