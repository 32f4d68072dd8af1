//! Freshness and alerts: LMArena data older than its 24-hour TTL is listed stale with the reason, and
//! the webhook (a local HTTP receiver here) gets one message per change of state: a scheduled run
//! FAILED, a scheduled run PARTIAL, a source turned stale, and each recovery; never a repeat, a secret
//! or an upstream body.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use benchhub_proto::pb;
use benchhub_testkit::authorized;
use benchhub_upstream::{Fault, FaultKind};

use crate::support::{ADMIN, Harness, generated, status};

/// A webhook receiver: every `text` posted to `/hook`, in order.
struct Receiver {
    url: String,
    texts: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start() -> anyhow::Result<Self> {
        let texts = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route(
                "/hook/T000/B000/secret-token",
                post(
                    |State(texts): State<Arc<Mutex<Vec<String>>>>,
                     Json(body): Json<serde_json::Value>| async move {
                        let text = body["text"].as_str().unwrap_or("<no text>").to_owned();
                        texts.lock().expect("lock").push(text);
                        "ok"
                    },
                ),
            )
            .with_state(Arc::clone(&texts));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!(
            "http://{}/hook/T000/B000/secret-token",
            listener.local_addr()?
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, texts })
    }

    fn texts(&self) -> Vec<String> {
        self.texts.lock().expect("lock").clone()
    }

    /// Waits until `count` messages arrived (or 20 s), then returns them all.
    async fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.texts().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.texts()
    }
}

async fn runs_of(harness: &Harness, source: &str, status: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM ingestion_runs WHERE source = $1 AND status = $2")
        .bind(source)
        .bind(status)
        .fetch_one(&harness.db.pool)
        .await
        .unwrap_or(-1)
}

async fn wait_runs(harness: &Harness, source: &str, status: &str, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while runs_of(harness, source, status).await < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn list_source(harness: &Harness, name: &str) -> anyhow::Result<pb::Source> {
    harness
        .client()
        .list_sources(authorized(pb::ListSourcesRequest::default(), ADMIN))
        .await?
        .into_inner()
        .sources
        .into_iter()
        .find(|source| source.name == name)
        .ok_or_else(|| anyhow::anyhow!("{name} not listed"))
}

/// LMArena refreshed 25 hours ago is stale (its TTL is 24 hours); refreshed now, it is not.
#[tokio::test]
async fn arena_data_older_than_its_ttl_is_listed_stale() -> anyhow::Result<()> {
    let harness = Harness::start(generated(6), |_| {}).await?;
    let result = harness.reingest("lmarena", false).await?;
    assert_eq!(status(&result), pb::RunStatus::Succeeded, "{result:?}");
    let fresh = list_source(&harness, "lmarena").await?;
    assert_eq!(fresh.ttl, "24h");
    assert!(!fresh.stale, "{fresh:?}");
    assert!(fresh.stale_reason.is_empty());
    sqlx::query(
        "UPDATE source_state SET last_success_at = now() - interval '25 hours' \
         WHERE source = 'lmarena'",
    )
    .execute(&harness.db.pool)
    .await?;
    let old = list_source(&harness, "lmarena").await?;
    assert!(old.stale, "{old:?}");
    assert!(
        old.stale_reason.contains("older than the source's 24h TTL"),
        "{}",
        old.stale_reason
    );
    // Weekly sources keep 8 days; a source with no data is empty, not stale.
    let evalplus = list_source(&harness, "evalplus").await?;
    assert_eq!(evalplus.ttl, "8d");
    assert!(!evalplus.stale);
    harness.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_hears_each_change_of_state_once() -> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    let every_second = "* * * * * *";
    let harness = Harness::start(generated(6), |config| {
        config.alert_webhook_url = Some(receiver.url.clone().into());
        config.scheduler = true;
        config.scheduler_tick = Duration::from_millis(200);
        config.http_retries = 0;
        for source in &mut config.sources {
            match source.spec.name {
                "evalplus" | "lmarena" => {
                    source.schedule = Some(cron::Schedule::from_str(every_second).expect("cron"));
                    source.schedule_text = every_second.to_owned();
                }
                _ => {
                    source.schedule = None;
                    source.schedule_text.clear();
                }
            }
            if source.spec.name == "lmarena" {
                source.secret = Some("hf_alert_test_secret".to_owned().into());
            }
        }
    })
    .await?;
    let control = harness.replay.control();
    // Scheduled runs of evalplus fail (every request 503); lmarena loses its webdev subset (404).
    control.add_fault(Fault::new("evalplus", FaultKind::Status { status: 503 }));
    let mut missing = Fault::new("lmarena", FaultKind::Status { status: 404 });
    missing.path_contains = Some("config=webdev".to_owned());
    control.add_fault(missing);
    let started = Instant::now();
    wait_runs(&harness, "evalplus", "failed", 3).await;
    wait_runs(&harness, "lmarena", "partial", 3).await;
    let texts = receiver.wait_for(2).await;
    println!("after {:?}: {texts:#?}", started.elapsed());
    assert_eq!(
        texts.len(),
        2,
        "one message per state, however many runs: {texts:#?}"
    );
    let failed = texts
        .iter()
        .find(|text| text.contains("(evalplus) FAILED"))
        .expect("evalplus failed");
    assert!(failed.contains("503"), "{failed}");
    let partial = texts
        .iter()
        .find(|text| text.contains("(lmarena) ended PARTIAL"))
        .expect("lmarena partial");
    assert!(
        partial.contains("webdev") && partial.contains("404"),
        "{partial}"
    );

    // Both recover: one message each.
    control.clear_faults();
    wait_runs(&harness, "evalplus", "succeeded", 1).await;
    let texts = receiver.wait_for(4).await;
    println!("after {:?}: {texts:#?}", started.elapsed());
    let recovered: Vec<&String> = texts
        .iter()
        .filter(|text| text.contains("recovered"))
        .collect();
    assert_eq!(recovered.len(), 2, "{texts:#?}");
    assert!(
        recovered
            .iter()
            .any(|text| text.contains("(evalplus) recovered (was failed)"))
    );
    assert!(
        recovered
            .iter()
            .any(|text| text.contains("(lmarena) recovered (was partial)"))
    );

    // A manual run's failure is its caller's to see: no alert.
    harness.replay.control().add_fault(Fault::new(
        "bigcodebench",
        FaultKind::Status { status: 503 },
    ));
    let manual = harness.reingest("bigcodebench", false).await?;
    assert_eq!(status(&manual), pb::RunStatus::Failed);
    harness.replay.control().clear_faults();
    let manual = harness.reingest("bigcodebench", false).await?;
    assert_eq!(status(&manual), pb::RunStatus::Succeeded);

    // A source nobody refreshed within its TTL turns stale once, and recovers with its next run.
    sqlx::query(
        "UPDATE source_state SET last_success_at = now() - interval '9 days' \
         WHERE source = 'bigcodebench'",
    )
    .execute(&harness.db.pool)
    .await?;
    let texts = receiver.wait_for(5).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let texts_later = receiver.texts();
    assert_eq!(
        texts.len(),
        texts_later.len(),
        "no repeat: {texts_later:#?}"
    );
    let stale = texts
        .iter()
        .find(|text| text.contains("(bigcodebench) is stale"))
        .expect("stale");
    assert!(stale.contains("older than the source's 8d TTL"), "{stale}");
    let refreshed = harness.reingest("bigcodebench", false).await?;
    assert!(matches!(
        status(&refreshed),
        pb::RunStatus::Succeeded | pb::RunStatus::Skipped
    ));
    let texts = receiver.wait_for(6).await;
    println!("after {:?}: {texts:#?}", started.elapsed());
    assert_eq!(texts.len(), 6, "{texts:#?}");
    assert!(
        texts[5].contains("(bigcodebench) recovered (was stale)"),
        "{texts:#?}"
    );

    for text in &texts {
        assert!(
            !text.contains("hf_alert_test_secret"),
            "a secret leaked: {text}"
        );
        assert!(
            !text.contains("secret-token"),
            "the webhook URL leaked: {text}"
        );
        assert!(
            !text.contains("injected fault"),
            "an upstream body leaked: {text}"
        );
    }
    harness.stop().await
}
