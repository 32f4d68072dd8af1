//! MTEB, a SEED source: the curated list in `data/mteb_seed.json`, shipped with benchhub because the
//! upstream has no usable live API (tens of thousands of result files in `embeddings-benchmark/results`).
//!
//! Each entry becomes `main_score_mean` (category `embeddings`, the leaderboard mean of `main_score`
//! in percent) under the model's Hugging Face id, filed under the seed's `as_of` date, so re-applying an
//! unchanged seed writes nothing new. Per-task scores, where curated, are kept in `extra`. The upstream
//! per-task result format is parsed by [`parse_result_file`] to check curated numbers against real
//! result files.

use chrono::NaiveDate;
use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::observation::{Parsed, ParsedObservation};

/// The curated seed, embedded in the binary.
pub const SEED: &[u8] = include_bytes!("../../../data/mteb_seed.json");
/// URL the seed is recorded under in `raw_payloads`.
pub const SEED_URL: &str = "seed:mteb/data/mteb_seed.json";

/// The MTEB seed adapter.
#[derive(Debug)]
pub struct Mteb;

/// Returns the seed as a document.
pub fn seed_document() -> Document {
    Document::from_body("seed", SEED_URL, SEED)
}

/// One task result from an upstream result file: the task and its test-split `main_score` (0–1).
pub fn parse_result_file(document: &Document) -> Result<(String, f64), ParseError> {
    let body: Value = json(document)?;
    let malformed = |reason: &str| ParseError::Malformed {
        key: document.key.clone(),
        reason: reason.to_owned(),
    };
    let task = text(body.get("task_name")).ok_or_else(|| malformed("missing field `task_name`"))?;
    let scores = body
        .pointer("/scores/test")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("missing field `scores.test`"))?;
    let values: Vec<f64> = scores
        .iter()
        .filter_map(|score| number(score.get("main_score")))
        .collect();
    if values.is_empty() {
        return Err(malformed("no `main_score` in `scores.test`"));
    }
    Ok((task, values.iter().sum::<f64>() / values.len() as f64))
}

#[async_trait::async_trait]
impl Source for Mteb {
    fn name(&self) -> &'static str {
        "mteb"
    }

    async fn fetch(
        &self,
        _http: &dyn Http,
        _context: &SourceContext,
    ) -> Result<Fetched, FetchError> {
        Ok(Fetched::complete(vec![seed_document()]))
    }

    fn parse(
        &self,
        documents: &[Document],
        _context: &SourceContext,
    ) -> Result<Parsed, ParseError> {
        let document = super::document(documents, "seed")?;
        let body: Value = json(document)?;
        let as_of = super::date(body.get("as_of")).ok_or_else(|| ParseError::Malformed {
            key: document.key.clone(),
            reason: "missing field `as_of` (YYYY-MM-DD)".to_owned(),
        })?;
        let benchmark = text(body.get("benchmark")).unwrap_or_default();
        let models = body
            .get("models")
            .and_then(Value::as_array)
            .ok_or_else(|| ParseError::Malformed {
                key: document.key.clone(),
                reason: "missing field `models`".to_owned(),
            })?;
        let mut parsed = Parsed::default();
        for model in models {
            parsed.records += 1;
            parse_entry(model, as_of, &benchmark, &mut parsed);
        }
        parsed.check_drift()
    }
}

fn parse_entry(model: &Value, as_of: NaiveDate, benchmark: &str, parsed: &mut Parsed) {
    let (Some(name), Some(mean)) = (text(model.get("name")), number(model.get("mean"))) else {
        parsed.fail("seed entry needs `name` and `mean`");
        return;
    };
    let mut extra = serde_json::Map::new();
    extra.insert("benchmark".to_owned(), Value::String(benchmark.to_owned()));
    for field in ["task_scores", "revision", "open_weights", "release_date"] {
        if let Some(value) = model.get(field) {
            extra.insert(field.to_owned(), value.clone());
        }
    }
    let mut observation =
        ParsedObservation::new("embeddings", "main_score_mean", &name, as_of, mean);
    observation.extra = Some(Value::Object(extra));
    parsed.observations.push(observation);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    #[test]
    fn the_seed_parses() {
        let parsed = Mteb
            .parse(&[seed_document()], &context())
            .expect("seed parses");
        assert_eq!(parsed.failed, 0);
        assert!(parsed.observations.len() >= 15);
        let large = parsed
            .observations
            .iter()
            .find(|observation| observation.source_model_name == "openai/text-embedding-3-large")
            .expect("text-embedding-3-large");
        assert_eq!(large.value, 64.59);
        assert_eq!(large.snapshot_date.to_string(), "2024-12-01");
    }

    #[test]
    fn curated_task_scores_equal_the_real_result_files() {
        let directory =
            "mteb/results/intfloat__multilingual-e5-large/4dc6d853a804b9c8886ede6dda8a073b7dc08a81";
        let Some(meta) = fixture(&format!("{directory}/model_meta.json"), "meta") else {
            return;
        };
        let meta: Value = json(&meta).expect("meta");
        assert_eq!(meta["name"], "intfloat/multilingual-e5-large");
        let parsed = Mteb
            .parse(&[seed_document()], &context())
            .expect("seed parses");
        let curated = parsed
            .observations
            .iter()
            .find(|observation| observation.source_model_name == meta["name"])
            .and_then(|observation| observation.extra.clone())
            .expect("multilingual-e5-large is curated");
        assert_eq!(curated["revision"], meta["revision"]);
        for task in ["Banking77Classification", "ArguAna"] {
            let document = fixture(&format!("{directory}/{task}.json"), task).expect("result file");
            let (name, score) = parse_result_file(&document).expect("result parses");
            assert_eq!(name, task);
            let curated_score = curated["task_scores"][task]
                .as_f64()
                .expect("curated score");
            assert!((curated_score - score * 100.0).abs() < 1e-9, "{task}");
        }
    }
}
