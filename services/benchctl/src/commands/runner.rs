//! Runner commands: `benchctl suite create|add|list`, `benchctl run --suite S --models a,b [--watch]`,
//! `benchctl run show <id>`, `benchctl runs`, `benchctl cancel <id>`, `benchctl stats <suite>`.

pub mod compare;
pub use benchhub_cases as import;
mod show;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use benchhub_proto::pb;
use benchhub_proto::pb::watch_run_response::Event;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::client::{Clients, explain};
use crate::render;

pub use import::{Format, grader_from_json, parse_csv, parse_jsonl, read_cases};
pub use show::{comparison_table, dollars};
use show::{optional, print_estimate, print_run, progress_message, status_name, status_value};

/// Cases sent per AddTestCases request (the service accepts at most 1,000).
const CASES_PER_REQUEST: usize = 1_000;

/// `benchctl suite …`.
#[derive(Debug, clap::Subcommand)]
pub enum SuiteCommand {
    /// Create an empty suite.
    Create {
        /// Suite name, unique within your tenant.
        name: String,
        /// Free-text description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Add test cases from a JSONL or CSV file (see the file format in `--help` of the file argument).
    Add {
        /// Suite id or name.
        suite: String,
        /// JSONL (one {"input", "expected_output", "rubric", "tags", "grader"} object per line) or CSV
        /// (header with input, expected_output, rubric, tags separated by ';', grader).
        file: PathBuf,
        /// File format when the extension does not tell: jsonl or csv.
        #[arg(long, value_parser = ["jsonl", "csv"])]
        format: Option<String>,
    },
    /// List suites, newest first.
    List {
        /// Only suites whose name contains this text.
        #[arg(long)]
        search: Option<String>,
    },
}

/// `benchctl run …`: start a run, or `run show <id>`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RunArgs {
    /// `show <id>`.
    #[command(subcommand)]
    pub command: Option<RunCommand>,
    /// Options of a new run.
    #[command(flatten)]
    pub start: StartArgs,
}

/// `benchctl run show`.
#[derive(Debug, clap::Subcommand)]
pub enum RunCommand {
    /// Show a run: status, progress and the per-model comparison table.
    Show {
        /// Run id.
        id: String,
    },
}

/// Options of a new run.
#[derive(Debug, Clone, clap::Args)]
pub struct StartArgs {
    /// Suite id or name whose cases to run.
    #[arg(long)]
    pub suite: Option<String>,
    /// Ad-hoc cases from a JSONL or CSV file (run in addition to the suite's, not stored in it).
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// Models as provider/model, comma-separated, e.g. openai/gpt-4o-mini,anthropic/claude-sonnet-4-5.
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<String>,
    /// Default grader for cases without their own: exact, normalized_exact, json_valid or llm_rubric.
    #[arg(long)]
    pub grader: Option<String>,
    /// Judge model for LLM grading and pairwise comparison, as provider/model.
    #[arg(long)]
    pub judge: Option<String>,
    /// Also compare every pair of models per case with the judge and report ratings.
    #[arg(long)]
    pub pairwise: bool,
    /// Only suite cases with any of these tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Calls per (case, model).
    #[arg(long, default_value_t = 1)]
    pub repetitions: i32,
    /// Calls in flight across providers (and per provider).
    #[arg(long, default_value_t = 16)]
    pub concurrency: i32,
    /// Requests per minute per provider (0: no run-level limit).
    #[arg(long, default_value_t = 0)]
    pub rpm: i32,
    /// Retries of a call on 429, 5xx or timeout.
    #[arg(long)]
    pub retries: Option<i32>,
    /// Timeout of one call in seconds.
    #[arg(long)]
    pub timeout_secs: Option<i64>,
    /// Stop the run once it has cost this many US dollars; a run whose estimate is above it, or with a
    /// model of unknown price, is refused (see --allow-over-budget and `price` overrides).
    #[arg(long)]
    pub budget_usd: Option<f64>,
    /// With --budget-usd: start even when the estimate exceeds the budget.
    #[arg(long, requires = "budget_usd")]
    pub allow_over_budget: bool,
    /// Sampling temperature (default 0).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Maximum output tokens per call.
    #[arg(long)]
    pub max_tokens: Option<i32>,
    /// System prompt sent before each case.
    #[arg(long, default_value = "")]
    pub system: String,
    /// Serve identical temperature-0 requests from the response cache.
    #[arg(long)]
    pub cache: bool,
    /// Only estimate the cost; nothing is stored or called.
    #[arg(long)]
    pub dry_run: bool,
    /// Free-text label.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Follow the run with a live progress bar and print the comparison table at the end.
    #[arg(long)]
    pub watch: bool,
}

/// Arguments of `benchctl runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Only runs of this suite (id or name).
    #[arg(long)]
    pub suite: Option<String>,
    /// Only runs in this state.
    #[arg(long, value_parser = ["pending", "running", "completed", "failed", "cancelled"])]
    pub status: Option<String>,
    /// Most runs to show.
    #[arg(long, default_value_t = 20)]
    pub limit: i32,
}

/// Arguments of `benchctl cancel`.
#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    /// Run id.
    pub id: String,
}

/// Arguments of `benchctl retry`.
#[derive(Debug, clap::Args)]
pub struct RetryArgs {
    /// Run id.
    pub id: String,
}

/// Arguments of `benchctl stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Suite id or name.
    pub suite: String,
}

type Runner = pb::runner_service_client::RunnerServiceClient<
    tonic::service::interceptor::InterceptedService<
        tonic::transport::Channel,
        crate::client::BearerInterceptor,
    >,
>;

/// Resolves a suite id or name to its id.
async fn suite_id(client: &mut Runner, suite: &str) -> anyhow::Result<String> {
    if uuid_like(suite) {
        return Ok(suite.to_owned());
    }
    let response = client
        .list_suites(pb::ListSuitesRequest {
            page_size: 500,
            page_token: String::new(),
            search: suite.to_owned(),
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    response
        .suites
        .into_iter()
        .find(|candidate| candidate.name == suite)
        .map(|found| found.id)
        .with_context(|| format!("no suite named '{suite}' (see `benchctl suite list`)"))
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36
        && text
            .chars()
            .all(|character| character.is_ascii_hexdigit() || character == '-')
}

async fn watch(client: &mut Runner, run_id: &str) -> anyhow::Result<pb::Run> {
    let mut stream = client
        .watch_run(pb::WatchRunRequest {
            run_id: run_id.to_owned(),
            replay_results: false,
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut summary = None;
    while let Some(message) = stream.message().await.map_err(|status| explain(&status))? {
        match message.event {
            Some(Event::Progress(progress)) => {
                let counts = progress.counts.unwrap_or_default();
                bar.set_length(counts.total.max(0) as u64);
                bar.set_position(counts.done.max(0) as u64);
                bar.set_message(progress_message(&progress));
            }
            Some(Event::Result(_)) => bar.inc(1),
            Some(Event::StatusChange(change)) if !change.reason.is_empty() => {
                bar.println(format!(
                    "{}: {}",
                    status_name(change.current),
                    change.reason
                ));
            }
            Some(Event::Summary(run)) => summary = Some(run),
            Some(Event::StatusChange(_)) | None => {}
        }
    }
    bar.finish_and_clear();
    summary.context("the watch ended without a summary; see `benchctl run show`")
}

async fn start_run(clients: &Clients, args: &StartArgs) -> anyhow::Result<()> {
    let mut client = clients.runner().await?;
    if args.suite.is_none() && args.cases.is_none() {
        bail!("give --suite and/or --cases FILE");
    }
    if args.models.is_empty() {
        bail!("give --models provider/model[,provider/model...]");
    }
    let suite_id = match &args.suite {
        Some(suite) => suite_id(&mut client, suite).await?,
        None => String::new(),
    };
    let ad_hoc_cases = match &args.cases {
        Some(path) => read_cases(path, Format::detect(path, None)?)?,
        None => Vec::new(),
    };
    let grader = args
        .grader
        .as_deref()
        .map(|name| grader_from_json(&serde_json::Value::String(name.to_owned())))
        .transpose()?;
    let request = pb::CreateRunRequest {
        suite_id,
        ad_hoc_cases,
        case_tags: args.tags.clone(),
        models: args
            .models
            .iter()
            .map(|model| model.trim().to_owned())
            .collect(),
        grader,
        judge: args.judge.as_ref().map(|model| pb::JudgeModel {
            model: model.clone(),
            temperature: None,
            max_tokens: None,
        }),
        pairwise: args.pairwise,
        repetitions: args.repetitions,
        limits: Some(pb::RunLimits {
            max_concurrency: args.concurrency,
            per_provider_max_concurrency: args.concurrency,
            requests_per_minute: args.rpm,
            call_timeout_ms: args.timeout_secs.unwrap_or(0).saturating_mul(1_000),
            max_retries: args.retries,
            budget_micro_usd: args
                .budget_usd
                .map(|usd| (usd * 1_000_000.0).round() as i64),
        }),
        temperature: args.temperature,
        max_tokens: args.max_tokens,
        system_prompt: args.system.clone(),
        dry_run: args.dry_run,
        use_cache: args.cache,
        label: args.label.clone(),
        allow_over_budget: args.allow_over_budget,
    };
    let run = client
        .create_run(request)
        .await
        .map_err(|status| explain(&status))?
        .into_inner()
        .run
        .context("the runner returned no run")?;
    if args.dry_run {
        print_estimate(&run);
        return Ok(());
    }
    println!(
        "created run {} ({} pairs)",
        run.id,
        run.counts.unwrap_or_default().total
    );
    print_estimate(&run);
    if !args.watch {
        println!("follow it with `benchctl run show {}`", run.id);
        return Ok(());
    }
    let summary = watch(&mut client, &run.id).await?;
    print_run(&summary);
    Ok(())
}

/// Runs `benchctl suite …`.
pub async fn run_suite(clients: &Clients, command: SuiteCommand) -> anyhow::Result<()> {
    let mut client = clients.runner().await?;
    match command {
        SuiteCommand::Create { name, description } => {
            let suite = client
                .create_suite(pb::CreateSuiteRequest { name, description })
                .await
                .map_err(|status| explain(&status))?
                .into_inner()
                .suite
                .context("no suite returned")?;
            println!("created suite {} ({})", suite.name, suite.id);
        }
        SuiteCommand::Add {
            suite,
            file,
            format,
        } => {
            let id = suite_id(&mut client, &suite).await?;
            let cases = read_cases(&file, Format::detect(&file, format.as_deref())?)?;
            if cases.is_empty() {
                bail!("{} holds no cases", file.display());
            }
            let mut count = 0;
            for chunk in cases.chunks(CASES_PER_REQUEST) {
                count = client
                    .add_test_cases(pb::AddTestCasesRequest {
                        suite_id: id.clone(),
                        cases: chunk.to_vec(),
                    })
                    .await
                    .map_err(|status| explain(&status))?
                    .into_inner()
                    .case_count;
            }
            println!(
                "added {} cases to {suite}; it now holds {count}",
                cases.len()
            );
        }
        SuiteCommand::List { search } => {
            let mut table =
                render::table(&["id", "name", "cases", "created", "last completed run"]);
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_suites(pb::ListSuitesRequest {
                        page_size: 200,
                        page_token: page_token.clone(),
                        search: search.clone().unwrap_or_default(),
                    })
                    .await
                    .map_err(|status| explain(&status))?
                    .into_inner();
                for suite in &page.suites {
                    table.add_row(vec![
                        suite.id.clone(),
                        suite.name.clone(),
                        suite.case_count.to_string(),
                        render::time(suite.created_at.as_ref()),
                        render::time(suite.last_completed_run_at.as_ref()),
                    ]);
                }
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            println!("{table}");
        }
    }
    Ok(())
}

/// Runs `benchctl run …`.
pub async fn run_run(clients: &Clients, args: RunArgs) -> anyhow::Result<()> {
    match args.command {
        Some(RunCommand::Show { id }) => {
            let mut client = clients.runner().await?;
            let run = client
                .get_run(pb::GetRunRequest { run_id: id })
                .await
                .map_err(|status| explain(&status))?
                .into_inner()
                .run
                .context("no run returned")?;
            print_run(&run);
            Ok(())
        }
        None => start_run(clients, &args.start).await,
    }
}

/// Runs `benchctl runs`.
pub async fn run_runs(clients: &Clients, args: RunsArgs) -> anyhow::Result<()> {
    let mut client = clients.runner().await?;
    let suite_id = match &args.suite {
        Some(suite) => suite_id(&mut client, suite).await?,
        None => String::new(),
    };
    let page = client
        .list_runs(pb::ListRunsRequest {
            page_size: args.limit.clamp(1, 500),
            page_token: String::new(),
            suite_id,
            status: args
                .status
                .as_deref()
                .map_or(0, |name| status_value(name) as i32),
            created_after: None,
            created_before: None,
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    let mut table = render::table(&[
        "id", "status", "created", "models", "done", "failed", "cost", "best", "cheapest", "label",
    ]);
    for run in &page.runs {
        let counts = run.counts.unwrap_or_default();
        table.add_row(vec![
            run.id.clone(),
            status_name(run.status),
            render::time(run.created_at.as_ref()),
            run.models
                .iter()
                .map(|model| model.model.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            format!("{}/{}", counts.done, counts.total),
            counts.failed.to_string(),
            dollars(run.cost_micro_usd),
            render::or_dash(&run.best_model),
            render::or_dash(&run.cheapest_model),
            render::or_dash(&run.label),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// Runs `benchctl cancel`.
pub async fn run_cancel(clients: &Clients, args: CancelArgs) -> anyhow::Result<()> {
    let mut client = clients.runner().await?;
    let run = client
        .cancel_run(pb::CancelRunRequest { run_id: args.id })
        .await
        .map_err(|status| explain(&status))?
        .into_inner()
        .run
        .context("no run returned")?;
    print_run(&run);
    Ok(())
}

/// Runs `benchctl retry`: re-runs the failed (and never-called) pairs of an ended run.
pub async fn run_retry(clients: &Clients, args: RetryArgs) -> anyhow::Result<()> {
    let mut client = clients.runner().await?;
    let response = client
        .retry_run(pb::RetryRunRequest { run_id: args.id })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    println!("{} pair(s) will be run again", response.retried_pairs);
    if let Some(run) = response.run {
        print_run(&run);
    }
    Ok(())
}

/// Runs `benchctl stats`.
pub async fn run_stats(clients: &Clients, args: StatsArgs) -> anyhow::Result<()> {
    let mut client = clients.runner().await?;
    let id = suite_id(&mut client, &args.suite).await?;
    let stats = client
        .get_suite_stats(pb::GetSuiteStatsRequest {
            suite_id: id,
            since: None,
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    println!(
        "{} completed runs · last {}{}",
        stats.completed_runs,
        render::time(stats.last_completed_at.as_ref()),
        if stats.stale {
            format!(" · STALE: {} (re-run the benchmark)", stats.stale_reason)
        } else {
            String::new()
        }
    );
    if !stats.models.is_empty() {
        let verdict = show::Verdict {
            best: &stats.best_model,
            tied: &stats.tied_for_best,
            best_value: &stats.best_value_model,
            cheapest: &stats.cheapest_model,
            test: stats.best_versus_runner_up.as_ref(),
        };
        println!("{}", comparison_table(&stats.models, &verdict));
        if let Some(line) = show::verdict_line(&verdict) {
            println!("{line}");
        }
    }
    if !stats.cost_trend.is_empty() {
        let mut table = render::table(&[
            "completed",
            "run",
            "model",
            "total cost",
            "mean cost",
            "quality",
        ]);
        for point in &stats.cost_trend {
            table.add_row(vec![
                render::time(point.completed_at.as_ref()),
                point.run_id.chars().take(8).collect(),
                point.model.clone(),
                point
                    .total_cost_micro_usd
                    .map_or_else(|| "unknown".to_owned(), dollars),
                point
                    .mean_cost_micro_usd
                    .map_or_else(|| "unknown".to_owned(), dollars),
                optional(point.mean_quality.map(|quality| format!("{quality:.1}"))),
            ]);
        }
        println!("cost trend:\n{table}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_ids_are_told_from_names() {
        assert!(uuid_like("0b7c7a2e-7d4c-4c1e-9a55-1f3c1f0e9b21"));
        assert!(!uuid_like("my-suite"));
    }

    #[test]
    fn run_arguments_parse() {
        use clap::Parser;
        #[derive(Debug, clap::Parser)]
        struct Probe {
            #[command(flatten)]
            run: RunArgs,
        }
        let parsed = Probe::try_parse_from([
            "run",
            "--suite",
            "qa",
            "--models",
            "fake/good,fake/okay",
            "--watch",
            "--budget-usd",
            "0.5",
        ])
        .expect("valid");
        assert_eq!(parsed.run.start.models, vec!["fake/good", "fake/okay"]);
        assert!(parsed.run.start.watch);
        assert_eq!(parsed.run.start.budget_usd, Some(0.5));
        let show = Probe::try_parse_from(["run", "show", "abc"]).expect("valid");
        assert!(matches!(show.run.command, Some(RunCommand::Show { id }) if id == "abc"));
    }
}
