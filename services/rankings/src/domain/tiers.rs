//! Capability tiers (frontier / strong / efficient) of catalog models.
//!
//! Order of evidence (seed 003: "tiers come from arena scores, falling back to provider/family
//! heuristics"):
//! 1. **Arena**: the model's LMArena Elo (text, else webdev, else vision) compared with the best Elo of the
//!    same arena in the same catalog: within [`FRONTIER_ELO_GAP`] points of the best is frontier, within
//!    [`STRONG_ELO_GAP`] is strong, further behind is efficient. Measuring the gap to the leader rather
//!    than an absolute rating keeps tiers meaningful as arena ratings drift over the years and makes a
//!    historical (`as_of`) catalog tier models against the leaders of that date.
//! 2. **Stored tier**: a tier other than `unknown` written to `models.tier` (by ingest or an operator).
//! 3. **Heuristics** on the id, display name and family: a parameter count below 30B or a small-model
//!    word (mini, nano, flash, lite, haiku, small, tiny, micro, instant) is efficient; 400B or more or a
//!    flagship word (opus, ultra, pro, max, o1, o3, and names such as gpt-5, gpt-4.5, grok-4,
//!    deepseek-r1) is frontier; other models of a major lab, or with 30–400B parameters, are strong;
//!    anything else has no tier.

/// Capability tier of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelTier {
    /// Among the strongest models of its time.
    Frontier,
    /// Strong, below the frontier.
    Strong,
    /// Small, cheap or fast.
    Efficient,
}

impl ModelTier {
    /// Returns the lowercase name stored in `models.tier` and used in CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelTier::Frontier => "frontier",
            ModelTier::Strong => "strong",
            ModelTier::Efficient => "efficient",
        }
    }

    /// Parses a stored tier; `unknown` and anything else give `None`.
    pub fn parse(text: &str) -> Option<ModelTier> {
        match text {
            "frontier" => Some(ModelTier::Frontier),
            "strong" => Some(ModelTier::Strong),
            "efficient" => Some(ModelTier::Efficient),
            _ => None,
        }
    }
}

/// Elo points behind the arena leader within which a model is frontier.
pub const FRONTIER_ELO_GAP: f64 = 60.0;
/// Elo points behind the arena leader within which a model is strong (beyond: efficient).
pub const STRONG_ELO_GAP: f64 = 160.0;

/// Tier from an arena rating and the best rating of the same arena.
pub fn tier_from_elo(elo: f64, best_elo: f64) -> ModelTier {
    let gap = best_elo - elo;
    if gap <= FRONTIER_ELO_GAP {
        ModelTier::Frontier
    } else if gap <= STRONG_ELO_GAP {
        ModelTier::Strong
    } else {
        ModelTier::Efficient
    }
}

const EFFICIENT_WORDS: &[&str] = &[
    "mini", "nano", "flash", "lite", "haiku", "small", "tiny", "micro", "instant",
];
const FRONTIER_WORDS: &[&str] = &["opus", "ultra", "pro", "max", "o1", "o3"];
const FRONTIER_NAMES: &[&str] = &["gpt-5", "gpt-4.5", "grok-4", "deepseek-r1"];
const MAJOR_LABS: &[&str] = &[
    "openai",
    "anthropic",
    "google",
    "meta",
    "meta-llama",
    "mistral",
    "mistralai",
    "deepseek",
    "xai",
    "x-ai",
    "qwen",
    "alibaba",
    "cohere",
    "amazon",
    "microsoft",
    "nvidia",
    "zhipu",
    "moonshotai",
];

/// Parameter count in billions from a word such as `70b`, `1.5b` or `8x7b`.
fn parameters_in_billions(word: &str) -> Option<f64> {
    let number = word.strip_suffix('b')?;
    if let Some((experts, size)) = number.split_once('x') {
        let experts: f64 = experts.parse().ok()?;
        let size: f64 = size.parse().ok()?;
        return Some(experts * size);
    }
    number.parse().ok()
}

/// Tier from names alone; `None` when nothing suggests one.
pub fn heuristic_tier(
    id: &str,
    display_name: &str,
    family: Option<&str>,
    creator: Option<&str>,
) -> Option<ModelTier> {
    let text = format!("{id} {display_name} {}", family.unwrap_or("")).to_lowercase();
    let words: Vec<&str> = text
        .split(|character: char| !(character.is_ascii_alphanumeric() || character == '.'))
        .filter(|word| !word.is_empty())
        .collect();
    let parameters = words
        .iter()
        .filter_map(|word| parameters_in_billions(word))
        .fold(None, |largest: Option<f64>, value| {
            Some(largest.map_or(value, |largest| largest.max(value)))
        });
    if parameters.is_some_and(|billions| billions < 30.0)
        || words.iter().any(|word| EFFICIENT_WORDS.contains(word))
    {
        return Some(ModelTier::Efficient);
    }
    if parameters.is_some_and(|billions| billions >= 400.0)
        || words.iter().any(|word| FRONTIER_WORDS.contains(word))
        || FRONTIER_NAMES.iter().any(|name| text.contains(name))
    {
        return Some(ModelTier::Frontier);
    }
    let creator = creator.map(str::to_lowercase).or_else(|| {
        id.split_once('/')
            .map(|(creator, _)| creator.to_lowercase())
    });
    if parameters.is_some() || creator.is_some_and(|creator| MAJOR_LABS.contains(&creator.as_str()))
    {
        return Some(ModelTier::Strong);
    }
    None
}

/// Resolves a model's tier from its arena standing, stored tier and names, in that order.
pub fn resolve_tier(
    arena: Option<(f64, f64)>,
    stored: Option<ModelTier>,
    id: &str,
    display_name: &str,
    family: Option<&str>,
    creator: Option<&str>,
) -> Option<ModelTier> {
    if let Some((elo, best)) = arena {
        return Some(tier_from_elo(elo, best));
    }
    stored.or_else(|| heuristic_tier(id, display_name, family, creator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_gap_thresholds() {
        assert_eq!(tier_from_elo(1450.0, 1450.0), ModelTier::Frontier);
        assert_eq!(tier_from_elo(1390.0, 1450.0), ModelTier::Frontier);
        assert_eq!(tier_from_elo(1389.0, 1450.0), ModelTier::Strong);
        assert_eq!(tier_from_elo(1290.0, 1450.0), ModelTier::Strong);
        assert_eq!(tier_from_elo(1289.0, 1450.0), ModelTier::Efficient);
    }

    #[test]
    fn heuristics_read_sizes_and_words() {
        let tier = |id: &str, name: &str| heuristic_tier(id, name, None, None);
        assert_eq!(
            tier("openai/gpt-4o-mini", "GPT-4o mini"),
            Some(ModelTier::Efficient)
        );
        assert_eq!(
            tier("google/gemini-2.0-flash", "Gemini 2.0 Flash"),
            Some(ModelTier::Efficient)
        );
        assert_eq!(
            tier("meta-llama/llama-3.1-8b-instruct", "Llama 3.1 8B"),
            Some(ModelTier::Efficient)
        );
        assert_eq!(
            tier("meta-llama/llama-3.1-405b-instruct", "Llama 3.1 405B"),
            Some(ModelTier::Frontier)
        );
        assert_eq!(
            tier("meta-llama/llama-3.3-70b-instruct", "Llama 3.3 70B"),
            Some(ModelTier::Strong)
        );
        assert_eq!(
            tier("mistralai/mixtral-8x7b", "Mixtral 8x7B"),
            Some(ModelTier::Strong)
        );
        assert_eq!(
            tier("anthropic/claude-opus-4", "Claude Opus 4"),
            Some(ModelTier::Frontier)
        );
        assert_eq!(
            tier("google/gemini-2.5-pro", "Gemini 2.5 Pro"),
            Some(ModelTier::Frontier)
        );
        assert_eq!(tier("openai/gpt-5", "GPT-5"), Some(ModelTier::Frontier));
        assert_eq!(tier("openai/gpt-4o", "GPT-4o"), Some(ModelTier::Strong));
        assert_eq!(tier("someone/widget", "Widget"), None);
    }

    #[test]
    fn gemini_is_not_read_as_mini() {
        assert_eq!(
            heuristic_tier("google/gemini-1.0", "Gemini 1.0", None, Some("google")),
            Some(ModelTier::Strong)
        );
    }

    #[test]
    fn arena_beats_stored_tier_beats_heuristics() {
        assert_eq!(
            resolve_tier(
                Some((1300.0, 1450.0)),
                Some(ModelTier::Frontier),
                "x/mini",
                "mini",
                None,
                None
            ),
            Some(ModelTier::Strong)
        );
        assert_eq!(
            resolve_tier(
                None,
                Some(ModelTier::Frontier),
                "x/mini",
                "mini",
                None,
                None
            ),
            Some(ModelTier::Frontier)
        );
        assert_eq!(
            resolve_tier(None, None, "x/mini", "mini", None, None),
            Some(ModelTier::Efficient)
        );
    }

    #[test]
    fn stored_tiers_parse() {
        assert_eq!(ModelTier::parse("strong"), Some(ModelTier::Strong));
        assert_eq!(ModelTier::parse("unknown"), None);
        for tier in [ModelTier::Frontier, ModelTier::Strong, ModelTier::Efficient] {
            assert_eq!(ModelTier::parse(tier.as_str()), Some(tier));
        }
    }
}
