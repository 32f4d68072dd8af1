//! The fake provider over real HTTP: answers, usage, injected faults, stats, the request log.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use std::time::{Duration, Instant};

use benchhub_fake_provider::{FakeConfig, Latency, ModelBehavior, Stats, spawn};
use serde_json::{Value, json};

async fn chat(client: &reqwest::Client, url: &str, model: &str, prompt: &str) -> reqwest::Response {
    client
        .post(format!("{url}/v1/chat/completions"))
        .json(&json!({"model": model, "messages": [{"role": "user", "content": prompt}]}))
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn answers_with_usage_and_counts_calls_per_pair() {
    let (_, fake) = spawn(FakeConfig::new()).await.expect("spawn");
    let client = reqwest::Client::new();
    let response = chat(
        &client,
        &fake.url(),
        "fake/good",
        "What is 6 x 7? <<answer:42>>",
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["choices"][0]["message"]["content"], "42");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    // Prompt: 6 words -> 6 x 4/3 = 8 tokens; answer: 1 word -> round(4/3) = 1 token.
    assert_eq!(body["usage"]["prompt_tokens"], 8);
    assert_eq!(body["usage"]["completion_tokens"], 1);
    assert_eq!(body["usage"]["total_tokens"], 9);

    chat(
        &client,
        &fake.url(),
        "fake/good",
        "What is 6 x 7? <<answer:42>>",
    )
    .await;
    chat(&client, &fake.url(), "echo", "hello there").await;
    let stats: Stats = client
        .get(format!("{}/stats", fake.url()))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats.total_calls, 3);
    assert_eq!(stats.calls_by_model["fake/good"], 2);
    assert_eq!(stats.max_calls_per_pair, 2);
    assert_eq!(stats.pairs.len(), 2);
    assert_eq!(stats, fake.stats());

    let requests: Value = client
        .get(format!("{}/requests?model=echo", fake.url()))
        .send()
        .await
        .expect("requests")
        .json()
        .await
        .expect("json");
    assert_eq!(requests.as_array().map(Vec::len), Some(1));
    assert_eq!(requests[0]["messages"][0]["content"], "hello there");

    let reset = client
        .post(format!("{}/reset", fake.url()))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 200);
    assert_eq!(fake.stats().total_calls, 0);
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn injected_errors_follow_the_configuration() {
    let config = FakeConfig::new()
        .with_model(
            "limited",
            ModelBehavior::echo()
                .with_rate_limit_first(1)
                .with_retry_after(3),
        )
        .with_model("flaky", ModelBehavior::echo().with_fail_first(2));
    let (_, fake) = spawn(config).await.expect("spawn");
    let client = reqwest::Client::new();

    let first = chat(&client, &fake.url(), "limited", "x").await;
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "3");
    assert_eq!(
        chat(&client, &fake.url(), "limited", "x").await.status(),
        200
    );

    assert_eq!(chat(&client, &fake.url(), "flaky", "y").await.status(), 500);
    assert_eq!(chat(&client, &fake.url(), "flaky", "y").await.status(), 500);
    assert_eq!(chat(&client, &fake.url(), "flaky", "y").await.status(), 200);
    // A different prompt has its own count.
    assert_eq!(chat(&client, &fake.url(), "flaky", "z").await.status(), 500);

    let stats = fake.stats();
    assert_eq!(stats.errors_429, 1);
    assert_eq!(stats.errors_500, 3);
    assert_eq!(stats.successes, 2);
    assert_eq!(stats.max_successes_per_pair, 1);
}

#[tokio::test]
async fn error_rates_are_deterministic_per_seed() {
    let model = "good+err500=0.3+err429=0.2";
    let run = || async {
        let (_, fake) = spawn(FakeConfig::new().with_seed(11)).await.expect("spawn");
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for index in 0..60 {
            statuses.push(
                chat(&client, &fake.url(), model, &format!("case {index}"))
                    .await
                    .status()
                    .as_u16(),
            );
        }
        statuses
    };
    let first = run().await;
    assert_eq!(first, run().await);
    let errors = first.iter().filter(|status| **status != 200).count();
    assert!((10..=50).contains(&errors), "{errors} errors of 60");
}

#[tokio::test]
async fn latency_and_hangs_delay_the_answer() {
    let config = FakeConfig::new()
        .with_model(
            "slow",
            ModelBehavior::echo().with_latency(Latency::fixed(Duration::from_millis(150))),
        )
        .with_model(
            "stuck",
            ModelBehavior::echo()
                .with_error_rates(0.0, 0.0, 1.0)
                .with_hang(Duration::from_secs(30)),
        );
    let (_, fake) = spawn(config).await.expect("spawn");
    let client = reqwest::Client::new();
    let started = Instant::now();
    assert_eq!(chat(&client, &fake.url(), "slow", "x").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    let timed_out = client
        .post(format!("{}/v1/chat/completions", fake.url()))
        .timeout(Duration::from_millis(200))
        .json(&json!({"model": "stuck", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await;
    assert!(timed_out.is_err_and(|error| error.is_timeout()));
    assert_eq!(fake.stats().hangs, 1);
    // Stopping does not wait for the 30 s hang.
    let stopping = Instant::now();
    fake.stop().await.expect("stops");
    assert!(stopping.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn unknown_models_bad_bodies_and_keys_are_rejected() {
    let (_, fake) = spawn(FakeConfig::new().with_api_key("k-1"))
        .await
        .expect("spawn");
    let client = reqwest::Client::new();
    assert_eq!(chat(&client, &fake.url(), "good", "x").await.status(), 401);
    let authorized = |model: &str| {
        client
            .post(format!("{}/v1/chat/completions", fake.url()))
            .bearer_auth("k-1")
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "x"}]}))
            .send()
    };
    assert_eq!(authorized("good").await.expect("sent").status(), 200);
    let unknown = authorized("gpt-9").await.expect("sent");
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("good, okay, bad")
    );
    let bad = client
        .post(format!("{}/v1/chat/completions", fake.url()))
        .bearer_auth("k-1")
        .body("not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn anthropic_endpoint_and_model_list() {
    let (_, fake) = spawn(FakeConfig::new()).await.expect("spawn");
    let client = reqwest::Client::new();
    let body: Value = client
        .post(format!("{}/v1/messages", fake.url()))
        .json(&json!({"model": "echo", "system": "s", "max_tokens": 2, "messages": [{"role": "user", "content": "one two three four"}]}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(body["content"][0]["text"], "one");
    assert_eq!(body["stop_reason"], "max_tokens");
    assert_eq!(body["usage"]["input_tokens"], 1 + 5);
    assert_eq!(fake.requests()[0].system.as_deref(), Some("s"));

    let models: Value = client
        .get(format!("{}/v1/models", fake.url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = models["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|model| model["id"].as_str())
        .collect();
    assert!(names.contains(&"judge-malformed-once"), "{names:?}");
}
