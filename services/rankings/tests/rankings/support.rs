//! Shared set-up: a seeded test database, the service on port 0 and a typed client.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_proto::pb::rankings_service_client::RankingsServiceClient;
use benchhub_rankings::testdata::{
    self, ModelRecord, ObservationSeed, insert_alias, insert_models, insert_observations,
    set_source_state,
};
use benchhub_testkit::{TestDb, TestServer};
use chrono::{Duration as Days, NaiveDate, Utc};
use tonic::transport::Channel;

/// Admin token of the test servers.
pub(crate) const ADMIN_TOKEN: &str = "rankings-test-admin-token";

/// Today (UTC), the reference of every relative date below.
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `days` days before today.
pub(crate) fn days_ago(days: i64) -> NaiveDate {
    today() - Days::days(days)
}

/// A running rankings service on its own database.
pub(crate) struct Harness {
    pub db: TestDb,
    pub server: TestServer,
    pub client: RankingsServiceClient<Channel>,
}

impl Harness {
    /// Creates a database, lets `seed` fill it, then starts the service (which builds its catalog).
    pub(crate) async fn start<F, Fut>(seed: F) -> anyhow::Result<Self>
    where
        F: FnOnce(sqlx::PgPool) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>>,
    {
        Self::start_with(seed, |_| {}).await
    }

    /// As [`Harness::start`], with a chance to adjust the configuration.
    pub(crate) async fn start_with<F, Fut>(
        seed: F,
        configure: impl FnOnce(&mut benchhub_rankings::Config),
    ) -> anyhow::Result<Self>
    where
        F: FnOnce(sqlx::PgPool) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>>,
    {
        benchhub_common::telemetry::init_for_tests();
        let db = TestDb::new().await?;
        seed(db.pool.clone()).await?;
        let mut config = benchhub_rankings::Config::for_tests(&db.url);
        config.common.admin_token = Some(ADMIN_TOKEN.to_owned().into());
        configure(&mut config);
        let server = TestServer::start(|listener, shutdown| {
            benchhub_rankings::run(config, listener, shutdown)
        })
        .await?;
        server.wait_serving(Duration::from_secs(30)).await?;
        let client = RankingsServiceClient::new(server.channel().await?);
        Ok(Self { db, server, client })
    }

    /// Lists every page of a request and returns the rows, checking the pages agree on the total.
    pub(crate) async fn list_all(
        &mut self,
        mut request: pb::ListRankingsRequest,
    ) -> anyhow::Result<Vec<pb::RankingRow>> {
        let mut rows = Vec::new();
        let mut total = None;
        loop {
            let response = self
                .client
                .list_rankings(request.clone())
                .await?
                .into_inner();
            if let Some(total) = total {
                assert_eq!(
                    total, response.total_size,
                    "total_size changed between pages"
                );
            }
            total = Some(response.total_size);
            rows.extend(response.rows);
            if response.next_page_token.is_empty() {
                break;
            }
            request.page_token = response.next_page_token;
        }
        assert_eq!(rows.len() as i32, total.unwrap_or(0));
        Ok(rows)
    }

    /// Polls `probe` until it returns true or `timeout` passes.
    pub(crate) async fn eventually<F, Fut>(&mut self, timeout: Duration, mut probe: F) -> bool
    where
        F: FnMut(RankingsServiceClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if probe(self.client.clone()).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }
}

/// Ids of rows, in order.
pub(crate) fn ids(rows: &[pb::RankingRow]) -> Vec<String> {
    rows.iter()
        .map(|row| {
            row.model
                .as_ref()
                .map(|model| model.id.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// A request for the first page (full view) with `order_by` and the filter.
pub(crate) fn request(
    filter: Option<pb::RankingsFilter>,
    order_by: &str,
) -> pb::ListRankingsRequest {
    pb::ListRankingsRequest {
        filter,
        order_by: order_by.to_owned(),
        page_size: 100,
        view: pb::RankingView::Full as i32,
        ..pb::ListRankingsRequest::default()
    }
}

fn observation(
    model: &str,
    source: &str,
    category: &str,
    metric: &str,
    days: i64,
    value: f64,
    normalized: Option<f64>,
) -> ObservationSeed {
    ObservationSeed::new(
        model,
        source,
        category,
        metric,
        days_ago(days),
        value,
        normalized,
    )
}

/// The small hand-made catalog most tests use:
///
/// | model | arena | coding (norm.) | TTFT / tok/s / quality | price in/out | notes |
/// |---|---|---|---|---|---|
/// | openai/gpt-4o | 1300 | 80, swe 70 | 0.4 / 120 / 88 | 2.5 / 10 | aliases, history |
/// | anthropic/claude-sonnet-4 | 1350 | 95, swe 90 | 1.2 / 80 / 92 | 3 / 15 | |
/// | meta-llama/llama-3.3-70b | 1250 | 60 | 0.3 / 150 / 70 | 0.12 / 0.3, `:free` variant (a flag) | open |
/// | google/gemini-2.0-flash | 1280 | 70 | 0.25 / 200 / 75 | 0.1 / 0.4 | |
/// | deepseek/deepseek-v3 | 1320 (40 days old) | 90 (40 days old) | – | – | open, stale |
/// | mistralai/mistral-small | – | – | – | – | no data, first seen 3 days ago: listed only with include_unbenchmarked |
pub(crate) async fn seed_basic(pool: sqlx::PgPool) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut models = vec![
        ModelRecord::new("openai/gpt-4o", "GPT-4o", now - Days::days(60)),
        ModelRecord::new(
            "anthropic/claude-sonnet-4",
            "Claude Sonnet 4",
            now - Days::days(50),
        ),
        ModelRecord::new(
            "meta-llama/llama-3.3-70b",
            "Llama 3.3 70B",
            now - Days::days(45),
        ),
        ModelRecord::new(
            "google/gemini-2.0-flash",
            "Gemini 2.0 Flash",
            now - Days::days(12),
        ),
        ModelRecord::new("deepseek/deepseek-v3", "DeepSeek V3", now - Days::days(41)),
        ModelRecord::new(
            "mistralai/mistral-small",
            "Mistral Small",
            now - Days::days(3),
        ),
    ];
    models[0].open_weights = Some(false);
    models[1].open_weights = Some(false);
    models[2].open_weights = Some(true);
    models[3].open_weights = Some(false);
    models[4].open_weights = Some(true);
    models[0].context_length = Some(128_000);
    insert_models(&pool, &models).await?;
    insert_alias(&pool, "lmarena", "gpt-4o-2024-08-06", "openai/gpt-4o").await?;
    insert_alias(&pool, "openrouter", "openai/gpt-4o-latest", "openai/gpt-4o").await?;

    let mut observations = Vec::new();
    for (model, elo, days) in [
        ("openai/gpt-4o", 1300.0, 1),
        ("anthropic/claude-sonnet-4", 1350.0, 1),
        ("meta-llama/llama-3.3-70b", 1250.0, 1),
        ("google/gemini-2.0-flash", 1280.0, 1),
        ("deepseek/deepseek-v3", 1320.0, 40),
    ] {
        observations.push(observation(
            model,
            "lmarena",
            "text",
            "elo",
            days,
            elo,
            Some(50.0),
        ));
    }
    observations.push(observation(
        "openai/gpt-4o",
        "lmarena",
        "text",
        "elo",
        10,
        1280.0,
        Some(45.0),
    ));
    observations.push(observation(
        "openai/gpt-4o",
        "lmarena",
        "text",
        "elo",
        20,
        1270.0,
        Some(40.0),
    ));
    for (model, normalized, days) in [
        ("openai/gpt-4o", 80.0, 1),
        ("anthropic/claude-sonnet-4", 95.0, 1),
        ("meta-llama/llama-3.3-70b", 60.0, 1),
        ("google/gemini-2.0-flash", 70.0, 1),
        ("deepseek/deepseek-v3", 90.0, 40),
    ] {
        observations.push(observation(
            model,
            "evalplus",
            "coding",
            "humaneval_plus",
            days,
            normalized,
            Some(normalized),
        ));
    }
    observations.push(observation(
        "openai/gpt-4o",
        "evalplus",
        "coding",
        "humaneval_plus",
        10,
        75.0,
        Some(75.0),
    ));
    for (model, normalized) in [("openai/gpt-4o", 70.0), ("anthropic/claude-sonnet-4", 90.0)] {
        observations.push(observation(
            model,
            "swebench",
            "coding",
            "verified_resolved",
            2,
            normalized / 2.0,
            Some(normalized),
        ));
    }
    for (model, ttft, tps, quality) in [
        ("openai/gpt-4o", 0.4, 120.0, 88.0),
        ("anthropic/claude-sonnet-4", 1.2, 80.0, 92.0),
        ("meta-llama/llama-3.3-70b", 0.3, 150.0, 70.0),
        ("google/gemini-2.0-flash", 0.25, 200.0, 75.0),
    ] {
        observations.push(observation(
            model,
            "artificialanalysis",
            "performance",
            "ttft_seconds",
            2,
            ttft,
            None,
        ));
        observations.push(observation(
            model,
            "artificialanalysis",
            "performance",
            "tokens_per_second",
            2,
            tps,
            None,
        ));
        observations.push(observation(
            model,
            "artificialanalysis",
            "quality",
            "intelligence_index",
            2,
            quality,
            None,
        ));
    }
    for (model, input, output, context) in [
        ("openai/gpt-4o", 2.5, 10.0, 128_000.0),
        ("anthropic/claude-sonnet-4", 3.0, 15.0, 200_000.0),
        ("meta-llama/llama-3.3-70b", 0.12, 0.3, 131_072.0),
        ("google/gemini-2.0-flash", 0.1, 0.4, 1_048_576.0),
    ] {
        observations.push(observation(
            model,
            "openrouter",
            "pricing",
            "input_usd_per_mtok",
            1,
            input,
            None,
        ));
        observations.push(observation(
            model,
            "openrouter",
            "pricing",
            "output_usd_per_mtok",
            1,
            output,
            None,
        ));
        observations.push(observation(
            model,
            "openrouter",
            "metadata",
            "context_length",
            1,
            context,
            None,
        ));
    }
    let mut free_input = observation(
        "meta-llama/llama-3.3-70b",
        "openrouter",
        "pricing",
        "input_usd_per_mtok",
        1,
        0.0,
        None,
    );
    free_input.source_model_name = "meta-llama/llama-3.3-70b:free".to_owned();
    observations.push(free_input);
    observations.push(observation(
        "openai/gpt-4o",
        "modelsdev",
        "pricing",
        "input_usd_per_mtok",
        5,
        2.75,
        None,
    ));
    let mut unmatched = observation("mystery-model", "lmarena", "text", "elo", 1, 1111.0, None);
    unmatched.model_id = None;
    observations.push(unmatched);
    insert_observations(&pool, &observations).await?;
    set_source_state(&pool, "lmarena", Some(days_ago(1)), false).await?;
    set_source_state(&pool, "artificialanalysis", Some(days_ago(2)), true).await?;
    Ok(())
}

/// Re-exported for tests that add data after start-up.
pub(crate) use testdata::notify_catalog;
