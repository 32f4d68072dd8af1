//! ListRankings: default order, filters, ordering, paging, weights, as_of and rank change.

use benchhub_proto::pb;

use crate::support::{Harness, days_ago, ids, request, seed_basic};

/// The default listing: benchmarked models by overall score (mistral-small has no benchmark, so it is
/// left out unless the filter includes unbenchmarked models).
const DEFAULT_ORDER: [&str; 5] = [
    "anthropic/claude-sonnet-4",
    "deepseek/deepseek-v3",
    "openai/gpt-4o",
    "google/gemini-2.0-flash",
    "meta-llama/llama-3.3-70b",
];

#[tokio::test]
async fn default_listing_pages_and_reports_sources() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let response = harness
        .client
        .list_rankings(request(None, ""))
        .await?
        .into_inner();
    assert_eq!(ids(&response.rows), DEFAULT_ORDER);
    assert_eq!(response.total_size, 5);
    assert!(response.next_page_token.is_empty());
    assert!(!response.catalog_stale);
    assert!(response.catalog_built_at.is_some());
    assert_eq!(
        response.rows.iter().map(|row| row.rank).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    let weights = response.weights.expect("weights");
    assert!((weights.coding - 0.5).abs() < 1e-9);
    assert_eq!(response.as_of, crate::support::today().to_string());

    // The model with only a (stale) coding score ranks on coding alone.
    let deepseek = &response.rows[1];
    let scores = deepseek.scores.as_ref().expect("scores");
    assert_eq!(scores.overall, scores.coding);
    assert_eq!(deepseek.coding_benchmarks, 1);
    assert_eq!(
        deepseek.components_used,
        vec![pb::ScoreComponent::Coding as i32]
    );
    let freshness = deepseek.freshness.as_ref().expect("freshness");
    assert_eq!(freshness.overall, pb::Freshness::Stale as i32);
    assert_eq!(
        freshness.benchmarks.as_ref().and_then(|info| info.age_days),
        Some(40)
    );

    let gpt = &response.rows[2];
    assert_eq!(gpt.components_used.len(), 3);
    assert!(gpt.metrics.iter().any(|metric| metric.source == "swebench"));
    let price = gpt.price.as_ref().expect("price");
    assert_eq!(price.source, "openrouter");
    assert_eq!(price.input_usd_per_million, Some(2.5));
    let performance = gpt.performance.as_ref().expect("performance");
    assert_eq!(
        performance.performance_tier,
        pb::PerformanceTier::Fast as i32
    );
    assert_eq!(
        gpt.sources,
        vec![
            "artificialanalysis",
            "evalplus",
            "lmarena",
            "modelsdev",
            "openrouter",
            "swebench"
        ]
    );
    // The whole catalog on request: the model without any benchmark comes last, unscored.
    let everything = harness
        .list_all(request(
            Some(pb::RankingsFilter {
                include_unbenchmarked: true,
                ..pb::RankingsFilter::default()
            }),
            "",
        ))
        .await?;
    assert_eq!(everything.len(), 6);
    let mistral = &everything[5];
    assert_eq!(
        mistral.model.as_ref().map(|model| model.id.as_str()),
        Some("mistralai/mistral-small")
    );
    assert!(mistral.scores.as_ref().expect("scores").overall.is_none());
    assert!(mistral.components_used.is_empty());

    let lmarena = response
        .source_status
        .iter()
        .find(|status| status.source == "lmarena")
        .expect("lmarena status");
    assert_eq!(lmarena.last_good_snapshot_date, days_ago(1).to_string());
    assert_eq!(lmarena.model_count, 5);
    assert!(!lmarena.stale);
    let analysis = response
        .source_status
        .iter()
        .find(|status| status.source == "artificialanalysis")
        .expect("artificialanalysis status");
    assert!(analysis.stale);
    let livebench = response
        .source_status
        .iter()
        .find(|status| status.source == "livebench")
        .expect("livebench status");
    assert_eq!(livebench.availability, pb::Availability::Unavailable as i32);
    assert_eq!(livebench.last_good_snapshot_date, "");

    // Pages of two concatenate to the full listing.
    let mut paged = request(None, "");
    paged.page_size = 2;
    let rows = harness.list_all(paged).await?;
    assert_eq!(ids(&rows), DEFAULT_ORDER);

    // The basic view, also the default, keeps the numbers a leaderboard shows and leaves the metrics,
    // the provenance text and the per-category freshness out; otherwise its rows equal the full rows.
    for view in [pb::RankingView::Basic, pb::RankingView::Unspecified] {
        let mut basic = request(None, "");
        basic.view = view as i32;
        let basic_rows = harness.client.list_rankings(basic).await?.into_inner().rows;
        assert_eq!(basic_rows.len(), response.rows.len());
        for (basic, full) in basic_rows.iter().zip(&response.rows) {
            assert!(basic.metrics.is_empty() && basic.sources.is_empty());
            let model = basic.model.as_ref().expect("model");
            assert!(model.family.is_empty() && model.release_date.is_empty());
            assert!(model.first_seen_at.is_none());
            assert!(
                basic
                    .price
                    .iter()
                    .all(|price| price.source.is_empty() && price.snapshot_date.is_empty())
            );
            assert!(
                basic
                    .performance
                    .iter()
                    .all(|performance| performance.snapshot_date.is_empty())
            );
            // Only the overall freshness grade (the one the freshness filter matches); the grade,
            // age and date per category are the full view's.
            let freshness = basic.freshness.as_ref().expect("freshness");
            assert!(
                freshness.benchmarks.is_none()
                    && freshness.performance.is_none()
                    && freshness.pricing.is_none()
            );
            assert_eq!(
                Some(freshness.overall),
                full.freshness.as_ref().map(|full| full.overall)
            );

            let mut expected = full.clone();
            expected.metrics.clear();
            expected.sources.clear();
            if let Some(model) = expected.model.as_mut() {
                model.family.clear();
                model.release_date.clear();
                model.first_seen_at = None;
            }
            if let Some(price) = expected.price.as_mut() {
                price.source.clear();
                price.snapshot_date.clear();
                price.source_model_name.clear();
            }
            if let Some(performance) = expected.performance.as_mut() {
                performance.snapshot_date.clear();
            }
            if let Some(scores) = expected.scores.as_mut() {
                scores.coding_low = None;
                scores.coding_high = None;
                scores.overall_low = None;
                scores.overall_high = None;
            }
            if let Some(freshness) = expected.freshness.as_mut() {
                freshness.benchmarks = None;
                freshness.performance = None;
                freshness.pricing = None;
            }
            assert_eq!(basic, &expected);
        }
        assert!(basic_rows[0].scores.is_some());
        let price = basic_rows[2].price.as_ref().expect("price");
        assert_eq!(price.input_usd_per_million, Some(2.5));
        assert_eq!(
            basic_rows[1]
                .freshness
                .as_ref()
                .map(|freshness| freshness.overall),
            Some(pb::Freshness::Stale as i32)
        );
    }
    harness.server.stop().await
}

fn filter() -> pb::RankingsFilter {
    pb::RankingsFilter::default()
}

#[tokio::test]
async fn filters_select_models() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let cases: Vec<(pb::RankingsFilter, Vec<&str>)> = vec![
        (
            pb::RankingsFilter {
                search: "Claude".to_owned(),
                ..filter()
            },
            vec!["anthropic/claude-sonnet-4"],
        ),
        (
            pb::RankingsFilter {
                search: "gpt-4o-2024".to_owned(),
                ..filter()
            },
            vec!["openai/gpt-4o"],
        ),
        (
            pb::RankingsFilter {
                providers: vec!["OpenAI".to_owned(), "google".to_owned()],
                ..filter()
            },
            vec!["openai/gpt-4o", "google/gemini-2.0-flash"],
        ),
        (
            pb::RankingsFilter {
                open_weights: Some(true),
                ..filter()
            },
            vec!["deepseek/deepseek-v3", "meta-llama/llama-3.3-70b"],
        ),
        (
            pb::RankingsFilter {
                min_quality: Some(80.0),
                ..filter()
            },
            vec!["anthropic/claude-sonnet-4", "openai/gpt-4o"],
        ),
        (
            // Llama's own price is 0.12; its `:free` variant is a flag, not its price.
            pb::RankingsFilter {
                max_price: Some(0.11),
                ..filter()
            },
            vec!["google/gemini-2.0-flash"],
        ),
        (
            pb::RankingsFilter {
                performance_tiers: vec![pb::PerformanceTier::Fast as i32],
                ..filter()
            },
            vec![
                "openai/gpt-4o",
                "google/gemini-2.0-flash",
                "meta-llama/llama-3.3-70b",
            ],
        ),
        (
            pb::RankingsFilter {
                performance_tiers: vec![pb::PerformanceTier::Medium as i32],
                ..filter()
            },
            vec!["anthropic/claude-sonnet-4"],
        ),
        (
            pb::RankingsFilter {
                freshness: vec![pb::Freshness::Stale as i32],
                ..filter()
            },
            vec!["deepseek/deepseek-v3"],
        ),
        (
            pb::RankingsFilter {
                has_sources: vec!["swebench".to_owned(), "lmarena".to_owned()],
                ..filter()
            },
            vec!["anthropic/claude-sonnet-4", "openai/gpt-4o"],
        ),
        (
            pb::RankingsFilter {
                categories: vec!["performance".to_owned()],
                ..filter()
            },
            vec![
                "anthropic/claude-sonnet-4",
                "openai/gpt-4o",
                "google/gemini-2.0-flash",
                "meta-llama/llama-3.3-70b",
            ],
        ),
        (
            pb::RankingsFilter {
                tiers: vec![pb::ModelTier::Frontier as i32],
                ..filter()
            },
            vec![
                "anthropic/claude-sonnet-4",
                "deepseek/deepseek-v3",
                "openai/gpt-4o",
            ],
        ),
        (
            // Tiers come from evidence: 100 Elo behind the leader is strong, not efficient, and a
            // model without evidence (mistral-small) has no tier.
            pb::RankingsFilter {
                tiers: vec![pb::ModelTier::Strong as i32],
                ..filter()
            },
            vec!["google/gemini-2.0-flash", "meta-llama/llama-3.3-70b"],
        ),
    ];
    for (filter, expected) in cases {
        let rows = harness.list_all(request(Some(filter.clone()), "")).await?;
        assert_eq!(ids(&rows), expected, "filter {filter:?}");
    }
    // A minimum overall score keeps the models at or above it.
    let listed = harness.list_all(request(None, "")).await?;
    let second = listed[1]
        .scores
        .as_ref()
        .and_then(|scores| scores.overall)
        .expect("overall");
    let rows = harness
        .list_all(request(
            Some(pb::RankingsFilter {
                min_overall_score: Some(second),
                ..filter()
            }),
            "",
        ))
        .await?;
    assert_eq!(ids(&rows), ids(&listed[..2]));

    // Filters, ordering and paging together.
    let mut combined = request(
        Some(pb::RankingsFilter {
            providers: vec![
                "openai".to_owned(),
                "anthropic".to_owned(),
                "google".to_owned(),
            ],
            performance_tiers: vec![
                pb::PerformanceTier::Fast as i32,
                pb::PerformanceTier::Medium as i32,
            ],
            ..filter()
        }),
        "display_name desc",
    );
    combined.page_size = 1;
    let rows = harness.list_all(combined).await?;
    assert_eq!(
        ids(&rows),
        vec![
            "openai/gpt-4o",
            "google/gemini-2.0-flash",
            "anthropic/claude-sonnet-4"
        ]
    );
    assert_eq!(
        rows.iter().map(|row| row.rank).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    harness.server.stop().await
}

#[tokio::test]
async fn orderings() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "ttft_seconds",
            vec![
                "google/gemini-2.0-flash",
                "meta-llama/llama-3.3-70b",
                "openai/gpt-4o",
                "anthropic/claude-sonnet-4",
                "deepseek/deepseek-v3",
            ],
        ),
        (
            "metric.lmarena.text.elo desc",
            vec![
                "anthropic/claude-sonnet-4",
                "deepseek/deepseek-v3",
                "openai/gpt-4o",
                "google/gemini-2.0-flash",
                "meta-llama/llama-3.3-70b",
            ],
        ),
        (
            "creator, display_name",
            vec![
                "anthropic/claude-sonnet-4",
                "deepseek/deepseek-v3",
                "google/gemini-2.0-flash",
                "meta-llama/llama-3.3-70b",
                "openai/gpt-4o",
            ],
        ),
        (
            "input_price",
            vec![
                "google/gemini-2.0-flash",
                "meta-llama/llama-3.3-70b",
                "openai/gpt-4o",
                "anthropic/claude-sonnet-4",
                "deepseek/deepseek-v3",
            ],
        ),
        (
            "context_length desc",
            vec![
                "google/gemini-2.0-flash",
                "anthropic/claude-sonnet-4",
                "meta-llama/llama-3.3-70b",
                "openai/gpt-4o",
                "deepseek/deepseek-v3",
            ],
        ),
        (
            "coding_score desc, id desc",
            vec![
                "anthropic/claude-sonnet-4",
                "deepseek/deepseek-v3",
                "openai/gpt-4o",
                "google/gemini-2.0-flash",
                "meta-llama/llama-3.3-70b",
            ],
        ),
    ];
    for (order_by, expected) in cases {
        let mut paged = request(None, order_by);
        paged.page_size = 4;
        let rows = harness.list_all(paged).await?;
        assert_eq!(ids(&rows), expected, "order_by {order_by}");
    }
    harness.server.stop().await
}

#[tokio::test]
async fn custom_weights_reweight_and_report_components() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let mut coding_only = request(None, "");
    coding_only.weights = Some(pb::Weights {
        coding: 2.0,
        performance: 0.0,
        value: 0.0,
    });
    let response = harness
        .client
        .list_rankings(coding_only)
        .await?
        .into_inner();
    assert_eq!(
        ids(&response.rows),
        vec![
            "anthropic/claude-sonnet-4",
            "deepseek/deepseek-v3",
            "openai/gpt-4o",
            "google/gemini-2.0-flash",
            "meta-llama/llama-3.3-70b",
        ]
    );
    let weights = response.weights.expect("weights");
    assert_eq!(
        (weights.coding, weights.performance, weights.value),
        (1.0, 0.0, 0.0)
    );
    for row in &response.rows[..5] {
        let scores = row.scores.as_ref().expect("scores");
        assert_eq!(scores.overall, scores.coding);
        assert_eq!(row.components_used, vec![pb::ScoreComponent::Coding as i32]);
    }

    let mut value_only = request(None, "");
    value_only.weights = Some(pb::Weights {
        coding: 0.0,
        performance: 0.0,
        value: 1.0,
    });
    let response = harness.client.list_rankings(value_only).await?.into_inner();
    // Value-only weights order by the value score alone, highest first,
    // and models without value inputs come last.
    let values: Vec<Option<f64>> = response
        .rows
        .iter()
        .map(|row| row.scores.as_ref().expect("scores").value)
        .collect();
    let scored = values.iter().take_while(|value| value.is_some()).count();
    assert!(scored >= 2, "{values:?}");
    assert!(values[scored..].iter().all(Option::is_none), "{values:?}");
    assert!(
        values[..scored].windows(2).all(|pair| pair[0] >= pair[1]),
        "{values:?}"
    );
    for row in &response.rows[..scored] {
        let scores = row.scores.as_ref().expect("scores");
        assert_eq!(scores.overall, scores.value);
    }
    let llama = response
        .rows
        .iter()
        .find(|row| row.model.as_ref().expect("model").id == "meta-llama/llama-3.3-70b")
        .expect("llama");
    let price = llama.price.as_ref().expect("price");
    assert!(!price.free && price.free_variant_available);
    // deepseek (no value inputs) has no overall under value-only weights.
    let deepseek = response
        .rows
        .iter()
        .find(|row| row.model.as_ref().expect("model").id == "deepseek/deepseek-v3")
        .expect("deepseek");
    assert!(deepseek.scores.as_ref().expect("scores").overall.is_none());
    assert!(deepseek.components_used.is_empty());

    // Equal weights give the plain mean of the three components.
    let mut equal = request(
        Some(pb::RankingsFilter {
            search: "gpt-4o".to_owned(),
            ..filter()
        }),
        "",
    );
    equal.weights = Some(pb::Weights {
        coding: 1.0,
        performance: 1.0,
        value: 1.0,
    });
    let response = harness.client.list_rankings(equal).await?.into_inner();
    let scores = response.rows[0].scores.expect("scores");
    let mean = (scores.coding.expect("coding")
        + scores.performance.expect("performance")
        + scores.value.expect("value"))
        / 3.0;
    assert!((scores.overall.expect("overall") - mean).abs() < 1e-9);
    harness.server.stop().await
}

#[tokio::test]
async fn as_of_and_rank_change() -> anyhow::Result<()> {
    let mut harness = Harness::start(seed_basic).await?;
    let mut historical = request(None, "");
    historical.as_of = days_ago(15).to_string();
    let response = harness.client.list_rankings(historical).await?.into_inner();
    assert_eq!(response.as_of, days_ago(15).to_string());
    // Only models with a benchmark by then: the others had no data yet.
    assert_eq!(
        ids(&response.rows),
        vec!["deepseek/deepseek-v3", "openai/gpt-4o"]
    );
    // gpt-4o had only an arena rating then: no coding score, so no overall score.
    let gpt = &response.rows[1];
    assert!(gpt.components_used.is_empty());
    assert_eq!(gpt.scores.as_ref().and_then(|scores| scores.overall), None);
    let elo = gpt
        .metrics
        .iter()
        .find(|metric| metric.source == "lmarena")
        .expect("elo as of then");
    assert_eq!(elo.value, 1270.0);
    assert_eq!(elo.snapshot_date, days_ago(20).to_string());
    // Freshness is measured at as_of: the deepseek data was 25 days old then.
    let deepseek = &response.rows[0];
    let freshness = deepseek.freshness.as_ref().expect("freshness");
    assert_eq!(freshness.overall, pb::Freshness::Aging as i32);

    let mut compared = request(None, "");
    compared.compare_to = days_ago(15).to_string();
    let response = harness.client.list_rankings(compared).await?.into_inner();
    let change = |id: &str| {
        let row = response
            .rows
            .iter()
            .find(|row| row.model.as_ref().expect("model").id == id)
            .expect("row");
        (row.rank, row.previous_rank, row.rank_change, row.new_entry)
    };
    // Ranks now are the default order's; then only deepseek and gpt-4o were ranked (the others had
    // no benchmark yet), deepseek first.
    let rank_of = |id: &str| {
        DEFAULT_ORDER
            .iter()
            .position(|known| *known == id)
            .expect("listed") as i32
            + 1
    };
    let deepseek_rank = rank_of("deepseek/deepseek-v3");
    let gpt_rank = rank_of("openai/gpt-4o");
    assert_eq!(
        change("deepseek/deepseek-v3"),
        (deepseek_rank, Some(1), Some(1 - deepseek_rank), false)
    );
    assert_eq!(
        change("openai/gpt-4o"),
        (gpt_rank, Some(2), Some(2 - gpt_rank), false)
    );
    assert_eq!(
        change("google/gemini-2.0-flash"),
        (rank_of("google/gemini-2.0-flash"), None, None, true)
    );
    // Known then (first seen 50 days ago) but without a benchmark: not ranked then, not new.
    assert_eq!(
        change("anthropic/claude-sonnet-4"),
        (rank_of("anthropic/claude-sonnet-4"), None, None, false)
    );
    assert_eq!(
        change("meta-llama/llama-3.3-70b"),
        (rank_of("meta-llama/llama-3.3-70b"), None, None, false)
    );

    // Ordered by the change: ranks stay the score ranks, rows without a change last (by id).
    let mut by_change = request(None, "rank_change desc");
    by_change.compare_to = days_ago(15).to_string();
    by_change.page_size = 2;
    let rows = harness.list_all(by_change).await?;
    let changes: Vec<Option<i32>> = rows.iter().map(|row| row.rank_change).collect();
    let known: Vec<i32> = changes.iter().flatten().copied().collect();
    assert_eq!(known.len(), 2);
    assert!(known[0] >= known[1]);
    assert!(changes[2..].iter().all(Option::is_none));
    for row in &rows {
        let id = row.model.as_ref().expect("model").id.clone();
        assert_eq!(row.rank, rank_of(&id));
    }
    harness.server.stop().await
}

#[tokio::test]
async fn reads_can_require_a_token() -> anyhow::Result<()> {
    let mut harness = Harness::start_with(seed_basic, |config| config.require_token = true).await?;
    let status = harness
        .client
        .list_rankings(request(None, ""))
        .await
        .expect_err("no token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let response = harness
        .client
        .list_rankings(benchhub_testkit::authorized(
            request(None, ""),
            crate::support::ADMIN_TOKEN,
        ))
        .await?
        .into_inner();
    assert_eq!(response.total_size, 5);
    harness.server.stop().await
}
