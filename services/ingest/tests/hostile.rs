//! Hostile input for every upstream parser: each adapter's `parse` is fed arbitrary bytes, arbitrary
//! JSON and mutated real fixture payloads (truncated, a value's type changed, keys removed). It must
//! never panic and must answer a clean `Result`: an error, or observations with finite values.

#![allow(unused_crate_dependencies)] // a binary, test or bench target sees every dependency of its package

use std::sync::OnceLock;

use benchhub_ingest::domain::adapters::{self, Document, SourceContext, mteb};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value};

/// One document a source's `parse` reads: its key and where a real sample lives.
struct Input {
    key: &'static str,
    fixture: Fixture,
}

/// Where a sample payload comes from.
enum Fixture {
    /// A file under the shared fixtures directory.
    File(&'static str),
    /// The adapter's built-in MTEB seed.
    MtebSeed,
}

const fn file(key: &'static str, path: &'static str) -> Input {
    Input {
        key,
        fixture: Fixture::File(path),
    }
}

/// Every source with the documents its `parse` reads.
const SOURCES: &[(&str, &[Input])] = &[
    (
        "lmarena",
        &[
            file(
                "text:0",
                "lmarena/datasets_server/rows_text_latest_offset0.json",
            ),
            file(
                "webdev:0",
                "lmarena/datasets_server/rows_webdev_latest_offset0.json",
            ),
            file(
                "vision:0",
                "lmarena/datasets_server/rows_vision_latest_offset0.RECONSTRUCTED.json",
            ),
            file(
                "catalog:vision",
                "lmarena/arena_catalog/leaderboard-vision.json",
            ),
        ],
    ),
    (
        "artificialanalysis",
        &[file(
            "models:1",
            "artificialanalysis/data_llms_models.docs_example.json",
        )],
    ),
    (
        "ecologits",
        &[
            file("providers", "ecologits/v1beta_providers.json"),
            file("models:openai", "ecologits/v1beta_models_openai.json"),
            file(
                "estimation:openai/gpt-4o-mini",
                "ecologits/v1beta_estimations_openai_gpt-4o-mini.json",
            ),
            file(
                "estimation:mistralai/mistral-large-latest",
                "ecologits/v1beta_estimations_mistralai_mistral-large-latest.json",
            ),
            file(
                "estimation:openai/no-such-model",
                "ecologits/v1beta_estimations_unknown_model.json",
            ),
        ],
    ),
    (
        "openrouter",
        &[file("models", "openrouter/api_v1_models_2025-12-02.json")],
    ),
    ("modelsdev", &[file("api", "modelsdev/api.subset.json")]),
    ("evalplus", &[file("results", "evalplus/results.json")]),
    (
        "bigcodebench",
        &[
            file("full", "bigcodebench/results.json"),
            file("hard", "bigcodebench/results-hard.json"),
        ],
    ),
    (
        "swebench",
        &[file("leaderboards", "swebench/leaderboards.json")],
    ),
    (
        "livecodebench",
        &[file(
            "performances",
            "livecodebench/performances_generation.json",
        )],
    ),
    (
        "mteb",
        &[Input {
            key: "seed",
            fixture: Fixture::MtebSeed,
        }],
    ),
    (
        "arc-agi",
        &[
            file(
                "task:arc_agi_v1_public_eval/00576224",
                "arc-agi/tasks/arc-agi-1/evaluation/00576224.json",
            ),
            file(
                "pred:arc_agi_v1_public_eval/claude_sonnet_20241022/00576224",
                "arc-agi/predictions_legacy/claude_sonnet_20241022/00576224.json",
            ),
            file(
                "task:arc_agi_v1_public_eval/0d3d703e",
                "arc-agi/tasks/arc-agi-1/training/0d3d703e.json",
            ),
            file(
                "pred:arc_agi_v1_public_eval/o1-pro-2025-03-19/0d3d703e",
                "arc-agi/predictions/arc_agi_v1_public_eval/o1-pro-2025-03-19/0d3d703e.json",
            ),
        ],
    ),
    (
        "livebench",
        &[
            file(
                "categories:2026_01_08",
                "livebench/categories_2026_01_08.json",
            ),
            file("table:2026_01_08", "livebench/table_2026_01_08.csv"),
        ],
    ),
];

/// Field names the adapters look for, so generated objects reach past the first shape check.
const FIELD_NAMES: &[&str] = &[
    "Pass@1",
    "pass@1",
    "answer",
    "as_of",
    "benchmark",
    "category",
    "completion",
    "context_length",
    "created",
    "data",
    "date",
    "energy",
    "evaluations",
    "full",
    "gwp",
    "id",
    "impacts",
    "kind",
    "leaderboard_publish_date",
    "leaderboards",
    "main_score",
    "max",
    "mean",
    "min",
    "model",
    "model_name",
    "model_repr",
    "models",
    "name",
    "organization",
    "output",
    "performances",
    "pricing",
    "prompt",
    "provider",
    "providers",
    "rating",
    "rating_lower",
    "rating_upper",
    "release_date",
    "resolved",
    "results",
    "row",
    "rows",
    "scores",
    "tags",
    "test",
    "type",
    "value",
    "vote_count",
];

fn context() -> SourceContext {
    SourceContext {
        base_url: "http://upstream.test".to_owned(),
        secondary_url: "http://tasks.test".to_owned(),
        secret: None,
        today: NaiveDate::from_ymd_opt(2026, 7, 1).expect("valid date"),
        concurrency: 4,
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs one source's `parse` and checks the answer is clean.
fn check(source: &str, documents: &[Document]) -> Result<(), TestCaseError> {
    let adapter = adapters::adapter(source).expect("every listed source has an adapter");
    match adapter.parse(documents, &context()) {
        Err(error) => {
            prop_assert!(!error.to_string().is_empty(), "{source}: empty error text");
        }
        Ok(parsed) => {
            for observation in &parsed.observations {
                prop_assert!(
                    observation.value.is_finite(),
                    "{source}: non-finite value {observation:?}"
                );
                for bound in [observation.ci_low, observation.ci_high]
                    .into_iter()
                    .flatten()
                {
                    prop_assert!(
                        bound.is_finite(),
                        "{source}: non-finite bound {observation:?}"
                    );
                }
                prop_assert!(!observation.metric.is_empty(), "{source}: empty metric");
            }
        }
    }
    Ok(())
}

fn documents(inputs: &[Input], bodies: Vec<Vec<u8>>) -> Vec<Document> {
    inputs
        .iter()
        .zip(bodies)
        .map(|(input, body)| Document::from_body(input.key, "http://upstream.test/doc", body))
        .collect()
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(-1),
            Just(0),
            Just(1_700_000_000_000)
        ]
        .prop_map(Value::from),
        any::<f64>().prop_map(|number| serde_json::Number::from_f64(number)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        Just(Value::from(1e308)),
        "[a-zA-Z0-9 .:/_@-]{0,16}".prop_map(Value::String),
        prop_oneof![
            Just("NaN"),
            Just("inf"),
            Just("-1"),
            Just("2026-01-08"),
            Just("1e999"),
            Just("")
        ]
        .prop_map(|text| Value::String(text.to_owned())),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        4 => prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
                        1 => "[a-z_]{1,8}",
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[test]
fn arbitrary_bytes_never_panic_any_parser() {
    for (source, inputs) in SOURCES {
        let bodies = prop::collection::vec(
            prop::collection::vec(any::<u8>(), 0..512),
            inputs.len()..=inputs.len(),
        );
        runner(96)
            .run(&bodies, |bodies| check(source, &documents(inputs, bodies)))
            .unwrap_or_else(|error| panic!("{source}: {error}"));
    }
}

#[test]
fn arbitrary_json_never_panics_any_parser() {
    for (source, inputs) in SOURCES {
        let bodies = prop::collection::vec(
            arbitrary_json().prop_map(|value| value.to_string().into_bytes()),
            inputs.len()..=inputs.len(),
        );
        runner(128)
            .run(&bodies, |bodies| check(source, &documents(inputs, bodies)))
            .unwrap_or_else(|error| panic!("{source}: {error}"));
    }
}

/// A fixture's bytes and, when it is JSON, its parsed value.
struct Sample {
    bytes: Vec<u8>,
    json: Option<Value>,
}

/// Loads every source's samples once; `None` when the fixtures directory is absent.
fn samples() -> Option<&'static [Vec<Sample>]> {
    static SAMPLES: OnceLock<Option<Vec<Vec<Sample>>>> = OnceLock::new();
    SAMPLES
        .get_or_init(|| {
            let directory = benchhub_testkit::fixtures_dir()?;
            let all = SOURCES
                .iter()
                .map(|(_, inputs)| {
                    inputs
                        .iter()
                        .map(|input| {
                            let bytes = match input.fixture {
                                Fixture::File(path) => {
                                    let path = directory.join(path);
                                    std::fs::read(&path).unwrap_or_else(|error| {
                                        panic!("reading {}: {error}", path.display())
                                    })
                                }
                                Fixture::MtebSeed => mteb::seed_document().body.to_vec(),
                            };
                            let json = serde_json::from_slice(&bytes).ok();
                            Sample { bytes, json }
                        })
                        .collect()
                })
                .collect();
            Some(all)
        })
        .as_deref()
}

/// One random change to a payload.
#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the bytes at a fraction (per mille) of their length.
    Truncate(u16),
    /// Walk to a container along `path`, then replace one child with `value`.
    Retype { path: Vec<u16>, value: Value },
    /// Walk to a container along `path`, then remove one child.
    Remove { path: Vec<u16> },
    /// Overwrite one byte at a fraction (per mille) of the length.
    Flip(u16, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let path = || prop::collection::vec(any::<u16>(), 0..12);
    let replacement = prop_oneof![
        Just(Value::Null),
        Just(Value::Bool(true)),
        Just(Value::from(-1)),
        Just(Value::from(i64::MIN)),
        Just(Value::from(1e308)),
        Just(Value::from("not a number")),
        Just(Value::from("")),
        Just(Value::Array(Vec::new())),
        Just(Value::Object(Map::new())),
        Just(serde_json::json!([[1, 2], {"x": null}])),
    ];
    prop_oneof![
        (0u16..1000).prop_map(Mutation::Truncate),
        (path(), replacement).prop_map(|(path, value)| Mutation::Retype { path, value }),
        path().prop_map(|path| Mutation::Remove { path }),
        (0u16..1000, any::<u8>()).prop_map(|(at, byte)| Mutation::Flip(at, byte)),
    ]
}

/// Descends along `path` while containers last, returning the deepest non-empty container.
fn walk<'a>(mut value: &'a mut Value, path: &[u16]) -> Option<&'a mut Value> {
    for step in path {
        let next_index = match value {
            Value::Array(items) if !items.is_empty() => usize::from(*step) % items.len(),
            Value::Object(map) if !map.is_empty() => usize::from(*step) % map.len(),
            _ => break,
        };
        let descend = match value {
            Value::Array(items) => {
                matches!(
                    items[next_index],
                    Value::Array(ref inner) if !inner.is_empty()
                ) || matches!(items[next_index], Value::Object(ref inner) if !inner.is_empty())
            }
            Value::Object(map) => map
                .values()
                .nth(next_index)
                .is_some_and(|child| match child {
                    Value::Array(inner) => !inner.is_empty(),
                    Value::Object(inner) => !inner.is_empty(),
                    _ => false,
                }),
            _ => false,
        };
        if !descend {
            break;
        }
        value = match value {
            Value::Array(items) => &mut items[next_index],
            Value::Object(map) => map.values_mut().nth(next_index)?,
            _ => return None,
        };
    }
    match value {
        Value::Array(items) if !items.is_empty() => Some(value),
        Value::Object(map) if !map.is_empty() => Some(value),
        _ => None,
    }
}

fn apply(sample: &Sample, mutation: &Mutation) -> Vec<u8> {
    let at = |per_mille: u16| sample.bytes.len() * usize::from(per_mille) / 1000;
    match mutation {
        Mutation::Truncate(per_mille) => sample.bytes[..at(*per_mille)].to_vec(),
        Mutation::Flip(per_mille, byte) => {
            let mut bytes = sample.bytes.clone();
            if let Some(slot) = bytes.get_mut(at(*per_mille)) {
                *slot = *byte;
            }
            bytes
        }
        Mutation::Retype { path, .. } | Mutation::Remove { path } if sample.json.is_some() => {
            let mut json = sample.json.clone().expect("checked");
            let choice = path.last().copied().map_or(0, usize::from);
            if let Some(container) = walk(&mut json, path) {
                let replacement = match mutation {
                    Mutation::Retype { value, .. } => Some(value.clone()),
                    _ => None,
                };
                match container {
                    Value::Array(items) => {
                        let index = choice % items.len();
                        match replacement {
                            Some(value) => items[index] = value,
                            None => {
                                items.remove(index);
                            }
                        }
                    }
                    Value::Object(map) => {
                        let key = map.keys().nth(choice % map.len()).cloned();
                        if let Some(key) = key {
                            match replacement {
                                Some(value) => {
                                    map.insert(key, value);
                                }
                                None => {
                                    map.remove(&key);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            serde_json::to_vec(&json).expect("serialises")
        }
        // Not JSON (a CSV table): remove a line instead.
        Mutation::Retype { path, .. } | Mutation::Remove { path } => {
            let text = String::from_utf8_lossy(&sample.bytes);
            let lines: Vec<&str> = text.lines().collect();
            let skip = path.first().map_or(0, |step| usize::from(*step)) % lines.len().max(1);
            lines
                .iter()
                .enumerate()
                .filter(|(index, _)| *index != skip)
                .map(|(_, line)| *line)
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        }
    }
}

#[test]
fn mutated_fixtures_never_panic_any_parser() {
    let Some(samples) = samples() else {
        return;
    };
    for ((source, inputs), samples) in SOURCES.iter().zip(samples) {
        // The unmutated samples parse (a sanity check that the keys above match the adapters).
        let originals: Vec<Vec<u8>> = samples.iter().map(|sample| sample.bytes.clone()).collect();
        let parsed = adapters::adapter(source)
            .expect("adapter")
            .parse(&documents(inputs, originals), &context())
            .unwrap_or_else(|error| panic!("{source}: the real samples parse: {error}"));
        assert!(
            !parsed.observations.is_empty() || !parsed.models.is_empty(),
            "{source}: the real samples yield something"
        );
        let strategy = (0..samples.len(), prop::collection::vec(mutation(), 1..4));
        runner(64)
            .run(&strategy, |(target, mutations)| {
                let mut bodies: Vec<Vec<u8>> =
                    samples.iter().map(|sample| sample.bytes.clone()).collect();
                let mut current = Sample {
                    bytes: samples[target].bytes.clone(),
                    json: samples[target].json.clone(),
                };
                for mutation in &mutations {
                    let bytes = apply(&current, mutation);
                    current = Sample {
                        json: serde_json::from_slice(&bytes).ok(),
                        bytes,
                    };
                }
                bodies[target] = current.bytes;
                check(source, &documents(inputs, bodies))
            })
            .unwrap_or_else(|error| panic!("{source}: {error}"));
    }
}

/// Values at the edges of their types, placed where each adapter expects a number.
fn extreme_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::from(i64::MIN)),
        Just(Value::from(i64::MAX)),
        Just(Value::from(u64::MAX)),
        Just(Value::from(-1e308)),
        Just(Value::from(1e308)),
        Just(Value::from(f64::MIN_POSITIVE)),
        Just(Value::from(-0.0)),
        Just(Value::from("1e400")),
        Just(Value::from("-inf")),
        any::<i64>().prop_map(Value::from),
    ]
}

#[test]
fn extreme_numbers_in_well_formed_payloads_never_panic() {
    let date = prop_oneof![
        extreme_number(),
        Just(Value::from(1_767_830_400_000_i64)),
        Just(Value::from(i64::MIN + 1)),
    ];
    let rows = prop::collection::vec((date, extreme_number()), 1..6);
    runner(128)
        .run(&rows, |rows| {
            let performances: Vec<Value> = rows
                .iter()
                .map(|(date, score)| serde_json::json!({"model": "m", "date": date, "pass@1": score}))
                .collect();
            let body = serde_json::json!({"performances": performances, "models": []});
            let documents = [Document::from_body(
                "performances",
                "http://upstream.test/doc",
                body.to_string(),
            )];
            check("livecodebench", &documents)?;
            let results: Vec<Value> = rows
                .iter()
                .map(|(resolved, _)| serde_json::json!({"name": "s", "resolved": resolved}))
                .collect();
            let body = serde_json::json!({"leaderboards": [{"name": "bash-only", "results": results}, {"name": "Verified", "results": results}]});
            let documents = [Document::from_body(
                "leaderboards",
                "http://upstream.test/doc",
                body.to_string(),
            )];
            check("swebench", &documents)
        })
        .unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn huge_scores_in_one_window_stay_finite() {
    let row = serde_json::json!({"model": "m", "date": 1_767_830_400_000_i64, "pass@1": 1e308});
    let body = serde_json::json!({"performances": [row, row, row], "models": []});
    let documents = [Document::from_body(
        "performances",
        "http://upstream.test/doc",
        body.to_string(),
    )];
    check("livecodebench", &documents).unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn non_numeric_float_spellings_in_a_livebench_table_stay_finite() {
    let categories = Document::from_body(
        "categories:2026_01_08",
        "http://upstream.test/doc",
        r#"{"Coding": ["a", "b"], "Math": ["c"]}"#,
    );
    let table = Document::from_body(
        "table:2026_01_08",
        "http://upstream.test/doc",
        "model,a,b,c\nm,NaN,50,inf\nn,1e308,1e308,40\no,40,50,60\n",
    );
    check("livebench", &[categories, table]).unwrap_or_else(|error| panic!("{error}"));
}
