//! Shared set-up: a fresh database, the replay server, the ingest service on port 0 and clients.

use std::time::Duration;

use benchhub_ingest::Config;
use benchhub_proto::pb;
use benchhub_proto::pb::ingest_service_client::IngestServiceClient;
use benchhub_testkit::{TestDb, TestServer, authorized};
use benchhub_upstream::{Backend, Generator, ReplayServer};
use tonic::transport::Channel;

/// The bootstrap admin token of every test service.
pub(crate) const ADMIN: &str = "ingest-test-admin-token";

/// A database, a replay server and an ingest service pointed at it.
pub(crate) struct Harness {
    /// The database (dropped last).
    pub db: TestDb,
    /// The upstream replay server.
    pub replay: ReplayServer,
    /// The ingest service.
    pub server: TestServer,
    /// A channel to the service.
    pub channel: Channel,
}

/// The default generated upstream.
pub(crate) fn generated(models: usize) -> Backend {
    Backend::Generator(Generator::new(42, models, Generator::default_date()))
}

/// A configuration pointed at `replay`, with an admin token and an Artificial Analysis key.
pub(crate) fn config(db: &TestDb, replay: &ReplayServer) -> Config {
    let mut config = Config::for_tests(&db.url);
    config.common.admin_token = Some(ADMIN.to_owned().into());
    config.point_sources_at(&replay.url());
    for source in &mut config.sources {
        if source.spec.name == "artificialanalysis" {
            source.secret = Some("test-key".to_owned().into());
        }
    }
    config
}

/// Starts a service on `db` with `config`.
pub(crate) async fn start_service(config: Config) -> anyhow::Result<(TestServer, Channel)> {
    let server =
        TestServer::start(|listener, shutdown| benchhub_ingest::run(config, listener, shutdown))
            .await?;
    server.wait_serving(Duration::from_secs(30)).await?;
    let channel = server.channel().await?;
    Ok((server, channel))
}

impl Harness {
    /// Starts everything; `configure` may adjust the configuration.
    pub(crate) async fn start(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
        let db = TestDb::new().await?;
        let replay = ReplayServer::start(([127, 0, 0, 1], 0).into(), backend).await?;
        let mut config = config(&db, &replay);
        configure(&mut config);
        let (server, channel) = start_service(config).await?;
        Ok(Self {
            db,
            replay,
            server,
            channel,
        })
    }

    /// An ingest client without credentials.
    pub(crate) fn client(&self) -> IngestServiceClient<Channel> {
        IngestServiceClient::new(self.channel.clone())
    }

    /// Calls ReingestSource as admin.
    pub(crate) async fn reingest(
        &self,
        source: &str,
        dry_run: bool,
    ) -> Result<pb::IngestResult, tonic::Status> {
        let response = self
            .client()
            .reingest_source(authorized(
                pb::ReingestSourceRequest {
                    source: source.to_owned(),
                    dry_run,
                },
                ADMIN,
            ))
            .await?;
        Ok(response.into_inner().result.unwrap_or_default())
    }

    /// Calls ReingestAll as admin and collects the stream.
    pub(crate) async fn reingest_all(
        &self,
        sources: &[&str],
        dry_run: bool,
    ) -> Result<Vec<pb::IngestResult>, tonic::Status> {
        let mut stream = self
            .client()
            .reingest_all(authorized(
                pb::ReingestAllRequest {
                    dry_run,
                    sources: sources.iter().map(|source| (*source).to_owned()).collect(),
                    max_concurrency: 0,
                },
                ADMIN,
            ))
            .await?
            .into_inner();
        let mut results = Vec::new();
        while let Some(message) = stream.message().await? {
            results.extend(message.result);
        }
        Ok(results)
    }

    /// Rows of `source` in `observations`.
    pub(crate) async fn observations(&self, source: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM observations WHERE source = $1")
            .bind(source)
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or(-1)
    }

    /// Stops the service and the replay server.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.server.stop().await?;
        self.replay.stop().await;
        Ok(())
    }
}

/// The status of a result as its enum.
pub(crate) fn status(result: &pb::IngestResult) -> pb::RunStatus {
    pb::RunStatus::try_from(result.status).unwrap_or(pb::RunStatus::Unspecified)
}
