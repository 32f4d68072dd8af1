//! Runner benchmark: 1,000 cases × 4 models against the fake provider at 200 ms latency, concurrency
//! 64, deterministic grading (exact, through the judge service over gRPC).
//!
//! Reports the wall time as a ratio to the theoretical 4,000 / 64 × 200 ms = 12.5 s (target ≤ 1.2×),
//! the runner's CPU time per call (its runtime threads only, from /proc/self/task/*/stat), the process's
//! peak memory (VmHWM, fake provider and judge included), and the same run with 5% injected HTTP 500s
//! and 5% 429s (Retry-After: 1 s), all retried, with no lost result.
//!
//! The runner, the judge and the fake provider run in this process on separate runtimes (threads
//! `runner-worker`, `aux-worker`) so the runner's CPU can be told apart. Needs Postgres (DATABASE_URL or
//! 127.0.0.1:5432). Run with `cargo bench -p benchhub-runner`.

/// The allocator of the service binaries, so the in-process server runs as it does in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use benchhub_fake_provider::{FakeConfig, Latency, ModelBehavior, Quality};
use benchhub_proto::pb;
use benchhub_proto::pb::runner_service_client::RunnerServiceClient;
use benchhub_providers::ProviderRegistry;
use benchhub_testkit::{TestDb, authorized};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

const ADMIN: &str = "runner-bench-admin-token-0123456789";
const CASES: usize = 1_000;
const MODELS: usize = 4;
const CONCURRENCY: i32 = 64;
const LATENCY: Duration = Duration::from_millis(200);

/// Peak resident memory of the process in MiB (VmHWM).
fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

struct Measured {
    name: &'static str,
    wall: Duration,
    results: usize,
    failed: i32,
    cpu_seconds: f64,
    errors_500: u64,
    errors_429: u64,
    max_successes_per_pair: u64,
}

fn fake_config() -> FakeConfig {
    let mut config = FakeConfig::new().with_seed(11);
    for index in 0..MODELS {
        config = config
            .with_model(
                format!("m{index}"),
                ModelBehavior::oracle(Quality::Good).with_latency(Latency::fixed(LATENCY)),
            )
            .with_model(
                format!("f{index}"),
                ModelBehavior::oracle(Quality::Good)
                    .with_latency(Latency::fixed(LATENCY))
                    .with_error_rates(0.05, 0.05, 0.0)
                    .with_retry_after(1),
            );
    }
    config
}

async fn measure(
    client: &mut RunnerServiceClient<Channel>,
    fake: &benchhub_fake_provider::FakeProviderHandle,
    suite_id: &str,
    name: &'static str,
    prefix: &str,
) -> Measured {
    fake.reset();
    let request = pb::CreateRunRequest {
        suite_id: suite_id.to_owned(),
        models: (0..MODELS)
            .map(|index| format!("fake/{prefix}{index}"))
            .collect(),
        grader: Some(pb::Grader {
            kind: Some(pb::grader::Kind::Exact(pb::ExactGrader::default())),
        }),
        limits: Some(pb::RunLimits {
            max_concurrency: CONCURRENCY,
            per_provider_max_concurrency: CONCURRENCY,
            max_retries: Some(10),
            ..pb::RunLimits::default()
        }),
        ..pb::CreateRunRequest::default()
    };
    let cpu_before = benchhub_testkit::cpu::thread_cpu_seconds("runner-worker");
    let started = Instant::now();
    let run = client
        .create_run(authorized(request, ADMIN))
        .await
        .expect("run created")
        .into_inner()
        .run
        .expect("run");
    let run = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let current = client
            .get_run(authorized(
                pb::GetRunRequest {
                    run_id: run.id.clone(),
                },
                ADMIN,
            ))
            .await
            .expect("run")
            .into_inner()
            .run
            .expect("run");
        if current.status != pb::BenchmarkRunStatus::Pending as i32
            && current.status != pb::BenchmarkRunStatus::Running as i32
        {
            break current;
        }
    };
    let wall = started.elapsed();
    let cpu_seconds = benchhub_testkit::cpu::thread_cpu_seconds("runner-worker") - cpu_before;
    assert_eq!(
        run.status,
        pb::BenchmarkRunStatus::Completed as i32,
        "{name}: {}",
        run.error
    );
    let counts = run.counts.expect("counts");
    let stats = fake.stats();
    Measured {
        name,
        wall,
        results: counts.done as usize,
        failed: counts.failed,
        cpu_seconds,
        errors_500: stats.errors_500,
        errors_429: stats.errors_429,
        max_successes_per_pair: stats.max_successes_per_pair,
    }
}

fn main() {
    let aux = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("aux-worker")
        .enable_all()
        .build()
        .expect("aux runtime");
    let runner_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("runner-worker")
        .enable_all()
        .build()
        .expect("runner runtime");
    let control = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("control runtime");

    let db = match control.block_on(TestDb::new()) {
        Ok(db) => db,
        Err(error) => {
            eprintln!("runner bench skipped: no Postgres ({error:#})");
            return;
        }
    };
    let (_, fake) = aux
        .block_on(benchhub_fake_provider::spawn(fake_config()))
        .expect("fake provider");
    let fake_url = fake.url();
    let registry = {
        let url = fake_url.clone();
        ProviderRegistry::from_parts(
            move |name| (name == "BENCHHUB_FAKE_PROVIDER_URL").then(|| url.clone()),
            None,
        )
        .expect("registry")
    };
    let shutdown = CancellationToken::new();

    let mut judge_config = benchhub_judge::Config::for_tests(&db.url);
    judge_config.common.admin_token = Some(ADMIN.to_owned().into());
    judge_config.providers = registry.clone();
    let judge_listener = aux
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("judge port");
    let judge_url = format!("http://{}", judge_listener.local_addr().expect("addr"));
    let judge = aux.spawn(benchhub_judge::run(
        judge_config,
        judge_listener,
        shutdown.clone(),
    ));

    let mut runner_config = benchhub_runner::Config::for_tests(&db.url);
    runner_config.common.admin_token = Some(ADMIN.to_owned().into());
    runner_config.common.db_max_connections = 16;
    runner_config.judge_url = judge_url;
    runner_config.judge_token = Some(ADMIN.to_owned().into());
    runner_config.providers = registry;
    runner_config.provider_concurrency = 64;
    runner_config.lease = Duration::from_secs(30);
    runner_config.retry_base = Duration::from_millis(100);
    runner_config.throttle_cooldown = Duration::from_secs(1);
    let runner_listener = runner_runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("runner port");
    let runner_url = format!("http://{}", runner_listener.local_addr().expect("addr"));
    let runner = runner_runtime.spawn(benchhub_runner::run(
        runner_config,
        runner_listener,
        shutdown.clone(),
    ));

    let measurements = control.block_on(async {
        let channel = loop {
            if let Ok(channel) = Channel::from_shared(runner_url.clone())
                .expect("url")
                .connect()
                .await
            {
                break channel;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut client = RunnerServiceClient::new(channel);
        let suite = loop {
            match client
                .create_suite(authorized(
                    pb::CreateSuiteRequest {
                        name: "bench".to_owned(),
                        description: String::new(),
                    },
                    ADMIN,
                ))
                .await
            {
                Ok(response) => break response.into_inner().suite.expect("suite"),
                Err(status) if status.code() == tonic::Code::Unavailable => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(status) => panic!("create suite: {status}"),
            }
        };
        let cases = (0..CASES)
            .map(|index| pb::TestCaseSpec {
                input: format!("Case {index}: reply with the answer. <<answer:value {index}>>"),
                expected_output: format!("value {index}"),
                ..pb::TestCaseSpec::default()
            })
            .collect();
        client
            .add_test_cases(authorized(
                pb::AddTestCasesRequest {
                    suite_id: suite.id.clone(),
                    cases,
                },
                ADMIN,
            ))
            .await
            .expect("cases");
        let clean = measure(&mut client, &fake, &suite.id, "clean", "m").await;
        let faults = measure(&mut client, &fake, &suite.id, "5% 500s + 5% 429s", "f").await;
        vec![clean, faults]
    });
    let peak = peak_memory_mib();

    let theoretical = (CASES * MODELS) as f64 / f64::from(CONCURRENCY) * LATENCY.as_secs_f64();
    println!();
    println!(
        "runner: {CASES} cases × {MODELS} models, fake provider at {} ms, concurrency {CONCURRENCY}, exact grading via the judge",
        LATENCY.as_millis()
    );
    println!();
    println!(
        "| scenario | calls recorded | failed | wall (s) | theoretical (s) | ratio | runner CPU per call (µs) | injected 500 / 429 | max successes per pair |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for measured in &measurements {
        let calls = measured.results.max(1) as f64;
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2}× | {:.0} | {} / {} | {} |",
            measured.name,
            measured.results,
            measured.failed,
            measured.wall.as_secs_f64(),
            theoretical,
            measured.wall.as_secs_f64() / theoretical,
            measured.cpu_seconds / calls * 1e6,
            measured.errors_500,
            measured.errors_429,
            measured.max_successes_per_pair,
        );
    }
    println!();
    println!(
        "> peak memory of the process (runner + judge + fake provider): {peak:.1} MiB (VmHWM)"
    );
    let clean = &measurements[0];
    let ratio = clean.wall.as_secs_f64() / theoretical;
    println!(
        "> target: clean ratio ≤ 1.20× — {}",
        if ratio <= 1.2 { "met" } else { "NOT met" }
    );
    for measured in &measurements {
        assert_eq!(
            measured.results,
            CASES * MODELS,
            "{}: lost results",
            measured.name
        );
        assert_eq!(measured.failed, 0, "{}: failed pairs", measured.name);
        assert_eq!(
            measured.max_successes_per_pair, 1,
            "{}: a pair answered twice",
            measured.name
        );
    }

    shutdown.cancel();
    let _ = runner_runtime.block_on(runner);
    let _ = aux.block_on(judge);
    drop(fake);
    drop(db);
}
