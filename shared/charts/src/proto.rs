//! Chart data from the services' answers (protobuf), shared by benchctl and the console.

use anyhow::Context as _;
use benchhub_proto::pb;

use crate::{
    HistoryPoint, HistorySeries, ModelHistory, ModelQualityCost, ModelRatingInterval,
    RunQualityCost, RunRatings, SuiteTrend, TrendPoint,
};

/// A model's label: "Name (id)", or whichever of the two is known.
pub fn model_label(model: Option<&pb::ModelRef>, fallback: &str) -> String {
    let Some(model) = model else {
        return fallback.to_owned();
    };
    match (model.display_name.as_str(), model.id.as_str()) {
        ("", "") => fallback.to_owned(),
        ("", id) => id.to_owned(),
        (name, "") => name.to_owned(),
        (name, id) if name == id => id.to_owned(),
        (name, id) => format!("{name} ({id})"),
    }
}

/// Converts a GetModelHistory answer into chart data.
pub fn history_from_proto(
    requested: &str,
    response: pb::GetModelHistoryResponse,
) -> anyhow::Result<ModelHistory> {
    let model = model_label(response.model.as_ref(), requested);
    let series = response
        .series
        .into_iter()
        .map(|series| {
            let points = series
                .points
                .iter()
                .map(|point| {
                    let date = benchhub_common::convert::parse_date(&point.snapshot_date)
                        .map_err(|reason| anyhow::anyhow!("snapshot_date: {reason}"))?
                        .context("snapshot_date: must not be empty")?;
                    Ok(HistoryPoint {
                        date,
                        value: point.value,
                        ci_low: point.ci_low,
                        ci_high: point.ci_high,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(HistorySeries {
                source: series.source,
                category: series.category,
                metric: series.metric,
                unit: series.unit,
                points,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ModelHistory { model, series })
}

/// Converts a GetSuiteStats answer into chart data; costs become USD.
pub fn suite_trend_from_proto(
    suite: String,
    stats: &pb::GetSuiteStatsResponse,
) -> anyhow::Result<SuiteTrend> {
    let points = stats
        .cost_trend
        .iter()
        .map(|point| {
            let completed_at = point
                .completed_at
                .as_ref()
                .and_then(benchhub_common::convert::from_timestamp)
                .with_context(|| {
                    format!("cost_trend: run {} has no valid completed_at", point.run_id)
                })?;
            Ok(TrendPoint {
                run_id: point.run_id.clone(),
                completed_at,
                model: point.model.clone(),
                mean_quality: point.mean_quality,
                mean_cost_usd: point.mean_cost_micro_usd.map(micro_usd_to_usd),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SuiteTrend { suite, points })
}

/// Converts a run's per-model aggregates into chart data. A model whose cost is incomplete
/// (`price_known` false) has no cost, so it is listed rather than placed at a wrong x.
pub fn quality_cost_from_proto(run: &pb::Run) -> RunQualityCost {
    let models = run
        .model_stats
        .iter()
        .map(|stats| ModelQualityCost {
            model: stats.model.clone(),
            mean_quality: stats.mean_quality,
            total_cost_usd: stats
                .price_known
                .then(|| micro_usd_to_usd(stats.total_cost_micro_usd)),
            quality_interval: stats.mean_quality_low.zip(stats.mean_quality_high),
        })
        .collect();
    RunQualityCost {
        run: run_label(run),
        models,
        best_model: Some(run.best_model.clone()).filter(|model| !model.is_empty()),
        tied_for_best: run.tied_for_best.clone(),
        cheapest_model: Some(run.cheapest_model.clone()).filter(|model| !model.is_empty()),
    }
}

/// Converts a run's pairwise ratings into chart data.
pub fn ratings_from_proto(run: &pb::Run) -> RunRatings {
    RunRatings {
        run: run_label(run),
        ratings: run
            .ratings
            .iter()
            .map(|rating| ModelRatingInterval {
                model: rating.model.clone(),
                rating: rating.rating,
                ci_low: rating.ci_low,
                ci_high: rating.ci_high,
            })
            .collect(),
    }
}

fn run_label(run: &pb::Run) -> String {
    if run.label.is_empty() {
        run.id.clone()
    } else {
        format!("{} ({})", run.id, run.label)
    }
}

/// Converts micro-USD to USD (exact for any amount below 2^53 micro-USD).
fn micro_usd_to_usd(micro_usd: i64) -> f64 {
    micro_usd as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_models_by_name_and_id() {
        let model = pb::ModelRef {
            id: "openai/gpt-4o".to_owned(),
            display_name: "GPT-4o".to_owned(),
        };
        assert_eq!(model_label(Some(&model), "x"), "GPT-4o (openai/gpt-4o)");
        assert_eq!(model_label(None, "gpt-4o"), "gpt-4o");
    }

    #[test]
    fn converts_history_and_rejects_bad_dates() {
        let response = pb::GetModelHistoryResponse {
            model: None,
            series: vec![pb::MetricSeries {
                source: "lmarena".to_owned(),
                category: "arena".to_owned(),
                metric: "text_elo".to_owned(),
                unit: "elo".to_owned(),
                points: vec![pb::HistoryPoint {
                    snapshot_date: "2025-06-01".to_owned(),
                    value: 1280.0,
                    normalized: None,
                    ci_low: Some(1270.0),
                    ci_high: Some(1290.0),
                }],
            }],
        };
        let history = history_from_proto("m", response.clone()).expect("converts");
        assert_eq!(history.series[0].points[0].ci_low, Some(1270.0));
        assert_eq!(history.series[0].label(), "lmarena: text_elo");

        let mut bad = response;
        bad.series[0].points[0].snapshot_date = "June".to_owned();
        let error = history_from_proto("m", bad).expect_err("bad date");
        assert!(error.to_string().contains("snapshot_date"), "{error}");
    }

    #[test]
    fn converts_run_costs_to_usd_and_drops_incomplete_ones() {
        let run = pb::Run {
            id: "run-1".to_owned(),
            best_model: "a/x".to_owned(),
            model_stats: vec![
                pb::ModelStats {
                    model: "a/x".to_owned(),
                    mean_quality: Some(80.0),
                    total_cost_micro_usd: 2_500_000,
                    price_known: true,
                    ..Default::default()
                },
                pb::ModelStats {
                    model: "b/y".to_owned(),
                    mean_quality: Some(70.0),
                    total_cost_micro_usd: 10,
                    price_known: false,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let data = quality_cost_from_proto(&run);
        assert_eq!(data.models[0].total_cost_usd, Some(2.5));
        assert_eq!(data.models[1].total_cost_usd, None);
        assert_eq!(data.best_model.as_deref(), Some("a/x"));
        assert_eq!(data.cheapest_model, None);
    }
}
