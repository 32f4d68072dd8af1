//! `benchctl sources`: the ListSources table.

use benchhub_proto::pb;

use crate::client::{Clients, explain};
use crate::render;

/// Fetches every page of sources.
pub async fn fetch_all(clients: &Clients) -> anyhow::Result<Vec<pb::Source>> {
    let mut client = clients.ingest().await?;
    let mut sources = Vec::new();
    let mut page_token = String::new();
    loop {
        let response = client
            .list_sources(pb::ListSourcesRequest {
                page_size: 100,
                page_token: page_token.clone(),
                availability: 0,
            })
            .await
            .map_err(|status| explain(&status))?
            .into_inner();
        sources.extend(response.sources);
        if response.next_page_token.is_empty() {
            return Ok(sources);
        }
        page_token = response.next_page_token;
    }
}

fn availability(source: &pb::Source) -> String {
    let name = match pb::Availability::try_from(source.availability) {
        Ok(pb::Availability::Live) => "LIVE",
        Ok(pb::Availability::Seed) => "SEED",
        Ok(pb::Availability::Unavailable) => "UNAVAILABLE",
        _ => "?",
    };
    if source.availability_reason.is_empty() {
        name.to_owned()
    } else {
        format!("{name}: {}", source.availability_reason)
    }
}

fn last_status(source: &pb::Source) -> String {
    match &source.last_run {
        None => "never run".to_owned(),
        Some(run) => {
            let status = pb::RunStatus::try_from(run.status)
                .map(|status| {
                    status
                        .as_str_name()
                        .trim_start_matches("RUN_STATUS_")
                        .to_lowercase()
                })
                .unwrap_or_else(|_| "?".to_owned());
            if run.error.is_empty() {
                status
            } else {
                format!("{status}: {}", run.error)
            }
        }
    }
}

/// Runs the command.
pub async fn run(clients: &Clients) -> anyhow::Result<()> {
    let sources = fetch_all(clients).await?;
    let mut table = render::table(&[
        "source",
        "availability",
        "categories",
        "schedule (UTC)",
        "secret",
        "last run",
        "status",
        "next run",
        "newest snapshot",
        "models",
        "ttl",
        "stale",
    ]);
    for source in &sources {
        let secret = if source.secret_env_var.is_empty() {
            "-".to_owned()
        } else {
            let state = if source.secret_configured {
                "set"
            } else if source.secret_required {
                "MISSING"
            } else {
                "unset"
            };
            format!("{} ({state})", source.secret_env_var)
        };
        table.add_row(vec![
            source.name.clone(),
            availability(source),
            source.categories.join(", "),
            render::or_dash(&source.schedule),
            secret,
            render::time(
                source
                    .last_run
                    .as_ref()
                    .and_then(|run| run.started_at.as_ref()),
            ),
            last_status(source),
            render::time(source.next_run_at.as_ref()),
            render::or_dash(&source.newest_snapshot_date),
            source.models_found.to_string(),
            render::or_dash(&source.ttl),
            if source.stale {
                "yes".to_owned()
            } else {
                "no".to_owned()
            },
        ]);
    }
    println!("{table}");
    for source in sources.iter().filter(|source| source.stale) {
        println!("stale: {}: {}", source.name, source.stale_reason);
    }
    Ok(())
}
