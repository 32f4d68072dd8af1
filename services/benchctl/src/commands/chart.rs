//! `benchctl chart …`: fetches data over gRPC and writes each chart as SVG and PNG.

use std::path::PathBuf;

use anyhow::Context as _;
use benchhub_proto::pb;

use crate::charts::proto::{
    history_from_proto, quality_cost_from_proto, ratings_from_proto, suite_trend_from_proto,
};
use crate::charts::{self, ChartFiles};
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
#[cfg(test)]
mod tests {
    use super::*;

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
