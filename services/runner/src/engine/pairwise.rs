//! Pairwise judging of a run's models: every pair of models on every case, judged by the judge
//! service in both orders, stored as verdicts and fitted to Bradley–Terry ratings.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use benchhub_proto::pb;

use crate::domain::records::RatingSummary;
use crate::engine::context::RunContext;
use crate::repo;
use benchhub_common::grading::JudgeSpec;

/// Pairwise comparisons judged at once.
const PAIRWISE_CONCURRENCY: usize = 8;

fn verdict_name(verdict: i32) -> Option<&'static str> {
    match pb::Verdict::try_from(verdict).ok()? {
        pb::Verdict::A => Some("a"),
        pb::Verdict::B => Some("b"),
        pb::Verdict::Tie => Some("tie"),
        pb::Verdict::Inconsistent => Some("inconsistent"),
        pb::Verdict::Unspecified => None,
    }
}

fn verdict_value(name: &str) -> pb::Verdict {
    match name {
        "a" => pb::Verdict::A,
        "b" => pb::Verdict::B,
        "tie" => pb::Verdict::Tie,
        _ => pb::Verdict::Inconsistent,
    }
}

/// Judges every pair of models on every case (both orders, by the judge), stores the verdicts and
/// fits ratings. Failures are logged and leave the ratings empty.
pub(super) async fn pairwise(context: &Arc<RunContext>) -> (Vec<RatingSummary>, Option<f64>) {
    use futures::StreamExt;
    let engine = &context.engine;
    let outputs =
        match repo::results::first_outputs(&engine.pool, &context.tenant, context.run_id).await {
            Ok(outputs) => outputs,
            Err(error) => {
                tracing::warn!(error = %error, "pairwise: cannot read outputs");
                return (Vec::new(), None);
            }
        };
    let existing: HashSet<(i32, String, String)> =
        repo::results::verdicts(&engine.pool, &context.tenant, context.run_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|verdict| (verdict.case_index, verdict.model_a, verdict.model_b))
            .collect();
    let mut by_case: HashMap<i32, HashMap<String, String>> = HashMap::new();
    for (case_index, model, output) in outputs {
        by_case.entry(case_index).or_default().insert(model, output);
    }
    let mut jobs = Vec::new();
    for (case_index, answers) in &by_case {
        let Some(Some(case)) = context.cases.get(*case_index as usize) else {
            continue;
        };
        for (first, model_a) in context.model_names.iter().enumerate() {
            for model_b in &context.model_names[first + 1..] {
                if existing.contains(&(*case_index, model_a.clone(), model_b.clone())) {
                    continue;
                }
                let (Some(output_a), Some(output_b)) = (answers.get(model_a), answers.get(model_b))
                else {
                    continue;
                };
                jobs.push((
                    *case_index,
                    model_a.clone(),
                    model_b.clone(),
                    pb::CompareRequest {
                        input: case.spec.input.clone(),
                        output_a: output_a.clone(),
                        output_b: output_b.clone(),
                        expected: case.spec.expected_output.clone().unwrap_or_default(),
                        rubric: case.spec.rubric.clone().unwrap_or_default(),
                        judge: context.config.judge.as_ref().map(JudgeSpec::to_pb),
                        candidate_models: context.model_names.clone(),
                    },
                ));
            }
        }
    }
    let request_id = context.config.request_id.clone();
    futures::stream::iter(jobs)
        .map(|(case_index, model_a, model_b, request)| {
            let request_id = request_id.clone();
            async move {
                if context.cancel.is_cancelled() {
                    return;
                }
                match engine
                    .judge
                    .compare(request, request_id.as_deref(), context.forwarded.as_ref())
                    .await
                {
                    Ok(response) => {
                        let Some(winner) = verdict_name(response.verdict) else {
                            tracing::warn!(error = %response.error, "pairwise judging failed for a case");
                            return;
                        };
                        let verdict = repo::results::VerdictRow {
                            case_index,
                            model_a,
                            model_b,
                            winner: winner.to_owned(),
                        };
                        let notes = format!("{}\n---\n{}", response.notes_ab, response.notes_ba);
                        let input_tokens = u64::try_from(response.judge_input_tokens).unwrap_or(0);
                        let output_tokens = u64::try_from(response.judge_output_tokens).unwrap_or(0);
                        let spend = repo::results::JudgeSpend {
                            input_tokens: response.judge_input_tokens,
                            output_tokens: response.judge_output_tokens,
                            cost_micro_usd: context
                                .judge_cost(&response.judge_model, input_tokens, output_tokens)
                                .await,
                        };
                        let cost = spend.cost_micro_usd.unwrap_or(0);
                        context.budget.add(cost);
                        context.cost.fetch_add(cost, Ordering::Relaxed);
                        if let Err(error) = repo::results::insert_verdict(
                            &engine.pool,
                            &context.tenant,
                            context.run_id,
                            &verdict,
                            &notes,
                            spend,
                        )
                        .await
                        {
                            tracing::warn!(error = %error, "could not store a verdict");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "pairwise judging failed");
                    }
                }
            }
        })
        .buffer_unordered(PAIRWISE_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    let verdicts =
        match repo::results::verdicts(&engine.pool, &context.tenant, context.run_id).await {
            Ok(verdicts) if !verdicts.is_empty() => verdicts,
            Ok(_) => return (Vec::new(), None),
            Err(error) => {
                tracing::warn!(error = %error, "pairwise: cannot read verdicts");
                return (Vec::new(), None);
            }
        };
    let consistent = verdicts
        .iter()
        .filter(|verdict| verdict.winner != "inconsistent")
        .count();
    let consistency = consistent as f64 / verdicts.len() as f64;
    let request = pb::RankModelsRequest {
        verdicts: verdicts
            .iter()
            .map(|verdict| pb::PairwiseVerdict {
                model_a: verdict.model_a.clone(),
                model_b: verdict.model_b.clone(),
                winner: verdict_value(&verdict.winner) as i32,
            })
            .collect(),
        bootstrap_rounds: None,
        seed: 0,
    };
    let ratings = match engine
        .judge
        .rank(
            request,
            context.config.request_id.as_deref(),
            context.forwarded.as_ref(),
        )
        .await
    {
        Ok(response) => response
            .ratings
            .into_iter()
            .map(|rating| RatingSummary {
                model: rating.model,
                rating: rating.rating,
                ci_low: rating.ci_low,
                ci_high: rating.ci_high,
                wins: rating.wins,
                losses: rating.losses,
                ties: rating.ties,
                games: rating.games,
                win_rate: rating.win_rate,
                rank: rating.rank,
            })
            .collect(),
        Err(error) => {
            tracing::warn!(error = %error, "pairwise: ranking failed");
            Vec::new()
        }
    };
    (ratings, Some(consistency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_names_round_trip() {
        for verdict in [
            pb::Verdict::A,
            pb::Verdict::B,
            pb::Verdict::Tie,
            pb::Verdict::Inconsistent,
        ] {
            let name = verdict_name(verdict as i32).expect("named");
            assert_eq!(verdict_value(name), verdict);
        }
        assert_eq!(verdict_name(0), None);
    }
}
