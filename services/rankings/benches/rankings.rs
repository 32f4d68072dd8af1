//! Rankings benchmark (`cargo bench -p benchhub-rankings`): a 5,000-model synthetic catalog with ten
//! sources and four weekly snapshots of history in a fresh Postgres database, served in-process.
//!
//! Measures, in one run on one server:
//! - throughput of an empty RPC (gRPC health check) from a concurrent Rust client: the baseline;
//! - throughput of ListRankings (page of 50, filters on) from the same client, as a ratio to the
//!   baseline (target >= 50%), with p50/p99 latency under that load and alone (target p99 < 20 ms);
//! - the same with a distinct filter on every call, so no ranking is served from the cache;
//! - catalog rebuild time for the 5,000 models (read from Postgres plus fusing);
//! - ExportRankings of the whole catalog, in rows per second.
//!
//! The server runs on one two-thread runtime and the load-generating client on another, both in this
//! process; the CPU each spends per call (from /proc/self/task) is reported beside the throughput, since
//! on a small machine client and server share the cores and a throughput ratio mixes both.
//!
//! Prints a markdown table. Needs the test Postgres (`DATABASE_URL` or 127.0.0.1:5432). Environment:
//! `BENCH_MODELS` (default 5000), `BENCH_SECONDS` per throughput phase (default 4), `BENCH_CONCURRENCY`
//! (default 16); `BENCH_ONLY` (health, list, full or uncached) runs only that call, for profiling.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// The allocator of the service binaries, so the in-process server runs as it does in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use benchhub_proto::pb;
use benchhub_proto::pb::rankings_service_client::RankingsServiceClient;
use benchhub_rankings::domain::catalog;
use benchhub_rankings::testdata::{self, SyntheticSpec};
use benchhub_testkit::{TestDb, TestServer};
use chrono::Utc;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Thread names of the server's runtime and of the load-generating client's runtime.
const SERVER_THREADS: &str = "server-worker";
const CLIENT_THREADS: &str = "bench-client";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Latencies and count of one throughput phase.
struct Phase {
    name: &'static str,
    calls: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU seconds of the client's and of the server's runtime threads during the phase.
    client_cpu: f64,
    server_cpu: f64,
}

impl Phase {
    fn per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU microseconds per call of the client's and of the server's threads.
    fn cpu_per_call(&self) -> (f64, f64) {
        let calls = self.calls.max(1) as f64;
        (self.client_cpu / calls * 1e6, self.server_cpu / calls * 1e6)
    }

    fn percentile(&self, fraction: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
        sorted[index]
    }
}

fn filter() -> pb::RankingsFilter {
    pb::RankingsFilter {
        providers: vec![
            "openai".to_owned(),
            "anthropic".to_owned(),
            "google".to_owned(),
            "deepseek".to_owned(),
            "qwen".to_owned(),
            "acme".to_owned(),
        ],
        performance_tiers: vec![
            pb::PerformanceTier::Fast as i32,
            pb::PerformanceTier::Medium as i32,
        ],
        min_quality: Some(10.0),
        ..pb::RankingsFilter::default()
    }
}

fn list_request(distinct: Option<u64>, view: pb::RankingView) -> pb::ListRankingsRequest {
    let mut filter = filter();
    if let Some(call) = distinct {
        // A different minimum quality on every call defeats the ranking cache.
        filter.min_quality = Some(10.0 + (call % 10_000) as f64 / 1000.0);
    }
    pb::ListRankingsRequest {
        filter: Some(filter),
        order_by: "overall_score desc".to_owned(),
        page_size: 50,
        view: view as i32,
        ..pb::ListRankingsRequest::default()
    }
}

#[derive(Clone, Copy)]
enum Call {
    Health,
    List,
    ListFull,
    ListUncached,
    ListUndecoded,
}

async fn list_undecoded(client: &mut tonic::client::Grpc<Channel>) -> bool {
    if client.ready().await.is_err() {
        return false;
    }
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/benchhub.v1.RankingsService/ListRankings",
    );
    client
        .unary(
            // The load generator skips decoding the 70 KB response, to show what the server sustains.
            tonic::Request::new(bytes::Bytes::from(prost::Message::encode_to_vec(
                &list_request(None, pb::RankingView::Full),
            ))),
            path,
            benchhub_testkit::raw::RawCodec,
        )
        .await
        .is_ok()
}

async fn run_phase(
    name: &'static str,
    call: Call,
    channels: &[Channel],
    concurrency: usize,
    duration: Duration,
) -> Phase {
    let counter = Arc::new(AtomicU64::new(0));
    let client_before = benchhub_testkit::cpu::thread_cpu_seconds(CLIENT_THREADS);
    let server_before = benchhub_testkit::cpu::thread_cpu_seconds(SERVER_THREADS);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let channel = channels[worker % channels.len()].clone();
        let counter = Arc::clone(&counter);
        tasks.push(tokio::spawn(async move {
            let mut health = HealthClient::new(channel.clone());
            let mut rankings = RankingsServiceClient::new(channel.clone());
            let mut raw = tonic::client::Grpc::new(channel);
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let sequence = counter.fetch_add(1, Ordering::Relaxed);
                let begun = Instant::now();
                let ok = match call {
                    Call::Health => health
                        .check(HealthCheckRequest {
                            service: String::new(),
                        })
                        .await
                        .is_ok(),
                    Call::List => rankings
                        .list_rankings(list_request(None, pb::RankingView::Unspecified))
                        .await
                        .is_ok(),
                    Call::ListFull => rankings
                        .list_rankings(list_request(None, pb::RankingView::Full))
                        .await
                        .is_ok(),
                    Call::ListUncached => rankings
                        .list_rankings(list_request(Some(sequence), pb::RankingView::Unspecified))
                        .await
                        .is_ok(),
                    Call::ListUndecoded => list_undecoded(&mut raw).await,
                };
                latencies.push(begun.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((mut task_latencies, task_errors)) = task.await {
            latencies.append(&mut task_latencies);
            errors += task_errors;
        }
    }
    Phase {
        name,
        calls: latencies.len() as u64,
        errors,
        elapsed: started.elapsed(),
        latencies,
        client_cpu: benchhub_testkit::cpu::thread_cpu_seconds(CLIENT_THREADS) - client_before,
        server_cpu: benchhub_testkit::cpu::thread_cpu_seconds(SERVER_THREADS) - server_before,
    }
}

/// Runs a phase on the client's runtime.
async fn client_phase(
    client: &tokio::runtime::Handle,
    name: &'static str,
    call: Call,
    channels: &[Channel],
    concurrency: usize,
    duration: Duration,
) -> Phase {
    let channels = channels.to_vec();
    client
        .spawn(async move { run_phase(name, call, &channels, concurrency, duration).await })
        .await
        .expect("benchmark phase panicked")
}

/// Microseconds to decode (and drop) one basic page in this process, whole and in parts: what a
/// client pays per call on top of the transport.
fn decode_costs(page: &pb::ListRankingsResponse) -> (f64, f64, f64) {
    use prost::Message;
    let time = |message: &pb::ListRankingsResponse| {
        let bytes = bytes::Bytes::from(message.encode_to_vec());
        let rounds = 2000;
        for _ in 0..rounds / 4 {
            std::hint::black_box(pb::ListRankingsResponse::decode(bytes.clone()).expect("decodes"));
        }
        let started = Instant::now();
        for _ in 0..rounds {
            let decoded = pb::ListRankingsResponse::decode(bytes.clone()).expect("decodes");
            std::hint::black_box(decoded);
        }
        started.elapsed().as_secs_f64() * 1e6 / rounds as f64
    };
    let rows_only = pb::ListRankingsResponse {
        rows: page.rows.clone(),
        ..pb::ListRankingsResponse::default()
    };
    let without_rows = pb::ListRankingsResponse {
        rows: Vec::new(),
        ..page.clone()
    };
    (time(page), time(&rows_only), time(&without_rows))
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name(SERVER_THREADS)
        .enable_all()
        .build()?;
    runtime.block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    let models = env_number("BENCH_MODELS", 5000) as usize;
    let seconds = env_number("BENCH_SECONDS", 4);
    let concurrency = env_number("BENCH_CONCURRENCY", 16) as usize;
    let phase_length = Duration::from_secs(seconds);
    let only = match std::env::var("BENCH_ONLY") {
        Err(_) => None,
        Ok(only) => {
            let call = match only.as_str() {
                "health" => Call::Health,
                "list" => Call::List,
                "full" => Call::ListFull,
                "uncached" => Call::ListUncached,
                other => anyhow::bail!(
                    "BENCH_ONLY={other}: allowed values are health, list, full, uncached"
                ),
            };
            Some((only, call))
        }
    };
    let bench_started = Instant::now();

    let db = TestDb::new().await?;
    let spec = SyntheticSpec {
        models,
        snapshots: 4,
        newest: Utc::now().date_naive(),
        seed: 2026,
    };
    let (model_rows, observations) = testdata::synthetic(spec);
    let sources = testdata::count_by_source(&observations).len();
    let seeding = Instant::now();
    testdata::insert_models(&db.pool, &model_rows).await?;
    testdata::insert_observations(&db.pool, &observations).await?;
    sqlx::query("ANALYZE").execute(&db.pool).await?;
    let seed_time = seeding.elapsed();
    eprintln!(
        "seeded {models} models, {} observations from {sources} sources in {:.1}s",
        observations.len(),
        seed_time.as_secs_f64()
    );

    // Catalog rebuild: read plus fuse, three times, median.
    let mut loads = Vec::new();
    let mut fuses = Vec::new();
    let mut entries = 0;
    for attempt in 0..3u64 {
        let begun = Instant::now();
        let input = benchhub_rankings::repo::load_catalog_input(&db.pool, None).await?;
        let loaded = begun.elapsed();
        let begun = Instant::now();
        let built = catalog::build(input, None, attempt + 1, Utc::now());
        fuses.push(begun.elapsed());
        loads.push(loaded);
        entries = built.entries.len();
    }
    loads.sort();
    fuses.sort();
    let rebuild = loads[1] + fuses[1];

    let mut config = benchhub_rankings::Config::for_tests(&db.url);
    config.common.request_timeout = Duration::from_secs(60);
    let server =
        TestServer::start(|listener, shutdown| benchhub_rankings::run(config, listener, shutdown))
            .await?;
    server.wait_serving(Duration::from_secs(120)).await?;
    // Receive windows large enough for a full page, so responses are not throttled by HTTP/2 flow
    // control (the 64 KiB default is smaller than one full page).
    // The load generator runs on its own runtime (two threads, like the server's), so its CPU can be
    // told from the server's.
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLIENT_THREADS)
        .enable_all()
        .build()?;
    let client = client_runtime.handle().clone();
    let mut channels = Vec::new();
    for _ in 0..2 {
        let endpoint = tonic::transport::Endpoint::from_shared(server.url.clone())?
            .tcp_nodelay(true)
            .initial_stream_window_size(Some(1024 * 1024))
            .initial_connection_window_size(Some(8 * 1024 * 1024));
        channels.push(
            client
                .spawn(async move { endpoint.connect().await })
                .await??,
        );
    }

    let mut probe = RankingsServiceClient::new(channels[0].clone());
    let first = probe
        .list_rankings(list_request(None, pb::RankingView::Full))
        .await?
        .into_inner();
    let response_bytes = prost::Message::encoded_len(&first);
    let basic_page = probe
        .list_rankings(list_request(None, pb::RankingView::Unspecified))
        .await?
        .into_inner();
    let basic_bytes = prost::Message::encoded_len(&basic_page);
    let decode_costs = decode_costs(&basic_page);
    eprintln!(
        "filtered listing: {} of {entries} models match, {} rows per page, {basic_bytes} bytes per basic page, {response_bytes} bytes per full page",
        first.total_size,
        first.rows.len()
    );

    // Warm-up, then the measured phases.
    let _ = client_phase(
        &client,
        "warm-up",
        Call::List,
        &channels,
        concurrency,
        Duration::from_millis(500),
    )
    .await;
    // Profiling aid: `BENCH_ONLY=health|list|full|uncached` runs just that call for BENCH_SECONDS
    // (e.g. under `perf record`), prints its rate and CPU per call, and skips the rest.
    if let Some((only, call)) = only {
        let phase = client_phase(&client, "only", call, &channels, concurrency, phase_length).await;
        let calls = phase.calls.max(1) as f64;
        eprintln!(
            "BENCH_ONLY={only}: {:.0} calls/s, CPU per call client {:.1} µs, server {:.1} µs, {} errors",
            calls / phase.elapsed.as_secs_f64(),
            phase.client_cpu * 1e6 / calls,
            phase.server_cpu * 1e6 / calls,
            phase.errors
        );
        client_runtime.shutdown_background();
        return Ok(());
    }
    // The concurrent phases run interleaved in rounds, so a slow moment of the shared machine hits the
    // baseline and the measured calls alike.
    let kinds = [
        ("empty RPC (health check)", Call::Health),
        (
            "ListRankings, 50 rows, filters on (default view: basic)",
            Call::List,
        ),
        (
            "ListRankings, 50 rows, filters on, distinct filter per call (nothing cached)",
            Call::ListUncached,
        ),
        (
            "ListRankings, 50 rows, filters on, full view (every metric)",
            Call::ListFull,
        ),
        (
            "ListRankings, full view, client skips decoding",
            Call::ListUndecoded,
        ),
    ];
    let rounds = 4;
    let mut totals: Vec<Phase> = kinds
        .iter()
        .map(|(name, _)| Phase {
            name,
            calls: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
            client_cpu: 0.0,
            server_cpu: 0.0,
        })
        .collect();
    for _ in 0..rounds {
        for ((name, call), total) in kinds.iter().zip(totals.iter_mut()) {
            let mut phase = client_phase(
                &client,
                name,
                *call,
                &channels,
                concurrency,
                phase_length / rounds,
            )
            .await;
            total.calls += phase.calls;
            total.errors += phase.errors;
            total.elapsed += phase.elapsed;
            total.latencies.append(&mut phase.latencies);
            total.client_cpu += phase.client_cpu;
            total.server_cpu += phase.server_cpu;
        }
    }
    let mut totals = totals.into_iter();
    let (Some(health), Some(list), Some(uncached), Some(full), Some(undecoded)) = (
        totals.next(),
        totals.next(),
        totals.next(),
        totals.next(),
        totals.next(),
    ) else {
        anyhow::bail!("missing phase");
    };
    let alone = client_phase(
        &client,
        "ListRankings, one caller, default view",
        Call::List,
        &channels,
        1,
        Duration::from_secs(2),
    )
    .await;
    let alone_uncached = client_phase(
        &client,
        "ListRankings, one caller, distinct filter per call",
        Call::ListUncached,
        &channels,
        1,
        Duration::from_secs(2),
    )
    .await;
    let alone_full = client_phase(
        &client,
        "ListRankings, one caller, full view",
        Call::ListFull,
        &channels,
        1,
        Duration::from_secs(2),
    )
    .await;

    // Export of the whole catalog.
    let mut export_rows = 0u64;
    let mut export_bytes = 0u64;
    let export_started = Instant::now();
    let mut exports = 0;
    while exports < 3 || export_started.elapsed() < Duration::from_secs(2) {
        let mut stream = probe
            .export_rankings(pb::ExportRankingsRequest::default())
            .await?
            .into_inner();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            export_rows += chunk.row_count as u64;
            export_bytes += chunk.data.len() as u64;
        }
        exports += 1;
    }
    let export_time = export_started.elapsed();
    server.stop().await?;
    client_runtime.shutdown_background();

    println!();
    println!(
        "## benchhub-rankings benchmark ({entries} models, {sources} sources, 4 snapshots, {} observations; {concurrency} concurrent calls, {seconds}s per phase)",
        observations.len()
    );
    println!();
    println!("| measurement | result | CPU per call: client / server | vs. baseline | target |");
    println!("|---|---|---|---|---|");
    let cpu = |phase: &Phase| {
        let (client, server) = phase.cpu_per_call();
        format!("{client:.0} µs / {server:.0} µs")
    };
    println!(
        "| {} | {:.0} calls/s (p50 {}, p99 {}) | {} | baseline | |",
        health.name,
        health.per_second(),
        millis(health.percentile(0.5)),
        millis(health.percentile(0.99)),
        cpu(&health),
    );
    for phase in [&list, &uncached, &full, &undecoded] {
        let ratio = phase.per_second() / health.per_second();
        println!(
            "| {} | {:.0} calls/s (p50 {}, p99 {}){} | {} | {:.0}% | {} |",
            phase.name,
            phase.per_second(),
            millis(phase.percentile(0.5)),
            millis(phase.percentile(0.99)),
            if phase.errors > 0 {
                format!(", {} errors", phase.errors)
            } else {
                String::new()
            },
            cpu(phase),
            ratio * 100.0,
            if std::ptr::eq(phase, &list) {
                if ratio >= 0.5 {
                    "≥ 50%: met"
                } else {
                    "≥ 50%: MISSED"
                }
            } else {
                "-"
            }
        );
    }
    println!(
        "| decoding one basic page in the client ({basic_bytes} bytes) | {:.1} µs: rows {:.1} µs, source status and the rest {:.1} µs | - | - | - |",
        decode_costs.0, decode_costs.1, decode_costs.2
    );
    for phase in [&alone, &alone_uncached, &alone_full] {
        let p99 = phase.percentile(0.99);
        println!(
            "| {} (latency) | p50 {}, p99 {} over {} calls | - | - | p99 < 20 ms: {} |",
            phase.name,
            millis(phase.percentile(0.5)),
            millis(p99),
            phase.calls,
            if p99 < Duration::from_millis(20) {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    for phase in [&list, &full] {
        println!(
            "| {} (latency under load, {concurrency} concurrent calls) | p50 {}, p99 {} | - | - | p99 < 20 ms: {} |",
            phase.name,
            millis(phase.percentile(0.5)),
            millis(phase.percentile(0.99)),
            if phase.percentile(0.99) < Duration::from_millis(20) {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    println!(
        "| catalog rebuild, {entries} models (median of 3) | {} (read {}, fuse {}) | - | - | - |",
        millis(rebuild),
        millis(loads[1]),
        millis(fuses[1]),
    );
    println!(
        "| ExportRankings, full catalog | {:.0} rows/s ({exports} exports, {:.1} MB/s) | - | - | - |",
        export_rows as f64 / export_time.as_secs_f64(),
        export_bytes as f64 / export_time.as_secs_f64() / 1_000_000.0,
    );
    println!();
    eprintln!(
        "benchmark finished in {:.0}s",
        bench_started.elapsed().as_secs_f64()
    );
    Ok(())
}
