//! The start-up seeds: the curated catalog and aliases, applied without changing existing rows.

use super::{Ingestor, Trigger, sha256_hex};
use crate::domain::adapters;
use crate::repo;
use crate::repo::catalog;

impl Ingestor {
    /// Applies the catalog seed, then the MTEB seed when it differs from the stored copy (trigger
    /// startup). Seed failures are logged, never fatal.
    pub async fn apply_seeds(&self) -> anyhow::Result<()> {
        let (models, aliases) = crate::domain::seed::catalog_seed()?;
        catalog::apply_seed(&self.pool, &models, &aliases).await?;
        let seed = adapters::mteb::seed_document();
        let hash = sha256_hex(&seed.body);
        let mut connection = self.pool.acquire().await?;
        let stored = repo::stored_payloads(&mut connection, "mteb").await?;
        drop(connection);
        if stored
            .get(adapters::mteb::SEED_URL)
            .is_some_and(|payload| payload.sha256 == hash)
        {
            return Ok(());
        }
        match self
            .ingest("mteb", Trigger::Startup, Some("startup"), false)
            .await
        {
            Ok(outcome) => tracing::info!(inserted = outcome.inserted, "mteb seed applied"),
            Err(error) => tracing::warn!(error = %error, "mteb seed not applied"),
        }
        Ok(())
    }
}
