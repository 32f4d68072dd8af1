//! gRPC handlers of `JudgeService`: convert and validate, call the domain, convert back. The only
//! place with `tonic::Status`.

use benchhub_proto::pb;
use tonic::{Request, Response, Status};

use crate::domain::compare::{self, Combined, ComparisonOutcome, ComparisonSpec, Side};
use crate::domain::graders::{GraderSpec, JudgeSpec};
use crate::domain::judge::Judge;
use crate::domain::rating::{self, Comparison, Outcome, Ratings};
use crate::domain::scoring::{
    self, DEFAULT_BATCH_CONCURRENCY, ItemSpec, MAX_BATCH_CONCURRENCY, ScoreOutcome,
};
use crate::error::Error;

/// Implements `benchhub.v1.JudgeService`.
#[derive(Debug, Clone)]
pub struct JudgeApi {
    judge: Judge,
}

impl JudgeApi {
    /// Creates the handlers over the shared judge.
    pub fn new(judge: Judge) -> Self {
        Self { judge }
    }
}

fn judge_spec(judge: Option<pb::JudgeModel>) -> JudgeSpec {
    judge.map(JudgeSpec::from_pb).unwrap_or_default()
}

/// Converts a domain outcome to the proto result.
pub fn outcome_to_proto(outcome: ScoreOutcome) -> pb::ScoreResult {
    pb::ScoreResult {
        score: outcome.score,
        passed: outcome.passed,
        grader: outcome.grader.to_pb() as i32,
        notes: outcome.notes,
        error: outcome.error,
        self_judged: outcome.self_judged,
        judge_model: outcome.judge_model,
        judge_attempts: outcome.judge_attempts as i32,
        judge_input_tokens: i64::try_from(outcome.judge_input_tokens).unwrap_or(i64::MAX),
        judge_output_tokens: i64::try_from(outcome.judge_output_tokens).unwrap_or(i64::MAX),
        latency_ms: i64::try_from(outcome.latency.as_millis()).unwrap_or(i64::MAX),
    }
}

fn side_to_proto(side: Option<Side>) -> pb::Verdict {
    match side {
        None => pb::Verdict::Unspecified,
        Some(Side::A) => pb::Verdict::A,
        Some(Side::B) => pb::Verdict::B,
        Some(Side::Tie) => pb::Verdict::Tie,
    }
}

fn comparison_to_proto(outcome: ComparisonOutcome) -> pb::CompareResponse {
    let verdict = match outcome.verdict {
        None => pb::Verdict::Unspecified,
        Some(Combined::A) => pb::Verdict::A,
        Some(Combined::B) => pb::Verdict::B,
        Some(Combined::Tie) => pb::Verdict::Tie,
        Some(Combined::Inconsistent) => pb::Verdict::Inconsistent,
    };
    pb::CompareResponse {
        verdict: verdict as i32,
        verdict_ab: side_to_proto(outcome.a_first) as i32,
        verdict_ba: side_to_proto(outcome.b_first) as i32,
        notes_ab: outcome.notes_a_first,
        notes_ba: outcome.notes_b_first,
        self_judged: outcome.self_judged,
        judge_model: outcome.judge_model,
        error: outcome.error,
        judge_input_tokens: i64::try_from(outcome.judge_input_tokens).unwrap_or(i64::MAX),
        judge_output_tokens: i64::try_from(outcome.judge_output_tokens).unwrap_or(i64::MAX),
    }
}

fn comparisons_from_proto(verdicts: Vec<pb::PairwiseVerdict>) -> Result<Vec<Comparison>, Error> {
    verdicts
        .into_iter()
        .enumerate()
        .map(|(position, verdict)| {
            let outcome = match pb::Verdict::try_from(verdict.winner) {
                Ok(pb::Verdict::A) => Outcome::AWins,
                Ok(pb::Verdict::B) => Outcome::BWins,
                Ok(pb::Verdict::Tie | pb::Verdict::Inconsistent) => Outcome::Tie,
                Ok(pb::Verdict::Unspecified) | Err(_) => {
                    return Err(Error::invalid(
                        format!("verdicts[{position}].winner"),
                        "must be VERDICT_A, VERDICT_B, VERDICT_TIE or VERDICT_INCONSISTENT",
                    ));
                }
            };
            Ok(Comparison {
                model_a: verdict.model_a,
                model_b: verdict.model_b,
                outcome,
            })
        })
        .collect()
}

fn ratings_to_proto(ratings: Ratings) -> pb::RankModelsResponse {
    pb::RankModelsResponse {
        ratings: ratings
            .ratings
            .into_iter()
            .map(|rating| pb::ModelRating {
                model: rating.model,
                rating: rating.rating,
                ci_low: rating.ci_low,
                ci_high: rating.ci_high,
                wins: rating.wins as i32,
                losses: rating.losses as i32,
                ties: rating.ties as i32,
                games: rating.games as i32,
                win_rate: rating.win_rate,
                rank: rating.rank as i32,
            })
            .collect(),
        games: ratings.games as i32,
        bootstrap_rounds: ratings.bootstrap_rounds as i32,
        seed: ratings.seed,
        regularized: ratings.regularized,
    }
}

fn blocking_failed(error: tokio::task::JoinError) -> Error {
    Error::Internal(anyhow::anyhow!("blocking task failed: {error}"))
}

#[tonic::async_trait]
impl pb::judge_service_server::JudgeService for JudgeApi {
    async fn score(
        &self,
        request: Request<pb::ScoreRequest>,
    ) -> Result<Response<pb::ScoreResponse>, Status> {
        let request = request.into_inner();
        let spec = ItemSpec {
            input: request.input,
            output: request.output,
            grader: request.grader.and_then(GraderSpec::from_pb),
        };
        let judge = self.judge.clone();
        let item = tokio::task::spawn_blocking(move || {
            scoring::prepare_item(
                spec,
                "",
                &mut crate::domain::graders::CompileCache::default(),
                &judge,
            )
        })
        .await
        .map_err(blocking_failed)??;
        let outcome = scoring::score_one(&self.judge, item).await?;
        Ok(Response::new(pb::ScoreResponse {
            result: Some(outcome_to_proto(outcome)),
        }))
    }

    async fn score_batch(
        &self,
        request: Request<pb::ScoreBatchRequest>,
    ) -> Result<Response<pb::ScoreBatchResponse>, Status> {
        let request = request.into_inner();
        let concurrency = match usize::try_from(request.concurrency) {
            Ok(0) => DEFAULT_BATCH_CONCURRENCY,
            Ok(value) if value <= MAX_BATCH_CONCURRENCY => value,
            _ => {
                return Err(Error::invalid(
                    "concurrency",
                    format!(
                        "must be between 0 and {MAX_BATCH_CONCURRENCY} (0 means {DEFAULT_BATCH_CONCURRENCY}), got {}",
                        request.concurrency
                    ),
                )
                .into());
            }
        };
        let specs: Vec<ItemSpec> = request
            .items
            .into_iter()
            .map(|item| ItemSpec {
                input: item.input,
                output: item.output,
                grader: item.grader.and_then(GraderSpec::from_pb),
            })
            .collect();
        let judge = self.judge.clone();
        let items = tokio::task::spawn_blocking(move || scoring::prepare_batch(specs, &judge))
            .await
            .map_err(blocking_failed)??;
        let outcomes = scoring::score_batch(&self.judge, items, concurrency).await;
        Ok(Response::new(pb::ScoreBatchResponse {
            results: outcomes.into_iter().map(outcome_to_proto).collect(),
        }))
    }

    async fn compare(
        &self,
        request: Request<pb::CompareRequest>,
    ) -> Result<Response<pb::CompareResponse>, Status> {
        let request = request.into_inner();
        let spec = ComparisonSpec {
            input: request.input,
            output_a: request.output_a,
            output_b: request.output_b,
            expected: request.expected,
            rubric: request.rubric,
            judge: judge_spec(request.judge),
            candidate_models: request.candidate_models,
        };
        let prepared = compare::prepare(spec, &self.judge)?;
        let outcome = compare::compare(&self.judge, prepared).await?;
        Ok(Response::new(comparison_to_proto(outcome)))
    }

    async fn rank_models(
        &self,
        request: Request<pb::RankModelsRequest>,
    ) -> Result<Response<pb::RankModelsResponse>, Status> {
        let request = request.into_inner();
        let rounds = match request.bootstrap_rounds {
            None => rating::DEFAULT_BOOTSTRAP_ROUNDS,
            Some(value) => u32::try_from(value).map_err(|_| {
                Error::invalid(
                    "bootstrap_rounds",
                    format!(
                        "must be between 0 and {}, got {value}",
                        rating::MAX_BOOTSTRAP_ROUNDS
                    ),
                )
            })?,
        };
        let comparisons = comparisons_from_proto(request.verdicts)?;
        let seed = request.seed;
        let ratings =
            tokio::task::spawn_blocking(move || rating::rank_models(&comparisons, rounds, seed))
                .await
                .map_err(blocking_failed)??;
        Ok(Response::new(ratings_to_proto(ratings)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_winner_is_rejected_with_its_index() {
        let verdicts = vec![
            pb::PairwiseVerdict {
                model_a: "a".to_owned(),
                model_b: "b".to_owned(),
                winner: pb::Verdict::A as i32,
            },
            pb::PairwiseVerdict {
                model_a: "a".to_owned(),
                model_b: "b".to_owned(),
                winner: 0,
            },
        ];
        match comparisons_from_proto(verdicts) {
            Err(Error::InvalidArgument { field, .. }) => assert_eq!(field, "verdicts[1].winner"),
            _ => panic!("expected InvalidArgument"),
        }
    }
}
