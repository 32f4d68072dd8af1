//! Starts all four services on one fresh database.

use std::time::Duration;

use benchhub_testkit::{TestDb, TestServer};

/// Bootstrap admin token used by the stack.
pub(crate) const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789";

/// The four services on port 0, sharing one database.
pub(crate) struct Stack {
    pub db: TestDb,
    pub ingest: TestServer,
    pub rankings: TestServer,
    pub runner: TestServer,
    pub judge: TestServer,
}

fn admin() -> Option<secrecy::SecretString> {
    Some(ADMIN_TOKEN.to_owned().into())
}

impl Stack {
    pub(crate) async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Starts the stack; `configure_ingest` may adjust the ingest configuration (e.g. point the sources
    /// at a replay server).
    pub(crate) async fn start_with(
        configure_ingest: impl FnOnce(&mut benchhub_ingest::Config),
    ) -> anyhow::Result<Self> {
        Self::start_configured(configure_ingest, |_| {}).await
    }

    /// Starts the stack; the closures may adjust the ingest and runner configurations.
    pub(crate) async fn start_configured(
        configure_ingest: impl FnOnce(&mut benchhub_ingest::Config),
        configure_runner: impl FnOnce(&mut benchhub_runner::Config),
    ) -> anyhow::Result<Self> {
        benchhub_common::telemetry::init_for_tests();
        let db = TestDb::new().await?;
        let mut ingest_config = benchhub_ingest::Config::for_tests(&db.url);
        ingest_config.common.admin_token = admin();
        configure_ingest(&mut ingest_config);
        let ingest = TestServer::start(|listener, shutdown| {
            benchhub_ingest::run(ingest_config, listener, shutdown)
        })
        .await?;
        let mut rankings_config = benchhub_rankings::Config::for_tests(&db.url);
        rankings_config.common.admin_token = admin();
        let rankings = TestServer::start(|listener, shutdown| {
            benchhub_rankings::run(rankings_config, listener, shutdown)
        })
        .await?;
        let mut judge_config = benchhub_judge::Config::for_tests(&db.url);
        judge_config.common.admin_token = admin();
        let judge = TestServer::start(|listener, shutdown| {
            benchhub_judge::run(judge_config, listener, shutdown)
        })
        .await?;
        let mut runner_config = benchhub_runner::Config::for_tests(&db.url);
        runner_config.common.admin_token = admin();
        // Grading goes through the judge, started first.
        runner_config.judge_url = judge.url.clone();
        runner_config.judge_token = admin();
        configure_runner(&mut runner_config);
        let runner = TestServer::start(|listener, shutdown| {
            benchhub_runner::run(runner_config, listener, shutdown)
        })
        .await?;
        for server in [&ingest, &rankings, &runner, &judge] {
            server.wait_serving(Duration::from_secs(30)).await?;
        }
        Ok(Self {
            db,
            ingest,
            rankings,
            runner,
            judge,
        })
    }

    /// benchctl clients pointed at this stack with `token`.
    pub(crate) fn clients(&self, token: Option<&str>) -> benchhub_benchctl::client::Clients {
        benchhub_benchctl::client::Clients::new(benchhub_benchctl::client::Endpoints {
            ingest: self.ingest.url.clone(),
            rankings: self.rankings.url.clone(),
            runner: self.runner.url.clone(),
            judge: self.judge.url.clone(),
            token: token.map(str::to_owned),
        })
        .expect("valid token")
    }

    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.ingest.stop().await?;
        self.rankings.stop().await?;
        self.runner.stop().await?;
        self.judge.stop().await?;
        Ok(())
    }
}

/// ReingestSource of `source` over `channel` with `token`: its result, or an error naming the source.
pub(crate) async fn reingest_over(
    channel: tonic::transport::Channel,
    token: &str,
    source: &str,
) -> anyhow::Result<benchhub_proto::pb::IngestResult> {
    use benchhub_proto::pb;
    pb::ingest_service_client::IngestServiceClient::new(channel)
        .reingest_source(benchhub_testkit::authorized(
            pb::ReingestSourceRequest {
                source: source.to_owned(),
                dry_run: false,
            },
            token,
        ))
        .await?
        .into_inner()
        .result
        .ok_or_else(|| anyhow::anyhow!("reingest of {source} returned no result"))
}
