//! Suites and cases, paging, and bad inputs: every rejection names the field.

use benchhub_fake_provider::FakeConfig;
use benchhub_proto::pb;
use tonic::Code;

use crate::harness::{Harness, admin, cases, field_violation, limits, run_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suites_and_cases_are_stored_in_order_and_paged() {
    let harness = Harness::start(FakeConfig::new()).await;
    let mut client = harness.client().await;
    for index in 0..3 {
        client
            .create_suite(admin(pb::CreateSuiteRequest {
                name: format!("suite {index}"),
                description: "d".to_owned(),
            }))
            .await
            .expect("suite");
    }
    let first = client
        .list_suites(admin(pb::ListSuitesRequest {
            page_size: 2,
            ..pb::ListSuitesRequest::default()
        }))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(first.suites.len(), 2);
    assert_eq!(first.suites[0].name, "suite 2", "newest first");
    let second = client
        .list_suites(admin(pb::ListSuitesRequest {
            page_size: 2,
            page_token: first.next_page_token,
            ..pb::ListSuitesRequest::default()
        }))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(second.suites.len(), 1);
    assert!(second.next_page_token.is_empty());
    let searched = client
        .list_suites(admin(pb::ListSuitesRequest {
            search: "SUITE 1".to_owned(),
            ..pb::ListSuitesRequest::default()
        }))
        .await
        .expect("search")
        .into_inner();
    assert_eq!(searched.suites.len(), 1);

    let suite_id = first.suites[0].id.clone();
    let mut tagged = cases(5);
    tagged[1].tags = vec!["hard".to_owned()];
    tagged[3].tags = vec!["hard".to_owned(), "sql".to_owned()];
    tagged[4].grader = Some(pb::Grader {
        kind: Some(pb::grader::Kind::Contains(pb::ContainsGrader {
            needles: vec!["answer".to_owned()],
            all: true,
            case_insensitive: true,
        })),
    });
    let added = client
        .add_test_cases(admin(pb::AddTestCasesRequest {
            suite_id: suite_id.clone(),
            cases: tagged,
        }))
        .await
        .expect("cases")
        .into_inner();
    assert_eq!(added.case_count, 5);
    assert_eq!(
        added
            .cases
            .iter()
            .map(|case| case.position)
            .collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    let more = client
        .add_test_cases(admin(pb::AddTestCasesRequest {
            suite_id: suite_id.clone(),
            cases: cases(2),
        }))
        .await
        .expect("more")
        .into_inner();
    assert_eq!(more.case_count, 7);
    assert_eq!(more.cases[0].position, 5);
    let hard = client
        .list_test_cases(admin(pb::ListTestCasesRequest {
            suite_id: suite_id.clone(),
            tags: vec!["hard".to_owned()],
            ..pb::ListTestCasesRequest::default()
        }))
        .await
        .expect("tagged")
        .into_inner();
    assert_eq!(
        hard.cases
            .iter()
            .map(|case| case.position)
            .collect::<Vec<_>>(),
        vec![1, 3]
    );
    let paged = client
        .list_test_cases(admin(pb::ListTestCasesRequest {
            suite_id: suite_id.clone(),
            page_size: 4,
            ..pb::ListTestCasesRequest::default()
        }))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(paged.cases.len(), 4);
    let rest = client
        .list_test_cases(admin(pb::ListTestCasesRequest {
            suite_id: suite_id.clone(),
            page_size: 4,
            page_token: paged.next_page_token,
            ..pb::ListTestCasesRequest::default()
        }))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(rest.cases.len(), 3);
    assert!(rest.cases[..].iter().any(|case| case.grader.is_none()));
    let suite = client
        .get_suite(admin(pb::GetSuiteRequest {
            suite_id: suite_id.clone(),
        }))
        .await
        .expect("suite")
        .into_inner()
        .suite
        .expect("suite");
    assert_eq!(suite.case_count, 7);
    assert!(suite.updated_at.is_some());
    assert!(suite.last_completed_run_at.is_none());

    // A run of only the tagged cases.
    let dry = harness
        .create_run(pb::CreateRunRequest {
            case_tags: vec!["sql".to_owned()],
            dry_run: true,
            ..run_of(&suite_id, &["fake/good"], limits(1, 0))
        })
        .await;
    assert_eq!(dry.case_count, 1);
}

async fn expect_field(
    result: Result<tonic::Response<impl std::fmt::Debug>, tonic::Status>,
    code: Code,
    field: &str,
) -> tonic::Status {
    let status = result.expect_err("rejected");
    let (actual_code, actual_field) = field_violation(&status);
    assert_eq!(actual_code, code, "{status:?}");
    if !field.is_empty() {
        assert_eq!(actual_field, field, "{status:?}");
        assert!(status.message().contains(field), "{}", status.message());
    }
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_name_the_field() {
    let harness = Harness::start(FakeConfig::new()).await;
    let mut client = harness.client().await;
    expect_field(
        client
            .create_suite(admin(pb::CreateSuiteRequest {
                name: "  ".to_owned(),
                description: String::new(),
            }))
            .await,
        Code::InvalidArgument,
        "name",
    )
    .await;
    let suite_id = harness.suite("inputs", Vec::new()).await;
    let duplicate = client
        .create_suite(admin(pb::CreateSuiteRequest {
            name: "inputs".to_owned(),
            description: String::new(),
        }))
        .await
        .expect_err("duplicate");
    assert_eq!(duplicate.code(), Code::AlreadyExists);
    assert!(duplicate.message().contains("inputs"));

    expect_field(
        client
            .add_test_cases(admin(pb::AddTestCasesRequest {
                suite_id: "not-a-uuid".to_owned(),
                cases: cases(1),
            }))
            .await,
        Code::InvalidArgument,
        "suite_id",
    )
    .await;
    expect_field(
        client
            .add_test_cases(admin(pb::AddTestCasesRequest {
                suite_id: suite_id.clone(),
                cases: Vec::new(),
            }))
            .await,
        Code::InvalidArgument,
        "cases",
    )
    .await;
    let mut broken = cases(3);
    broken[1].input = "   ".to_owned();
    expect_field(
        client
            .add_test_cases(admin(pb::AddTestCasesRequest {
                suite_id: suite_id.clone(),
                cases: broken,
            }))
            .await,
        Code::InvalidArgument,
        "cases[1].input",
    )
    .await;
    let mut no_kind = cases(1);
    no_kind[0].grader = Some(pb::Grader { kind: None });
    expect_field(
        client
            .add_test_cases(admin(pb::AddTestCasesRequest {
                suite_id: suite_id.clone(),
                cases: no_kind,
            }))
            .await,
        Code::InvalidArgument,
        "cases[0].grader",
    )
    .await;
    assert_eq!(harness.db.count("test_cases").await, 0, "all or none");
    let unknown_suite = client
        .add_test_cases(admin(pb::AddTestCasesRequest {
            suite_id: uuid::Uuid::new_v4().to_string(),
            cases: cases(1),
        }))
        .await
        .expect_err("unknown suite");
    assert_eq!(unknown_suite.code(), Code::NotFound);

    // CreateRun: no cases at all.
    let empty = client
        .create_run(admin(run_of(&suite_id, &["fake/good"], limits(1, 0))))
        .await
        .expect_err("no cases");
    assert_eq!(empty.code(), Code::FailedPrecondition);
    assert!(
        empty.message().contains("add test cases"),
        "{}",
        empty.message()
    );
    let no_suite_no_cases = client
        .create_run(admin(pb::CreateRunRequest {
            models: vec!["fake/good".to_owned()],
            ..pb::CreateRunRequest::default()
        }))
        .await
        .expect_err("nothing to run");
    assert_eq!(no_suite_no_cases.code(), Code::FailedPrecondition);
    assert!(no_suite_no_cases.message().contains("ad_hoc_cases"));

    let with_cases = |models: Vec<&str>| pb::CreateRunRequest {
        ad_hoc_cases: cases(2),
        models: models.into_iter().map(str::to_owned).collect(),
        ..pb::CreateRunRequest::default()
    };
    expect_field(
        client.create_run(admin(with_cases(Vec::new()))).await,
        Code::InvalidArgument,
        "models",
    )
    .await;
    expect_field(
        client
            .create_run(admin(with_cases(vec!["fake/good", "gpt-4o"])))
            .await,
        Code::InvalidArgument,
        "models[1]",
    )
    .await;
    let unknown = expect_field(
        client
            .create_run(admin(with_cases(vec!["mistral/large"])))
            .await,
        Code::InvalidArgument,
        "models[0]",
    )
    .await;
    assert!(
        unknown.message().contains("known providers"),
        "{}",
        unknown.message()
    );
    let missing_key = client
        .create_run(admin(with_cases(vec!["anthropic/claude-sonnet-4-5"])))
        .await
        .expect_err("no key");
    assert_eq!(missing_key.code(), Code::FailedPrecondition);
    assert!(
        missing_key.message().contains("ANTHROPIC_API_KEY"),
        "{}",
        missing_key.message()
    );
    // A suite that does not exist is NOT_FOUND even when a model's provider is not configured here
    // (the named resource answers before the deployment's state).
    let unknown_suite_run = client
        .create_run(admin(run_of(
            &uuid::Uuid::new_v4().to_string(),
            &["anthropic/claude-sonnet-4-5"],
            limits(1, 0),
        )))
        .await
        .expect_err("unknown suite");
    assert_eq!(
        unknown_suite_run.code(),
        Code::NotFound,
        "{unknown_suite_run:?}"
    );
    expect_field(
        client
            .create_run(admin(pb::CreateRunRequest {
                repetitions: 11,
                ..with_cases(vec!["fake/good"])
            }))
            .await,
        Code::InvalidArgument,
        "repetitions",
    )
    .await;
    expect_field(
        client
            .create_run(admin(pb::CreateRunRequest {
                limits: Some(pb::RunLimits {
                    max_concurrency: 1_000,
                    ..pb::RunLimits::default()
                }),
                ..with_cases(vec!["fake/good"])
            }))
            .await,
        Code::InvalidArgument,
        "limits.max_concurrency",
    )
    .await;
    expect_field(
        client
            .create_run(admin(pb::CreateRunRequest {
                temperature: Some(3.0),
                ..with_cases(vec!["fake/good"])
            }))
            .await,
        Code::InvalidArgument,
        "temperature",
    )
    .await;
    let mut bad_ad_hoc = cases(2);
    bad_ad_hoc[1].input.clear();
    expect_field(
        client
            .create_run(admin(pb::CreateRunRequest {
                ad_hoc_cases: bad_ad_hoc,
                models: vec!["fake/good".to_owned()],
                ..pb::CreateRunRequest::default()
            }))
            .await,
        Code::InvalidArgument,
        "ad_hoc_cases[1].input",
    )
    .await;
    expect_field(
        client
            .create_run(admin(pb::CreateRunRequest {
                grader: Some(pb::Grader {
                    kind: Some(pb::grader::Kind::Regex(pb::RegexGrader {
                        pattern: String::new(),
                    })),
                }),
                ..with_cases(vec!["fake/good"])
            }))
            .await,
        Code::InvalidArgument,
        "grader.regex.pattern",
    )
    .await;
    // Patterns and schemas are compiled as the judge will compile them, so a run that could only fail
    // at grading is refused when it is created.
    let bad_pattern = expect_field(
        client
            .create_run(admin(pb::CreateRunRequest {
                grader: Some(pb::Grader {
                    kind: Some(pb::grader::Kind::Regex(pb::RegexGrader {
                        pattern: "(unclosed".to_owned(),
                    })),
                }),
                ..with_cases(vec!["fake/good"])
            }))
            .await,
        Code::InvalidArgument,
        "grader.regex.pattern",
    )
    .await;
    assert!(
        bad_pattern
            .message()
            .contains("not a valid regular expression"),
        "{}",
        bad_pattern.message()
    );
    expect_field(
        client
            .create_run(admin(pb::CreateRunRequest {
                grader: Some(pb::Grader {
                    kind: Some(pb::grader::Kind::JsonSchema(pb::JsonSchemaGrader {
                        schema_json: r#"{"type":"no-such-type"}"#.to_owned(),
                    })),
                }),
                ..with_cases(vec!["fake/good"])
            }))
            .await,
        Code::InvalidArgument,
        "grader.json_schema.schema_json",
    )
    .await;
    assert_eq!(
        harness.db.count("benchmark_runs").await,
        0,
        "nothing was stored"
    );
    assert_eq!(harness.fake.stats().total_calls, 0, "nothing was called");

    expect_field(
        client
            .list_runs(admin(pb::ListRunsRequest {
                page_size: -1,
                ..pb::ListRunsRequest::default()
            }))
            .await,
        Code::InvalidArgument,
        "page_size",
    )
    .await;
    expect_field(
        client
            .list_runs(admin(pb::ListRunsRequest {
                page_token: "garbage".to_owned(),
                ..pb::ListRunsRequest::default()
            }))
            .await,
        Code::InvalidArgument,
        "page_token",
    )
    .await;
    expect_field(
        client
            .list_runs(admin(pb::ListRunsRequest {
                status: 42,
                ..pb::ListRunsRequest::default()
            }))
            .await,
        Code::InvalidArgument,
        "status",
    )
    .await;
    expect_field(
        client
            .get_run(admin(pb::GetRunRequest {
                run_id: String::new(),
            }))
            .await,
        Code::InvalidArgument,
        "run_id",
    )
    .await;
    let unknown_run = client
        .get_run(admin(pb::GetRunRequest {
            run_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .expect_err("unknown");
    assert_eq!(unknown_run.code(), Code::NotFound);
}
