//! Feeds arbitrary documents to every upstream adapter's `parse`. The first byte picks the source;
//! the rest is split on `0xFF` bytes into the bodies of the documents that source reads. `parse`
//! must answer a `Result` and every observation it returns must hold finite values.

#![no_main]

use benchhub_ingest::domain::adapters::{self, Document, SourceContext};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

/// Every source with the document keys its `parse` reads.
const SOURCES: &[(&str, &[&str])] = &[
    (
        "lmarena",
        &["text:0", "webdev:0", "vision:0", "catalog:text"],
    ),
    ("artificialanalysis", &["models:1"]),
    (
        "ecologits",
        &[
            "providers",
            "models:openai",
            "estimation:openai/gpt-4o-mini",
            "estimation:openai/gpt-4o",
        ],
    ),
    ("openrouter", &["models"]),
    ("modelsdev", &["api"]),
    ("evalplus", &["results"]),
    ("bigcodebench", &["full", "hard"]),
    ("swebench", &["leaderboards"]),
    ("livecodebench", &["performances"]),
    ("mteb", &["seed"]),
    (
        "arc-agi",
        &[
            "task:arc_agi_v1_public_eval/00576224",
            "pred:arc_agi_v1_public_eval/model/00576224",
            "pred:arc_agi_v1_public_eval/model/missing",
        ],
    ),
    ("livebench", &["categories:2026_01_08", "table:2026_01_08"]),
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    let (source, keys) = SOURCES[usize::from(*selector) % SOURCES.len()];
    let mut bodies = rest.split(|byte| *byte == 0xFF);
    let documents: Vec<Document> = keys
        .iter()
        .map(|key| {
            let body = bodies.next().unwrap_or_default().to_vec();
            Document::from_body(*key, "http://upstream.test/doc", body)
        })
        .collect();
    let context = SourceContext {
        base_url: "http://upstream.test".to_owned(),
        secondary_url: "http://tasks.test".to_owned(),
        secret: None,
        today: NaiveDate::from_ymd_opt(2026, 7, 1).expect("valid date"),
        concurrency: 4,
    };
    let adapter = adapters::adapter(source).expect("every listed source has an adapter");
    if let Ok(parsed) = adapter.parse(&documents, &context) {
        for observation in &parsed.observations {
            assert!(observation.value.is_finite(), "{source}: {observation:?}");
            for bound in [observation.ci_low, observation.ci_high]
                .into_iter()
                .flatten()
            {
                assert!(bound.is_finite(), "{source}: {observation:?}");
            }
        }
    }
});
