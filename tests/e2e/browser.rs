//! The console in a real headless Chromium through WebDriver (chromedriver + fantoccini): sign in with
//! an admin token, re-fetch a source served by the replay and see the result banner, check a freshness
//! cell's computed colour, tab through the rankings filters by keyboard, and start a run on fake models
//! and watch it reach COMPLETED without reloading by hand.
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/test installs them). Outside CI a machine
//! without them prints SKIP; under `CI=true` the test fails instead.

use std::time::{Duration, Instant};

use benchhub_benchctl::commands::screens::Chrome;
use benchhub_proto::pb;
use benchhub_testkit::{TestServer, authorized};
use benchhub_upstream::{Backend, Generator, ReplayServer};
use fantoccini::Locator;

use crate::stack::{ADMIN_TOKEN, Stack};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn browser_available() -> bool {
    std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists()
}

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await? {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() -> anyhow::Result<()> {
    if !browser_available() {
        let message = format!(
            "{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)"
        );
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            anyhow::bail!("CI=true and the browser test cannot run: {message}");
        }
        println!("SKIP the_console_works_in_a_real_browser: {message}");
        return Ok(());
    }
    let backend = Backend::Generator(Generator::new(5, 40, Generator::default_date()));
    let replay = ReplayServer::start(([127, 0, 0, 1], 0).into(), backend).await?;
    let replay_url = replay.url();
    let (_, fake) =
        benchhub_fake_provider::spawn(benchhub_fake_provider::FakeConfig::default()).await?;
    let fake_url = fake.url();
    let stack = Stack::start_configured(
        |config| config.point_sources_at(&replay_url),
        |runner| runner.providers = crate::console::fake_registry(&fake_url),
    )
    .await?;
    for source in ["modelsdev", "openrouter", "lmarena"] {
        crate::stack::reingest_over(stack.ingest.channel().await?, ADMIN_TOKEN, source).await?;
    }
    let config = benchhub_console::Config::for_tests(
        &stack.ingest.url,
        &stack.rankings.url,
        &stack.runner.url,
        &stack.judge.url,
    );
    let console =
        TestServer::start(|listener, shutdown| benchhub_console::run(config, listener, shutdown))
            .await?;
    let base = console.url.clone();

    // A suite with cases, made over gRPC (the upload is tested in console.rs).
    let mut runner =
        pb::runner_service_client::RunnerServiceClient::new(stack.runner.channel().await?);
    let suite = runner
        .create_suite(authorized(
            pb::CreateSuiteRequest {
                name: "browser-suite".to_owned(),
                description: String::new(),
            },
            ADMIN_TOKEN,
        ))
        .await?
        .into_inner()
        .suite
        .expect("suite");
    runner
        .add_test_cases(authorized(
            pb::AddTestCasesRequest {
                suite_id: suite.id.clone(),
                cases: (0..6)
                    .map(|index| pb::TestCaseSpec {
                        input: format!("Question {index}? <<answer:answer {index}>>"),
                        expected_output: format!("answer {index}"),
                        ..Default::default()
                    })
                    .collect(),
            },
            ADMIN_TOKEN,
        ))
        .await?;

    let chrome = Chrome::start(
        std::path::Path::new(CHROMIUM),
        std::path::Path::new(CHROMEDRIVER),
        "1400x1000",
    )
    .await?;
    let browser = chrome.client.clone();
    let outcome = async {
        // Sign in.
        browser.goto(&format!("{base}/login")).await?;
        browser
            .find(Locator::Css("#token"))
            .await?
            .send_keys(ADMIN_TOKEN)
            .await?;
        browser
            .find(Locator::Css("form.login button"))
            .await?
            .click()
            .await?;
        wait_for("the rankings after sign-in", Duration::from_secs(20), || async {
            Ok(browser.current_url().await?.path() == "/"
                && browser.find(Locator::Css("table.rankings")).await.is_ok())
        })
        .await?;

        // A freshness cell's computed colour matches its word.
        let colours = browser
            .execute(
                "const cell = document.querySelector('td[data-freshness]');\
                 return [cell.dataset.freshness, getComputedStyle(cell).backgroundColor, cell.textContent];",
                vec![],
            )
            .await?;
        let word = colours[0].as_str().unwrap_or_default().to_owned();
        let colour = colours[1].as_str().unwrap_or_default().to_owned();
        let expected = match word.as_str() {
            "fresh" => "rgb(223, 243, 228)",
            "aging" => "rgb(255, 243, 196)",
            "stale" => "rgb(253, 226, 224)",
            other => anyhow::bail!("unexpected freshness {other}"),
        };
        assert_eq!(colour, expected, "{word}");
        assert!(colours[2].as_str().unwrap_or_default().contains(&word));

        // Keyboard only: from the search box, Tab walks the filters in order to Apply.
        browser
            .execute("document.querySelector('input[name=search]').focus();", vec![])
            .await?;
        let mut visited = Vec::new();
        for _ in 0..40 {
            browser
                .active_element()
                .await?
                .send_keys(&fantoccini::key::Key::Tab.to_string())
                .await?;
            let focused = browser
                .execute(
                    "const e = document.activeElement; return e.name || e.textContent.trim();",
                    vec![],
                )
                .await?;
            let name = focused.as_str().unwrap_or_default().to_owned();
            let done = name == "Apply";
            visited.push(name);
            if done {
                break;
            }
        }
        assert_eq!(visited.first().map(String::as_str), Some("provider"), "{visited:?}");
        assert!(visited.contains(&"min_score".to_owned()), "{visited:?}");
        assert!(visited.contains(&"tier".to_owned()), "{visited:?}");
        assert_eq!(visited.last().map(String::as_str), Some("Apply"), "{visited:?}");

        // Re-fetch a source: dry run, confirm, banner with the counts.
        browser.goto(&format!("{base}/sources")).await?;
        browser
            .find(Locator::Css("button[aria-label='Re-fetch openrouter']"))
            .await?
            .click()
            .await?;
        wait_for("the dry run", Duration::from_secs(30), || async {
            Ok(browser
                .find(Locator::Css("form.confirm button"))
                .await
                .is_ok())
        })
        .await?;
        let preview = browser.find(Locator::Css("main")).await?.text().await?;
        assert!(preview.contains("Dry run: nothing was written"), "{preview}");
        browser
            .find(Locator::Css("form.confirm button"))
            .await?
            .click()
            .await?;
        wait_for("the result banner", Duration::from_secs(60), || async {
            Ok(browser
                .find(Locator::Css(".banner"))
                .await
                .is_ok())
        })
        .await?;
        let banner = browser.find(Locator::Css(".banner")).await?.text().await?;
        assert!(banner.contains("Re-fetch of openrouter"), "{banner}");
        assert!(banner.contains("fetched"), "{banner}");

        // Start a run from the suite page and watch it end live.
        browser
            .goto(&format!("{base}/suites/{}", suite.id))
            .await?;
        let models = browser.find(Locator::Css("form.run-form input[name=models]")).await?;
        models.clear().await?;
        models.send_keys("fake/good, fake/okay").await?;
        browser
            .find(Locator::Css("form.run-form select[name=grader] option[value=exact]"))
            .await?
            .click()
            .await?;
        browser
            .find(Locator::Css("form.run-form button"))
            .await?
            .click()
            .await?;
        wait_for("the estimate", Duration::from_secs(30), || async {
            Ok(browser.find(Locator::Css("form.confirm button")).await.is_ok())
        })
        .await?;
        browser
            .find(Locator::Css("form.confirm button"))
            .await?
            .click()
            .await?;
        wait_for("the run page", Duration::from_secs(30), || async {
            Ok(browser.current_url().await?.path().starts_with("/runs/"))
        })
        .await?;
        wait_for("COMPLETED", Duration::from_secs(90), || async {
            let status = browser
                .execute(
                    "const e = document.getElementById('run-status'); return e ? e.textContent : '';",
                    vec![],
                )
                .await?;
            Ok(status.as_str() == Some("COMPLETED"))
        })
        .await?;
        anyhow::Ok(())
    }
    .await;
    chrome.close().await;
    console.stop().await?;
    stack.stop().await?;
    outcome
}
