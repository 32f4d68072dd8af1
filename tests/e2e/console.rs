//! The web console over the four real services (in this process, real gRPC over TCP) and a replay
//! server: every page renders, bad input gives the form again, sign-in and CSRF rules hold, and a
//! service that is down gives a page with a banner.

use std::time::Duration;

use benchhub_testkit::TestServer;
use benchhub_upstream::{Backend, Generator, ReplayServer};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};

use crate::stack::{ADMIN_TOKEN, Stack};

struct Console {
    server: TestServer,
    http: reqwest::Client,
}

impl Console {
    async fn start(
        ingest: &str,
        rankings: &str,
        runner: &str,
        judge: &str,
    ) -> anyhow::Result<Self> {
        let config = benchhub_console::Config::for_tests(ingest, rankings, runner, judge);
        let server = TestServer::start(|listener, shutdown| {
            benchhub_console::run(config, listener, shutdown)
        })
        .await?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self { server, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> anyhow::Result<(StatusCode, String)> {
        let mut request = self.http.get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await?;
        Ok((response.status(), response.text().await?))
    }

    async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> anyhow::Result<reqwest::Response> {
        let mut request = self.http.post(self.url(path)).form(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        Ok(request.send().await?)
    }
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker).expect("a csrf field") + marker.len();
    page[start..].split('"').next().expect("value").to_owned()
}

/// `name=value` of a Set-Cookie header with that name.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

async fn ingested_stack() -> anyhow::Result<(Stack, ReplayServer)> {
    let backend = Backend::Generator(Generator::new(7, 60, Generator::default_date()));
    let replay = ReplayServer::start(([127, 0, 0, 1], 0).into(), backend).await?;
    let replay_url = replay.url();
    let stack = Stack::start_with(|config| config.point_sources_at(&replay_url)).await?;
    for source in ["modelsdev", "openrouter", "lmarena"] {
        let result =
            crate::stack::reingest_over(stack.ingest.channel().await?, ADMIN_TOKEN, source).await?;
        assert!(result.error.is_empty(), "{source}: {}", result.error);
    }
    // The rankings service rebuilds its catalog when ingest announces a change; wait for it.
    let mut client = benchhub_proto::pb::rankings_service_client::RankingsServiceClient::new(
        stack.rankings.channel().await?,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = client
            .list_rankings(benchhub_proto::pb::ListRankingsRequest::default())
            .await?
            .into_inner();
        let lmarena = page
            .source_status
            .iter()
            .any(|status| status.source == "lmarena" && status.model_count > 0);
        if page.total_size > 0 && lmarena {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the rankings never showed the ingested models"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((stack, replay))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_renders_over_the_real_services() -> anyhow::Result<()> {
    let (stack, _replay) = ingested_stack().await?;
    let console = Console::start(
        &stack.ingest.url,
        &stack.rankings.url,
        &stack.runner.url,
        &stack.judge.url,
    )
    .await?;

    // The rankings, with the headers every page carries.
    let response = console.http.get(console.url("/")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()?
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers().contains_key("referrer-policy"));
    let page = response.text().await?;
    assert!(page.contains(r#"<table class="rankings">"#), "{page}");
    assert!(!page.contains("<script>"), "no inline script");
    let cells: Vec<&str> = page.split(r#"data-freshness=""#).skip(1).collect();
    assert!(!cells.is_empty(), "freshness cells: {page}");
    for cell in &cells {
        let word = cell.split('"').next().unwrap_or("");
        assert!(
            ["fresh", "aging", "stale", "unknown"].contains(&word),
            "{word}"
        );
        // The word is in the cell too: colour is never the only signal.
        let text = cell.split('>').nth(1).unwrap_or("");
        assert!(text.starts_with(word), "{text}");
    }
    assert!(
        page.contains("lmarena"),
        "the source strip names the sources"
    );

    // Sorting by a header; a bad filter gives the form again with the message.
    let (status, page) = console.get("/?sort=coding_score+desc", None).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"aria-sort="descending""#), "{page}");
    let (status, page) = console.get("/?min_score=abc&search=gpt", None).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("minimum overall score must be a number"),
        "{page}"
    );
    assert!(
        page.contains(r#"value="gpt""#),
        "the form keeps what was typed"
    );
    let (status, page) = console.get("/?as_of=1800-01-01", None).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("as_of"), "{page}");
    let (status, page) = console.get("/?sort=nonsense+desc", None).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");

    // CSV with the same query.
    let response = console
        .http
        .get(console.url("/rankings.csv?search=a"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()?
            .starts_with("text/csv")
    );
    let csv = response.text().await?;
    assert!(
        csv.lines().next().unwrap_or("").contains("overall_score"),
        "{csv}"
    );

    // A model page, by the link the rankings give.
    let (_, page) = console.get("/", None).await?;
    let href = page
        .split(r#"href="/models/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a model link")
        .to_owned();
    assert!(href.contains("%2F"), "ids are URL-encoded: {href}");
    let (status, page) = console.get(&format!("/models/{href}"), None).await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Values per source"));
    assert!(page.contains("Matched by"));
    let (status, _) = console.get("/models/nobody%2Fnothing-at-all", None).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = console
        .get(&format!("/models/{}", "x".repeat(400)), None)
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Sources: disabled ones stay listed with their reason; the latest-model card.
    let (status, page) = console.get("/sources", None).await?;
    assert_eq!(status, StatusCode::OK);
    for source in ["mteb", "livebench"] {
        assert!(page.contains(source), "{source} is listed");
    }
    assert!(page.contains("disabled"));
    assert!(page.contains("Latest"));
    assert!(page.contains("Sign in</a> to see the ingestion history"));

    let (status, _) = console.get("/no/such/page", None).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = console.get("/healthz", None).await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));

    console.server.stop().await?;
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_csrf_and_a_refetch_with_its_result_banner() -> anyhow::Result<()> {
    let (stack, _replay) = ingested_stack().await?;
    let console = Console::start(
        &stack.ingest.url,
        &stack.rankings.url,
        &stack.runner.url,
        &stack.judge.url,
    )
    .await?;
    let runs_before = stack.db.count("ingestion_runs").await;

    // A POST without a session goes to the login page.
    let response = console
        .post("/sources/openrouter/refetch", None, &[("csrf", "x")])
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/login");

    // The login form's CSRF token must match its cookie.
    let response = console.http.get(console.url("/login")).send().await?;
    let login_cookie = set_cookie(&response, "bh_login").expect("login cookie");
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
    let login_cookie = login_cookie.split(';').next().unwrap_or("").to_owned();
    let form_csrf = csrf_of(&response.text().await?);
    let response = console
        .post(
            "/login",
            Some(&login_cookie),
            &[("csrf", "forged"), ("token", ADMIN_TOKEN)],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = console
        .post(
            "/login",
            Some(&login_cookie),
            &[("csrf", &form_csrf), ("token", "bh_wrong")],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await?;
    assert!(page.contains("not accepted"), "{page}");
    assert!(!page.contains("bh_wrong"), "the token is never echoed");

    let response = console
        .post(
            "/login",
            Some(&login_cookie),
            &[("csrf", &form_csrf), ("token", ADMIN_TOKEN)],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&response, "bh_session").expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(
        !session.contains(ADMIN_TOKEN),
        "the cookie holds a session id, not the token"
    );
    let session = session.split(';').next().unwrap_or("").to_owned();

    // Signed in as an admin: Re-fetch buttons and the ingestion history.
    let (status, page) = console.get("/sources", Some(&session)).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Re-fetch openrouter"), "{page}");
    assert!(page.contains("Ingestion history"));
    assert!(page.contains("manual"), "manual runs are told apart");
    let csrf = csrf_of(&page);

    // A wrong CSRF token is refused and changes nothing.
    let response = console
        .post(
            "/sources/openrouter/refetch",
            Some(&session),
            &[("csrf", "forged")],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(stack.db.count("ingestion_runs").await, runs_before);

    // The dry run asks for confirmation, then the real run leaves a result banner.
    let response = console
        .post(
            "/sources/openrouter/refetch",
            Some(&session),
            &[("csrf", &csrf)],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await?;
    assert!(page.contains("Dry run: nothing was written"), "{page}");
    assert!(page.contains("Confirm re-fetch"));
    let response = console
        .post(
            "/sources/openrouter/refetch",
            Some(&session),
            &[("csrf", &csrf), ("confirm", "1")],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = console.get("/sources", Some(&session)).await?;
    assert!(page.contains("Re-fetch of openrouter:"), "{page}");
    assert!(page.contains("fetched "), "{page}");
    assert!(stack.db.count("ingestion_runs").await > runs_before);
    // The banner is shown once.
    let (_, page) = console.get("/sources", Some(&session)).await?;
    assert!(!page.contains("Re-fetch of openrouter:"));

    // Signing out ends the session.
    let response = console
        .post("/logout", Some(&session), &[("csrf", &csrf)])
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = console.get("/sources", Some(&session)).await?;
    assert!(page.contains("Sign in</a> to see the ingestion history"));

    console.server.stop().await?;
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_is_down_gives_a_page_with_a_banner() -> anyhow::Result<()> {
    // Nothing listens on these ports (bound, then released).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        format!("http://{}", listener.local_addr()?)
    };
    let console = Console::start(&closed, &closed, &closed, &closed).await?;
    let (status, page) = console.get("/", None).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.contains("The rankings service is unavailable"),
        "{page}"
    );
    assert!(!page.contains("tcp connect error"), "no internals: {page}");
    let (status, page) = console.get("/sources", None).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("The ingest service is unavailable"), "{page}");
    let (status, _) = console.get("/healthz", None).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    console.server.stop().await
}
