//! The registry of upstream sources: what each one is, where it lives, what it needs and when it runs.

/// Whether benchhub can ingest a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Fetched from a live upstream over HTTP.
    Live,
    /// A curated list shipped with benchhub, re-applied idempotently.
    Seed,
    /// Listed but refused, with a reason.
    Unavailable,
}

/// Static description of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// Stable name used in RPCs, env vars and the database (e.g. `lmarena`).
    pub name: &'static str,
    /// Human name.
    pub display_name: &'static str,
    /// Availability.
    pub availability: Availability,
    /// Why it is not live (empty for live sources).
    pub availability_reason: &'static str,
    /// Categories of data it provides.
    pub categories: &'static [&'static str],
    /// Default upstream base URL (`scheme://host[:port]`), empty when the source has no upstream.
    pub default_base_url: &'static str,
    /// Default base URL of a second upstream the adapter reads (ARC-AGI's task files, LMArena's
    /// arena-catalog files), empty when none.
    pub default_secondary_url: &'static str,
    /// What that second upstream holds, in its variable's name and the replay's path prefix
    /// (`tasks`: `BENCHHUB_SOURCE_ARC_AGI_TASKS_URL`, `/arc-agi-tasks`); empty when none.
    pub secondary_name: &'static str,
    /// How long fetched data stays fresh (humantime, e.g. `24h`): data last refreshed longer ago is
    /// served with a stale warning. Empty when it never goes stale (seed and unavailable sources).
    pub default_ttl: &'static str,
    /// Default cron schedule (UTC, with seconds field), empty when never scheduled.
    pub default_schedule: &'static str,
    /// Environment variable holding the source's secret, if any.
    pub secret_env_var: Option<&'static str>,
    /// Whether the secret is required (otherwise optional, e.g. for rate limits).
    pub secret_required: bool,
}

impl SourceSpec {
    /// Name of the environment variable overriding the base URL, e.g. `BENCHHUB_SOURCE_LMARENA_URL`.
    pub fn url_env_var(&self) -> String {
        format!("BENCHHUB_SOURCE_{}_URL", env_fragment(self.name))
    }

    /// Name of the environment variable overriding the secondary base URL, e.g.
    /// `BENCHHUB_SOURCE_ARC_AGI_TASKS_URL`, `BENCHHUB_SOURCE_LMARENA_CATALOG_URL`.
    pub fn secondary_url_env_var(&self) -> String {
        format!(
            "BENCHHUB_SOURCE_{}_{}_URL",
            env_fragment(self.name),
            env_fragment(self.secondary_name)
        )
    }

    /// Name of the environment variable overriding the freshness TTL, e.g. `BENCHHUB_SOURCE_LMARENA_TTL`.
    pub fn ttl_env_var(&self) -> String {
        format!("BENCHHUB_SOURCE_{}_TTL", env_fragment(self.name))
    }

    /// Name of the environment variable overriding the schedule, e.g. `BENCHHUB_SOURCE_ARC_AGI_SCHEDULE`.
    pub fn schedule_env_var(&self) -> String {
        format!("BENCHHUB_SOURCE_{}_SCHEDULE", env_fragment(self.name))
    }
}

fn env_fragment(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// Weekly, Monday 03:00 UTC (`sec min hour day-of-month month day-of-week`).
pub const WEEKLY: &str = "0 0 3 * * Mon";
/// Nightly, 02:00 UTC.
pub const NIGHTLY: &str = "0 0 2 * * *";
/// Daily, 04:00 UTC: LMArena's 24-hour TTL (seed 003) refreshed once a day.
pub const DAILY: &str = "0 0 4 * * *";

/// Every source benchhub knows, in display order.
pub const SOURCES: &[SourceSpec] = &[
    SourceSpec {
        name: "lmarena",
        display_name: "LMArena",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["arena"],
        default_base_url: "https://datasets-server.huggingface.co",
        default_secondary_url: "https://raw.githubusercontent.com",
        secondary_name: "catalog",
        default_schedule: DAILY,
        default_ttl: "24h",
        secret_env_var: Some("HF_TOKEN"),
        secret_required: false,
    },
    SourceSpec {
        name: "artificialanalysis",
        display_name: "Artificial Analysis",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["performance", "quality", "pricing"],
        default_base_url: "https://artificialanalysis.ai",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: Some("ARTIFICIAL_ANALYSIS_API_KEY"),
        secret_required: true,
    },
    SourceSpec {
        name: "ecologits",
        display_name: "EcoLogits",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["energy"],
        default_base_url: "https://api.ecologits.ai",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "openrouter",
        display_name: "OpenRouter",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["pricing", "metadata"],
        default_base_url: "https://openrouter.ai",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "modelsdev",
        display_name: "models.dev",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["metadata", "pricing"],
        default_base_url: "https://models.dev",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "evalplus",
        display_name: "EvalPlus",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["coding"],
        default_base_url: "https://evalplus.github.io",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "bigcodebench",
        display_name: "BigCodeBench",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["coding"],
        default_base_url: "https://bigcode-bench.github.io",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "swebench",
        display_name: "SWE-bench",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["coding"],
        default_base_url: "https://raw.githubusercontent.com",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "livecodebench",
        display_name: "LiveCodeBench",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["coding"],
        default_base_url: "https://livecodebench.github.io",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: WEEKLY,
        default_ttl: "8d",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "mteb",
        display_name: "MTEB",
        availability: Availability::Seed,
        availability_reason: "seed data: a curated list shipped with benchhub (the upstream dataset has no usable live API)",
        categories: &["embeddings"],
        default_base_url: "",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: "",
        default_ttl: "",
        secret_env_var: None,
        secret_required: false,
    },
    SourceSpec {
        name: "arc-agi",
        display_name: "ARC-AGI",
        availability: Availability::Live,
        availability_reason: "",
        categories: &["reasoning"],
        default_base_url: "https://huggingface.co",
        default_secondary_url: "https://raw.githubusercontent.com",
        secondary_name: "tasks",
        default_schedule: NIGHTLY,
        default_ttl: "2d",
        secret_env_var: Some("HF_TOKEN"),
        secret_required: false,
    },
    SourceSpec {
        name: "livebench",
        display_name: "LiveBench",
        availability: Availability::Unavailable,
        availability_reason: "licence pending",
        categories: &["coding", "reasoning"],
        default_base_url: "https://livebench.ai",
        default_secondary_url: "",
        secondary_name: "",
        default_schedule: "",
        default_ttl: "",
        secret_env_var: None,
        secret_required: false,
    },
];

/// Finds a source by name.
pub fn find(name: &str) -> Option<&'static SourceSpec> {
    SOURCES.iter().find(|source| source.name == name)
}

/// Comma-separated list of every source name, for error messages.
pub fn names() -> String {
    SOURCES
        .iter()
        .map(|source| source.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_design_source_is_registered_once() {
        let expected = [
            "lmarena",
            "artificialanalysis",
            "ecologits",
            "openrouter",
            "modelsdev",
            "evalplus",
            "bigcodebench",
            "swebench",
            "livecodebench",
            "mteb",
            "arc-agi",
            "livebench",
        ];
        assert_eq!(SOURCES.len(), expected.len());
        for name in expected {
            assert!(find(name).is_some(), "{name} missing");
        }
    }

    #[test]
    fn env_var_names_are_upper_snake() {
        let arc = find("arc-agi").expect("arc-agi");
        assert_eq!(arc.url_env_var(), "BENCHHUB_SOURCE_ARC_AGI_URL");
        assert_eq!(arc.schedule_env_var(), "BENCHHUB_SOURCE_ARC_AGI_SCHEDULE");
    }

    #[test]
    fn livebench_is_unavailable_with_the_licence_reason() {
        let livebench = find("livebench").expect("livebench");
        assert_eq!(livebench.availability, Availability::Unavailable);
        assert_eq!(livebench.availability_reason, "licence pending");
        assert_eq!(
            find("mteb").map(|source| source.availability),
            Some(Availability::Seed)
        );
    }
}
