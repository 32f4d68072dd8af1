//! The replay server over real HTTP: fixture files at upstream paths, generated payloads, ETags and
//! faults.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use std::net::SocketAddr;

use benchhub_upstream::{Backend, Fault, FaultKind, Generator, ReplayServer};

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[tokio::test]
async fn serves_fixture_files_at_upstream_paths() -> anyhow::Result<()> {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return Ok(());
    };
    let server = ReplayServer::start(loopback(), Backend::Directory(directory)).await?;
    let client = reqwest::Client::new();
    let base = server.url();
    for (path, must_contain) in [
        ("/evalplus/results.json", "GPT 4o (Aug 2024)"),
        ("/bigcodebench/results-hard.json", "GPT-4o-2024-08-06"),
        (
            "/lmarena/rows?dataset=lmarena-ai%2Fleaderboard-dataset&config=webdev&split=latest&offset=0&length=100",
            "claude-opus-4-6",
        ),
        (
            "/lmarena/rows?dataset=lmarena-ai%2Fleaderboard-dataset&config=vision&split=latest&offset=0&length=100",
            "gemini-2.5-pro",
        ),
        (
            "/openrouter/api/v1/models?dump=2025-12-02",
            "openai/gpt-4o-2024-08-06",
        ),
        (
            "/swebench/SWE-bench/swe-bench.github.io/master/data/leaderboards.json",
            "bash-only",
        ),
        (
            "/arc-agi/api/datasets/arcprize/arc_agi_v1_public_eval/tree/main",
            "claude_sonnet_20241022",
        ),
        (
            "/arc-agi/api/datasets/arcprize/arc_agi_v1_public_eval/tree/main/o1-pro-2025-03-19",
            "0d3d703e.json",
        ),
        (
            "/arc-agi/datasets/arcprize/arc_agi_v1_public_eval/resolve/main/deepseek-r1_20250120/00576224.json",
            "attempt_1",
        ),
        (
            "/arc-agi-tasks/fchollet/ARC-AGI/master/data/training/0d3d703e.json",
            "\"test\"",
        ),
        ("/ecologits/v1beta/models/anthropic", "claude"),
        ("/livebench/table_2026_01_08.csv", "model,"),
    ] {
        let response = client.get(format!("{base}{path}")).send().await?;
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await?;
        assert!(text.contains(must_contain), "{path} lacks {must_contain}");
    }
    let missing = client
        .get(format!("{base}/ecologits/v1beta/models/cohere"))
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    let estimation = client
        .post(format!("{base}/ecologits/v1beta/estimations"))
        .json(&serde_json::json!({"provider": "openai", "model_name": "gpt-5", "output_token_count": 1000, "request_latency": 10.0}))
        .send()
        .await?;
    assert_eq!(estimation.status(), 200, "served from the recorded cases");
    let unauthorised = client
        .get(format!("{base}/artificialanalysis/api/v2/data/llms/models"))
        .send()
        .await?;
    assert_eq!(unauthorised.status(), 401);
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn etags_faults_and_the_admin_endpoint() -> anyhow::Result<()> {
    let server = ReplayServer::start(
        loopback(),
        Backend::Generator(Generator::new(3, 12, Generator::default_date())),
    )
    .await?;
    let client = reqwest::Client::new();
    let url = format!("{}/evalplus/results.json", server.url());
    let first = client.get(&url).send().await?;
    let etag = first
        .headers()
        .get("etag")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .expect("etag");
    let revalidated = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await?;
    assert_eq!(revalidated.status(), 304);

    server
        .control()
        .add_fault(Fault::new("evalplus", FaultKind::Status { status: 503 }).times(1));
    assert_eq!(client.get(&url).send().await?.status(), 503);
    assert_eq!(
        client.get(&url).send().await?.status(),
        200,
        "the fault was used up"
    );

    let admin = format!("{}/__replay/faults", server.url());
    let added = client
        .post(&admin)
        .body(
            r#"{"source": "evalplus", "kind": "rate_limit", "retry_after_seconds": 7, "times": 1}"#,
        )
        .send()
        .await?;
    assert_eq!(added.status(), 204);
    let limited = client.get(&url).send().await?;
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok()),
        Some("7")
    );
    client
        .post(&admin)
        .body(r#"{"source": "evalplus", "kind": "drift"}"#)
        .send()
        .await?;
    let drifted: serde_json::Value = client.get(&url).send().await?.json().await?;
    let first_entry = drifted
        .as_object()
        .and_then(|object| object.values().next())
        .expect("entry");
    assert!(first_entry.get("pass@1_v2").is_some());
    assert_eq!(client.delete(&admin).send().await?.status(), 204);
    client
        .post(&admin)
        .body(r#"{"source": "evalplus", "kind": "truncate", "times": 1}"#)
        .send()
        .await?;
    let truncated = client.get(&url).send().await?.bytes().await?;
    assert!(serde_json::from_slice::<serde_json::Value>(&truncated).is_err());
    let bad = client.post(&admin).body("{}").send().await?;
    assert_eq!(bad.status(), 400);
    let log: Vec<serde_json::Value> = client
        .get(format!("{}/__replay/requests", server.url()))
        .send()
        .await?
        .json()
        .await?;
    assert!(log.iter().any(|entry| entry["status"] == 304));
    server.stop().await;
    Ok(())
}
