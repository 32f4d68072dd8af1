//! BigCodeBench leaderboard (`GET /results.json`, full set of 1 140 tasks, and `GET /results-hard.json`,
//! the 148-task hard subset): `{display name: {pass@1: {instruct, complete}, size, date, …}}`.
//!
//! Metrics `full_complete`, `full_instruct`, `hard_complete` and `hard_instruct` (percent) in category
//! `coding`. `instruct` is null for base models (only `complete`), and some entries have no full-set
//! scores at all (e.g. `GPT-4o-2024-08-06`); nulls are simply absent. Names are title-cased and dated
//! (`Claude-3.5-Sonnet-20241022`), sometimes with run settings in parentheses
//! (`o1-Preview-2024-09-12 (temperature=1)`), which normalisation drops. `date` is when the result was
//! added, kept in `extra`.

use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::observation::{Parsed, ParsedObservation};

/// Documents: key, path and metric prefix.
pub const DOCUMENTS: &[(&str, &str, &str)] = &[
    ("full", "/results.json", "full"),
    ("hard", "/results-hard.json", "hard"),
];

/// The BigCodeBench adapter.
#[derive(Debug)]
pub struct BigCodeBench;

#[async_trait::async_trait]
impl Source for BigCodeBench {
    fn name(&self) -> &'static str {
        "bigcodebench"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        // The full and hard boards are separate files: one missing leaves the other's metrics.
        let mut fetched = Fetched::default();
        let mut last_error = None;
        for (key, path, _) in DOCUMENTS {
            match http
                .get(key, &format!("{}{path}", context.base_url), &[])
                .await
            {
                Ok(document) => fetched.documents.push(document),
                Err(error) => {
                    let go_on = fetched.failed(*key, &error);
                    last_error = Some(error);
                    if !go_on {
                        break;
                    }
                }
            }
        }
        match last_error {
            Some(error) if fetched.documents.is_empty() => Err(error),
            _ => Ok(fetched),
        }
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let mut parsed = Parsed::default();
        if documents.is_empty() {
            return Err(ParseError::Missing(DOCUMENTS[0].0.to_owned()));
        }
        for (key, _, prefix) in DOCUMENTS {
            // A board whose file could not be fetched is left out (the run lists it as failed).
            let Ok(document) = super::document(documents, key) else {
                continue;
            };
            parse_document(document, prefix, context, &mut parsed)?;
        }
        parsed.check_drift()
    }
}

/// Parses one results document with metric names prefixed by `prefix` (`full` or `hard`).
pub fn parse_document(
    document: &Document,
    prefix: &str,
    context: &SourceContext,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    let body: Value = json(document)?;
    let entries = body.as_object().ok_or_else(|| ParseError::Malformed {
        key: document.key.clone(),
        reason: "expected an object of models".to_owned(),
    })?;
    for (name, entry) in entries {
        parsed.records += 1;
        let Some(scores) = entry.get("pass@1").filter(|scores| scores.is_object()) else {
            parsed.fail(format!("{}: {name}: missing field `pass@1`", document.key));
            continue;
        };
        let mut extra = serde_json::Map::new();
        for field in ["link", "open-data", "date"] {
            if let Some(value) = text(entry.get(field)) {
                extra.insert(field.to_owned(), Value::String(value));
            }
        }
        for field in ["size", "act_param"] {
            if let Some(value) = number(entry.get(field)) {
                extra.insert(field.to_owned(), Value::from(value));
            }
        }
        for field in ["moe", "prompted", "prefill"] {
            if let Some(flag) = entry.get(field).and_then(Value::as_bool) {
                extra.insert(field.to_owned(), Value::Bool(flag));
            }
        }
        let extra = Value::Object(extra);
        for split in ["complete", "instruct"] {
            if let Some(value) = number(scores.get(split)) {
                let metric = format!("{prefix}_{split}");
                let mut observation =
                    ParsedObservation::new("coding", &metric, name, context.today, value);
                observation.extra = Some(extra.clone());
                // `date` is when the result was added to the board.
                observation.data_date =
                    super::date(entry.get("date")).or_else(|| document.last_modified_date());
                parsed.observations.push(observation);
            }
        }
        parsed.describe_benchmark_model(
            name,
            super::link_organisation(entry.get("link")),
            None,
            super::date(entry.get("date")),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    #[test]
    fn parses_full_and_hard() {
        let (Some(full), Some(hard)) = (
            fixture("bigcodebench/results.json", "full"),
            fixture("bigcodebench/results-hard.json", "hard"),
        ) else {
            return;
        };
        let parsed = BigCodeBench
            .parse(&[full, hard], &context())
            .expect("parses");
        assert_eq!(parsed.records, 404);
        assert_eq!(parsed.failed, 0);
        let score = |name: &str, metric: &str| {
            parsed
                .observations
                .iter()
                .find(|observation| {
                    observation.source_model_name == name && observation.metric == metric
                })
                .map(|observation| observation.value)
        };
        assert_eq!(score("GPT-4o-2024-08-06", "hard_instruct"), Some(25.0));
        assert_eq!(score("GPT-4o-2024-08-06", "hard_complete"), Some(36.5));
        assert_eq!(score("GPT-4o-2024-08-06", "full_complete"), None);
        assert!(score("GPT-4o-2024-05-13", "full_complete").is_some());
    }
}
