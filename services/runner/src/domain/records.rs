//! The runner's records: runs, suites, cases and results as stored and read back, and the filters
//! of their listings. The repository reads them (compile-checked SQL decodes straight into them); the
//! service, the engine and the gRPC layer work with them without naming the repository.

use benchhub_common::grading::GraderSpec;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::run::{AdHocCase, CaseSpec, RunConfig, RunStatus};
use crate::domain::significance::Choice;
use crate::domain::stats::ModelAggregate;

/// A stored run.
#[derive(Debug, Clone)]
pub struct RunRow {
    /// Run id.
    pub id: Uuid,
    /// Owner.
    pub tenant_id: String,
    /// Suite, if any.
    pub suite_id: Option<Uuid>,
    /// Stored status name.
    pub status: String,
    /// Models in request order.
    pub models: Vec<String>,
    /// The run's configuration.
    pub config: Json<RunConfig>,
    /// Suite case ids frozen at creation.
    pub case_ids: Vec<Uuid>,
    /// Ad-hoc cases.
    pub ad_hoc_cases: Option<Json<Vec<AdHocCase>>>,
    /// Pairs in the run.
    pub total_pairs: i32,
    /// Pairs with a result (as last flushed).
    pub done: i32,
    /// Failed pairs (as last flushed).
    pub failed: i32,
    /// Cost so far (as last flushed).
    pub cost_micro_usd: i64,
    /// The judge's share of the stored cost.
    pub judge_cost_micro_usd: i64,
    /// Best model at completion.
    pub best_model: Option<String>,
    /// Cheapest model at completion.
    pub cheapest_model: Option<String>,
    /// Summary written at completion.
    pub summary: Option<Json<RunSummary>>,
    /// Why the run failed.
    pub error: Option<String>,
    /// Token name of the creator.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// First start.
    pub started_at: Option<DateTime<Utc>>,
    /// End time.
    pub completed_at: Option<DateTime<Utc>>,
    /// Stopped by the budget.
    pub budget_exhausted: bool,
    /// Label.
    pub label: String,
    /// Set by RetryRun.
    pub retry_requested_at: Option<DateTime<Utc>>,
    /// Claim holder.
    pub claimed_by: Option<String>,
}

impl RunRow {
    /// Returns the parsed status (unknown names read as failed, which the CHECK constraint prevents).
    pub fn status(&self) -> RunStatus {
        RunStatus::parse(&self.status).unwrap_or(RunStatus::Failed)
    }

    /// Returns the number of cases: suite cases then ad-hoc ones.
    pub fn case_count(&self) -> usize {
        self.case_ids.len() + self.ad_hoc_cases.as_ref().map_or(0, |cases| cases.0.len())
    }
}

/// Pairwise judging outcome stored in the summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
pub struct RatingSummary {
    /// Model.
    pub model: String,
    /// Bradley–Terry rating.
    pub rating: f64,
    /// Interval low.
    pub ci_low: f64,
    /// Interval high.
    pub ci_high: f64,
    /// Wins.
    pub wins: i32,
    /// Losses.
    pub losses: i32,
    /// Ties.
    pub ties: i32,
    /// Games.
    pub games: i32,
    /// Win rate.
    pub win_rate: f64,
    /// Rank.
    pub rank: i32,
}

/// What a run stores when it ends (`benchmark_runs.summary`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
pub struct RunSummary {
    /// Per-model aggregates at the end.
    #[serde(default)]
    pub models: Vec<ModelAggregate>,
    /// Pairwise ratings, when requested.
    #[serde(default)]
    pub ratings: Vec<RatingSummary>,
    /// Judge order-consistency rate, when pairwise judging ran.
    #[serde(default)]
    pub judge_consistency_rate: Option<f64>,
    /// Why the run was cancelled or stopped, for status events.
    #[serde(default)]
    pub reason: String,
    /// The best model and how sure that is, at the end.
    #[serde(default)]
    pub choice: Option<Choice>,
}

/// Live counts of a run, computed from its results.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LiveCounts {
    /// Pairs with a result.
    pub done: i64,
    /// Pairs whose call failed.
    pub failed: i64,
    /// Pairs served from the cache.
    pub cached: i64,
    /// Cost so far: the models' calls and the judge's (grading and pairwise comparisons).
    pub cost_micro_usd: i64,
    /// Successful results without a price.
    pub unpriced: i64,
    /// The judge's share of the cost.
    pub judge_cost_micro_usd: i64,
}

/// Filters of ListRuns.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only runs of this suite.
    pub suite_id: Option<Uuid>,
    /// Only runs in this state.
    pub status: Option<RunStatus>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
}

/// A suite with its case count.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteRow {
    /// Suite id.
    pub id: Uuid,
    /// Owner.
    pub tenant_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last time cases were added (creation time when none were).
    pub updated_at: DateTime<Utc>,
    /// Cases in the suite.
    pub case_count: i64,
    /// Completion time of the suite's latest completed run.
    pub last_completed_run_at: Option<DateTime<Utc>>,
}

/// A stored test case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    /// Case id.
    pub id: Uuid,
    /// Suite id.
    pub suite_id: Uuid,
    /// 0-based position.
    pub position: i32,
    /// Prompt.
    pub input: String,
    /// Golden answer.
    pub expected_output: Option<String>,
    /// Rubric.
    pub rubric: Option<String>,
    /// Own grader.
    pub grader: Option<Json<GraderSpec>>,
    /// Labels.
    pub tags: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl CaseRow {
    /// Returns the case's content.
    pub fn spec(&self) -> CaseSpec {
        CaseSpec {
            input: self.input.clone(),
            expected_output: self.expected_output.clone(),
            rubric: self.rubric.clone(),
            grader: self.grader.as_ref().map(|grader| grader.0.clone()),
            tags: self.tags.clone(),
        }
    }
}

/// A recorded result (also what WatchRun streams).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRecord {
    /// Result id.
    pub id: Uuid,
    /// Run id.
    pub run_id: Uuid,
    /// Suite case id or ad-hoc case id.
    pub case_id: Option<Uuid>,
    /// Index of the case in the run.
    pub case_index: i32,
    /// `provider/model`.
    pub model: String,
    /// Provider part.
    pub provider: String,
    /// Canonical catalog id.
    pub canonical_model_id: Option<String>,
    /// Repetition number.
    pub repetition: i32,
    /// The answer; `None` when the call failed.
    pub output: Option<String>,
    /// Prompt tokens.
    pub input_tokens: Option<i32>,
    /// Completion tokens.
    pub output_tokens: Option<i32>,
    /// Total tokens.
    pub total_tokens: Option<i32>,
    /// Latency of the successful attempt.
    pub latency_ms: Option<i32>,
    /// Cost in micro-USD; `None` when unpriced.
    pub cost_micro_usd: Option<i64>,
    /// Whether the model had a price.
    pub price_known: bool,
    /// Quality 0–100.
    pub quality: Option<f64>,
    /// Pass flag.
    pub passed: Option<bool>,
    /// Grader name (`exact`, `llm_rubric`, ...).
    pub grader: Option<String>,
    /// Grader notes.
    pub notes: Option<String>,
    /// Normalised equality with the expected output.
    pub matches_expected: Option<bool>,
    /// Why the call failed.
    pub error: Option<String>,
    /// Why grading failed.
    pub grading_error: Option<String>,
    /// Judge is one of the run's models.
    pub self_judged: bool,
    /// Served from the response cache.
    pub cached: bool,
    /// Provider calls made.
    pub attempts: i32,
    /// When the result was recorded.
    pub created_at: DateTime<Utc>,
    /// Input tokens of the LLM judge grading it.
    pub judge_input_tokens: Option<i32>,
    /// Output tokens of the LLM judge.
    pub judge_output_tokens: Option<i32>,
    /// Cost of the judge's tokens at its price; `None` without a judge or a price.
    pub judge_cost_micro_usd: Option<i64>,
}

/// Filters of ListRunResults.
#[derive(Debug, Clone, Default)]
pub struct ResultFilter {
    /// Only this model.
    pub model: Option<String>,
    /// Only this case (suite or ad-hoc id).
    pub case_id: Option<Uuid>,
    /// Only failed calls or gradings.
    pub only_failed: bool,
}
