//! Fan-out, retries, budget, cancel, retry, cache and shared limits, over real gRPC, Postgres, the
//! judge service and the fake provider over HTTP.

use std::time::{Duration, Instant};

use benchhub_fake_provider::{FakeConfig, ModelBehavior, Quality};
use benchhub_proto::pb;

use crate::harness::{Harness, RunnerOptions, admin, cases, limits, model_stats, run_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_with_mixed_latencies_and_errors_records_every_pair() {
    let harness = Harness::start(FakeConfig::new().with_seed(7)).await;
    let suite = harness.suite("fan-out", cases(20)).await;
    harness
        .price("fake/good+latency=10ms..80ms", 1_000_000, 2_000_000)
        .await;
    harness
        .price("fake/okay+latency=40ms", 500_000, 500_000)
        .await;
    let models = [
        "fake/good+latency=10ms..80ms",
        "fake/okay+latency=40ms",
        "fake/bad+err500=0.4",
        "fake/does-not-exist",
    ];
    let started = harness
        .create_run(run_of(&suite, &models, limits(16, 0)))
        .await;
    assert_eq!(started.status, pb::BenchmarkRunStatus::Pending as i32);
    assert_eq!(started.counts.as_ref().map(|c| c.total), Some(80));
    let run = harness
        .wait_ended(&started.id, Duration::from_secs(60))
        .await;

    assert_eq!(
        run.status,
        pb::BenchmarkRunStatus::Completed as i32,
        "{run:?}"
    );
    let counts = run.counts.expect("counts");
    assert_eq!((counts.total, counts.done, counts.remaining), (80, 80, 0));

    let good = model_stats(&run, "fake/good+latency=10ms..80ms");
    assert_eq!((good.results, good.failed), (20, 0));
    assert_eq!(good.mean_quality, Some(100.0));
    assert_eq!(good.pass_rate, Some(1.0));
    assert!(good.price_known);
    assert!(good.total_cost_micro_usd > 0);
    assert!(
        good.latency_p50_ms
            .is_some_and(|p50| (10..=200).contains(&p50)),
        "{good:?}"
    );
    assert!(good.latency_p95_ms >= good.latency_p50_ms);

    let okay = model_stats(&run, "fake/okay+latency=40ms");
    assert_eq!(okay.failed, 0);
    assert!(okay.mean_quality.is_some_and(|quality| quality < 100.0));
    assert!(okay.latency_p50_ms.is_some_and(|p50| p50 >= 40));

    let bad = model_stats(&run, "fake/bad+err500=0.4");
    assert!(bad.failed > 0 && bad.failed < 20, "{bad:?}");
    assert!(!bad.price_known);
    let missing = model_stats(&run, "fake/does-not-exist");
    assert_eq!(missing.failed, 20);

    assert_eq!(run.best_model, "fake/good+latency=10ms..80ms");
    assert_eq!(run.cheapest_model, "fake/okay+latency=40ms");
    assert!(
        !run.price_known,
        "unpriced models make the total a lower bound"
    );

    let results = harness.results(&run.id).await;
    assert_eq!(results.len(), 80);
    let failures: Vec<&pb::BenchmarkResult> = results
        .iter()
        .filter(|result| !result.error.is_empty())
        .collect();
    assert!(
        failures
            .iter()
            .any(|result| result.error.contains("http 500"))
    );
    assert!(
        failures
            .iter()
            .any(|result| result.error.contains("http 404"))
    );
    for result in &results {
        if result.error.is_empty() {
            assert!(result.total_tokens > 0, "{result:?}");
            assert!(result.matches_expected.is_some());
            assert_eq!(result.attempts, 1);
        } else {
            assert!(result.output.is_empty());
            assert_eq!(result.quality, None);
        }
    }
    let priced = results
        .iter()
        .find(|result| result.model == "fake/good+latency=10ms..80ms")
        .expect("a good result");
    assert_eq!(
        priced.cost_micro_usd,
        Some(priced.input_tokens + 2 * priced.output_tokens)
    );
    assert!(
        results
            .iter()
            .filter(|result| result.model == "fake/bad+err500=0.4" && result.error.is_empty())
            .all(|result| result.cost_micro_usd.is_none() && !result.price_known)
    );

    // Every pair was called exactly once (no retries configured).
    let stats = harness.fake.stats();
    assert_eq!(stats.total_calls, 80);
    assert_eq!(stats.max_calls_per_pair, 1);

    // Paging and filters of ListRunResults.
    let mut client = harness.client().await;
    let first = client
        .list_run_results(admin(pb::ListRunResultsRequest {
            run_id: run.id.clone(),
            page_size: 30,
            ..pb::ListRunResultsRequest::default()
        }))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(first.results.len(), 30);
    assert!(!first.next_page_token.is_empty());
    let second = client
        .list_run_results(admin(pb::ListRunResultsRequest {
            run_id: run.id.clone(),
            page_size: 30,
            page_token: first.next_page_token.clone(),
            ..pb::ListRunResultsRequest::default()
        }))
        .await
        .expect("page")
        .into_inner();
    assert_eq!(second.results.len(), 30);
    assert_ne!(first.results[29].id, second.results[0].id);
    let failed_only = client
        .list_run_results(admin(pb::ListRunResultsRequest {
            run_id: run.id.clone(),
            page_size: 500,
            only_failed: true,
            model: "fake/does-not-exist".to_owned(),
            ..pb::ListRunResultsRequest::default()
        }))
        .await
        .expect("filtered")
        .into_inner();
    assert_eq!(failed_only.results.len(), 20);
    let one_case = client
        .list_run_results(admin(pb::ListRunResultsRequest {
            run_id: run.id.clone(),
            case_id: results[0].case_id.clone(),
            ..pb::ListRunResultsRequest::default()
        }))
        .await
        .expect("by case")
        .into_inner();
    assert_eq!(one_case.results.len(), 4);

    // ListRuns sees it with its counts.
    let runs = client
        .list_runs(admin(pb::ListRunsRequest {
            suite_id: suite.clone(),
            status: pb::BenchmarkRunStatus::Completed as i32,
            ..pb::ListRunsRequest::default()
        }))
        .await
        .expect("runs")
        .into_inner();
    assert_eq!(runs.runs.len(), 1);
    assert_eq!(runs.runs[0].counts.as_ref().map(|c| c.done), Some(80));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_calls_honour_retry_after() {
    let harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("throttled", cases(3)).await;
    let model = "fake/good+rate_limit_first=1+retry_after=1";
    let started_at = Instant::now();
    let created = harness
        .create_run(run_of(&suite, &[model], limits(8, 3)))
        .await;
    let mut stream = harness
        .client()
        .await
        .watch_run(admin(pb::WatchRunRequest {
            run_id: created.id.clone(),
            replay_results: true,
        }))
        .await
        .expect("watch")
        .into_inner();
    let mut throttled_seen = 0;
    let mut lowered_limit = false;
    while let Some(event) = stream.message().await.expect("event") {
        if let Some(pb::watch_run_response::Event::Progress(progress)) = event.event {
            for provider in progress.providers {
                throttled_seen = throttled_seen.max(provider.throttled);
                lowered_limit |= provider.current_limit < provider.max_limit;
            }
        }
    }
    let elapsed = started_at.elapsed();
    let run = harness.get_run(&created.id).await;
    assert_eq!(run.status, pb::BenchmarkRunStatus::Completed as i32);
    assert!(
        elapsed >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured: {elapsed:?}"
    );
    let results = harness.results(&run.id).await;
    assert_eq!(results.len(), 3);
    for result in &results {
        assert!(result.error.is_empty(), "{result:?}");
        assert_eq!(result.attempts, 2);
        assert_eq!(result.quality, Some(100.0));
    }
    let stats = harness.fake.stats();
    assert_eq!(stats.errors_429, 3);
    assert_eq!(stats.max_successes_per_pair, 1);
    assert_eq!(throttled_seen, 3, "progress reports the 429s");
    assert!(lowered_limit, "the adaptive limit went down after 429s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_stops_the_run() {
    let harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("budget", cases(40)).await;
    let model = "fake/good+latency=30ms";
    // 1 USD per million tokens: one micro-USD per token; each call costs ~20 micro-USD.
    harness.price(model, 1_000_000, 1_000_000).await;
    let mut request = run_of(&suite, &[model], limits(2, 0));
    request.limits.as_mut().expect("limits").budget_micro_usd = Some(100);
    let dry = harness
        .create_run(pb::CreateRunRequest {
            dry_run: true,
            ..request.clone()
        })
        .await;
    let estimate = dry.estimate.expect("estimate");
    assert!(!estimate.within_budget, "{estimate:?}");
    assert!(dry.id.is_empty());

    // An estimate above the budget is refused with the estimate, and nothing is called.
    let refused = harness
        .client()
        .await
        .create_run(admin(request.clone()))
        .await
        .expect_err("over budget");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains(&format!(
            "estimate of {} micro-USD (40 calls) exceeds the budget of 100",
            estimate.cost_micro_usd
        )) && refused.message().contains("allow_over_budget"),
        "{}",
        refused.message()
    );
    // So is a budgeted run with a model of unknown price, naming it.
    let mut unpriced = run_of(&suite, &[model, "fake/okay"], limits(2, 0));
    unpriced.limits.as_mut().expect("limits").budget_micro_usd = Some(1_000_000);
    unpriced.allow_over_budget = true;
    let refused = harness
        .client()
        .await
        .create_run(admin(unpriced))
        .await
        .expect_err("unpriced");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("fake/okay has no known price"),
        "{}",
        refused.message()
    );
    assert_eq!(harness.fake.stats().total_calls, 0);

    // Allowed over the budget, the run stops when the budget is spent.
    request.allow_over_budget = true;
    let created = harness.create_run(request).await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(30))
        .await;
    assert_eq!(run.status, pb::BenchmarkRunStatus::Failed as i32);
    assert!(run.budget_exhausted);
    assert!(run.error.contains("budget"), "{}", run.error);
    let counts = run.counts.expect("counts");
    assert!(counts.done < 40 && counts.done >= 4, "{counts:?}");
    assert!(run.cost_micro_usd >= 100);
    // At most the calls in flight when the budget was reached overshoot it: with two at a time, the
    // one that crossed it and one other (a call is charged when it answers, and a call that passes
    // the limits after that is not made).
    assert!(run.cost_micro_usd < 100 + 2 * 25, "{}", run.cost_micro_usd);
    assert_eq!(harness.fake.stats().total_calls as i32, counts.done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_stops_calls_queued_behind_the_limits() {
    let harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("queued", cases(20)).await;
    let model = "fake/good+latency=20ms";
    harness.price(model, 1_000_000, 1_000_000).await;
    // One call at a time for the run, but eight pairs of the provider started together: seven wait
    // behind the run's limit while the first calls are paid.
    let mut request = run_of(&suite, &[model], limits(1, 0));
    let run_limits = request.limits.as_mut().expect("limits");
    run_limits.per_provider_max_concurrency = 8;
    run_limits.budget_micro_usd = Some(40);
    request.allow_over_budget = true;
    let created = harness.create_run(request).await;
    let run = harness
        .wait_ended(&created.id, Duration::from_secs(30))
        .await;
    assert!(run.budget_exhausted, "{run:?}");
    let counts = run.counts.expect("counts");
    // Calls are made one by one until the budget is spent; none of the waiting pairs is called after.
    assert!(
        run.cost_micro_usd >= 40 && run.cost_micro_usd < 40 + 25,
        "{}",
        run.cost_micro_usd
    );
    assert!(counts.done < 8, "{counts:?}");
    assert_eq!(harness.fake.stats().total_calls as i32, counts.done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_in_flight_calls_promptly() {
    let harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("cancel", cases(20)).await;
    let created = harness
        .create_run(run_of(&suite, &["fake/good+latency=3s"], limits(4, 0)))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.fake.stats().total_calls < 4 {
        assert!(Instant::now() < deadline, "calls never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut client = harness.client().await;
    let cancelled_at = Instant::now();
    let cancelled = client
        .cancel_run(admin(pb::CancelRunRequest {
            run_id: created.id.clone(),
        }))
        .await
        .expect("cancel")
        .into_inner()
        .run
        .expect("run");
    assert_eq!(cancelled.status, pb::BenchmarkRunStatus::Cancelled as i32);
    assert!(cancelled_at.elapsed() < Duration::from_secs(1));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let run = harness.get_run(&created.id).await;
    assert_eq!(run.status, pb::BenchmarkRunStatus::Cancelled as i32);
    assert_eq!(
        run.counts.as_ref().map(|c| c.done),
        Some(0),
        "in-flight calls were dropped"
    );
    assert_eq!(
        harness.fake.stats().total_calls,
        4,
        "no new call started after cancel"
    );
    let again = client
        .cancel_run(admin(pb::CancelRunRequest {
            run_id: created.id.clone(),
        }))
        .await
        .expect_err("already ended");
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_reruns_only_failed_pairs() {
    let harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("retry", cases(5)).await;
    let models = ["fake/good", "fake/good+fail_first=1"];
    let created = harness
        .create_run(run_of(&suite, &models, limits(4, 0)))
        .await;
    let first = harness
        .wait_ended(&created.id, Duration::from_secs(30))
        .await;
    assert_eq!(first.status, pb::BenchmarkRunStatus::Completed as i32);
    assert_eq!(first.counts.as_ref().map(|c| c.failed), Some(5));
    let mut client = harness.client().await;
    let retried = client
        .retry_run(admin(pb::RetryRunRequest {
            run_id: created.id.clone(),
        }))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retried.retried_pairs, 5);
    let second = harness
        .wait_ended(&created.id, Duration::from_secs(30))
        .await;
    assert_eq!(second.status, pb::BenchmarkRunStatus::Completed as i32);
    let counts = second.counts.expect("counts");
    assert_eq!((counts.done, counts.failed), (10, 0));
    let stats = harness.fake.stats();
    assert_eq!(
        stats.calls_by_model.get("good"),
        Some(&5),
        "successful pairs were not called again"
    );
    assert_eq!(stats.calls_by_model.get("good+fail_first=1"), Some(&10));
    assert_eq!(stats.max_successes_per_pair, 1);
    let nothing = client
        .retry_run(admin(pb::RetryRunRequest {
            run_id: created.id.clone(),
        }))
        .await
        .expect_err("nothing to retry");
    assert_eq!(nothing.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_are_served_from_the_cache() {
    let harness = Harness::start(FakeConfig::new()).await;
    let suite = harness.suite("cache", cases(6)).await;
    let mut request = run_of(&suite, &["fake/good"], limits(4, 0));
    request.use_cache = true;
    let first = harness.create_run(request.clone()).await;
    harness.wait_ended(&first.id, Duration::from_secs(30)).await;
    assert_eq!(harness.fake.stats().total_calls, 6);
    let second = harness.create_run(request).await;
    let run = harness
        .wait_ended(&second.id, Duration::from_secs(30))
        .await;
    assert_eq!(run.counts.as_ref().map(|c| c.cached), Some(6));
    assert_eq!(
        harness.fake.stats().total_calls,
        6,
        "no provider call for cached answers"
    );
    for result in harness.results(&run.id).await {
        assert!(result.cached);
        assert_eq!(result.attempts, 0);
        assert_eq!(result.quality, Some(100.0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_limits_are_shared_by_concurrent_runs() {
    let options = RunnerOptions {
        provider_concurrency: 4,
        ..RunnerOptions::default()
    };
    let harness = Harness::start_with(
        FakeConfig::new().with_model(
            "slow",
            ModelBehavior::oracle(Quality::Good).with_latency(
                benchhub_fake_provider::Latency::fixed(Duration::from_millis(200)),
            ),
        ),
        options,
    )
    .await;
    let suite = harness.suite("shared", cases(8)).await;
    let started = Instant::now();
    let first = harness
        .create_run(run_of(&suite, &["fake/slow"], limits(8, 0)))
        .await;
    let second = harness
        .create_run(run_of(&suite, &["fake/slow"], limits(8, 0)))
        .await;
    harness.wait_ended(&first.id, Duration::from_secs(30)).await;
    harness
        .wait_ended(&second.id, Duration::from_secs(30))
        .await;
    // 16 calls of 200 ms, at most 4 in flight for the provider across both runs: 4 waves.
    assert!(
        started.elapsed() >= Duration::from_millis(790),
        "the two runs together exceeded the provider's limit: {:?}",
        started.elapsed()
    );
}

/// A winner is named only with how sure it is: on clear data the best model is significantly ahead of
/// the runner-up (paired bootstrap, p < 0.05); two models of the same quality on 20 cases are tied, and
/// the cheaper of them is the best value. Every model's mean quality and pass rate carry 95% intervals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn best_model_is_named_only_when_significantly_ahead() {
    let harness = Harness::start(FakeConfig::new().with_seed(7)).await;
    let suite = harness.suite("significance", cases(20)).await;
    harness.price("fake/okay", 1_000_000, 1_000_000).await;
    harness
        .price("fake/okay+latency=1ms", 3_000_000, 3_000_000)
        .await;
    harness.price("fake/good", 5_000_000, 5_000_000).await;

    let clear = harness
        .create_run(run_of(&suite, &["fake/good", "fake/bad"], limits(8, 0)))
        .await;
    let clear = harness.wait_ended(&clear.id, Duration::from_secs(60)).await;
    assert_eq!(clear.best_model, "fake/good", "{clear:?}");
    assert_eq!(clear.tied_for_best, ["fake/good"]);
    let test = clear.best_versus_runner_up.clone().expect("compared");
    assert_eq!(test.runner_up, "fake/bad");
    assert_eq!(test.cases, 20);
    assert!(test.p_value < 0.05 && test.ci_low > 0.0, "{test:?}");
    let good = model_stats(&clear, "fake/good");
    assert_eq!(
        (good.mean_quality_low, good.mean_quality_high),
        (Some(100.0), Some(100.0))
    );
    // 20 of 20 passed: Wilson (1 − z²/(n + z²), 1) = (0.8389, 1).
    let low = good.pass_rate_low.expect("interval");
    assert!((low - 0.8389).abs() < 5e-4, "{low}");
    assert_eq!(good.pass_rate_high, Some(1.0));

    let noisy = harness
        .create_run(run_of(
            &suite,
            &["fake/okay+latency=1ms", "fake/okay"],
            limits(8, 0),
        ))
        .await;
    let noisy = harness.wait_ended(&noisy.id, Duration::from_secs(60)).await;
    println!(
        "noisy: {:?} {:?}",
        noisy.best_versus_runner_up,
        noisy
            .model_stats
            .iter()
            .map(|model| (
                &model.model,
                model.mean_quality,
                model.mean_quality_low,
                model.mean_quality_high
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(noisy.best_model, "", "no winner on noise: {noisy:?}");
    let mut tied = noisy.tied_for_best.clone();
    tied.sort();
    assert_eq!(tied, ["fake/okay", "fake/okay+latency=1ms"]);
    assert_eq!(noisy.best_value_model, "fake/okay");
    let test = noisy.best_versus_runner_up.clone().expect("compared");
    assert!(
        test.p_value >= 0.05 && test.ci_low <= 0.0 && test.ci_high >= 0.0,
        "{test:?}"
    );
    for model in &noisy.model_stats {
        let (low, high) = (
            model.mean_quality_low.expect("low"),
            model.mean_quality_high.expect("high"),
        );
        let mean = model.mean_quality.expect("mean");
        assert!(low <= mean && mean <= high && high - low > 1.0, "{model:?}");
    }
}
