//! The catalog seed shipped in `data/catalog_seed.json`: canonical models and aliases for the spellings
//! normalisation cannot reconcile (`deepseek-chat` is DeepSeek-V3).

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::matcher::{AliasEntry, CatalogModel};

/// The seed file, embedded in the binary.
pub const CATALOG_SEED: &str = include_str!("../../data/catalog_seed.json");

#[derive(Deserialize)]
struct SeedFile {
    models: Vec<SeedModel>,
    aliases: Vec<SeedAlias>,
}

#[derive(Deserialize)]
struct SeedModel {
    id: String,
    display_name: String,
    creator: Option<String>,
    family: Option<String>,
    release_date: Option<NaiveDate>,
    context_length: Option<i32>,
    open_weights: Option<bool>,
}

#[derive(Deserialize)]
struct SeedAlias {
    source: String,
    alias: String,
    model_id: String,
}

/// The seeded models and aliases.
pub fn catalog_seed() -> Result<(Vec<CatalogModel>, Vec<AliasEntry>), serde_json::Error> {
    let seed: SeedFile = serde_json::from_str(CATALOG_SEED)?;
    let models = seed
        .models
        .into_iter()
        .map(|model| CatalogModel {
            id: model.id,
            display_name: model.display_name,
            creator: model.creator,
            family: model.family,
            release_date: model.release_date,
            context_length: model.context_length,
            open_weights: model.open_weights,
        })
        .collect();
    let aliases = seed
        .aliases
        .into_iter()
        .map(|alias| AliasEntry {
            source: alias.source,
            alias: alias.alias,
            model_id: alias.model_id,
        })
        .collect();
    Ok((models, aliases))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_targets_a_seeded_model() {
        let (models, aliases) = catalog_seed().expect("seed parses");
        for alias in &aliases {
            assert!(
                models.iter().any(|model| model.id == alias.model_id),
                "{}",
                alias.alias
            );
        }
    }
}
