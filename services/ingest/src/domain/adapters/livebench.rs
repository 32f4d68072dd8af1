//! LiveBench (static site files `table_<date>.csv` and `categories_<date>.json`). Listed as UNAVAILABLE
//! (licence pending): the pipeline refuses it before fetching, but the adapter is complete so enabling
//! it is a registry change.
//!
//! The CSV has `model,<task>,…` with the task set changing between releases and some rows shorter than
//! the header (`nemotron-3-super-120b-a12b` in 2026-01-08); a category score is the
//! mean of its tasks present for the model (empty cells are skipped), the global average the mean of
//! the categories, as the site computes them client-side. Release dates are hard-coded in the site, so
//! the adapter reads the newest of [`RELEASES`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::{Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json};
use crate::domain::observation::{Parsed, ParsedObservation};

/// Known release dates, oldest first, as they appear in file names.
pub const RELEASES: &[&str] = &["2025_12_23", "2026_01_08"];

/// The LiveBench adapter.
#[derive(Debug)]
pub struct LiveBench;

/// Turns a category name into a metric name (`Agentic Coding` → `agentic_coding`).
pub fn metric_name(category: &str) -> String {
    category
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

#[async_trait::async_trait]
impl Source for LiveBench {
    fn name(&self) -> &'static str {
        "livebench"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        let release = RELEASES.last().copied().unwrap_or_default();
        let base = &context.base_url;
        Ok(Fetched::complete(vec![
            http.get(
                &format!("categories:{release}"),
                &format!("{base}/categories_{release}.json"),
                &[],
            )
            .await?,
            http.get(
                &format!("table:{release}"),
                &format!("{base}/table_{release}.csv"),
                &[],
            )
            .await?,
        ]))
    }

    fn parse(
        &self,
        documents: &[Document],
        _context: &SourceContext,
    ) -> Result<Parsed, ParseError> {
        let mut parsed = Parsed::default();
        for table in documents
            .iter()
            .filter(|document| document.key.starts_with("table:"))
        {
            let release = table.key.trim_start_matches("table:");
            let categories = super::document(documents, &format!("categories:{release}"))?;
            parse_release(release, categories, table, &mut parsed)?;
        }
        parsed.check_drift()
    }
}

/// Parses one release (categories + table) into `parsed`.
pub fn parse_release(
    release: &str,
    categories: &Document,
    table: &Document,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    let snapshot =
        NaiveDate::parse_from_str(release, "%Y_%m_%d").map_err(|_| ParseError::Malformed {
            key: table.key.clone(),
            reason: format!("release '{release}' is not YYYY_MM_DD"),
        })?;
    let categories: BTreeMap<String, Vec<String>> = json(categories)?;
    let malformed = |reason: String| ParseError::Malformed {
        key: table.key.clone(),
        reason,
    };
    // Rows may be short (trailing cells missing): read them flexibly and treat missing cells as empty.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(table.body.as_ref());
    let headers = reader
        .headers()
        .map_err(|error| malformed(format!("unreadable CSV header: {error}")))?
        .clone();
    if headers.get(0) != Some("model") {
        return Err(malformed("first column must be `model`".to_owned()));
    }
    for record in reader.records() {
        parsed.records += 1;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                parsed.fail(format!("unreadable CSV row: {error}"));
                continue;
            }
        };
        let Some(model) = record
            .get(0)
            .map(str::trim)
            .filter(|model| !model.is_empty())
        else {
            parsed.fail("row without a model");
            continue;
        };
        let scores: BTreeMap<&str, f64> = headers
            .iter()
            .zip(record.iter())
            .skip(1)
            .filter_map(|(task, cell)| Some((task, cell.trim().parse::<f64>().ok()?)))
            .collect();
        let mut category_scores = Vec::new();
        for (category, tasks) in &categories {
            let values: Vec<f64> = tasks
                .iter()
                .filter_map(|task| scores.get(task.as_str()).copied())
                .collect();
            if values.is_empty() {
                continue;
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            category_scores.push(mean);
            let mut observation =
                ParsedObservation::new("livebench", &metric_name(category), model, snapshot, mean);
            observation.sample_size = Some(values.len() as i64);
            parsed.observations.push(observation);
        }
        if category_scores.is_empty() {
            parsed.fail(format!("{model}: no task scores"));
            continue;
        }
        let mut average = ParsedObservation::new(
            "livebench",
            "global_average",
            model,
            snapshot,
            category_scores.iter().sum::<f64>() / category_scores.len() as f64,
        );
        average.extra = Some(Value::from(release));
        parsed.observations.push(average);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    #[test]
    fn parses_both_releases_with_changing_task_sets() {
        let mut documents = Vec::new();
        for release in RELEASES {
            let (Some(categories), Some(table)) = (
                fixture(
                    &format!("livebench/categories_{release}.json"),
                    &format!("categories:{release}"),
                ),
                fixture(
                    &format!("livebench/table_{release}.csv"),
                    &format!("table:{release}"),
                ),
            ) else {
                return;
            };
            documents.push(categories);
            documents.push(table);
        }
        let parsed = LiveBench.parse(&documents, &context()).expect("parses");
        assert_eq!(parsed.failed, 0);
        assert_eq!(parsed.records, 127 + 65);
        let newest: Vec<_> = parsed
            .observations
            .iter()
            .filter(|observation| observation.snapshot_date.to_string() == "2026-01-08")
            .collect();
        assert!(
            newest
                .iter()
                .any(|observation| observation.metric == "agentic_coding")
        );
        let opus = newest
            .iter()
            .find(|observation| {
                observation.source_model_name == "claude-opus-4-5-20251101-high-effort"
                    && observation.metric == "global_average"
            })
            .expect("opus");
        assert!(opus.value > 0.0 && opus.value <= 100.0);
    }

    #[test]
    fn empty_cells_are_skipped() {
        let categories =
            Document::from_body("categories:2026_01_08", "x", r#"{"Coding": ["a", "b"]}"#);
        let table = Document::from_body("table:2026_01_08", "x", "model,a,b\nm,50,\nn,,\n");
        let parsed = LiveBench.parse(&[categories, table], &context());
        let parsed = parsed.expect("parses");
        assert_eq!(parsed.observations[0].value, 50.0);
        assert_eq!(parsed.failed, 1);
    }
}
