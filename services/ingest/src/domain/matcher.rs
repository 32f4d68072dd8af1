//! Resolves upstream model names to canonical models and keeps the catalog of those models.
//!
//! A canonical model is one model a team can call: a dated version, a preview and a variant are models
//! of their own; provider deployments of one model fold into one. Every name is taken apart by
//! [`crate::domain::identity`] and resolved in this order; the first rule that finds a model wins and
//! is recorded with the match ([`MatchMethod`]):
//!
//! 1. **alias**: an alias row for the exact spelling (source-scoped first, then any source); aliases are
//!    how an admin overrides any automatic match;
//! 2. **exact**: a model of the same line, version, stage and mode;
//! 3. **version**: an undated spelling (`gpt-4o`, `claude-3-5-haiku-latest`, `GPT 4o (Aug 2024)`) of a
//!    line with dated versions resolves to the version current on the upstream's date (a month hint's
//!    last day, a value's measurement date, a catalog entry's release date), else the line's earliest
//!    version; without a date, the newest. A dated spelling only ever matches a version with a
//!    compatible date, so two dated versions are never merged — except a board's full date (with its
//!    year) up to 14 days after a version when the line has no version of that date: the day the board
//!    ran it (`Tools + Claude 3.7 Sonnet (2025-02-24)` is `claude-3-7-sonnet-20250219`);
//! 4. **size**: a spelling without the parameter sizes of a catalog model (`llama-4-maverick` for
//!    `llama-4-maverick-17b-128e`), when exactly one line fits;
//! 5. **mode**: a reasoning mode or effort of an API model (`claude-opus-4-5-20251101-thinking-32k`,
//!    `o4-mini (High)`) is the same model a team calls with a parameter, so it folds onto that model
//!    unless the catalog lists the variant as a model of its own (`kimi-k2-thinking`).
//!
//! Models from catalog sources (models.dev, OpenRouter, the seed) are preferred over provisional models
//! a benchmark board created. A benchmark record whose name matches nothing creates a provisional model
//! of its own when its creator can be inferred ([`crate::domain::identity::infer_creator`]); names that
//! still match nothing stay unmatched.

use std::collections::{BTreeMap, HashMap};

use benchhub_common::model::ModelRow;
use chrono::NaiveDate;

use crate::domain::identity::{self, Flavor, NameParts, Stage, Version};
use crate::domain::observation::{ModelRecord, RecordKind};

/// Source value of aliases that apply to every source.
pub const ANY_SOURCE: &str = "*";

/// How many days before an undated catalog model's release date a spelled date may be for the
/// spelling to name that model (`o3-20250416` and `o3` released 2025-04-16).
pub const RELEASE_TOLERANCE_DAYS: i64 = 14;
/// How many days after its release date: a catalog that lists only the undated id of a line lists the
/// alias of its current snapshot (`gpt-4-turbo`, dated 2023-11-06 by models.dev, serves
/// `gpt-4-turbo-2024-04-09`), so a later dated spelling within a year is that model.
pub const RELEASE_LATER_DAYS: i64 = 365;
/// How many days after a dated version a board's full date may be and still name that version (the
/// day the board ran it), when the line has no version of that date.
pub const RUN_AFTER_VERSION_DAYS: i64 = 14;
/// A date this many days before a line's earliest version names an earlier version the catalog does
/// not have (`mistral-medium` on a 2024 board, before `mistral-medium-2505`).
pub const EARLIER_VERSION_DAYS: i64 = 30;

/// Where a catalog model came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A catalog source (models.dev, OpenRouter): a model a team can call.
    Catalog,
    /// The catalog seed shipped with benchhub.
    Seed,
    /// Created for a benchmark board's name that no catalog lists (provisional).
    Benchmark,
}

impl Origin {
    /// Database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Catalog => "catalog",
            Origin::Seed => "seed",
            Origin::Benchmark => "benchmark",
        }
    }

    /// Parses the database spelling; unknown values read as catalog.
    pub fn parse(text: &str) -> Origin {
        match text {
            "seed" => Origin::Seed,
            "benchmark" => Origin::Benchmark,
            _ => Origin::Catalog,
        }
    }
}

/// A canonical model as the matcher sees it: the row's description (the shape rankings reads) and
/// what the matcher alone keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogModel {
    /// Id, name, creator, family, release date, context length, open weights.
    pub row: ModelRow,
    /// Where the model came from.
    pub origin: Origin,
    /// The spelling its identity is read from (a catalog id, or the board's name).
    pub identity_name: String,
    /// For provisional models: the earliest data date a board showed it on, which dates a board's
    /// version when no release date is known (kept in `models.metadata`).
    pub first_observed: Option<NaiveDate>,
}

impl std::ops::Deref for CatalogModel {
    type Target = ModelRow;

    fn deref(&self) -> &ModelRow {
        &self.row
    }
}

impl std::ops::DerefMut for CatalogModel {
    fn deref_mut(&mut self) -> &mut ModelRow {
        &mut self.row
    }
}

impl CatalogModel {
    /// The release date, else (provisional models) the first date a board showed the model.
    pub fn known_date(&self) -> Option<NaiveDate> {
        self.release_date.or(self.first_observed)
    }
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

/// How a name was matched, most precise first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchMethod {
    /// An alias row (seed or admin).
    Alias,
    /// Same line, version, stage and mode.
    Exact,
    /// The model was created for this name.
    Created,
    /// An undated or month-hinted spelling resolved to a version.
    Version,
    /// A spelling without sizes matched the one sized model of its line.
    Size,
    /// A reasoning mode or effort folded onto its API model.
    Mode,
}

impl MatchMethod {
    /// Database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchMethod::Alias => "alias",
            MatchMethod::Exact => "exact",
            MatchMethod::Created => "created",
            MatchMethod::Version => "version",
            MatchMethod::Size => "size",
            MatchMethod::Mode => "mode",
        }
    }

    /// How directly the name identifies the model: 0 names exactly this model, 1 names it by rule
    /// (version or size), 2 names a mode of it. When several names of one source match one model, the
    /// value of the most precise is used.
    pub fn precision(self) -> i16 {
        match self {
            MatchMethod::Alias | MatchMethod::Exact | MatchMethod::Created => 0,
            MatchMethod::Version | MatchMethod::Size => 1,
            MatchMethod::Mode => 2,
        }
    }
}

/// A resolved name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The canonical model.
    pub model_id: String,
    /// How it was found.
    pub method: MatchMethod,
    /// Readable explanation, e.g. `undated; version current on 2024-08-31 (note Aug 2024)`.
    pub detail: String,
}

/// What to resolve.
#[derive(Debug, Clone, Copy)]
pub struct NameQuery<'a> {
    /// Source of the name.
    pub source: &'a str,
    /// The name exactly as the upstream spells it.
    pub name: &'a str,
    /// The name to match when it differs (a SWE-bench system's `Model:` tag).
    pub match_name: Option<&'a str>,
    /// When the upstream measured or published the value, or released the model; picks the version
    /// an undated spelling means.
    pub observed_on: Option<NaiveDate>,
}

impl<'a> NameQuery<'a> {
    /// A query without a date or match name.
    pub fn new(source: &'a str, name: &'a str) -> Self {
        Self {
            source,
            name,
            match_name: None,
            observed_on: None,
        }
    }
}

/// What merging records changed.
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
    /// Similarity of the name's line to the model's, 0–1.
    pub similarity: f64,
}

#[derive(Debug, Clone)]
struct Indexed {
    parts: NameParts,
    /// The day the version came out: its spelled date (year from the release date when missing), else
    /// the release date.
    effective: Option<NaiveDate>,
}

/// The in-memory catalog used for matching.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    models: BTreeMap<String, CatalogModel>,
    indexed: HashMap<String, Indexed>,
    by_line: HashMap<String, Vec<String>>,
    by_unsized_line: HashMap<String, Vec<String>>,
    exact: HashMap<(String, String), String>,
    alias_identities: HashMap<(String, NameParts), String>,
}

fn effective_date(parts: &NameParts, release_date: Option<NaiveDate>) -> Option<NaiveDate> {
    match parts.version {
        Some(Version::Date(date)) => date.resolve(release_date).or(release_date),
        _ => release_date,
    }
}

/// The family id of a model: creator and the family words of its line.
pub fn family_id(creator: Option<&str>, parts: &NameParts) -> Option<String> {
    let words = parts.family_words();
    if words.is_empty() {
        return None;
    }
    let slug = identity::slug_of_words(&words);
    Some(match creator {
        Some(creator) => format!("{creator}/{slug}"),
        None => slug,
    })
}

/// The id slug of a model created from a catalog record: the upstream id without its provider path,
/// lower-case (`openai/gpt-4o-2024-08-06` → `gpt-4o-2024-08-06`).
fn catalog_slug(upstream_name: &str) -> String {
    let lower = upstream_name.trim().to_lowercase();
    let last = lower
        .rsplit('/')
        .find(|segment| !segment.is_empty())
        .unwrap_or(&lower);
    let last = last.split(':').next().unwrap_or(last);
    let mut slug = String::with_capacity(last.len());
    for character in last.chars() {
        if character.is_ascii_alphanumeric() || character == '.' || character == '_' {
            slug.push(character);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

fn describe_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
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
        if let Some(previous) = self.models.remove(&model.id) {
            self.unindex(&previous.id);
        }
        let parts = NameParts::parse(&model.identity_name);
        let effective = effective_date(&parts, model.known_date());
        if !parts.line.is_empty() {
            self.by_line
                .entry(parts.line_key())
                .or_default()
                .push(model.id.clone());
            if model.origin != Origin::Benchmark {
                self.by_unsized_line
                    .entry(parts.line_key_without_sizes())
                    .or_default()
                    .push(model.id.clone());
            }
        }
        self.indexed
            .insert(model.id.clone(), Indexed { parts, effective });
        self.models.insert(model.id.clone(), model);
    }

    fn unindex(&mut self, id: &str) {
        if let Some(indexed) = self.indexed.remove(id) {
            for (map, key) in [
                (&mut self.by_line, indexed.parts.line_key()),
                (
                    &mut self.by_unsized_line,
                    indexed.parts.line_key_without_sizes(),
                ),
            ] {
                if let Some(ids) = map.get_mut(&key) {
                    ids.retain(|known| known != id);
                }
            }
        }
    }

    /// Adds or replaces an alias.
    pub fn insert_alias(&mut self, alias: AliasEntry) {
        let parts = NameParts::parse(&alias.alias);
        if !parts.line.is_empty() {
            self.alias_identities
                .insert((alias.source.clone(), parts), alias.model_id.clone());
        }
        self.exact
            .insert((alias.source, alias.alias), alias.model_id);
    }

    /// Returns a model by id.
    pub fn model(&self, id: &str) -> Option<&CatalogModel> {
        self.models.get(id)
    }

    /// Every model.
    pub fn models(&self) -> impl Iterator<Item = &CatalogModel> {
        self.models.values()
    }

    /// Resolves a name; see the module documentation for the order of the rules.
    pub fn resolve(&self, query: &NameQuery<'_>) -> Option<Match> {
        if let Some(found) = self.alias_match(query.source, query.name, query.match_name) {
            return Some(found);
        }
        let spelling = query.match_name.unwrap_or(query.name);
        let parts = NameParts::parse(spelling);
        // `mistral-medium` is a line, `gpt-5-medium` an effort: the literal line is tried first.
        if let Some(literal) = NameParts::parse_literal(spelling)
            && let Some(found) = self.resolve_parts(&literal, query.observed_on, false)
        {
            return Some(found);
        }
        self.resolve_parts(&parts, query.observed_on, false)
    }

    fn alias_match(&self, source: &str, name: &str, match_name: Option<&str>) -> Option<Match> {
        for candidate in std::iter::once(name).chain(match_name) {
            for scope in [source, ANY_SOURCE] {
                if let Some(id) = self.exact.get(&(scope.to_owned(), candidate.to_owned()))
                    && self.models.contains_key(id)
                {
                    return Some(Match {
                        model_id: id.clone(),
                        method: MatchMethod::Alias,
                        detail: if scope == ANY_SOURCE {
                            format!("alias '{candidate}' (any source)")
                        } else {
                            format!("alias '{candidate}' ({scope})")
                        },
                    });
                }
            }
        }
        // An alias also covers its other spellings (`deepseek/deepseek-chat` for `deepseek-chat`).
        let parts = NameParts::parse(match_name.unwrap_or(name));
        for scope in [source, ANY_SOURCE] {
            if let Some(id) = self
                .alias_identities
                .get(&(scope.to_owned(), parts.clone()))
                && self.models.contains_key(id)
            {
                return Some(Match {
                    model_id: id.clone(),
                    method: MatchMethod::Alias,
                    detail: format!("another spelling of an alias ({scope})"),
                });
            }
        }
        None
    }

    /// Resolves parsed parts; `record` is true for catalog records, which never fold a mode onto
    /// another model (a catalog entry is a callable model of its own).
    fn resolve_parts(
        &self,
        parts: &NameParts,
        observed_on: Option<NaiveDate>,
        record: bool,
    ) -> Option<Match> {
        if parts.line.is_empty() {
            return None;
        }
        let (callable, provisional) =
            self.candidates_in(self.by_line.get(&parts.line_key()), parts);
        if !callable.is_empty()
            && let Some(found) = self.choose(parts, &callable, observed_on, record)
        {
            return Some(found);
        }
        // A spelling without sizes, or with sizes the catalog omits: the one line that fits.
        let (sizeless, _) = self.candidates_in(
            self.by_unsized_line.get(&parts.line_key_without_sizes()),
            parts,
        );
        let sizeless: Vec<&str> = sizeless
            .into_iter()
            .filter(|id| {
                let other = &self.indexed[*id].parts;
                other.has_sizes() != parts.has_sizes()
            })
            .collect();
        let lines: std::collections::BTreeSet<String> = sizeless
            .iter()
            .map(|id| self.indexed[*id].parts.line_key())
            .collect();
        // A one-word line (`mistral`) says too little to stand for a sized model.
        let words = parts
            .line
            .iter()
            .filter(|word| !identity::is_size(word))
            .count();
        if lines.len() == 1
            && words >= 2
            && let Some(mut found) = self.choose(parts, &sizeless, observed_on, record)
        {
            if found.method.precision() < MatchMethod::Size.precision() {
                found.method = MatchMethod::Size;
            }
            let line = lines.into_iter().next().unwrap_or_default();
            found.detail = if found.detail.is_empty() {
                format!("sizes differ from the catalog's '{line}'")
            } else {
                format!("sizes differ from the catalog's '{line}'; {}", found.detail)
            };
            return Some(found);
        }
        // Provisional models last; a catalog record never matches one (it replaces it).
        if !record && !provisional.is_empty() {
            return self.choose(parts, &provisional, observed_on, record);
        }
        None
    }

    /// Candidates of a line compatible with the name's flavour, as (catalog and seed models,
    /// provisional models). A provisional line keeps instruct and base weights apart; an API model
    /// matches any flavour but base.
    fn candidates_in<'m>(
        &'m self,
        ids: Option<&'m Vec<String>>,
        parts: &NameParts,
    ) -> (Vec<&'m str>, Vec<&'m str>) {
        let Some(ids) = ids else {
            return (Vec::new(), Vec::new());
        };
        ids.iter()
            .map(String::as_str)
            .filter(|id| {
                let model = &self.models[*id];
                let other = &self.indexed[*id].parts;
                match model.origin {
                    Origin::Benchmark => other.flavor == parts.flavor,
                    _ => parts.flavor != Flavor::Base || other.flavor == Flavor::Base,
                }
            })
            .partition(|id| self.models[*id].origin != Origin::Benchmark)
    }

    fn choose(
        &self,
        parts: &NameParts,
        candidates: &[&str],
        observed_on: Option<NaiveDate>,
        record: bool,
    ) -> Option<Match> {
        let same_mode: Vec<&str> = candidates
            .iter()
            .copied()
            .filter(|id| self.indexed[*id].parts.mode == parts.mode)
            .collect();
        let (pool, folded) = if !same_mode.is_empty() {
            (same_mode, false)
        } else if parts.mode.is_some() && !record {
            let defaults: Vec<&str> = candidates
                .iter()
                .copied()
                .filter(|id| {
                    self.indexed[*id].parts.mode.is_none()
                        && self.models[*id].origin != Origin::Benchmark
                })
                .collect();
            (defaults, true)
        } else {
            (Vec::new(), false)
        };
        if pool.is_empty() {
            return None;
        }
        let mut found = match parts.version {
            Some(version) => self.choose_dated(parts, version, &pool, record)?,
            None => self.choose_undated(parts, &pool, observed_on)?,
        };
        if folded {
            let mode = parts.mode.unwrap_or("thinking");
            found.method = MatchMethod::Mode;
            found.detail = if found.detail.is_empty() {
                format!("{mode} mode of the model")
            } else {
                format!("{mode} mode of the model; {}", found.detail)
            };
        }
        Some(found)
    }

    fn choose_dated(
        &self,
        parts: &NameParts,
        version: Version,
        pool: &[&str],
        record: bool,
    ) -> Option<Match> {
        let mut compatible: Vec<&str> = pool
            .iter()
            .copied()
            .filter(|id| {
                self.indexed[*id]
                    .parts
                    .version
                    .is_some_and(|other| other.compatible(&version))
            })
            .collect();
        // The same stage first (`-preview-05-06` before a GA of that date), then the newest.
        compatible.sort_by_key(|id| {
            let indexed = &self.indexed[*id];
            (
                indexed.parts.stage != parts.stage,
                std::cmp::Reverse(indexed.effective),
                *id,
            )
        });
        let Some(id) = compatible.first().copied() else {
            // A catalog's dated id is a callable model of its own, never an undated model's version.
            return (!record)
                .then(|| {
                    self.undated_release(parts, version, pool)
                        .or_else(|| self.run_after_version(parts, version, pool))
                })
                .flatten();
        };
        let other = &self.indexed[id].parts;
        let exact = other.stage == parts.stage;
        Some(Match {
            model_id: id.to_owned(),
            method: if exact {
                MatchMethod::Exact
            } else {
                MatchMethod::Version
            },
            detail: if exact {
                String::new()
            } else {
                "same date, other release stage".to_owned()
            },
        })
    }

    /// A dated spelling of a line whose catalog models carry no dates (`o3-20250416` when the catalog
    /// lists `o3`): the undated model of the same stage released from [`RELEASE_TOLERANCE_DAYS`] before
    /// to [`RELEASE_LATER_DAYS`] after the spelled date is that version.
    fn undated_release(&self, parts: &NameParts, version: Version, pool: &[&str]) -> Option<Match> {
        let Version::Date(spelled) = version else {
            return None;
        };
        let same_stage: Vec<&str> = pool
            .iter()
            .copied()
            .filter(|id| self.pool_stage(id) == parts.stage)
            .collect();
        if same_stage
            .iter()
            .any(|id| self.indexed[*id].parts.version.is_some())
        {
            return None;
        }
        let mut close: Vec<(i64, &str, NaiveDate)> = same_stage
            .iter()
            .filter_map(|id| {
                let released = self.models[*id].release_date?;
                let day = spelled.resolve(Some(released))?;
                let offset = (day - released).num_days();
                (-RELEASE_TOLERANCE_DAYS..=RELEASE_LATER_DAYS)
                    .contains(&offset)
                    .then_some((offset.abs(), *id, released))
            })
            .collect();
        close.sort();
        let (_, id, released) = close.first().copied()?;
        Some(Match {
            model_id: id.to_owned(),
            method: MatchMethod::Version,
            detail: format!(
                "dated name; the catalog's undated model released {}",
                describe_date(released)
            ),
        })
    }

    /// A board's full date a few days after a dated version of the line, with no version of its own
    /// (SWE-bench's `Tools + Claude 3.7 Sonnet (2025-02-24)`, five days after
    /// `claude-3-7-sonnet-20250219`): the date is when the board ran that version, up to
    /// [`RUN_AFTER_VERSION_DAYS`] later.
    fn run_after_version(
        &self,
        parts: &NameParts,
        version: Version,
        pool: &[&str],
    ) -> Option<Match> {
        let Version::Date(spelled) = version else {
            return None;
        };
        // Only a full date with its year: `exp-1121` beside `exp-1114` is a version of its own.
        spelled.day?;
        spelled.year?;
        let mut before: Vec<(NaiveDate, &str, i64)> = pool
            .iter()
            .copied()
            .filter(|id| self.pool_stage(id) == parts.stage)
            .filter(|id| matches!(self.indexed[*id].parts.version, Some(Version::Date(_))))
            .filter_map(|id| {
                let effective = self.indexed[id].effective?;
                let day = spelled.resolve(Some(effective))?;
                let offset = (day - effective).num_days();
                (0..=RUN_AFTER_VERSION_DAYS)
                    .contains(&offset)
                    .then_some((effective, id, offset))
            })
            .collect();
        before.sort();
        let (_, id, offset) = before.last().copied()?;
        Some(Match {
            model_id: id.to_owned(),
            method: MatchMethod::Version,
            detail: format!("dated {offset} days after this version (the board's run date)"),
        })
    }

    /// A model's stage for pooling: a `-latest` alias model counts as generally available.
    fn pool_stage(&self, id: &str) -> Stage {
        match self.indexed[id].parts.stage {
            Stage::Latest => Stage::Ga,
            stage => stage,
        }
    }

    /// Picks among versions by date: the one current on `reference` (the newest released on or before
    /// it), else the earliest unless `reference` is more than [`EARLIER_VERSION_DAYS`] before it (the
    /// spelling then names an earlier version the catalog does not have); without a reference, the
    /// newest. Versions without a known date count only when none has one.
    fn pick_version<'m>(
        &self,
        candidates: &[&'m str],
        reference: Option<NaiveDate>,
    ) -> Option<(&'m str, String)> {
        let mut known: Vec<(NaiveDate, &str)> = candidates
            .iter()
            .filter_map(|id| self.indexed[*id].effective.map(|day| (day, *id)))
            .collect();
        known.sort();
        if known.is_empty() {
            let mut unknown: Vec<(Option<Version>, &str)> = candidates
                .iter()
                .map(|id| (self.indexed[*id].parts.version, *id))
                .collect();
            unknown.sort_by_key(|(version, id)| {
                let counter = match version {
                    Some(Version::Counter(counter)) => *counter,
                    _ => 0,
                };
                (counter, *id)
            });
            return unknown
                .last()
                .map(|(_, id)| (*id, "the line's newest version".to_owned()));
        }
        match reference {
            Some(day) => {
                if let Some((_, id)) = known.iter().rev().find(|(effective, _)| *effective <= day) {
                    return Some((id, format!("version current on {}", describe_date(day))));
                }
                let (earliest, id) = known[0];
                ((earliest - day).num_days() <= EARLIER_VERSION_DAYS).then(|| {
                    (
                        id,
                        format!("earliest version (none before {})", describe_date(day)),
                    )
                })
            }
            None => known
                .last()
                .map(|(_, id)| (*id, "newest version".to_owned())),
        }
    }

    /// The dated version an undated model of the pool stands for, if any: a `-latest` alias stands for
    /// the newest; an undated id for the version current on its release date, unless it came out well
    /// before every version (then it is an earlier version of its own).
    fn fold_target<'m>(&self, id: &str, dated: &[&'m str]) -> Option<&'m str> {
        if dated.is_empty() {
            return None;
        }
        let reference = match (self.indexed[id].parts.stage, self.models[id].known_date()) {
            (Stage::Latest, _) => None,
            (_, Some(released)) => Some(released),
            // A board's undated name beside its dated ones is the newest of them.
            (_, None) if self.models[id].origin == Origin::Benchmark => None,
            // A catalog's undated id without a release date stands on its own.
            (_, None) => return None,
        };
        self.pick_version(dated, reference)
            .map(|(target, _)| target)
    }

    fn choose_undated(
        &self,
        parts: &NameParts,
        pool: &[&str],
        observed_on: Option<NaiveDate>,
    ) -> Option<Match> {
        let of_stage = |stage: Stage| -> Vec<&str> {
            pool.iter()
                .copied()
                .filter(|id| self.pool_stage(id) == stage)
                .collect()
        };
        let wanted = match parts.stage {
            Stage::Preview => Stage::Preview,
            Stage::Ga | Stage::Latest => Stage::Ga,
        };
        let mut stage_pool = of_stage(wanted);
        let mut other_stage = false;
        if stage_pool.is_empty() && parts.stage != Stage::Preview {
            stage_pool = of_stage(Stage::Preview);
            other_stage = true;
        }
        if stage_pool.is_empty() {
            return None;
        }
        let (dated, undated): (Vec<&str>, Vec<&str>) = stage_pool
            .iter()
            .copied()
            .partition(|id| self.indexed[*id].parts.version.is_some());
        // Undated models that stand for a dated version are folded into it.
        let mut standing: Vec<&str> = undated
            .into_iter()
            .filter(|id| self.fold_target(id, &dated).is_none())
            .collect();
        standing.sort_by_key(|id| (self.indexed[*id].parts.stage == Stage::Latest, *id));
        // A month note or `-latest` picks among versions by date; with no dated version the line's
        // undated model is the one.
        let by_date = (parts.hint.is_some() || parts.stage == Stage::Latest) && !dated.is_empty();
        if !by_date && let Some(id) = standing.first() {
            let exact = !other_stage && self.indexed[*id].parts.stage == parts.stage;
            return Some(Match {
                model_id: (*id).to_owned(),
                method: if exact {
                    MatchMethod::Exact
                } else {
                    MatchMethod::Version
                },
                detail: if exact {
                    String::new()
                } else if other_stage {
                    "no generally available release; the preview".to_owned()
                } else {
                    "the line's undated model".to_owned()
                },
            });
        }
        let mut versions = dated;
        versions.extend(standing);
        let reference =
            parts
                .hint
                .map(|hint| hint.last_day())
                .or(if parts.stage == Stage::Latest {
                    None
                } else {
                    observed_on
                });
        let (chosen, why) = self.pick_version(&versions, reference)?;
        let mut detail = format!("undated name; {why}");
        if let Some(hint) = parts.hint {
            detail.push_str(&format!(" (note {:04}-{:02})", hint.year, hint.month));
        }
        if other_stage {
            detail.push_str("; no generally available release, a preview");
        }
        Some(Match {
            model_id: chosen.to_owned(),
            method: MatchMethod::Version,
            detail,
        })
    }

    /// Undated models that dated versions of their line supersede, each with the version it folds
    /// into (see [`Self::fold_target`]). Their names resolve to those versions, so they keep no
    /// observations; aliases pointing at them are moved to the target.
    pub fn folded(&self) -> Vec<(String, String)> {
        let mut folds = Vec::new();
        for (id, model) in &self.models {
            let indexed = &self.indexed[id];
            if indexed.parts.version.is_some() || model.origin == Origin::Benchmark {
                continue;
            }
            let parts = &indexed.parts;
            let Some(ids) = self.by_line.get(&parts.line_key()) else {
                continue;
            };
            let stage = self.pool_stage(id);
            let dated: Vec<&str> = ids
                .iter()
                .map(String::as_str)
                .filter(|other| *other != id)
                .filter(|other| {
                    let other_parts = &self.indexed[*other].parts;
                    self.models[*other].origin != Origin::Benchmark
                        && other_parts.mode == parts.mode
                        && other_parts.version.is_some()
                        && self.pool_stage(other) == stage
                })
                .collect();
            if let Some(target) = self.fold_target(id, &dated) {
                folds.push((id.clone(), target.to_owned()));
            }
        }
        folds
    }

    /// Merges records of `source` into the catalog, creating models for names that match nothing
    /// (see [`RecordKind`] for what each kind may do), and returns the rows to write. Dated records go
    /// first so that undated ones resolve to the versions of the same payload.
    pub fn apply_records(&mut self, source: &str, records: &[ModelRecord]) -> CatalogChanges {
        let mut changed: BTreeMap<String, bool> = BTreeMap::new();
        let mut ordered: Vec<(&ModelRecord, NameParts)> = records
            .iter()
            .map(|record| (record, NameParts::parse(&record.upstream_name)))
            .collect();
        // Dated ids first (undated ones resolve to them), the plainest spelling of a model first (it
        // names the model a deployment folds into).
        ordered.sort_by_key(|(record, parts)| {
            (
                parts.version.is_none(),
                identity::spelling_noise(&record.upstream_name),
                record.upstream_name.len(),
            )
        });
        for (record, parts) in ordered {
            let found = self
                .alias_match(source, &record.upstream_name, None)
                .or_else(|| {
                    self.resolve_parts(
                        &parts,
                        record.release_date.or(record.observed_on),
                        record.kind != RecordKind::Benchmark,
                    )
                })
                // A catalog entry is a callable model: a mode of another model is not it.
                .filter(|found| {
                    record.kind == RecordKind::Benchmark || found.method != MatchMethod::Mode
                });
            match (found, record.kind) {
                (Some(found), RecordKind::Benchmark) => {
                    // A board only fills gaps of the model it exactly names.
                    if found.method.precision() == 0 {
                        self.merge_into(&found.model_id, record, &mut changed);
                    }
                }
                (Some(found), _) => self.merge_into(&found.model_id, record, &mut changed),
                (None, kind) => {
                    if let Some(model) = self.model_for(record, &parts, kind) {
                        let id = model.id.clone();
                        if self.models.contains_key(&id) {
                            self.merge_into(&id, record, &mut changed);
                        } else {
                            self.insert_model(model);
                            changed.insert(id, true);
                        }
                    }
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

    fn model_for(
        &self,
        record: &ModelRecord,
        parts: &NameParts,
        kind: RecordKind,
    ) -> Option<CatalogModel> {
        let (creator, slug, origin) = match kind {
            RecordKind::Benchmark => (
                identity::infer_creator(parts, record.creator.as_deref())?,
                identity::slug_of_name(&record.upstream_name),
                Origin::Benchmark,
            ),
            _ => (
                record.creator.clone()?,
                catalog_slug(&record.upstream_name),
                Origin::Catalog,
            ),
        };
        let id = format!("{creator}/{slug}");
        if slug.is_empty() || id.len() > 200 {
            return None;
        }
        Some(CatalogModel {
            row: ModelRow {
                family: family_id(Some(&creator), parts),
                id,
                display_name: record.display_name.clone(),
                creator: Some(creator),
                release_date: record.release_date,
                context_length: record.context_length.filter(|length| *length > 0),
                open_weights: record.open_weights,
            },
            origin,
            identity_name: record.upstream_name.clone(),
            first_observed: (origin == Origin::Benchmark)
                .then_some(record.observed_on)
                .flatten(),
        })
    }

    fn merge_into(&mut self, id: &str, record: &ModelRecord, changed: &mut BTreeMap<String, bool>) {
        let Some(current) = self.models.get(id) else {
            return;
        };
        let merged = merge(current, record);
        if &merged != current {
            changed.entry(id.to_owned()).or_insert(false);
            self.models.insert(id.to_owned(), merged);
        }
    }

    /// Up to `limit` models whose line is closest to `name`'s, most similar first, above a floor.
    pub fn candidates(&self, name: &str, limit: usize) -> Vec<Candidate> {
        let key = NameParts::parse(name).line_key();
        if key.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<Candidate> = self
            .models
            .values()
            .map(|model| Candidate {
                model_id: model.id.clone(),
                display_name: model.display_name.clone(),
                similarity: strsim::jaro_winkler(&key, &self.indexed[&model.id].parts.line_key()),
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
    if merged.creator.is_none() && record.kind != RecordKind::Benchmark {
        merged.creator = record.creator.clone();
    }
    let context_length = record.context_length.filter(|length| *length > 0);
    if record.kind == RecordKind::FirstParty {
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
        merged.open_weights = merged.open_weights.or(record.open_weights);
        merged.release_date = merged.release_date.or(record.release_date);
        merged.context_length = merged.context_length.or(context_length);
    }
    if merged.origin == Origin::Benchmark && record.kind == RecordKind::Benchmark {
        merged.first_observed = match (merged.first_observed, record.observed_on) {
            (Some(current), Some(new)) => Some(current.min(new)),
            (current, new) => current.or(new),
        };
    }
    if merged.family.is_none() {
        merged.family = family_id(
            merged.creator.as_deref(),
            &NameParts::parse(&merged.identity_name),
        );
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn model(id: &str, release: Option<&str>) -> CatalogModel {
        CatalogModel {
            row: ModelRow {
                release_date: release.map(date),
                ..ModelRow::new(id, id)
            },
            origin: Origin::Catalog,
            identity_name: id.to_owned(),
            first_observed: None,
        }
    }

    fn record(
        name: &str,
        kind: RecordKind,
        creator: Option<&str>,
        release: Option<&str>,
    ) -> ModelRecord {
        ModelRecord {
            upstream_name: name.to_owned(),
            kind,
            creator: creator.map(str::to_owned),
            display_name: name.to_owned(),
            release_date: release.map(date),
            observed_on: None,
            context_length: Some(128_000),
            open_weights: Some(false),
        }
    }

    fn resolve(
        matcher: &Matcher,
        source: &str,
        name: &str,
        on: Option<&str>,
    ) -> Option<(String, MatchMethod)> {
        matcher
            .resolve(&NameQuery {
                source,
                name,
                match_name: None,
                observed_on: on.map(date),
            })
            .map(|found| (found.model_id, found.method))
    }

    fn gpt4o() -> Matcher {
        Matcher::new(
            vec![
                model("openai/gpt-4o-2024-05-13", Some("2024-05-13")),
                model("openai/gpt-4o-2024-08-06", Some("2024-08-06")),
                model("openai/gpt-4o-2024-11-20", Some("2024-11-20")),
                model("openai/gpt-4o-mini-2024-07-18", Some("2024-07-18")),
                model("openai/o1-2024-12-17", Some("2024-12-17")),
                model("openai/o1-preview-2024-09-12", Some("2024-09-12")),
                model("google/gemini-2.5-pro", Some("2025-03-20")),
                model("google/gemini-2.5-pro-preview-05-06", Some("2025-05-06")),
                model("moonshotai/kimi-k2-thinking", Some("2025-11-06")),
                model("moonshotai/kimi-k2-0905-preview", Some("2025-09-05")),
                model("anthropic/claude-opus-4-5-20251101", Some("2025-11-01")),
                model(
                    "meta/llama-4-maverick-17b-128e-instruct-fp8",
                    Some("2025-04-05"),
                ),
            ],
            vec![AliasEntry {
                source: ANY_SOURCE.to_owned(),
                alias: "deepseek-chat".to_owned(),
                model_id: "openai/o1-2024-12-17".to_owned(),
            }],
        )
    }

    #[test]
    fn dated_names_match_only_their_version() {
        let matcher = gpt4o();
        for (name, expected) in [
            ("gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06"),
            ("GPT-4O-2024-08-06", "openai/gpt-4o-2024-08-06"),
            ("GPT-4o (2024-11-20)", "openai/gpt-4o-2024-11-20"),
            ("gpt-4o-20241120", "openai/gpt-4o-2024-11-20"),
            ("openai/gpt-4o-2024-05-13", "openai/gpt-4o-2024-05-13"),
            (
                "o1-Preview-2024-09-12 (temperature=1)",
                "openai/o1-preview-2024-09-12",
            ),
        ] {
            assert_eq!(
                resolve(&matcher, "lmarena", name, None),
                Some((expected.to_owned(), MatchMethod::Exact)),
                "{name}"
            );
        }
        // An unknown date is a version the catalog does not have: no match, never a neighbour.
        assert_eq!(
            resolve(&matcher, "lmarena", "gpt-4o-2025-01-01", None),
            None
        );
        // A board's full date a few days after a version is the day it ran that version.
        assert_eq!(
            resolve(&matcher, "swebench", "GPT-4o (2024-11-25)", None),
            Some(("openai/gpt-4o-2024-11-20".to_owned(), MatchMethod::Version))
        );
        let sonnet = Matcher::new(
            vec![model(
                "anthropic/claude-3-7-sonnet-20250219",
                Some("2025-02-19"),
            )],
            Vec::new(),
        );
        assert_eq!(
            resolve(&sonnet, "swebench", "Claude 3.7 Sonnet (2025-02-24)", None),
            Some((
                "anthropic/claude-3-7-sonnet-20250219".to_owned(),
                MatchMethod::Version
            ))
        );
        // Without its year, a close date is a version of its own (`gemini-exp-1121` after `-1114`).
        assert_eq!(resolve(&matcher, "lmarena", "gpt-4o-1125", None), None);
    }

    #[test]
    fn undated_names_resolve_to_the_version_current_on_their_date() {
        let matcher = gpt4o();
        let resolved =
            |name: &str, on: Option<&str>| resolve(&matcher, "x", name, on).map(|(id, _)| id);
        assert_eq!(
            resolved("GPT 4o (Aug 2024)", None).as_deref(),
            Some("openai/gpt-4o-2024-08-06")
        );
        assert_eq!(
            resolved("gpt-4o", Some("2024-06-01")).as_deref(),
            Some("openai/gpt-4o-2024-05-13")
        );
        assert_eq!(
            resolved("gpt-4o", None).as_deref(),
            Some("openai/gpt-4o-2024-11-20")
        );
        // Long before the first version: an earlier version the catalog does not have.
        assert_eq!(resolved("gpt-4o", Some("2020-01-01")), None);
        assert_eq!(
            resolved("gpt-4o", Some("2024-05-01")).as_deref(),
            Some("openai/gpt-4o-2024-05-13")
        );
        assert_eq!(
            resolved("o1", None).as_deref(),
            Some("openai/o1-2024-12-17")
        );
        assert_eq!(
            resolved("O1 Preview (Sept 2024)", None).as_deref(),
            Some("openai/o1-preview-2024-09-12")
        );
        assert_eq!(
            resolved("anthropic/claude-opus-4.5", None).as_deref(),
            Some("anthropic/claude-opus-4-5-20251101")
        );
        // GA and preview are models of their own.
        assert_eq!(
            resolved("gemini-2.5-pro", None).as_deref(),
            Some("google/gemini-2.5-pro")
        );
        assert_eq!(
            resolved("Gemini 2.5 Pro (2025-05-06)", None).as_deref(),
            Some("google/gemini-2.5-pro-preview-05-06")
        );
        assert_eq!(
            resolve(&matcher, "x", "gpt-4o", None).map(|(_, method)| method),
            Some(MatchMethod::Version)
        );
    }

    #[test]
    fn dated_names_of_undated_catalog_models_match_by_release_date() {
        let matcher = Matcher::new(
            vec![
                model("openai/o3", Some("2025-04-16")),
                model("google/gemini-2.5-pro", Some("2025-03-20")),
            ],
            Vec::new(),
        );
        assert_eq!(
            resolve(&matcher, "swebench", "o3-20250416", None),
            Some(("openai/o3".to_owned(), MatchMethod::Version))
        );
        // More than a year later is another release; a preview is another stage.
        assert_eq!(
            resolve(&matcher, "swebench", "Gemini 2.5 Pro (2026-07-30)", None),
            None
        );
        assert_eq!(
            resolve(&matcher, "bigcodebench", "Gemini-2.5-Pro-Exp-03-25", None),
            None
        );
    }

    #[test]
    fn modes_fold_unless_the_catalog_lists_the_variant() {
        let matcher = gpt4o();
        assert_eq!(
            resolve(
                &matcher,
                "lmarena",
                "claude-opus-4-5-20251101-thinking-32k",
                None
            ),
            Some((
                "anthropic/claude-opus-4-5-20251101".to_owned(),
                MatchMethod::Mode
            ))
        );
        assert_eq!(
            resolve(&matcher, "artificialanalysis", "kimi-k2-thinking", None),
            Some(("moonshotai/kimi-k2-thinking".to_owned(), MatchMethod::Exact))
        );
        assert_eq!(
            resolve(&matcher, "x", "kimi-k2-0905", None),
            Some((
                "moonshotai/kimi-k2-0905-preview".to_owned(),
                MatchMethod::Version
            ))
        );
    }

    #[test]
    fn sizes_may_be_omitted_when_one_line_fits() {
        let matcher = gpt4o();
        assert_eq!(
            resolve(&matcher, "openrouter", "meta-llama/llama-4-maverick", None),
            Some((
                "meta/llama-4-maverick-17b-128e-instruct-fp8".to_owned(),
                MatchMethod::Size
            ))
        );
        assert_eq!(
            resolve(&matcher, "swebench", "Llama 4 Maverick Instruct", None).map(|(id, _)| id),
            Some("meta/llama-4-maverick-17b-128e-instruct-fp8".to_owned())
        );
    }

    #[test]
    fn aliases_win_and_are_scoped() {
        let mut matcher = gpt4o();
        matcher.insert_alias(AliasEntry {
            source: "evalplus".to_owned(),
            alias: "GPT 4o (Aug 2024)".to_owned(),
            model_id: "openai/gpt-4o-2024-05-13".to_owned(),
        });
        assert_eq!(
            resolve(&matcher, "evalplus", "GPT 4o (Aug 2024)", None),
            Some(("openai/gpt-4o-2024-05-13".to_owned(), MatchMethod::Alias))
        );
        assert_eq!(
            resolve(&matcher, "bigcodebench", "GPT 4o (Aug 2024)", None).map(|(id, _)| id),
            Some("openai/gpt-4o-2024-08-06".to_owned())
        );
        assert_eq!(
            resolve(&matcher, "openrouter", "deepseek-chat", None).map(|(id, _)| id),
            Some("openai/o1-2024-12-17".to_owned())
        );
    }

    #[test]
    fn records_create_versions_and_fold_undated_ones() {
        let mut matcher = Matcher::default();
        let changes = matcher.apply_records(
            "x",
            &[
                record(
                    "openai/gpt-4o",
                    RecordKind::FirstParty,
                    Some("openai"),
                    Some("2024-05-13"),
                ),
                record(
                    "openai/gpt-4o-2024-05-13",
                    RecordKind::FirstParty,
                    Some("openai"),
                    Some("2024-05-13"),
                ),
                record(
                    "openai/gpt-4o-2024-08-06",
                    RecordKind::FirstParty,
                    Some("openai"),
                    Some("2024-08-06"),
                ),
                record(
                    "moonshotai/kimi-k2-thinking",
                    RecordKind::FirstParty,
                    Some("moonshotai"),
                    None,
                ),
                record(
                    "moonshotai/kimi-k2",
                    RecordKind::Catalog,
                    Some("moonshotai"),
                    None,
                ),
            ],
        );
        let ids: Vec<&str> = changes
            .upserts
            .iter()
            .map(|model| model.id.as_str())
            .collect();
        assert_eq!(
            ids,
            vec![
                "moonshotai/kimi-k2",
                "moonshotai/kimi-k2-thinking",
                "openai/gpt-4o-2024-05-13",
                "openai/gpt-4o-2024-08-06"
            ]
        );
        assert_eq!(changes.created, 4);
        let version = matcher.model("openai/gpt-4o-2024-05-13").expect("created");
        assert_eq!(version.family.as_deref(), Some("openai/gpt-4o"));
        // An undated model created earlier (e.g. by OpenRouter alone) folds once versions exist.
        let mut matcher =
            Matcher::new(vec![model("openai/gpt-4o", Some("2024-05-13"))], Vec::new());
        matcher.apply_records(
            "x",
            &[record(
                "openai/gpt-4o-2024-05-13",
                RecordKind::FirstParty,
                Some("openai"),
                Some("2024-05-13"),
            )],
        );
        assert_eq!(
            matcher.folded(),
            vec![(
                "openai/gpt-4o".to_owned(),
                "openai/gpt-4o-2024-05-13".to_owned()
            )]
        );
        assert_eq!(
            resolve(&matcher, "x", "gpt-4o", Some("2024-06-01"))
                .map(|(id, _)| id)
                .as_deref(),
            Some("openai/gpt-4o-2024-05-13")
        );
    }

    #[test]
    fn benchmark_records_create_provisional_models_only_when_nothing_matches() {
        let mut matcher = gpt4o();
        let changes = matcher.apply_records(
            "x",
            &[
                record(
                    "Qwen2.5-Coder-32B-Instruct",
                    RecordKind::Benchmark,
                    Some("Qwen"),
                    None,
                ),
                record("GPT-4o-2024-08-06", RecordKind::Benchmark, None, None),
                record("mystery-model", RecordKind::Benchmark, None, None),
            ],
        );
        assert_eq!(changes.created, 1);
        let created = &changes.upserts[0];
        assert_eq!(created.id, "alibaba/qwen2.5-coder-32b-instruct");
        assert_eq!(created.origin, Origin::Benchmark);
        assert_eq!(
            resolve(&matcher, "bigcodebench", "Qwen2.5-Coder-32B-Instruct", None),
            Some((
                "alibaba/qwen2.5-coder-32b-instruct".to_owned(),
                MatchMethod::Exact
            ))
        );
        // A catalog model of the same line later hides the provisional one.
        matcher.apply_records(
            "x",
            &[record(
                "qwen/qwen-2.5-coder-32b-instruct",
                RecordKind::Catalog,
                Some("alibaba"),
                None,
            )],
        );
        assert_eq!(
            resolve(&matcher, "bigcodebench", "Qwen2.5-Coder-32B-Instruct", None).map(|(id, _)| id),
            Some("alibaba/qwen-2.5-coder-32b-instruct".to_owned())
        );
        // Base and instruct weights of a provisional line stay apart.
        matcher.apply_records(
            "x",
            &[
                record("CodeLlama-70B", RecordKind::Benchmark, None, None),
                record("CodeLlama-70B-Instruct", RecordKind::Benchmark, None, None),
            ],
        );
        assert_ne!(
            resolve(&matcher, "evalplus", "CodeLlama-70B", None),
            resolve(&matcher, "evalplus", "CodeLlama-70B-Instruct", None)
        );
    }

    #[test]
    fn candidates_rank_close_names_first() {
        let matcher = gpt4o();
        let candidates = matcher.candidates("gpt4o-mini", 5);
        assert_eq!(
            candidates
                .first()
                .map(|candidate| candidate.model_id.as_str()),
            Some("openai/gpt-4o-mini-2024-07-18")
        );
        assert!(
            candidates
                .iter()
                .all(|candidate| candidate.similarity >= 0.75)
        );
        assert!(matcher.candidates("zzzz", 5).is_empty());
    }
}
