//! Ingest administration: `reingest`, `ingest-runs`, `unmatched`, `alias add|rm`, `detect`, and
//! `replay serve` (the offline upstream replay server for the demo and manual testing).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use benchhub_proto::pb;
use benchhub_upstream::{Backend, Generator, ReplayServer};

use crate::client::{Clients, explain};
use crate::render;

/// Arguments of `benchctl reingest`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  benchctl reingest lmarena --dry-run     show what a re-fetch would change, write nothing
  benchctl reingest lmarena               show the dry run, ask, then re-fetch one source now
  benchctl reingest lmarena --yes         re-fetch without asking (scripts)
  benchctl reingest --all --yes           every live and seed source, results as each finishes

A run that outlives the call (the service answers RUNNING with its id) goes on in the service;
benchctl prints the run id and follows it until it ends (Ctrl-C stops following, not the run).")]
pub struct ReingestArgs {
    /// Source to ingest (see `benchctl sources`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub source: Option<String>,
    /// Ingest every live and seed source concurrently.
    #[arg(long)]
    pub all: bool,
    /// Fetch and parse, but write nothing; report what would change.
    #[arg(long)]
    pub dry_run: bool,
    /// With --all: sources fetched at once (0 = the service default).
    #[arg(long, default_value_t = 0)]
    pub concurrency: i32,
    /// Re-fetch without showing the dry run and asking first.
    #[arg(long, short = 'y', conflicts_with = "dry_run")]
    pub yes: bool,
}

/// Arguments of `benchctl ingest-runs`.
#[derive(Debug, clap::Args)]
pub struct IngestRunsArgs {
    /// Only runs of this source.
    #[arg(long)]
    pub source: Option<String>,
    /// Only runs in this state.
    #[arg(long, value_parser = ["running", "succeeded", "failed", "skipped", "partial"])]
    pub status: Option<String>,
    /// Only runs started this way.
    #[arg(long, value_parser = ["manual", "schedule", "startup", "detect"])]
    pub trigger: Option<String>,
    /// How many runs to show, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: i32,
}

/// Arguments of `benchctl unmatched`.
#[derive(Debug, clap::Args)]
pub struct UnmatchedArgs {
    /// Only names from this source.
    #[arg(long)]
    pub source: Option<String>,
    /// How many names to show, most observations first.
    #[arg(long, default_value_t = 50)]
    pub limit: i32,
}

/// `benchctl alias …`.
#[derive(Debug, clap::Subcommand)]
pub enum AliasCommand {
    /// Map a source's model name onto a canonical model; stored observations are re-linked at once.
    Add {
        /// Source the alias applies to, or * for every source.
        source: String,
        /// The model name exactly as the source spells it (quote it).
        alias: String,
        /// Canonical model id, e.g. openai/gpt-4o.
        model_id: String,
    },
    /// Remove an alias; observations that matched only through it become unmatched again.
    Rm {
        /// Source of the alias.
        source: String,
        /// The aliased name.
        alias: String,
    },
}

/// Arguments of `benchctl detect`.
#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// A live source, e.g. arc-agi.
    pub source: String,
    /// Ingest the source when new models are found.
    #[arg(long)]
    pub auto_ingest: bool,
}

/// `benchctl replay …`.
#[derive(Debug, clap::Subcommand)]
pub enum ReplayCommand {
    /// Serve every source's upstream routes offline until Ctrl-C: generated payloads, or the files of
    /// a fixtures directory with --dir.
    #[command(after_help = "\
Point the ingest service at it with the printed BENCHHUB_SOURCE_<NAME>_URL variables (each source is served
under its own path prefix). Faults: POST /__replay/faults with e.g.
{\"source\": \"evalplus\", \"kind\": \"status\", \"status\": 503, \"times\": 1} (kinds: status, rate_limit
with retry_after_seconds, delay with millis, truncate, drift); DELETE /__replay/faults clears them;
GET /__replay/requests lists the requests served; POST /__replay/generator {\"seed\": 1, \"models\": 50,
\"date\": \"2026-01-12\"} swaps the generated data.")]
    Serve(ReplayServeArgs),
}

/// Arguments of `benchctl replay serve`.
#[derive(Debug, clap::Args)]
pub struct ReplayServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BENCHHUB_REPLAY_ADDR", default_value = "127.0.0.1:8091")]
    pub addr: SocketAddr,
    /// Serve the files of this directory (laid out like ../shared/fixtures) instead of generated data.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Generated models per source.
    #[arg(long, default_value_t = 50, conflicts_with = "dir")]
    pub models: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42, conflicts_with = "dir")]
    pub seed: u64,
    /// Publish date of generated dated sources (YYYY-MM-DD); default 2026-01-05.
    #[arg(long, conflicts_with = "dir")]
    pub date: Option<chrono::NaiveDate>,
}

fn status_name(status: i32) -> &'static str {
    match pb::RunStatus::try_from(status) {
        Ok(pb::RunStatus::Running) => "running",
        Ok(pb::RunStatus::Succeeded) => "succeeded",
        Ok(pb::RunStatus::Failed) => "FAILED",
        Ok(pb::RunStatus::Skipped) => "skipped (unchanged)",
        Ok(pb::RunStatus::Partial) => "PARTIAL",
        _ => "?",
    }
}

fn trigger_name(trigger: i32) -> &'static str {
    match pb::Trigger::try_from(trigger) {
        Ok(pb::Trigger::Manual) => "manual",
        Ok(pb::Trigger::Schedule) => "schedule",
        Ok(pb::Trigger::Startup) => "startup",
        Ok(pb::Trigger::Detect) => "detect",
        _ => "?",
    }
}

fn seconds(milliseconds: i64) -> String {
    format!("{:.1}s", milliseconds as f64 / 1000.0)
}

/// One line of live progress for a finished source.
pub fn progress_line(result: &pb::IngestResult) -> String {
    let mark = match pb::RunStatus::try_from(result.status) {
        Ok(pb::RunStatus::Failed) => "✗",
        Ok(pb::RunStatus::Partial) => "~",
        Ok(pb::RunStatus::Skipped) => "=",
        _ => "✓",
    };
    let mut line = format!(
        "{mark} {:<18} {:<20} fetched {:>6}  inserted {:>6}  updated {:>6}  unmatched {:>5}  ({})",
        result.source,
        status_name(result.status),
        result.fetched,
        result.inserted,
        result.updated,
        result.unmatched,
        seconds(result.duration_ms)
    );
    if !result.error.is_empty() {
        line.push_str(&format!("\n    {}", result.error));
    }
    line
}

fn results_table(results: &[pb::IngestResult], dry_run: bool) -> comfy_table::Table {
    let mut table = render::table(&[
        "source",
        "status",
        "snapshot",
        "fetched",
        if dry_run { "would insert" } else { "inserted" },
        if dry_run { "would update" } else { "updated" },
        "unmatched",
        "skipped",
        "failed",
        "models +/~",
        "duration",
        "stale",
    ]);
    for result in results {
        table.add_row(vec![
            result.source.clone(),
            status_name(result.status).to_owned(),
            render::or_dash(&result.snapshot_date),
            result.fetched.to_string(),
            result.inserted.to_string(),
            result.updated.to_string(),
            result.unmatched.to_string(),
            result.skipped.to_string(),
            result.failed.to_string(),
            format!("{}/{}", result.models_created, result.models_updated),
            seconds(result.duration_ms),
            if result.stale { "yes" } else { "no" }.to_owned(),
        ]);
    }
    table
}

fn failures(results: &[pb::IngestResult]) -> anyhow::Result<()> {
    let failed: Vec<&str> = results
        .iter()
        .filter(|result| result.status == pb::RunStatus::Failed as i32)
        .map(|result| result.source.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} source(s) failed: {}", failed.len(), failed.join(", "))
    }
}

/// Asks a yes/no question on the terminal; anything but y/yes (or no answer at all) is no.
async fn confirm(question: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        print!("{question} [y/N] ");
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    })
    .await?
}

fn print_result(result: &pb::IngestResult, dry_run: bool) {
    println!("{}", results_table(std::slice::from_ref(result), dry_run));
    if !result.error.is_empty() {
        println!("error: {}", result.error);
    }
    for failure in &result.document_failures {
        println!(
            "  not fetched: {}: {}{}",
            failure.document,
            failure.error,
            if failure.gave_up { " (gave up)" } else { "" }
        );
    }
}

/// How often a run that outlived its call is polled.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Follows a run that outlived its ReingestSource call with GetIngestionRun until it ends.
async fn follow(clients: &Clients, run_id: &str) -> anyhow::Result<pb::IngestionRun> {
    let mut client = clients.ingest().await?;
    let mut shown = 0;
    loop {
        let run = client
            .get_ingestion_run(pb::GetIngestionRunRequest {
                id: run_id.to_owned(),
            })
            .await
            .map_err(|status| explain(&status))?
            .into_inner()
            .run
            .unwrap_or_default();
        if run.status != pb::RunStatus::Running as i32 {
            return Ok(run);
        }
        shown += 1;
        if shown % 10 == 0 {
            println!("  … still running ({shown} s since the call returned)");
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
}

/// Runs `benchctl reingest`.
pub async fn run_reingest(clients: &Clients, args: &ReingestArgs) -> anyhow::Result<()> {
    let mut client = clients.ingest().await?;
    if let Some(source) = &args.source {
        let mut call = async |dry_run: bool| {
            client
                .reingest_source(pb::ReingestSourceRequest {
                    source: source.clone(),
                    dry_run,
                })
                .await
                .map_err(|status| explain(&status))
                .map(|response| response.into_inner().result.unwrap_or_default())
        };
        if args.dry_run || !args.yes {
            let preview = call(true).await?;
            println!("dry run: nothing was written");
            print_result(&preview, true);
            if args.dry_run {
                return failures(&[preview]);
            }
            if !confirm(format!("Re-fetch {source} live and write what changed?")).await? {
                println!("not confirmed: nothing was written (pass --yes to skip the question)");
                return Ok(());
            }
        }
        let result = call(false).await?;
        if result.status == pb::RunStatus::Running as i32 {
            println!(
                "run {} is still going on in the service; following it (Ctrl-C stops following, not the run)…",
                result.run_id
            );
            let run = follow(clients, &result.run_id).await?;
            println!("{}", runs_table(std::slice::from_ref(&run)));
            for failure in &run.document_failures {
                println!("  not fetched: {}: {}", failure.document, failure.error);
            }
            if run.status == pb::RunStatus::Failed as i32 {
                anyhow::bail!("run {} of {source} failed: {}", run.id, run.error);
            }
            return Ok(());
        }
        print_result(&result, false);
        return failures(&[result]);
    }
    if !args.dry_run
        && !args.yes
        && !confirm("Re-fetch every live and seed source now and write what changed?".to_owned())
            .await?
    {
        println!("not confirmed: nothing was written (pass --yes to skip the question)");
        return Ok(());
    }
    let mut stream = client
        .reingest_all(pb::ReingestAllRequest {
            dry_run: args.dry_run,
            sources: Vec::new(),
            max_concurrency: args.concurrency,
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    println!(
        "ingesting every live and seed source{}…",
        if args.dry_run { " (dry run)" } else { "" }
    );
    let mut results = Vec::new();
    while let Some(message) = stream.message().await.map_err(|status| explain(&status))? {
        if let Some(result) = message.result {
            println!("{}", progress_line(&result));
            results.push(result);
        }
    }
    println!("{}", results_table(&results, args.dry_run));
    failures(&results)
}

fn runs_table(runs: &[pb::IngestionRun]) -> comfy_table::Table {
    let mut table = render::table(&[
        "started (UTC)",
        "source",
        "trigger",
        "actor",
        "status",
        "fetched",
        "inserted",
        "updated",
        "unmatched",
        "failed",
        "models +",
        "duration",
        "error",
    ]);
    for run in runs {
        table.add_row(vec![
            render::time(run.started_at.as_ref()),
            run.source.clone(),
            trigger_name(run.trigger).to_owned(),
            render::or_dash(&run.actor),
            status_name(run.status).to_owned(),
            run.fetched.to_string(),
            run.inserted.to_string(),
            run.updated.to_string(),
            run.unmatched.to_string(),
            run.failed.to_string(),
            run.models_created.to_string(),
            seconds(run.duration_ms),
            render::or_dash(&run.error),
        ]);
    }
    table
}

/// Runs `benchctl ingest-runs`.
pub async fn run_runs(clients: &Clients, args: &IngestRunsArgs) -> anyhow::Result<()> {
    let status = match args.status.as_deref() {
        Some("running") => pb::RunStatus::Running,
        Some("succeeded") => pb::RunStatus::Succeeded,
        Some("failed") => pb::RunStatus::Failed,
        Some("skipped") => pb::RunStatus::Skipped,
        Some("partial") => pb::RunStatus::Partial,
        _ => pb::RunStatus::Unspecified,
    };
    let trigger = match args.trigger.as_deref() {
        Some("manual") => pb::Trigger::Manual,
        Some("schedule") => pb::Trigger::Schedule,
        Some("startup") => pb::Trigger::Startup,
        Some("detect") => pb::Trigger::Detect,
        _ => pb::Trigger::Unspecified,
    };
    let runs = clients
        .ingest()
        .await?
        .list_ingestion_runs(pb::ListIngestionRunsRequest {
            page_size: args.limit,
            source: args.source.clone().unwrap_or_default(),
            status: status as i32,
            trigger: trigger as i32,
            ..Default::default()
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner()
        .runs;
    println!("{}", runs_table(&runs));
    Ok(())
}

/// Runs `benchctl unmatched`.
pub async fn run_unmatched(clients: &Clients, args: &UnmatchedArgs) -> anyhow::Result<()> {
    let response = clients
        .ingest()
        .await?
        .list_unmatched_models(pb::ListUnmatchedModelsRequest {
            page_size: args.limit,
            page_token: String::new(),
            source: args.source.clone().unwrap_or_default(),
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    let mut table = render::table(&[
        "source",
        "upstream name",
        "normalised",
        "observations",
        "last seen",
        "closest models",
    ]);
    for model in &response.models {
        let candidates: Vec<String> = model
            .candidates
            .iter()
            .filter_map(|candidate| {
                candidate
                    .model
                    .as_ref()
                    .map(|model| format!("{} ({:.2})", model.id, candidate.similarity))
            })
            .collect();
        table.add_row(vec![
            model.source.clone(),
            model.source_model_name.clone(),
            model.normalized_name.clone(),
            model.observation_count.to_string(),
            render::time(model.last_seen_at.as_ref()),
            if candidates.is_empty() {
                "-".to_owned()
            } else {
                candidates.join(", ")
            },
        ]);
    }
    println!("{table}");
    println!(
        "{} unmatched name(s) in all; map one with `benchctl alias add <source> '<name>' <model-id>`",
        response.total_size
    );
    Ok(())
}

/// Runs `benchctl alias …`.
pub async fn run_alias(clients: &Clients, command: AliasCommand) -> anyhow::Result<()> {
    let mut client = clients.ingest().await?;
    match command {
        AliasCommand::Add {
            source,
            alias,
            model_id,
        } => {
            let response = client
                .add_model_alias(pb::AddModelAliasRequest {
                    source,
                    alias,
                    model_id,
                })
                .await
                .map_err(|status| explain(&status))?
                .into_inner();
            let alias = response.alias.unwrap_or_default();
            println!(
                "alias added: {} '{}' → {} ({} stored observation(s) re-linked)",
                alias.source, alias.alias, alias.model_id, response.relinked_observations
            );
        }
        AliasCommand::Rm { source, alias } => {
            let response = client
                .remove_model_alias(pb::RemoveModelAliasRequest { source, alias })
                .await
                .map_err(|status| explain(&status))?
                .into_inner();
            let alias = response.alias.unwrap_or_default();
            println!(
                "alias removed: {} '{}' (was → {}; {} observation(s) unlinked)",
                alias.source, alias.alias, alias.model_id, response.unlinked_observations
            );
        }
    }
    Ok(())
}

/// Runs `benchctl detect`.
pub async fn run_detect(clients: &Clients, args: &DetectArgs) -> anyhow::Result<()> {
    let response = clients
        .ingest()
        .await?
        .detect_new_models(pb::DetectNewModelsRequest {
            source: args.source.clone(),
            auto_ingest: args.auto_ingest,
        })
        .await
        .map_err(|status| explain(&status))?
        .into_inner();
    println!(
        "{}: {} upstream model(s), {} in the catalog, {} new",
        response.source,
        response.upstream_count,
        response.known_count,
        response.new_model_names.len()
    );
    for name in &response.new_model_names {
        println!("  + {name}");
    }
    match response.ingest_result {
        Some(result) => {
            println!("ingested:");
            println!("{}", progress_line(&result));
            failures(&[result])
        }
        None if args.auto_ingest && !response.new_model_names.is_empty() => Ok(()),
        None if args.auto_ingest => {
            println!("nothing new; not ingested");
            Ok(())
        }
        None => Ok(()),
    }
}

/// Runs `benchctl replay serve` until Ctrl-C or SIGTERM.
pub async fn run_replay(command: ReplayCommand) -> anyhow::Result<()> {
    let ReplayCommand::Serve(args) = command;
    let backend = match &args.dir {
        Some(directory) => {
            anyhow::ensure!(
                directory.is_dir(),
                "--dir {} is not a directory (expected a folder laid out like ../shared/fixtures)",
                directory.display()
            );
            Backend::Directory(directory.clone())
        }
        None => Backend::Generator(Generator::new(
            args.seed,
            args.models,
            args.date.unwrap_or_else(Generator::default_date),
        )),
    };
    let server = ReplayServer::start(args.addr, backend)
        .await
        .with_context(|| format!("cannot listen on {}; is the port in use?", args.addr))?;
    match &args.dir {
        Some(directory) => println!(
            "replaying {} on {} (Ctrl-C stops)",
            directory.display(),
            server.url()
        ),
        None => println!(
            "serving generated upstreams ({} models, seed {}) on {} (Ctrl-C stops)",
            args.models,
            args.seed,
            server.url()
        ),
    }
    println!("point the ingest service at it:");
    for (variable, value) in server.env_vars() {
        println!("export {variable}={value}");
    }
    println!("export ARTIFICIAL_ANALYSIS_API_KEY=${{ARTIFICIAL_ANALYSIS_API_KEY:-replay}}");
    benchhub_common::shutdown::signal().await;
    server.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_name_the_outcome_and_the_error() {
        let line = progress_line(&pb::IngestResult {
            source: "evalplus".to_owned(),
            status: pb::RunStatus::Failed as i32,
            error: "fetch failed: upstream answered HTTP 503".to_owned(),
            ..Default::default()
        });
        assert!(line.starts_with("✗ evalplus"), "{line}");
        assert!(line.contains("HTTP 503"), "{line}");
        assert!(
            failures(&[pb::IngestResult {
                status: pb::RunStatus::Failed as i32,
                ..Default::default()
            }])
            .is_err()
        );
    }
}
