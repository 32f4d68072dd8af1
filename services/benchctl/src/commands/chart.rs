//! `benchctl chart …`: fetches data over gRPC and writes each chart as SVG and PNG.

use std::path::PathBuf;

use anyhow::Context as _;
use benchhub_proto::pb;

use crate::charts::{
    self, ChartFiles, HistoryPoint, HistorySeries, ModelHistory, ModelQualityCost,
    ModelRatingInterval, RunQualityCost, RunRatings, SuiteTrend, TrendPoint,
};
use crate::client::{Clients, explain};

/// Default output directory of every chart command.
pub const DEFAULT_OUT_DIR: &str = "demo-out/charts";

/// `benchctl chart …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ChartCommand {
    /// A model's score history: one line per source and metric, x = snapshot date (GetModelHistory).
    History(HistoryArgs),
    /// A suite's mean quality and cost per result across its completed runs (GetSuiteStats).
    Suite(SuiteArgs),
    /// Quality vs cost per model for one run, best and cheapest marked (GetRun).
    Run(RunArgs),
    /// Pairwise ratings of a run's models with their 95% intervals (GetRun).
    Ratings(RunArgs),
}

/// Arguments of `benchctl chart history`.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Canonical model id or alias, e.g. openai/gpt-4o.
    pub model: String,
    /// Only this source, e.g. lmarena (repeatable).
    #[arg(long)]
    pub source: Vec<String>,
    /// Only this metric name, e.g. text_elo (repeatable).
    #[arg(long)]
    pub metric: Vec<String>,
    /// First snapshot date included (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Last snapshot date included (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Directory the SVG and PNG files are written to.
    #[arg(long, default_value = DEFAULT_OUT_DIR)]
    pub out: PathBuf,
}

/// Arguments of `benchctl chart suite`.
#[derive(Debug, Clone, clap::Args)]
pub struct SuiteArgs {
    /// Suite id.
    pub suite_id: String,
    /// Directory the SVG and PNG files are written to.
    #[arg(long, default_value = DEFAULT_OUT_DIR)]
    pub out: PathBuf,
}

/// Arguments of `benchctl chart run` and `benchctl chart ratings`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Run id.
    pub run_id: String,
    /// Directory the SVG and PNG files are written to.
    #[arg(long, default_value = DEFAULT_OUT_DIR)]
    pub out: PathBuf,
}

/// Runs the command and prints the path of every file written, one per line.
pub async fn run(clients: &Clients, command: ChartCommand) -> anyhow::Result<()> {
    let files = write(clients, &command).await?;
    for path in [&files.svg, &files.png] {
        println!("{}", path.display());
    }
    Ok(())
}

/// Fetches the chart's data and writes its SVG and PNG; returns the paths.
pub async fn write(clients: &Clients, command: &ChartCommand) -> anyhow::Result<ChartFiles> {
    match command {
        ChartCommand::History(args) => history(clients, args).await,
        ChartCommand::Suite(args) => suite(clients, args).await,
        ChartCommand::Run(args) => quality_cost(clients, args).await,
        ChartCommand::Ratings(args) => ratings(clients, args).await,
    }
}

async fn history(clients: &Clients, args: &HistoryArgs) -> anyhow::Result<ChartFiles> {
    let mut client = clients.rankings().await?;
    let response = client
        .get_model_history(pb::GetModelHistoryRequest {
            model: args.model.clone(),
            sources: args.source.clone(),
            categories: Vec::new(),
            metrics: args.metric.clone(),
            from_date: args.from.clone().unwrap_or_default(),
            to_date: args.to.clone().unwrap_or_default(),
        })
        .await
        .map_err(|status| {
            rpc_error(
                "rankings",
                &clients.endpoints().rankings,
                "GetModelHistory",
                &status,
            )
        })?
        .into_inner();
    let history = history_from_proto(&args.model, response)?;
    if history.series.is_empty() {
        anyhow::bail!(
            "model {} has no history matching the filters (--source, --metric, --from, --to)",
            args.model
        );
    }
    let stem = format!("history-{}", charts::file_stem(&args.model));
    Ok(charts::render_model_history(&history, &args.out, &stem)?)
}

async fn suite(clients: &Clients, args: &SuiteArgs) -> anyhow::Result<ChartFiles> {
    let runner_url = &clients.endpoints().runner;
    let mut client = clients.runner().await?;
    let stats = client
        .get_suite_stats(pb::GetSuiteStatsRequest {
            suite_id: args.suite_id.clone(),
            since: None,
        })
        .await
        .map_err(|status| rpc_error("runner", runner_url, "GetSuiteStats", &status))?
        .into_inner();
    if stats.cost_trend.is_empty() {
        anyhow::bail!(
            "suite {} has no completed runs to chart ({})",
            args.suite_id,
            if stats.stale_reason.is_empty() {
                "no cost trend points"
            } else {
                &stats.stale_reason
            }
        );
    }
    // The name only improves the title, so a failing GetSuite falls back to the id.
    let label = match client
        .get_suite(pb::GetSuiteRequest {
            suite_id: args.suite_id.clone(),
        })
        .await
    {
        Ok(response) => response
            .into_inner()
            .suite
            .map(|suite| suite.name)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| args.suite_id.clone()),
        Err(_) => args.suite_id.clone(),
    };
    let trend = suite_trend_from_proto(label, &stats)?;
    let stem = format!("suite-{}", charts::file_stem(&args.suite_id));
    Ok(charts::render_suite_trend(&trend, &args.out, &stem)?)
}

async fn fetch_run(clients: &Clients, run_id: &str) -> anyhow::Result<pb::Run> {
    let mut client = clients.runner().await?;
    client
        .get_run(pb::GetRunRequest {
            run_id: run_id.to_owned(),
        })
        .await
        .map_err(|status| rpc_error("runner", &clients.endpoints().runner, "GetRun", &status))?
        .into_inner()
        .run
        .with_context(|| format!("the runner answered GetRun for {run_id} without a run"))
}

async fn quality_cost(clients: &Clients, args: &RunArgs) -> anyhow::Result<ChartFiles> {
    let run = fetch_run(clients, &args.run_id).await?;
    if run.model_stats.is_empty() {
        anyhow::bail!("run {} has no results yet", args.run_id);
    }
    let data = quality_cost_from_proto(&run);
    let stem = format!("run-{}-quality-cost", charts::file_stem(&args.run_id));
    Ok(charts::render_run_quality_cost(&data, &args.out, &stem)?)
}

async fn ratings(clients: &Clients, args: &RunArgs) -> anyhow::Result<ChartFiles> {
    let run = fetch_run(clients, &args.run_id).await?;
    if run.ratings.is_empty() {
        if run.pairwise {
            anyhow::bail!(
                "run {} has no ratings yet: they are computed once pairwise judging has verdicts",
                args.run_id
            );
        }
        anyhow::bail!(
            "run {} has no ratings: ratings need a run created with pairwise judging",
            args.run_id
        );
    }
    let data = ratings_from_proto(&run);
    let stem = format!("run-{}-ratings", charts::file_stem(&args.run_id));
    Ok(charts::render_ratings(&data, &args.out, &stem)?)
}

/// Explains a failed RPC; UNIMPLEMENTED gets its own message because it means the service (or this
/// RPC) is not built yet, or the URL points at another service.
fn rpc_error(service: &str, url: &str, rpc: &str, status: &tonic::Status) -> anyhow::Error {
    if status.code() == tonic::Code::Unimplemented {
        return anyhow::anyhow!(
            "the {service} service at {url} does not implement {rpc} (UNIMPLEMENTED): it is not \
             built yet, or the URL points at another service"
        );
    }
    explain(status).context(format!("{rpc} failed"))
}

/// Returns "Display Name (id)", or whichever of the two is known, or `fallback`.
fn model_label(model: Option<&pb::ModelRef>, fallback: &str) -> String {
    let Some(model) = model else {
        return fallback.to_owned();
    };
    match (model.display_name.as_str(), model.id.as_str()) {
        ("", "") => fallback.to_owned(),
        ("", id) => id.to_owned(),
        (name, "") => name.to_owned(),
        (name, id) if name == id => id.to_owned(),
        (name, id) => format!("{name} ({id})"),
    }
}

/// Converts a GetModelHistory answer into chart data.
pub fn history_from_proto(
    requested: &str,
    response: pb::GetModelHistoryResponse,
) -> anyhow::Result<ModelHistory> {
    let model = model_label(response.model.as_ref(), requested);
    let series = response
        .series
        .into_iter()
        .map(|series| {
            let points = series
                .points
                .iter()
                .map(|point| {
                    let date = benchhub_common::convert::parse_date(&point.snapshot_date)
                        .map_err(|reason| anyhow::anyhow!("snapshot_date: {reason}"))?
                        .context("snapshot_date: must not be empty")?;
                    Ok(HistoryPoint {
                        date,
                        value: point.value,
                        ci_low: point.ci_low,
                        ci_high: point.ci_high,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(HistorySeries {
                source: series.source,
                category: series.category,
                metric: series.metric,
                unit: series.unit,
                points,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ModelHistory { model, series })
}

/// Converts a GetSuiteStats answer into chart data; costs become USD.
pub fn suite_trend_from_proto(
    suite: String,
    stats: &pb::GetSuiteStatsResponse,
) -> anyhow::Result<SuiteTrend> {
    let points = stats
        .cost_trend
        .iter()
        .map(|point| {
            let completed_at = point
                .completed_at
                .as_ref()
                .and_then(benchhub_common::convert::from_timestamp)
                .with_context(|| {
                    format!("cost_trend: run {} has no valid completed_at", point.run_id)
                })?;
            Ok(TrendPoint {
                run_id: point.run_id.clone(),
                completed_at,
                model: point.model.clone(),
                mean_quality: point.mean_quality,
                mean_cost_usd: point.mean_cost_micro_usd.map(micro_usd_to_usd),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SuiteTrend { suite, points })
}

/// Converts a run's per-model aggregates into chart data. A model whose cost is incomplete
/// (`price_known` false) has no cost, so it is listed rather than placed at a wrong x.
pub fn quality_cost_from_proto(run: &pb::Run) -> RunQualityCost {
    let models = run
        .model_stats
        .iter()
        .map(|stats| ModelQualityCost {
            model: stats.model.clone(),
            mean_quality: stats.mean_quality,
            total_cost_usd: stats
                .price_known
                .then(|| micro_usd_to_usd(stats.total_cost_micro_usd)),
            quality_interval: stats.mean_quality_low.zip(stats.mean_quality_high),
        })
        .collect();
    RunQualityCost {
        run: run_label(run),
        models,
        best_model: Some(run.best_model.clone()).filter(|model| !model.is_empty()),
        tied_for_best: run.tied_for_best.clone(),
        cheapest_model: Some(run.cheapest_model.clone()).filter(|model| !model.is_empty()),
    }
}

/// Converts a run's pairwise ratings into chart data.
pub fn ratings_from_proto(run: &pb::Run) -> RunRatings {
    RunRatings {
        run: run_label(run),
        ratings: run
            .ratings
            .iter()
            .map(|rating| ModelRatingInterval {
                model: rating.model.clone(),
                rating: rating.rating,
                ci_low: rating.ci_low,
                ci_high: rating.ci_high,
            })
            .collect(),
    }
}

fn run_label(run: &pb::Run) -> String {
    if run.label.is_empty() {
        run.id.clone()
    } else {
        format!("{} ({})", run.id, run.label)
    }
}

/// Converts micro-USD to USD (exact for any amount below 2^53 micro-USD).
fn micro_usd_to_usd(micro_usd: i64) -> f64 {
    micro_usd as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_models_by_name_and_id() {
        let model = pb::ModelRef {
            id: "openai/gpt-4o".to_owned(),
            display_name: "GPT-4o".to_owned(),
        };
        assert_eq!(model_label(Some(&model), "x"), "GPT-4o (openai/gpt-4o)");
        assert_eq!(model_label(None, "gpt-4o"), "gpt-4o");
    }

    #[test]
    fn converts_history_and_rejects_bad_dates() {
        let response = pb::GetModelHistoryResponse {
            model: None,
            series: vec![pb::MetricSeries {
                source: "lmarena".to_owned(),
                category: "arena".to_owned(),
                metric: "text_elo".to_owned(),
                unit: "elo".to_owned(),
                points: vec![pb::HistoryPoint {
                    snapshot_date: "2025-06-01".to_owned(),
                    value: 1280.0,
                    normalized: None,
                    ci_low: Some(1270.0),
                    ci_high: Some(1290.0),
                }],
            }],
        };
        let history = history_from_proto("m", response.clone()).expect("converts");
        assert_eq!(history.series[0].points[0].ci_low, Some(1270.0));
        assert_eq!(history.series[0].label(), "lmarena: text_elo");

        let mut bad = response;
        bad.series[0].points[0].snapshot_date = "June".to_owned();
        let error = history_from_proto("m", bad).expect_err("bad date");
        assert!(error.to_string().contains("snapshot_date"), "{error}");
    }

    #[test]
    fn converts_run_costs_to_usd_and_drops_incomplete_ones() {
        let run = pb::Run {
            id: "run-1".to_owned(),
            best_model: "a/x".to_owned(),
            model_stats: vec![
                pb::ModelStats {
                    model: "a/x".to_owned(),
                    mean_quality: Some(80.0),
                    total_cost_micro_usd: 2_500_000,
                    price_known: true,
                    ..Default::default()
                },
                pb::ModelStats {
                    model: "b/y".to_owned(),
                    mean_quality: Some(70.0),
                    total_cost_micro_usd: 10,
                    price_known: false,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let data = quality_cost_from_proto(&run);
        assert_eq!(data.models[0].total_cost_usd, Some(2.5));
        assert_eq!(data.models[1].total_cost_usd, None);
        assert_eq!(data.best_model.as_deref(), Some("a/x"));
        assert_eq!(data.cheapest_model, None);
    }

    #[test]
    fn explains_unimplemented_rpcs() {
        let error = rpc_error(
            "runner",
            "http://127.0.0.1:1",
            "GetSuiteStats",
            &tonic::Status::unimplemented(""),
        );
        assert!(error.to_string().contains("UNIMPLEMENTED"), "{error}");
        let error = rpc_error(
            "runner",
            "http://127.0.0.1:1",
            "GetRun",
            &tonic::Status::not_found("run x"),
        );
        assert!(format!("{error:#}").contains("run x"), "{error:#}");
    }
}
