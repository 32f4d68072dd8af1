//! Pricing from ingested observations and overrides, dry-run estimates, CompareRuns and GetSuiteStats.

use std::time::Duration;

use benchhub_fake_provider::{FakeConfig, ModelBehavior, Quality};
use benchhub_proto::pb;

use crate::harness::{Harness, admin, cases, limits, model_stats, run_of};

async fn ingest_price(
    harness: &Harness,
    source: &str,
    source_model_name: &str,
    model_id: &str,
    input: f64,
    output: f64,
    extra: Option<serde_json::Value>,
) {
    for (metric, value) in [
        ("input_usd_per_mtok", input),
        ("output_usd_per_mtok", output),
    ] {
        sqlx::query(
            "INSERT INTO observations (source, category, metric, source_model_name, snapshot_date, \
                 model_id, value, extra) \
             VALUES ($1, 'pricing', $2, $3, current_date, $4, $5, $6)",
        )
        .bind(source)
        .bind(metric)
        .bind(source_model_name)
        .bind(model_id)
        .bind(value)
        .bind(&extra)
        .execute(&harness.db.pool)
        .await
        .expect("observation");
    }
}

async fn catalog_model(harness: &Harness, id: &str) {
    sqlx::query("INSERT INTO models (id, display_name, identity_name) VALUES ($1, $1, $1)")
        .bind(id)
        .execute(&harness.db.pool)
        .await
        .expect("model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_come_from_ingest_and_overrides_and_unknown_prices_say_so() {
    let harness = Harness::start(
        FakeConfig::new().with_model("gpt-4o-mini", ModelBehavior::oracle(Quality::Good)),
    )
    .await;
    catalog_model(&harness, "openai/gpt-4o-mini").await;
    catalog_model(&harness, "google/gemini-2.5-pro").await;
    // OpenRouter wins over models.dev; its `:free` row must not price the paid model at 0.
    ingest_price(
        &harness,
        "openrouter",
        "openai/gpt-4o-mini",
        "openai/gpt-4o-mini",
        0.15,
        0.6,
        None,
    )
    .await;
    ingest_price(
        &harness,
        "openrouter",
        "openai/gpt-4o-mini:free",
        "openai/gpt-4o-mini",
        0.0,
        0.0,
        None,
    )
    .await;
    ingest_price(
        &harness,
        "modelsdev",
        "openai/gpt-4o-mini",
        "openai/gpt-4o-mini",
        9.0,
        9.0,
        None,
    )
    .await;
    // models.dev tier above a (small, for the test) prompt size, matched through an alias.
    sqlx::query(
        "INSERT INTO model_aliases (alias, normalized_alias, model_id) VALUES ('fake/gemini', 'gemini', 'google/gemini-2.5-pro')",
    )
    .execute(&harness.db.pool)
    .await
    .expect("alias");
    ingest_price(
        &harness,
        "modelsdev",
        "google/gemini-2.5-pro",
        "google/gemini-2.5-pro",
        1.25,
        10.0,
        Some(serde_json::json!({"tiers": [{"input": 2.5, "output": 15.0, "tier": {"size": 12}}]})),
    )
    .await;
    harness.price("fake/okay", 4_000_000, 8_000_000).await;

    let short = pb::TestCaseSpec {
        input: "two words".to_owned(),
        expected_output: "one two three".to_owned(),
        ..pb::TestCaseSpec::default()
    };
    let long = pb::TestCaseSpec {
        input: "one two three four five six seven eight nine ten eleven twelve".to_owned(),
        expected_output: "one two three".to_owned(),
        ..pb::TestCaseSpec::default()
    };
    let dry = harness
        .create_run(pb::CreateRunRequest {
            ad_hoc_cases: vec![short.clone(), long.clone()],
            models: vec![
                "openai/gpt-4o-mini".to_owned(),
                "fake/gemini".to_owned(),
                "fake/okay".to_owned(),
                "fake/good".to_owned(),
            ],
            dry_run: true,
            ..pb::CreateRunRequest::default()
        })
        .await;
    assert!(dry.id.is_empty());
    assert_eq!(
        harness.db.count("benchmark_runs").await,
        0,
        "a dry run stores nothing"
    );
    let by_name = |name: &str| {
        dry.models
            .iter()
            .find(|model| model.model == name)
            .cloned()
            .expect("model")
    };
    let mini = by_name("openai/gpt-4o-mini");
    assert_eq!(mini.canonical_model_id, "openai/gpt-4o-mini");
    assert_eq!(mini.price_source, "openrouter");
    assert_eq!(mini.input_usd_per_million, Some(0.15));
    let gemini = by_name("fake/gemini");
    assert_eq!(gemini.canonical_model_id, "google/gemini-2.5-pro");
    assert_eq!(gemini.price_source, "modelsdev");
    assert_eq!(by_name("fake/okay").price_source, "override");
    let unpriced = by_name("fake/good");
    assert_eq!(unpriced.input_usd_per_million, None);
    assert!(unpriced.price_source.is_empty());

    let estimate = dry.estimate.expect("estimate");
    assert_eq!(estimate.total_calls, 8);
    assert_eq!(estimate.unpriced_models, vec!["fake/good".to_owned()]);
    let estimated = |name: &str| {
        estimate
            .models
            .iter()
            .find(|model| model.model == name)
            .expect("model")
            .cost_micro_usd
    };
    // short: 3 input tokens, 4 output; long: 16 input tokens (above the 12-token tier), 4 output.
    // gemini: 3 × 1.25 + 4 × 10 = 43.75 → 44, plus the tier: 16 × 2.5 + 4 × 15 = 100.
    assert_eq!(estimated("fake/gemini"), Some(144));
    // okay (override, 4 and 8 USD/Mtok): 3 × 4 + 4 × 8 = 44, plus 16 × 4 + 4 × 8 = 96.
    assert_eq!(estimated("fake/okay"), Some(140));
    assert_eq!(estimated("fake/good"), None);

    // A real run costs with the same prices.
    let run = harness
        .create_run(pb::CreateRunRequest {
            ad_hoc_cases: vec![short, long],
            models: vec!["openai/gpt-4o-mini".to_owned(), "fake/good".to_owned()],
            ..pb::CreateRunRequest::default()
        })
        .await;
    let run = harness.wait_ended(&run.id, Duration::from_secs(30)).await;
    assert_eq!(run.status, pb::BenchmarkRunStatus::Completed as i32);
    for result in harness.results(&run.id).await {
        assert!(result.error.is_empty(), "{result:?}");
        if result.model == "openai/gpt-4o-mini" {
            let expected = (result.input_tokens as f64 * 0.15 + result.output_tokens as f64 * 0.6)
                .round() as i64;
            assert_eq!(result.cost_micro_usd, Some(expected));
            assert_eq!(result.canonical_model_id, "openai/gpt-4o-mini");
            assert!(result.price_known);
        } else {
            assert_eq!(result.cost_micro_usd, None, "unknown price is not 0");
            assert!(!result.price_known);
        }
    }
    assert!(!run.price_known);
    assert_eq!(run.cheapest_model, "openai/gpt-4o-mini");
    assert!(!model_stats(&run, "fake/good").price_known);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_runs_and_suite_stats() {
    let harness = Harness::start(
        FakeConfig::new()
            .with_seed(3)
            .with_model("candidate", ModelBehavior::oracle(Quality::Bad)),
    )
    .await;
    let suite = harness.suite("regression", cases(12)).await;
    harness.price("fake/good", 1_000_000, 1_000_000).await;
    let models = ["fake/good", "fake/candidate"];
    let first = harness
        .create_run(run_of(&suite, &models, limits(8, 0)))
        .await;
    let first = harness.wait_ended(&first.id, Duration::from_secs(30)).await;
    // The candidate improves between the runs.
    harness
        .fake
        .set_behavior("candidate", ModelBehavior::oracle(Quality::Good));
    let second = harness
        .create_run(run_of(&suite, &models, limits(8, 0)))
        .await;
    let second = harness
        .wait_ended(&second.id, Duration::from_secs(30))
        .await;

    let mut client = harness.client().await;
    let comparison = client
        .compare_runs(admin(pb::CompareRunsRequest {
            run_a_id: first.id.clone(),
            run_b_id: second.id.clone(),
        }))
        .await
        .expect("compare")
        .into_inner();
    assert_eq!(comparison.shared_cases, 12);
    assert_eq!(comparison.cases.len(), 24);
    let row = |model: &str| {
        comparison
            .models
            .iter()
            .find(|row| row.model == model)
            .cloned()
            .expect("model row")
    };
    let stable = row("fake/good");
    assert_eq!((stable.wins, stable.losses, stable.ties), (0, 0, 12));
    assert_eq!(stable.mean_quality_diff, Some(0.0));
    assert_eq!(stable.cost_delta_micro_usd, Some(0));
    let improved = row("fake/candidate");
    assert_eq!(improved.paired_cases, 12);
    assert!(improved.wins > 0 && improved.losses == 0, "{improved:?}");
    let diff = improved.mean_quality_diff.expect("diff");
    assert!(diff > 0.0);
    let (low, high) = (
        improved.diff_ci_low.expect("low"),
        improved.diff_ci_high.expect("high"),
    );
    assert!(low <= diff && diff <= high);
    assert!(improved.pass_rate_delta.is_some_and(|delta| delta > 0.0));
    assert!(
        comparison
            .cases
            .iter()
            .any(|case| case.outcome == pb::CaseOutcome::Win as i32)
    );

    let stats = client
        .get_suite_stats(admin(pb::GetSuiteStatsRequest {
            suite_id: suite.clone(),
            since: None,
        }))
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(stats.completed_runs, 2);
    assert!(!stats.stale);
    assert_eq!(stats.best_model, "fake/good");
    assert_eq!(
        stats.cheapest_model, "fake/good",
        "the only fully priced model"
    );
    assert_eq!(stats.models[0].model, "fake/good", "best quality first");
    assert_eq!(stats.models[0].runs, 2);
    assert_eq!(stats.models[0].results, 24);
    assert_eq!(stats.cost_trend.len(), 4);
    assert!(
        stats
            .cost_trend
            .iter()
            .filter(|point| point.model == "fake/candidate")
            .all(|point| point.total_cost_micro_usd.is_none())
    );
    let candidate_quality: Vec<f64> = stats
        .cost_trend
        .iter()
        .filter(|point| point.model == "fake/candidate")
        .filter_map(|point| point.mean_quality)
        .collect();
    assert!(candidate_quality[0] < candidate_quality[1], "oldest first");

    // Staleness: the last completed run more than 90 days ago.
    sqlx::query("UPDATE benchmark_runs SET completed_at = now() - interval '120 days'")
        .execute(&harness.db.pool)
        .await
        .expect("age the runs");
    let stale = client
        .get_suite_stats(admin(pb::GetSuiteStatsRequest {
            suite_id: suite.clone(),
            since: None,
        }))
        .await
        .expect("stats")
        .into_inner();
    assert!(stale.stale);
    assert_eq!(stale.stale_reason, "last run 120 days ago");
    let empty = harness.suite("never-run", cases(1)).await;
    let never = client
        .get_suite_stats(admin(pb::GetSuiteStatsRequest {
            suite_id: empty.clone(),
            since: None,
        }))
        .await
        .expect("stats")
        .into_inner();
    assert!(never.stale);
    assert_eq!(never.stale_reason, "no completed run");
    assert_eq!(never.completed_runs, 0);
    let disjoint = harness
        .create_run(run_of(&empty, &["fake/good"], limits(1, 0)))
        .await;
    harness
        .wait_ended(&disjoint.id, Duration::from_secs(30))
        .await;
    let unrelated = client
        .compare_runs(admin(pb::CompareRunsRequest {
            run_a_id: first.id.clone(),
            run_b_id: disjoint.id.clone(),
        }))
        .await
        .expect_err("nothing shared");
    assert_eq!(unrelated.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_rubric_grading_and_pairwise_ratings_through_the_judge() {
    let harness = Harness::start(FakeConfig::new().with_seed(5)).await;
    let suite = harness.suite("judged", cases(4)).await;
    let created = harness
        .create_run(judged_run(&suite, true, "fake/judge"))
        .await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(60))
        .await;
    assert_eq!(
        run.status,
        pb::BenchmarkRunStatus::Completed as i32,
        "{}",
        run.error
    );
    for result in harness.results(&run.id).await {
        assert_eq!(
            result.grader,
            pb::GraderKind::LlmRubric as i32,
            "{result:?}"
        );
        assert!(result.grading_error.is_empty(), "{result:?}");
        assert!(
            result
                .quality
                .is_some_and(|quality| (0.0..=100.0).contains(&quality))
        );
        assert!(!result.self_judged);
    }
    let good = model_stats(&run, "fake/good");
    let bad = model_stats(&run, "fake/bad");
    assert!(good.mean_quality > bad.mean_quality, "{good:?} {bad:?}");
    assert_eq!(run.best_model, "fake/good");
    assert_eq!(run.ratings.len(), 2, "{:?}", run.ratings);
    assert_eq!(run.ratings[0].rank, 1);
    assert_eq!(run.ratings[0].model, "fake/good");
    assert!(
        run.judge_consistency_rate
            .is_some_and(|rate| (0.0..=1.0).contains(&rate))
    );
    assert_eq!(harness.db.count("judge_verdicts").await, 4);
}

fn judged_run(suite: &str, pairwise: bool, judge: &str) -> pb::CreateRunRequest {
    pb::CreateRunRequest {
        suite_id: suite.to_owned(),
        models: vec!["fake/good".to_owned(), "fake/bad".to_owned()],
        grader: Some(pb::Grader {
            kind: Some(pb::grader::Kind::LlmRubric(pb::LlmRubricGrader {
                pass_threshold: Some(50.0),
                ..pb::LlmRubricGrader::default()
            })),
        }),
        judge: (!judge.is_empty()).then(|| pb::JudgeModel {
            model: judge.to_owned(),
            temperature: None,
            max_tokens: None,
        }),
        pairwise,
        limits: Some(limits(4, 1)),
        ..pb::CreateRunRequest::default()
    }
}

/// Every dollar counted: each graded result carries the judge's tokens and their cost at the judge's
/// price, pairwise comparisons cost too, the run splits model and judge cost, the estimate counts the
/// judge's calls, and the budget stops on the total — here on judge cost alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_judge_is_priced_counted_and_held_to_the_budget() {
    let harness = Harness::start(FakeConfig::new().with_seed(5)).await;
    let suite = harness.suite("judge-costs", cases(4)).await;
    // 1 USD per million tokens for the models (1 micro-USD a token), 10 for the judge.
    harness.price("fake/good", 1_000_000, 1_000_000).await;
    harness.price("fake/bad", 1_000_000, 1_000_000).await;
    harness.price("fake/judge", 10_000_000, 10_000_000).await;

    let dry = harness
        .create_run(pb::CreateRunRequest {
            dry_run: true,
            ..judged_run(&suite, true, "fake/judge")
        })
        .await;
    let estimate = dry.estimate.expect("estimate");
    // 4 cases × 2 models graded + 4 cases × 1 pair × 2 orders.
    assert_eq!(estimate.judge_calls, 16, "{estimate:?}");
    let judge_estimate = estimate.judge_cost_micro_usd.expect("judge priced");
    assert!(
        judge_estimate > 0 && estimate.cost_micro_usd > judge_estimate,
        "{estimate:?}"
    );

    let created = harness
        .create_run(judged_run(&suite, true, "fake/judge"))
        .await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(60))
        .await;
    assert_eq!(
        run.status,
        pb::BenchmarkRunStatus::Completed as i32,
        "{}",
        run.error
    );
    let mut model_cost = 0;
    let mut grading_cost = 0;
    for result in harness.results(&run.id).await {
        assert!(
            result.judge_input_tokens > 0 && result.judge_output_tokens > 0,
            "{result:?}"
        );
        let expected = (result.judge_input_tokens + result.judge_output_tokens) * 10;
        assert_eq!(result.judge_cost_micro_usd, Some(expected), "{result:?}");
        grading_cost += expected;
        model_cost += result.cost_micro_usd.expect("priced");
    }
    let pairwise_cost: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(judge_cost_micro_usd), 0)::bigint FROM judge_verdicts WHERE run_id = $1::uuid",
    )
    .bind(&run.id)
    .fetch_one(&harness.db.pool)
    .await
    .expect("verdict costs");
    assert!(pairwise_cost > 0, "pairwise comparisons are priced");
    assert_eq!(run.model_cost_micro_usd, model_cost);
    assert_eq!(run.judge_cost_micro_usd, grading_cost + pairwise_cost);
    assert_eq!(
        run.cost_micro_usd,
        model_cost + grading_cost + pairwise_cost
    );
    println!(
        "estimate {} (judge {judge_estimate}) vs spent {} (judge {})",
        estimate.cost_micro_usd, run.cost_micro_usd, run.judge_cost_micro_usd
    );

    // Free models, a priced judge: the judge alone spends the budget and stops the run.
    let free = ["fake/good+latency=1ms", "fake/bad+latency=1ms"];
    for model in free {
        harness.price(model, 0, 0).await;
    }
    let big_suite = harness.suite("judge-budget", cases(40)).await;
    let mut request = judged_run(&big_suite, false, "fake/judge");
    request.models = free.map(str::to_owned).to_vec();
    request.limits = Some(pb::RunLimits {
        budget_micro_usd: Some(20_000),
        ..limits(2, 1)
    });
    let refused = harness
        .client()
        .await
        .create_run(admin(request.clone()))
        .await
        .expect_err("the judge alone exceeds the budget");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    request.allow_over_budget = true;
    let created = harness.create_run(request).await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(60))
        .await;
    assert!(run.budget_exhausted, "{run:?}");
    assert_eq!(run.model_cost_micro_usd, 0);
    assert!(run.judge_cost_micro_usd >= 20_000, "{run:?}");
    assert!(run.counts.expect("counts").done < 80);

    // A budgeted run whose judge has no known price is refused naming it.
    let mut unnamed = judged_run(&suite, false, "");
    unnamed.limits = Some(pb::RunLimits {
        budget_micro_usd: Some(1_000_000),
        ..limits(2, 1)
    });
    let refused = harness
        .client()
        .await
        .create_run(admin(unnamed))
        .await
        .expect_err("unpriced judge");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused
            .message()
            .contains("judge (the judge service's default model) has no known price"),
        "{}",
        refused.message()
    );
}

/// CompareModels within one run: every pair once, paired bootstrap and exact McNemar, Holm-corrected
/// verdicts; bad requests name the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_models_gives_verdicts_within_a_run() {
    let harness = Harness::start(FakeConfig::new().with_seed(7)).await;
    let suite = harness.suite("compare-models", cases(20)).await;
    let created = harness
        .create_run(run_of(
            &suite,
            &["fake/good", "fake/okay", "fake/okay+latency=1ms"],
            limits(8, 0),
        ))
        .await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(60))
        .await;
    let response = harness
        .client()
        .await
        .compare_models(admin(pb::CompareModelsRequest {
            run_id: run.id.clone(),
            models: Vec::new(),
        }))
        .await
        .expect("compared")
        .into_inner();
    let pairs: Vec<(&str, &str)> = response
        .pairs
        .iter()
        .map(|pair| (pair.model_a.as_str(), pair.model_b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("fake/good", "fake/okay"),
            ("fake/good", "fake/okay+latency=1ms"),
            ("fake/okay", "fake/okay+latency=1ms")
        ]
    );
    for pair in &response.pairs {
        let comparison = pair.comparison.as_ref().expect("comparison");
        println!("{} vs {}: {comparison:?}", pair.model_b, pair.model_a);
        let (p, adjusted) = (
            comparison.p_value.expect("p"),
            comparison.adjusted_p_value.expect("adjusted"),
        );
        assert!(adjusted >= p && adjusted <= 1.0, "{comparison:?}");
        assert!(comparison.mcnemar_p_value.is_some(), "{comparison:?}");
        assert_eq!(comparison.paired_cases, 20);
        assert_eq!(
            comparison.wins + comparison.losses + comparison.ties,
            20,
            "{comparison:?}"
        );
        let expected = if pair.model_a == "fake/good" {
            pb::ComparisonVerdict::Worse
        } else {
            pb::ComparisonVerdict::NoSignificantDifference
        };
        assert_eq!(comparison.verdict, expected as i32, "{comparison:?}");
    }

    let unknown_model = harness
        .client()
        .await
        .compare_models(admin(pb::CompareModelsRequest {
            run_id: run.id.clone(),
            models: vec!["fake/nope".to_owned()],
        }))
        .await
        .expect_err("unknown model");
    assert_eq!(unknown_model.code(), tonic::Code::InvalidArgument);
    assert!(
        unknown_model.message().contains("fake/okay"),
        "{}",
        unknown_model.message()
    );
    let unknown_run = harness
        .client()
        .await
        .compare_models(admin(pb::CompareModelsRequest {
            run_id: "00000000-0000-0000-0000-000000000001".to_owned(),
            models: Vec::new(),
        }))
        .await
        .expect_err("unknown run");
    assert_eq!(unknown_run.code(), tonic::Code::NotFound);
}
