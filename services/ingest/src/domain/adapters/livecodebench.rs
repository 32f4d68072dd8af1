//! LiveCodeBench code generation (`GET /performances_generation.json`:
//! `{performances:[{question_id, model, date (epoch ms), difficulty, pass@1, platform}], models:[…],
//! date_marks:[…]}`).
//!
//! The leaderboard score is computed the way the site's client does: the mean `pass@1` (percent) per
//! model over the problems whose date falls in a window. benchhub's window is the trailing
//! [`WINDOW_DAYS`] days ending at the newest problem date in the file (not the wall clock, so a frozen
//! file always gives the same numbers); problems older than that are excluded as likely training-data
//! contamination for recent models. The window, the problem count (the sample size) and the model's
//! `model_name` are kept in `extra`. The join key is `model_repr` (`GPT-4O-2024-08-06`,
//! `DeepSeek-V3`), the source name; the model is matched by `model_name`, the API id the board ran
//! ([`match_name`]). A value's data date is the newest problem date it was scored on. Older files spell
//! the field `Pass@1`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration};
use serde_json::Value;

use super::{
    Document, FetchError, Fetched, Http, ParseError, Source, SourceContext, json, number, text,
};
use crate::domain::identity::NameParts;
use crate::domain::observation::{Parsed, ParsedObservation};

/// Path of the generation results.
pub const PATH: &str = "/performances_generation.json";
/// Length of the scoring window, in days, ending at the newest problem date.
pub const WINDOW_DAYS: i64 = 180;

/// The LiveCodeBench adapter.
#[derive(Debug)]
pub struct LiveCodeBench;

/// The name to match: the API `model_name` (`gemini-2.5-pro-exp-03-25` names the version the board
/// ran, where `model_repr` says `Gemini-2.5-Pro`), with the reasoning mode `model_repr` adds when the
/// API name lacks it (`Claude-3.7-Sonnet (Thinking)` ran `claude-3-7-sonnet-20250219` with thinking).
pub fn match_name(model_repr: &str, model_name: &str) -> String {
    let api = NameParts::parse(model_name);
    match NameParts::parse(model_repr).mode {
        Some(mode) if api.mode.is_none() => format!("{model_name}-{mode}"),
        _ => model_name.to_owned(),
    }
}

#[async_trait::async_trait]
impl Source for LiveCodeBench {
    fn name(&self) -> &'static str {
        "livecodebench"
    }

    async fn fetch(&self, http: &dyn Http, context: &SourceContext) -> Result<Fetched, FetchError> {
        super::fetch_single(http, context, "performances", PATH).await
    }

    fn parse(&self, documents: &[Document], context: &SourceContext) -> Result<Parsed, ParseError> {
        let document = super::document(documents, "performances")?;
        let body: Value = json(document)?;
        let performances = body
            .get("performances")
            .and_then(Value::as_array)
            .ok_or_else(|| ParseError::Malformed {
                key: document.key.clone(),
                reason: "missing field `performances`".to_owned(),
            })?;
        let mut parsed = Parsed::default();
        let mut rows = Vec::with_capacity(performances.len());
        for performance in performances {
            let model = text(performance.get("model"));
            let date = performance.get("date").and_then(Value::as_i64);
            let score =
                number(performance.get("pass@1")).or_else(|| number(performance.get("Pass@1")));
            match (model, date, score) {
                (Some(model), Some(date), Some(score)) => rows.push((model, date, score)),
                _ => {
                    parsed.records += 1;
                    parsed.fail("performance needs `model`, `date` and `pass@1`");
                }
            }
        }
        let Some(newest) = rows.iter().map(|(_, date, _)| *date).max() else {
            return parsed.check_drift();
        };
        let window_start = newest.saturating_sub(Duration::days(WINDOW_DAYS).num_milliseconds());
        let mut per_model: BTreeMap<String, (f64, i64, i64)> = BTreeMap::new();
        for (model, date, score) in &rows {
            if *date >= window_start {
                let entry = per_model.entry(model.clone()).or_default();
                entry.0 += score;
                entry.1 += 1;
                entry.2 = entry.2.max(*date);
            }
        }
        let model_names: BTreeMap<String, String> = body
            .get("models")
            .and_then(Value::as_array)
            .map(|models| {
                models
                    .iter()
                    .filter_map(|model| {
                        Some((
                            text(model.get("model_repr"))?,
                            text(model.get("model_name"))?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let day = |milliseconds: i64| {
            DateTime::from_timestamp_millis(milliseconds)
                .map(|time| time.date_naive().to_string())
                .unwrap_or_default()
        };
        let release_dates: BTreeMap<String, i64> = body
            .get("models")
            .and_then(Value::as_array)
            .map(|models| {
                models
                    .iter()
                    .filter_map(|model| {
                        Some((
                            text(model.get("model_repr"))?,
                            model.get("release_date").and_then(Value::as_i64)?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (model, (sum, count, newest_problem)) in per_model {
            parsed.records += 1;
            let mut observation = ParsedObservation::new(
                "coding",
                "pass_at_1",
                &model,
                context.today,
                sum / count as f64,
            );
            observation.sample_size = Some(count);
            // The value cannot be older than the newest problem it was scored on.
            observation.data_date =
                DateTime::from_timestamp_millis(newest_problem).map(|time| time.date_naive());
            observation.match_name = model_names
                .get(&model)
                .map(|api_name| match_name(&model, api_name));
            let record_name = observation
                .match_name
                .clone()
                .unwrap_or_else(|| model.clone());
            parsed.describe_benchmark_model(
                &record_name,
                None,
                release_dates
                    .get(&model)
                    .and_then(|millis| DateTime::from_timestamp_millis(*millis))
                    .map(|time| time.date_naive()),
                observation.data_date,
            );
            observation.extra = Some(serde_json::json!({
                "window_start": day(window_start),
                "window_end": day(newest),
                "window_days": WINDOW_DAYS,
                "problems": count,
                "model_name": model_names.get(&model),
            }));
            parsed.observations.push(observation);
        }
        parsed.check_drift()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adapters::testing::{context, fixture};

    #[test]
    fn computes_the_windowed_mean() {
        let Some(document) = fixture("livecodebench/performances_generation.json", "performances")
        else {
            return;
        };
        let parsed = LiveCodeBench
            .parse(&[document], &context())
            .expect("parses");
        assert_eq!(parsed.observations.len(), 16);
        let find = |name: &str| {
            parsed
                .observations
                .iter()
                .find(|observation| observation.source_model_name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let deepseek = find("DeepSeek-V3");
        assert!((deepseek.value - 14.89).abs() < 0.01, "{}", deepseek.value);
        assert_eq!(deepseek.sample_size, Some(182));
        assert_eq!(
            deepseek.extra.as_ref().expect("extra")["model_name"],
            "deepseek-chat"
        );
        assert_eq!(
            deepseek.extra.as_ref().expect("extra")["window_end"],
            "2025-04-07"
        );
        assert!((find("O4-Mini (High)").value - 71.429).abs() < 0.01);
    }

    #[test]
    fn accepts_the_old_capitalised_field_and_applies_the_window() {
        let day = 86_400_000i64;
        let body = serde_json::json!({
            "performances": [
                {"model": "m", "date": 1000 * day, "Pass@1": 100.0},
                {"model": "m", "date": 1000 * day - 10 * day, "Pass@1": 0.0},
                {"model": "m", "date": 1000 * day - 400 * day, "Pass@1": 100.0},
            ],
            "models": []
        });
        let document = Document::from_body(
            "performances",
            "x",
            serde_json::to_vec(&body).expect("json"),
        );
        let parsed = LiveCodeBench
            .parse(&[document], &context())
            .expect("parses");
        assert_eq!(parsed.observations[0].value, 50.0);
        assert_eq!(parsed.observations[0].sample_size, Some(2));
    }
}
