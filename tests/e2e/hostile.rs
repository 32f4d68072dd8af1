//! Oversized and malformed requests on every mutating RPC answer a clear Status naming the field,
//! and leave every table's row count unchanged.

use std::collections::BTreeMap;

use benchhub_proto::pb;
use benchhub_testkit::authorized;
use tokio_stream::StreamExt;
use tonic::{Code, Status};

use crate::stack::{ADMIN_TOKEN, Stack};

/// Row counts of every user table.
pub(crate) async fn row_counts(pool: &sqlx::PgPool) -> anyhow::Result<BTreeMap<String, i64>> {
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT relname::text FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname")
            .fetch_all(pool)
            .await?;
    anyhow::ensure!(
        tables.len() >= 10,
        "expected the schema's tables, found {tables:?}"
    );
    let mut counts = BTreeMap::new();
    for (table,) in tables {
        let (count,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM \"{table}\""))
            .fetch_one(pool)
            .await?;
        counts.insert(table, count);
    }
    Ok(counts)
}

/// Collects every answer that is not one of `codes` with a message naming one of `fields`.
#[derive(Default)]
struct Verdicts {
    checked: usize,
    wrong: Vec<String>,
}

impl Verdicts {
    fn check<T: std::fmt::Debug>(
        &mut self,
        label: &str,
        answer: Result<T, Status>,
        codes: &[Code],
        fields: &[&str],
    ) {
        self.checked += 1;
        match answer {
            Ok(value) => {
                let text = format!("{value:?}");
                let text: String = text.chars().take(200).collect();
                self.wrong.push(format!("{label}: accepted ({text})"));
            }
            Err(status) => {
                let message = status.message().to_lowercase();
                let message_short: String = message.chars().take(300).collect();
                if !codes.contains(&status.code()) {
                    self.wrong.push(format!(
                        "{label}: code {:?} not in {codes:?}: {message_short}",
                        status.code()
                    ));
                } else if !fields.is_empty() && !fields.iter().any(|field| message.contains(field))
                {
                    self.wrong.push(format!(
                        "{label}: message does not name any of {fields:?}: {message_short}"
                    ));
                }
            }
        }
    }
}

const INVALID: &[Code] = &[Code::InvalidArgument];
const INVALID_OR_TOO_MANY: &[Code] = &[
    Code::InvalidArgument,
    Code::ResourceExhausted,
    Code::OutOfRange,
];
const MISSING: &[Code] = &[Code::NotFound];
const INVALID_OR_MISSING: &[Code] = &[Code::InvalidArgument, Code::NotFound];
const MISSING_OR_PRECONDITION: &[Code] = &[
    Code::NotFound,
    Code::FailedPrecondition,
    Code::InvalidArgument,
];

fn admin<T>(message: T) -> tonic::Request<T> {
    authorized(message, ADMIN_TOKEN)
}

fn case(input: &str) -> pb::TestCaseSpec {
    pb::TestCaseSpec {
        input: input.to_owned(),
        expected_output: "4".to_owned(),
        ..Default::default()
    }
}

fn grader(kind: pb::grader::Kind) -> Option<pb::Grader> {
    Some(pb::Grader { kind: Some(kind) })
}

fn regex(pattern: &str) -> Option<pb::Grader> {
    grader(pb::grader::Kind::Regex(pb::RegexGrader {
        pattern: pattern.to_owned(),
    }))
}

fn schema(schema_json: &str) -> Option<pb::Grader> {
    grader(pb::grader::Kind::JsonSchema(pb::JsonSchemaGrader {
        schema_json: schema_json.to_owned(),
    }))
}

#[tokio::test]
async fn malformed_requests_answer_a_clear_status_and_change_nothing() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let mut ingest =
        pb::ingest_service_client::IngestServiceClient::new(stack.ingest.channel().await?);
    let mut tokens =
        pb::token_service_client::TokenServiceClient::new(stack.ingest.channel().await?);
    let mut runner =
        pb::runner_service_client::RunnerServiceClient::new(stack.runner.channel().await?);
    let mut judge = pb::judge_service_client::JudgeServiceClient::new(stack.judge.channel().await?);

    // One real suite, so case and run validation is reached past the suite lookup.
    let suite = runner
        .create_suite(authorized(
            pb::CreateSuiteRequest {
                name: "hostile".into(),
                description: String::new(),
            },
            ADMIN_TOKEN,
        ))
        .await?
        .into_inner()
        .suite
        .expect("a suite");
    let suite_id = suite.id;
    let absent_id = "7d0c7f62-1b9e-4c1e-9a57-3f5d2a9b8c01".to_owned();
    let long = "x".repeat(100_000);

    let before = row_counts(&stack.db.pool).await?;
    let mut verdicts = Verdicts::default();

    // IngestService.
    let reingest = |source: &str| pb::ReingestSourceRequest {
        source: source.to_owned(),
        dry_run: false,
    };
    verdicts.check(
        "ReingestSource empty source",
        ingest
            .reingest_source(authorized(reingest(""), ADMIN_TOKEN))
            .await,
        INVALID,
        &["source"],
    );
    verdicts.check(
        "ReingestSource unknown source",
        ingest
            .reingest_source(authorized(reingest("no-such-source"), ADMIN_TOKEN))
            .await,
        INVALID_OR_MISSING,
        &["source"],
    );
    verdicts.check(
        "ReingestSource over-long source",
        ingest
            .reingest_source(authorized(reingest(&long), ADMIN_TOKEN))
            .await,
        INVALID_OR_MISSING,
        &["source"],
    );
    for (label, request) in [
        (
            "ReingestAll unknown source",
            pb::ReingestAllRequest {
                sources: vec!["no-such-source".into()],
                ..Default::default()
            },
        ),
        (
            "ReingestAll negative max_concurrency",
            pb::ReingestAllRequest {
                sources: vec!["no-such-source".into()],
                max_concurrency: -1,
                ..Default::default()
            },
        ),
        (
            "ReingestAll over-long source",
            pb::ReingestAllRequest {
                sources: vec![long.clone()],
                ..Default::default()
            },
        ),
        (
            "ReingestAll huge sources",
            pb::ReingestAllRequest {
                sources: vec!["no-such-source".into(); 100_000],
                ..Default::default()
            },
        ),
    ] {
        let answer = match ingest.reingest_all(authorized(request, ADMIN_TOKEN)).await {
            Err(status) => Err(status),
            Ok(response) => match response.into_inner().next().await {
                Some(Err(status)) => Err(status),
                Some(Ok(first)) => Ok(Some(first)),
                None => Ok(None),
            },
        };
        verdicts.check(
            label,
            answer,
            INVALID_OR_MISSING,
            &["source", "max_concurrency"],
        );
    }
    let alias = |source: &str, alias: &str, model_id: &str| pb::AddModelAliasRequest {
        source: source.to_owned(),
        alias: alias.to_owned(),
        model_id: model_id.to_owned(),
    };
    for (label, request, codes, fields) in [
        (
            "AddModelAlias empty source",
            alias("", "gpt4", "gpt-4o"),
            INVALID,
            &["source"][..],
        ),
        (
            "AddModelAlias unknown source",
            alias("no-such-source", "gpt4", "gpt-4o"),
            INVALID_OR_MISSING,
            &["source"],
        ),
        (
            "AddModelAlias empty alias",
            alias("lmarena", "", "gpt-4o"),
            INVALID,
            &["alias"],
        ),
        (
            "AddModelAlias over-long alias",
            alias("lmarena", &long, "gpt-4o"),
            INVALID,
            &["alias"],
        ),
        (
            "AddModelAlias empty model_id",
            alias("lmarena", "gpt4", ""),
            INVALID,
            &["model_id"],
        ),
        (
            "AddModelAlias unknown model",
            alias("lmarena", "gpt4", "no-such-model"),
            MISSING_OR_PRECONDITION,
            &["model"],
        ),
    ] {
        verdicts.check(
            label,
            ingest.add_model_alias(admin(request)).await,
            codes,
            fields,
        );
    }
    let unalias = |source: &str, alias: &str| pb::RemoveModelAliasRequest {
        source: source.to_owned(),
        alias: alias.to_owned(),
    };
    for (label, request, codes, fields) in [
        (
            "RemoveModelAlias empty source",
            unalias("", "gpt4"),
            INVALID,
            &["source"][..],
        ),
        (
            "RemoveModelAlias empty alias",
            unalias("lmarena", ""),
            INVALID,
            &["alias"],
        ),
        (
            "RemoveModelAlias over-long alias",
            unalias("lmarena", &long),
            INVALID_OR_MISSING,
            &["alias"],
        ),
        (
            "RemoveModelAlias unknown alias",
            unalias("lmarena", "never-added"),
            MISSING,
            &["alias"],
        ),
    ] {
        verdicts.check(
            label,
            ingest.remove_model_alias(admin(request)).await,
            codes,
            fields,
        );
    }
    for (label, source, codes) in [
        ("DetectNewModels empty source", String::new(), INVALID),
        (
            "DetectNewModels unknown source",
            "no-such-source".to_owned(),
            INVALID_OR_MISSING,
        ),
        (
            "DetectNewModels over-long source",
            long.clone(),
            INVALID_OR_MISSING,
        ),
    ] {
        let request = pb::DetectNewModelsRequest {
            source,
            auto_ingest: true,
        };
        verdicts.check(
            label,
            ingest.detect_new_models(admin(request)).await,
            codes,
            &["source"],
        );
    }

    // TokenService.
    let token = |name: &str, role: i32, tenant_id: &str| pb::CreateTokenRequest {
        name: name.to_owned(),
        role,
        tenant_id: tenant_id.to_owned(),
    };
    let reader = pb::Role::Reader as i32;
    for (label, request, codes, fields) in [
        (
            "CreateToken empty name",
            token("", reader, ""),
            INVALID,
            &["name"][..],
        ),
        (
            "CreateToken over-long name",
            token(&long, reader, ""),
            INVALID,
            &["name"],
        ),
        (
            "CreateToken unspecified role",
            token("ci", 0, ""),
            INVALID,
            &["role"],
        ),
        (
            "CreateToken unknown role",
            token("ci", 99, ""),
            INVALID,
            &["role"],
        ),
        (
            "CreateToken negative role",
            token("ci", -3, ""),
            INVALID,
            &["role"],
        ),
        (
            "CreateToken bad tenant_id",
            token("ci", reader, "bad tenant!"),
            INVALID,
            &["tenant_id"],
        ),
        (
            "CreateToken over-long tenant_id",
            token("ci", reader, &long),
            INVALID,
            &["tenant_id"],
        ),
    ] {
        verdicts.check(
            label,
            tokens.create_token(admin(request)).await,
            codes,
            fields,
        );
    }
    for (label, id, codes) in [
        ("RevokeToken empty id", String::new(), INVALID),
        ("RevokeToken bad id", "not-a-uuid".to_owned(), INVALID),
        ("RevokeToken over-long id", long.clone(), INVALID),
        ("RevokeToken unknown id", absent_id.clone(), MISSING),
    ] {
        verdicts.check(
            label,
            tokens
                .revoke_token(admin(pb::RevokeTokenRequest { id }))
                .await,
            codes,
            &["id", "token"],
        );
    }

    // RunnerService.
    let create_suite = |name: &str, description: &str| pb::CreateSuiteRequest {
        name: name.to_owned(),
        description: description.to_owned(),
    };
    for (label, request, codes, fields) in [
        (
            "CreateSuite empty name",
            create_suite("", ""),
            INVALID,
            &["name"][..],
        ),
        (
            "CreateSuite blank name",
            create_suite("   ", ""),
            INVALID,
            &["name"],
        ),
        (
            "CreateSuite over-long name",
            create_suite(&"n".repeat(129), ""),
            INVALID,
            &["name"],
        ),
        (
            "CreateSuite over-long description",
            create_suite("ok", &long),
            INVALID,
            &["description"],
        ),
        (
            "CreateSuite oversized message",
            create_suite("ok", &"d".repeat(8 * 1024 * 1024)),
            INVALID_OR_TOO_MANY,
            &[],
        ),
    ] {
        verdicts.check(
            label,
            runner.create_suite(admin(request)).await,
            codes,
            fields,
        );
    }
    let add_cases = |suite_id: &str, cases: Vec<pb::TestCaseSpec>| pb::AddTestCasesRequest {
        suite_id: suite_id.to_owned(),
        cases,
    };
    let tagged = pb::TestCaseSpec {
        tags: vec!["t".into(); 17],
        ..case("2+2?")
    };
    let long_tag = pb::TestCaseSpec {
        tags: vec!["t".repeat(65)],
        ..case("2+2?")
    };
    let long_regex = pb::TestCaseSpec {
        grader: regex(&"a".repeat(4_097)),
        ..case("2+2?")
    };
    let bad_schema = pb::TestCaseSpec {
        grader: schema("{not json"),
        ..case("2+2?")
    };
    let long_rubric = pb::TestCaseSpec {
        rubric: long.clone(),
        ..case("2+2?")
    };
    let empty_grader = pb::TestCaseSpec {
        grader: Some(pb::Grader { kind: None }),
        ..case("2+2?")
    };
    for (label, request, codes, fields) in [
        (
            "AddTestCases empty suite_id",
            add_cases("", vec![case("2+2?")]),
            INVALID,
            &["suite_id"][..],
        ),
        (
            "AddTestCases bad suite_id",
            add_cases("not-a-uuid", vec![case("2+2?")]),
            INVALID,
            &["suite_id"],
        ),
        (
            "AddTestCases unknown suite",
            add_cases(&absent_id, vec![case("2+2?")]),
            MISSING,
            &["suite"],
        ),
        (
            "AddTestCases no cases",
            add_cases(&suite_id, Vec::new()),
            INVALID,
            &["cases"],
        ),
        (
            "AddTestCases too many cases",
            add_cases(&suite_id, vec![case("2+2?"); 1_001]),
            INVALID_OR_TOO_MANY,
            &["cases"],
        ),
        (
            "AddTestCases huge cases",
            add_cases(&suite_id, vec![case("2+2?"); 200_000]),
            INVALID_OR_TOO_MANY,
            &[],
        ),
        (
            "AddTestCases empty input",
            add_cases(&suite_id, vec![case("2+2?"), case("")]),
            INVALID,
            &["input"],
        ),
        (
            "AddTestCases over-long input",
            add_cases(&suite_id, vec![case(&long)]),
            INVALID,
            &["input"],
        ),
        (
            "AddTestCases over-long rubric",
            add_cases(&suite_id, vec![long_rubric]),
            INVALID,
            &["rubric"],
        ),
        (
            "AddTestCases too many tags",
            add_cases(&suite_id, vec![tagged]),
            INVALID,
            &["tags"],
        ),
        (
            "AddTestCases over-long tag",
            add_cases(&suite_id, vec![long_tag]),
            INVALID,
            &["tags"],
        ),
        (
            "AddTestCases over-long regex",
            add_cases(&suite_id, vec![long_regex]),
            INVALID,
            &["pattern"],
        ),
        (
            "AddTestCases bad schema",
            add_cases(&suite_id, vec![bad_schema]),
            INVALID,
            &["schema"],
        ),
        (
            "AddTestCases grader without kind",
            add_cases(&suite_id, vec![empty_grader]),
            INVALID,
            &["grader"],
        ),
    ] {
        verdicts.check(
            label,
            runner.add_test_cases(admin(request)).await,
            codes,
            fields,
        );
    }
    let run = |suite_id: &str| pb::CreateRunRequest {
        suite_id: suite_id.to_owned(),
        models: vec!["fake/echo".into()],
        ..Default::default()
    };
    let valid = run(&suite_id);
    for (label, request, codes, fields) in [
        (
            "CreateRun bad suite_id",
            run("not-a-uuid"),
            INVALID,
            &["suite_id"][..],
        ),
        (
            // Models are checked before the suite is looked up; this stack configures no provider.
            "CreateRun unknown suite",
            run(&absent_id),
            MISSING_OR_PRECONDITION,
            &["suite", "models"],
        ),
        (
            "CreateRun no models",
            pb::CreateRunRequest {
                models: Vec::new(),
                ..valid.clone()
            },
            INVALID,
            &["models"],
        ),
        (
            "CreateRun too many models",
            pb::CreateRunRequest {
                models: vec!["fake/echo".into(); 10_000],
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["models"],
        ),
        (
            "CreateRun empty model",
            pb::CreateRunRequest {
                models: vec![String::new()],
                ..valid.clone()
            },
            INVALID,
            &["model"],
        ),
        (
            "CreateRun over-long model",
            pb::CreateRunRequest {
                models: vec![long.clone()],
                ..valid.clone()
            },
            INVALID,
            &["model"],
        ),
        (
            "CreateRun negative repetitions",
            pb::CreateRunRequest {
                repetitions: -1,
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["repetitions"],
        ),
        (
            "CreateRun huge repetitions",
            pb::CreateRunRequest {
                repetitions: i32::MAX,
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["repetitions"],
        ),
        (
            "CreateRun negative max_concurrency",
            pb::CreateRunRequest {
                limits: Some(pb::RunLimits {
                    max_concurrency: -5,
                    ..Default::default()
                }),
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["max_concurrency"],
        ),
        (
            "CreateRun negative call_timeout_ms",
            pb::CreateRunRequest {
                limits: Some(pb::RunLimits {
                    call_timeout_ms: -1,
                    ..Default::default()
                }),
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["call_timeout_ms"],
        ),
        (
            "CreateRun negative budget",
            pb::CreateRunRequest {
                limits: Some(pb::RunLimits {
                    budget_micro_usd: Some(-1),
                    ..Default::default()
                }),
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["budget_micro_usd"],
        ),
        (
            "CreateRun negative temperature",
            pb::CreateRunRequest {
                temperature: Some(-1.0),
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["temperature"],
        ),
        (
            "CreateRun NaN temperature",
            pb::CreateRunRequest {
                temperature: Some(f64::NAN),
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["temperature"],
        ),
        (
            "CreateRun negative max_tokens",
            pb::CreateRunRequest {
                max_tokens: Some(-1),
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["max_tokens"],
        ),
        (
            "CreateRun over-long system_prompt",
            pb::CreateRunRequest {
                system_prompt: long.clone(),
                ..valid.clone()
            },
            INVALID,
            &["system_prompt"],
        ),
        (
            "CreateRun over-long label",
            pb::CreateRunRequest {
                label: "l".repeat(257),
                ..valid.clone()
            },
            INVALID,
            &["label"],
        ),
        (
            "CreateRun over-long regex grader",
            pb::CreateRunRequest {
                grader: regex(&"a".repeat(4_097)),
                ..valid.clone()
            },
            INVALID,
            &["pattern"],
        ),
        (
            "CreateRun too many ad-hoc cases",
            pb::CreateRunRequest {
                suite_id: String::new(),
                ad_hoc_cases: vec![case("2+2?"); 1_001],
                ..valid.clone()
            },
            INVALID_OR_TOO_MANY,
            &["ad_hoc_cases"],
        ),
        (
            "CreateRun empty ad-hoc input",
            pb::CreateRunRequest {
                suite_id: String::new(),
                ad_hoc_cases: vec![case("")],
                ..valid.clone()
            },
            INVALID,
            &["input"],
        ),
    ] {
        verdicts.check(
            label,
            runner.create_run(admin(request)).await,
            codes,
            fields,
        );
    }
    for (label, run_id, codes) in [
        ("empty run_id", String::new(), INVALID),
        ("bad run_id", "not-a-uuid".to_owned(), INVALID),
        ("over-long run_id", long.clone(), INVALID),
        ("unknown run", absent_id.clone(), MISSING),
    ] {
        let cancel = runner
            .cancel_run(admin(pb::CancelRunRequest {
                run_id: run_id.clone(),
            }))
            .await;
        verdicts.check(&format!("CancelRun {label}"), cancel, codes, &["run"]);
        let retry = runner
            .retry_run(admin(pb::RetryRunRequest { run_id }))
            .await;
        verdicts.check(&format!("RetryRun {label}"), retry, codes, &["run"]);
    }

    // JudgeService.Score (writes nothing, but must refuse bad graders clearly).
    let score = |grader: Option<pb::Grader>| pb::ScoreRequest {
        input: "2+2?".into(),
        output: "4".into(),
        grader,
    };
    for (label, grader, fields) in [
        ("Score without grader", None, &["grader"][..]),
        (
            "Score grader without kind",
            Some(pb::Grader { kind: None }),
            &["grader"],
        ),
        ("Score bad regex", regex("(unclosed"), &["pattern", "regex"]),
        (
            "Score over-long regex",
            regex(&"a".repeat(5_000)),
            &["pattern", "regex"],
        ),
        ("Score schema not JSON", schema("{not json"), &["schema"]),
        (
            "Score invalid schema",
            schema(r#"{"type": 5}"#),
            &["schema"],
        ),
    ] {
        verdicts.check(
            label,
            judge.score(admin(score(grader))).await,
            INVALID,
            fields,
        );
    }

    let after = row_counts(&stack.db.pool).await?;
    let checked = verdicts.checked;
    stack.stop().await?;
    assert!(
        verdicts.wrong.is_empty(),
        "{} of {checked} answers wrong:\n{}",
        verdicts.wrong.len(),
        verdicts.wrong.join("\n")
    );
    assert_eq!(before, after, "row counts changed");
    Ok(())
}
