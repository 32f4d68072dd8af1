//! Per-model behaviour of the fake provider: a Rust builder, a JSON file, and model-name conventions so
//! the demo needs no configuration at all.
//!
//! # Model-name conventions
//!
//! A model that is not configured explicitly is read from its name (a leading `fake/` is ignored):
//! `<base>[+<option>=<value>]...`, e.g. `good`, `okay+latency=100ms`, `bad+err500=0.05+err429=0.05`,
//! `judge-malformed-once`.
//!
//! | base | answer |
//! |---|---|
//! | `good`, `okay`, `bad` | oracle of decreasing quality (see [`Quality`]) |
//! | `echo` | the last user message, verbatim |
//! | `judge` | well-formed judge JSON scored by token overlap with the reference answer |
//! | `judge-malformed` | prose instead of JSON, always |
//! | `judge-malformed-once` | prose first; JSON once the conversation holds a repair turn |
//! | `judge-fenced` | judge JSON inside a Markdown code fence |
//! | `judge-biased` | always prefers the response shown first (pairwise), for order-swap tests |
//!
//! | option | meaning |
//! |---|---|
//! | `latency=100ms` / `latency=50ms..200ms` | fixed or uniform latency (`ms` or `s`) |
//! | `err500=0.05` | fraction of calls answered HTTP 500 |
//! | `err429=0.05` | fraction of calls answered HTTP 429 with `Retry-After` |
//! | `retry_after=2` | seconds sent in `Retry-After` (default 1) |
//! | `timeout=0.05` | fraction of calls that hang (see `hang`) |
//! | `hang=5s` | how long a hanging call waits before answering (default 300s) |
//! | `fail_first=2` | the first N calls of each distinct prompt answer HTTP 500 |
//! | `rate_limit_first=1` | the first N calls of each distinct prompt answer HTTP 429 |
//!
//! Random choices (latency, which calls fail) are drawn from a hash of the seed, the model, the prompt
//! and the call's attempt number for that prompt, so they reproduce run after run whatever the order
//! of concurrent calls, and a retried call gets a fresh draw.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How good the oracle's answers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Answers the expected text exactly.
    Good,
    /// Keeps each word of the expected text with probability 0.6, replacing the others.
    Okay,
    /// Keeps each word with probability 0.15.
    Bad,
}

impl Quality {
    /// Probability that a word of the expected answer survives.
    pub fn keep_fraction(self) -> f64 {
        match self {
            Quality::Good => 1.0,
            Quality::Okay => 0.6,
            Quality::Bad => 0.15,
        }
    }
}

/// How the judge mode answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JudgeStyle {
    /// Well-formed JSON.
    WellFormed,
    /// Prose instead of JSON, always.
    Malformed,
    /// Prose until the conversation holds an assistant turn (the judge's repair retry), then JSON.
    MalformedOnce,
    /// JSON wrapped in a Markdown code fence.
    Fenced,
    /// Well-formed JSON that always prefers the first response shown (pairwise only).
    PositionBiased,
}

/// What a model answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum AnswerMode {
    /// Always the same text.
    Fixed {
        /// The answer.
        text: String,
    },
    /// The last user message, verbatim.
    Echo,
    /// The expected answer, when the prompt carries `<<answer:TEXT>>` (see the crate docs), degraded
    /// by quality; without a marker, the last user message degraded the same way.
    Oracle {
        /// Answer quality.
        quality: Quality,
    },
    /// A judge answering the benchhub judge prompt.
    Judge {
        /// Well-formed or deliberately malformed.
        style: JudgeStyle,
    },
}

/// How long a call takes before it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Latency {
    /// Answers at once.
    #[default]
    None,
    /// Always this many milliseconds.
    FixedMs(u64),
    /// Uniformly between the bounds, in milliseconds (inclusive, drawn from the seeded hash).
    UniformMs(u64, u64),
}

impl Latency {
    /// A fixed latency.
    pub fn fixed(duration: Duration) -> Self {
        Latency::FixedMs(duration.as_millis() as u64)
    }

    /// A latency drawn uniformly between `min` and `max`.
    pub fn uniform(min: Duration, max: Duration) -> Self {
        Latency::UniformMs(min.as_millis() as u64, max.as_millis() as u64)
    }
}

/// Everything that decides how one model behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelBehavior {
    /// What it answers.
    pub answer: AnswerMode,
    /// How long it takes.
    pub latency: Latency,
    /// Fraction of calls answered HTTP 500 (0–1).
    pub error_500_rate: f64,
    /// Fraction of calls answered HTTP 429 with `Retry-After` (0–1).
    pub error_429_rate: f64,
    /// Seconds sent in `Retry-After` with a 429.
    pub retry_after_seconds: u64,
    /// Fraction of calls that hang for `hang_ms` before answering (0–1), to trip client timeouts.
    pub timeout_rate: f64,
    /// How long a hanging call waits, in milliseconds.
    pub hang_ms: u64,
    /// The first N calls of each distinct prompt answer HTTP 500.
    pub fail_first: u32,
    /// The first N calls of each distinct prompt answer HTTP 429.
    pub rate_limit_first: u32,
}

impl Default for ModelBehavior {
    fn default() -> Self {
        Self {
            answer: AnswerMode::Oracle {
                quality: Quality::Good,
            },
            latency: Latency::None,
            error_500_rate: 0.0,
            error_429_rate: 0.0,
            retry_after_seconds: 1,
            timeout_rate: 0.0,
            hang_ms: 300_000,
            fail_first: 0,
            rate_limit_first: 0,
        }
    }
}

impl ModelBehavior {
    /// A model that answers with `answer` and no delay or errors.
    pub fn answering(answer: AnswerMode) -> Self {
        Self {
            answer,
            ..Self::default()
        }
    }

    /// An oracle of the given quality.
    pub fn oracle(quality: Quality) -> Self {
        Self::answering(AnswerMode::Oracle { quality })
    }

    /// A model that always answers `text`.
    pub fn fixed(text: impl Into<String>) -> Self {
        Self::answering(AnswerMode::Fixed { text: text.into() })
    }

    /// A model that repeats the last user message.
    pub fn echo() -> Self {
        Self::answering(AnswerMode::Echo)
    }

    /// A judge of the given style.
    pub fn judge(style: JudgeStyle) -> Self {
        Self::answering(AnswerMode::Judge { style })
    }

    /// Sets the latency.
    pub fn with_latency(mut self, latency: Latency) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the error rates: HTTP 500, HTTP 429 and hangs.
    pub fn with_error_rates(mut self, error_500: f64, error_429: f64, timeout: f64) -> Self {
        self.error_500_rate = error_500;
        self.error_429_rate = error_429;
        self.timeout_rate = timeout;
        self
    }

    /// Sets the `Retry-After` seconds of 429 answers.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = seconds;
        self
    }

    /// Sets how long hanging calls wait.
    pub fn with_hang(mut self, hang: Duration) -> Self {
        self.hang_ms = hang.as_millis() as u64;
        self
    }

    /// Makes the first `count` calls of each distinct prompt fail with HTTP 500.
    pub fn with_fail_first(mut self, count: u32) -> Self {
        self.fail_first = count;
        self
    }

    /// Makes the first `count` calls of each distinct prompt fail with HTTP 429.
    pub fn with_rate_limit_first(mut self, count: u32) -> Self {
        self.rate_limit_first = count;
        self
    }

    /// Checks rates and bounds; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (field, rate) in [
            ("error_500_rate", self.error_500_rate),
            ("error_429_rate", self.error_429_rate),
            ("timeout_rate", self.timeout_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{field} must be between 0 and 1, got {rate}"));
            }
        }
        if self.error_500_rate + self.error_429_rate + self.timeout_rate > 1.0 {
            return Err(
                "error_500_rate + error_429_rate + timeout_rate must be at most 1".to_owned(),
            );
        }
        if let Latency::UniformMs(min, max) = self.latency
            && min > max
        {
            return Err(format!(
                "latency uniform_ms bounds must be ordered, got {min}..{max}"
            ));
        }
        Ok(())
    }
}

/// The whole fake provider's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FakeConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Behaviour of explicitly configured models, by the model name as sent (a leading `fake/` is
    /// also tried stripped). Other names follow the conventions in this module's docs.
    pub models: BTreeMap<String, ModelBehavior>,
    /// When set, every call must carry this key (`Authorization: Bearer …` or `x-api-key`), else 401.
    pub api_key: Option<String>,
    /// Most requests kept for `GET /requests` (oldest dropped first).
    pub request_log_limit: usize,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            models: BTreeMap::new(),
            api_key: None,
            request_log_limit: 2_000,
        }
    }
}

impl FakeConfig {
    /// Returns the default configuration: conventions only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Configures one model by name.
    pub fn with_model(mut self, name: impl Into<String>, behavior: ModelBehavior) -> Self {
        self.models.insert(name.into(), behavior);
        self
    }

    /// Requires every call to carry `key`.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Parses a JSON configuration, e.g.
    /// `{"seed": 7, "models": {"slow": {"answer": {"mode": "echo"}, "latency": {"fixed_ms": 200}}}}`.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let config: FakeConfig = serde_json::from_str(text)
            .map_err(|error| format!("invalid fake provider config: {error}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a JSON configuration file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        Self::from_json(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Checks every configured model.
    pub fn validate(&self) -> Result<(), String> {
        for (name, behavior) in &self.models {
            behavior
                .validate()
                .map_err(|reason| format!("models.{name}: {reason}"))?;
        }
        Ok(())
    }

    /// Returns the behaviour of `model`: configured, else from its name, else an error for a 404.
    pub fn behavior_for(&self, model: &str) -> Result<ModelBehavior, String> {
        if let Some(behavior) = self.models.get(model) {
            return Ok(behavior.clone());
        }
        let stripped = model.strip_prefix("fake/").unwrap_or(model);
        if let Some(behavior) = self.models.get(stripped) {
            return Ok(behavior.clone());
        }
        behavior_from_name(stripped)
    }
}

/// Base names understood by [`behavior_from_name`].
pub const CONVENTION_NAMES: [&str; 9] = [
    "good",
    "okay",
    "bad",
    "echo",
    "judge",
    "judge-malformed",
    "judge-malformed-once",
    "judge-fenced",
    "judge-biased",
];

/// Reads a behaviour from a model name following the conventions in this module's docs.
pub fn behavior_from_name(name: &str) -> Result<ModelBehavior, String> {
    let mut parts = name.split('+');
    let base = parts.next().unwrap_or_default();
    let answer = match base {
        "good" => AnswerMode::Oracle {
            quality: Quality::Good,
        },
        "okay" => AnswerMode::Oracle {
            quality: Quality::Okay,
        },
        "bad" => AnswerMode::Oracle {
            quality: Quality::Bad,
        },
        "echo" => AnswerMode::Echo,
        "judge" => AnswerMode::Judge {
            style: JudgeStyle::WellFormed,
        },
        "judge-malformed" => AnswerMode::Judge {
            style: JudgeStyle::Malformed,
        },
        "judge-malformed-once" => AnswerMode::Judge {
            style: JudgeStyle::MalformedOnce,
        },
        "judge-fenced" => AnswerMode::Judge {
            style: JudgeStyle::Fenced,
        },
        "judge-biased" => AnswerMode::Judge {
            style: JudgeStyle::PositionBiased,
        },
        other => {
            return Err(format!(
                "model '{other}' is not configured; use one of {} (optionally with +latency=100ms, +err500=0.05, +err429=0.05, +timeout=0.05, +fail_first=1, ...)",
                CONVENTION_NAMES.join(", ")
            ));
        }
    };
    let mut behavior = ModelBehavior::answering(answer);
    for option in parts {
        let (key, value) = option
            .split_once('=')
            .ok_or_else(|| format!("option '{option}' in model '{name}' must be key=value"))?;
        let bad = |what: &str| format!("option {key} in model '{name}': {what}, got '{value}'");
        match key {
            "latency" => {
                behavior.latency = match value.split_once("..") {
                    Some((low, high)) => Latency::UniformMs(
                        parse_millis(low).ok_or_else(|| bad("expected a duration like 50ms"))?,
                        parse_millis(high).ok_or_else(|| bad("expected a duration like 200ms"))?,
                    ),
                    None => Latency::FixedMs(
                        parse_millis(value).ok_or_else(|| bad("expected a duration like 100ms"))?,
                    ),
                }
            }
            "err500" => {
                behavior.error_500_rate =
                    parse_rate(value).ok_or_else(|| bad("expected a rate 0–1"))?;
            }
            "err429" => {
                behavior.error_429_rate =
                    parse_rate(value).ok_or_else(|| bad("expected a rate 0–1"))?;
            }
            "timeout" => {
                behavior.timeout_rate =
                    parse_rate(value).ok_or_else(|| bad("expected a rate 0–1"))?;
            }
            "retry_after" => {
                behavior.retry_after_seconds =
                    value.parse().map_err(|_| bad("expected whole seconds"))?;
            }
            "hang" => {
                behavior.hang_ms =
                    parse_millis(value).ok_or_else(|| bad("expected a duration like 5s"))?;
            }
            "fail_first" => {
                behavior.fail_first = value.parse().map_err(|_| bad("expected a count"))?;
            }
            "rate_limit_first" => {
                behavior.rate_limit_first = value.parse().map_err(|_| bad("expected a count"))?;
            }
            other => {
                return Err(format!(
                    "unknown option '{other}' in model '{name}'; options: latency, err500, err429, retry_after, timeout, hang, fail_first, rate_limit_first"
                ));
            }
        }
    }
    behavior
        .validate()
        .map_err(|reason| format!("model '{name}': {reason}"))?;
    Ok(behavior)
}

fn parse_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(number) = text.strip_suffix("ms") {
        return number.trim().parse().ok();
    }
    if let Some(number) = text.strip_suffix('s') {
        let seconds: f64 = number.trim().parse().ok()?;
        return (seconds.is_finite() && seconds >= 0.0).then(|| (seconds * 1000.0).round() as u64);
    }
    None
}

fn parse_rate(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions_cover_quality_and_judges() {
        let config = FakeConfig::new();
        assert_eq!(
            config.behavior_for("fake/okay").expect("known").answer,
            AnswerMode::Oracle {
                quality: Quality::Okay
            }
        );
        assert_eq!(
            config
                .behavior_for("judge-malformed-once")
                .expect("known")
                .answer,
            AnswerMode::Judge {
                style: JudgeStyle::MalformedOnce
            }
        );
        let error = config.behavior_for("gpt-9").expect_err("unknown");
        assert!(error.contains("good, okay, bad"), "{error}");
    }

    #[test]
    fn options_set_latency_errors_and_counts() {
        let behavior = behavior_from_name(
            "good+latency=50ms..200ms+err500=0.05+err429=0.1+retry_after=2+fail_first=1",
        )
        .expect("valid");
        assert_eq!(behavior.latency, Latency::UniformMs(50, 200));
        assert_eq!(behavior.error_500_rate, 0.05);
        assert_eq!(behavior.error_429_rate, 0.1);
        assert_eq!(behavior.retry_after_seconds, 2);
        assert_eq!(behavior.fail_first, 1);
        assert_eq!(
            behavior_from_name("echo+latency=0.1s")
                .expect("valid")
                .latency,
            Latency::FixedMs(100)
        );
        assert!(behavior_from_name("good+err500=2").is_err());
        assert!(behavior_from_name("good+colour=red").is_err());
        assert!(behavior_from_name("good+latency=200ms..50ms").is_err());
    }

    #[test]
    fn explicit_models_win_over_conventions() {
        let config = FakeConfig::new().with_model("good", ModelBehavior::fixed("configured"));
        assert_eq!(
            config.behavior_for("fake/good").expect("known").answer,
            AnswerMode::Fixed {
                text: "configured".to_owned()
            }
        );
    }

    #[test]
    fn json_config_round_trips() {
        let config = FakeConfig::new()
            .with_seed(7)
            .with_model(
                "slow",
                ModelBehavior::echo().with_latency(Latency::fixed(Duration::from_millis(200))),
            )
            .with_model("j", ModelBehavior::judge(JudgeStyle::Fenced));
        let text = serde_json::to_string(&config).expect("serializes");
        assert_eq!(FakeConfig::from_json(&text).expect("parses"), config);
        let parsed = FakeConfig::from_json(
            r#"{"seed": 1, "models": {"m": {"answer": {"mode": "fixed", "text": "hi"}, "latency": {"uniform_ms": [10, 20]}, "error_429_rate": 0.5}}}"#,
        )
        .expect("parses");
        assert_eq!(parsed.models["m"].latency, Latency::UniformMs(10, 20));
        assert!(FakeConfig::from_json(r#"{"models": {"m": {"error_500_rate": 3}}}"#).is_err());
        assert!(FakeConfig::from_json(r#"{"colour": 1}"#).is_err());
    }
}
