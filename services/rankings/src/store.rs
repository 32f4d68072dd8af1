//! The in-memory state of the service: the live catalog (swapped atomically), the staleness flag, earlier
//! catalog versions kept for page tokens, historical (`as_of`) catalogs and ranked results.
//!
//! Readers load the live catalog with one atomic pointer read and never wait on a rebuild; a rebuild
//! builds a complete new catalog aside and publishes it with one swap.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use arc_swap::ArcSwapOption;
use chrono::NaiveDate;

use crate::domain::catalog::Catalog;
use crate::domain::query::RankedRow;

/// Key of a cached ranking: the catalogs it was computed over and everything else that defines it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RankingKey {
    /// Version of the ranked catalog.
    pub catalog_version: u64,
    /// Version of the comparison catalog, if any.
    pub previous_version: Option<u64>,
    /// Fingerprint of the filter, ordering and weights.
    pub fingerprint: String,
    /// Date freshness was measured at.
    pub reference: NaiveDate,
}

/// Limits of the caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Earlier live catalogs kept for page tokens (besides the current one).
    pub retained_versions: usize,
    /// Historical catalogs kept.
    pub historical: usize,
    /// Ranked results kept.
    pub rankings: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            retained_versions: 4,
            historical: 8,
            rankings: 64,
        }
    }
}

/// A cached ranking and the tick it was last used at.
type CachedRanking = (u64, Arc<Vec<RankedRow>>);

struct Historical {
    date: NaiveDate,
    /// Live catalog version current when it was built; a newer live catalog invalidates it.
    base_version: u64,
    catalog: Arc<Catalog>,
}

/// The service's in-memory catalogs and caches.
pub struct CatalogStore {
    current: ArcSwapOption<Catalog>,
    stale: AtomicBool,
    next_version: AtomicU64,
    limits: StoreLimits,
    retained: Mutex<VecDeque<Arc<Catalog>>>,
    historical: Mutex<VecDeque<Historical>>,
    rankings: Mutex<HashMap<RankingKey, CachedRanking>>,
    ranking_clock: AtomicU64,
}

impl std::fmt::Debug for CatalogStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CatalogStore")
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the data inconsistent (every update is a
    // single insert or removal), so a poisoned lock is still used.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl CatalogStore {
    /// Creates an empty store.
    pub fn new(limits: StoreLimits) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            stale: AtomicBool::new(false),
            next_version: AtomicU64::new(1),
            limits,
            retained: Mutex::new(VecDeque::new()),
            historical: Mutex::new(VecDeque::new()),
            rankings: Mutex::new(HashMap::new()),
            ranking_clock: AtomicU64::new(0),
        }
    }

    /// Hands out the next catalog version.
    pub fn next_version(&self) -> u64 {
        self.next_version.fetch_add(1, Ordering::Relaxed)
    }

    /// Returns the live catalog, if one was ever built.
    pub fn current(&self) -> Option<Arc<Catalog>> {
        self.current.load_full()
    }

    /// Returns whether the latest rebuild failed (an older catalog is served).
    pub fn is_stale(&self) -> bool {
        self.stale.load(Ordering::Acquire)
    }

    /// Records that a rebuild failed.
    pub fn mark_stale(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// Publishes a new live catalog, keeps the previous one for page tokens and clears the stale flag.
    pub fn install(&self, catalog: Arc<Catalog>) {
        let previous = self.current.swap(Some(catalog));
        self.stale.store(false, Ordering::Release);
        if let Some(previous) = previous {
            let mut retained = lock(&self.retained);
            retained.push_back(previous);
            while retained.len() > self.limits.retained_versions {
                retained.pop_front();
            }
        }
    }

    /// Finds a catalog by version: the live one, a retained earlier one or a historical one.
    pub fn version(&self, version: u64) -> Option<Arc<Catalog>> {
        if let Some(current) = self.current()
            && current.version == version
        {
            return Some(current);
        }
        if let Some(found) = lock(&self.retained)
            .iter()
            .find(|catalog| catalog.version == version)
        {
            return Some(Arc::clone(found));
        }
        lock(&self.historical)
            .iter()
            .find(|historical| historical.catalog.version == version)
            .map(|historical| Arc::clone(&historical.catalog))
    }

    /// Returns the cached historical catalog of `date` built on top of live version `base_version`.
    pub fn historical(&self, date: NaiveDate, base_version: u64) -> Option<Arc<Catalog>> {
        lock(&self.historical)
            .iter()
            .find(|historical| historical.date == date && historical.base_version == base_version)
            .map(|historical| Arc::clone(&historical.catalog))
    }

    /// Caches a historical catalog, evicting the oldest beyond the limit.
    pub fn keep_historical(&self, date: NaiveDate, base_version: u64, catalog: Arc<Catalog>) {
        let mut historical = lock(&self.historical);
        historical
            .retain(|existing| !(existing.date == date && existing.base_version == base_version));
        historical.push_back(Historical {
            date,
            base_version,
            catalog,
        });
        while historical.len() > self.limits.historical {
            historical.pop_front();
        }
    }

    /// Returns a cached ranking.
    pub fn ranking(&self, key: &RankingKey) -> Option<Arc<Vec<RankedRow>>> {
        let tick = self.ranking_clock.fetch_add(1, Ordering::Relaxed);
        let mut rankings = lock(&self.rankings);
        rankings.get_mut(key).map(|(used, rows)| {
            *used = tick;
            Arc::clone(rows)
        })
    }

    /// Caches a ranking, evicting the least recently used beyond the limit.
    pub fn keep_ranking(&self, key: RankingKey, rows: Arc<Vec<RankedRow>>) {
        let tick = self.ranking_clock.fetch_add(1, Ordering::Relaxed);
        let mut rankings = lock(&self.rankings);
        rankings.insert(key, (tick, rows));
        while rankings.len() > self.limits.rankings {
            let oldest = rankings
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(oldest) => {
                    rankings.remove(&oldest);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::build;
    use crate::domain::records::CatalogInput;
    use chrono::Utc;

    fn catalog(store: &CatalogStore, as_of: Option<NaiveDate>) -> Arc<Catalog> {
        Arc::new(build(
            CatalogInput::default(),
            as_of,
            store.next_version(),
            Utc::now(),
        ))
    }

    #[test]
    fn installs_swap_and_retain_earlier_versions() {
        let store = CatalogStore::new(StoreLimits {
            retained_versions: 2,
            historical: 1,
            rankings: 2,
        });
        assert!(store.current().is_none());
        let first = catalog(&store, None);
        store.install(Arc::clone(&first));
        store.mark_stale();
        assert!(store.is_stale());
        let second = catalog(&store, None);
        store.install(Arc::clone(&second));
        assert!(!store.is_stale());
        assert_eq!(store.current().map(|c| c.version), Some(second.version));
        assert!(store.version(first.version).is_some());
        store.install(catalog(&store, None));
        store.install(catalog(&store, None));
        // Only two earlier versions are kept.
        assert!(store.version(first.version).is_none());
        assert!(store.version(second.version).is_some());
    }

    #[test]
    fn historical_catalogs_are_keyed_by_date_and_base_version() {
        let store = CatalogStore::new(StoreLimits::default());
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let historical = catalog(&store, Some(date));
        store.keep_historical(date, 7, Arc::clone(&historical));
        assert!(store.historical(date, 7).is_some());
        assert!(store.historical(date, 8).is_none());
        assert!(store.version(historical.version).is_some());
    }

    #[test]
    fn rankings_cache_evicts_the_least_recently_used() {
        let store = CatalogStore::new(StoreLimits {
            retained_versions: 1,
            historical: 1,
            rankings: 2,
        });
        let key = |name: &str| RankingKey {
            catalog_version: 1,
            previous_version: None,
            fingerprint: name.to_owned(),
            reference: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        };
        store.keep_ranking(key("a"), Arc::new(Vec::new()));
        store.keep_ranking(key("b"), Arc::new(Vec::new()));
        assert!(store.ranking(&key("a")).is_some());
        store.keep_ranking(key("c"), Arc::new(Vec::new()));
        assert!(store.ranking(&key("a")).is_some());
        assert!(store.ranking(&key("b")).is_none());
        assert!(store.ranking(&key("c")).is_some());
    }
}
