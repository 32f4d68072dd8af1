//! Validation and conversion of request messages into domain parameters.

use benchhub_common::{convert, paging};
use benchhub_proto::pb;
use chrono::NaiveDate;

use crate::domain::grades::{Freshness, PerformanceTier};
use crate::domain::query::{self, Filter, MAX_FILTER_VALUES, MAX_SEARCH_CHARS, RankingQuery};
use crate::domain::scores::Weights;
use crate::domain::tiers::ModelTier;
use crate::error::Error;
use crate::repo::HistorySelection;
use crate::service::RankingsParams;

/// Parses an optional `YYYY-MM-DD` field.
pub fn date(field: &str, text: &str) -> Result<Option<NaiveDate>, Error> {
    convert::parse_date(text).map_err(|reason| Error::invalid(field, reason))
}

fn bounded<'a>(field: &str, values: &'a [String]) -> Result<&'a [String], Error> {
    if values.len() > MAX_FILTER_VALUES {
        return Err(Error::invalid(
            field,
            format!(
                "has {} values; at most {MAX_FILTER_VALUES} are allowed",
                values.len()
            ),
        ));
    }
    if let Some(value) = values.iter().find(|value| value.len() > 200) {
        return Err(Error::invalid(
            field,
            format!(
                "value '{}…' is longer than 200 characters",
                value.chars().take(20).collect::<String>()
            ),
        ));
    }
    Ok(values)
}

fn cleaned(field: &str, values: &[String], lowercase: bool) -> Result<Vec<String>, Error> {
    Ok(bounded(field, values)?
        .iter()
        .map(|value| {
            let value = value.trim();
            if lowercase {
                value.to_lowercase()
            } else {
                value.to_owned()
            }
        })
        .filter(|value| !value.is_empty())
        .collect())
}

fn number(field: &str, value: Option<f64>, low: f64, high: f64) -> Result<Option<f64>, Error> {
    match value {
        Some(value) if !value.is_finite() || value < low || value > high => Err(Error::invalid(
            field,
            format!("must be a number from {low} to {high}, got {value}"),
        )),
        other => Ok(other),
    }
}

fn enums<T>(
    field: &str,
    values: &[i32],
    allowed: &str,
    convert: impl Fn(i32) -> Option<Option<T>>,
) -> Result<Vec<T>, Error> {
    if values.len() > MAX_FILTER_VALUES {
        return Err(Error::invalid(
            field,
            format!(
                "has {} values; at most {MAX_FILTER_VALUES} are allowed",
                values.len()
            ),
        ));
    }
    let mut converted = Vec::new();
    for value in values {
        match convert(*value) {
            Some(Some(item)) => converted.push(item),
            Some(None) => {}
            None => {
                return Err(Error::invalid(
                    field,
                    format!("{value} is not a known value; allowed: {allowed}"),
                ));
            }
        }
    }
    Ok(converted)
}

fn performance_tier(value: i32) -> Option<Option<PerformanceTier>> {
    match pb::PerformanceTier::try_from(value).ok()? {
        pb::PerformanceTier::Unspecified => Some(None),
        pb::PerformanceTier::Fast => Some(Some(PerformanceTier::Fast)),
        pb::PerformanceTier::Medium => Some(Some(PerformanceTier::Medium)),
        pb::PerformanceTier::Slow => Some(Some(PerformanceTier::Slow)),
    }
}

fn freshness(value: i32) -> Option<Option<Freshness>> {
    match pb::Freshness::try_from(value).ok()? {
        pb::Freshness::Unspecified => Some(None),
        pb::Freshness::Fresh => Some(Some(Freshness::Fresh)),
        pb::Freshness::Aging => Some(Some(Freshness::Aging)),
        pb::Freshness::Stale => Some(Some(Freshness::Stale)),
    }
}

fn model_tier(value: i32) -> Option<Option<ModelTier>> {
    match pb::ModelTier::try_from(value).ok()? {
        pb::ModelTier::Unspecified => Some(None),
        pb::ModelTier::Frontier => Some(Some(ModelTier::Frontier)),
        pb::ModelTier::Strong => Some(Some(ModelTier::Strong)),
        pb::ModelTier::Efficient => Some(Some(ModelTier::Efficient)),
    }
}

/// Validates a rankings filter; an absent filter matches everything.
pub fn filter(filter: Option<pb::RankingsFilter>) -> Result<Filter, Error> {
    let Some(filter) = filter else {
        return Ok(Filter::default());
    };
    let search = filter.search.trim().to_lowercase();
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(Error::invalid(
            "filter.search",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok(Filter {
        search,
        providers: cleaned("filter.providers", &filter.providers, true)?,
        categories: cleaned("filter.categories", &filter.categories, false)?,
        open_weights: filter.open_weights,
        min_quality: number("filter.min_quality", filter.min_quality, 0.0, 100.0)?,
        max_price: number("filter.max_price", filter.max_price, 0.0, f64::MAX)?,
        performance_tiers: enums(
            "filter.performance_tiers",
            &filter.performance_tiers,
            "PERFORMANCE_TIER_FAST, PERFORMANCE_TIER_MEDIUM, PERFORMANCE_TIER_SLOW",
            performance_tier,
        )?,
        freshness: enums(
            "filter.freshness",
            &filter.freshness,
            "FRESHNESS_FRESH, FRESHNESS_AGING, FRESHNESS_STALE",
            freshness,
        )?,
        has_sources: cleaned("filter.has_sources", &filter.has_sources, false)?,
        tiers: enums(
            "filter.tiers",
            &filter.tiers,
            "MODEL_TIER_FRONTIER, MODEL_TIER_STRONG, MODEL_TIER_EFFICIENT",
            model_tier,
        )?,
        min_overall: number(
            "filter.min_overall_score",
            filter.min_overall_score,
            0.0,
            100.0,
        )?,
        include_unbenchmarked: filter.include_unbenchmarked,
        families: cleaned("filter.families", &filter.families, true)?,
        min_coding_benchmarks: match filter.min_coding_benchmarks {
            None => None,
            Some(count) if (0..=100).contains(&count) => Some(count as u32),
            Some(count) => {
                return Err(Error::invalid(
                    "filter.min_coding_benchmarks",
                    format!("must be between 0 and 100, got {count}"),
                ));
            }
        },
    })
}

/// Validates custom weights (absent: the defaults) and returns them normalised.
pub fn weights(weights: Option<pb::Weights>) -> Result<Weights, Error> {
    let Some(weights) = weights else {
        return Ok(Weights::DEFAULT);
    };
    Weights {
        coding: weights.coding,
        performance: weights.performance,
        value: weights.value,
    }
    .validated()
    .map_err(|reason| Error::invalid("weights", reason))
}

/// Validates everything that defines a ranked result.
pub fn rankings_params(
    filter_message: Option<pb::RankingsFilter>,
    order_by: &str,
    weights_message: Option<pb::Weights>,
    as_of: &str,
    compare_to: &str,
    group_by_family: bool,
) -> Result<RankingsParams, Error> {
    let filter = filter(filter_message)?;
    let order =
        query::parse_order_by(order_by).map_err(|reason| Error::invalid("order_by", reason))?;
    let weights = weights(weights_message)?;
    let as_of = date("as_of", as_of)?;
    let compare_to = date("compare_to", compare_to)?;
    let fingerprint = paging::fingerprint(&[
        "rankings",
        &filter.canonical_text(),
        &query::order_text(&order),
        &format!(
            "coding={};performance={};value={}",
            weights.coding, weights.performance, weights.value
        ),
        &convert::date_text(as_of),
        &convert::date_text(compare_to),
        if group_by_family { "grouped" } else { "rows" },
    ]);
    Ok(RankingsParams {
        query: RankingQuery {
            filter,
            order,
            weights,
            group_by_family,
        },
        fingerprint,
        as_of,
        compare_to,
    })
}

/// Validates a history request's selection.
pub fn history_selection(request: &pb::GetModelHistoryRequest) -> Result<HistorySelection, Error> {
    Ok(HistorySelection {
        sources: cleaned("sources", &request.sources, false)?,
        categories: cleaned("categories", &request.categories, false)?,
        metrics: cleaned("metrics", &request.metrics, false)?,
        from: date("from_date", &request.from_date)?,
        to: date("to_date", &request.to_date)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_weights_name_the_field() {
        let error = weights(Some(pb::Weights {
            coding: -1.0,
            performance: 0.0,
            value: 0.0,
        }))
        .unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { ref field, .. } if field == "weights"));
        assert!(
            weights(Some(pb::Weights::default())).is_err(),
            "all zero is rejected"
        );
        assert_eq!(weights(None).expect("defaults"), Weights::DEFAULT);
        // Each weight finite and at most 1e6: 1e308 would overflow the sum and blank every score.
        for huge in [1e308, f64::INFINITY, f64::NAN, 1_000_001.0] {
            let error = weights(Some(pb::Weights {
                coding: huge,
                performance: 1.0,
                value: 1.0,
            }))
            .unwrap_err();
            assert!(
                matches!(error, Error::InvalidArgument { ref field, .. } if field == "weights"),
                "{huge}"
            );
        }
        let top = weights(Some(pb::Weights {
            coding: 1_000_000.0,
            performance: 1_000_000.0,
            value: 0.0,
        }))
        .expect("the maximum is allowed");
        assert_eq!(top.coding, 0.5);
    }

    #[test]
    fn filters_are_validated_and_normalised() {
        let filter = filter(Some(pb::RankingsFilter {
            search: "  GPT ".to_owned(),
            providers: vec!["OpenAI".to_owned(), " ".to_owned()],
            performance_tiers: vec![0, pb::PerformanceTier::Fast as i32],
            ..pb::RankingsFilter::default()
        }))
        .expect("valid");
        assert_eq!(filter.search, "gpt");
        assert_eq!(filter.providers, vec!["openai"]);
        assert_eq!(filter.performance_tiers, vec![PerformanceTier::Fast]);
        let bad_tier = super::filter(Some(pb::RankingsFilter {
            tiers: vec![42],
            ..pb::RankingsFilter::default()
        }))
        .unwrap_err();
        assert!(
            bad_tier.to_string().contains("MODEL_TIER_FRONTIER"),
            "{bad_tier}"
        );
        let bad_quality = super::filter(Some(pb::RankingsFilter {
            min_quality: Some(f64::NAN),
            ..pb::RankingsFilter::default()
        }))
        .unwrap_err();
        assert!(bad_quality.to_string().contains("filter.min_quality"));
    }

    #[test]
    fn fingerprints_differ_by_query_and_dates() {
        let base = rankings_params(None, "", None, "", "", false).expect("valid");
        let ordered = rankings_params(None, "id", None, "", "", false).expect("valid");
        let dated = rankings_params(None, "", None, "2026-01-01", "", false).expect("valid");
        let grouped = rankings_params(None, "", None, "", "", true).expect("valid");
        assert_ne!(base.fingerprint, ordered.fingerprint);
        assert_ne!(base.fingerprint, dated.fingerprint);
        assert_ne!(base.fingerprint, grouped.fingerprint);
        let same = rankings_params(None, "overall_score desc", None, "", "", false).expect("valid");
        assert_eq!(base.fingerprint, same.fingerprint);
        assert!(rankings_params(None, "", None, "01/02/2026", "", false).is_err());
    }
}
