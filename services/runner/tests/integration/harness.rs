//! A runner on a fresh database, with the judge service and the fake provider, all in this process.

use std::time::{Duration, Instant};

use benchhub_common::auth::Role;
use benchhub_fake_provider::{FakeConfig, FakeProviderHandle};
use benchhub_proto::pb;
use benchhub_proto::pb::runner_service_client::RunnerServiceClient;
use benchhub_providers::ProviderRegistry;
use benchhub_testkit::{TestDb, TestServer, authorized};
use tonic::transport::Channel;

/// Bootstrap admin token of the runner and the judge (tenant `default`).
pub(crate) const ADMIN: &str = "runner-tests-admin-token-0123456789";

/// The services of one test.
pub(crate) struct Harness {
    /// The database.
    pub db: TestDb,
    /// The fake model provider.
    pub fake: FakeProviderHandle,
    /// The judge service.
    pub judge: TestServer,
    /// The runner (absent while stopped).
    pub runner: Option<TestServer>,
}

/// Options of the runner a harness starts.
#[derive(Clone)]
pub(crate) struct RunnerOptions {
    /// Whether the runner executes runs.
    pub worker: bool,
    /// Per-provider concurrency across runs (adaptive maximum).
    pub provider_concurrency: u32,
    /// Lease of claimed runs.
    pub lease: Duration,
    /// Runs the runner executes at once.
    pub max_active_runs: u32,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            worker: true,
            provider_concurrency: 64,
            lease: Duration::from_secs(3),
            max_active_runs: 4,
        }
    }
}

fn registry(fake_url: &str) -> ProviderRegistry {
    let url = fake_url.to_owned();
    ProviderRegistry::from_parts(
        move |name| match name {
            // The fake provider, and the built-in openai provider pointed at it (for catalog-priced
            // models).
            "BENCHHUB_FAKE_PROVIDER_URL" | "OPENAI_BASE_URL" => Some(url.clone()),
            "OPENAI_API_KEY" => Some("sk-test-not-a-real-key".to_owned()),
            _ => None,
        },
        None,
    )
    .expect("valid registry")
}

impl Harness {
    /// Starts everything with the default runner options.
    pub(crate) async fn start(fake: FakeConfig) -> Self {
        Self::start_with(fake, RunnerOptions::default()).await
    }

    /// Starts everything.
    pub(crate) async fn start_with(fake: FakeConfig, options: RunnerOptions) -> Self {
        benchhub_common::telemetry::init_for_tests();
        let db = TestDb::new().await.expect("test database");
        let (_, fake) = benchhub_fake_provider::spawn(fake)
            .await
            .expect("fake provider");
        let mut judge_config = benchhub_judge::Config::for_tests(&db.url);
        judge_config.common.admin_token = Some(ADMIN.to_owned().into());
        judge_config.providers = registry(&fake.url());
        let judge = TestServer::start(|listener, shutdown| {
            benchhub_judge::run(judge_config, listener, shutdown)
        })
        .await
        .expect("judge");
        judge
            .wait_serving(Duration::from_secs(30))
            .await
            .expect("judge serving");
        let mut harness = Self {
            db,
            fake,
            judge,
            runner: None,
        };
        harness.start_runner(options).await;
        harness
    }

    /// Returns the runner configuration this harness uses.
    pub(crate) fn runner_config(&self, options: &RunnerOptions) -> benchhub_runner::Config {
        let mut config = benchhub_runner::Config::for_tests(&self.db.url);
        config.common.admin_token = Some(ADMIN.to_owned().into());
        config.judge_url = self.judge.url.clone();
        config.judge_token = Some(ADMIN.to_owned().into());
        config.providers = registry(&self.fake.url());
        config.worker = options.worker;
        config.provider_concurrency = options.provider_concurrency;
        config.lease = options.lease;
        config.max_active_runs = options.max_active_runs;
        config
    }

    /// Starts (another) runner on the same database.
    pub(crate) async fn start_runner(&mut self, options: RunnerOptions) {
        let config = self.runner_config(&options);
        let runner = TestServer::start(|listener, shutdown| {
            benchhub_runner::run(config, listener, shutdown)
        })
        .await
        .expect("runner");
        runner
            .wait_serving(Duration::from_secs(30))
            .await
            .expect("runner serving");
        self.runner = Some(runner);
    }

    /// Stops the runner gracefully (drains in-flight calls) and waits for it.
    pub(crate) async fn stop_runner(&mut self) {
        if let Some(runner) = self.runner.take() {
            runner.stop().await.expect("runner stopped cleanly");
        }
    }

    /// Returns a runner client.
    pub(crate) async fn client(&self) -> RunnerServiceClient<Channel> {
        let channel = self
            .runner
            .as_ref()
            .expect("runner running")
            .channel()
            .await
            .expect("channel");
        RunnerServiceClient::new(channel)
    }

    /// Creates a token with `role` for `tenant`.
    pub(crate) async fn token(&self, role: Role, tenant: &str) -> String {
        let (token, _) = benchhub_common::auth::create_token(
            &self.db.pool,
            &format!("{tenant}-{}", role.as_str()),
            role,
            tenant,
        )
        .await
        .expect("token");
        token
    }

    /// Creates a suite with `cases` as the admin and returns its id.
    pub(crate) async fn suite(&self, name: &str, cases: Vec<pb::TestCaseSpec>) -> String {
        let mut client = self.client().await;
        let suite = client
            .create_suite(admin(pb::CreateSuiteRequest {
                name: name.to_owned(),
                description: String::new(),
            }))
            .await
            .expect("suite")
            .into_inner()
            .suite
            .expect("suite");
        for chunk in cases.chunks(1_000) {
            client
                .add_test_cases(admin(pb::AddTestCasesRequest {
                    suite_id: suite.id.clone(),
                    cases: chunk.to_vec(),
                }))
                .await
                .expect("cases");
        }
        suite.id
    }

    /// Creates a run as the admin.
    pub(crate) async fn create_run(&self, request: pb::CreateRunRequest) -> pb::Run {
        self.client()
            .await
            .create_run(admin(request))
            .await
            .expect("run created")
            .into_inner()
            .run
            .expect("run")
    }

    /// Returns a run.
    pub(crate) async fn get_run(&self, run_id: &str) -> pb::Run {
        self.client()
            .await
            .get_run(admin(pb::GetRunRequest {
                run_id: run_id.to_owned(),
            }))
            .await
            .expect("run")
            .into_inner()
            .run
            .expect("run")
    }

    /// Waits until a run has ended and returns it.
    pub(crate) async fn wait_ended(&self, run_id: &str, timeout: Duration) -> pb::Run {
        let deadline = Instant::now() + timeout;
        loop {
            let run = self.get_run(run_id).await;
            if is_terminal(run.status) {
                return run;
            }
            assert!(
                Instant::now() < deadline,
                "run {run_id} did not end within {timeout:?}: {:?}",
                run.counts
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a run has at least `done` results.
    pub(crate) async fn wait_done(&self, run_id: &str, done: i32, timeout: Duration) -> pb::Run {
        let deadline = Instant::now() + timeout;
        loop {
            let run = self.get_run(run_id).await;
            if run
                .counts
                .as_ref()
                .is_some_and(|counts| counts.done >= done)
                || is_terminal(run.status)
            {
                return run;
            }
            assert!(
                Instant::now() < deadline,
                "run {run_id} did not reach {done} results"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Lists every result of a run.
    pub(crate) async fn results(&self, run_id: &str) -> Vec<pb::BenchmarkResult> {
        let mut client = self.client().await;
        let mut results = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_run_results(admin(pb::ListRunResultsRequest {
                    run_id: run_id.to_owned(),
                    page_size: 500,
                    page_token: page_token.clone(),
                    ..pb::ListRunResultsRequest::default()
                }))
                .await
                .expect("results")
                .into_inner();
            results.extend(page.results);
            if page.next_page_token.is_empty() {
                return results;
            }
            page_token = page.next_page_token;
        }
    }

    /// Sets a price override (micro-USD per million tokens) for a model name.
    pub(crate) async fn price(&self, model: &str, input: i64, output: i64) {
        sqlx::query(
            "INSERT INTO price_overrides (model_id, input_micro_usd_per_mtok, output_micro_usd_per_mtok) \
             VALUES ($1, $2, $3)",
        )
        .bind(model)
        .bind(input)
        .bind(output)
        .execute(&self.db.pool)
        .await
        .expect("price override");
    }
}

/// Wraps a message with the admin token.
pub(crate) fn admin<T>(message: T) -> tonic::Request<T> {
    authorized(message, ADMIN)
}

/// Returns whether a proto status is terminal.
pub(crate) fn is_terminal(status: i32) -> bool {
    matches!(
        pb::BenchmarkRunStatus::try_from(status),
        Ok(pb::BenchmarkRunStatus::Completed
            | pb::BenchmarkRunStatus::Failed
            | pb::BenchmarkRunStatus::Cancelled)
    )
}

/// A case whose oracle answer is `answer` (the fake provider's `<<answer:…>>` protocol).
pub(crate) fn case(index: usize, answer: &str) -> pb::TestCaseSpec {
    pb::TestCaseSpec {
        input: format!("Question {index}: what is the answer? <<answer:{answer}>>"),
        expected_output: answer.to_owned(),
        ..pb::TestCaseSpec::default()
    }
}

/// `count` cases answered `answer N`.
pub(crate) fn cases(count: usize) -> Vec<pb::TestCaseSpec> {
    (0..count)
        .map(|index| case(index, &format!("answer {index}")))
        .collect()
}

/// The exact grader (expected output from each case).
pub(crate) fn exact() -> pb::Grader {
    pb::Grader {
        kind: Some(pb::grader::Kind::Exact(pb::ExactGrader::default())),
    }
}

/// Limits with the given concurrency and retries.
pub(crate) fn limits(concurrency: i32, retries: i32) -> pb::RunLimits {
    pb::RunLimits {
        max_concurrency: concurrency,
        per_provider_max_concurrency: concurrency,
        max_retries: Some(retries),
        ..pb::RunLimits::default()
    }
}

/// A run of a suite against models with the exact grader.
pub(crate) fn run_of(
    suite_id: &str,
    models: &[&str],
    limits: pb::RunLimits,
) -> pb::CreateRunRequest {
    pb::CreateRunRequest {
        suite_id: suite_id.to_owned(),
        models: models.iter().map(|model| (*model).to_owned()).collect(),
        grader: Some(exact()),
        limits: Some(limits),
        ..pb::CreateRunRequest::default()
    }
}

/// Returns the stats of a model in a run.
pub(crate) fn model_stats<'a>(run: &'a pb::Run, model: &str) -> &'a pb::ModelStats {
    run.model_stats
        .iter()
        .find(|stats| stats.model == model)
        .unwrap_or_else(|| panic!("no stats for {model}: {:?}", run.model_stats))
}

/// Returns the status code and the BadRequest field of an error.
pub(crate) fn field_violation(status: &tonic::Status) -> (tonic::Code, String) {
    use tonic_types::StatusExt;
    let field = status
        .get_error_details()
        .bad_request()
        .and_then(|request| request.field_violations.first())
        .map(|violation| violation.field.clone())
        .unwrap_or_default();
    (status.code(), field)
}
