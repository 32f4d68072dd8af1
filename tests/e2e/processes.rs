//! Fault tolerance across real processes: the built service binaries run as separate OS processes on
//! a fresh database, are killed with SIGKILL, run as two replicas, and lose their database, while the
//! fake LLM provider runs in this process as a test double.
//!
//! The binaries are looked up in the target directory of this test executable (`target/debug`);
//! `cargo test --workspace` builds them. When one is missing, each test prints a notice and passes,
//! except under `CI=true`, where it fails.
//!
//! Submodules: [`outage`] stops and restarts a real Postgres server under the services;
//! [`rankings_replicas`] runs two rankings processes behind one ingest.

mod outage;
mod rankings_replicas;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use benchhub_fake_provider::{FakeConfig, FakeProviderHandle};
use benchhub_proto::pb;
use benchhub_proto::pb::runner_service_client::RunnerServiceClient;
use benchhub_testkit::{TestDb, authorized};
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const ADMIN_TOKEN: &str = "e2e-processes-admin-token-0123456789";

/// Returns the directory holding the service binaries, or `None` (with a notice) when one is missing.
fn binaries_dir(needed: &[&str]) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // target/debug/deps/e2e-<hash> -> target/debug
    let dir = exe.parent()?.parent()?.to_path_buf();
    for name in needed {
        if !dir.join(name).is_file() {
            // Under CI a missing binary is a broken build, not a reason to skip.
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "binary `{name}` not found in {} and CI=true: build it with `cargo build --workspace --bins`",
                dir.display()
            );
            eprintln!(
                "skipping: binary `{name}` not found in {} (build it with `cargo build -p benchhub-{name} --bins`)",
                dir.display()
            );
            return None;
        }
    }
    Some(dir)
}

/// Waits until the service logging to `log` says where it listens (it binds 127.0.0.1:0, so the
/// operating system picks the port and nothing can take it in between) and returns the port.
fn listening_port(log: &Path, child: &mut Child) -> anyhow::Result<u16> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let port = text
            .lines()
            .filter(|line| line.contains("\"listening\""))
            .find_map(|line| {
                let rest = line.split("127.0.0.1:").nth(1)?;
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<u16>().ok()
            });
        if let Some(port) = port {
            return Ok(port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            anyhow::bail!("exited ({status}) before listening:\n{text}");
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "did not log where it listens within 30 s:\n{text}"
        );
        // The log file gives no event to wait on; it is read again shortly.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One child process; killed (SIGKILL) and reaped when dropped.
struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    url: String,
}

impl Process {
    /// Starts binary `name` from `dir` listening on a port the system picks (`BENCHHUB_<NAME>_ADDR`
    /// is `127.0.0.1:0`; the port is read from its log), with `env`
    /// on top of this process's environment; output goes to a log file in the temp directory.
    fn start(dir: &Path, name: &str, label: &str, env: &[(&str, String)]) -> anyhow::Result<Self> {
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let serial = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = std::env::temp_dir().join(format!(
            "benchhub-e2e-{}-{label}-{serial}.log",
            std::process::id()
        ));
        let out = File::create(&log)?;
        let err = out.try_clone()?;
        let mut command = Command::new(dir.join(name));
        command
            .env(
                format!("BENCHHUB_{}_ADDR", name.to_uppercase()),
                "127.0.0.1:0",
            )
            .env("BENCHHUB_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("BENCHHUB_INGEST_SCHEDULER", "false")
            .env("BENCHHUB_HEALTH_INTERVAL", "300ms")
            .env("BENCHHUB_SHUTDOWN_GRACE", "1s")
            .env("BENCHHUB_LOG_FORMAT", "json")
            .env_remove("BENCHHUB_METRICS_ADDR")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn()?;
        let port = match listening_port(&log, &mut child) {
            Ok(port) => port,
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("{label}: {error:#}");
            }
        };
        Ok(Self {
            name: label.to_owned(),
            child,
            log,
            url: format!("http://127.0.0.1:{port}"),
        })
    }

    /// Whether the process is still running.
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGKILL and reaps the process.
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The last lines of the process's log, for failure messages.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(20);
        format!(
            "--- {} ({}) ---\n{}",
            self.name,
            self.log.display(),
            lines[start..].join("\n")
        )
    }

    async fn channel(&self) -> anyhow::Result<Channel> {
        Ok(Channel::from_shared(self.url.clone())?
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .connect()
            .await?)
    }

    /// The overall health status, or an error when the service does not answer.
    async fn health(&self) -> anyhow::Result<i32> {
        let mut client = HealthClient::new(self.channel().await?);
        let response = client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await?;
        Ok(response.into_inner().status)
    }

    /// Waits until the service reports `status`, failing (with its log) on timeout or exit.
    async fn wait_status(
        &mut self,
        status: ServingStatus,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if !self.alive() {
                anyhow::bail!("{} exited\n{}", self.name, self.log_tail());
            }
            if matches!(self.health().await, Ok(current) if current == status as i32) {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "{} did not report {status:?} within {timeout:?}\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_serving(&mut self) -> anyhow::Result<()> {
        self.wait_status(ServingStatus::Serving, Duration::from_secs(30))
            .await
    }

    async fn runner(&self) -> anyhow::Result<RunnerServiceClient<Channel>> {
        Ok(RunnerServiceClient::new(self.channel().await?))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A fresh database, the fake provider in this process and a judge process: what runner processes
/// need.
struct RunnerBed {
    dir: PathBuf,
    db: TestDb,
    fake: FakeProviderHandle,
    judge: Process,
}

impl RunnerBed {
    async fn start() -> anyhow::Result<Option<Self>> {
        let Some(dir) = binaries_dir(&["runner", "judge"]) else {
            return Ok(None);
        };
        let db = TestDb::new().await?;
        let (_, fake) = benchhub_fake_provider::spawn(FakeConfig::default()).await?;
        let mut judge = Process::start(
            &dir,
            "judge",
            "judge",
            &[
                ("DATABASE_URL", db.url.clone()),
                ("BENCHHUB_FAKE_PROVIDER_URL", fake.url()),
            ],
        )?;
        judge.wait_serving().await?;
        Ok(Some(Self {
            dir,
            db,
            fake,
            judge,
        }))
    }

    /// Starts a runner process named `replica` with a 2 s lease.
    async fn runner(&self, replica: &str) -> anyhow::Result<Process> {
        self.runner_with(replica, &[]).await
    }

    /// Starts a runner process named `replica` with a 2 s lease and `extra` environment.
    async fn runner_with(
        &self,
        replica: &str,
        extra: &[(&str, String)],
    ) -> anyhow::Result<Process> {
        let mut env = vec![
            ("DATABASE_URL", self.db.url.clone()),
            ("BENCHHUB_JUDGE_URL", self.judge.url.clone()),
            ("BENCHHUB_RUNNER_JUDGE_TOKEN", ADMIN_TOKEN.to_owned()),
            ("BENCHHUB_FAKE_PROVIDER_URL", self.fake.url()),
            ("BENCHHUB_RUNNER_REPLICA_ID", replica.to_owned()),
            ("BENCHHUB_RUNNER_LEASE", "2s".to_owned()),
            ("BENCHHUB_RUNNER_POLL_INTERVAL", "200ms".to_owned()),
        ];
        env.extend(extra.iter().cloned());
        let mut runner = Process::start(&self.dir, "runner", replica, &env)?;
        runner.wait_serving().await?;
        Ok(runner)
    }
}

fn exact() -> pb::Grader {
    pb::Grader {
        kind: Some(pb::grader::Kind::Exact(pb::ExactGrader::default())),
    }
}

/// `count` cases whose oracle answer is known to the fake models; `tag` makes the prompts unique.
fn cases(tag: &str, count: usize) -> Vec<pb::TestCaseSpec> {
    (0..count)
        .map(|index| pb::TestCaseSpec {
            input: format!("{tag} question {index}: what is the answer? <<answer:answer {index}>>"),
            expected_output: format!("answer {index}"),
            ..pb::TestCaseSpec::default()
        })
        .collect()
}

fn limits(concurrency: i32) -> pb::RunLimits {
    pb::RunLimits {
        max_concurrency: concurrency,
        per_provider_max_concurrency: concurrency,
        max_retries: Some(0),
        ..pb::RunLimits::default()
    }
}

async fn get_run(runner: &Process, run_id: &str) -> anyhow::Result<pb::Run> {
    runner
        .runner()
        .await?
        .get_run(authorized(
            pb::GetRunRequest {
                run_id: run_id.to_owned(),
            },
            ADMIN_TOKEN,
        ))
        .await?
        .into_inner()
        .run
        .ok_or_else(|| anyhow::anyhow!("get_run returned no run"))
}

/// Polls until the run is COMPLETED (failing on FAILED/CANCELLED or timeout).
async fn wait_completed(
    runner: &mut Process,
    run_id: &str,
    timeout: Duration,
) -> anyhow::Result<pb::Run> {
    let deadline = Instant::now() + timeout;
    loop {
        if !runner.alive() {
            anyhow::bail!("{} exited\n{}", runner.name, runner.log_tail());
        }
        if let Ok(run) = get_run(runner, run_id).await {
            if run.status == pb::BenchmarkRunStatus::Completed as i32 {
                return Ok(run);
            }
            if run.status == pb::BenchmarkRunStatus::Failed as i32 {
                anyhow::bail!("run {run_id} failed: {}", run.error);
            }
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "run {run_id} not completed within {timeout:?}\n{}",
                runner.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Stored results of a run as (model, case input) with how many rows each pair has.
async fn stored_pairs(
    pool: &sqlx::PgPool,
    run_id: &str,
) -> anyhow::Result<BTreeMap<(String, String), i64>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT model, input, count(*) FROM benchmark_results WHERE run_id = $1::uuid GROUP BY model, input",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(model, input, count)| ((model, input), count))
        .collect())
}

/// Calls per (model as sent to the provider, user prompt), from the fake provider's stats and log.
fn calls_by_prompt(fake: &FakeProviderHandle) -> BTreeMap<(String, String), u64> {
    let stats = fake.stats();
    let mut hash_to_prompt = BTreeMap::new();
    for request in fake.requests() {
        if let Some(message) = request.messages.iter().rev().find(|m| m.role == "user") {
            hash_to_prompt.insert(
                (request.model.clone(), request.input_hash.clone()),
                message.content.clone(),
            );
        }
    }
    stats
        .pairs
        .iter()
        .filter_map(|pair| {
            let prompt = hash_to_prompt.get(&(pair.model.clone(), pair.input_hash.clone()))?;
            Some(((pair.model.clone(), prompt.clone()), pair.calls))
        })
        .collect()
}

/// "fake/good+latency=300ms" -> "good+latency=300ms" (the model as the provider receives it).
/// Creates a run through `runner` as the admin.
async fn create_run(runner: &Process, request: pb::CreateRunRequest) -> anyhow::Result<pb::Run> {
    runner
        .runner()
        .await?
        .create_run(authorized(request, ADMIN_TOKEN))
        .await?
        .into_inner()
        .run
        .ok_or_else(|| anyhow::anyhow!("CreateRun returned no run"))
}

/// ReingestSource of `source` through `ingest` as the admin.
async fn reingest(ingest: &Process, source: &str) -> anyhow::Result<pb::IngestResult> {
    crate::stack::reingest_over(ingest.channel().await?, ADMIN_TOKEN, source).await
}

/// ReingestAll of `sources` through `ingest` as the admin: every streamed result by source.
async fn reingest_all(
    ingest: &Process,
    sources: &[&str],
    max_concurrency: i32,
) -> anyhow::Result<BTreeMap<String, pb::IngestResult>> {
    let mut stream = pb::ingest_service_client::IngestServiceClient::new(ingest.channel().await?)
        .reingest_all(authorized(
            pb::ReingestAllRequest {
                sources: sources.iter().map(|s| (*s).to_owned()).collect(),
                max_concurrency,
                ..pb::ReingestAllRequest::default()
            },
            ADMIN_TOKEN,
        ))
        .await?
        .into_inner();
    let mut results = BTreeMap::new();
    while let Some(message) = stream.message().await? {
        let result = message
            .result
            .ok_or_else(|| anyhow::anyhow!("ReingestAll streamed no result"))?;
        results.insert(result.source.clone(), result);
    }
    Ok(results)
}

/// The first ListRankings row of `rankings` with the response's source statuses.
async fn first_ranking_page(rankings: &Process) -> anyhow::Result<pb::ListRankingsResponse> {
    Ok(
        pb::rankings_service_client::RankingsServiceClient::new(rankings.channel().await?)
            .list_rankings(pb::ListRankingsRequest {
                page_size: 1,
                // Every model in the catalog, benchmarked or not.
                filter: Some(pb::RankingsFilter {
                    include_unbenchmarked: true,
                    ..Default::default()
                }),
                ..pb::ListRankingsRequest::default()
            })
            .await?
            .into_inner(),
    )
}

fn provider_model(model: &str) -> String {
    model
        .split_once('/')
        .map_or(model, |(_, rest)| rest)
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runner_killed_mid_run_resumes_without_repeating_stored_pairs() -> anyhow::Result<()> {
    let Some(bed) = RunnerBed::start().await? else {
        return Ok(());
    };
    let mut first = bed.runner("runner-a").await?;
    let models = [
        "fake/good+latency=300ms",
        "fake/okay+latency=300ms",
        "fake/bad+latency=300ms",
    ];
    let mut client = first.runner().await?;
    let suite = client
        .create_suite(authorized(
            pb::CreateSuiteRequest {
                name: "kill-nine".to_owned(),
                description: String::new(),
            },
            ADMIN_TOKEN,
        ))
        .await?
        .into_inner()
        .suite
        .expect("suite");
    client
        .add_test_cases(authorized(
            pb::AddTestCasesRequest {
                suite_id: suite.id.clone(),
                cases: cases("kill", 10),
            },
            ADMIN_TOKEN,
        ))
        .await?;
    let run = create_run(
        &first,
        pb::CreateRunRequest {
            suite_id: suite.id.clone(),
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            grader: Some(exact()),
            limits: Some(limits(3)),
            ..pb::CreateRunRequest::default()
        },
    )
    .await?;
    let total = 30;

    // Kill the runner once some, but not all, results are stored.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = get_run(&first, &run.id).await?.counts.map_or(0, |c| c.done);
        if done >= 6 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no progress\n{}",
            first.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill9();
    let before = stored_pairs(&bed.db.pool, &run.id).await?;
    let calls_before = calls_by_prompt(&bed.fake);
    assert!(
        !before.is_empty() && before.len() < total,
        "the kill should land mid-run: {} of {total} stored",
        before.len()
    );

    let mut second = bed.runner("runner-b").await?;
    let finished = wait_completed(&mut second, &run.id, Duration::from_secs(45)).await?;
    let counts = finished.counts.expect("counts");
    assert_eq!(counts.total, total as i32);
    assert_eq!(counts.done, total as i32);
    assert_eq!(counts.failed, 0, "{counts:?}");

    let after = stored_pairs(&bed.db.pool, &run.id).await?;
    assert_eq!(after.len(), total, "every pair has a result");
    assert!(
        after.values().all(|count| *count == 1),
        "a pair has two results: {after:?}"
    );
    let stored_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM benchmark_results WHERE run_id = $1::uuid")
            .bind(&run.id)
            .fetch_one(&bed.db.pool)
            .await?;
    assert_eq!(stored_rows, total as i64);

    let calls_after = calls_by_prompt(&bed.fake);
    assert_eq!(
        calls_after.len(),
        total,
        "every pair was called: {calls_after:?}"
    );
    assert!(
        bed.fake.stats().max_calls_per_pair <= 2,
        "a pair was called more than twice: {:?}",
        bed.fake.stats().pairs
    );
    for (model, input) in before.keys() {
        let key = (provider_model(model), input.clone());
        let earlier = calls_before.get(&key).copied().unwrap_or(0);
        let later = calls_after.get(&key).copied().unwrap_or(0);
        assert!(
            earlier >= 1,
            "stored before the kill but never called: {key:?}"
        );
        assert_eq!(
            earlier, later,
            "a pair stored before the kill was called again: {key:?}"
        );
    }
    bed.db.pool.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runner_replicas_claim_each_run_once() -> anyhow::Result<()> {
    let Some(bed) = RunnerBed::start().await? else {
        return Ok(());
    };
    let mut replicas = [
        bed.runner("replica-one").await?,
        bed.runner("replica-two").await?,
    ];
    let models = ["fake/good+latency=100ms", "fake/okay+latency=100ms"];
    let mut run_ids = Vec::new();
    for index in 0..6 {
        // Alternate the replica that receives the request; any replica may execute the run.
        let run = create_run(
            &replicas[index % 2],
            pb::CreateRunRequest {
                ad_hoc_cases: cases(&format!("replicas run {index}"), 5),
                models: models.iter().map(|m| (*m).to_owned()).collect(),
                grader: Some(exact()),
                limits: Some(limits(4)),
                ..pb::CreateRunRequest::default()
            },
        )
        .await?;
        run_ids.push(run.id);
    }
    for run_id in &run_ids {
        let run = wait_completed(&mut replicas[0], run_id, Duration::from_secs(45)).await?;
        let counts = run.counts.expect("counts");
        assert_eq!(
            (counts.done, counts.failed),
            (10, 0),
            "{run_id}: {counts:?}"
        );
        let pairs = stored_pairs(&bed.db.pool, run_id).await?;
        assert_eq!(pairs.len(), 10);
        assert!(pairs.values().all(|count| *count == 1), "{pairs:?}");
    }
    for replica in &mut replicas {
        assert!(replica.alive(), "{}", replica.log_tail());
    }
    // Every prompt is unique to its run, so one call per (model, prompt) means each run's pairs were
    // executed by one claim only.
    let stats = bed.fake.stats();
    assert_eq!(stats.total_calls, 60, "{:?}", stats.pairs);
    assert_eq!(stats.max_calls_per_pair, 1, "{:?}", stats.pairs);
    let claims: Vec<Option<String>> =
        sqlx::query_scalar("SELECT claimed_by FROM benchmark_runs ORDER BY created_at")
            .fetch_all(&bed.db.pool)
            .await?;
    assert_eq!(claims.len(), run_ids.len());
    let replica_names: BTreeSet<String> = claims
        .iter()
        .flatten()
        .filter_map(|claim| claim.split('/').next().map(str::to_owned))
        .collect();
    assert!(
        replica_names
            .iter()
            .all(|name| name == "replica-one" || name == "replica-two"),
        "{claims:?}"
    );
    bed.db.pool.close().await;
    Ok(())
}

/// Two runner processes on one database, each running its own run against a provider limited to 16
/// calls in flight: the fake provider never sees more than 16 at once although each run alone may send
/// 16, and both runs complete with every pair recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runner_processes_share_a_providers_concurrency_limit() -> anyhow::Result<()> {
    let Some(bed) = RunnerBed::start().await? else {
        return Ok(());
    };
    // One run at a time per replica, so each replica executes the run it is given.
    let limit = [
        ("BENCHHUB_RUNNER_PROVIDER_CONCURRENCY", "16".to_owned()),
        ("BENCHHUB_RUNNER_MAX_ACTIVE_RUNS", "1".to_owned()),
    ];
    let mut replicas = [
        bed.runner_with("limit-one", &limit).await?,
        bed.runner_with("limit-two", &limit).await?,
    ];
    let models = ["fake/good+latency=100ms", "fake/okay+latency=100ms"];
    let mut run_ids = Vec::new();
    for (index, replica) in replicas.iter().enumerate() {
        let run = create_run(
            replica,
            pb::CreateRunRequest {
                ad_hoc_cases: cases(&format!("shared limit run {index}"), 60),
                models: models.iter().map(|m| (*m).to_owned()).collect(),
                grader: Some(exact()),
                limits: Some(limits(16)),
                ..pb::CreateRunRequest::default()
            },
        )
        .await?;
        // The first run is under way (claimed) before the second exists.
        let deadline = Instant::now() + Duration::from_secs(30);
        while get_run(replica, &run.id).await?.status == pb::BenchmarkRunStatus::Pending as i32 {
            anyhow::ensure!(Instant::now() < deadline, "run {} never started", run.id);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        run_ids.push(run.id);
    }
    for run_id in &run_ids {
        let run = wait_completed(&mut replicas[0], run_id, Duration::from_secs(60)).await?;
        let counts = run.counts.expect("counts");
        assert_eq!((counts.done, counts.failed), (120, 0), "{run_id}");
    }
    let stats = bed.fake.stats();
    assert_eq!(stats.total_calls, 240);
    assert_eq!(stats.max_calls_per_pair, 1);
    assert!(
        (1..=16).contains(&stats.max_in_flight),
        "{} calls in flight at once against a shared limit of 16",
        stats.max_in_flight
    );
    // Each replica executed the run it was given, and the two runs overlapped in time.
    let rows: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT split_part(claimed_by, '/', 1), EXTRACT(EPOCH FROM started_at)::float8, \
                EXTRACT(EPOCH FROM completed_at)::float8 \
           FROM benchmark_runs WHERE id = ANY($1::uuid[]) ORDER BY started_at",
    )
    .bind(&run_ids)
    .fetch_all(&bed.db.pool)
    .await?;
    let claimed: BTreeSet<&str> = rows.iter().map(|row| row.0.as_str()).collect();
    assert_eq!(claimed.len(), 2, "{rows:?}");
    assert!(rows[1].1 < rows[0].2, "the runs overlapped: {rows:?}");
    for replica in &mut replicas {
        assert!(replica.alive(), "{}", replica.log_tail());
    }
    bed.db.pool.close().await;
    Ok(())
}

/// The server URL of `db` with the maintenance database `postgres` instead.
fn maintenance_url(db: &TestDb) -> String {
    let (base, _) = db
        .owner_url
        .rsplit_once('/')
        .expect("database url has a path");
    let query = db
        .owner_url
        .split_once('?')
        .map(|(_, query)| format!("?{query}"))
        .unwrap_or_default();
    format!("{base}/postgres{query}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_database_flips_health_without_killing_the_service() -> anyhow::Result<()> {
    use sqlx::Connection;
    use sqlx::Executor;

    let Some(dir) = binaries_dir(&["judge"]) else {
        return Ok(());
    };
    let db = TestDb::new().await?;
    let mut judge = Process::start(&dir, "judge", "judge", &[("DATABASE_URL", db.url.clone())])?;
    judge.wait_serving().await?;

    let mut admin = sqlx::PgConnection::connect(&maintenance_url(&db)).await?;
    admin
        .execute(format!("DROP DATABASE \"{}\" WITH (FORCE)", db.name).as_str())
        .await?;
    let outcome = async {
        judge
            .wait_status(ServingStatus::NotServing, Duration::from_secs(15))
            .await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(judge.alive(), "{}", judge.log_tail());
        anyhow::Ok(())
    }
    .await;
    admin
        .execute(format!("CREATE DATABASE \"{}\"", db.name).as_str())
        .await?;
    admin.close().await.ok();
    outcome?;
    judge
        .wait_status(ServingStatus::Serving, Duration::from_secs(20))
        .await?;
    assert!(judge.alive(), "{}", judge.log_tail());
    db.pool.close().await;
    Ok(())
}

/// An in-process replay upstream with generated payloads of every source.
async fn replay() -> anyhow::Result<benchhub_upstream::ReplayServer> {
    use benchhub_upstream::{Backend, Generator, ReplayServer};
    ReplayServer::start(
        "127.0.0.1:0".parse()?,
        Backend::Generator(Generator::new(7, 20, Generator::default_date())),
    )
    .await
}

/// Environment of an ingest process on `database_url` fetching every source from `replay`.
fn ingest_env(
    database_url: &str,
    replay: &benchhub_upstream::ReplayServer,
) -> Vec<(String, String)> {
    let mut env = replay.env_vars();
    env.push(("DATABASE_URL".to_owned(), database_url.to_owned()));
    env.push(("BENCHHUB_INGEST_HTTP_RETRIES".to_owned(), "1".to_owned()));
    env.push((
        "BENCHHUB_INGEST_HTTP_BACKOFF".to_owned(),
        "100ms".to_owned(),
    ));
    env
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, String)> {
    env.iter()
        .map(|(key, value)| (key.as_str(), value.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reingest_all_completes_the_other_sources_when_one_fails_and_one_is_slow()
-> anyhow::Result<()> {
    use benchhub_upstream::{Fault, FaultKind};
    use pb::ingest_service_client::IngestServiceClient;

    let Some(dir) = binaries_dir(&["ingest"]) else {
        return Ok(());
    };
    let db = TestDb::new().await?;
    let upstream = replay().await?;
    let mut ingest = Process::start(
        &dir,
        "ingest",
        "ingest",
        &borrowed(&ingest_env(&db.url, &upstream)),
    )?;
    ingest.wait_serving().await?;
    // LMArena down: the datasets-server and its arena-catalog fallback both answer 503.
    for source in ["lmarena", "lmarena-catalog"] {
        upstream
            .control()
            .add_fault(Fault::new(source, FaultKind::Status { status: 503 }));
    }
    upstream
        .control()
        .add_fault(Fault::new("evalplus", FaultKind::Delay { millis: 1_500 }));

    let sources = [
        "lmarena",
        "evalplus",
        "bigcodebench",
        "swebench",
        "livecodebench",
    ];
    let started = Instant::now();
    let results = reingest_all(&ingest, &sources, 4).await?;
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        results.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        sources.iter().copied().collect::<BTreeSet<_>>()
    );

    let failed = &results["lmarena"];
    assert_eq!(failed.status, pb::RunStatus::Failed as i32, "{failed:?}");
    assert!(
        failed.error.contains("503"),
        "unclear error: {}",
        failed.error
    );
    assert!(failed.stale, "{failed:?}");
    for source in &sources[1..] {
        let result = &results[*source];
        assert_eq!(
            result.status,
            pb::RunStatus::Succeeded as i32,
            "{source}: {result:?}"
        );
        assert!(result.fetched > 0, "{source}: {result:?}");
    }
    assert!(
        results["evalplus"].duration_ms >= 1_500,
        "{:?}",
        results["evalplus"]
    );

    let listed = IngestServiceClient::new(ingest.channel().await?)
        .list_sources(authorized(pb::ListSourcesRequest::default(), ADMIN_TOKEN))
        .await?
        .into_inner()
        .sources;
    for source in listed.iter().filter(|s| sources.contains(&s.name.as_str())) {
        assert_eq!(source.stale, source.name == "lmarena", "{source:?}");
    }
    assert!(ingest.alive(), "{}", ingest.log_tail());
    drop(ingest);
    // The replay's graceful stop may wait on connections of the killed processes; bound it.
    let _ = tokio::time::timeout(Duration::from_secs(2), upstream.stop()).await;
    db.pool.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingest_replicas_fire_each_scheduled_run_once() -> anyhow::Result<()> {
    let Some(dir) = binaries_dir(&["ingest"]) else {
        return Ok(());
    };
    let db = TestDb::new().await?;
    let upstream = replay().await?;
    let mut env = ingest_env(&db.url, &upstream);
    for source in benchhub_upstream::replay::SOURCES
        .iter()
        .chain(&["mteb"])
        .filter(|source| **source != "evalplus")
    {
        env.push((
            format!(
                "BENCHHUB_SOURCE_{}_SCHEDULE",
                source.to_uppercase().replace('-', "_")
            ),
            "off".to_owned(),
        ));
    }
    env.push((
        "BENCHHUB_SOURCE_EVALPLUS_SCHEDULE".to_owned(),
        "*/3 * * * * *".to_owned(),
    ));
    env.push(("BENCHHUB_INGEST_SCHEDULER".to_owned(), "true".to_owned()));
    env.push(("BENCHHUB_INGEST_SCHEDULER_TICK".to_owned(), "1s".to_owned()));
    let env = borrowed(&env);
    let mut replicas = [
        Process::start(&dir, "ingest", "ingest-one", &env)?,
        Process::start(&dir, "ingest", "ingest-two", &env)?,
    ];
    for replica in &mut replicas {
        replica.wait_serving().await?;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    for replica in &mut replicas {
        assert!(replica.alive(), "{}", replica.log_tail());
    }
    drop(replicas);

    let rows: Vec<(String, f64)> = sqlx::query_as(
        "SELECT source, extract(epoch FROM started_at)::float8 FROM ingestion_runs \
         WHERE trigger = 'schedule' ORDER BY started_at",
    )
    .fetch_all(&db.pool)
    .await?;
    assert!(
        rows.iter().all(|(source, _)| source == "evalplus"),
        "{rows:?}"
    );
    assert!(rows.len() >= 2, "the schedule fired too rarely: {rows:?}");
    // Firings are 3 s apart and each is claimed within a tick (1 s) of being due: a firing run
    // twice would show two runs less than a tick apart, and two runs in one 3 s slot.
    let slots: BTreeSet<i64> = rows
        .iter()
        .map(|(_, epoch)| (epoch / 3.0).floor() as i64)
        .collect();
    assert_eq!(slots.len(), rows.len(), "a firing ran twice: {rows:?}");
    for pair in rows.windows(2) {
        assert!(pair[1].1 - pair[0].1 >= 1.5, "a firing ran twice: {rows:?}");
    }
    // The replay's graceful stop may wait on connections of the killed processes; bound it.
    let _ = tokio::time::timeout(Duration::from_secs(2), upstream.stop()).await;
    db.pool.close().await;
    Ok(())
}

/// An ingest process killed (SIGKILL) mid-run leaves no run RUNNING: the other replica closes it as
/// interrupted within a few ticks, and nothing of it was written. A run that outlives its call is
/// answered RUNNING with its id and followed to its end by `benchctl reingest`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_killed_mid_run_is_closed_by_the_other_replica() -> anyhow::Result<()> {
    use benchhub_upstream::{Fault, FaultKind};
    use pb::ingest_service_client::IngestServiceClient;

    let Some(dir) = binaries_dir(&["ingest"]) else {
        return Ok(());
    };
    let db = TestDb::new().await?;
    let upstream = replay().await?;
    let mut env = ingest_env(&db.url, &upstream);
    env.push((
        "BENCHHUB_INGEST_SCHEDULER_TICK".to_owned(),
        "500ms".to_owned(),
    ));
    // Callers without a deadline of their own wait two seconds for the result, then get the run id.
    env.push(("BENCHHUB_REQUEST_TIMEOUT".to_owned(), "2s".to_owned()));
    let env = borrowed(&env);
    let mut doomed = Process::start(&dir, "ingest", "ingest-doomed", &env)?;
    let mut survivor = Process::start(&dir, "ingest", "ingest-survivor", &env)?;
    doomed.wait_serving().await?;
    survivor.wait_serving().await?;
    upstream
        .control()
        .add_fault(Fault::new("evalplus", FaultKind::Delay { millis: 8_000 }));

    let mut request = authorized(
        pb::ReingestSourceRequest {
            source: "evalplus".to_owned(),
            dry_run: false,
        },
        ADMIN_TOKEN,
    );
    request.set_timeout(Duration::from_secs(1));
    let started = IngestServiceClient::new(doomed.channel().await?)
        .reingest_source(request)
        .await?
        .into_inner()
        .result
        .ok_or_else(|| anyhow::anyhow!("no result"))?;
    assert_eq!(started.status, pb::RunStatus::Running as i32, "{started:?}");
    doomed.kill9();
    let killed = Instant::now();
    let mut survivor_client = IngestServiceClient::new(survivor.channel().await?);
    let run = loop {
        let run = survivor_client
            .get_ingestion_run(authorized(
                pb::GetIngestionRunRequest {
                    id: started.run_id.clone(),
                },
                ADMIN_TOKEN,
            ))
            .await?
            .into_inner()
            .run
            .unwrap_or_default();
        if run.status != pb::RunStatus::Running as i32 {
            break run;
        }
        anyhow::ensure!(
            killed.elapsed() < Duration::from_secs(30),
            "the killed run stayed RUNNING\n{}",
            survivor.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "killed run closed {:?} after the kill: {}",
        killed.elapsed(),
        run.error
    );
    assert_eq!(run.status, pb::RunStatus::Failed as i32, "{run:?}");
    assert!(run.error.starts_with("interrupted"), "{}", run.error);
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM observations WHERE source = 'evalplus'")
            .fetch_one(&db.pool)
            .await?;
    assert_eq!(written, 0, "the killed run wrote observations");

    // benchctl follows a run that outlives its call (2 s here) to its end.
    upstream.control().clear_faults();
    upstream
        .control()
        .add_fault(Fault::new("evalplus", FaultKind::Delay { millis: 4_000 }));
    let clients = benchhub_benchctl::client::Clients::new(benchhub_benchctl::client::Endpoints {
        ingest: survivor.url.clone(),
        rankings: survivor.url.clone(),
        runner: survivor.url.clone(),
        judge: survivor.url.clone(),
        token: Some(ADMIN_TOKEN.to_owned()),
    })?;
    let asked = Instant::now();
    benchhub_benchctl::commands::ingest::run_reingest(
        &clients,
        &benchhub_benchctl::commands::ingest::ReingestArgs {
            source: Some("evalplus".to_owned()),
            all: false,
            dry_run: false,
            concurrency: 0,
            yes: true,
        },
    )
    .await?;
    println!("benchctl reingest returned after {:?}", asked.elapsed());
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT status FROM ingestion_runs WHERE source = 'evalplus' ORDER BY started_at",
    )
    .fetch_all(&db.pool)
    .await?;
    assert_eq!(statuses, ["failed", "succeeded"]);
    assert!(survivor.alive(), "{}", survivor.log_tail());
    drop(survivor);
    let _ = tokio::time::timeout(Duration::from_secs(2), upstream.stop()).await;
    db.pool.close().await;
    Ok(())
}
