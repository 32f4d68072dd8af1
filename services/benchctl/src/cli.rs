//! Command-line surface of benchctl.

use std::time::Duration;

use benchhub_common::config::humantime_duration;

use crate::client::Endpoints;

/// benchctl — administer and query a benchhub deployment.
#[derive(Debug, clap::Parser)]
#[command(name = "benchctl", version, about)]
pub struct Cli {
    /// Ingest service URL.
    #[arg(
        long,
        global = true,
        env = "BENCHHUB_INGEST_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub ingest_url: String,
    /// Rankings service URL.
    #[arg(
        long,
        global = true,
        env = "BENCHHUB_RANKINGS_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub rankings_url: String,
    /// Runner service URL.
    #[arg(
        long,
        global = true,
        env = "BENCHHUB_RUNNER_URL",
        default_value = "http://127.0.0.1:50053"
    )]
    pub runner_url: String,
    /// Judge service URL.
    #[arg(
        long,
        global = true,
        env = "BENCHHUB_JUDGE_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    pub judge_url: String,
    /// Bearer token (falls back to BENCHHUB_ADMIN_TOKEN). Never printed.
    #[arg(long, global = true, env = "BENCHHUB_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Returns the endpoints and token the commands use.
    pub fn endpoints(&self) -> Endpoints {
        let token = self
            .token
            .clone()
            .or_else(|| std::env::var("BENCHHUB_ADMIN_TOKEN").ok())
            .filter(|token| !token.trim().is_empty());
        Endpoints {
            ingest: self.ingest_url.clone(),
            rankings: self.rankings_url.clone(),
            runner: self.runner_url.clone(),
            judge: self.judge_url.clone(),
            token,
        }
    }
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show the gRPC health of the services (exit code 1 when one is not SERVING).
    Health(HealthArgs),
    /// Postgres roles and schema: `setup` (once, as a superuser), `migrate` (as the owner), `check`.
    #[command(subcommand)]
    Db(crate::commands::db::DbCommand),
    /// List the upstream sources with availability, schedule, last and next run.
    Sources,
    /// Manage API tokens (admin).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write charts (SVG and PNG): model history, suite trend, run quality vs cost, ratings.
    #[command(subcommand)]
    Chart(crate::commands::chart::ChartCommand),
    /// Show the model rankings as a table, or write them as CSV with --csv.
    Rankings(crate::commands::rankings::RankingsArgs),
    /// Show one model: scores, prices, freshness and every source's value with a history sparkline.
    Model(crate::commands::rankings::ModelArgs),
    /// Show the newest model in the catalog and when it was first ingested.
    Latest(crate::commands::rankings::LatestArgs),
    /// Run the local fake LLM provider (OpenAI-compatible) for the demo and tests, until Ctrl-C.
    FakeProvider(crate::commands::fake_provider::FakeProviderArgs),
    /// Manage test suites: create, add cases from JSONL or CSV, list.
    #[command(subcommand)]
    Suite(crate::commands::runner::SuiteCommand),
    /// Run a suite (and/or ad-hoc cases) against models; `run show <id>` shows a run.
    Run(crate::commands::runner::RunArgs),
    /// List benchmark runs, newest first.
    Runs(crate::commands::runner::RunsArgs),
    /// Cancel a pending or running benchmark run.
    Cancel(crate::commands::runner::CancelArgs),
    /// Show a suite's per-model statistics, cost trend and staleness.
    Stats(crate::commands::runner::StatsArgs),
    /// Compare two runs, or the models within one run (--run), with intervals, p-values and verdicts.
    Compare(crate::commands::runner::compare::CompareArgs),
    /// Re-run the failed (and never-called) pairs of an ended run.
    Retry(crate::commands::runner::RetryArgs),
    /// The judge on files: score outputs, compare pairs of outputs, rank models from verdicts.
    #[command(subcommand)]
    Judge(crate::commands::judge::JudgeCommand),
    /// Re-fetch one source, or every live and seed source with --all (admin; --dry-run writes nothing).
    Reingest(crate::commands::ingest::ReingestArgs),
    /// List the ingestion audit trail, newest first.
    IngestRuns(crate::commands::ingest::IngestRunsArgs),
    /// List upstream model names that match no canonical model, with the closest candidates.
    Unmatched(crate::commands::ingest::UnmatchedArgs),
    /// Add or remove a model-name alias (admin); stored observations are re-linked at once.
    #[command(subcommand)]
    Alias(crate::commands::ingest::AliasCommand),
    /// List a live source's upstream models that are new to benchhub; --auto-ingest ingests them.
    Detect(crate::commands::ingest::DetectArgs),
    /// Run the offline upstream replay server (generated payloads or a fixtures directory).
    #[command(subcommand)]
    Replay(crate::commands::ingest::ReplayCommand),
    /// Screenshots of web console pages in headless Chromium, signed in with the token.
    Screens(crate::commands::screens::ScreensArgs),
}

/// Arguments of `benchctl health`.
#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// Keep checking until every service is SERVING or this much time has passed (e.g. 60s).
    #[arg(long, value_parser = humantime_duration)]
    pub wait: Option<Duration>,
    /// Check only this service: ingest, rankings, runner or judge.
    #[arg(long, value_parser = ["ingest", "rankings", "runner", "judge"])]
    pub service: Option<String>,
    /// URL of the service given with --service (overrides the configured URL).
    #[arg(long, requires = "service")]
    pub url: Option<String>,
}

/// `benchctl token …`.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is printed once and never again.
    Create {
        /// Human name, e.g. ci-runner.
        #[arg(long)]
        name: String,
        /// admin, runner or reader.
        #[arg(long, value_parser = ["admin", "runner", "reader"])]
        role: String,
        /// Tenant whose suites and runs the token sees.
        #[arg(long, default_value = "default")]
        tenant: String,
    },
    /// List tokens (never their secrets).
    List {
        /// Include revoked tokens.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a token by id.
    Revoke {
        /// Token id as shown by `token list`.
        id: String,
    },
}
