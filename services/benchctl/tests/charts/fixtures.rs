//! Fixed chart data shared by the renderer and command tests.

use benchhub_benchctl::charts::{
    HistoryPoint, HistorySeries, ModelHistory, ModelQualityCost, ModelRatingInterval,
    RunQualityCost, RunRatings, SuiteTrend, TrendPoint,
};
use chrono::{TimeZone as _, Utc};

use crate::date;

pub(crate) fn history_fixture() -> ModelHistory {
    let series = |source: &str, category: &str, metric: &str, unit: &str, values: &[(u32, f64)]| {
        HistorySeries {
            source: source.to_owned(),
            category: category.to_owned(),
            metric: metric.to_owned(),
            unit: unit.to_owned(),
            points: values
                .iter()
                .map(|&(day, value)| HistoryPoint {
                    date: date(6, day),
                    value,
                    ci_low: (unit == "elo").then_some(value - 6.0),
                    ci_high: (unit == "elo").then_some(value + 6.0),
                })
                .collect(),
        }
    };
    ModelHistory {
        model: "GPT-4o (openai/gpt-4o)".to_owned(),
        series: vec![
            series(
                "lmarena",
                "arena",
                "text_elo",
                "elo",
                &[(1, 1285.0), (8, 1290.0), (15, 1288.0), (22, 1301.0)],
            ),
            series(
                "lmarena",
                "arena",
                "webdev_elo",
                "elo",
                &[(8, 1250.0), (15, 1262.0), (22, 1259.0)],
            ),
            series(
                "livebench",
                "coding",
                "coding_average",
                "percent",
                &[(1, 61.0), (8, 63.5), (15, 64.0), (22, 66.2)],
            ),
            series(
                "swebench",
                "coding",
                "resolved",
                "percent",
                &[(8, 33.2), (22, 38.4)],
            ),
            series(
                "artificialanalysis",
                "performance",
                "ttft_seconds",
                "seconds",
                &[(1, 0.52), (15, 0.47), (22, 0.49)],
            ),
        ],
    }
}

pub(crate) fn trend_fixture() -> SuiteTrend {
    let runs = [
        ("run-a", 3, [(71.0, 0.0021), (64.0, 0.0004), (58.0, 0.0009)]),
        (
            "run-b",
            10,
            [(74.0, 0.0020), (66.0, 0.0004), (61.0, 0.0008)],
        ),
        (
            "run-c",
            17,
            [(73.0, 0.0017), (69.0, 0.0005), (63.0, 0.0008)],
        ),
        (
            "run-d",
            24,
            [(78.0, 0.0016), (70.0, 0.0005), (62.0, 0.0007)],
        ),
    ];
    let models = ["openai/gpt-4o", "fake/small", "anthropic/claude-haiku"];
    let mut points = Vec::new();
    for (run_id, day, values) in runs {
        for (model, (quality, cost)) in models.iter().zip(values) {
            points.push(TrendPoint {
                run_id: run_id.to_owned(),
                completed_at: Utc
                    .with_ymd_and_hms(2025, 6, day, 12, 0, 0)
                    .single()
                    .expect("valid time"),
                model: (*model).to_owned(),
                mean_quality: Some(quality),
                // The newest run of one model is unpriced: its cost line stops a run early.
                mean_cost_usd: (run_id != "run-d" || *model != "fake/small").then_some(cost),
            });
        }
    }
    SuiteTrend {
        suite: "golden-sql".to_owned(),
        points,
    }
}

pub(crate) fn quality_cost_fixture() -> RunQualityCost {
    let model = |name: &str, quality: Option<f64>, cost: Option<f64>| ModelQualityCost {
        model: name.to_owned(),
        mean_quality: quality,
        total_cost_usd: cost,
        quality_interval: quality.map(|quality| (quality - 6.0, quality + 4.0)),
    };
    RunQualityCost {
        run: "run-42".to_owned(),
        models: vec![
            model("openai/gpt-4o", Some(82.5), Some(0.041)),
            model("fake/small", Some(64.0), Some(0.006)),
            model("anthropic/claude-haiku", Some(71.0), Some(0.012)),
            model("fake/unpriced", Some(55.0), None),
        ],
        best_model: Some("openai/gpt-4o".to_owned()),
        tied_for_best: vec!["openai/gpt-4o".to_owned()],
        cheapest_model: Some("fake/small".to_owned()),
    }
}

pub(crate) fn ratings_fixture() -> RunRatings {
    let rating = |model: &str, rating: f64, half_width: f64| ModelRatingInterval {
        model: model.to_owned(),
        rating,
        ci_low: rating - half_width,
        ci_high: rating + half_width * 1.2,
    };
    RunRatings {
        run: "run-42".to_owned(),
        ratings: vec![
            rating("fake/small", 948.0, 31.0),
            rating("openai/gpt-4o", 1071.0, 28.0),
            rating("anthropic/claude-haiku", 985.0, 35.0),
        ],
    }
}
