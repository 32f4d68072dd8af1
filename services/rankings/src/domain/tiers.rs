//! Capability tiers (frontier / strong / efficient) of catalog models, from evidence only.
//!
//! A tier compares a model with the best model of the same catalog on one kind of evidence, in this
//! order (the first the model has decides):
//! 1. **Arena**: its LMArena Elo (text, else webdev, else vision) against the best Elo of that arena:
//!    within [`FRONTIER_ELO_GAP`] points is frontier, within [`STRONG_ELO_GAP`] strong, further behind
//!    efficient. Measuring the gap to the leader rather than an absolute rating keeps tiers meaningful as
//!    ratings drift, and tiers a historical (`as_of`) catalog against the leaders of that date.
//! 2. **Coding composite**: within [`FRONTIER_SCORE_GAP`] points of the best composite is frontier,
//!    within [`STRONG_SCORE_GAP`] strong, else efficient.
//! 3. **Quality index** (Artificial Analysis): the same gaps as the composite.
//! 4. **Stored tier**: a tier other than `unknown` written to `models.tier` by an operator.
//!
//! A model without any of these has no tier: names (mini, pro, 70b) say what a lab hopes, not how a
//! model performs.

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
/// Points (0–100 scale) behind the best coding composite or quality index within which a model is
/// frontier.
pub const FRONTIER_SCORE_GAP: f64 = 10.0;
/// Points behind the best within which a model is strong (beyond: efficient).
pub const STRONG_SCORE_GAP: f64 = 25.0;

fn tier_from_gap(gap: f64, frontier: f64, strong: f64) -> ModelTier {
    if gap <= frontier {
        ModelTier::Frontier
    } else if gap <= strong {
        ModelTier::Strong
    } else {
        ModelTier::Efficient
    }
}

/// Tier from an arena rating and the best rating of the same arena.
pub fn tier_from_elo(elo: f64, best_elo: f64) -> ModelTier {
    tier_from_gap(best_elo - elo, FRONTIER_ELO_GAP, STRONG_ELO_GAP)
}

/// Tier from a 0–100 score and the best of the catalog.
pub fn tier_from_score(score: f64, best: f64) -> ModelTier {
    tier_from_gap(best - score, FRONTIER_SCORE_GAP, STRONG_SCORE_GAP)
}

/// A model's evidence, each as (its value, the catalog's best).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Arena Elo.
    pub arena: Option<(f64, f64)>,
    /// Coding composite.
    pub coding: Option<(f64, f64)>,
    /// Quality index.
    pub quality: Option<(f64, f64)>,
    /// Tier an operator stored.
    pub stored: Option<ModelTier>,
}

/// Resolves a model's tier from its evidence, in the order of the module documentation.
pub fn resolve_tier(evidence: &Evidence) -> Option<ModelTier> {
    if let Some((elo, best)) = evidence.arena {
        return Some(tier_from_elo(elo, best));
    }
    if let Some((score, best)) = evidence.coding.or(evidence.quality) {
        return Some(tier_from_score(score, best));
    }
    evidence.stored
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
    fn score_gap_thresholds() {
        assert_eq!(tier_from_score(80.0, 85.0), ModelTier::Frontier);
        assert_eq!(tier_from_score(75.0, 85.0), ModelTier::Frontier);
        assert_eq!(tier_from_score(74.9, 85.0), ModelTier::Strong);
        assert_eq!(tier_from_score(60.0, 85.0), ModelTier::Strong);
        assert_eq!(tier_from_score(59.9, 85.0), ModelTier::Efficient);
    }

    #[test]
    fn evidence_order_and_no_tier_without_evidence() {
        let arena_and_coding = Evidence {
            arena: Some((1300.0, 1450.0)),
            coding: Some((85.0, 85.0)),
            ..Evidence::default()
        };
        assert_eq!(resolve_tier(&arena_and_coding), Some(ModelTier::Strong));
        let coding = Evidence {
            coding: Some((50.0, 85.0)),
            quality: Some((70.0, 70.0)),
            ..Evidence::default()
        };
        assert_eq!(resolve_tier(&coding), Some(ModelTier::Efficient));
        let stored = Evidence {
            stored: Some(ModelTier::Frontier),
            ..Evidence::default()
        };
        assert_eq!(resolve_tier(&stored), Some(ModelTier::Frontier));
        assert_eq!(resolve_tier(&Evidence::default()), None);
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
