//! Runner benchmark: 1,000 cases × 4 models against the fake provider at 200 ms latency, concurrency
//! 64, deterministic grading (exact, through the judge service over gRPC).
//!
//! Reports the wall time as a ratio to the theoretical 4,000 / 64 × 200 ms = 12.5 s (target ≤ 1.1×),
//! the runner's CPU time per call (its runtime threads only, from /proc/self/task/*/stat), the process's
//! peak memory (VmHWM, fake provider and judge included), and the same run
//! - graded by an LLM judge (rubric, the fake judge at 100 ms): theoretical 12.5 s + one last grading;
//! - with 5% injected HTTP 500s and 5% 429s (Retry-After: 1 s), all retried, with no lost result;
//!
//! and two runs of 200 cases × 2 models against a provider limited to 16 calls in flight (800 calls:
//! theoretical 800 / 16 × 200 ms = 10 s), first both on one replica, then one on each of two replicas
//! sharing the limit through Postgres: the fake provider's most calls in flight must stay ≤ 16, and two
//! replicas should take at most 1.2× the time of one.
//!
//! The runner, the judge and the fake provider run in this process on separate runtimes (threads
//! `runner-worker`, `aux-worker`) so the runner's CPU can be told apart. Needs Postgres (DATABASE_URL or
//! 127.0.0.1:5432). Run with `cargo bench -p benchhub-runner`.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// The allocator of the service binaries, so the in-process server runs as it does in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use benchhub_fake_provider::{FakeConfig, JudgeStyle, Latency, ModelBehavior, Quality};
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
const JUDGE_LATENCY: Duration = Duration::from_millis(100);
const SHARED_CASES: usize = 200;
const SHARED_MODELS: usize = 2;
const SHARED_LIMIT: u32 = 16;

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
    theoretical: f64,
    results: usize,
    failed: i32,
    cpu_seconds: f64,
    errors_500: u64,
    errors_429: u64,
    max_successes_per_pair: u64,
    max_in_flight: u64,
    replicas: Vec<String>,
}

fn fake_config() -> FakeConfig {
    let mut config = FakeConfig::new().with_seed(11).with_model(
        "judge",
        ModelBehavior::judge(JudgeStyle::WellFormed).with_latency(Latency::fixed(JUDGE_LATENCY)),
    );
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

fn exact() -> pb::Grader {
    pb::Grader {
        kind: Some(pb::grader::Kind::Exact(pb::ExactGrader::default())),
    }
}

fn rubric() -> pb::Grader {
    pb::Grader {
        kind: Some(pb::grader::Kind::LlmRubric(pb::LlmRubricGrader {
            rubric: "Full marks when the answer equals the expected value.".to_owned(),
            judge: Some(pb::JudgeModel {
                model: "fake/judge".to_owned(),
                ..pb::JudgeModel::default()
            }),
            ..pb::LlmRubricGrader::default()
        })),
    }
}

fn run_request(
    suite_id: &str,
    models: Vec<String>,
    grader: pb::Grader,
    concurrency: i32,
) -> pb::CreateRunRequest {
    pb::CreateRunRequest {
        suite_id: suite_id.to_owned(),
        models,
        grader: Some(grader),
        limits: Some(pb::RunLimits {
            max_concurrency: concurrency,
            per_provider_max_concurrency: concurrency,
            max_retries: Some(10),
            ..pb::RunLimits::default()
        }),
        ..pb::CreateRunRequest::default()
    }
}

/// Creates each run on its replica's client, waits for all of them to end and measures the whole.
async fn measure(
    clients: &mut [RunnerServiceClient<Channel>],
    fake: &benchhub_fake_provider::FakeProviderHandle,
    pool: &sqlx::PgPool,
    name: &'static str,
    theoretical: f64,
    runs: Vec<(usize, pb::CreateRunRequest)>,
) -> Measured {
    fake.reset();
    let cpu_before = benchhub_testkit::cpu::thread_cpu_seconds("runner-worker");
    let started = Instant::now();
    let mut created = Vec::new();
    for (replica, request) in runs {
        let run = loop {
            match clients[replica]
                .create_run(authorized(request.clone(), ADMIN))
                .await
            {
                Ok(response) => break response.into_inner().run.expect("run"),
                // A replica started just now may still be migrating.
                Err(status) if status.code() == tonic::Code::Unavailable => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) => panic!("{name}: create run: {status}"),
            }
        };
        created.push(run.id);
    }
    let mut ended = Vec::new();
    for run_id in &created {
        let run = loop {
            let current = clients[0]
                .get_run(authorized(
                    pb::GetRunRequest {
                        run_id: run_id.clone(),
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
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        ended.push(run);
    }
    let wall = started.elapsed();
    let cpu_seconds = benchhub_testkit::cpu::thread_cpu_seconds("runner-worker") - cpu_before;
    let mut results = 0;
    let mut failed = 0;
    for run in &ended {
        assert_eq!(
            run.status,
            pb::BenchmarkRunStatus::Completed as i32,
            "{name}: {}",
            run.error
        );
        let counts = run.counts.expect("counts");
        results += counts.done as usize;
        failed += counts.failed;
    }
    let replicas: Vec<String> = sqlx::query_scalar(
        "SELECT split_part(claimed_by, '/', 1) FROM benchmark_runs WHERE id = ANY($1::uuid[]) ORDER BY created_at",
    )
    .bind(&created)
    .fetch_all(pool)
    .await
    .expect("claims");
    let stats = fake.stats();
    Measured {
        name,
        wall,
        theoretical,
        results,
        failed,
        cpu_seconds,
        errors_500: stats.errors_500,
        errors_429: stats.errors_429,
        // Model calls only: the judge sees the same prompt for models that answered alike.
        max_successes_per_pair: stats
            .pairs
            .iter()
            .filter(|pair| pair.model != "judge")
            .map(|pair| pair.successes)
            .max()
            .unwrap_or(0),
        max_in_flight: stats.max_in_flight,
        replicas,
    }
}

fn start_runner(
    runtime: &tokio::runtime::Runtime,
    config: benchhub_runner::Config,
    shutdown: &CancellationToken,
) -> (String, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("runner port");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = runtime.spawn(benchhub_runner::run(config, listener, shutdown.clone()));
    (url, handle)
}

async fn connect(url: &str) -> RunnerServiceClient<Channel> {
    loop {
        if let Ok(channel) = Channel::from_shared(url.to_owned())
            .expect("url")
            .connect()
            .await
        {
            return RunnerServiceClient::new(channel);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn suite(client: &mut RunnerServiceClient<Channel>, name: &str, count: usize) -> String {
    let suite = loop {
        match client
            .create_suite(authorized(
                pb::CreateSuiteRequest {
                    name: name.to_owned(),
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
    let cases = (0..count)
        .map(|index| pb::TestCaseSpec {
            input: format!("{name} case {index}: reply with the answer. <<answer:value {index}>>"),
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
    suite.id
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
    // "limited" is the fake provider again, as an OpenAI-compatible provider limited to 16 calls.
    let providers_toml = format!(
        "[[providers]]\nname = \"limited\"\nbase_url = \"{fake_url}\"\nmax_concurrency = {SHARED_LIMIT}\n"
    );
    let registry = {
        let url = fake_url.clone();
        ProviderRegistry::from_parts(
            move |name| (name == "BENCHHUB_FAKE_PROVIDER_URL").then(|| url.clone()),
            Some(&providers_toml),
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
    runner_config.replica_id = Some("replica-a".to_owned());
    let mut second_config = runner_config.clone();
    second_config.replica_id = Some("replica-b".to_owned());
    let (runner_url, runner) = start_runner(&runner_runtime, runner_config, &shutdown);

    let models = |prefix: &str, count: usize| -> Vec<String> {
        (0..count).map(|index| format!("{prefix}{index}")).collect()
    };
    let theoretical = (CASES * MODELS) as f64 / f64::from(CONCURRENCY) * LATENCY.as_secs_f64();
    let shared_theoretical =
        (2 * SHARED_CASES * SHARED_MODELS) as f64 / f64::from(SHARED_LIMIT) * LATENCY.as_secs_f64();
    let (mut measurements, shared_suite) = control.block_on(async {
        let mut clients = vec![connect(&runner_url).await];
        let suite_id = suite(&mut clients[0], "bench", CASES).await;
        let shared_suite = suite(&mut clients[0], "shared", SHARED_CASES).await;
        let mut measured = Vec::new();
        measured.push(
            measure(
                &mut clients,
                &fake,
                &db.pool,
                "clean",
                theoretical,
                vec![(
                    0,
                    run_request(&suite_id, models("fake/m", MODELS), exact(), CONCURRENCY),
                )],
            )
            .await,
        );
        measured.push(
            measure(
                &mut clients,
                &fake,
                &db.pool,
                "rubric judge at 100 ms (LLM grading of every output)",
                theoretical + JUDGE_LATENCY.as_secs_f64(),
                vec![(
                    0,
                    run_request(&suite_id, models("fake/m", MODELS), rubric(), CONCURRENCY),
                )],
            )
            .await,
        );
        measured.push(
            measure(
                &mut clients,
                &fake,
                &db.pool,
                "5% 500s + 5% 429s",
                theoretical,
                vec![(
                    0,
                    run_request(&suite_id, models("fake/f", MODELS), exact(), CONCURRENCY),
                )],
            )
            .await,
        );
        let shared_run = || {
            run_request(
                &shared_suite,
                models("limited/m", SHARED_MODELS),
                exact(),
                SHARED_LIMIT as i32,
            )
        };
        measured.push(
            measure(
                &mut clients,
                &fake,
                &db.pool,
                "provider limited to 16: two runs on one replica",
                shared_theoretical,
                vec![(0, shared_run()), (0, shared_run())],
            )
            .await,
        );
        (measured, shared_suite)
    });
    // The second replica starts only now, so it never claims the runs above.
    let (second_url, second) = start_runner(&runner_runtime, second_config, &shutdown);
    let two = control.block_on(async {
        let mut clients = vec![connect(&runner_url).await, connect(&second_url).await];
        // Timing starts once the second replica is ready (migrated and serving).
        while let Err(status) = clients[1]
            .list_suites(authorized(pb::ListSuitesRequest::default(), ADMIN))
            .await
        {
            assert_eq!(status.code(), tonic::Code::Unavailable, "{status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let shared_run = || {
            run_request(
                &shared_suite,
                models("limited/m", SHARED_MODELS),
                exact(),
                SHARED_LIMIT as i32,
            )
        };
        measure(
            &mut clients,
            &fake,
            &db.pool,
            "provider limited to 16: one run on each of two replicas",
            shared_theoretical,
            vec![(0, shared_run()), (1, shared_run())],
        )
        .await
    });
    measurements.push(two);
    let peak = peak_memory_mib();

    println!();
    println!(
        "runner: {CASES} cases × {MODELS} models, fake provider at {} ms, concurrency {CONCURRENCY}, exact grading via the judge unless noted; shared-limit rows: 2 runs × {SHARED_CASES} cases × {SHARED_MODELS} models against a provider limited to {SHARED_LIMIT}",
        LATENCY.as_millis()
    );
    println!();
    println!(
        "| scenario | calls recorded | failed | wall (s) | theoretical (s) | ratio | runner CPU per call (µs) | injected 500 / 429 | most answers per (model, prompt) | most calls in flight | executed by |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for measured in &measurements {
        let calls = measured.results.max(1) as f64;
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2}× | {:.0} | {} / {} | {} | {} | {} |",
            measured.name,
            measured.results,
            measured.failed,
            measured.wall.as_secs_f64(),
            measured.theoretical,
            measured.wall.as_secs_f64() / measured.theoretical,
            measured.cpu_seconds / calls * 1e6,
            measured.errors_500,
            measured.errors_429,
            measured.max_successes_per_pair,
            measured.max_in_flight,
            measured.replicas.join(", "),
        );
    }
    println!();
    println!(
        "> peak memory of the process (two runners + judge + fake provider): {peak:.1} MiB (VmHWM)"
    );
    let clean = &measurements[0];
    let ratio = clean.wall.as_secs_f64() / clean.theoretical;
    println!(
        "> target: clean ratio ≤ 1.10× — {:.2}× {}",
        ratio,
        if ratio <= 1.1 { "met" } else { "NOT met" }
    );
    let one = &measurements[3];
    let two = &measurements[4];
    // (order: clean, rubric, faults, then the shared-limit pair; faults last of the first three
    // because the 429s leave the provider's adaptive limit lowered for the next run)
    let sharing = two.wall.as_secs_f64() / one.wall.as_secs_f64();
    println!(
        "> target: two replicas sharing a limit of {SHARED_LIMIT} ≤ 1.20× one replica at the same limit — {:.2}× {}; most calls in flight {} (one replica) and {} (two replicas), limit {SHARED_LIMIT} — {}",
        sharing,
        if sharing <= 1.2 { "met" } else { "NOT met" },
        one.max_in_flight,
        two.max_in_flight,
        if two.max_in_flight <= u64::from(SHARED_LIMIT)
            && one.max_in_flight <= u64::from(SHARED_LIMIT)
        {
            "held"
        } else {
            "EXCEEDED"
        }
    );
    // Results, and the most answers one (model, prompt) may get: the shared-limit rows run the same
    // suite twice.
    let expected = [
        (CASES * MODELS, 1),
        (CASES * MODELS, 1),
        (CASES * MODELS, 1),
        (2 * SHARED_CASES * SHARED_MODELS, 2),
        (2 * SHARED_CASES * SHARED_MODELS, 2),
    ];
    for (measured, (results, answers)) in measurements.iter().zip(expected) {
        assert_eq!(measured.results, results, "{}: lost results", measured.name);
        assert_eq!(measured.failed, 0, "{}: failed pairs", measured.name);
        assert_eq!(
            measured.max_successes_per_pair, answers,
            "{}: a (model, prompt) answered more often than asked",
            measured.name
        );
    }
    assert!(two.max_in_flight <= u64::from(SHARED_LIMIT));

    shutdown.cancel();
    let _ = runner_runtime.block_on(runner);
    let _ = runner_runtime.block_on(second);
    let _ = aux.block_on(judge);
    drop(fake);
    drop(db);
}
