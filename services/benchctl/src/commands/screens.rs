//! `benchctl screens`: screenshots of the web console's pages in headless Chromium (through
//! chromedriver), signed in with a token, for the demo and the README.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt as _, BufReader};

/// Arguments of `benchctl screens`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScreensArgs {
    /// The console's URL.
    #[arg(
        long,
        env = "BENCHHUB_CONSOLE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub console: String,
    /// Pages to capture as NAME=PATH (repeatable), e.g. rankings=/ or run=/runs/ID.
    #[arg(long = "page", required = true)]
    pub pages: Vec<String>,
    /// Directory the PNG files go to.
    #[arg(long, default_value = "demo-out/screens")]
    pub out: PathBuf,
    /// Chromium binary.
    #[arg(long, default_value = "/usr/bin/chromium")]
    pub chromium: PathBuf,
    /// chromedriver binary.
    #[arg(long, default_value = "/usr/bin/chromedriver")]
    pub chromedriver: PathBuf,
    /// Window size WIDTHxHEIGHT.
    #[arg(long, default_value = "1440x1100")]
    pub size: String,
}

/// Headless Chromium driven through chromedriver (which picks its own port); both stop on drop.
#[derive(Debug)]
pub struct Chrome {
    driver: tokio::process::Child,
    /// The WebDriver session.
    pub client: Client,
}

impl Chrome {
    /// Starts chromedriver and a headless Chromium window of `size` (`WIDTHxHEIGHT`).
    pub async fn start(
        chromium: &std::path::Path,
        chromedriver: &std::path::Path,
        size: &str,
    ) -> anyhow::Result<Self> {
        let mut driver = tokio::process::Command::new(chromedriver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", chromedriver.display()))?;
        let stdout = driver.stdout.take().context("chromedriver has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    return anyhow::Ok(rest.trim_end_matches('.').trim().parse::<u16>()?);
                }
            }
            anyhow::bail!("chromedriver exited before it was ready")
        })
        .await
        .context("chromedriver did not start within 20 s")??;
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        // fantoccini links rustls; of the two crypto backends in these binaries, use ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", format!("--window-size={}", size.replace('x', ","))],
            }),
        );
        let client = ClientBuilder::rustls()?
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await?;
        Ok(Self { driver, client })
    }

    /// Ends the browser session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.start_kill();
    }
}

/// Runs the command.
pub async fn run(args: &ScreensArgs, token: Option<&str>) -> anyhow::Result<()> {
    let pages: Vec<(String, String)> = args
        .pages
        .iter()
        .map(|page| {
            page.split_once('=')
                .map(|(name, path)| (name.to_owned(), path.to_owned()))
                .with_context(|| format!("--page {page}: use NAME=PATH, e.g. rankings=/"))
        })
        .collect::<anyhow::Result<_>>()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let chrome = Chrome::start(&args.chromium, &args.chromedriver, &args.size).await?;
    let client = chrome.client.clone();
    let base = args.console.trim_end_matches('/').to_owned();
    let outcome = async {
        if let Some(token) = token {
            client.goto(&format!("{base}/login")).await?;
            client
                .find(Locator::Css("#token"))
                .await?
                .send_keys(token)
                .await?;
            client
                .find(Locator::Css("form.login button"))
                .await?
                .click()
                .await?;
            let deadline = Instant::now() + Duration::from_secs(20);
            while client.current_url().await?.path() == "/login" {
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "signing in to the console failed"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        for (name, path) in &pages {
            client.goto(&format!("{base}{path}")).await?;
            // Let charts and fonts settle.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let png = client.screenshot().await?;
            let file = args.out.join(format!("{name}.png"));
            std::fs::write(&file, png)
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("{}", file.display());
        }
        anyhow::Ok(())
    }
    .await;
    chrome.close().await;
    outcome
}
