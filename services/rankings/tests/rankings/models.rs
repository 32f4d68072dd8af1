//! GetModel (ids and aliases), GetModelHistory, GetLatestModel and ListBenchmarks.

use benchhub_proto::pb;

use crate::support::{Harness, days_ago, seed_basic};

fn get(model: &str) -> pb::GetModelRequest {
    pb::GetModelRequest {
        model: model.to_owned(),
        as_of: String::new(),
    }
}

#[tokio::test]
async fn models_are_found_by_id_alias_or_name() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    for name in [
        "openai/gpt-4o",
        "OpenAI/GPT-4o",
        "gpt-4o-2024-08-06",
        "openai/gpt-4o-latest",
        "GPT-4o",
    ] {
        let response = harness.client.get_model(get(name)).await?.into_inner();
        assert_eq!(
            response.model.as_ref().map(|model| model.id.as_str()),
            Some("openai/gpt-4o"),
            "{name}"
        );
    }
    let response = harness
        .client
        .get_model(get("gpt-4o-2024-08-06"))
        .await?
        .into_inner();
    let aliases: Vec<(String, String)> = response
        .aliases
        .iter()
        .map(|alias| (alias.source.clone(), alias.alias.clone()))
        .collect();
    assert_eq!(
        aliases,
        vec![
            ("lmarena".to_owned(), "gpt-4o-2024-08-06".to_owned()),
            ("openrouter".to_owned(), "openai/gpt-4o-latest".to_owned()),
        ]
    );
    assert_eq!(response.rank, Some(3));
    assert_eq!(response.components_used.len(), 3);
    let prices: Vec<&str> = response
        .prices
        .iter()
        .map(|price| price.source.as_str())
        .collect();
    assert_eq!(prices, vec!["openrouter", "modelsdev"]);
    assert_eq!(
        response.price.as_ref().map(|price| price.source.as_str()),
        Some("openrouter")
    );
    let model = response.model.as_ref().expect("model");
    assert_eq!(model.context_length, Some(128_000));
    assert_eq!(model.tier, pb::ModelTier::Frontier as i32);
    let elo = response
        .metrics
        .iter()
        .find(|metric| metric.source == "lmarena")
        .expect("elo");
    assert_eq!(elo.value, 1300.0);
    assert_eq!(elo.unit, "elo");
    let freshness = response.freshness.as_ref().expect("freshness");
    assert_eq!(freshness.overall, pb::Freshness::Fresh as i32);
    assert!(!response.catalog_stale);

    // The free variant is a flag: Llama's price is its own paid price.
    let llama = harness
        .client
        .get_model(get("meta-llama/llama-3.3-70b"))
        .await?
        .into_inner();
    let price = llama.price.expect("price");
    assert!(!price.free);
    assert!(price.free_variant_available);
    assert_eq!(price.input_usd_per_million, Some(0.12));
    assert_eq!(price.source_model_name, "meta-llama/llama-3.3-70b");

    // As of an earlier date.
    let mut earlier = get("openai/gpt-4o");
    earlier.as_of = days_ago(15).to_string();
    let response = harness.client.get_model(earlier).await?.into_inner();
    assert_eq!(response.as_of, days_ago(15).to_string());
    assert_eq!(response.metrics.len(), 1);

    let missing = harness
        .client
        .get_model(get("no-such-model"))
        .await
        .expect_err("unknown");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert!(missing.message().contains("no-such-model"));
    let empty = harness.client.get_model(get(" ")).await.expect_err("empty");
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);
    harness.server.stop().await
}

#[tokio::test]
async fn history_spans_snapshot_dates() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let response = harness
        .client
        .get_model_history(pb::GetModelHistoryRequest {
            model: "gpt-4o-2024-08-06".to_owned(),
            ..pb::GetModelHistoryRequest::default()
        })
        .await?
        .into_inner();
    assert_eq!(
        response.model.as_ref().map(|model| model.id.as_str()),
        Some("openai/gpt-4o")
    );
    let keys: Vec<String> = response
        .series
        .iter()
        .map(|series| format!("{}.{}.{}", series.source, series.category, series.metric))
        .collect();
    assert_eq!(
        keys,
        vec![
            "artificialanalysis.performance.tokens_per_second",
            "artificialanalysis.performance.ttft_seconds",
            "artificialanalysis.quality.intelligence_index",
            "evalplus.coding.humaneval_plus",
            "lmarena.text.elo",
            "modelsdev.pricing.input_usd_per_mtok",
            "openrouter.metadata.context_length",
            "openrouter.pricing.input_usd_per_mtok",
            "openrouter.pricing.output_usd_per_mtok",
            "swebench.coding.verified_resolved",
        ]
    );
    let elo = &response.series[4];
    assert_eq!(elo.unit, "elo");
    let points: Vec<(String, f64)> = elo
        .points
        .iter()
        .map(|point| (point.snapshot_date.clone(), point.value))
        .collect();
    assert_eq!(
        points,
        vec![
            (days_ago(20).to_string(), 1270.0),
            (days_ago(10).to_string(), 1280.0),
            (days_ago(1).to_string(), 1300.0),
        ]
    );

    let response = harness
        .client
        .get_model_history(pb::GetModelHistoryRequest {
            model: "openai/gpt-4o".to_owned(),
            sources: vec!["lmarena".to_owned()],
            from_date: days_ago(15).to_string(),
            to_date: days_ago(5).to_string(),
            ..pb::GetModelHistoryRequest::default()
        })
        .await?
        .into_inner();
    assert_eq!(response.series.len(), 1);
    assert_eq!(response.series[0].points.len(), 1);
    assert_eq!(response.series[0].points[0].value, 1280.0);

    let inverted = harness
        .client
        .get_model_history(pb::GetModelHistoryRequest {
            model: "openai/gpt-4o".to_owned(),
            from_date: days_ago(1).to_string(),
            to_date: days_ago(5).to_string(),
            ..pb::GetModelHistoryRequest::default()
        })
        .await
        .expect_err("inverted");
    assert_eq!(inverted.code(), tonic::Code::InvalidArgument);
    let malformed = harness
        .client
        .get_model_history(pb::GetModelHistoryRequest {
            model: "openai/gpt-4o".to_owned(),
            from_date: "yesterday".to_owned(),
            ..pb::GetModelHistoryRequest::default()
        })
        .await
        .expect_err("malformed");
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);
    assert!(malformed.message().contains("from_date"));
    let unknown = harness
        .client
        .get_model_history(pb::GetModelHistoryRequest {
            model: "nobody/none".to_owned(),
            ..pb::GetModelHistoryRequest::default()
        })
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    harness.server.stop().await
}

#[tokio::test]
async fn latest_model_and_benchmarks() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let latest = harness
        .client
        .get_latest_model(pb::GetLatestModelRequest::default())
        .await?
        .into_inner();
    assert_eq!(
        latest.model.as_ref().map(|model| model.id.as_str()),
        Some("mistralai/mistral-small")
    );
    assert_eq!(latest.days_ago, 3);
    assert_eq!(latest.display_label, "Latest: Mistral Small (3 days ago)");
    assert!(latest.ingested_at.is_some());
    let by_source = harness
        .client
        .get_latest_model(pb::GetLatestModelRequest {
            source: "lmarena".to_owned(),
        })
        .await?
        .into_inner();
    assert_eq!(
        by_source.model.as_ref().map(|model| model.id.as_str()),
        Some("google/gemini-2.0-flash")
    );
    assert_eq!(by_source.source, "lmarena");
    assert_eq!(
        by_source.display_label,
        "Latest: Gemini 2.0 Flash (12 days ago)"
    );
    let none = harness
        .client
        .get_latest_model(pb::GetLatestModelRequest {
            source: "mteb".to_owned(),
        })
        .await
        .expect_err("no mteb models");
    assert_eq!(none.code(), tonic::Code::NotFound);

    let mut categories = Vec::new();
    let mut page_token = String::new();
    loop {
        let response = harness
            .client
            .list_benchmarks(pb::ListBenchmarksRequest {
                page_size: 2,
                page_token: page_token.clone(),
                source: String::new(),
            })
            .await?
            .into_inner();
        assert_eq!(response.catalog_model_count, 6);
        assert!(!response.source_status.is_empty());
        categories.extend(response.categories);
        if response.next_page_token.is_empty() {
            break;
        }
        page_token = response.next_page_token;
    }
    let names: Vec<&str> = categories
        .iter()
        .map(|category| category.name.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "coding",
            "metadata",
            "performance",
            "pricing",
            "quality",
            "text"
        ]
    );
    let coding = &categories[0];
    assert_eq!(coding.model_count, 5);
    assert_eq!(coding.metrics.len(), 2);
    let text = &categories[5];
    let elo = &text.metrics[0];
    assert_eq!(elo.source, "lmarena");
    assert_eq!(elo.unmatched_count, 1);
    assert_eq!(elo.snapshot_count, 4);
    assert_eq!(elo.model_count, 4);
    assert_eq!(elo.newest_snapshot_date, days_ago(1).to_string());
    assert_eq!(elo.oldest_snapshot_date, days_ago(40).to_string());
    assert!(elo.higher_is_better);
    let performance = &categories[2];
    let ttft = performance
        .metrics
        .iter()
        .find(|metric| metric.metric == "ttft_seconds")
        .expect("ttft");
    assert!(!ttft.higher_is_better);

    let only_swebench = harness
        .client
        .list_benchmarks(pb::ListBenchmarksRequest {
            source: "swebench".to_owned(),
            ..pb::ListBenchmarksRequest::default()
        })
        .await?
        .into_inner();
    assert_eq!(only_swebench.categories.len(), 1);
    assert_eq!(only_swebench.categories[0].model_count, 2);
    harness.server.stop().await
}
