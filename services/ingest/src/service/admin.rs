//! Catalog administration: new-model detection, alias changes with re-linking, and the
//! maintenance that folds superseded models after ingests.

use std::collections::{BTreeSet, HashSet};

use crate::domain::matcher::{ANY_SOURCE, NameQuery};
use crate::domain::sources::{self, Availability};
use crate::error::Error;
use crate::fetch::UpstreamHttp;
use crate::repo;
use crate::repo::catalog::{self, AliasRow};

use super::{IngestOutcome, Ingestor, Trigger};

/// What DetectNewModels found.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Upstream names neither in the catalog nor already ingested, sorted.
    pub new_model_names: Vec<String>,
    /// Upstream names that match a canonical model.
    pub known_count: i64,
    /// Upstream names in all.
    pub upstream_count: i64,
    /// The ingest run by auto_ingest.
    pub ingest: Option<IngestOutcome>,
}

fn check_alias_scope(source: &str) -> Result<(), Error> {
    if catalog::is_alias_scope(source) {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "unknown source '{source}'; use one of: {}, or * for every source",
            sources::names()
        )))
    }
}

impl Ingestor {
    /// After the catalog changed: re-matches the stored names of every source (sources being ingested
    /// right now are left alone; their own run matches with the newest catalog), then removes models
    /// that dated versions supersede and provisional models nothing refers to any more.
    pub async fn maintain_catalog(&self) {
        for settings in &self.sources {
            let name = settings.spec.name;
            let result: Result<i64, sqlx::Error> = async {
                let mut transaction = self.pool.begin().await?;
                if !repo::try_lock_in_transaction(&mut transaction, name).await? {
                    return Ok(0);
                }
                let matcher = catalog::load_matcher(&mut transaction).await?;
                let (_, _, changed) =
                    catalog::relink(&mut transaction, Some(name), &matcher, None).await?;
                transaction.commit().await?;
                Ok(changed)
            }
            .await;
            match result {
                Ok(0) => {}
                Ok(changed) => {
                    tracing::info!(source = name, changed, "re-linked stored observations");
                }
                Err(error) => {
                    tracing::warn!(source = name, error = %benchhub_db::describe(&error), "re-linking failed");
                }
            }
        }
        match catalog::remove_superseded(&self.pool).await {
            Ok(Some(0) | None) => {}
            Ok(Some(removed)) => tracing::info!(removed, "removed superseded and orphaned models"),
            Err(error) => {
                tracing::warn!(error = %benchhub_db::describe(&error), "removing superseded models failed");
            }
        }
    }

    /// Lists upstream model names of a live source that match no canonical model and were never
    /// ingested; with `auto_ingest` and something new, ingests the source (trigger detect).
    pub async fn detect(
        &self,
        name: &str,
        auto_ingest: bool,
        actor: Option<&str>,
    ) -> Result<Detection, Error> {
        let settings = self.settings(name)?;
        Self::check_ingestible(settings)?;
        if settings.spec.availability != Availability::Live {
            return Err(Error::FailedPrecondition(format!(
                "{name} is not a live source; only live sources can be checked for new models"
            )));
        }
        let adapter = Self::adapter(name)?;
        let context = self.context(settings);
        let mut connection = self.pool.acquire().await?;
        let stored = repo::stored_payloads(&mut connection, name).await?;
        let http = UpstreamHttp::new(
            self.client.clone(),
            self.settings.http.clone(),
            stored,
            &self.pool,
        );
        let upstream_unavailable =
            |error: String| Error::Unavailable(format!("cannot read {name} upstream: {error}"));
        let names: Vec<(String, Option<String>)> = match adapter.list_models(&http, &context).await
        {
            Some(listed) => listed
                .map_err(|error| upstream_unavailable(error.to_string()))?
                .into_iter()
                .map(|model| (model, None))
                .collect(),
            None => {
                let fetched = adapter
                    .fetch(&http, &context)
                    .await
                    .map_err(|error| upstream_unavailable(error.to_string()))?;
                let parsed = adapter
                    .parse(&fetched.documents, &context)
                    .map_err(|error| upstream_unavailable(error.to_string()))?;
                parsed
                    .observations
                    .iter()
                    .map(|observation| {
                        (
                            observation.source_model_name.clone(),
                            observation.match_name.clone(),
                        )
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            }
        };
        let matcher = catalog::load_matcher(&mut connection).await?;
        drop(connection);
        let ingested: HashSet<String> = catalog::stored_names(&self.pool, name)
            .await?
            .into_iter()
            .collect();
        let mut upstream = BTreeSet::new();
        let mut known = BTreeSet::new();
        let mut new_names = BTreeSet::new();
        for (model, match_name) in &names {
            upstream.insert(model.clone());
            let query = NameQuery {
                source: name,
                name: model,
                match_name: match_name.as_deref(),
                observed_on: None,
            };
            if matcher.resolve(&query).is_some() {
                known.insert(model.clone());
            } else if !ingested.contains(model) {
                new_names.insert(model.clone());
            }
        }
        let ingest = if auto_ingest && !new_names.is_empty() {
            Some(self.ingest(name, Trigger::Detect, actor, false).await?)
        } else {
            None
        };
        Ok(Detection {
            new_model_names: new_names.into_iter().collect(),
            known_count: known.len() as i64,
            upstream_count: upstream.len() as i64,
            ingest,
        })
    }

    /// Adds an alias and re-links that source's stored observations at once; returns the alias and how
    /// many observations now point at its model.
    pub async fn add_alias(
        &self,
        source: &str,
        alias: &str,
        model_id: &str,
        actor: &str,
    ) -> Result<(AliasRow, i64), Error> {
        check_alias_scope(source)?;
        if !catalog::model_exists(&self.pool, model_id).await? {
            return Err(Error::NotFound(format!(
                "model '{model_id}' not found; use an id from the catalog, e.g. openai/gpt-4o"
            )));
        }
        let mut transaction = self.pool.begin().await?;
        let row = match catalog::find_alias(&mut transaction, source, alias).await? {
            Some(existing) if existing.model_id == model_id => existing,
            Some(existing) => {
                return Err(Error::AlreadyExists(format!(
                    "alias '{alias}' of {source} already points at {}; remove it first",
                    existing.model_id
                )));
            }
            None => catalog::insert_alias(&mut transaction, source, alias, model_id, actor).await?,
        };
        let matcher = catalog::load_matcher(&mut transaction).await?;
        let scope = (source != ANY_SOURCE).then_some(source);
        let (linked, _, _) =
            catalog::relink(&mut transaction, scope, &matcher, Some(model_id)).await?;
        transaction.commit().await?;
        self.notify(&format!("alias:{source}")).await;
        Ok((row, linked))
    }

    /// Removes an alias; observations that matched only through it are re-matched (usually becoming
    /// unmatched). Returns the alias and how many observations left its model.
    pub async fn remove_alias(&self, source: &str, alias: &str) -> Result<(AliasRow, i64), Error> {
        check_alias_scope(source)?;
        let mut transaction = self.pool.begin().await?;
        let Some(row) = catalog::find_alias(&mut transaction, source, alias).await? else {
            return Err(Error::NotFound(format!(
                "alias '{alias}' of {source} not found"
            )));
        };
        catalog::delete_alias(&mut transaction, source, alias).await?;
        let matcher = catalog::load_matcher(&mut transaction).await?;
        let scope = (source != ANY_SOURCE).then_some(source);
        let (_, unlinked, _) =
            catalog::relink(&mut transaction, scope, &matcher, Some(&row.model_id)).await?;
        transaction.commit().await?;
        self.notify(&format!("alias:{source}")).await;
        Ok((row, unlinked))
    }
}
