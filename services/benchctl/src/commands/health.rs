//! `benchctl health`: the gRPC health of each service.

use std::time::{Duration, Instant};

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::cli::HealthArgs;
use crate::client::Clients;
use crate::render;

/// Returns the overall health status of the service at `url`, or why it could not be asked.
pub async fn check(url: &str) -> Result<ServingStatus, String> {
    let channel = Clients::channel(url)
        .await
        .map_err(|error| format!("{error:#}"))?;
    let mut client = HealthClient::new(channel);
    let request = HealthCheckRequest {
        service: String::new(),
    };
    match tokio::time::timeout(Duration::from_secs(5), client.check(request)).await {
        Ok(Ok(response)) => {
            Ok(ServingStatus::try_from(response.into_inner().status)
                .unwrap_or(ServingStatus::Unknown))
        }
        Ok(Err(status)) => Err(format!("{:?}: {}", status.code(), status.message())),
        Err(_) => Err("no answer within 5s".to_owned()),
    }
}

/// Runs the command.
pub async fn run(clients: &Clients, args: &HealthArgs) -> anyhow::Result<()> {
    let endpoints = clients.endpoints();
    let all = [
        ("ingest", endpoints.ingest.clone()),
        ("rankings", endpoints.rankings.clone()),
        ("runner", endpoints.runner.clone()),
        ("judge", endpoints.judge.clone()),
    ];
    let targets: Vec<(&str, String)> = match &args.service {
        Some(service) => all
            .into_iter()
            .filter(|(name, _)| name == service)
            .map(|(name, url)| (name, args.url.clone().unwrap_or(url)))
            .collect(),
        None => all.into_iter().collect(),
    };
    let deadline = args.wait.map(|wait| Instant::now() + wait);
    loop {
        let mut rows = Vec::new();
        for (name, url) in &targets {
            rows.push((*name, url.clone(), check(url).await));
        }
        let all_serving = rows
            .iter()
            .all(|(_, _, status)| matches!(status, Ok(ServingStatus::Serving)));
        let waiting = deadline.is_some_and(|deadline| Instant::now() < deadline);
        if all_serving || !waiting {
            let mut table = render::table(&["service", "url", "status"]);
            for (name, url, status) in &rows {
                let text = match status {
                    Ok(status) => status.as_str_name().to_owned(),
                    Err(reason) => format!("UNREACHABLE ({reason})"),
                };
                table.add_row(vec![(*name).to_owned(), url.clone(), text]);
            }
            println!("{table}");
            if all_serving {
                return Ok(());
            }
            anyhow::bail!("not every service is SERVING");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
