//! Every model of the fixtures README's spelling table, as each adapter parses it from the shared
//! fixtures, lands on one canonical model once the catalog is built from the seed, models.dev and
//! OpenRouter.

use std::path::Path;

use benchhub_ingest::domain::adapters::{self, Document, SourceContext, ecologits};
use benchhub_ingest::domain::matcher::Matcher;
use benchhub_ingest::domain::observation::Parsed;
use benchhub_ingest::domain::seed::catalog_seed;
use chrono::NaiveDate;

fn context() -> SourceContext {
    SourceContext {
        base_url: "http://upstream.test".to_owned(),
        secondary_url: "http://tasks.test".to_owned(),
        secret: None,
        today: NaiveDate::from_ymd_opt(2026, 7, 1).expect("valid"),
        concurrency: 1,
    }
}

fn document(directory: &Path, relative: &str, key: &str) -> Document {
    let path = directory.join(relative);
    let body = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    Document::from_body(key, relative, body)
}

fn parse(source: &str, documents: &[Document]) -> Parsed {
    adapters::adapter(source)
        .expect("adapter")
        .parse(documents, &context())
        .unwrap_or_else(|error| panic!("{source}: {error}"))
}

/// (source, upstream name as the adapter stores it) per canonical model.
const TABLE: &[(&str, &[(&str, &str)])] = &[
    (
        "openai/gpt-4o",
        &[
            ("lmarena", "gpt-4o-2024-08-06"),
            ("openrouter", "openai/gpt-4o-2024-08-06"),
            ("modelsdev", "openai/gpt-4o-2024-08-06"),
            ("bigcodebench", "GPT-4o-2024-08-06"),
            ("evalplus", "GPT 4o (Aug 2024)"),
            ("livecodebench", "GPT-4O-2024-08-06"),
            ("swebench", "MASAI + GPT 4o (2024-06-12)"),
            ("ecologits", "openai/gpt-4o-2024-08-06"),
        ],
    ),
    (
        "anthropic/claude-3-5-sonnet",
        &[
            ("lmarena", "claude-3-5-sonnet-20241022"),
            ("openrouter", "anthropic/claude-3.5-sonnet"),
            ("modelsdev", "anthropic/claude-3-5-sonnet-20241022"),
            ("bigcodebench", "Claude-3.5-Sonnet-20241022"),
            ("livecodebench", "Claude-3.5-Sonnet-20241022"),
            ("swebench", "SWE-agent + Claude 3.5 Sonnet"),
            ("artificialanalysis", "claude-35-sonnet"),
        ],
    ),
    (
        "anthropic/claude-opus-4-5",
        &[
            ("lmarena", "claude-opus-4-5-20251101"),
            ("lmarena", "claude-opus-4-5-20251101-thinking-32k"),
            ("openrouter", "anthropic/claude-opus-4.5"),
            ("modelsdev", "anthropic/claude-opus-4-5"),
            ("modelsdev", "anthropic/claude-opus-4-5-20251101"),
            ("swebench", "Claude 4.5 Opus medium (20251101)"),
            ("ecologits", "anthropic/claude-opus-4-5-20251101"),
            ("livebench", "claude-opus-4-5-20251101-high-effort"),
            ("artificialanalysis", "claude-opus-4-5-thinking"),
        ],
    ),
    (
        "deepseek/deepseek-v3",
        &[
            ("lmarena", "deepseek-v3"),
            ("openrouter", "deepseek/deepseek-chat"),
            ("modelsdev", "deepseek/deepseek-chat"),
            ("bigcodebench", "DeepSeek-V3"),
            ("evalplus", "DeepSeek-V3 (Nov 2024)"),
            ("livecodebench", "DeepSeek-V3"),
            ("swebench", "KGCompass + DeepSeek V3"),
        ],
    ),
    (
        "google/gemini-2.5-pro",
        &[
            ("lmarena", "gemini-2.5-pro"),
            ("openrouter", "google/gemini-2.5-pro"),
            ("modelsdev", "google/gemini-2.5-pro"),
            ("bigcodebench", "Gemini-2.5-Pro-Exp-03-25"),
            ("livecodebench", "Gemini-2.5-Pro"),
            ("swebench", "Gemini 2.5 Pro (2025-05-06)"),
            ("ecologits", "google_genai/gemini-2.5-pro"),
            ("livebench", "gemini-2.5-pro-06-05-highthinking"),
            ("artificialanalysis", "gemini-2-5-pro"),
        ],
    ),
];

#[test]
fn every_spelling_lands_on_one_canonical_model() {
    let Some(directory) = benchhub_testkit::fixtures_dir() else {
        return;
    };
    let directory = directory.as_path();
    let mut parsed: Vec<(&str, Parsed)> = vec![
        (
            "lmarena",
            parse(
                "lmarena",
                &[
                    document(
                        directory,
                        "lmarena/datasets_server/rows_text_latest_offset0.json",
                        "text:0",
                    ),
                    document(
                        directory,
                        "lmarena/datasets_server/rows_webdev_latest_offset0.json",
                        "webdev:0",
                    ),
                    document(
                        directory,
                        "lmarena/datasets_server/rows_vision_latest_offset0.RECONSTRUCTED.json",
                        "vision:0",
                    ),
                    document(
                        directory,
                        "lmarena/arena_catalog/leaderboard-text.json",
                        "catalog:text",
                    ),
                ],
            ),
        ),
        (
            "modelsdev",
            parse(
                "modelsdev",
                &[document(directory, "modelsdev/api.json", "api")],
            ),
        ),
        (
            "bigcodebench",
            parse(
                "bigcodebench",
                &[
                    document(directory, "bigcodebench/results.json", "full"),
                    document(directory, "bigcodebench/results-hard.json", "hard"),
                ],
            ),
        ),
        (
            "evalplus",
            parse(
                "evalplus",
                &[document(directory, "evalplus/results.json", "results")],
            ),
        ),
        (
            "livecodebench",
            parse(
                "livecodebench",
                &[document(
                    directory,
                    "livecodebench/performances_generation.json",
                    "performances",
                )],
            ),
        ),
        (
            "swebench",
            parse(
                "swebench",
                &[document(
                    directory,
                    "swebench/leaderboards.json",
                    "leaderboards",
                )],
            ),
        ),
        (
            "artificialanalysis",
            parse(
                "artificialanalysis",
                &[document(
                    directory,
                    "artificialanalysis/data_llms_models.RECONSTRUCTED.json",
                    "models:1",
                )],
            ),
        ),
        (
            "livebench",
            parse(
                "livebench",
                &[
                    document(
                        directory,
                        "livebench/categories_2026_01_08.json",
                        "categories:2026_01_08",
                    ),
                    document(
                        directory,
                        "livebench/table_2026_01_08.csv",
                        "table:2026_01_08",
                    ),
                ],
            ),
        ),
    ];
    // Both OpenRouter dumps: some spellings exist in only one of them.
    let mut openrouter = parse(
        "openrouter",
        &[document(
            directory,
            "openrouter/api_v1_models_2025-12-02.json",
            "models",
        )],
    );
    let newer = parse(
        "openrouter",
        &[document(
            directory,
            "openrouter/api_v1_models_2026-05.json",
            "models",
        )],
    );
    openrouter.observations.extend(newer.observations);
    openrouter.models.extend(newer.models);
    parsed.push(("openrouter", openrouter));

    let (models, aliases) = catalog_seed().expect("seed");
    let mut matcher = Matcher::new(models, aliases);
    for (source, result) in &parsed {
        if matches!(*source, "modelsdev" | "openrouter") {
            matcher.apply_records(source, &result.models);
        }
    }

    let mut ecologits_names = Vec::new();
    for provider in ["openai", "anthropic", "google_genai"] {
        let models = ecologits::parse_models(&document(
            directory,
            &format!("ecologits/v1beta_models_{provider}.json"),
            "models",
        ))
        .expect("ecologits models");
        ecologits_names.extend(models.iter().map(ecologits::EcoModel::source_name));
    }

    let mut failures = Vec::new();
    for (expected, spellings) in TABLE {
        for (source, name) in *spellings {
            let match_name = if *source == "ecologits" {
                assert!(
                    ecologits_names.iter().any(|known| known == name),
                    "{name} not in EcoLogits lists"
                );
                None
            } else {
                let (_, result) = parsed
                    .iter()
                    .find(|(parsed_source, _)| parsed_source == source)
                    .expect("parsed source");
                let observation = result
                    .observations
                    .iter()
                    .find(|observation| observation.source_model_name == *name)
                    .unwrap_or_else(|| panic!("{source}: '{name}' not in the parsed fixtures"));
                observation.match_name.clone()
            };
            let resolved = matcher.resolve(source, name, match_name.as_deref());
            if resolved.as_deref() != Some(*expected) {
                failures.push(format!(
                    "{source} '{name}' → {resolved:?}, expected {expected}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
