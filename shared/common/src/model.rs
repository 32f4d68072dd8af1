//! The one shape of a `models` row's description: what a catalog says a model is. Ingest writes it
//! (from models.dev, OpenRouter, the catalog seed and provisional board names) inside its matcher's
//! `CatalogModel`; rankings reads it inside its `ModelRecord`; the catalog seed file is read straight
//! into it. Columns a service alone owns (ingest's origin and identity, rankings' tier and first-seen
//! time) sit beside it in those types.

use chrono::NaiveDate;
use serde::Deserialize;

/// The descriptive columns of one `models` row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ModelRow {
    /// Canonical id, `creator/slug`, e.g. `openai/gpt-4o`.
    pub id: String,
    /// Human-readable name.
    pub display_name: String,
    /// Creator slug (`openai`).
    #[serde(default)]
    pub creator: Option<String>,
    /// Family id (`openai/gpt-4o`): the models of one line and its siblings.
    #[serde(default)]
    pub family: Option<String>,
    /// Release date.
    #[serde(default)]
    pub release_date: Option<NaiveDate>,
    /// Context window in tokens.
    #[serde(default)]
    pub context_length: Option<i32>,
    /// Whether the weights are published.
    #[serde(default)]
    pub open_weights: Option<bool>,
}

impl ModelRow {
    /// A model known only by id and name; the creator is the id's prefix.
    pub fn new(id: &str, display_name: &str) -> Self {
        Self {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            creator: id.split_once('/').map(|(creator, _)| creator.to_owned()),
            family: None,
            release_date: None,
            context_length: None,
            open_weights: None,
        }
    }
}

/// Builds a [`ModelRow`] from a record of `sqlx::query!` that selected the row's columns by their
/// names (`id, display_name, creator, family, release_date, context_length, open_weights`): the one
/// mapping of those columns, for the statements that read them beside a service's own columns. The
/// record's other fields stay usable (only these are moved out).
#[macro_export]
macro_rules! model_row {
    ($record:ident) => {
        $crate::model::ModelRow {
            id: $record.id,
            display_name: $record.display_name,
            creator: $record.creator,
            family: $record.family,
            release_date: $record.release_date,
            context_length: $record.context_length,
            open_weights: $record.open_weights,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_reads_from_json_with_only_id_and_name_required() {
        let row: ModelRow = serde_json::from_str(
            r#"{"id": "deepseek/deepseek-v3", "display_name": "DeepSeek V3", "creator": "deepseek", "release_date": "2024-12-26"}"#,
        )
        .expect("parses");
        assert_eq!(row.release_date, NaiveDate::from_ymd_opt(2024, 12, 26));
        assert_eq!(row.family, None);
        assert_eq!(
            ModelRow::new("deepseek/deepseek-v3", "DeepSeek V3").creator,
            row.creator
        );
        assert!(serde_json::from_str::<ModelRow>(r#"{"id": "x/y"}"#).is_err());
    }
}
