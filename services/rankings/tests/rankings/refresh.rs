//! Catalog refresh on NOTIFY, page tokens across refreshes, stale serving when the database is lost and
//! UNAVAILABLE without any catalog.

use std::collections::HashSet;
use std::time::Duration;

use benchhub_proto::pb;
use benchhub_proto::pb::rankings_service_client::RankingsServiceClient;
use benchhub_rankings::testdata::{
    ModelRecord, ObservationSeed, insert_models, insert_observations,
};
use benchhub_testkit::TestServer;
use chrono::Utc;
use sqlx::{Connection, Executor};

use crate::support::{Harness, days_ago, ids, notify_catalog, request, seed_basic};

async fn add_newcomer(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    insert_models(
        pool,
        &[ModelRecord::new("acme/newcomer", "Newcomer", Utc::now())],
    )
    .await?;
    insert_observations(
        pool,
        &[ObservationSeed::new(
            "acme/newcomer",
            "swebench",
            "coding",
            "verified_resolved",
            days_ago(0),
            70.0,
            Some(100.0),
        )],
    )
    .await?;
    Ok(())
}

async fn newcomer_visible(mut client: RankingsServiceClient<tonic::transport::Channel>) -> bool {
    let response = client
        .list_rankings(request(
            Some(pb::RankingsFilter {
                search: "newcomer".to_owned(),
                ..pb::RankingsFilter::default()
            }),
            "",
        ))
        .await;
    matches!(response, Ok(response) if response.get_ref().total_size == 1)
}

#[tokio::test]
async fn notify_rebuilds_and_page_tokens_keep_their_version() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let mut first = request(None, "");
    first.page_size = 2;
    let first_page = harness
        .client
        .list_rankings(first.clone())
        .await?
        .into_inner();
    let built_before = first_page.catalog_built_at;

    add_newcomer(&harness.db.pool).await?;
    // Without a notification nothing changes. (The same request bytes are then answered anew after the
    // refresh: answers kept by request belong to one live catalog.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!newcomer_visible(harness.client.clone()).await);

    notify_catalog(&harness.db.pool).await?;
    assert!(
        harness
            .eventually(Duration::from_secs(15), newcomer_visible)
            .await,
        "the notification did not refresh the catalog"
    );
    let fresh = harness
        .client
        .list_rankings(request(None, ""))
        .await?
        .into_inner();
    assert_eq!(fresh.total_size, 6);
    assert_eq!(ids(&fresh.rows)[0], "acme/newcomer");
    assert_ne!(fresh.catalog_built_at, built_before);

    // The old token still reads the catalog it was issued from: no duplicates, no newcomer.
    let mut seen: Vec<String> = ids(&first_page.rows);
    let mut page = first.clone();
    page.page_token = first_page.next_page_token.clone();
    loop {
        let response = harness
            .client
            .list_rankings(page.clone())
            .await?
            .into_inner();
        assert_eq!(response.total_size, 5);
        seen.extend(ids(&response.rows));
        if response.next_page_token.is_empty() {
            break;
        }
        page.page_token = response.next_page_token;
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);
    assert!(!seen.contains(&"acme/newcomer".to_owned()));
    harness.server.stop().await
}

#[tokio::test]
async fn serves_the_last_catalog_as_stale_when_the_database_is_lost() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let before = harness
        .client
        .list_rankings(request(None, ""))
        .await?
        .into_inner();
    assert!(!before.catalog_stale);

    let mut admin = sqlx::PgConnection::connect(&benchhub_testkit::server_url()).await?;
    harness.db.pool.close().await;
    admin
        .execute(format!("DROP DATABASE \"{}\" WITH (FORCE)", harness.db.name).as_str())
        .await?;
    admin.close().await?;

    let stale = harness
        .eventually(Duration::from_secs(30), |mut client| async move {
            matches!(
                client.list_rankings(request(None, "")).await,
                Ok(response) if response.get_ref().catalog_stale
            )
        })
        .await;
    assert!(stale, "the catalog was never reported stale");
    let after = harness
        .client
        .list_rankings(request(None, ""))
        .await?
        .into_inner();
    assert!(after.catalog_stale);
    assert_eq!(ids(&after.rows), ids(&before.rows));
    let model = harness
        .client
        .get_model(pb::GetModelRequest {
            model: "gpt-4o-2024-08-06".to_owned(),
            as_of: String::new(),
        })
        .await?
        .into_inner();
    assert!(model.catalog_stale);
    let export = harness
        .client
        .export_rankings(pb::ExportRankingsRequest::default())
        .await;
    assert!(export.is_ok());
    // History needs the database: a clear UNAVAILABLE, not a hang.
    let history = harness
        .client
        .get_model_history(pb::GetModelHistoryRequest {
            model: "openai/gpt-4o".to_owned(),
            ..pb::GetModelHistoryRequest::default()
        })
        .await
        .expect_err("no database");
    assert_eq!(history.code(), tonic::Code::Unavailable, "{history:?}");
    harness.server.stop().await
}

#[tokio::test]
async fn without_any_catalog_reads_are_unavailable() -> anyhow::Result<()> {
    benchhub_common::telemetry::init_for_tests();
    let url = benchhub_testkit::url_with_database(
        &benchhub_testkit::server_url(),
        "bhtest_rankings_never_created",
    );
    let config = benchhub_rankings::Config::for_tests(&url);
    let server =
        TestServer::start(|listener, shutdown| benchhub_rankings::run(config, listener, shutdown))
            .await?;
    let mut client = RankingsServiceClient::new(server.channel().await?);
    let status = client
        .list_rankings(request(None, ""))
        .await
        .expect_err("no catalog");
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(!status.message().is_empty());
    server.stop().await
}
