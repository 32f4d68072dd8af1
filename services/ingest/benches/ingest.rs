//! Ingest throughput: 100,001 synthetic observations (an EvalPlus-format payload of 55,556 generated
//! models × 2 metrics, minus the generator's null scores) through the real pipeline (lock, run record,
//! skip check, parse, name matching, the write — COPY for a snapshot date the source has no rows for,
//! UNNEST `INSERT … ON CONFLICT DO UPDATE` otherwise, counting inserts vs updates —, cohort
//! renormalisation, raw payload, run and source state, commit), against baselines measured in the same
//! run on the same table, each starting from an empty `observations` table:
//! (a) a naive row-by-row `INSERT … ON CONFLICT DO UPDATE` with a commit per row (the per-row pattern
//! of the seeds' `ingestSnapshot`), measured on a sample and extrapolated, and (a') the same in one
//! transaction, in full;
//! (b) a raw `COPY observations FROM STDIN` of the same rows.
//! Prints a markdown table, the update path's time and the process's peak memory (VmHWM).
//!
//! Run with `cargo bench -p benchhub-ingest`. Needs the test Postgres (DATABASE_URL or 127.0.0.1:5432).

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

/// The allocator of the service binaries, so the in-process server runs as it does in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use benchhub_ingest::Config;
use benchhub_ingest::domain::adapters::{self, Document, SourceContext};
use benchhub_ingest::service::{Ingestor, OutcomeStatus, Trigger};
use benchhub_testkit::TestDb;
use benchhub_upstream::Generator;
use chrono::NaiveDate;
use sqlx::PgPool;

/// Models generated; EvalPlus gives two metrics per model, minus the generator's null `mbpp+` for one
/// model in five: 55,556 models make 100,001 observations.
const MODELS: usize = 55_556;
/// Rows the autocommit baseline writes before its per-row cost is extrapolated (a commit per row is
/// too slow to run 100,000 times within the benchmark's time budget).
const AUTOCOMMIT_SAMPLE: usize = 3_000;

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn truncate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("TRUNCATE observations, raw_payloads, ingestion_runs CASCADE")
        .execute(pool)
        .await?;
    sqlx::query("VACUUM ANALYZE observations")
        .execute(pool)
        .await?;
    Ok(())
}

/// One row as the baselines write it.
struct Row {
    metric: &'static str,
    name: String,
    value: f64,
    extra: String,
}

fn rows(documents: &[Document], today: NaiveDate) -> anyhow::Result<Vec<Row>> {
    let context = SourceContext {
        base_url: String::new(),
        secondary_url: String::new(),
        secret: None,
        today,
        concurrency: 1,
    };
    let parsed = adapters::adapter("evalplus")
        .ok_or_else(|| anyhow::anyhow!("no evalplus adapter"))?
        .parse(documents, &context)?;
    Ok(parsed
        .observations
        .into_iter()
        .map(|observation| Row {
            metric: if observation.metric == "humaneval_plus" {
                "humaneval_plus"
            } else {
                "mbpp_plus"
            },
            name: observation.source_model_name,
            value: observation.value,
            extra: observation
                .extra
                .map(|extra| extra.to_string())
                .unwrap_or_else(|| "{}".to_owned()),
        })
        .collect())
}

const NAIVE_UPSERT: &str = "INSERT INTO observations (source, category, metric, source_model_name, \
        snapshot_date, value, unit, extra) VALUES ('evalplus', 'coding', $1, $2, $3, $4, 'percent', $5::jsonb) \
     ON CONFLICT ON CONSTRAINT observations_natural_key DO UPDATE SET value = EXCLUDED.value, \
        extra = EXCLUDED.extra, updated_at = now()";

/// Naive (a): one statement and one commit per row, through the pool.
async fn naive_autocommit(
    pool: &PgPool,
    rows: &[Row],
    today: NaiveDate,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for row in rows {
        sqlx::query(NAIVE_UPSERT)
            .bind(row.metric)
            .bind(&row.name)
            .bind(today)
            .bind(row.value)
            .bind(&row.extra)
            .execute(pool)
            .await?;
    }
    Ok(started.elapsed())
}

/// Naive (a'): one statement per row, all in one transaction.
async fn naive(pool: &PgPool, rows: &[Row], today: NaiveDate) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut transaction = pool.begin().await?;
    for row in rows {
        sqlx::query(NAIVE_UPSERT)
            .bind(row.metric)
            .bind(&row.name)
            .bind(today)
            .bind(row.value)
            .bind(&row.extra)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(started.elapsed())
}

fn copy_field(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

async fn copy(pool: &PgPool, rows: &[Row], today: NaiveDate) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut body = String::with_capacity(rows.len() * 80);
    for row in rows {
        body.push_str(&format!(
            "evalplus\tcoding\t{}\t{}\t{today}\t{}\tpercent\t{}\n",
            row.metric,
            copy_field(&row.name),
            row.value,
            copy_field(&row.extra)
        ));
    }
    let mut connection = pool.acquire().await?;
    let mut sink = connection
        .copy_in_raw(
            "COPY observations (source, category, metric, source_model_name, snapshot_date, value, \
                                unit, extra) FROM STDIN",
        )
        .await?;
    sink.send(body.into_bytes()).await?;
    sink.finish().await?;
    Ok(started.elapsed())
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// The payload with every score raised by 0.5 (same models, so the same natural keys).
fn changed_payload(document: &Document) -> anyhow::Result<Document> {
    let mut body: serde_json::Value = serde_json::from_slice(&document.body)?;
    if let Some(entries) = body.as_object_mut() {
        for entry in entries.values_mut() {
            for key in ["humaneval+", "mbpp+"] {
                if let Some(score) = entry["pass@1"][key].as_f64() {
                    entry["pass@1"][key] = serde_json::json!(score + 0.5);
                }
            }
        }
    }
    Ok(Document::from_body(
        document.key.clone(),
        document.url.clone(),
        serde_json::to_vec(&body)?,
    ))
}

/// Runs the real path once on an empty table and returns its duration.
async fn real_path(
    ingestor: &Ingestor,
    pool: &PgPool,
    document: &Document,
    count: usize,
) -> anyhow::Result<Duration> {
    truncate(pool).await?;
    let started = Instant::now();
    let outcome = ingestor
        .ingest_documents(
            "evalplus",
            vec![document.clone()],
            Trigger::Manual,
            Some("bench"),
        )
        .await?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        outcome.status == OutcomeStatus::Succeeded && outcome.inserted as usize == count,
        "unexpected outcome: {outcome:?}"
    );
    Ok(elapsed)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    // `RUST_LOG=benchhub_ingest=debug` shows the pipeline's phase timings.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let db = TestDb::new().await?;
    let config = Config::for_tests(&db.url);
    let ingestor = Ingestor::new(
        db.pool.clone(),
        config.sources.clone(),
        config.pipeline_settings(),
    )?;
    let generator = Generator::new(2026, MODELS, Generator::default_date());
    let payload = generator
        .respond("evalplus", "GET", "/results.json", "", b"")
        .ok_or_else(|| anyhow::anyhow!("no evalplus payload"))?;
    let payload_bytes = payload.body.len();
    let document = Document::from_body("results", "bench://evalplus/results.json", payload.body);
    let today = chrono::Utc::now().date_naive();

    // Where the in-process time goes (no database).
    let started = Instant::now();
    let baseline_rows = rows(std::slice::from_ref(&document), today)?;
    let parse_time = started.elapsed();
    let count = baseline_rows.len();
    let (models, aliases) = benchhub_ingest::domain::seed::catalog_seed()?;
    let matcher = benchhub_ingest::domain::matcher::Matcher::new(models, aliases);
    let started = Instant::now();
    let matched = baseline_rows
        .iter()
        .filter(|row| {
            matcher
                .resolve(&benchhub_ingest::domain::matcher::NameQuery::new(
                    "evalplus", &row.name,
                ))
                .is_some()
        })
        .count();
    let match_time = started.elapsed();
    let memory_before = peak_memory_kib().unwrap_or(0);

    // Best of two runs of each path, each on an empty table (the machine is shared).
    let first = real_path(&ingestor, &db.pool, &document, count).await?;
    let memory_after = peak_memory_kib().unwrap_or(0);
    let real = first.min(real_path(&ingestor, &db.pool, &document, count).await?);

    // The same payload again: the hash matches, nothing is rewritten.
    let started = Instant::now();
    let again = ingestor
        .ingest_documents(
            "evalplus",
            vec![document.clone()],
            Trigger::Manual,
            Some("bench"),
        )
        .await?;
    let unchanged = started.elapsed();
    anyhow::ensure!(again.status == OutcomeStatus::Skipped, "{again:?}");

    // The same date with every value changed: the UNNEST `ON CONFLICT DO UPDATE` path.
    let changed = changed_payload(&document)?;
    let started = Instant::now();
    let updated = ingestor
        .ingest_documents("evalplus", vec![changed], Trigger::Manual, Some("bench"))
        .await?;
    let update_path = started.elapsed();
    anyhow::ensure!(
        updated.updated as usize == count && updated.inserted == 0,
        "{updated:?}"
    );

    let mut copied = Duration::MAX;
    for _ in 0..2 {
        truncate(&db.pool).await?;
        copied = copied.min(copy(&db.pool, &baseline_rows, today).await?);
    }
    truncate(&db.pool).await?;
    let sample = &baseline_rows[..AUTOCOMMIT_SAMPLE.min(count)];
    let sampled = naive_autocommit(&db.pool, sample, today).await?;
    let autocommit = sampled.mul_f64(count as f64 / sample.len() as f64);
    truncate(&db.pool).await?;
    let one_transaction = naive(&db.pool, &baseline_rows, today).await?;

    let rate = |duration: Duration| count as f64 / seconds(duration);
    let slower = |duration: Duration| seconds(duration) / seconds(real);
    println!(
        "## ingest benchmark: {count} observations ({MODELS} models, {:.1} MB EvalPlus payload), best of 2\n",
        payload_bytes as f64 / 1e6
    );
    println!("| path | time | observations/s | vs real path |");
    println!("|---|---:|---:|---:|");
    println!(
        "| real pipeline, new snapshot date (lock, run, parse, match, COPY, renormalise, raw payload, state, commit) | {:.3} s | {:.0} | 1.00 |",
        seconds(real),
        rate(real)
    );
    println!(
        "| real pipeline, same date with every value changed (UNNEST INSERT … ON CONFLICT DO UPDATE, renormalise) | {:.3} s | {:.0} | {:.2} |",
        seconds(update_path),
        rate(update_path),
        slower(update_path)
    );
    println!(
        "| (a) naive row-by-row INSERT … ON CONFLICT, a commit per row ({AUTOCOMMIT_SAMPLE} rows measured, {:.3} s, extrapolated) | {:.3} s | {:.0} | {:.1}× slower |",
        seconds(sampled),
        seconds(autocommit),
        rate(autocommit),
        slower(autocommit)
    );
    println!(
        "| (a') naive row-by-row INSERT … ON CONFLICT, one transaction | {:.3} s | {:.0} | {:.1}× slower |",
        seconds(one_transaction),
        rate(one_transaction),
        slower(one_transaction)
    );
    println!(
        "| (b) raw COPY of the same rows into the same table | {:.3} s | {:.0} | real path = {:.0}% of COPY speed |",
        seconds(copied),
        rate(copied),
        100.0 * seconds(copied) / seconds(real)
    );
    println!(
        "| unchanged payload again (skipped by hash) | {:.3} s | – | – |",
        seconds(unchanged)
    );
    println!();
    println!(
        "> in-process share of the real path: parse {:.3} s, name matching {:.3} s ({matched} of {count} matched the seed catalog)",
        seconds(parse_time),
        seconds(match_time)
    );
    println!(
        "> targets: ≥ 20× naive (a) → {:.1}× {}; ≥ 50% of COPY (b) → {:.0}% {}",
        slower(autocommit),
        if slower(autocommit) >= 20.0 {
            "met"
        } else {
            "NOT met"
        },
        100.0 * seconds(copied) / seconds(real),
        if seconds(copied) / seconds(real) >= 0.5 {
            "met"
        } else {
            "NOT met"
        },
    );
    println!(
        "> peak memory (VmHWM): {:.1} MiB after the first real-path ingest ({:.1} MiB before it, with the payload generated and parsed once)",
        memory_after as f64 / 1024.0,
        memory_before as f64 / 1024.0
    );
    Ok(())
}
