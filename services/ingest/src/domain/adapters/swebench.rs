//! SWE-bench leaderboards (`GET /SWE-bench/swe-bench.github.io/master/data/leaderboards.json` on
//! raw.githubusercontent.com; ~4 MB, so conditional GETs matter).
//!
//! Entries are agent *systems*, not models. Each entry of `Verified`, `Lite` and `bash-only` (the
//! mini-SWE-agent board, the one apples-to-apples model comparison) becomes an observation of
//! `verified_resolved`, `lite_resolved` or `bash_only_resolved` (percent, category `coding`) under the
//! system's name (names repeat within a board, so repeats get their folder appended). The model is
//! taken from the `Model: …` tags: one distinct model (after normalisation) is matched; several or none
//! leave the system unmatched, with the tags kept in `extra`. `Test` and `Multimodal` are not model
//! comparisons and are skipped. Costs are mostly null; kept in `extra` when present.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::identity::NameParts;
use crate::domain::observation::{Parsed, ParsedObservation};

/// Path of the leaderboards document.
pub const PATH: &str = "/SWE-bench/swe-bench.github.io/master/data/leaderboards.json";

/// Boards read → metric names.
const BOARDS: &[(&str, &str)] = &[
    ("Verified", "verified_resolved"),
    ("Lite", "lite_resolved"),
    ("bash-only", "bash_only_resolved"),
];

/// The SWE-bench adapter.
#[derive(Debug)]
pub struct SweBench;

/// Returns the single model a system's tags name, if exactly one distinct model is named.
pub fn tagged_model(tags: &[String]) -> Option<String> {
    let models: Vec<&str> = tags
        .iter()
        .filter_map(|tag| tag.strip_prefix("Model:"))
        .map(str::trim)
        .filter(|model| !model.is_empty())
        .collect();
    let first = *models.first()?;
    let key = NameParts::parse(first);
    models
        .iter()
        .all(|model| NameParts::parse(model) == key)
        .then(|| first.to_owned())
}

/// The model a system's name ends with when it has no tag: `SWE-agent + GPT 4o (2024-05-13)` runs
/// `GPT 4o (2024-05-13)`. Names without ` + ` name no model.
pub fn system_model(name: &str) -> Option<String> {
    let (_, model) = name.rsplit_once(" + ")?;
    let model = model.trim();
    // `OpenHands + CodeAct v2.1 (claude-3-5-sonnet-20241022)`: the note names the model.
    if let Some((_, note)) = model.rsplit_once('(')
        && let Some(note) = note.strip_suffix(')')
        && crate::domain::identity::infer_creator(&NameParts::parse(note), None).is_some()
        && NameParts::parse(note).version.is_some()
    {
        return Some(note.trim().to_owned());
    }
    (!model.is_empty() && !model.contains(" + ")).then(|| model.to_owned())
}

#[async_trait::async_trait]
impl Source for SweBench {
    fn name(&self) -> &'static str {
        "swebench"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        super::fetch_single(http, context, "leaderboards", PATH).await
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let document = super::document(documents, "leaderboards")?;
        let body: Value = json(document)?;
        let boards = body
            .get("leaderboards")
            .and_then(Value::as_array)
            .ok_or_else(|| ParseError::Malformed {
                key: document.key.clone(),
                reason: "missing field `leaderboards`".to_owned(),
            })?;
        let mut parsed = Parsed::default();
        for board in boards {
            let board_name = text(board.get("name")).unwrap_or_default();
            let Some((_, metric)) = BOARDS.iter().find(|(name, _)| *name == board_name) else {
                continue;
            };
            let Some(results) = board.get("results").and_then(Value::as_array) else {
                parsed.records += 1;
                parsed.fail(format!("{board_name}: missing field `results`"));
                continue;
            };
            let mut counts: HashMap<String, usize> = HashMap::new();
            for result in results {
                if let Some(name) = text(result.get("name")) {
                    *counts.entry(name).or_default() += 1;
                }
            }
            for result in results {
                parsed.records += 1;
                let (Some(name), Some(resolved)) =
                    (text(result.get("name")), number(result.get("resolved")))
                else {
                    parsed.fail(format!("{board_name}: entry needs `name` and `resolved`"));
                    continue;
                };
                let folder = text(result.get("folder"));
                let system = match (&folder, counts.get(&name).copied().unwrap_or(0) > 1) {
                    (Some(folder), true) => format!("{name} [{folder}]"),
                    _ => name.clone(),
                };
                let tags: Vec<String> = result
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|tags| tags.iter().filter_map(|tag| text(Some(tag))).collect())
                    .unwrap_or_default();
                let model = tagged_model(&tags).or_else(|| system_model(&name));
                let mut extra = serde_json::Map::new();
                extra.insert("system".to_owned(), Value::String(name.clone()));
                extra.insert("tags".to_owned(), serde_json::json!(tags));
                if let Some(folder) = folder {
                    extra.insert("folder".to_owned(), Value::String(folder));
                }
                if let Some(date) = text(result.get("date")) {
                    extra.insert("date".to_owned(), Value::String(date));
                }
                for field in ["cost", "instance_cost", "instance_calls"] {
                    if let Some(value) = number(result.get(field)) {
                        extra.insert(field.to_owned(), Value::from(value));
                    }
                }
                let mut observation =
                    ParsedObservation::new("coding", metric, &system, context.today, resolved);
                // `date` is when the result was submitted.
                observation.data_date =
                    super::date(result.get("date")).or_else(|| document.last_modified_date());
                if let Some(model) = &model {
                    parsed.describe_benchmark_model(model, None, None, observation.data_date);
                }
                // With no model named the system's own name is matched (and usually fails, leaving it
                // unmatched for an operator's alias).
                observation.match_name = model;
                observation.extra = Some(Value::Object(extra));
                parsed.observations.push(observation);
            }
        }
        parsed.check_drift()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    #[test]
    fn parses_systems_with_models_from_tags() {
        let Some(document) = fixture("swebench/leaderboards.json", "leaderboards") else {
            return;
        };
        let parsed = SweBench.parse(&[document], &context()).expect("parses");
        assert_eq!(parsed.observations.len(), 162 + 84 + 31);
        assert_eq!(parsed.failed, 0);
        let find = |metric: &str, name: &str| {
            parsed
                .observations
                .iter()
                .find(|observation| {
                    observation.metric == metric && observation.source_model_name == name
                })
                .unwrap_or_else(|| panic!("{metric} {name}"))
        };
        let opus = find("bash_only_resolved", "Claude 4.5 Opus medium (20251101)");
        assert_eq!(opus.value, 74.4);
        assert_eq!(opus.match_name.as_deref(), Some("claude-opus-4-5-20251101"));
        let sonnet = find("verified_resolved", "SWE-agent + Claude 3.5 Sonnet");
        assert_eq!(sonnet.value, 33.6);
        assert_eq!(
            sonnet.match_name.as_deref(),
            Some("claude-3-5-sonnet-20241022")
        );
        // two spellings of one model still count as one model
        let tools = find(
            "verified_resolved",
            "Tools + Claude 3.5 Sonnet (2024-10-22)",
        );
        assert!(tools.match_name.is_some());
        // several models: unmatched
        let navie = find("verified_resolved", "AppMap Navie v2");
        assert_eq!(navie.match_name, None);
        // repeated names stay distinct
        let keys: std::collections::HashSet<_> = parsed
            .observations
            .iter()
            .map(|observation| (&observation.metric, &observation.source_model_name))
            .collect();
        assert_eq!(keys.len(), parsed.observations.len());
    }
}
