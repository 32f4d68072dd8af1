//! Runs, their cases, models and limits, as stored in `benchmark_runs` (the `config` JSON).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::estimate::CostEstimate;
pub use crate::domain::plan::ModelPlan;
use benchhub_common::grading::{GraderSpec, JudgeSpec};

/// The state of a benchmark run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Stored, waiting for a worker.
    Pending,
    /// Claimed by a worker.
    Running,
    /// Every pair has a result.
    Completed,
    /// Stopped early (budget, or it could not continue).
    Failed,
    /// Cancelled by a user.
    Cancelled,
}

impl RunStatus {
    /// Every status.
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    /// Returns the name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<RunStatus> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// Returns whether the run has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

/// Default calls in flight per run across providers.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 16;
/// Default calls in flight per provider per run when the provider configures none.
pub const DEFAULT_PER_PROVIDER_CONCURRENCY: u32 = 8;
/// Default timeout of one call.
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 60_000;
/// Default retries of a call.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Default maximum output tokens.
pub const DEFAULT_MAX_TOKENS: u32 = 1_024;

/// A run's limits with defaults filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Calls in flight across providers.
    pub max_concurrency: u32,
    /// Calls in flight per provider; 0 means the provider's configured limit (default 8).
    pub per_provider_max_concurrency: u32,
    /// Requests per minute per provider for this run; 0 means only the provider's configured limit.
    pub requests_per_minute: u32,
    /// Timeout of one call.
    pub call_timeout_ms: u64,
    /// Retries on 429, 5xx, timeouts and transport errors.
    pub max_retries: u32,
    /// Cost budget in micro-USD.
    pub budget_micro_usd: Option<i64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            per_provider_max_concurrency: 0,
            requests_per_minute: 0,
            call_timeout_ms: DEFAULT_CALL_TIMEOUT_MS,
            max_retries: DEFAULT_MAX_RETRIES,
            budget_micro_usd: None,
        }
    }
}

/// A test case's content, as added to a suite or passed ad hoc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CaseSpec {
    /// The prompt.
    pub input: String,
    /// The golden answer.
    #[serde(default)]
    pub expected_output: Option<String>,
    /// Grading instructions.
    #[serde(default)]
    pub rubric: Option<String>,
    /// The case's own grader.
    #[serde(default)]
    pub grader: Option<GraderSpec>,
    /// Labels.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// An ad-hoc case stored with its run (`benchmark_runs.ad_hoc_cases`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdHocCase {
    /// Id given at creation, so results and comparisons can name the case.
    pub id: Uuid,
    /// The case.
    #[serde(flatten)]
    pub spec: CaseSpec,
}

/// A case of a run, in run order: the suite's cases first, then the ad-hoc ones.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCase {
    /// Index in the run (`benchmark_results.case_index`).
    pub index: usize,
    /// Suite case id or ad-hoc id.
    pub id: Uuid,
    /// True for a suite case (stored in `test_cases`).
    pub from_suite: bool,
    /// The content.
    pub spec: CaseSpec,
}

/// Everything about a run besides its cases, stored as `benchmark_runs.config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Models in request order.
    pub models: Vec<ModelPlan>,
    /// Calls per (case, model).
    pub repetitions: u32,
    /// Sampling temperature.
    pub temperature: f64,
    /// Maximum output tokens.
    pub max_tokens: u32,
    /// System prompt; empty means none.
    #[serde(default)]
    pub system_prompt: String,
    /// Whether the response cache may answer.
    #[serde(default)]
    pub use_cache: bool,
    /// Whether pairwise judging was requested.
    #[serde(default)]
    pub pairwise: bool,
    /// Default grader.
    #[serde(default)]
    pub grader: Option<GraderSpec>,
    /// Default judge.
    #[serde(default)]
    pub judge: Option<JudgeSpec>,
    /// Limits in force.
    pub limits: Limits,
    /// Tags that selected the suite's cases.
    #[serde(default)]
    pub case_tags: Vec<String>,
    /// The cost estimate made at creation.
    pub estimate: CostEstimate,
    /// Request id of the CreateRun call, propagated to the judge.
    #[serde(default)]
    pub request_id: Option<String>,
}

impl RunConfig {
    /// Returns the plan of a model by name.
    pub fn model(&self, name: &str) -> Option<&ModelPlan> {
        self.models.iter().find(|model| model.name == name)
    }

    /// Returns the model names in request order.
    pub fn model_names(&self) -> Vec<String> {
        self.models.iter().map(|model| model.name.clone()).collect()
    }
}

/// One (case, model, repetition) of a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PairKey {
    /// Case index.
    pub case_index: usize,
    /// Model name.
    pub model: String,
    /// Repetition number.
    pub repetition: u32,
}

/// Lists the pairs of a run in execution order: by case, then model, then repetition.
pub fn pairs(case_count: usize, models: &[String], repetitions: u32) -> Vec<PairKey> {
    let mut out = Vec::with_capacity(case_count * models.len() * repetitions as usize);
    for case_index in 0..case_count {
        for model in models {
            for repetition in 0..repetitions {
                out.push(PairKey {
                    case_index,
                    model: model.clone(),
                    repetition,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_know_when_they_end() {
        for status in RunStatus::ALL {
            assert_eq!(RunStatus::parse(status.as_str()), Some(status));
        }
        assert!(RunStatus::Cancelled.is_terminal());
        assert!(!RunStatus::Running.is_terminal());
        assert_eq!(RunStatus::parse("done"), None);
    }

    #[test]
    fn pairs_are_case_major() {
        let models = vec!["a/x".to_owned(), "b/y".to_owned()];
        let list = pairs(2, &models, 2);
        assert_eq!(list.len(), 8);
        assert_eq!(list[0].model, "a/x");
        assert_eq!(list[1].repetition, 1);
        assert_eq!(list[2].model, "b/y");
        assert_eq!(list[4].case_index, 1);
    }

    #[test]
    fn ad_hoc_cases_flatten_their_spec() {
        let case = AdHocCase {
            id: Uuid::nil(),
            spec: CaseSpec {
                input: "2+2".to_owned(),
                expected_output: Some("4".to_owned()),
                ..CaseSpec::default()
            },
        };
        let value = serde_json::to_value(&case).expect("serialises");
        assert_eq!(value["input"], "2+2");
        let back: AdHocCase = serde_json::from_value(value).expect("parses");
        assert_eq!(back, case);
    }
}
