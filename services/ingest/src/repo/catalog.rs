//! SQL of the model catalog: loading it for the matcher, upserting metadata, the seed, aliases,
//! re-linking stored observations and the unmatched-name report.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::identity::NameParts;
use crate::domain::matcher::{ANY_SOURCE, AliasEntry, CatalogModel, Matcher, NameQuery, Origin};

/// Advisory lock key of the catalog: ingest write transactions that only link observations hold it
/// shared; writes that may create models hold it exclusively (two catalogs ingested at once would each
/// create the model the other has not committed yet), and so does the removal of superseded and
/// orphaned models, so no model disappears while a write that resolved a name to it is uncommitted.
pub const CATALOG_LOCK: &str = "benchhub.catalog";

/// The key stored in `model_aliases.normalized_alias`: the spelling's model line.
pub fn alias_key(alias: &str) -> String {
    NameParts::parse(alias).line_key()
}

/// Loads every model and alias into a matcher.
pub async fn load_matcher(connection: &mut PgConnection) -> Result<Matcher, sqlx::Error> {
    let models = sqlx::query!(
        r#"SELECT id, display_name, creator, family, release_date, context_length, open_weights,
                  origin, identity_name, (metadata->>'first_observed')::date AS first_observed
             FROM models"#
    )
    .fetch_all(&mut *connection)
    .await?;
    let aliases = sqlx::query_as!(
        AliasEntry,
        "SELECT source, alias, model_id FROM model_aliases"
    )
    .fetch_all(&mut *connection)
    .await?;
    Ok(Matcher::new(
        models
            .into_iter()
            .map(|row| CatalogModel {
                row: benchhub_common::model_row!(row),
                origin: Origin::parse(&row.origin),
                identity_name: row.identity_name,
                first_observed: row.first_observed,
            })
            .collect(),
        aliases,
    ))
}

/// Takes the catalog lock for the rest of the transaction (see [`CATALOG_LOCK`]): exclusively for a
/// write that may create models, shared otherwise.
pub async fn lock_catalog(
    connection: &mut PgConnection,
    exclusive: bool,
) -> Result<(), sqlx::Error> {
    if exclusive {
        sqlx::query!(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            CATALOG_LOCK
        )
        .fetch_one(&mut *connection)
        .await?;
    } else {
        sqlx::query!(
            "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))",
            CATALOG_LOCK
        )
        .fetch_one(&mut *connection)
        .await?;
    }
    Ok(())
}

/// Inserts or updates models (final values computed by the matcher).
pub async fn upsert_models(
    connection: &mut PgConnection,
    models: &[CatalogModel],
) -> Result<(), sqlx::Error> {
    if models.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::new();
    let mut names = Vec::new();
    let mut creators = Vec::new();
    let mut families = Vec::new();
    let mut dates = Vec::new();
    let mut contexts = Vec::new();
    let mut open = Vec::new();
    let mut origins = Vec::new();
    let mut identities = Vec::new();
    let mut observed = Vec::new();
    for model in models {
        ids.push(model.id.as_str());
        names.push(model.display_name.as_str());
        creators.push(model.creator.as_deref());
        families.push(model.family.as_deref());
        dates.push(model.release_date);
        contexts.push(model.context_length);
        open.push(model.open_weights);
        origins.push(model.origin.as_str());
        identities.push(model.identity_name.as_str());
        observed.push(model.first_observed);
    }
    sqlx::query!(
        "INSERT INTO models AS m (id, display_name, creator, family, release_date, context_length, \
                                  open_weights, origin, identity_name, metadata) \
         SELECT id, display_name, creator, family, release_date, context_length, open_weights, \
                origin, identity_name, \
                CASE WHEN observed IS NULL THEN '{}'::jsonb \
                     ELSE jsonb_build_object('first_observed', observed) END \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], \
                     $6::int4[], $7::bool[], $8::text[], $9::text[], $10::date[]) \
              AS u(id, display_name, creator, family, release_date, context_length, open_weights, \
                   origin, identity_name, observed) \
         ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, \
            creator = EXCLUDED.creator, family = EXCLUDED.family, \
            release_date = EXCLUDED.release_date, context_length = EXCLUDED.context_length, \
            open_weights = EXCLUDED.open_weights, metadata = m.metadata || EXCLUDED.metadata, \
            updated_at = now() \
         WHERE (m.display_name, m.creator, m.family, m.release_date, m.context_length, m.open_weights, \
                m.metadata->'first_observed') \
               IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.creator, EXCLUDED.family, \
                                 EXCLUDED.release_date, EXCLUDED.context_length, EXCLUDED.open_weights, \
                                 EXCLUDED.metadata->'first_observed')",
        &ids as &[&str],
        &names as &[&str],
        &creators as &[Option<&str>],
        &families as &[Option<&str>],
        &dates as &[Option<NaiveDate>],
        &contexts as &[Option<i32>],
        &open as &[Option<bool>],
        &origins as &[&str],
        &identities as &[&str],
        &observed as &[Option<NaiveDate>]
    )
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Applies the catalog seed: missing models and aliases are added; existing rows are never changed.
pub async fn apply_seed(
    pool: &PgPool,
    models: &[CatalogModel],
    aliases: &[AliasEntry],
) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    for model in models {
        sqlx::query!(
            "INSERT INTO models (id, display_name, creator, family, release_date, context_length, \
                                 open_weights, origin, identity_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'seed', $8) ON CONFLICT (id) DO NOTHING",
            &model.id,
            &model.display_name,
            model.creator.as_deref(),
            model.family.as_deref(),
            model.release_date,
            model.context_length,
            model.open_weights,
            &model.identity_name
        )
        .execute(&mut *transaction)
        .await?;
    }
    for alias in aliases {
        sqlx::query!(
            "INSERT INTO model_aliases (source, alias, normalized_alias, model_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT model_aliases_source_alias_key DO NOTHING",
            &alias.source,
            &alias.alias,
            alias_key(&alias.alias),
            &alias.model_id
        )
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await
}

/// What a stored name should be linked to: (model id, match method, match detail).
type Wanted = (Option<String>, Option<&'static str>, Option<String>);

/// Re-matches every distinct stored (name, data date) of `source` (all sources when `None`) against
/// `matcher` and rewrites `model_id`, `match_method` and `match_detail` where they changed. Returns the
/// rows changed as (rows now linked to `focus_model` that were not before, rows that left
/// `focus_model`, total rows changed).
pub async fn relink(
    connection: &mut PgConnection,
    source: Option<&str>,
    matcher: &Matcher,
    focus_model: Option<&str>,
) -> Result<(i64, i64, i64), sqlx::Error> {
    let stored = sqlx::query!(
        r#"SELECT DISTINCT source, source_model_name, extra->>'match_name' AS match_name,
                  COALESCE((extra->>'released')::date, data_date, snapshot_date) AS "day!",
                  model_id, match_method, match_detail
             FROM observations WHERE ($1::text IS NULL OR source = $1)"#,
        source
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut desired: HashMap<(String, String, NaiveDate), Wanted> = HashMap::new();
    let mut stale = Vec::new();
    for row in stored {
        let (row_source, name, match_name, day) =
            (row.source, row.source_model_name, row.match_name, row.day);
        let (current, method, detail) = (row.model_id, row.match_method, row.match_detail);
        let key = (row_source.clone(), name.clone(), day);
        let target = desired
            .entry(key.clone())
            .or_insert_with(|| {
                let found = matcher.resolve(&NameQuery {
                    source: &row_source,
                    name: &name,
                    match_name: match_name.as_deref(),
                    observed_on: Some(day),
                });
                match found {
                    Some(found) => (
                        Some(found.model_id),
                        Some(found.method.as_str()),
                        Some(found.detail),
                    ),
                    None => (None, None, None),
                }
            })
            .clone();
        if (target.0.as_deref(), target.1, target.2.as_deref())
            != (current.as_deref(), method.as_deref(), detail.as_deref())
        {
            stale.push(key);
        }
    }
    stale.sort();
    stale.dedup();
    if stale.is_empty() {
        return Ok((0, 0, 0));
    }
    let mut sources = Vec::with_capacity(stale.len());
    let mut names = Vec::with_capacity(stale.len());
    let mut days = Vec::with_capacity(stale.len());
    let mut targets = Vec::with_capacity(stale.len());
    let mut methods = Vec::with_capacity(stale.len());
    let mut details = Vec::with_capacity(stale.len());
    for key in &stale {
        let (target, method, detail) = desired.get(key).cloned().unwrap_or((None, None, None));
        targets.push(target);
        methods.push(method);
        details.push(detail);
        sources.push(key.0.as_str());
        names.push(key.1.as_str());
        days.push(key.2);
    }
    // Joining the table to itself by id exposes each row's value from before the update.
    let counts = sqlx::query!(
        r#"WITH wanted AS (SELECT * FROM UNNEST($1::text[], $2::text[], $3::date[], $4::text[],
                                               $5::text[], $6::text[])
                           AS w(source, source_model_name, day, model_id, method, detail)),
              changed AS (
                UPDATE observations o SET model_id = w.model_id, match_method = w.method,
                       match_detail = w.detail, updated_at = now()
                FROM wanted w, observations previous
                WHERE previous.id = o.id AND o.source = w.source
                  AND o.source_model_name = w.source_model_name
                  AND COALESCE((o.extra->>'released')::date, o.data_date, o.snapshot_date) = w.day
                  AND (o.model_id, o.match_method, o.match_detail)
                      IS DISTINCT FROM (w.model_id, w.method, w.detail)
                RETURNING previous.model_id AS old_model, o.model_id AS new_model)
         SELECT count(*) FILTER (WHERE new_model = $7 AND old_model IS DISTINCT FROM $7) AS "linked!",
                count(*) FILTER (WHERE old_model = $7 AND new_model IS DISTINCT FROM $7) AS "unlinked!",
                count(*) FILTER (WHERE old_model IS DISTINCT FROM new_model) AS "changed!"
           FROM changed"#,
        &sources as &[&str],
        &names as &[&str],
        &days,
        &targets as &[Option<String>],
        &methods as &[Option<&str>],
        &details as &[Option<String>],
        focus_model
    )
    .fetch_one(&mut *connection)
    .await?;
    Ok((counts.linked, counts.unlinked, counts.changed))
}

/// Moves aliases off models that dated versions supersede ([`Matcher::folded`]), then removes those
/// models and provisional models that nothing refers to any more. Runs only when it gets the catalog
/// lock exclusively (no write in flight); returns how many models were removed, `None` when skipped.
pub async fn remove_superseded(pool: &PgPool) -> Result<Option<u64>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let locked: bool = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS "locked!""#,
        CATALOG_LOCK
    )
    .fetch_one(&mut *transaction)
    .await?;
    if !locked {
        return Ok(None);
    }
    let matcher = load_matcher(&mut transaction).await?;
    let folds = matcher.folded();
    let (from, to): (Vec<&str>, Vec<&str>) = folds
        .iter()
        .map(|(from, to)| (from.as_str(), to.as_str()))
        .unzip();
    if !from.is_empty() {
        // An alias of the folded model moves to its version unless that spelling already has one.
        sqlx::query!(
            "UPDATE model_aliases a SET model_id = f.target \
             FROM UNNEST($1::text[], $2::text[]) AS f(folded, target) \
             WHERE a.model_id = f.folded",
            &from as &[&str],
            &to as &[&str]
        )
        .execute(&mut *transaction)
        .await?;
    }
    let removed = sqlx::query!(
        "DELETE FROM models m \
         WHERE (m.origin = 'benchmark' OR m.id = ANY($1::text[])) \
           AND NOT EXISTS (SELECT 1 FROM observations o WHERE o.model_id = m.id) \
           AND NOT EXISTS (SELECT 1 FROM model_aliases a WHERE a.model_id = m.id)",
        &from as &[&str]
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    transaction.commit().await?;
    Ok(Some(removed))
}

/// A stored alias.
#[derive(Debug, Clone)]
pub struct AliasRow {
    /// Source or `*`.
    pub source: String,
    /// Upstream spelling.
    pub alias: String,
    /// Target model.
    pub model_id: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Whether a model exists.
pub async fn model_exists(pool: &PgPool, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM models WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(pool)
    .await
}

/// Finds an alias.
pub async fn find_alias(
    connection: &mut PgConnection,
    source: &str,
    alias: &str,
) -> Result<Option<AliasRow>, sqlx::Error> {
    sqlx::query_as!(
        AliasRow,
        "SELECT source, alias, model_id, created_at FROM model_aliases WHERE source = $1 AND alias = $2",
        source,
        alias
    )
    .fetch_optional(&mut *connection)
    .await
}

/// Inserts an alias (the caller checked it does not exist).
pub async fn insert_alias(
    connection: &mut PgConnection,
    source: &str,
    alias: &str,
    model_id: &str,
    actor: &str,
) -> Result<AliasRow, sqlx::Error> {
    let created_at: DateTime<Utc> = sqlx::query_scalar!(
        "INSERT INTO model_aliases (source, alias, normalized_alias, model_id, created_by) \
         VALUES ($1, $2, $3, $4, $5) RETURNING created_at",
        source,
        alias,
        alias_key(alias),
        model_id,
        actor
    )
    .fetch_one(&mut *connection)
    .await?;
    Ok(AliasRow {
        source: source.to_owned(),
        alias: alias.to_owned(),
        model_id: model_id.to_owned(),
        created_at,
    })
}

/// Deletes an alias.
pub async fn delete_alias(
    connection: &mut PgConnection,
    source: &str,
    alias: &str,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "DELETE FROM model_aliases WHERE source = $1 AND alias = $2",
        source,
        alias
    )
    .execute(&mut *connection)
    .await?;
    Ok(result.rows_affected())
}

/// One unmatched name with its counts.
#[derive(Debug, Clone)]
pub struct UnmatchedRow {
    /// Source.
    pub source: String,
    /// Upstream name.
    pub source_model_name: String,
    /// The name actually matched (e.g. a SWE-bench model tag), when different.
    pub match_name: Option<String>,
    /// Stored observations.
    pub observation_count: i64,
    /// First ingestion.
    pub first_seen_at: DateTime<Utc>,
    /// Last ingestion.
    pub last_seen_at: DateTime<Utc>,
}

/// Lists unmatched names, most observations first, with the total for the filter.
pub async fn list_unmatched(
    pool: &PgPool,
    source: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<UnmatchedRow>, i64), sqlx::Error> {
    let rows = sqlx::query_as!(
        UnmatchedRow,
        r#"SELECT source, source_model_name, max(extra->>'match_name') AS match_name,
                  count(*) AS "observation_count!", min(created_at) AS "first_seen_at!",
                  max(updated_at) AS "last_seen_at!"
             FROM observations WHERE model_id IS NULL AND ($1::text IS NULL OR source = $1)
            GROUP BY source, source_model_name
            ORDER BY count(*) DESC, source, source_model_name OFFSET $2 LIMIT $3"#,
        source,
        offset,
        limit
    )
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (SELECT DISTINCT source, source_model_name FROM observations
         WHERE model_id IS NULL AND ($1::text IS NULL OR source = $1)) names"#,
        source
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// Distinct stored names of a source.
pub async fn stored_names(pool: &PgPool, source: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT DISTINCT source_model_name FROM observations WHERE source = $1",
        source
    )
    .fetch_all(pool)
    .await
}

/// Whether an alias source value is acceptable: a registered source or [`ANY_SOURCE`].
pub fn is_alias_scope(source: &str) -> bool {
    source == ANY_SOURCE || crate::domain::sources::find(source).is_some()
}
