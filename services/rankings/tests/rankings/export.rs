//! ExportRankings: CSV round trip through a CSV parser, agreeing with ListRankings.

use benchhub_proto::pb;
use benchhub_rankings::testdata::{
    ModelRecord, ObservationSeed, insert_models, insert_observations,
};
use chrono::Utc;
use tokio_stream::StreamExt;

use crate::support::{Harness, days_ago, ids, request, seed_basic};

async fn seed_with_awkward_name(pool: sqlx::PgPool) -> anyhow::Result<()> {
    seed_basic(pool.clone()).await?;
    insert_models(
        &pool,
        &[ModelRecord::new(
            "acme/quoted",
            "Quoted, \"Model\"\nTwo lines",
            Utc::now(),
        )],
    )
    .await?;
    insert_observations(
        &pool,
        &[ObservationSeed::new(
            "acme/quoted",
            "evalplus",
            "coding",
            "mbpp_plus",
            days_ago(1),
            50.0,
            Some(50.0),
        )],
    )
    .await?;
    Ok(())
}

async fn export(
    harness: &mut Harness,
    request: pb::ExportRankingsRequest,
) -> anyhow::Result<(Vec<u8>, i32)> {
    let mut stream = harness.client.export_rankings(request).await?.into_inner();
    let mut data = Vec::new();
    let mut rows = 0;
    let mut first = true;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if first {
            assert!(chunk.data.starts_with(b"rank,previous_rank,rank_change"));
            first = false;
        }
        assert!(chunk.data.ends_with(b"\r\n"));
        rows += chunk.row_count;
        data.extend(chunk.data);
    }
    Ok((data, rows))
}

#[tokio::test]
async fn csv_round_trips_and_matches_the_listing() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_with_awkward_name).await?;
    let (data, row_count) = export(
        &mut harness,
        pb::ExportRankingsRequest {
            compare_to: days_ago(15).to_string(),
            ..pb::ExportRankingsRequest::default()
        },
    )
    .await?;
    assert_eq!(row_count, 6, "benchmarked models only");
    let mut reader = csv::Reader::from_reader(data.as_slice());
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    for name in [
        "overall_score",
        "coding_score",
        "performance_score",
        "value_score",
        "components_used",
        "ttft_seconds",
        "tokens_per_second",
        "quality_index",
        "input_usd_per_mtok",
        "freshness_overall",
        "metric.lmarena.text.elo",
        "metric.evalplus.coding.mbpp_plus",
        "metric.openrouter.metadata.context_length",
    ] {
        column(name);
    }
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(records.len(), 6);
    for record in &records {
        assert_eq!(record.len(), headers.len());
    }

    let listing = harness
        .list_all(pb::ListRankingsRequest {
            compare_to: days_ago(15).to_string(),
            ..request(None, "")
        })
        .await?;
    let exported_ids: Vec<String> = records
        .iter()
        .map(|record| record[column("id")].to_owned())
        .collect();
    assert_eq!(exported_ids, ids(&listing));
    for (record, row) in records.iter().zip(&listing) {
        assert_eq!(record[column("rank")], row.rank.to_string());
        let overall = row.scores.as_ref().and_then(|scores| scores.overall);
        let exported = &record[column("overall_score")];
        match overall {
            Some(score) => assert_eq!(exported.parse::<f64>()?, score),
            None => assert_eq!(exported, ""),
        }
        assert_eq!(
            record[column("new_entry")],
            row.new_entry.to_string(),
            "{}",
            &record[column("id")]
        );
    }
    let quoted = records
        .iter()
        .find(|record| &record[column("id")] == "acme/quoted")
        .expect("quoted model");
    assert_eq!(
        &quoted[column("display_name")],
        "Quoted, \"Model\"\nTwo lines"
    );
    assert_eq!(&quoted[column("metric.evalplus.coding.mbpp_plus")], "50");
    let gpt = records
        .iter()
        .find(|record| &record[column("id")] == "openai/gpt-4o")
        .expect("gpt-4o");
    assert_eq!(&gpt[column("metric.lmarena.text.elo")], "1300");
    assert_eq!(&gpt[column("components_used")], "coding;performance;value");
    assert_eq!(&gpt[column("performance_tier")], "fast");
    let listed = listing
        .iter()
        .find(|row| row.model.as_ref().expect("model").id == "openai/gpt-4o")
        .expect("gpt-4o listed");
    let change = listed.rank_change.expect("gpt-4o was ranked 15 days ago");
    assert_eq!(&gpt[column("rank_change")], change.to_string());

    // Same filters and ordering as ListRankings.
    let (data, row_count) = export(
        &mut harness,
        pb::ExportRankingsRequest {
            filter: Some(pb::RankingsFilter {
                open_weights: Some(true),
                ..pb::RankingsFilter::default()
            }),
            order_by: "id desc".to_owned(),
            ..pb::ExportRankingsRequest::default()
        },
    )
    .await?;
    assert_eq!(row_count, 2);
    let mut reader = csv::Reader::from_reader(data.as_slice());
    let exported: Vec<String> = reader
        .records()
        .map(|record| record.map(|record| record[4].to_owned()))
        .collect::<Result<_, _>>()?;
    assert_eq!(
        exported,
        vec!["meta-llama/llama-3.3-70b", "deepseek/deepseek-v3"]
    );

    let bad = harness
        .client
        .export_rankings(pb::ExportRankingsRequest {
            order_by: "nonsense".to_owned(),
            ..pb::ExportRankingsRequest::default()
        })
        .await
        .expect_err("bad order");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    harness.server.stop().await
}
