//! The foundation: health, reflection, the source registry, tokens and the auth layer, limits, and
//! health tracking the database.

use std::time::Duration;

use benchhub_proto::pb;
use benchhub_testkit::{TestDb, TestServer, authorized};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::stack::{ADMIN_TOKEN, Stack};

async fn health(server: &TestServer, service: &str) -> anyhow::Result<i32> {
    let mut client = HealthClient::new(server.channel().await?);
    let response = client
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?;
    Ok(response.into_inner().status)
}

async fn reflected_services(server: &TestServer) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient as V1Client;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest as V1Request;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse as V1Response;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as AlphaResponse;

    let mut v1 = V1Client::new(server.channel().await?);
    let request = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(V1Request::ListServices(String::new())),
    };
    let mut stream = v1
        .server_reflection_info(tokio_stream::iter([request]))
        .await?
        .into_inner();
    let mut v1_names = Vec::new();
    if let Some(Ok(response)) = stream.next().await
        && let Some(V1Response::ListServicesResponse(list)) = response.message_response
    {
        v1_names = list
            .service
            .into_iter()
            .map(|service| service.name)
            .collect();
    }

    let mut alpha = AlphaClient::new(server.channel().await?);
    let request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(AlphaRequest::ListServices(String::new())),
    };
    let mut stream = alpha
        .server_reflection_info(tokio_stream::iter([request]))
        .await?
        .into_inner();
    let mut alpha_names = Vec::new();
    if let Some(Ok(response)) = stream.next().await
        && let Some(AlphaResponse::ListServicesResponse(list)) = response.message_response
    {
        alpha_names = list
            .service
            .into_iter()
            .map(|service| service.name)
            .collect();
    }
    Ok((v1_names, alpha_names))
}

#[tokio::test]
async fn every_service_is_serving_and_reflects_its_contract() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let expectations = [
        (
            &stack.ingest,
            vec!["benchhub.v1.IngestService", "benchhub.v1.TokenService"],
        ),
        (&stack.rankings, vec!["benchhub.v1.RankingsService"]),
        (&stack.runner, vec!["benchhub.v1.RunnerService"]),
        (&stack.judge, vec!["benchhub.v1.JudgeService"]),
    ];
    for (server, services) in expectations {
        assert_eq!(health(server, "").await?, ServingStatus::Serving as i32);
        let (v1, alpha) = reflected_services(server).await?;
        for service in services {
            assert_eq!(
                health(server, service).await?,
                ServingStatus::Serving as i32,
                "{service}"
            );
            assert!(
                v1.iter().any(|name| name == service),
                "{service} missing from reflection v1: {v1:?}"
            );
            assert!(
                alpha.iter().any(|name| name == service),
                "{service} missing from v1alpha: {alpha:?}"
            );
        }
        assert!(
            v1.iter().any(|name| name == "grpc.health.v1.Health"),
            "{v1:?}"
        );
    }
    stack.stop().await
}

#[tokio::test]
async fn list_sources_shows_every_source_without_a_token() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let sources = benchhub_benchctl::commands::sources::fetch_all(&stack.clients(None)).await?;
    assert_eq!(sources.len(), 12);
    let livebench = sources
        .iter()
        .find(|source| source.name == "livebench")
        .expect("livebench listed");
    assert_eq!(livebench.availability, pb::Availability::Unavailable as i32);
    assert_eq!(livebench.availability_reason, "licence pending");
    let mteb = sources
        .iter()
        .find(|source| source.name == "mteb")
        .expect("mteb listed");
    assert_eq!(mteb.availability, pb::Availability::Seed as i32);
    let arc = sources
        .iter()
        .find(|source| source.name == "arc-agi")
        .expect("arc-agi listed");
    assert_eq!(arc.schedule, "0 0 2 * * *");
    assert!(arc.next_run_at.is_some());
    let analysis = sources
        .iter()
        .find(|source| source.name == "artificialanalysis")
        .expect("listed");
    assert_eq!(analysis.secret_env_var, "ARTIFICIAL_ANALYSIS_API_KEY");
    assert!(analysis.secret_required);

    let mut client =
        pb::ingest_service_client::IngestServiceClient::new(stack.ingest.channel().await?);
    let first = client
        .list_sources(pb::ListSourcesRequest {
            page_size: 5,
            page_token: String::new(),
            availability: 0,
        })
        .await?
        .into_inner();
    assert_eq!(first.sources.len(), 5);
    let second = client
        .list_sources(pb::ListSourcesRequest {
            page_size: 5,
            page_token: first.next_page_token.clone(),
            availability: 0,
        })
        .await?
        .into_inner();
    assert_eq!(second.sources[0].name, sources[5].name);
    let all = client
        .list_sources(pb::ListSourcesRequest {
            page_size: 5000,
            page_token: String::new(),
            availability: 0,
        })
        .await?
        .into_inner();
    assert_eq!(
        all.sources.len(),
        12,
        "page sizes over the maximum are lowered to it"
    );
    let bad = client
        .list_sources(pb::ListSourcesRequest {
            page_size: -1,
            page_token: String::new(),
            availability: 0,
        })
        .await
        .expect_err("negative page_size");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("page_size"), "{}", bad.message());
    let bad = client
        .list_sources(pb::ListSourcesRequest {
            page_size: 0,
            page_token: String::new(),
            availability: 42,
        })
        .await
        .expect_err("unknown availability");
    assert!(
        bad.message().contains("AVAILABILITY_LIVE"),
        "{}",
        bad.message()
    );
    stack.stop().await
}

#[tokio::test]
async fn tokens_are_shown_once_stored_hashed_and_enforced_by_role() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let mut admin =
        pb::token_service_client::TokenServiceClient::new(stack.ingest.channel().await?);
    let reader = admin
        .create_token(authorized(
            pb::CreateTokenRequest {
                name: "dashboards".into(),
                role: pb::Role::Reader as i32,
                tenant_id: "team-a".into(),
            },
            ADMIN_TOKEN,
        ))
        .await?
        .into_inner();
    assert!(reader.secret.starts_with("bh_"));
    let token = reader.token.clone().expect("token metadata");
    assert_eq!(token.tenant_id, "team-a");
    assert_eq!(token.created_by, "bootstrap-admin");
    assert!(reader.secret.starts_with(&token.prefix));

    // Only the hash is stored.
    let clear: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE token_sha256 = $1 OR token_prefix = $1 OR name = $1",
    )
    .bind(&reader.secret)
    .fetch_one(&stack.db.pool)
    .await?;
    assert_eq!(clear, 0);

    // The listing never carries secrets.
    let listing = admin
        .list_tokens(authorized(
            pb::ListTokensRequest {
                page_size: 10,
                ..Default::default()
            },
            ADMIN_TOKEN,
        ))
        .await?
        .into_inner();
    assert_eq!(listing.tokens.len(), 1);
    assert!(!format!("{listing:?}").contains(&reader.secret));

    // Missing, malformed, unknown tokens: UNAUTHENTICATED.
    let missing = admin
        .list_tokens(pb::ListTokensRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(missing.code(), Code::Unauthenticated);
    let mut malformed = tonic::Request::new(pb::ListTokensRequest::default());
    malformed
        .metadata_mut()
        .insert("authorization", "Basic abc".parse()?);
    assert_eq!(
        admin
            .list_tokens(malformed)
            .await
            .expect_err("malformed")
            .code(),
        Code::Unauthenticated
    );
    let unknown = admin
        .list_tokens(authorized(
            pb::ListTokensRequest::default(),
            "bh_not_a_real_token",
        ))
        .await
        .expect_err("unknown token");
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert!(!unknown.message().contains("bh_not_a_real_token"));

    // Wrong role: PERMISSION_DENIED naming the needed role.
    let denied = admin
        .list_tokens(authorized(pb::ListTokensRequest::default(), &reader.secret))
        .await
        .expect_err("reader cannot manage tokens");
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert!(denied.message().contains("admin"), "{}", denied.message());

    // A valid reader token on an open method is fine.
    let mut ingest =
        pb::ingest_service_client::IngestServiceClient::new(stack.ingest.channel().await?);
    ingest
        .list_sources(authorized(
            pb::ListSourcesRequest::default(),
            &reader.secret,
        ))
        .await?;

    // Revoked: UNAUTHENTICATED everywhere, even on open methods.
    admin
        .revoke_token(authorized(
            pb::RevokeTokenRequest {
                id: token.id.clone(),
            },
            ADMIN_TOKEN,
        ))
        .await?;
    let revoked = ingest
        .list_sources(authorized(
            pb::ListSourcesRequest::default(),
            &reader.secret,
        ))
        .await
        .expect_err("revoked token");
    assert_eq!(revoked.code(), Code::Unauthenticated);

    // Bad input is named.
    let bad_role = admin
        .create_token(authorized(
            pb::CreateTokenRequest {
                name: "x".into(),
                role: 0,
                tenant_id: String::new(),
            },
            ADMIN_TOKEN,
        ))
        .await
        .expect_err("role required");
    assert_eq!(bad_role.code(), Code::InvalidArgument);
    assert!(
        bad_role.message().contains("ROLE_READER"),
        "{}",
        bad_role.message()
    );
    let not_found = admin
        .revoke_token(authorized(
            pb::RevokeTokenRequest { id: uuid_like() },
            ADMIN_TOKEN,
        ))
        .await
        .expect_err("unknown id");
    assert_eq!(not_found.code(), Code::NotFound);
    stack.stop().await
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".to_owned()
}

#[tokio::test]
async fn request_ids_are_echoed() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let mut client =
        pb::ingest_service_client::IngestServiceClient::new(stack.ingest.channel().await?);
    let mut request = tonic::Request::new(pb::ListSourcesRequest::default());
    request
        .metadata_mut()
        .insert("x-request-id", "req-42".parse()?);
    let response = client.list_sources(request).await?;
    assert_eq!(
        response
            .metadata()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok()),
        Some("req-42")
    );
    let generated = client
        .list_sources(pb::ListSourcesRequest::default())
        .await?;
    assert!(generated.metadata().get("x-request-id").is_some());
    stack.stop().await
}

#[tokio::test]
async fn oversized_requests_are_refused_and_change_nothing() -> anyhow::Result<()> {
    benchhub_common::telemetry::init_for_tests();
    let db = TestDb::new().await?;
    let mut config = benchhub_ingest::Config::for_tests(&db.url);
    config.common.admin_token = Some(ADMIN_TOKEN.to_owned().into());
    config.common.max_request_bytes = 1024;
    let server =
        TestServer::start(|listener, shutdown| benchhub_ingest::run(config, listener, shutdown))
            .await?;
    server.wait_serving(Duration::from_secs(30)).await?;
    let before = db.count("api_tokens").await;
    let mut client = pb::token_service_client::TokenServiceClient::new(server.channel().await?);
    let error = client
        .create_token(authorized(
            pb::CreateTokenRequest {
                name: "x".repeat(5000),
                role: pb::Role::Reader as i32,
                tenant_id: String::new(),
            },
            ADMIN_TOKEN,
        ))
        .await
        .expect_err("too large");
    assert!(
        matches!(error.code(), Code::OutOfRange | Code::ResourceExhausted),
        "{error:?}"
    );
    // Within the message limit but over the field limit: INVALID_ARGUMENT naming the field.
    let error = client
        .create_token(authorized(
            pb::CreateTokenRequest {
                name: "x".repeat(500),
                role: pb::Role::Reader as i32,
                tenant_id: String::new(),
            },
            ADMIN_TOKEN,
        ))
        .await
        .expect_err("name too long");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(error.message().contains("name"), "{}", error.message());
    assert_eq!(db.count("api_tokens").await, before);
    server.stop().await
}

#[tokio::test]
async fn a_service_starts_without_its_database_and_says_so() -> anyhow::Result<()> {
    benchhub_common::telemetry::init_for_tests();
    let config = benchhub_ingest::Config::for_tests("postgres://postgres@127.0.0.1:1/unreachable");
    let server =
        TestServer::start(|listener, shutdown| benchhub_ingest::run(config, listener, shutdown))
            .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !server.is_finished(),
        "the service must keep running while it waits for the database"
    );
    assert_eq!(health(&server, "").await?, ServingStatus::NotServing as i32);
    let mut client = pb::ingest_service_client::IngestServiceClient::new(server.channel().await?);
    let error = client
        .list_sources(pb::ListSourcesRequest::default())
        .await
        .expect_err("not ready");
    assert_eq!(error.code(), Code::Unavailable);
    assert!(error.message().contains("database"), "{}", error.message());
    server.stop().await
}

#[tokio::test]
async fn health_follows_the_database() -> anyhow::Result<()> {
    benchhub_common::telemetry::init_for_tests();
    let db = TestDb::new().await?;
    let config = benchhub_judge::Config::for_tests(&db.url);
    let server =
        TestServer::start(|listener, shutdown| benchhub_judge::run(config, listener, shutdown))
            .await?;
    server.wait_serving(Duration::from_secs(30)).await?;

    let server_url = benchhub_testkit::server_url();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server_url).await?;
    sqlx::query(&format!("DROP DATABASE \"{}\" WITH (FORCE)", db.name))
        .execute(&mut admin)
        .await?;
    wait_for_status(&server, ServingStatus::NotServing).await?;

    sqlx::query(&format!("CREATE DATABASE \"{}\"", db.name))
        .execute(&mut admin)
        .await?;
    wait_for_status(&server, ServingStatus::Serving).await?;
    server.stop().await
}

async fn wait_for_status(server: &TestServer, wanted: ServingStatus) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if health(server, "").await? == wanted as i32 {
            return Ok(());
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "health never became {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn rpcs_are_counted_and_exposed_to_prometheus() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let stack = Stack::start().await?;
    let mut client =
        pb::ingest_service_client::IngestServiceClient::new(stack.ingest.channel().await?);
    client
        .list_sources(pb::ListSourcesRequest::default())
        .await?;
    let _ = client
        .reingest_source(pb::ReingestSourceRequest::default())
        .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(benchhub_common::observe::serve_metrics(
        listener,
        shutdown.clone(),
    ));
    let mut connection = tokio::net::TcpStream::connect(addr).await?;
    connection
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut body = String::new();
    connection.read_to_string(&mut body).await?;
    shutdown.cancel();
    server.await??;

    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    let ok_line = body.lines().find(|line| {
        line.starts_with("benchhub_rpc_requests_total")
            && line.contains("service=\"ingest\"")
            && line.contains("ListSources")
            && line.contains("code=\"Ok\"")
    });
    assert!(ok_line.is_some(), "{body}");
    assert!(
        body.contains("code=\"Unauthenticated\""),
        "denied calls are counted by code: {body}"
    );
    assert!(
        body.contains("benchhub_rpc_duration_seconds_bucket"),
        "{body}"
    );
    stack.stop().await
}
