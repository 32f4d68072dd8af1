//! The rankings use cases over the in-memory catalog: rebuilding it (at start-up and on every
//! `benchhub_catalog` notification), historical catalogs, ranked and paged queries, model lookups,
//! history, the newest model and benchmark coverage.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchhub_common::paging;
use chrono::{NaiveDate, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::domain::catalog::{self, BenchmarkMetric, Catalog};
use crate::domain::history::{self, Series};
use crate::domain::query::{self, RankedRow, RankingQuery};
use crate::error::Error;
use crate::repo::{self, HistorySelection};
use crate::store::{CatalogStore, RankingKey, StoreLimits};

/// Today's date in UTC, the reference for "today" everywhere in the service.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// What a rankings request asks for, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingsParams {
    /// Filter, ordering and weights.
    pub query: RankingQuery,
    /// Fingerprint of everything that defines the result set (page tokens are bound to it).
    pub fingerprint: String,
    /// Rankings as they stood on this date; `None` for today.
    pub as_of: Option<NaiveDate>,
    /// Earlier date to compute rank changes against.
    pub compare_to: Option<NaiveDate>,
}

/// A ranked result over one catalog.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// The catalog ranked.
    pub catalog: Arc<Catalog>,
    /// Every matching row, in order.
    pub rows: Arc<Vec<RankedRow>>,
    /// The effective as_of date (freshness is measured at it).
    pub as_of: NaiveDate,
    /// Whether the latest rebuild failed and an older catalog is served.
    pub stale: bool,
    /// Version of the catalog rank changes were computed against.
    pub previous_version: Option<u64>,
}

/// One page of a ranked result.
#[derive(Debug, Clone)]
pub struct RankingsPage {
    /// The result.
    pub ranked: Ranked,
    /// Rows of `ranked.rows` on this page.
    pub range: Range<usize>,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}

/// One page of benchmark categories.
#[derive(Debug, Clone)]
pub struct BenchmarksPage {
    /// The catalog described.
    pub catalog: Arc<Catalog>,
    /// (category, metrics, models with a metric in it) on this page.
    pub categories: Vec<(String, Vec<BenchmarkMetric>, usize)>,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}

/// The rankings service's state and use cases.
#[derive(Debug)]
pub struct Rankings {
    pool: PgPool,
    store: CatalogStore,
}

fn page_token_error(reason: &str) -> Error {
    Error::invalid("page_token", reason)
}

impl Rankings {
    /// Creates the service over `pool` with the given cache limits; no catalog exists until
    /// [`Rankings::rebuild`] succeeds.
    pub fn new(pool: PgPool, limits: StoreLimits) -> Self {
        Self {
            pool,
            store: CatalogStore::new(limits),
        }
    }

    /// The in-memory store.
    pub fn store(&self) -> &CatalogStore {
        &self.store
    }

    /// Rebuilds the live catalog from the database and publishes it. On failure the previous catalog
    /// stays in service, marked stale.
    #[tracing::instrument(skip_all)]
    pub async fn rebuild(&self) -> Result<Arc<Catalog>, Error> {
        let started = Instant::now();
        match self.build(None).await {
            Ok(catalog) => {
                self.store.install(Arc::clone(&catalog));
                tracing::info!(
                    version = catalog.version,
                    models = catalog.entries.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "catalog rebuilt"
                );
                Ok(catalog)
            }
            Err(error) => {
                self.store.mark_stale();
                tracing::warn!(error = %error, "catalog rebuild failed; serving the previous catalog as stale");
                Err(error)
            }
        }
    }

    async fn build(&self, as_of: Option<NaiveDate>) -> Result<Arc<Catalog>, Error> {
        let input = repo::load_catalog_input(&self.pool, as_of)
            .await
            .map_err(read_error)?;
        let version = self.store.next_version();
        let catalog =
            tokio::task::spawn_blocking(move || catalog::build(input, as_of, version, Utc::now()))
                .await
                .map_err(|error| Error::Internal(error.into()))?;
        Ok(Arc::new(catalog))
    }

    /// The live catalog, or UNAVAILABLE when none was ever built.
    pub fn current(&self) -> Result<Arc<Catalog>, Error> {
        self.store.current().ok_or_else(|| {
            Error::Unavailable(
                "no rankings catalog is available yet: the database has not been readable since the service started; retry later"
                    .to_owned(),
            )
        })
    }

    /// The catalog as of `date` (the live one for today or no date), built from history and cached.
    pub async fn catalog_at(&self, date: Option<NaiveDate>) -> Result<Arc<Catalog>, Error> {
        let current = self.current()?;
        let Some(date) = date.filter(|date| *date < today()) else {
            return Ok(current);
        };
        if let Some(cached) = self.store.historical(date, current.version) {
            return Ok(cached);
        }
        let catalog = self.build(Some(date)).await?;
        self.store
            .keep_historical(date, current.version, Arc::clone(&catalog));
        Ok(catalog)
    }

    fn ranked_rows(
        &self,
        catalog: &Catalog,
        previous: Option<(&Catalog, NaiveDate)>,
        params: &RankingsParams,
        reference: NaiveDate,
    ) -> Arc<Vec<RankedRow>> {
        let key = RankingKey {
            catalog_version: catalog.version,
            previous_version: previous.map(|(earlier, _)| earlier.version),
            fingerprint: params.fingerprint.clone(),
            reference,
        };
        if let Some(rows) = self.store.ranking(&key) {
            return rows;
        }
        let rows = Arc::new(query::rank(catalog, &params.query, reference, previous));
        self.store.keep_ranking(key, Arc::clone(&rows));
        rows
    }

    fn check_dates(params: &RankingsParams) -> Result<NaiveDate, Error> {
        let today = today();
        if let Some(as_of) = params.as_of
            && as_of > today
        {
            return Err(Error::invalid(
                "as_of",
                format!("{as_of} is in the future; use a date up to today ({today})"),
            ));
        }
        let as_of = params.as_of.unwrap_or(today);
        if let Some(compare_to) = params.compare_to
            && compare_to >= as_of
        {
            return Err(Error::invalid(
                "compare_to",
                format!("{compare_to} must be earlier than as_of ({as_of})"),
            ));
        }
        Ok(as_of)
    }

    async fn rank(
        &self,
        params: &RankingsParams,
        pinned: Option<(u64, Option<u64>)>,
    ) -> Result<Ranked, Error> {
        let as_of = Self::check_dates(params)?;
        let (catalog, previous) = match pinned {
            Some((version, previous_version)) => {
                let gone = || {
                    page_token_error(
                        "the catalog version this token was issued for is no longer kept (newer data arrived); start again without a page_token",
                    )
                };
                let catalog = self.store.version(version).ok_or_else(gone)?;
                let previous = match previous_version {
                    Some(version) => Some(self.store.version(version).ok_or_else(gone)?),
                    None => None,
                };
                (catalog, previous)
            }
            None => {
                let catalog = self.catalog_at(params.as_of).await?;
                let previous = match params.compare_to {
                    Some(date) => Some(self.catalog_at(Some(date)).await?),
                    None => None,
                };
                (catalog, previous)
            }
        };
        let previous_pair = match (&previous, params.compare_to) {
            (Some(earlier), Some(date)) => Some((earlier.as_ref(), date)),
            _ => None,
        };
        let rows = self.ranked_rows(&catalog, previous_pair, params, as_of);
        Ok(Ranked {
            catalog,
            rows,
            as_of,
            stale: self.store.is_stale(),
            previous_version: previous.as_ref().map(|earlier| earlier.version),
        })
    }

    /// One page of the rankings. The page token pins the catalog versions of the first page, so every
    /// page of one listing reads the same data even while ingests land.
    pub async fn list(
        &self,
        params: &RankingsParams,
        page_size: usize,
        page_token: &str,
    ) -> Result<RankingsPage, Error> {
        let cursor = paging::decode_token(page_token, &params.fingerprint)?;
        let (pinned, offset) = match cursor {
            None => (None, 0),
            Some(cursor) => {
                let parsed = parse_cursor(&cursor).ok_or_else(|| {
                    page_token_error("is malformed; start again without a page_token")
                })?;
                (Some((parsed.0, parsed.1)), parsed.2)
            }
        };
        let ranked = self.rank(params, pinned).await?;
        let total = ranked.rows.len();
        let start = offset.min(total);
        let end = start.saturating_add(page_size).min(total);
        let next_page_token = if end < total {
            paging::encode_token(
                &params.fingerprint,
                &format_cursor(ranked.catalog.version, ranked.previous_version, end),
            )
        } else {
            String::new()
        };
        Ok(RankingsPage {
            ranked,
            range: start..end,
            next_page_token,
        })
    }

    /// Every matching row, for export.
    pub async fn export(&self, params: &RankingsParams) -> Result<Ranked, Error> {
        self.rank(params, None).await
    }

    /// Finds a model by id or alias in the catalog as of `as_of`.
    pub async fn model(
        &self,
        name: &str,
        as_of: Option<NaiveDate>,
    ) -> Result<(Arc<Catalog>, usize, bool), Error> {
        if let Some(date) = as_of
            && date > today()
        {
            return Err(Error::invalid(
                "as_of",
                format!(
                    "{date} is in the future; use a date up to today ({})",
                    today()
                ),
            ));
        }
        let catalog = self.catalog_at(as_of).await?;
        let index = find_index(&catalog, name)?;
        Ok((catalog, index, self.store.is_stale()))
    }

    /// A model's history: one series per (source, category, metric) in the selection.
    pub async fn history(
        &self,
        name: &str,
        selection: &HistorySelection,
    ) -> Result<(String, String, Vec<Series>), Error> {
        if let (Some(from), Some(to)) = (selection.from, selection.to)
            && from > to
        {
            return Err(Error::invalid(
                "from_date",
                format!("{from} is after to_date ({to})"),
            ));
        }
        let catalog = self.current()?;
        let index = find_index(&catalog, name)?;
        let model = &catalog.entries[index].model;
        let records = repo::model_history(&self.pool, &model.id, selection)
            .await
            .map_err(read_error)?;
        Ok((
            model.id.clone(),
            model.display_name.clone(),
            history::series(records),
        ))
    }

    /// The newest model by first-ingested time, optionally among those first reported by `source`.
    pub fn latest(&self, source: Option<&str>) -> Result<(Arc<Catalog>, usize), Error> {
        let catalog = self.current()?;
        let newest = catalog
            .entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| {
                source.is_none_or(|source| entry.first_source.as_deref() == Some(source))
            })
            .max_by(|(_, left), (_, right)| {
                left.model
                    .first_seen_at
                    .cmp(&right.model.first_seen_at)
                    .then_with(|| right.model.id.cmp(&left.model.id))
            })
            .map(|(index, _)| index);
        match newest {
            Some(index) => Ok((catalog, index)),
            None => Err(Error::NotFound(match source {
                Some(source) => format!("no catalog model was first reported by source '{source}'"),
                None => "the catalog has no models yet".to_owned(),
            })),
        }
    }

    /// Benchmark categories with their metrics, paged by category.
    pub fn benchmarks(
        &self,
        source: Option<&str>,
        page_size: usize,
        page_token: &str,
    ) -> Result<BenchmarksPage, Error> {
        let catalog = self.current()?;
        let fingerprint = paging::fingerprint(&["benchmarks", source.unwrap_or("")]);
        let offset = match paging::decode_token(page_token, &fingerprint)? {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .map_err(|_| page_token_error("is malformed; start again without a page_token"))?,
        };
        let mut categories: Vec<(String, Vec<BenchmarkMetric>, usize)> = Vec::new();
        for metric in catalog
            .benchmarks
            .iter()
            .filter(|metric| source.is_none_or(|source| metric.source == source))
        {
            match categories.last_mut() {
                Some((name, metrics, _)) if *name == metric.category => {
                    metrics.push(metric.clone());
                }
                _ => categories.push((metric.category.clone(), vec![metric.clone()], 0)),
            }
        }
        let total = categories.len();
        let start = offset.min(total);
        let end = start.saturating_add(page_size).min(total);
        let mut page: Vec<(String, Vec<BenchmarkMetric>, usize)> =
            categories.drain(start..end).collect();
        for (name, _, count) in &mut page {
            *count = catalog
                .entries
                .iter()
                .filter(|entry| match source {
                    None => entry.categories.binary_search(name).is_ok(),
                    Some(source) => entry
                        .metrics
                        .iter()
                        .any(|value| value.source == source && value.category == *name),
                })
                .count();
        }
        let next_page_token = if end < total {
            paging::encode_token(&fingerprint, &end.to_string())
        } else {
            String::new()
        };
        Ok(BenchmarksPage {
            catalog,
            categories: page,
            next_page_token,
        })
    }

    /// Follows `benchhub_catalog` notifications until `shutdown`, rebuilding the catalog after each
    /// burst of them. When the connection is lost it rebuilds (which marks the catalog stale while the
    /// database is unreachable) and retries with backoff; a rebuild after reconnecting catches up on
    /// notifications missed meanwhile.
    pub async fn follow_notifications(
        self: Arc<Self>,
        mut listener: PgListener,
        shutdown: CancellationToken,
    ) {
        let mut backoff =
            benchhub_db::Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(notification)) => {
                    while listener.next_buffered().is_some() {}
                    tracing::debug!(payload = notification.payload(), "catalog notification");
                    if self.rebuild().await.is_ok() {
                        backoff.reset();
                    }
                }
                Ok(None) => {
                    tracing::warn!(
                        "lost the catalog notification connection; reconnected, catching up"
                    );
                    let _ = self.rebuild().await;
                }
                Err(error) => {
                    // A rebuild both catches up and probes the database; while it fails the catalog
                    // is marked stale and the loop backs off before reconnecting.
                    if self.rebuild().await.is_ok() {
                        tracing::warn!(error = %benchhub_db::describe(&error), "catalog notifications were interrupted; caught up");
                        backoff.reset();
                        continue;
                    }
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %benchhub_db::describe(&error), retry_in_ms = delay.as_millis() as u64, "catalog notifications unavailable");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
}

/// Maps a failed read with the one SQLSTATE classification (`benchhub_db::classify`): a database that
/// cannot serve now (down, dropped, refusing connections) is UNAVAILABLE, logged here as a warning; a
/// SQL bug is INTERNAL, logged once when it becomes a status.
fn read_error(error: sqlx::Error) -> Error {
    let detail = benchhub_db::describe(&error);
    let mapped = Error::from(error);
    if let Error::Unavailable(_) = &mapped {
        tracing::warn!(error = %detail, "database read failed: the database is unavailable");
    }
    mapped
}

/// Longest model id or alias accepted in a lookup (stored ids and aliases are far shorter).
pub const MAX_MODEL_NAME_CHARS: usize = 300;

fn find_index(catalog: &Catalog, name: &str) -> Result<usize, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            "model",
            "is required: a canonical id such as openai/gpt-4o or any alias",
        ));
    }
    if name.chars().count() > MAX_MODEL_NAME_CHARS {
        return Err(Error::invalid(
            "model",
            format!(
                "'{}…' is longer than {MAX_MODEL_NAME_CHARS} characters; no id or alias is",
                name.chars().take(40).collect::<String>()
            ),
        ));
    }
    catalog
        .find(name)
        .and_then(|entry| {
            catalog
                .entries
                .binary_search_by(|candidate| candidate.model.id.cmp(&entry.model.id))
                .ok()
        })
        .ok_or_else(|| Error::NotFound(format!("no catalog model has the id or alias '{name}'")))
}

fn format_cursor(version: u64, previous: Option<u64>, offset: usize) -> String {
    match previous {
        Some(previous) => format!("{version}.{previous}.{offset}"),
        None => format!("{version}.-.{offset}"),
    }
}

fn parse_cursor(cursor: &str) -> Option<(u64, Option<u64>, usize)> {
    let mut parts = cursor.split('.');
    let version = parts.next()?.parse().ok()?;
    let previous = match parts.next()? {
        "-" => None,
        text => Some(text.parse().ok()?),
    };
    let offset = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((version, previous, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(
            parse_cursor(&format_cursor(7, None, 50)),
            Some((7, None, 50))
        );
        assert_eq!(
            parse_cursor(&format_cursor(7, Some(3), 100)),
            Some((7, Some(3), 100))
        );
        assert_eq!(parse_cursor("7.x.1"), None);
        assert_eq!(parse_cursor("7.-"), None);
        assert_eq!(parse_cursor("7.-.1.2"), None);
    }
}
