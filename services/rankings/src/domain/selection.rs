//! One value per (model, source, metric): which upstream entry stands for the model when several of a
//! source's entries matched it (a model's dated and `-thinking` entries on LMArena, a model's many
//! systems on SWE-bench, an OpenRouter id and its variants).
//!
//! - **Agent boards** (SWE-bench: entries are systems built on a model): the best entry; the system's
//!   name stays in the provenance.
//! - **Versioned boards** (every other benchmark): one entry stands for the model across the source's
//!   metrics of a category (so a model's BigCodeBench splits never mix two reasoning efforts): the
//!   entry that names the model most precisely (an exact id, then a rule such as the version an undated
//!   name means, then a reasoning mode of the model), then the one with the most metrics, then the
//!   newest data, then the better mean value; per metric, that entry's value, else the same order.
//! - **Prices**: only entries in the source's newest snapshot (a variant gone upstream is gone), never a
//!   `:free` variant (a flag, not the price); then as for versioned boards, a plain id before its
//!   variants (`:thinking`, `:exacto`), and a paid price before a zero one.
//!
//! Name order never decides: the last tie-break is the value itself, then the name only to be
//! deterministic between identical entries.

use std::cmp::Ordering;

use benchhub_common::vocabulary::{self, Direction};

use super::records::ObservationRecord;
use super::sources;

/// Sources whose entries are systems built on a model, where the best system stands for the model.
pub const AGENT_BOARDS: &[&str] = &["swebench"];

/// How the chosen entry was picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The only entry of the source for the model.
    Only,
    /// The best of `of` systems built on the model (agent boards).
    BestSystem {
        /// Entries considered.
        of: usize,
    },
    /// The most precisely matched of `of` entries.
    MostPrecise {
        /// Entries considered.
        of: usize,
    },
}

impl Selection {
    /// Readable explanation, e.g. `best of 4 systems`.
    pub fn describe(self) -> String {
        match self {
            Selection::Only => "only entry".to_owned(),
            Selection::BestSystem { of } => format!("best of {of} systems"),
            Selection::MostPrecise { of } => format!("most precise of {of} entries"),
        }
    }
}

/// Whether an upstream name is an OpenRouter-style free variant.
pub fn is_free_variant(name: &str) -> bool {
    name.ends_with(sources::FREE_VARIANT_SUFFIX)
}

/// Whether an upstream name carries a `:variant` suffix (`:thinking`, `:exacto`, `:free`).
fn is_variant(name: &str) -> bool {
    name.rsplit_once(':')
        .is_some_and(|(head, tail)| !head.is_empty() && !tail.contains('/'))
}

fn better_value(source: &str, category: &str, metric: &str, left: f64, right: f64) -> Ordering {
    match vocabulary::direction(source, category, metric) {
        Direction::LowerIsBetter => right.total_cmp(&left),
        _ => left.total_cmp(&right),
    }
}

/// Orders two entries of a versioned board: `Greater` means `left` is preferred.
fn versioned_order(left: &ObservationRecord, right: &ObservationRecord) -> Ordering {
    right
        .match_precision()
        .cmp(&left.match_precision())
        .then_with(|| left.data_date.cmp(&right.data_date))
        .then_with(|| left.snapshot_date.cmp(&right.snapshot_date))
        .then_with(|| {
            left.sample_size
                .unwrap_or(0)
                .cmp(&right.sample_size.unwrap_or(0))
        })
        .then_with(|| {
            better_value(
                &left.source,
                &left.category,
                &left.metric,
                left.value,
                right.value,
            )
        })
        .then_with(|| right.source_model_name.cmp(&left.source_model_name))
}

/// The upstream entry that stands for a model across the metrics of one (source, category) of a
/// versioned board, given every candidate of those metrics; `None` with at most one entry name.
pub fn preferred_entry<'a>(candidates: &[&'a ObservationRecord]) -> Option<&'a str> {
    let mut names: Vec<&str> = candidates
        .iter()
        .map(|candidate| candidate.source_model_name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.len() < 2 {
        return None;
    }
    let summary = |name: &str| {
        let rows: Vec<&&ObservationRecord> = candidates
            .iter()
            .filter(|candidate| candidate.source_model_name == name)
            .collect();
        let precision = rows
            .iter()
            .map(|row| row.match_precision())
            .min()
            .unwrap_or(u8::MAX);
        let newest = rows.iter().map(|row| row.data_date).max();
        let mean = rows
            .iter()
            .map(|row| row.normalized.unwrap_or(row.value))
            .sum::<f64>()
            / rows.len().max(1) as f64;
        (precision, rows.len(), newest, mean)
    };
    names.into_iter().max_by(|left, right| {
        let (left_precision, left_count, left_newest, left_mean) = summary(left);
        let (right_precision, right_count, right_newest, right_mean) = summary(right);
        right_precision
            .cmp(&left_precision)
            .then_with(|| left_count.cmp(&right_count))
            .then_with(|| left_newest.cmp(&right_newest))
            .then_with(|| left_mean.total_cmp(&right_mean))
            .then_with(|| right.cmp(left))
    })
}

/// Picks the entry standing for a model among the candidates of one (source, category, metric) of a
/// benchmark, the `preferred` entry of the source ([`preferred_entry`]) when it has the metric; `None`
/// without candidates.
pub fn choose<'a>(
    candidates: &[&'a ObservationRecord],
    preferred: Option<&str>,
) -> Option<(&'a ObservationRecord, Selection)> {
    if let Some(name) = preferred
        && !AGENT_BOARDS.contains(&candidates.first()?.source.as_str())
        && candidates.len() > 1
        && let Some(chosen) = candidates
            .iter()
            .copied()
            .filter(|candidate| candidate.source_model_name == name)
            .max_by(|left, right| versioned_order(left, right))
    {
        return Some((
            chosen,
            Selection::MostPrecise {
                of: candidates.len(),
            },
        ));
    }
    let first = *candidates.first()?;
    if candidates.len() == 1 {
        return Some((first, Selection::Only));
    }
    if AGENT_BOARDS.contains(&first.source.as_str()) {
        let best = candidates.iter().copied().max_by(|left, right| {
            better_value(
                &left.source,
                &left.category,
                &left.metric,
                left.value,
                right.value,
            )
            .then_with(|| versioned_order(left, right))
        })?;
        return Some((
            best,
            Selection::BestSystem {
                of: candidates.len(),
            },
        ));
    }
    let best = candidates
        .iter()
        .copied()
        .max_by(|left, right| versioned_order(left, right))?;
    Some((
        best,
        Selection::MostPrecise {
            of: candidates.len(),
        },
    ))
}

/// Picks a source's price entry for a model among `candidates` of one pricing metric; `current` says
/// whether an entry is in the source's newest snapshot. `None` when no entry qualifies.
pub fn choose_price<'a>(
    candidates: &[&'a ObservationRecord],
    current: impl Fn(&ObservationRecord) -> bool,
) -> Option<(&'a ObservationRecord, Selection)> {
    let eligible: Vec<&ObservationRecord> = candidates
        .iter()
        .copied()
        .filter(|candidate| current(candidate) && !is_free_variant(&candidate.source_model_name))
        .collect();
    let best = eligible.iter().copied().max_by(|left, right| {
        right
            .match_precision()
            .cmp(&left.match_precision())
            .then_with(|| {
                is_variant(&right.source_model_name).cmp(&is_variant(&left.source_model_name))
            })
            .then_with(|| left.snapshot_date.cmp(&right.snapshot_date))
            .then_with(|| (left.value > 0.0).cmp(&(right.value > 0.0)))
            .then_with(|| right.value.total_cmp(&left.value))
            .then_with(|| right.source_model_name.cmp(&left.source_model_name))
    })?;
    let selection = if eligible.len() == 1 {
        Selection::Only
    } else {
        Selection::MostPrecise { of: eligible.len() }
    };
    Some((best, selection))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::tests::{date, observation};

    fn named(name: &str, method: &str, value: f64) -> ObservationRecord {
        let mut record = observation("x/m", "lmarena", "text", "elo", "2026-01-01", value, None);
        record.source_model_name = name.to_owned();
        record.match_method = Some(method.to_owned());
        record
    }

    #[test]
    fn the_exact_version_beats_its_modes_whatever_the_names() {
        let exact = named("claude-opus-4-5-20251101", "exact", 1470.0);
        let thinking = named("claude-opus-4-5-20251101-thinking-32k", "mode", 1490.0);
        let (chosen, selection) = choose(&[&thinking, &exact], None).expect("chosen");
        assert_eq!(chosen.source_model_name, exact.source_model_name);
        assert_eq!(selection, Selection::MostPrecise { of: 2 });
    }

    #[test]
    fn the_best_system_stands_for_a_model_on_agent_boards() {
        let mut rag = named("RAG + GPT 4 (1106)", "version", 2.8);
        rag.source = "swebench".to_owned();
        let mut agent = named("SWE-agent + GPT 4 (1106)", "version", 22.4);
        agent.source = "swebench".to_owned();
        let (chosen, selection) = choose(&[&rag, &agent], None).expect("chosen");
        assert_eq!(chosen.value, 22.4);
        assert_eq!(selection.describe(), "best of 2 systems");
    }

    #[test]
    fn newer_data_wins_at_equal_precision() {
        let old = named("gpt-4-0613", "exact", 1100.0);
        let mut new = named("gpt-4-0613", "exact", 1150.0);
        new.data_date = date("2026-02-01");
        assert_eq!(choose(&[&old, &new], None).expect("chosen").0.value, 1150.0);
    }

    #[test]
    fn one_entry_stands_for_the_model_across_a_boards_metrics() {
        let entry = |name: &str, metric: &str, value: f64| {
            let mut record = named(name, "mode", value);
            record.source = "bigcodebench".to_owned();
            record.category = "coding".to_owned();
            record.metric = metric.to_owned();
            record
        };
        let low_complete = entry("o1 (reasoning=low)", "hard_complete", 39.2);
        let low_instruct = entry("o1 (reasoning=low)", "hard_instruct", 30.0);
        let high_complete = entry("o1 (reasoning=high)", "hard_complete", 38.0);
        let high_instruct = entry("o1 (reasoning=high)", "hard_instruct", 32.4);
        let all = [&low_complete, &low_instruct, &high_complete, &high_instruct];
        // Equal precision and coverage: the better mean (70.15 against 69.2) stands for the model.
        let preferred = preferred_entry(&all).expect("two entries");
        assert_eq!(preferred, "o1 (reasoning=high)");
        let (complete, _) =
            choose(&[&low_complete, &high_complete], Some(preferred)).expect("chosen");
        let (instruct, _) =
            choose(&[&low_instruct, &high_instruct], Some(preferred)).expect("chosen");
        assert_eq!(complete.source_model_name, instruct.source_model_name);
        assert_eq!(complete.value, 38.0);
    }

    #[test]
    fn prices_skip_free_variants_and_withdrawn_entries() {
        let price = |name: &str, value: f64, day: &str| {
            let mut record = observation(
                "x/m",
                "openrouter",
                "pricing",
                "input_usd_per_mtok",
                day,
                value,
                None,
            );
            record.source_model_name = name.to_owned();
            record.match_method = Some("exact".to_owned());
            record
        };
        let paid = price("x/m", 0.126, "2026-05-01");
        let free = price("x/m:free", 0.0, "2026-05-01");
        let gone = price("x/m-old", 0.0, "2025-12-02");
        let current = |record: &ObservationRecord| record.snapshot_date == date("2026-05-01");
        let (chosen, _) = choose_price(&[&free, &paid, &gone], current).expect("chosen");
        assert_eq!(chosen.value, 0.126);
        assert!(choose_price(&[&free], current).is_none());
        let exacto = price("x/m:exacto", 0.2, "2026-05-01");
        assert_eq!(
            choose_price(&[&exacto, &paid], current)
                .expect("chosen")
                .0
                .value,
            0.126
        );
    }
}
