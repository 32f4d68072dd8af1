//! The provider clients over real HTTP against the fake provider (and a tiny stub for odd answers).

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use benchhub_fake_provider::{FakeConfig, ModelBehavior, spawn};
use benchhub_providers::{
    Anthropic, ChatMessage, ChatRequest, OpenAiCompatible, Provider, ProviderError,
    ProviderRegistry,
};
use secrecy::SecretString;

const KEY: &str = "sk-test-do-not-leak-4242";

fn request(model: &str, prompt: &str) -> ChatRequest {
    let mut request = ChatRequest::new(model, prompt);
    request.timeout = Duration::from_secs(5);
    request
}

#[tokio::test]
async fn openai_client_reads_text_usage_and_latency() {
    let (_, fake) = spawn(FakeConfig::new()).await.expect("spawn");
    let client = OpenAiCompatible::new("fake", &fake.url(), None).expect("client");
    let mut chat = request("good", "Capital of France? <<answer:Paris>>");
    chat.system = Some("Answer briefly.".to_owned());
    chat.temperature = Some(0.0);
    chat.max_tokens = Some(64);
    let response = client.complete(chat).await.expect("answer");
    assert_eq!(response.text, "Paris");
    // Prompt: 2 + 4 words = 6 words -> 8 tokens.
    assert_eq!((response.input_tokens, response.output_tokens), (8, 1));
    assert!(!response.usage_estimated);
    assert_eq!(response.finish_reason.as_deref(), Some("stop"));
    let logged = &fake.requests()[0];
    assert_eq!(logged.system.as_deref(), Some("Answer briefly."));
    assert_eq!(logged.temperature, Some(0.0));
    assert_eq!(logged.max_tokens, Some(64));
}

#[tokio::test]
async fn failures_are_classified() {
    let config = FakeConfig::new()
        .with_model(
            "limited",
            ModelBehavior::echo()
                .with_rate_limit_first(1)
                .with_retry_after(2),
        )
        .with_model("broken", ModelBehavior::echo().with_fail_first(1))
        .with_model(
            "stuck",
            ModelBehavior::echo()
                .with_error_rates(0.0, 0.0, 1.0)
                .with_hang(Duration::from_secs(30)),
        );
    let (_, fake) = spawn(config).await.expect("spawn");
    let client = OpenAiCompatible::new("fake", &fake.url(), None).expect("client");

    let error = client
        .complete(request("limited", "x"))
        .await
        .expect_err("429");
    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(2))
        }
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert!(client.complete(request("limited", "x")).await.is_ok());

    let error = client
        .complete(request("broken", "x"))
        .await
        .expect_err("500");
    assert_eq!(error, ProviderError::Server { status: 500 });
    assert!(error.is_retryable());

    let mut slow = request("stuck", "x");
    slow.timeout = Duration::from_millis(200);
    let error = client.complete(slow).await.expect_err("timeout");
    assert_eq!(
        error,
        ProviderError::Timeout {
            after: Duration::from_millis(200)
        }
    );

    let error = client
        .complete(request("gpt-9", "x"))
        .await
        .expect_err("404");
    match error {
        ProviderError::BadRequest { status, message } => {
            assert_eq!(status, 404);
            assert!(message.contains("not configured"), "{message}");
        }
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_key_is_an_auth_error_that_never_shows_the_key() {
    let (_, fake) = spawn(FakeConfig::new().with_api_key("the-right-key"))
        .await
        .expect("spawn");
    let client =
        OpenAiCompatible::new("fake", &fake.url(), Some(SecretString::from(KEY))).expect("client");
    let error = client
        .complete(request("good", "x"))
        .await
        .expect_err("401");
    assert_eq!(error, ProviderError::Auth { status: 401 });
    assert!(!error.to_string().contains(KEY));
    assert!(!format!("{error:?}").contains(KEY));
    assert!(!format!("{client:?}").contains(KEY));

    let right = OpenAiCompatible::new(
        "fake",
        &fake.url(),
        Some(SecretString::from("the-right-key")),
    )
    .expect("client");
    assert!(right.complete(request("good", "x")).await.is_ok());
}

#[tokio::test]
async fn unreachable_provider_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = OpenAiCompatible::new(
        "local",
        &format!("http://{addr}"),
        Some(SecretString::from(KEY)),
    )
    .expect("client");
    let error = client
        .complete(request("m", "x"))
        .await
        .expect_err("refused");
    assert!(matches!(error, ProviderError::Transport(_)), "{error:?}");
    assert!(!error.to_string().contains(KEY));
}

#[tokio::test]
async fn anthropic_client_against_the_fake_messages_endpoint() {
    let (_, fake) = spawn(FakeConfig::new().with_api_key("ant-key"))
        .await
        .expect("spawn");
    let client = Anthropic::new(
        "anthropic",
        &fake.url(),
        Some(SecretString::from("ant-key")),
    )
    .expect("client");
    let mut chat = request("echo", "first");
    chat.system = Some("sys".to_owned());
    chat.messages.push(ChatMessage::assistant("reply"));
    chat.messages.push(ChatMessage::user("second turn"));
    let response = client.complete(chat).await.expect("answer");
    assert_eq!(response.text, "second turn");
    assert_eq!(response.finish_reason.as_deref(), Some("end_turn"));
    assert_eq!(fake.requests()[0].api, "anthropic");
    assert_eq!(fake.requests()[0].max_tokens, Some(1024));
}

async fn stub(
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: &'static str,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let headers = headers.clone();
            async move {
                let mut response = (status, body).into_response();
                for (name, value) in headers {
                    response
                        .headers_mut()
                        .insert(name, value.parse().expect("header value"));
                }
                response
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn malformed_success_bodies_and_http_date_retry_after() {
    let url = stub(StatusCode::OK, vec![], "<html>gateway</html>").await;
    let client = OpenAiCompatible::new("stub", &url, None).expect("client");
    let error = client
        .complete(request("m", "x"))
        .await
        .expect_err("malformed");
    assert!(matches!(error, ProviderError::Malformed(_)), "{error:?}");

    let in_five_seconds = chrono::Utc::now() + chrono::Duration::seconds(5);
    let date = in_five_seconds
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let url = stub(
        StatusCode::TOO_MANY_REQUESTS,
        vec![("retry-after", date)],
        "{}",
    )
    .await;
    let client = OpenAiCompatible::new("stub", &url, None).expect("client");
    let error = client.complete(request("m", "x")).await.expect_err("429");
    let wait = error.retry_after().expect("a wait");
    assert!(
        wait > Duration::from_secs(2) && wait <= Duration::from_secs(5),
        "{wait:?}"
    );
}

#[tokio::test]
async fn registry_resolves_the_fake_provider_from_its_url() {
    let (_, fake) = spawn(FakeConfig::new()).await.expect("spawn");
    let url = fake.url();
    let registry = ProviderRegistry::from_env(|name| {
        (name == "BENCHHUB_FAKE_PROVIDER_URL").then(|| url.clone())
    })
    .expect("valid");
    let resolved = registry.resolve("fake/echo").expect("resolves");
    assert_eq!(resolved.model, "echo");
    let response = resolved
        .provider
        .complete(request(&resolved.model, "ping"))
        .await
        .expect("answer");
    assert_eq!(response.text, "ping");
}
