//! EvalPlus leaderboard (`GET /results.json`: `{display name: {pass@1: {humaneval+, mbpp+, …}, …}}`).
//!
//! Keys are display names with release hints (`GPT 4o (Aug 2024)`, `DeepSeek-V3 (Nov 2024)`), matched
//! through normalisation and the alias table. `humaneval+` and `mbpp+` (percent, greedy pass@1) go to
//! category `coding`; nulls (`mbpp+` for many older entries) are simply absent. The leaderboard is
//! frozen since Dec 2024, so conditional GETs usually skip it.

use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::identity::NameParts;
use crate::domain::observation::{Parsed, ParsedObservation};

/// Path of the results document.
pub const PATH: &str = "/results.json";

/// Upstream keys → metric names.
const METRICS: &[(&str, &str)] = &[("humaneval+", "humaneval_plus"), ("mbpp+", "mbpp_plus")];

/// The EvalPlus adapter.
#[derive(Debug)]
pub struct EvalPlus;

#[async_trait::async_trait]
impl Source for EvalPlus {
    fn name(&self) -> &'static str {
        "evalplus"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        super::fetch_single(http, context, "results", PATH).await
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let document = super::document(documents, "results")?;
        let body: Value = json(document)?;
        let entries = body.as_object().ok_or_else(|| ParseError::Malformed {
            key: document.key.clone(),
            reason: "expected an object of models".to_owned(),
        })?;
        let mut parsed = Parsed::default();
        // The board carries no dates: its data date is the document's Last-Modified, else the newest
        // month its entries name (`GPT 4o (Aug 2024)`), else the first snapshot with the value.
        let board_date = document.last_modified_date().or_else(|| {
            entries
                .keys()
                .filter_map(|name| NameParts::parse(name).hint)
                .max()
                .map(|hint| hint.last_day())
        });
        for (name, entry) in entries {
            parsed.records += 1;
            let Some(scores) = entry.get("pass@1").filter(|scores| scores.is_object()) else {
                parsed.fail(format!("{name}: missing field `pass@1`"));
                continue;
            };
            let mut extra = serde_json::Map::new();
            for field in ["link", "open-data"] {
                if let Some(value) = text(entry.get(field)) {
                    extra.insert(field.to_owned(), Value::String(value));
                }
            }
            if let Some(size) = number(entry.get("size")) {
                extra.insert("size_b".to_owned(), Value::from(size));
            }
            for field in ["humaneval", "mbpp"] {
                if let Some(value) = number(scores.get(field)) {
                    extra.insert(field.to_owned(), Value::from(value));
                }
            }
            let extra = Value::Object(extra);
            for (key, metric) in METRICS {
                if let Some(value) = number(scores.get(*key)) {
                    let mut observation =
                        ParsedObservation::new("coding", metric, name, context.today, value);
                    observation.extra = Some(extra.clone());
                    observation.data_date = board_date;
                    parsed.observations.push(observation);
                }
            }
            parsed.describe_benchmark_model(
                name,
                super::link_organisation(entry.get("link")),
                None,
                board_date,
            );
        }
        parsed.check_drift()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    #[test]
    fn parses_the_fixture() {
        let Some(document) = fixture("evalplus/results.json", "results") else {
            return;
        };
        let parsed = EvalPlus.parse(&[document], &context()).expect("parses");
        assert_eq!(parsed.records, 125);
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
        assert_eq!(score("GPT 4o (Aug 2024)", "humaneval_plus"), Some(87.2));
        assert_eq!(score("DeepSeek-V3 (Nov 2024)", "mbpp_plus"), Some(73.0));
        assert!(
            parsed.observations.len() < 250,
            "null mbpp+ scores are absent"
        );
    }
}
