//! `benchctl chart …` fetches its data over gRPC, writes both files, and explains failures.

use std::path::Path;

use benchhub_benchctl::charts::ChartFiles;
use benchhub_benchctl::commands::chart::{self, ChartCommand, HistoryArgs, RunArgs, SuiteArgs};
use benchhub_proto::pb;

use crate::fake::{Fake, Rankings, Runner, fixed, serve};
use crate::fixtures::{history_fixture, ratings_fixture, trend_fixture};
use crate::{Png, Svg, assert_file_names, out_dir};

fn check_written(files: &ChartFiles, dir: &Path, stem: &str) {
    assert_file_names(files, dir, stem);
    let image = Png::read(&files.png);
    assert!(image.width >= 1000 && image.height >= 200);
    Svg::read(&files.svg);
}

fn history_response() -> pb::GetModelHistoryResponse {
    let history = history_fixture();
    pb::GetModelHistoryResponse {
        model: Some(pb::ModelRef {
            id: "openai/gpt-4o".to_owned(),
            display_name: "GPT-4o".to_owned(),
        }),
        series: history
            .series
            .iter()
            .map(|series| pb::MetricSeries {
                source: series.source.clone(),
                category: series.category.clone(),
                metric: series.metric.clone(),
                unit: series.unit.clone(),
                points: series
                    .points
                    .iter()
                    .map(|point| pb::HistoryPoint {
                        snapshot_date: point.date.format("%Y-%m-%d").to_string(),
                        value: point.value,
                        normalized: None,
                        ci_low: point.ci_low,
                        ci_high: point.ci_high,
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn chart_history_fetches_the_model_history_and_writes_both_files() {
    let fake = Fake::<Rankings>::new(vec![(
        "GetModelHistory",
        fixed::<pb::GetModelHistoryRequest, _>(history_response()),
    )]);
    let (server, clients) = serve(fake).await;
    let dir = out_dir("command-history");
    let command = ChartCommand::History(HistoryArgs {
        model: "openai/gpt-4o".to_owned(),
        source: Vec::new(),
        metric: Vec::new(),
        from: None,
        to: None,
        out: dir.clone(),
    });
    let files = chart::write(&clients, &command)
        .await
        .expect("chart written");
    check_written(&files, &dir, "history-openai-gpt-4o");
    Svg::read(&files.svg).assert_texts(&["Score history: GPT-4o (openai/gpt-4o)"]);
    server.stop().await.expect("server stops");
}

fn suite_stats_response() -> pb::GetSuiteStatsResponse {
    pb::GetSuiteStatsResponse {
        suite_id: "suite-1".to_owned(),
        cost_trend: trend_fixture()
            .points
            .iter()
            .map(|point| pb::CostTrendPoint {
                run_id: point.run_id.clone(),
                completed_at: Some(benchhub_common::convert::timestamp(point.completed_at)),
                model: point.model.clone(),
                total_cost_micro_usd: None,
                mean_cost_micro_usd: point.mean_cost_usd.map(|usd| (usd * 1e6).round() as i64),
                mean_quality: point.mean_quality,
            })
            .collect(),
        completed_runs: 4,
        ..Default::default()
    }
}

#[tokio::test]
async fn chart_suite_fetches_the_suite_stats_and_writes_both_files() {
    let fake = Fake::<Runner>::new(vec![
        (
            "GetSuiteStats",
            fixed::<pb::GetSuiteStatsRequest, _>(suite_stats_response()),
        ),
        (
            "GetSuite",
            fixed::<pb::GetSuiteRequest, _>(pb::GetSuiteResponse {
                suite: Some(pb::Suite {
                    id: "suite-1".to_owned(),
                    name: "golden-sql".to_owned(),
                    ..Default::default()
                }),
            }),
        ),
    ]);
    let (server, clients) = serve(fake).await;
    let dir = out_dir("command-suite");
    let command = ChartCommand::Suite(SuiteArgs {
        suite_id: "suite-1".to_owned(),
        out: dir.clone(),
    });
    let files = chart::write(&clients, &command)
        .await
        .expect("chart written");
    check_written(&files, &dir, "suite-suite-1");
    Svg::read(&files.svg).assert_texts(&["Suite trend: golden-sql", "$0.002"]);
    server.stop().await.expect("server stops");
}

fn run_response() -> pb::GetRunResponse {
    let stats = |model: &str, quality: f64, cost: i64| pb::ModelStats {
        model: model.to_owned(),
        mean_quality: Some(quality),
        total_cost_micro_usd: cost,
        price_known: true,
        results: 20,
        runs: 1,
        ..Default::default()
    };
    let ratings = ratings_fixture();
    pb::GetRunResponse {
        run: Some(pb::Run {
            id: "run-42".to_owned(),
            status: pb::BenchmarkRunStatus::Completed as i32,
            best_model: "openai/gpt-4o".to_owned(),
            cheapest_model: "fake/small".to_owned(),
            pairwise: true,
            model_stats: vec![
                stats("openai/gpt-4o", 82.5, 41_000),
                stats("fake/small", 64.0, 6_000),
                stats("anthropic/claude-haiku", 71.0, 12_000),
            ],
            ratings: ratings
                .ratings
                .iter()
                .map(|rating| pb::ModelRating {
                    model: rating.model.clone(),
                    rating: rating.rating,
                    ci_low: rating.ci_low,
                    ci_high: rating.ci_high,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn chart_run_and_ratings_fetch_the_run_and_write_both_files() {
    let fake = Fake::<Runner>::new(vec![(
        "GetRun",
        fixed::<pb::GetRunRequest, _>(run_response()),
    )]);
    let (server, clients) = serve(fake).await;
    let dir = out_dir("command-run");
    let run_args = RunArgs {
        run_id: "run-42".to_owned(),
        out: dir.clone(),
    };

    let files = chart::write(&clients, &ChartCommand::Run(run_args.clone()))
        .await
        .expect("quality vs cost written");
    check_written(&files, &dir, "run-run-42-quality-cost");
    Svg::read(&files.svg).assert_texts(&["openai/gpt-4o (best)", "fake/small (cheapest)"]);

    let files = chart::write(&clients, &ChartCommand::Ratings(run_args))
        .await
        .expect("ratings written");
    check_written(&files, &dir, "run-run-42-ratings");
    Svg::read(&files.svg).assert_texts(&["1071  [1043, 1105]"]);
    server.stop().await.expect("server stops");
}

#[tokio::test]
async fn unimplemented_rpcs_and_services_give_a_clear_error() {
    // A runner without GetSuiteStats, and no rankings service at all on that port.
    let fake = Fake::<Runner>::new(Vec::new());
    let (server, clients) = serve(fake).await;
    let dir = out_dir("command-unimplemented");

    let suite = ChartCommand::Suite(SuiteArgs {
        suite_id: "suite-1".to_owned(),
        out: dir.clone(),
    });
    let error = chart::write(&clients, &suite)
        .await
        .expect_err("unimplemented");
    let message = format!("{error:#}");
    assert!(
        message.contains("runner service")
            && message.contains("does not implement GetSuiteStats (UNIMPLEMENTED)"),
        "{message}"
    );

    let history = ChartCommand::History(HistoryArgs {
        model: "openai/gpt-4o".to_owned(),
        source: Vec::new(),
        metric: Vec::new(),
        from: None,
        to: None,
        out: dir.clone(),
    });
    let error = chart::write(&clients, &history)
        .await
        .expect_err("unimplemented");
    let message = format!("{error:#}");
    assert!(
        message.contains("rankings service")
            && message.contains("does not implement GetModelHistory (UNIMPLEMENTED)"),
        "{message}"
    );
    assert!(!dir.exists(), "nothing is written on error");
    server.stop().await.expect("server stops");
}

#[tokio::test]
async fn a_run_without_ratings_explains_how_to_get_them() {
    let mut response = run_response();
    if let Some(run) = response.run.as_mut() {
        run.ratings.clear();
        run.pairwise = false;
    }
    let fake = Fake::<Runner>::new(vec![("GetRun", fixed::<pb::GetRunRequest, _>(response))]);
    let (server, clients) = serve(fake).await;
    let command = ChartCommand::Ratings(RunArgs {
        run_id: "run-42".to_owned(),
        out: out_dir("command-no-ratings"),
    });
    let error = chart::write(&clients, &command)
        .await
        .expect_err("no ratings");
    assert!(error.to_string().contains("pairwise judging"), "{error:#}");
    server.stop().await.expect("server stops");
}
