//! The write path on one snapshot date across runs: the COPY path for a new date, the upsert path
//! afterwards, cohort renormalisation over the stored cohort, and escaping.

use benchhub_ingest::Config;
use benchhub_ingest::domain::adapters::Document;
use benchhub_ingest::service::{Ingestor, OutcomeStatus, Trigger};
use benchhub_testkit::TestDb;

fn evalplus(scores: &[(&str, f64)]) -> Document {
    let mut body = serde_json::Map::new();
    for (name, score) in scores {
        body.insert(
            (*name).to_owned(),
            serde_json::json!({"pass@1": {"humaneval+": score}, "link": "x"}),
        );
    }
    Document::from_body(
        "results",
        "test://evalplus/results.json",
        serde_json::to_vec(&body).expect("json"),
    )
}

async fn normalized(db: &TestDb) -> Vec<(String, f64)> {
    sqlx::query_as(
        "SELECT source_model_name, normalized FROM observations WHERE source = 'evalplus' \
         ORDER BY source_model_name",
    )
    .fetch_all(&db.pool)
    .await
    .expect("rows")
}

#[tokio::test]
async fn cohorts_stay_correct_across_runs_of_one_day() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let config = Config::for_tests(&db.url);
    let ingestor = Ingestor::new(
        db.pool.clone(),
        config.sources.clone(),
        config.pipeline_settings(),
    )?;
    let odd = "we\tird \\ name\nwith breaks";
    let ingest = |scores: Vec<(&'static str, f64)>| {
        let ingestor = &ingestor;
        async move {
            ingestor
                .ingest_documents(
                    "evalplus",
                    vec![evalplus(&scores)],
                    Trigger::Manual,
                    Some("test"),
                )
                .await
        }
    };
    // A new date: COPY path.
    let first = ingestor
        .ingest_documents(
            "evalplus",
            vec![evalplus(&[
                ("a", 0.0),
                ("b", 50.0),
                ("c", 200.0),
                (odd, 100.0),
            ])],
            Trigger::Manual,
            Some("test"),
        )
        .await?;
    assert_eq!((first.inserted, first.updated), (4, 0));
    let rows = normalized(&db).await;
    assert!(rows.contains(&("b".to_owned(), 25.0)), "{rows:?}");
    assert!(
        rows.contains(&(odd.to_owned(), 50.0)),
        "escaped name round-trips: {rows:?}"
    );

    // The same date again with c lowered: upsert path, and b (untouched) must be rescaled.
    let second = ingest(vec![("a", 0.0), ("b", 50.0), ("c", 100.0)]).await?;
    assert_eq!((second.inserted, second.updated), (0, 1), "{second:?}");
    let rows = normalized(&db).await;
    assert!(rows.contains(&("b".to_owned(), 50.0)), "{rows:?}");
    assert!(rows.contains(&("c".to_owned(), 100.0)), "{rows:?}");
    assert!(rows.contains(&(odd.to_owned(), 100.0)), "{rows:?}");

    // A single-model payload never rescales the stored cohort on its own.
    let third = ingest(vec![("a", 0.0)]).await?;
    assert_eq!(third.status, OutcomeStatus::Succeeded);
    assert_eq!((third.inserted, third.updated), (0, 0));
    assert!(normalized(&db).await.contains(&("b".to_owned(), 50.0)));

    // A new model on an existing date goes through the upsert path and widens the cohort.
    let fourth = ingest(vec![("a", 0.0), ("b", 50.0), ("c", 100.0), ("d", 150.0)]).await?;
    assert_eq!((fourth.inserted, fourth.updated), (1, 0));
    let rows = normalized(&db).await;
    let b = rows
        .iter()
        .find(|(name, _)| name == "b")
        .map(|(_, value)| *value);
    assert!(
        b.is_some_and(|value| (value - 100.0 / 3.0).abs() < 1e-9),
        "{rows:?}"
    );
    assert!(rows.contains(&("d".to_owned(), 100.0)));
    Ok(())
}
