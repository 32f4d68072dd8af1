//! The sources rankings reports on and their availability.
//!
//! The list mirrors the ingest service's registry (`benchhub_ingest::domain::sources`); rankings keeps its
//! own copy so it does not link the ingest crate. A source that appears only in the database (e.g. one
//! added to ingest later) is still reported, as live.

/// Whether benchhub can fetch a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Fetched from a live upstream.
    Live,
    /// Applied from a curated seed list.
    Seed,
    /// Listed but disabled, with a reason.
    Unavailable,
}

/// Every source the ingest service knows: name, availability and the reason when not live.
pub const KNOWN_SOURCES: &[(&str, Availability, &str)] = &[
    ("lmarena", Availability::Live, ""),
    ("artificialanalysis", Availability::Live, ""),
    ("ecologits", Availability::Live, ""),
    ("openrouter", Availability::Live, ""),
    ("modelsdev", Availability::Live, ""),
    ("evalplus", Availability::Live, ""),
    ("bigcodebench", Availability::Live, ""),
    ("swebench", Availability::Live, ""),
    ("livecodebench", Availability::Live, ""),
    (
        "mteb",
        Availability::Seed,
        "seed data: a curated list shipped with benchhub",
    ),
    ("arc-agi", Availability::Live, ""),
    ("livebench", Availability::Unavailable, "licence pending"),
];

/// Returns a source's availability and reason (live with no reason for unknown names).
pub fn availability(source: &str) -> (Availability, &'static str) {
    KNOWN_SOURCES
        .iter()
        .find(|(name, _, _)| *name == source)
        .map(|(_, availability, reason)| (*availability, *reason))
        .unwrap_or((Availability::Live, ""))
}

/// Price sources, in order of preference when two give a price of the same snapshot date and precision
/// (models.dev lists the labs' own prices).
pub const PRICE_SOURCES: [&str; 3] = ["modelsdev", "openrouter", "artificialanalysis"];

/// Preferred order of context length sources (after which `models.context_length` applies).
pub const CONTEXT_SOURCES: [&str; 2] = ["openrouter", "modelsdev"];

/// Source of arena ratings.
pub const ARENA_SOURCE: &str = "lmarena";

/// Arena categories used for tiers, most general first.
pub const ARENA_CATEGORIES: [&str; 3] = ["text", "webdev", "vision"];

/// Source of TTFT, throughput and the quality index.
pub const PERFORMANCE_SOURCE: &str = "artificialanalysis";

/// Suffix OpenRouter gives free variants of a model (e.g. `meta-llama/llama-3.3-70b-instruct:free`).
pub const FREE_VARIANT_SUFFIX: &str = ":free";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_sources() {
        assert_eq!(
            availability("livebench"),
            (Availability::Unavailable, "licence pending")
        );
        assert_eq!(availability("mteb").0, Availability::Seed);
        assert_eq!(availability("lmarena"), (Availability::Live, ""));
        assert_eq!(availability("brand-new"), (Availability::Live, ""));
    }
}
