//! From upstream to rankings: the shared fixtures are served by the replay server, ingested with
//! ReingestAll, and the rankings service (refreshed by NOTIFY) answers for the fused models.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_testkit::authorized;
use benchhub_upstream::{Backend, ReplayServer};
use tokio_stream::StreamExt;

use crate::stack::{ADMIN_TOKEN, Stack};

#[tokio::test]
async fn ingested_fixtures_become_one_fused_ranked_catalog() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    let replay =
        ReplayServer::start(([127, 0, 0, 1], 0).into(), Backend::Directory(directory)).await?;
    let replay_url = replay.url();
    let stack = Stack::start_with(|config| {
        config.point_sources_at(&replay_url);
        for source in &mut config.sources {
            if source.spec.name == "artificialanalysis" {
                source.secret = Some("replay-key".to_owned().into());
            }
        }
    })
    .await?;

    let mut ingest =
        pb::ingest_service_client::IngestServiceClient::new(stack.ingest.channel().await?);
    let mut stream = ingest
        .reingest_all(authorized(pb::ReingestAllRequest::default(), ADMIN_TOKEN))
        .await?
        .into_inner();
    let mut results = Vec::new();
    while let Some(response) = stream.next().await {
        results.push(response?.result.expect("a result"));
    }
    assert_eq!(results.len(), 11, "every live and seed source reports once");
    for result in &results {
        assert!(
            result.error.is_empty(),
            "{}: {}",
            result.source,
            result.error
        );
    }

    // The rankings service rebuilds on the ingest's NOTIFY (bursts coalesced); wait until the rebuild
    // that follows the last ingest shows the fused model.
    let mut rankings =
        pb::rankings_service_client::RankingsServiceClient::new(stack.rankings.channel().await?);
    let deadline = Instant::now() + Duration::from_secs(30);
    let model = loop {
        let answer = rankings
            .get_model(pb::GetModelRequest {
                model: "openai/gpt-4o-2024-08-06".into(),
                ..Default::default()
            })
            .await;
        let last = match &answer {
            Ok(response) => format!("sources {:?}", response.get_ref().sources),
            Err(status) => format!("{:?}: {}", status.code(), status.message()),
        };
        if let Ok(response) = answer {
            let response = response.into_inner();
            let expected = [
                "lmarena",
                "openrouter",
                "modelsdev",
                "bigcodebench",
                "evalplus",
            ];
            if expected
                .iter()
                .all(|source| response.sources.iter().any(|name| name == source))
            {
                break response;
            }
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "gpt-4o-2024-08-06 never appeared with its sources; last answer: {last}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let info = model.model.clone().expect("model info");
    assert_eq!(
        info.id, "openai/gpt-4o-2024-08-06",
        "a dated version is a model of its own"
    );
    for source in [
        "lmarena",
        "openrouter",
        "modelsdev",
        "bigcodebench",
        "evalplus",
    ] {
        assert!(
            model.sources.iter().any(|name| name == source),
            "{source} missing: {:?}",
            model.sources
        );
    }
    assert!(
        model
            .metrics
            .iter()
            .all(|metric| !metric.snapshot_date.is_empty()),
        "every value is dated"
    );

    // An upstream spelling finds the model too, and the other dated versions of GPT-4o stay
    // models of their own, listed as its siblings.
    let by_spelling = rankings
        .get_model(pb::GetModelRequest {
            model: "GPT-4o-2024-08-06".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(
        by_spelling.model.map(|model| model.id).as_deref(),
        Some("openai/gpt-4o-2024-08-06")
    );
    let siblings: Vec<&str> = model
        .siblings
        .iter()
        .map(|sibling| sibling.id.as_str())
        .collect();
    for version in ["openai/gpt-4o-2024-05-13", "openai/gpt-4o-2024-11-20"] {
        assert!(siblings.contains(&version), "{version} in {siblings:?}");
    }

    let page = rankings
        .list_rankings(pb::ListRankingsRequest {
            order_by: "coding_score desc".into(),
            page_size: 20,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert!(!page.rows.is_empty());
    let scores: Vec<f64> = page
        .rows
        .iter()
        .filter_map(|row| row.scores.as_ref().and_then(|scores| scores.coding))
        .collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]),
        "sorted by coding score: {scores:?}"
    );

    let mut export = rankings
        .export_rankings(pb::ExportRankingsRequest::default())
        .await?
        .into_inner();
    let mut csv = Vec::new();
    while let Some(chunk) = export.next().await {
        csv.extend_from_slice(&chunk?.data);
    }
    let text = String::from_utf8(csv)?;
    assert!(
        text.starts_with("rank,"),
        "{}",
        &text[..text.len().min(200)]
    );
    assert!(text.contains("openai/gpt-4o-2024-08-06"));

    stack.stop().await?;
    replay.stop().await;
    Ok(())
}
