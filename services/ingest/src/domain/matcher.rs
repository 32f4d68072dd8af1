//! Resolves upstream model names to canonical models: exact aliases, then aliases and model ids by
//! normalised key ([`crate::domain::naming::normalize`]). Also merges metadata records into the
//! catalog and proposes candidates for names that match nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::domain::naming::normalize;
use crate::domain::observation::ModelRecord;

/// Source value of aliases that apply to every source.
pub const ANY_SOURCE: &str = "*";

/// A canonical model as the matcher and metadata merge see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogModel {
    /// Canonical id, `creator/slug`.
    pub id: String,
    /// Human-readable name.
    pub display_name: String,
    /// Creator slug.
    pub creator: Option<String>,
    /// Family.
    pub family: Option<String>,
    /// Release date.
    pub release_date: Option<NaiveDate>,
    /// Context window in tokens.
    pub context_length: Option<i32>,
    /// Whether the weights are published.
    pub open_weights: Option<bool>,
}

/// An alias row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasEntry {
    /// Source it applies to, or [`ANY_SOURCE`].
    pub source: String,
    /// Upstream spelling.
    pub alias: String,
    /// Target model id.
    pub model_id: String,
}

/// What merging metadata records changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogChanges {
    /// Models to insert or update, final values.
    pub upserts: Vec<CatalogModel>,
    /// How many of them are new.
    pub created: usize,
    /// How many existing ones changed.
    pub updated: usize,
}

/// A closest-match suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Model id.
    pub model_id: String,
    /// Display name.
    pub display_name: String,
    /// Similarity of normalised names, 0–1.
    pub similarity: f64,
}

/// The in-memory catalog used for matching.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    models: BTreeMap<String, CatalogModel>,
    by_key: HashMap<String, String>,
    exact: HashMap<(String, String), String>,
    by_alias_key: HashMap<(String, String), String>,
}

fn keep_smallest(map: &mut HashMap<String, String>, key: String, id: &str) {
    map.entry(key)
        .and_modify(|current| {
            if id < current.as_str() {
                *current = id.to_owned();
            }
        })
        .or_insert_with(|| id.to_owned());
}

impl Matcher {
    /// Builds a matcher over models and aliases.
    pub fn new(models: Vec<CatalogModel>, aliases: Vec<AliasEntry>) -> Self {
        let mut matcher = Self::default();
        for model in models {
            matcher.insert_model(model);
        }
        for alias in aliases {
            matcher.insert_alias(alias);
        }
        matcher
    }

    fn insert_model(&mut self, model: CatalogModel) {
        let key = normalize(&model.id);
        if !key.is_empty() {
            keep_smallest(&mut self.by_key, key, &model.id);
        }
        self.models.insert(model.id.clone(), model);
    }

    /// Adds or replaces an alias.
    pub fn insert_alias(&mut self, alias: AliasEntry) {
        let key = normalize(&alias.alias);
        self.exact.insert(
            (alias.source.clone(), alias.alias.clone()),
            alias.model_id.clone(),
        );
        if !key.is_empty() {
            self.by_alias_key
                .insert((alias.source, key), alias.model_id);
        }
    }

    /// Returns a model by id.
    pub fn model(&self, id: &str) -> Option<&CatalogModel> {
        self.models.get(id)
    }

    /// Every model.
    pub fn models(&self) -> impl Iterator<Item = &CatalogModel> {
        self.models.values()
    }

    /// Resolves a name of `source` to a model id: exact alias of the name (then of `match_name`),
    /// then alias by normalised key, then model id by normalised key. Source-specific aliases win over
    /// aliases for any source.
    pub fn resolve(&self, source: &str, name: &str, match_name: Option<&str>) -> Option<String> {
        for candidate in std::iter::once(name).chain(match_name) {
            for scope in [source, ANY_SOURCE] {
                if let Some(id) = self.exact.get(&(scope.to_owned(), candidate.to_owned())) {
                    return Some(id.clone());
                }
            }
        }
        let key = normalize(match_name.unwrap_or(name));
        if key.is_empty() {
            return None;
        }
        for scope in [source, ANY_SOURCE] {
            if let Some(id) = self.by_alias_key.get(&(scope.to_owned(), key.clone())) {
                return Some(id.clone());
            }
        }
        self.by_key.get(&key).cloned()
    }

    /// Merges metadata records of `source` into the catalog, creating models for names that match
    /// nothing, and returns the rows to write. Authoritative records overwrite family and open weights
    /// and widen release date (earliest) and context length (largest); others only fill gaps. Display
    /// names and creators are set when a model is created.
    pub fn apply_records(&mut self, source: &str, records: &[ModelRecord]) -> CatalogChanges {
        let mut changed: BTreeMap<String, bool> = BTreeMap::new();
        for record in records {
            let existing = self
                .resolve(source, &record.upstream_name, None)
                .or_else(|| {
                    let id = format!("{}/{}", record.creator, record.slug);
                    self.models.contains_key(&id).then_some(id)
                });
            match existing {
                Some(id) => {
                    let Some(current) = self.models.get(&id) else {
                        continue;
                    };
                    let merged = merge(current, record);
                    if &merged != current {
                        changed.entry(id.clone()).or_insert(false);
                        self.models.insert(id, merged);
                    }
                }
                None => {
                    let id = format!("{}/{}", record.creator, record.slug);
                    if record.slug.is_empty() || id.len() > 200 {
                        continue;
                    }
                    let model = CatalogModel {
                        id: id.clone(),
                        display_name: record.display_name.clone(),
                        creator: Some(record.creator.clone()),
                        family: record.family.clone(),
                        release_date: record.release_date,
                        context_length: record.context_length.filter(|length| *length > 0),
                        open_weights: record.open_weights,
                    };
                    self.insert_model(model);
                    changed.insert(id, true);
                }
            }
        }
        let mut changes = CatalogChanges::default();
        for (id, created) in changed {
            if let Some(model) = self.models.get(&id) {
                changes.upserts.push(model.clone());
                if created {
                    changes.created += 1;
                } else {
                    changes.updated += 1;
                }
            }
        }
        changes
    }

    /// Up to `limit` models whose normalised id is closest to `name`'s, most similar first, above a
    /// similarity floor.
    pub fn candidates(&self, name: &str, limit: usize) -> Vec<Candidate> {
        let key = normalize(name);
        if key.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<Candidate> = self
            .models
            .values()
            .map(|model| Candidate {
                model_id: model.id.clone(),
                display_name: model.display_name.clone(),
                similarity: strsim::jaro_winkler(&key, &normalize(&model.id)),
            })
            .filter(|candidate| candidate.similarity >= 0.75)
            .collect();
        scored.sort_by(|left, right| {
            right
                .similarity
                .total_cmp(&left.similarity)
                .then_with(|| left.model_id.cmp(&right.model_id))
        });
        scored.truncate(limit);
        scored
    }
}

fn merge(current: &CatalogModel, record: &ModelRecord) -> CatalogModel {
    let mut merged = current.clone();
    if merged.creator.is_none() {
        merged.creator = Some(record.creator.clone());
    }
    let context_length = record.context_length.filter(|length| *length > 0);
    if record.authoritative {
        merged.family = record.family.clone().or(merged.family);
        merged.open_weights = record.open_weights.or(merged.open_weights);
        merged.release_date = match (merged.release_date, record.release_date) {
            (Some(current), Some(new)) => Some(current.min(new)),
            (current, new) => current.or(new),
        };
        merged.context_length = match (merged.context_length, context_length) {
            (Some(current), Some(new)) => Some(current.max(new)),
            (current, new) => current.or(new),
        };
    } else {
        merged.family = merged.family.or_else(|| record.family.clone());
        merged.open_weights = merged.open_weights.or(record.open_weights);
        merged.release_date = merged.release_date.or(record.release_date);
        merged.context_length = merged.context_length.or(context_length);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str) -> CatalogModel {
        CatalogModel {
            id: id.to_owned(),
            display_name: id.to_owned(),
            creator: id.split('/').next().map(str::to_owned),
            family: None,
            release_date: None,
            context_length: None,
            open_weights: None,
        }
    }

    fn record(name: &str, creator: &str, slug: &str, authoritative: bool) -> ModelRecord {
        ModelRecord {
            upstream_name: name.to_owned(),
            creator: creator.to_owned(),
            slug: slug.to_owned(),
            display_name: slug.to_owned(),
            family: Some("f".to_owned()),
            release_date: NaiveDate::from_ymd_opt(2024, 8, 6),
            context_length: Some(128_000),
            open_weights: Some(false),
            authoritative,
        }
    }

    #[test]
    fn aliases_win_over_normalisation_and_source_scope_over_any() {
        let matcher = Matcher::new(
            vec![model("openai/gpt-4o"), model("deepseek/deepseek-v3")],
            vec![
                AliasEntry {
                    source: ANY_SOURCE.to_owned(),
                    alias: "deepseek-chat".to_owned(),
                    model_id: "deepseek/deepseek-v3".to_owned(),
                },
                AliasEntry {
                    source: "evalplus".to_owned(),
                    alias: "GPT 4o (Aug 2024)".to_owned(),
                    model_id: "deepseek/deepseek-v3".to_owned(),
                },
            ],
        );
        assert_eq!(
            matcher
                .resolve("openrouter", "deepseek/deepseek-chat", None)
                .as_deref(),
            Some("deepseek/deepseek-v3")
        );
        assert_eq!(
            matcher
                .resolve("lmarena", "gpt-4o-2024-08-06", None)
                .as_deref(),
            Some("openai/gpt-4o")
        );
        assert_eq!(
            matcher
                .resolve("evalplus", "GPT 4o (Aug 2024)", None)
                .as_deref(),
            Some("deepseek/deepseek-v3")
        );
        assert_eq!(
            matcher
                .resolve("swebench", "Agent + GPT", Some("gpt-4o-2024-08-06"))
                .as_deref(),
            Some("openai/gpt-4o")
        );
        assert_eq!(matcher.resolve("lmarena", "mystery-model", None), None);
    }

    #[test]
    fn records_create_once_then_merge() {
        let mut matcher = Matcher::new(vec![model("openai/gpt-4o")], Vec::new());
        let changes = matcher.apply_records(
            "modelsdev",
            &[
                record("openai/gpt-4o-2024-08-06", "openai", "gpt-4o", true),
                record("openai/o3-mini", "openai", "o3-mini", true),
                record("openai/o3-mini-2025-01-31", "openai", "o3-mini", true),
            ],
        );
        assert_eq!((changes.created, changes.updated), (1, 1));
        let gpt = matcher.model("openai/gpt-4o").expect("kept");
        assert_eq!(gpt.context_length, Some(128_000));
        assert_eq!(
            matcher
                .resolve("lmarena", "o3-mini-2025-01-31", None)
                .as_deref(),
            Some("openai/o3-mini")
        );
        // a second identical pass changes nothing
        let again = matcher.apply_records(
            "modelsdev",
            &[record("openai/gpt-4o-2024-08-06", "openai", "gpt-4o", true)],
        );
        assert_eq!(again, CatalogChanges::default());
        // gap-filling records never overwrite
        let mut other = record("openai/gpt-4o", "openai", "gpt-4o", false);
        other.context_length = Some(1);
        assert_eq!(
            matcher.apply_records("openrouter", &[other]),
            CatalogChanges::default()
        );
    }

    #[test]
    fn candidates_rank_close_names_first() {
        let matcher = Matcher::new(
            vec![
                model("openai/gpt-4o"),
                model("openai/gpt-4o-mini"),
                model("anthropic/claude-opus-4-5"),
            ],
            Vec::new(),
        );
        let candidates = matcher.candidates("gpt4o-mini", 5);
        assert_eq!(
            candidates
                .first()
                .map(|candidate| candidate.model_id.as_str()),
            Some("openai/gpt-4o-mini")
        );
        assert!(
            candidates
                .iter()
                .all(|candidate| candidate.similarity >= 0.75)
        );
        assert!(matcher.candidates("zzzz", 5).is_empty());
    }
}
