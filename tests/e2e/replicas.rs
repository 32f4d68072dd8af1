//! Two rankings replicas on one database both refresh after an ingest (Postgres LISTEN/NOTIFY), so any
//! replica behind a load balancer answers with the new data.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_testkit::TestServer;
use benchhub_upstream::{Backend, Generator, ReplayServer};

use crate::stack::{ADMIN_TOKEN, Stack};

async fn model_count(server: &TestServer) -> anyhow::Result<i32> {
    let mut client =
        pb::rankings_service_client::RankingsServiceClient::new(server.channel().await?);
    let page = client
        .list_rankings(pb::ListRankingsRequest {
            page_size: 1,
            // Every model in the catalog, benchmarked or not.
            filter: Some(pb::RankingsFilter {
                include_unbenchmarked: true,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(page.total_size)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_rankings_replicas_refresh_after_an_ingest() -> anyhow::Result<()> {
    let backend = Backend::Generator(Generator::new(11, 30, Generator::default_date()));
    let replay = ReplayServer::start(([127, 0, 0, 1], 0).into(), backend).await?;
    let replay_url = replay.url();
    let stack = Stack::start_with(|config| config.point_sources_at(&replay_url)).await?;

    let mut config = benchhub_rankings::Config::for_tests(&stack.db.url);
    config.common.admin_token = Some(ADMIN_TOKEN.to_owned().into());
    let second =
        TestServer::start(|listener, shutdown| benchhub_rankings::run(config, listener, shutdown))
            .await?;
    second.wait_serving(Duration::from_secs(30)).await?;
    let before = (
        model_count(&stack.rankings).await.unwrap_or(0),
        model_count(&second).await.unwrap_or(0),
    );

    for source in ["modelsdev", "openrouter"] {
        let result =
            crate::stack::reingest_over(stack.ingest.channel().await?, ADMIN_TOKEN, source).await?;
        assert!(result.error.is_empty(), "{source}: {}", result.error);
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let first = model_count(&stack.rankings).await.unwrap_or(0);
        let other = model_count(&second).await.unwrap_or(0);
        if first > before.0 && first == other {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "replicas did not both refresh: before {before:?}, now ({first}, {other})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.stop().await?;
    stack.stop().await?;
    replay.stop().await;
    Ok(())
}
