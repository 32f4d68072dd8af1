//! Judge benchmarks; prints one markdown table.
//!
//! 1. ScoreBatch of 10,000 deterministic gradings (half regex, half JSON Schema) over gRPC, as a ratio
//!    to the same graders called in-process (validation and compilation included on both sides), in
//!    the same run: the cost of the service boundary.
//! 2. LLM-judge ScoreBatch of 1,000 outputs against the fake provider at 100 ms latency with
//!    concurrency 64: wall time as a ratio to the theoretical 1,000 / 64 × 100 ms. Target ≤ 1.2×.
//!
//! Needs Postgres for the service host (TestDb: `DATABASE_URL` or 127.0.0.1:5432).

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// The allocator of the service binaries, so the in-process server runs as it does in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use benchhub_fake_provider::{FakeConfig, JudgeStyle, Latency, ModelBehavior};
use benchhub_judge::Config;
use benchhub_judge::domain::graders::GraderSpec;
use benchhub_judge::domain::judge::Judge;
use benchhub_judge::domain::scoring::{self, ItemSpec};
use benchhub_proto::pb;
use benchhub_proto::pb::judge_service_client::JudgeServiceClient;
use benchhub_testkit::{TestDb, TestServer, authorized};

const ADMIN: &str = "judge-bench-admin-token";
const DETERMINISTIC_ITEMS: usize = 10_000;
const DETERMINISTIC_ROUNDS: usize = 5;
const LLM_ITEMS: usize = 1_000;
const LLM_CONCURRENCY: usize = 64;
const LLM_LATENCY: Duration = Duration::from_millis(100);

const PATTERNS: [&str; 5] = [
    r"^order-\d{4}: (shipped|pending|cancelled)$",
    r"(?i)\btotal\s*[:=]\s*\$?\d+(\.\d{2})?",
    r"^[A-Z][a-z]+(?: [A-Z][a-z]+)*, \d{1,3} years$",
    r"\b\d{3}-\d{3}-\d{4}\b",
    r"(?m)^-\s+\w+",
];

const SCHEMAS: [&str; 3] = [
    r#"{"type":"object","required":["id","status"],"properties":{"id":{"type":"integer","minimum":0},"status":{"enum":["shipped","pending","cancelled"]}}}"#,
    r#"{"type":"object","required":["name","tags"],"properties":{"name":{"type":"string","minLength":1,"maxLength":64},"tags":{"type":"array","items":{"type":"string"},"maxItems":8}}}"#,
    r#"{"type":"array","items":{"type":"object","required":["x","y"],"properties":{"x":{"type":"number"},"y":{"type":"number"}}},"minItems":1}"#,
];

/// The 10,000 deterministic items: even indices regex, odd indices JSON Schema, outputs that pass or
/// fail depending on the index.
fn deterministic_items() -> Vec<(String, usize, bool)> {
    (0..DETERMINISTIC_ITEMS)
        .map(|index| {
            if index % 2 == 0 {
                let which = (index / 2) % PATTERNS.len();
                let output = match which {
                    0 => format!("order-{:04}: shipped", index % 10_000),
                    1 => format!("Subtotal: $10.00\nTotal = ${}.{:02}", index, index % 100),
                    2 => format!("Ada Lovelace, {} years", index % 120),
                    3 => format!("call 555-{:03}-{:04} today", index % 1000, index),
                    _ => format!("items:\n- apples\n- pears {index}"),
                };
                (output, which, true)
            } else {
                let which = (index / 2) % SCHEMAS.len();
                let output = match which {
                    0 => format!(
                        r#"{{"id": {index}, "status": "{}"}}"#,
                        if index % 7 == 0 { "lost" } else { "pending" }
                    ),
                    1 => format!(r#"{{"name": "item-{index}", "tags": ["a", "b", "c"]}}"#),
                    _ => format!(r#"[{{"x": {index}, "y": 2.5}}, {{"x": 1, "y": -{index}}}]"#),
                };
                (output, which, false)
            }
        })
        .collect()
}

fn domain_spec(regex: bool, which: usize) -> GraderSpec {
    if regex {
        GraderSpec::Regex {
            pattern: PATTERNS[which].to_owned(),
        }
    } else {
        GraderSpec::JsonSchema {
            schema_json: SCHEMAS[which].to_owned(),
        }
    }
}

fn proto_grader(regex: bool, which: usize) -> pb::Grader {
    let kind = if regex {
        pb::grader::Kind::Regex(pb::RegexGrader {
            pattern: PATTERNS[which].to_owned(),
        })
    } else {
        pb::grader::Kind::JsonSchema(pb::JsonSchemaGrader {
            schema_json: SCHEMAS[which].to_owned(),
        })
    };
    pb::Grader { kind: Some(kind) }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn start_server(
    db: &TestDb,
    configure: impl FnOnce(&mut Config),
) -> anyhow::Result<(TestServer, JudgeServiceClient<tonic::transport::Channel>)> {
    let mut config = Config::for_tests(&db.url);
    config.common.admin_token = Some(ADMIN.to_owned().into());
    config.common.max_request_bytes = 64 * 1024 * 1024;
    configure(&mut config);
    let server = TestServer::start(move |listener, shutdown| {
        benchhub_judge::run(config, listener, shutdown)
    })
    .await?;
    server.wait_serving(Duration::from_secs(60)).await?;
    let client = JudgeServiceClient::new(server.channel().await?)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);
    Ok((server, client))
}

/// Returns (gRPC median, in-process median, passes seen) over the rounds.
async fn deterministic_benchmark(db: &TestDb) -> anyhow::Result<(Duration, Duration)> {
    let items = deterministic_items();
    let (server, mut client) = start_server(db, |_| {}).await?;

    let request_items: Vec<pb::ScoreItem> = items
        .iter()
        .map(|(output, which, regex)| pb::ScoreItem {
            input: String::new(),
            output: output.clone(),
            grader: Some(proto_grader(*regex, *which)),
        })
        .collect();
    let judge = Judge::without_providers();

    let mut grpc_times = Vec::new();
    let mut local_times = Vec::new();
    let mut grpc_passes = 0usize;
    let mut local_passes = 0usize;
    // One warm-up round each, then the measured rounds, interleaved so both see the same machine.
    for round in 0..=DETERMINISTIC_ROUNDS {
        let specs: Vec<ItemSpec> = items
            .iter()
            .map(|(output, which, regex)| ItemSpec {
                input: String::new(),
                output: output.clone(),
                grader: Some(domain_spec(*regex, *which)),
            })
            .collect();
        let started = Instant::now();
        let prepared = scoring::prepare_batch(specs, &judge)?;
        let outcomes: Vec<_> = prepared
            .iter()
            .filter_map(scoring::grade_deterministic)
            .collect();
        let local = started.elapsed();
        local_passes = outcomes
            .iter()
            .filter(|outcome| outcome.passed == Some(true))
            .count();

        let request = authorized(
            pb::ScoreBatchRequest {
                items: request_items.clone(),
                concurrency: 0,
            },
            ADMIN,
        );
        let started = Instant::now();
        let response = client.score_batch(request).await?.into_inner();
        let remote = started.elapsed();
        grpc_passes = response
            .results
            .iter()
            .filter(|result| result.passed == Some(true))
            .count();
        anyhow::ensure!(
            response.results.len() == DETERMINISTIC_ITEMS,
            "expected {DETERMINISTIC_ITEMS} results"
        );
        if round > 0 {
            grpc_times.push(remote);
            local_times.push(local);
        }
    }
    anyhow::ensure!(
        grpc_passes == local_passes,
        "gRPC and in-process disagree: {grpc_passes} vs {local_passes} passes"
    );
    server.stop().await?;
    Ok((median(grpc_times), median(local_times)))
}

async fn llm_benchmark(db: &TestDb) -> anyhow::Result<(Duration, u64)> {
    let fake_config = FakeConfig::new().with_model(
        "bench-judge",
        ModelBehavior::judge(JudgeStyle::WellFormed).with_latency(Latency::fixed(LLM_LATENCY)),
    );
    let (_, fake) = benchhub_fake_provider::spawn(fake_config).await?;
    let url = fake.url();
    let (server, mut client) = start_server(db, |config| {
        config.max_concurrency = LLM_CONCURRENCY as u32;
        config.retries = 0;
        config.providers = benchhub_providers::ProviderRegistry::from_parts(
            |name| (name == "BENCHHUB_FAKE_PROVIDER_URL").then(|| url.clone()),
            None,
        )
        .expect("providers");
    })
    .await?;

    let items = |prefix: &str, count: usize| -> Vec<pb::ScoreItem> {
        (0..count)
            .map(|index| pb::ScoreItem {
                input: format!("{prefix} question {index}: name the largest planet."),
                output: if index % 3 == 0 {
                    "Saturn, I think".to_owned()
                } else {
                    format!("Jupiter is the largest planet ({index})")
                },
                grader: Some(pb::Grader {
                    kind: Some(pb::grader::Kind::LlmRubric(pb::LlmRubricGrader {
                        expected: "Jupiter is the largest planet".to_owned(),
                        rubric: "Full marks only for Jupiter.".to_owned(),
                        judge: Some(pb::JudgeModel {
                            model: "fake/bench-judge".to_owned(),
                            temperature: None,
                            max_tokens: None,
                        }),
                        candidate_models: vec!["fake/good".to_owned()],
                        pass_threshold: None,
                    })),
                }),
            })
            .collect()
    };
    // Warm-up: open the connections to the fake provider.
    client
        .score_batch(authorized(
            pb::ScoreBatchRequest {
                items: items("warm-up", LLM_CONCURRENCY),
                concurrency: LLM_CONCURRENCY as i32,
            },
            ADMIN,
        ))
        .await?;
    fake.reset();

    let request = authorized(
        pb::ScoreBatchRequest {
            items: items("measured", LLM_ITEMS),
            concurrency: LLM_CONCURRENCY as i32,
        },
        ADMIN,
    );
    let started = Instant::now();
    let response = client.score_batch(request).await?.into_inner();
    let elapsed = started.elapsed();
    let failures = response
        .results
        .iter()
        .filter(|result| !result.error.is_empty())
        .count();
    anyhow::ensure!(failures == 0, "{failures} LLM gradings failed");
    anyhow::ensure!(response.results.len() == LLM_ITEMS, "missing results");
    let calls = fake.stats().total_calls;
    server.stop().await?;
    Ok((elapsed, calls))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let (grpc, local) = deterministic_benchmark(&db).await?;
    let (llm_wall, llm_calls) = llm_benchmark(&db).await?;
    let theoretical =
        LLM_LATENCY.as_secs_f64() * 1000.0 * LLM_ITEMS as f64 / LLM_CONCURRENCY as f64;

    println!("| benchmark | measured | baseline (same run) | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| ScoreBatch, {DETERMINISTIC_ITEMS} deterministic gradings (regex / JSON Schema) over gRPC, median of {DETERMINISTIC_ROUNDS} | {:.1} ms ({:.0} gradings/s) | {:.1} ms in-process ({:.0} gradings/s) | {:.2}× | — |",
        milliseconds(grpc),
        DETERMINISTIC_ITEMS as f64 / grpc.as_secs_f64(),
        milliseconds(local),
        DETERMINISTIC_ITEMS as f64 / local.as_secs_f64(),
        grpc.as_secs_f64() / local.as_secs_f64(),
    );
    println!(
        "| LLM-judge ScoreBatch, {LLM_ITEMS} outputs, fake provider at {} ms, concurrency {LLM_CONCURRENCY} ({llm_calls} judge calls) | {:.0} ms | {:.1} ms theoretical ({LLM_ITEMS} / {LLM_CONCURRENCY} × {} ms) | {:.2}× | ≤ 1.2× |",
        LLM_LATENCY.as_millis(),
        milliseconds(llm_wall),
        theoretical,
        LLM_LATENCY.as_millis(),
        milliseconds(llm_wall) / theoretical,
    );
    Ok(())
}
