//! The shared vocabulary of observations: which (source, category, metric) triples exist, their units,
//! and which way is better. Ingest writes these names; rankings reads them. Names never contain dots
//! (`metric.SOURCE.CATEGORY.METRIC` is an `order_by` path).

/// Whether a larger value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Larger is better (scores, Elo, throughput).
    HigherIsBetter,
    /// Smaller is better (latency, price, energy).
    LowerIsBetter,
    /// Neither (metadata such as context length).
    Neutral,
}

/// One known metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSpec {
    /// Source name (`benchhub_ingest::domain::sources`).
    pub source: &'static str,
    /// Category: arena subsets (`text`, `webdev`, `vision`), `coding`, `performance`, `quality`,
    /// `pricing`, `metadata`, `energy`, `embeddings`, `reasoning`.
    pub category: &'static str,
    /// Metric name.
    pub metric: &'static str,
    /// Unit of `value`.
    pub unit: &'static str,
    /// Which way is better; drives cohort normalisation (0–100, best = 100).
    pub direction: Direction,
    /// Whether the metric counts towards the coding composite (a 0–100 score: percent or index).
    pub coding: bool,
}

const fn spec(
    source: &'static str,
    category: &'static str,
    metric: &'static str,
    unit: &'static str,
    direction: Direction,
    coding: bool,
) -> MetricSpec {
    MetricSpec {
        source,
        category,
        metric,
        unit,
        direction,
        coding,
    }
}

use Direction::{HigherIsBetter as Up, LowerIsBetter as Down, Neutral};

/// Category holding prices (`input_usd_per_mtok`, `output_usd_per_mtok`).
pub const PRICING: &str = "pricing";
/// Metric: USD per million input tokens.
pub const INPUT_PRICE: &str = "input_usd_per_mtok";
/// Metric: USD per million output tokens.
pub const OUTPUT_PRICE: &str = "output_usd_per_mtok";
/// Category holding Artificial Analysis speed metrics.
pub const PERFORMANCE: &str = "performance";
/// Metric: median time to first token, seconds.
pub const TTFT: &str = "ttft_seconds";
/// Metric: median output tokens per second.
pub const THROUGHPUT: &str = "tokens_per_second";
/// Category of quality indices.
pub const QUALITY: &str = "quality";
/// Metric: Artificial Analysis intelligence index (0–100).
pub const QUALITY_INDEX: &str = "intelligence_index";
/// Category of coding benchmarks (every metric in it feeds the coding composite).
pub const CODING: &str = "coding";
/// Metric of arena categories: Elo rating, with CI and votes.
pub const ELO: &str = "elo";

/// Every metric benchhub ingests.
pub const METRICS: &[MetricSpec] = &[
    spec("lmarena", "text", ELO, "elo", Up, false),
    spec("lmarena", "webdev", ELO, "elo", Up, false),
    spec("lmarena", "vision", ELO, "elo", Up, false),
    spec(
        "artificialanalysis",
        QUALITY,
        QUALITY_INDEX,
        "index",
        Up,
        false,
    ),
    // The Artificial Analysis coding index (LiveCodeBench, SciCode, Terminal-Bench) counts towards the
    // coding composite: it covers the newest models, which the static boards have not run.
    spec(
        "artificialanalysis",
        QUALITY,
        "coding_index",
        "index",
        Up,
        true,
    ),
    spec(
        "artificialanalysis",
        QUALITY,
        "math_index",
        "index",
        Up,
        false,
    ),
    spec(
        "artificialanalysis",
        QUALITY,
        "mmlu_pro",
        "fraction",
        Up,
        false,
    ),
    spec("artificialanalysis", QUALITY, "gpqa", "fraction", Up, false),
    spec("artificialanalysis", QUALITY, "hle", "fraction", Up, false),
    spec(
        "artificialanalysis",
        QUALITY,
        "livecodebench",
        "fraction",
        Up,
        false,
    ),
    spec(
        "artificialanalysis",
        QUALITY,
        "scicode",
        "fraction",
        Up,
        false,
    ),
    spec(
        "artificialanalysis",
        QUALITY,
        "math_500",
        "fraction",
        Up,
        false,
    ),
    spec("artificialanalysis", QUALITY, "aime", "fraction", Up, false),
    spec(
        "artificialanalysis",
        QUALITY,
        "aime_25",
        "fraction",
        Up,
        false,
    ),
    spec(
        "artificialanalysis",
        QUALITY,
        "terminalbench_hard",
        "fraction",
        Up,
        false,
    ),
    spec(
        "artificialanalysis",
        QUALITY,
        "ifbench",
        "fraction",
        Up,
        false,
    ),
    spec("artificialanalysis", QUALITY, "lcr", "fraction", Up, false),
    spec("artificialanalysis", QUALITY, "tau2", "fraction", Up, false),
    spec(
        "artificialanalysis",
        PERFORMANCE,
        TTFT,
        "seconds",
        Down,
        false,
    ),
    spec(
        "artificialanalysis",
        PERFORMANCE,
        THROUGHPUT,
        "tokens/s",
        Up,
        false,
    ),
    spec(
        "artificialanalysis",
        PRICING,
        INPUT_PRICE,
        "usd/mtok",
        Down,
        false,
    ),
    spec(
        "artificialanalysis",
        PRICING,
        OUTPUT_PRICE,
        "usd/mtok",
        Down,
        false,
    ),
    spec(
        "artificialanalysis",
        PRICING,
        "blended_usd_per_mtok",
        "usd/mtok",
        Down,
        false,
    ),
    spec(
        "ecologits",
        "energy",
        "energy_kwh_per_request",
        "kWh",
        Down,
        false,
    ),
    spec(
        "ecologits",
        "energy",
        "gwp_kgco2eq_per_request",
        "kgCO2eq",
        Down,
        false,
    ),
    spec("openrouter", PRICING, INPUT_PRICE, "usd/mtok", Down, false),
    spec("openrouter", PRICING, OUTPUT_PRICE, "usd/mtok", Down, false),
    spec(
        "openrouter",
        "metadata",
        "context_length",
        "tokens",
        Neutral,
        false,
    ),
    spec("modelsdev", PRICING, INPUT_PRICE, "usd/mtok", Down, false),
    spec("modelsdev", PRICING, OUTPUT_PRICE, "usd/mtok", Down, false),
    spec(
        "modelsdev",
        "metadata",
        "context_length",
        "tokens",
        Neutral,
        false,
    ),
    spec(
        "modelsdev",
        "metadata",
        "output_limit",
        "tokens",
        Neutral,
        false,
    ),
    spec("evalplus", CODING, "humaneval_plus", "percent", Up, true),
    spec("evalplus", CODING, "mbpp_plus", "percent", Up, true),
    spec("bigcodebench", CODING, "full_complete", "percent", Up, true),
    spec("bigcodebench", CODING, "full_instruct", "percent", Up, true),
    spec("bigcodebench", CODING, "hard_complete", "percent", Up, true),
    spec("bigcodebench", CODING, "hard_instruct", "percent", Up, true),
    spec("swebench", CODING, "verified_resolved", "percent", Up, true),
    spec("swebench", CODING, "lite_resolved", "percent", Up, true),
    // bash-only: every model in the same mini-SWE-agent scaffold, the board's model-to-model comparison.
    spec(
        "swebench",
        CODING,
        "bash_only_resolved",
        "percent",
        Up,
        true,
    ),
    spec("livecodebench", CODING, "pass_at_1", "percent", Up, true),
    spec("mteb", "embeddings", "main_score_mean", "score", Up, false),
    spec(
        "arc-agi",
        "reasoning",
        "arc_agi_1_accuracy",
        "percent",
        Up,
        false,
    ),
    spec(
        "arc-agi",
        "reasoning",
        "arc_agi_1_accuracy_attempt_1",
        "percent",
        Up,
        false,
    ),
    spec(
        "arc-agi",
        "reasoning",
        "arc_agi_1_accuracy_attempt_2",
        "percent",
        Up,
        false,
    ),
    spec(
        "arc-agi",
        "reasoning",
        "arc_agi_2_accuracy",
        "percent",
        Up,
        false,
    ),
    spec(
        "arc-agi",
        "reasoning",
        "arc_agi_2_accuracy_attempt_1",
        "percent",
        Up,
        false,
    ),
    spec(
        "arc-agi",
        "reasoning",
        "arc_agi_2_accuracy_attempt_2",
        "percent",
        Up,
        false,
    ),
    // cost_per_task_usd is ARC-AGI-1's; ARC-AGI-2 has its own.
    spec(
        "arc-agi",
        "reasoning",
        "cost_per_task_usd",
        "usd",
        Down,
        false,
    ),
    spec(
        "arc-agi",
        "reasoning",
        "arc_agi_2_cost_per_task_usd",
        "usd",
        Down,
        false,
    ),
];

/// Finds a metric's spec.
pub fn find(source: &str, category: &str, metric: &str) -> Option<&'static MetricSpec> {
    METRICS
        .iter()
        .find(|spec| spec.source == source && spec.category == category && spec.metric == metric)
}

/// Direction of a metric; unknown metrics default to higher-is-better.
pub fn direction(source: &str, category: &str, metric: &str) -> Direction {
    find(source, category, metric)
        .map(|spec| spec.direction)
        .unwrap_or(Direction::HigherIsBetter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_no_dots_and_are_unique() {
        for (index, spec) in METRICS.iter().enumerate() {
            for part in [spec.source, spec.category, spec.metric] {
                assert!(!part.contains('.'), "{part}");
            }
            assert!(
                METRICS[index + 1..].iter().all(|other| (
                    other.source,
                    other.category,
                    other.metric
                ) != (
                    spec.source,
                    spec.category,
                    spec.metric
                )),
                "duplicate {spec:?}"
            );
        }
    }

    #[test]
    fn coding_metrics_are_zero_to_hundred_scores_that_rise_with_quality() {
        for spec in METRICS.iter().filter(|spec| spec.coding) {
            assert!(
                spec.category == CODING || spec.metric == "coding_index",
                "{spec:?}"
            );
            assert!(spec.unit == "percent" || spec.unit == "index", "{spec:?}");
            assert_eq!(spec.direction, Direction::HigherIsBetter);
        }
    }
}
