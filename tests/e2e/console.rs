//! The web console over the four real services (in this process, real gRPC over TCP) and a replay
//! server: every page renders, bad input gives the form again, sign-in and CSRF rules hold, and a
//! service that is down gives a page with a banner.

use std::time::Duration;

use benchhub_testkit::TestServer;
use benchhub_upstream::{Backend, Generator, ReplayServer};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};

use crate::stack::{ADMIN_TOKEN, Stack};

/// A console started in this process over running services, and an HTTP client that does not follow
/// redirects.
pub(crate) struct Console {
    pub(crate) server: TestServer,
    pub(crate) http: reqwest::Client,
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

    /// A console in front of `stack`'s four services.
    pub(crate) async fn over(stack: &Stack) -> anyhow::Result<Self> {
        Self::start(
            &stack.ingest.url,
            &stack.rankings.url,
            &stack.runner.url,
            &stack.judge.url,
        )
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    pub(crate) async fn get(
        &self,
        path: &str,
        cookie: Option<&str>,
    ) -> anyhow::Result<(StatusCode, String)> {
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
    let console = Console::over(&stack).await?;

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
    let console = Console::over(&stack).await?;
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

    // Re-ingest all, as a dry run: a job of this session, followed over SSE until it ends.
    let response = console
        .post(
            "/sources/reingest-all",
            Some(&session),
            &[("csrf", &csrf), ("dry_run", "1")],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let job_path = response.headers()[LOCATION].to_str()?.to_owned();
    assert!(job_path.starts_with("/sources/reingest/"), "{job_path}");
    let mut events = console
        .http
        .get(console.url(&format!("{job_path}/events")))
        .header("cookie", &session)
        .send()
        .await?;
    assert_eq!(events.status(), StatusCode::OK);
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(chunk) = events.chunk().await? {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: end") {
                return anyhow::Ok(());
            }
        }
        anyhow::bail!("the job's events ended without an end: {seen}")
    })
    .await
    .map_err(|_| anyhow::anyhow!("the re-ingest did not end within 120 s"))??;
    assert!(seen.contains("event: result"), "{seen}");
    let (status, page) = console.get(&job_path, Some(&session)).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Re-ingest all (dry run)"), "{page}");
    for source in ["modelsdev", "openrouter", "lmarena"] {
        assert!(
            page.contains(&format!("<strong>{source}</strong>")),
            "{source}: {page}"
        );
    }
    assert!(page.contains("Done."), "{page}");
    // Another session cannot see the job.
    let (status, _) = console.get(&job_path, None).await?;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Detect new models at a live source.
    let response = console
        .post(
            "/sources/openrouter/detect",
            Some(&session),
            &[("csrf", &csrf)],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await?;
    assert!(page.contains("New models at openrouter"), "{page}");
    assert!(page.contains("already known"), "{page}");

    // Unmatched names with their suggested models; an alias from a suggestion.
    let (_, page) = console.get("/sources", Some(&session)).await?;
    assert!(page.contains("Unmatched upstream names"), "{page}");
    // The generated upstreams (seed 7) publish names that only nearly match: a suggestion is offered.
    let alias_form = page.split(r#"action="/sources/aliases""#).nth(1);
    assert!(alias_form.is_some(), "an Add alias form: {page}");
    if let Some(form) = alias_form {
        let field = |name: &str| {
            let marker = format!(r#"name="{name}" value=""#);
            form.split(&marker)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
        };
        let (source, alias, model) = (field("source"), field("alias"), field("model_id"));
        let response = console
            .post(
                "/sources/aliases",
                Some(&session),
                &[
                    ("csrf", &csrf),
                    ("source", &source),
                    ("alias", &alias),
                    ("model_id", &model),
                ],
            )
            .await?;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, page) = console.get("/sources", Some(&session)).await?;
        assert!(page.contains("is now an alias of"), "{page}");
    }

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

/// Signs in with `token` and returns the session cookie (`bh_session=…`).
async fn sign_in(console: &Console, token: &str) -> anyhow::Result<String> {
    let response = console.http.get(console.url("/login")).send().await?;
    let login_cookie = set_cookie(&response, "bh_login").expect("login cookie");
    let login_cookie = login_cookie.split(';').next().unwrap_or("").to_owned();
    let csrf = csrf_of(&response.text().await?);
    let response = console
        .post(
            "/login",
            Some(&login_cookie),
            &[("csrf", &csrf), ("token", token)],
        )
        .await?;
    anyhow::ensure!(response.status() == StatusCode::SEE_OTHER, "sign-in failed");
    let session = set_cookie(&response, "bh_session").expect("session cookie");
    Ok(session.split(';').next().unwrap_or("").to_owned())
}

pub(crate) fn fake_registry(fake_url: &str) -> benchhub_providers::ProviderRegistry {
    let url = fake_url.to_owned();
    benchhub_providers::ProviderRegistry::from_parts(
        move |name| (name == "BENCHHUB_FAKE_PROVIDER_URL").then(|| url.clone()),
        None,
    )
    .expect("valid registry")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suite_gets_cases_from_an_upload_and_a_run_started_after_its_estimate_ends_live()
-> anyhow::Result<()> {
    let (_, fake) =
        benchhub_fake_provider::spawn(benchhub_fake_provider::FakeConfig::default()).await?;
    let fake_url = fake.url();
    let stack = Stack::start_configured(
        |_| {},
        |runner| {
            runner.providers = fake_registry(&fake_url);
        },
    )
    .await?;
    let console = Console::over(&stack).await?;

    // Suites need a session.
    let response = console.http.get(console.url("/suites")).send().await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = sign_in(&console, ADMIN_TOKEN).await?;
    let (status, page) = console.get("/suites", Some(&session)).await?;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let response = console
        .post("/suites", Some(&session), &[("name", "no-csrf")])
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = console
        .post(
            "/suites",
            Some(&session),
            &[
                ("csrf", &csrf),
                ("name", "console-suite"),
                ("description", "from the console"),
            ],
        )
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let suite_path = response.headers()[LOCATION].to_str()?.to_owned();
    assert!(suite_path.starts_with("/suites/"), "{suite_path}");

    // Cases from a JSONL upload (multipart).
    let jsonl = (0..4)
        .map(|index| {
            format!(
                r#"{{"input": "Question {index}? <<answer:answer {index}>>", "expected_output": "answer {index}", "tags": ["demo"]}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::text(jsonl).file_name("cases.jsonl"),
        );
    let response = console
        .http
        .post(console.url(&format!("{suite_path}/cases")))
        .header("cookie", &session)
        .multipart(form)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = console.get(&suite_path, Some(&session)).await?;
    assert!(page.contains("Added 4 cases"), "{page}");
    assert!(page.contains("Question 0?"));

    // A bad file is refused with the reason, nothing added.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::text("{not json").file_name("bad.jsonl"),
        );
    console
        .http
        .post(console.url(&format!("{suite_path}/cases")))
        .header("cookie", &session)
        .multipart(form)
        .send()
        .await?;
    let (_, page) = console.get(&suite_path, Some(&session)).await?;
    assert!(page.contains("No case was added"), "{page}");
    assert!(
        page.contains("bad.jsonl"),
        "the error names the file: {page}"
    );

    // The estimate first, then the run.
    let run_form = [
        ("csrf", csrf.as_str()),
        ("models", "fake/good, fake/bad"),
        ("grader", "exact"),
        ("repetitions", "1"),
    ];
    let response = console
        .post(&format!("{suite_path}/runs"), Some(&session), &run_form)
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await?;
    assert!(page.contains("Start this run?"), "{page}");
    assert!(page.contains("8 calls"), "{page}");
    let mut confirmed = run_form.to_vec();
    confirmed.push(("confirm", "1"));
    let response = console
        .post(&format!("{suite_path}/runs"), Some(&session), &confirmed)
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let run_path = response.headers()[LOCATION].to_str()?.to_owned();
    assert!(run_path.starts_with("/runs/"), "{run_path}");

    // Live progress over Server-Sent Events until the run ends.
    let mut events = console
        .http
        .get(console.url(&format!("{run_path}/events")))
        .header("cookie", &session)
        .send()
        .await?;
    assert_eq!(events.status(), StatusCode::OK);
    assert!(
        events.headers()["content-type"]
            .to_str()?
            .starts_with("text/event-stream")
    );
    let mut seen = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(chunk) = events.chunk().await? {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: end") {
                return anyhow::Ok(());
            }
        }
        anyhow::bail!("the event stream ended without an end event: {seen}")
    })
    .await;
    ended.map_err(|_| anyhow::anyhow!("no end event within 60 s"))??;
    assert!(seen.contains("data: COMPLETED"), "{seen}");

    let (status, page) = console.get(&run_path, Some(&session)).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-status="COMPLETED""#), "{page}");
    assert!(page.contains("fake/good"));
    assert!(
        page.contains("is best") || page.contains("No single best model"),
        "how sure: {page}"
    );
    assert!(page.contains("answer 0"), "outputs are shown");

    let (status, page) = console.get(&suite_path, Some(&session)).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Completed runs"));
    assert!(page.contains(r#"class="mark best""#), "{page}");
    assert!(
        page.contains(r#"class="mark cheapest""#) || page.contains("unpriced"),
        "{page}"
    );

    let run_id = run_path.trim_start_matches("/runs/");
    let (status, page) = console
        .get(&format!("{run_path}/compare?with={run_id}"), Some(&session))
        .await?;
    assert!(
        status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
        "{status}: {page}"
    );

    console.server.stop().await?;
    stack.stop().await
}
