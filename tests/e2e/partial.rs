//! A subset missing from a newer LMArena snapshot is not read as its models having dropped out: the
//! rankings keep serving that subset's last values beside the newer ones of the other subsets.

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_upstream::{Backend, Fault, FaultKind, Generator, ReplayServer};

use crate::stack::{ADMIN_TOKEN, Stack};

async fn reingest(stack: &Stack, source: &str) -> anyhow::Result<pb::IngestResult> {
    crate::stack::reingest_over(stack.ingest.channel().await?, ADMIN_TOKEN, source).await
}

/// The lmarena (category, snapshot date) pairs of every ranked model, once the rankings show `text`
/// at `text_date`.
async fn arena_dates(
    stack: &Stack,
    text_date: &str,
) -> anyhow::Result<Vec<(String, Vec<(String, String)>)>> {
    let mut rankings =
        pb::rankings_service_client::RankingsServiceClient::new(stack.rankings.channel().await?);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = rankings
            .list_rankings(pb::ListRankingsRequest {
                page_size: 500,
                view: pb::RankingView::Full as i32,
                ..Default::default()
            })
            .await?
            .into_inner()
            .rows;
        let dates: Vec<(String, Vec<(String, String)>)> = rows
            .iter()
            .map(|row| {
                let mut arena: Vec<(String, String)> = row
                    .metrics
                    .iter()
                    .filter(|metric| metric.source == "lmarena")
                    .map(|metric| (metric.category.clone(), metric.snapshot_date.clone()))
                    .collect();
                arena.sort();
                (
                    row.model
                        .as_ref()
                        .map(|model| model.id.clone())
                        .unwrap_or_default(),
                    arena,
                )
            })
            .filter(|(_, arena)| !arena.is_empty())
            .collect();
        let shows_text_date = dates.iter().any(|(_, arena)| {
            arena
                .iter()
                .any(|(category, date)| category == "text" && date == text_date)
        });
        if shows_text_date {
            return Ok(dates);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the rankings never showed text at {text_date}: {dates:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subset_missing_from_a_newer_snapshot_keeps_its_last_values() -> anyhow::Result<()> {
    let first = Generator::default_date();
    let second = first.iter_days().nth(7).expect("a week later");
    let replay = ReplayServer::start(
        ([127, 0, 0, 1], 0).into(),
        Backend::Generator(Generator::new(11, 15, first)),
    )
    .await?;
    let replay_url = replay.url();
    let stack = Stack::start_with(|config| config.point_sources_at(&replay_url)).await?;
    for source in ["modelsdev", "openrouter", "lmarena"] {
        let result = reingest(&stack, source).await?;
        assert_eq!(result.status, pb::RunStatus::Succeeded as i32, "{result:?}");
    }
    let before = arena_dates(&stack, &first.to_string()).await?;
    let with_webdev = before
        .iter()
        .filter(|(_, arena)| arena.iter().any(|(category, _)| category == "webdev"))
        .count();
    assert!(with_webdev > 0, "{before:?}");

    // A week later the datasets-server has no webdev subset.
    replay
        .control()
        .set_backend(Backend::Generator(Generator::new(11, 15, second)));
    let mut missing = Fault::new("lmarena", FaultKind::Status { status: 404 });
    missing.path_contains = Some("config=webdev".to_owned());
    replay.control().add_fault(missing);
    let result = reingest(&stack, "lmarena").await?;
    assert_eq!(result.status, pb::RunStatus::Partial as i32, "{result:?}");

    let after = arena_dates(&stack, &second.to_string()).await?;
    println!("before: {before:?}\nafter: {after:?}");
    assert_eq!(
        after.len(),
        before.len(),
        "no model dropped out of the rankings"
    );
    for (model, arena) in &after {
        let had_webdev = before
            .iter()
            .any(|(id, old)| id == model && old.iter().any(|(category, _)| category == "webdev"));
        if had_webdev {
            assert!(
                arena.contains(&("webdev".to_owned(), first.to_string())),
                "{model} lost its webdev value: {arena:?}"
            );
        }
        assert!(
            arena.contains(&("text".to_owned(), second.to_string())),
            "{model}: {arena:?}"
        );
    }
    stack.stop().await?;
    replay.stop().await;
    Ok(())
}
