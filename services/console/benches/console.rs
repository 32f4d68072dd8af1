//! Console benchmark (`cargo bench -p benchhub-console`, or `scripts/bench console`): the rankings page
//! against the bare RPC it is built from, on a 5,000-model synthetic catalog in a fresh Postgres.
//!
//! Measures, in one run:
//! - the baseline: ListRankings as the page asks for it (full view, 50 rows) from a Rust gRPC client;
//! - `GET /` of the console (ListRankings and ListBenchmarks, then the HTML), from an HTTP client;
//!   target: page ≤ 2× the RPC;
//! - first contentful paint of `/` in headless Chromium (chromedriver), target < 500 ms (the seed
//!   asks < 3 s); skipped with a note when Chromium is not installed.
//!
//! Calls run one at a time (latency, not throughput). Prints a markdown table. Environment:
//! `BENCH_MODELS` (default 5000), `BENCH_CALLS` per measurement (default 200).

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// The allocator of the service binaries, so the in-process servers run as they do in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_rankings::testdata::{self, SyntheticSpec};
use benchhub_testkit::{TestDb, TestServer};
use chrono::Utc;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn percentile(samples: &[Duration], fraction: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[((sorted.len() as f64 - 1.0) * fraction).round() as usize]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    let models = env_number("BENCH_MODELS", 5000) as usize;
    let calls = env_number("BENCH_CALLS", 200) as usize;
    let db = TestDb::new().await?;
    let (model_rows, observations) = testdata::synthetic(SyntheticSpec {
        models,
        snapshots: 4,
        newest: Utc::now().date_naive(),
        seed: 2026,
    });
    testdata::insert_models(&db.pool, &model_rows).await?;
    testdata::insert_observations(&db.pool, &observations).await?;
    sqlx::query("ANALYZE").execute(&db.pool).await?;

    let rankings_config = benchhub_rankings::Config::for_tests(&db.url);
    let rankings = TestServer::start(|listener, shutdown| {
        benchhub_rankings::run(rankings_config, listener, shutdown)
    })
    .await?;
    rankings.wait_serving(Duration::from_secs(120)).await?;
    // The page needs only the rankings service; the others point at a closed port.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        format!("http://{}", listener.local_addr()?)
    };
    let config = benchhub_console::Config::for_tests(&closed, &rankings.url, &closed, &closed);
    let console =
        TestServer::start(|listener, shutdown| benchhub_console::run(config, listener, shutdown))
            .await?;

    // The request the page makes for `/`.
    let form = benchhub_console::pages::rankings::RankingsForm::parse(None);
    let request = form
        .to_request()
        .map_err(|problem| anyhow::anyhow!("{problem}"))?;
    let channel = tonic::transport::Endpoint::from_shared(rankings.url.clone())?
        .tcp_nodelay(true)
        .connect()
        .await?;
    let mut client = pb::rankings_service_client::RankingsServiceClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024);
    let http = reqwest::Client::builder().build()?;
    let page_url = format!("{}/", console.url);

    // Warm both paths (catalog built, caches filled, connections open).
    for _ in 0..20 {
        client.list_rankings(request.clone()).await?;
        http.get(&page_url).send().await?.bytes().await?;
    }
    let mut rpc = Vec::with_capacity(calls);
    let mut page = Vec::with_capacity(calls);
    let mut rpc_bytes = 0;
    let mut page_bytes = 0;
    // Interleaved, so both see the same machine load.
    for _ in 0..calls {
        let begun = Instant::now();
        let response = client.list_rankings(request.clone()).await?.into_inner();
        rpc.push(begun.elapsed());
        rpc_bytes = prost::Message::encoded_len(&response);
        let begun = Instant::now();
        let response = http.get(&page_url).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "GET / answered {}",
            response.status()
        );
        let body = response.bytes().await?;
        page.push(begun.elapsed());
        page_bytes = body.len();
    }
    let (rpc_p50, page_p50) = (percentile(&rpc, 0.5), percentile(&page, 0.5));
    let (rpc_p90, page_p90) = (percentile(&rpc, 0.9), percentile(&page, 0.9));

    let paint = first_contentful_paint(&page_url).await;

    println!("| measurement | p50 | p90 | ratio to the RPC (p50) | size |");
    println!("|---|---|---|---|---|");
    println!(
        "| ListRankings, full view, 50 of {models} models (baseline) | {:.2} ms | {:.2} ms | 1.00× | {} KiB protobuf |",
        ms(rpc_p50),
        ms(rpc_p90),
        rpc_bytes / 1024
    );
    println!(
        "| console `GET /` (ListRankings + ListBenchmarks + HTML) | {:.2} ms | {:.2} ms | **{:.2}×** (target ≤ 2×) | {} KiB HTML |",
        ms(page_p50),
        ms(page_p90),
        page_p50.as_secs_f64() / rpc_p50.as_secs_f64(),
        page_bytes / 1024
    );
    match paint {
        Ok(samples) => println!(
            "| first contentful paint of `/` in headless Chromium (median of {}) | {:.0} ms | {:.0} ms | target < 500 ms | |",
            samples.len(),
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.9)),
        ),
        Err(reason) => println!("| first contentful paint | not measured: {reason} | | | |"),
    }
    println!();
    println!(
        "> {calls} calls each, one at a time, interleaved; server, console and clients in one process on this machine."
    );
    console.stop().await?;
    rankings.stop().await?;
    Ok(())
}

/// Loads `url` in headless Chromium several times and reads the first-contentful-paint entry.
async fn first_contentful_paint(url: &str) -> Result<Vec<Duration>, String> {
    const CHROMIUM: &str = "/usr/bin/chromium";
    const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        return Err("chromium and chromium-driver are not installed".to_owned());
    }
    let chrome = benchhub_benchctl::commands::screens::Chrome::start(
        std::path::Path::new(CHROMIUM),
        std::path::Path::new(CHROMEDRIVER),
        "1440x1000",
    )
    .await
    .map_err(|error| format!("{error:#}"))?;
    let browser = chrome.client.clone();
    let mut samples = Vec::new();
    let outcome = async {
        for attempt in 0..8 {
            browser.goto(url).await.map_err(|error| error.to_string())?;
            // The paint entry is recorded when the frame is presented, which can come after the
            // load event; wait for it (up to 3 s) with a buffered observer.
            let value = browser
                .execute_async(
                    "const done = arguments[arguments.length - 1];\
                     const found = () => performance.getEntriesByName('first-contentful-paint')[0];\
                     if (found()) { done(found().startTime); return; }\
                     new PerformanceObserver((list) => {\
                         const e = list.getEntriesByName('first-contentful-paint')[0];\
                         if (e) done(e.startTime);\
                     }).observe({ type: 'paint', buffered: true });\
                     setTimeout(() => done(null), 3000);",
                    vec![],
                )
                .await
                .map_err(|error| error.to_string())?;
            // The first load fills the browser's caches (CSS, script); measure the ones after it.
            if attempt > 0 {
                if let Some(milliseconds) = value.as_f64() {
                    samples.push(Duration::from_secs_f64(milliseconds / 1000.0));
                } else {
                    eprintln!("no paint entry: {value}");
                }
            }
        }
        Ok::<(), String>(())
    }
    .await;
    chrome.close().await;
    outcome?;
    if samples.is_empty() {
        return Err("the browser reported no first-contentful-paint entry".to_owned());
    }
    Ok(samples)
}
