//! Model identity on the shared fixtures (real upstream samples), in process: the catalog is built the
//! way ReingestAll builds it (seed, models.dev, OpenRouter, then every board's records), and every
//! spelling of the fixtures README's table lands on one model per version, while the versions and
//! variants the rankings used to fuse stay apart and provider deployments fold into one.
//!
//! `BENCHHUB_IDENTITY_DUMP=<file>` writes every catalog model and every resolved name for review.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use benchhub_ingest::domain::adapters::{self, Document, SourceContext};
use benchhub_ingest::domain::matcher::{Match, Matcher, NameQuery, Origin};
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

/// Every fixture source parsed, in ReingestAll's order (metadata first), and the catalog they build.
pub(crate) struct FixtureCatalog {
    /// (source, parsed) per source.
    pub parsed: Vec<(&'static str, Parsed)>,
    /// The catalog after every record was applied.
    pub matcher: Matcher,
}

impl FixtureCatalog {
    /// Parses the fixtures and builds the catalog; `None` (with the testkit's notice) without fixtures.
    pub(crate) fn load() -> Option<Self> {
        let directory = benchhub_testkit::fixtures_dir()?;
        let directory = directory.as_path();
        let doc = |relative: &str, key: &str| document(directory, relative, key);
        let parsed: Vec<(&'static str, Parsed)> = vec![
            (
                "modelsdev",
                parse("modelsdev", &[doc("modelsdev/api.json", "api")]),
            ),
            (
                "openrouter",
                parse(
                    "openrouter",
                    &[doc("openrouter/api_v1_models_2025-12-02.json", "models")],
                ),
            ),
            (
                "openrouter",
                parse(
                    "openrouter",
                    &[doc("openrouter/api_v1_models_2026-05.json", "models")],
                ),
            ),
            (
                "lmarena",
                parse(
                    "lmarena",
                    &[
                        doc(
                            "lmarena/datasets_server/rows_text_latest_offset0.json",
                            "text:0",
                        ),
                        doc(
                            "lmarena/datasets_server/rows_webdev_latest_offset0.json",
                            "webdev:0",
                        ),
                        doc(
                            "lmarena/datasets_server/rows_vision_latest_offset0.RECONSTRUCTED.json",
                            "vision:0",
                        ),
                        doc(
                            "lmarena/datasets_server/rows_text_full_sample.json",
                            "text:full",
                        ),
                        doc(
                            "lmarena/arena_catalog/leaderboard-text.json",
                            "catalog:text",
                        ),
                    ],
                ),
            ),
            (
                "bigcodebench",
                parse(
                    "bigcodebench",
                    &[
                        doc("bigcodebench/results.json", "full"),
                        doc("bigcodebench/results-hard.json", "hard"),
                    ],
                ),
            ),
            (
                "evalplus",
                parse("evalplus", &[doc("evalplus/results.json", "results")]),
            ),
            (
                "livecodebench",
                parse(
                    "livecodebench",
                    &[doc(
                        "livecodebench/performances_generation.json",
                        "performances",
                    )],
                ),
            ),
            (
                "swebench",
                parse(
                    "swebench",
                    &[doc("swebench/leaderboards.json", "leaderboards")],
                ),
            ),
            (
                "artificialanalysis",
                parse(
                    "artificialanalysis",
                    &[doc(
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
                        doc(
                            "livebench/categories_2026_01_08.json",
                            "categories:2026_01_08",
                        ),
                        doc("livebench/table_2026_01_08.csv", "table:2026_01_08"),
                    ],
                ),
            ),
        ];
        let (models, aliases) = catalog_seed().expect("seed");
        let mut matcher = Matcher::new(models, aliases);
        for (source, result) in &parsed {
            if benchhub_ingest::service::creates_models(source) {
                matcher.apply_records(source, &result.models);
            }
        }
        Some(Self { parsed, matcher })
    }

    fn observations(
        &self,
        source: &str,
    ) -> impl Iterator<Item = &benchhub_ingest::domain::observation::ParsedObservation> {
        self.parsed
            .iter()
            .filter(move |(name, _)| *name == source)
            .flat_map(|(_, parsed)| parsed.observations.iter())
    }

    /// Resolves a stored name of `source` the way the pipeline does (its match name and data date).
    pub(crate) fn resolve(&self, source: &str, name: &str) -> Option<Match> {
        let observation = self
            .observations(source)
            .find(|observation| observation.source_model_name == name);
        let released = self
            .parsed
            .iter()
            .filter(|(name, _)| *name == source)
            .flat_map(|(_, parsed)| parsed.models.iter())
            .filter(|record| {
                record.kind != benchhub_ingest::domain::observation::RecordKind::Benchmark
            })
            .find(|record| {
                Some(record.upstream_name.as_str())
                    == observation
                        .map(benchhub_ingest::domain::observation::ParsedObservation::name_to_match)
            })
            .and_then(|record| record.release_date);
        let (match_name, day) = match observation {
            Some(observation) => (
                observation.match_name.as_deref(),
                released.unwrap_or(observation.data_date.unwrap_or(observation.snapshot_date)),
            ),
            None => (None, context().today),
        };
        self.matcher.resolve(&NameQuery {
            source,
            name,
            match_name,
            observed_on: Some(day),
        })
    }

    /// Every (source, name) stored, with its resolution.
    pub(crate) fn all(&self) -> BTreeMap<(&'static str, String), Option<Match>> {
        let mut all = BTreeMap::new();
        for (source, parsed) in &self.parsed {
            for observation in &parsed.observations {
                all.entry((*source, observation.source_model_name.clone()))
                    .or_insert_with(|| self.resolve(source, &observation.source_model_name));
            }
        }
        all
    }
}

fn dump(catalog: &FixtureCatalog) {
    let Ok(path) = std::env::var("BENCHHUB_IDENTITY_DUMP") else {
        return;
    };
    let mut text = String::new();
    for model in catalog.matcher.models() {
        let _ = writeln!(
            text,
            "MODEL\t{}\t{}\t{:?}\t{}\t{}\t{}",
            model.id,
            model.display_name,
            model.origin,
            model.family.as_deref().unwrap_or(""),
            model
                .release_date
                .map(|day| day.to_string())
                .unwrap_or_default(),
            model.identity_name
        );
    }
    for ((source, name), found) in catalog.all() {
        let _ = match found {
            Some(found) => writeln!(
                text,
                "NAME\t{source}\t{name}\t{}\t{}\t{}",
                found.model_id,
                found.method.as_str(),
                found.detail
            ),
            None => writeln!(text, "NAME\t{source}\t{name}\t-\tunmatched\t"),
        };
    }
    std::fs::write(&path, text).expect("dump written");
}

/// Spellings of one version of a model, as each adapter stores them (source, upstream name); each
/// group lands on exactly one model (the fixtures README's table, split by the version each names).
const VERSIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "GPT-4o 2024-08-06",
        &[
            ("lmarena", "gpt-4o-2024-08-06"),
            ("openrouter", "openai/gpt-4o-2024-08-06"),
            ("modelsdev", "openai/gpt-4o-2024-08-06"),
            ("bigcodebench", "GPT-4o-2024-08-06"),
            ("evalplus", "GPT 4o (Aug 2024)"),
            ("livecodebench", "GPT-4O-2024-08-06"),
        ],
    ),
    (
        "Claude 3.5 Sonnet 2024-10-22",
        &[
            ("lmarena", "claude-3-5-sonnet-20241022"),
            ("openrouter", "anthropic/claude-3.5-sonnet"),
            ("modelsdev", "anthropic/claude-3-5-sonnet-20241022"),
            ("bigcodebench", "Claude-3.5-Sonnet-20241022"),
            ("livecodebench", "Claude-3.5-Sonnet-20241022"),
            ("artificialanalysis", "claude-35-sonnet"),
        ],
    ),
    (
        "Claude Opus 4.5",
        &[
            ("lmarena", "claude-opus-4-5-20251101"),
            ("lmarena", "claude-opus-4-5-20251101-thinking-32k"),
            ("openrouter", "anthropic/claude-opus-4.5"),
            ("modelsdev", "anthropic/claude-opus-4-5"),
            ("modelsdev", "anthropic/claude-opus-4-5-20251101"),
            ("swebench", "Claude 4.5 Opus medium (20251101)"),
            ("livebench", "claude-opus-4-5-20251101-high-effort"),
            ("artificialanalysis", "claude-opus-4-5-thinking"),
        ],
    ),
    (
        "DeepSeek-V3",
        &[
            ("lmarena", "deepseek-v3"),
            ("openrouter", "deepseek/deepseek-chat"),
            ("modelsdev", "deepseek/deepseek-chat"),
            ("bigcodebench", "DeepSeek-V3"),
            ("evalplus", "DeepSeek-V3 (Nov 2024)"),
            ("livecodebench", "DeepSeek-V3"),
        ],
    ),
    (
        "Gemini 2.5 Pro (GA)",
        &[
            ("lmarena", "gemini-2.5-pro"),
            ("openrouter", "google/gemini-2.5-pro"),
            ("modelsdev", "google/gemini-2.5-pro"),
            ("swebench", "Gemini 2.5 Pro (2025-05-06)"),
            ("artificialanalysis", "gemini-2-5-pro"),
        ],
    ),
    (
        "Gemini 2.5 Pro Experimental 03-25",
        &[
            ("bigcodebench", "Gemini-2.5-Pro-Exp-03-25"),
            ("livecodebench", "Gemini-2.5-Pro"),
        ],
    ),
];

/// A stored name: (source, upstream name).
type Spelling = (&'static str, &'static str);

/// Models the rankings used to fuse: each pair's spellings must land on two distinct models.
const DISTINCT: &[(Spelling, Spelling)] = &[
    (
        ("openrouter", "openai/gpt-4-0314"),
        ("openrouter", "openai/gpt-4-1106-preview"),
    ),
    (
        ("openrouter", "mistralai/mistral-large-2411"),
        ("openrouter", "mistralai/mistral-large-2512"),
    ),
    (
        ("modelsdev", "mistral/mistral-large-2411"),
        ("modelsdev", "mistral/mistral-large-2512"),
    ),
    (
        ("modelsdev", "cohere/command-r-08-2024"),
        ("modelsdev", "cohere/command-r-plus-08-2024"),
    ),
    (
        ("openrouter", "moonshotai/kimi-k2"),
        ("openrouter", "moonshotai/kimi-k2-thinking"),
    ),
    (
        ("modelsdev", "anthropic/claude-3-5-sonnet-20240620"),
        ("modelsdev", "anthropic/claude-3-5-sonnet-20241022"),
    ),
    (("modelsdev", "openai/o1"), ("openrouter", "openai/o1-pro")),
    (
        ("modelsdev", "openai/gpt-4o-2024-05-13"),
        ("modelsdev", "openai/gpt-4o-2024-08-06"),
    ),
    (
        ("modelsdev", "openai/gpt-4o-2024-08-06"),
        ("modelsdev", "openai/gpt-4o-2024-11-20"),
    ),
    (
        ("evalplus", "O1 Preview (Sept 2024)"),
        ("modelsdev", "openai/o1"),
    ),
    (
        ("modelsdev", "openai/gpt-4.1"),
        ("modelsdev", "openai/gpt-4.1-nano"),
    ),
];

/// Provider deployments and spellings of one model: each group lands on one model.
const FOLDED: &[&[(&str, &str)]] = &[
    &[
        ("modelsdev", "llama/llama-4-maverick-17b-128e-instruct-fp8"),
        (
            "modelsdev",
            "llama/cerebras-llama-4-maverick-17b-128e-instruct",
        ),
        ("modelsdev", "llama/groq-llama-4-maverick-17b-128e-instruct"),
        ("openrouter", "meta-llama/llama-4-maverick"),
        ("artificialanalysis", "llama-4-maverick"),
    ],
    &[
        ("openrouter", "qwen/qwen-2.5-72b-instruct"),
        ("modelsdev", "alibaba/qwen2-5-72b-instruct"),
    ],
    &[
        ("openrouter", "mistralai/mistral-medium-3"),
        ("modelsdev", "mistral/mistral-medium-2505"),
    ],
];

fn target(catalog: &FixtureCatalog, source: &str, name: &str) -> String {
    catalog
        .resolve(source, name)
        .map(|found| found.model_id)
        .unwrap_or_else(|| format!("<unmatched {source} '{name}'>"))
}

#[test]
fn every_version_of_the_spelling_table_lands_on_one_model() {
    let Some(catalog) = FixtureCatalog::load() else {
        return;
    };
    dump(&catalog);
    let mut failures = Vec::new();
    let mut models_of_rows = Vec::new();
    for (version, spellings) in VERSIONS {
        let targets: BTreeSet<String> = spellings
            .iter()
            .map(|(source, name)| target(&catalog, source, name))
            .collect();
        if targets.len() != 1 || targets.iter().any(|id| id.starts_with('<')) {
            let detail: Vec<String> = spellings
                .iter()
                .map(|(source, name)| {
                    format!("{source} '{name}' → {}", target(&catalog, source, name))
                })
                .collect();
            failures.push(format!("{version}: {detail:#?}"));
        }
        models_of_rows.push(targets);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Distinct versions are distinct models.
    let all: BTreeSet<&String> = models_of_rows.iter().flatten().collect();
    assert_eq!(all.len(), VERSIONS.len());
}

#[test]
fn versions_and_variants_the_old_rankings_fused_stay_apart() {
    let Some(catalog) = FixtureCatalog::load() else {
        return;
    };
    let mut failures = Vec::new();
    for ((left_source, left), (right_source, right)) in DISTINCT {
        let (left_model, right_model) = (
            target(&catalog, left_source, left),
            target(&catalog, right_source, right),
        );
        if left_model == right_model || left_model.starts_with('<') || right_model.starts_with('<')
        {
            failures.push(format!("{left} → {left_model}; {right} → {right_model}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn provider_deployments_fold_into_one_model() {
    let Some(catalog) = FixtureCatalog::load() else {
        return;
    };
    let mut failures = Vec::new();
    for group in FOLDED {
        let targets: BTreeSet<String> = group
            .iter()
            .map(|(source, name)| target(&catalog, source, name))
            .collect();
        if targets.len() != 1 || targets.iter().any(|id| id.starts_with('<')) {
            failures.push(format!("{group:?} → {targets:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn benchmark_only_models_become_catalog_models_and_few_names_stay_unmatched() {
    let Some(catalog) = FixtureCatalog::load() else {
        return;
    };
    // Open models no price source lists are models of their own, with their lab as creator.
    for (source, name, creator) in [
        ("evalplus", "Qwen2.5-Coder-32B-Instruct", "alibaba"),
        ("evalplus", "Magicoder-S-DS-6.7B", "ise-uiuc"),
        ("bigcodebench", "Qwen2.5-Coder-32B-Instruct", "alibaba"),
        ("evalplus", "StarCoder2-15B", "bigcode"),
    ] {
        let found = catalog
            .resolve(source, name)
            .unwrap_or_else(|| panic!("{source} '{name}' unmatched"));
        assert!(
            found.model_id.starts_with(&format!("{creator}/")),
            "{name} → {}",
            found.model_id
        );
    }
    let created = catalog
        .matcher
        .models()
        .filter(|model| model.origin == Origin::Benchmark)
        .count();
    assert!(created > 50, "only {created} provisional models");
    // What stays unmatched is a name that identifies no model (SWE-bench systems without a model).
    let all = catalog.all();
    let unmatched: Vec<&(&str, String)> = all
        .iter()
        .filter(|(_, found)| found.is_none())
        .map(|(key, _)| key)
        .filter(|(source, _)| *source != "livebench")
        .collect();
    let boards = [
        "evalplus",
        "bigcodebench",
        "livecodebench",
        "artificialanalysis",
    ];
    let on_boards: Vec<_> = unmatched
        .iter()
        .filter(|(source, _)| boards.contains(source))
        .collect();
    // A board name without any clue to its lab (an arXiv link, an unknown first word) stays unmatched.
    assert!(
        on_boards.len() <= 2,
        "unmatched board names: {on_boards:#?}"
    );
    for (source, name) in unmatched
        .iter()
        .filter(|(source, _)| !boards.contains(source))
    {
        assert!(
            *source == "swebench"
                || *source == "lmarena"
                || *source == "openrouter"
                || *source == "modelsdev",
            "{source} '{name}' unmatched"
        );
    }
}
