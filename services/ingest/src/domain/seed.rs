//! The catalog seed shipped in `data/catalog_seed.json`: models and aliases for the spellings the
//! identity rules cannot reconcile (`deepseek-chat` is DeepSeek-V3; EvalPlus's `GPT-4-Turbo (Nov 2023)`
//! is `gpt-4-1106-preview`). Seed models are dated versions like any catalog model; their identity is
//! read from their id.

use benchhub_common::model::ModelRow;
use serde::Deserialize;

use crate::domain::identity::NameParts;
use crate::domain::matcher::{self, AliasEntry, CatalogModel, Origin};

/// The seed file, embedded in the binary.
pub const CATALOG_SEED: &str = include_str!("../../data/catalog_seed.json");

#[derive(Deserialize)]
struct SeedFile {
    models: Vec<ModelRow>,
    aliases: Vec<SeedAlias>,
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
        .map(|model| {
            let identity_name = model
                .id
                .split_once('/')
                .map(|(_, slug)| slug.to_owned())
                .unwrap_or_else(|| model.id.clone());
            let family =
                matcher::family_id(model.creator.as_deref(), &NameParts::parse(&identity_name));
            CatalogModel {
                row: ModelRow { family, ..model },
                origin: Origin::Seed,
                identity_name,
                first_observed: None,
            }
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
    use crate::domain::identity::NameParts;

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

    #[test]
    fn seeded_versions_are_dated_where_the_model_has_versions() {
        let (models, _) = catalog_seed().expect("seed parses");
        let sonnet = models
            .iter()
            .find(|model| model.id == "anthropic/claude-3-5-sonnet-20241022")
            .expect("seeded");
        assert!(NameParts::parse(&sonnet.identity_name).version.is_some());
        assert_eq!(
            sonnet.family.as_deref(),
            Some("anthropic/claude-sonnet-3.5")
        );
    }
}
