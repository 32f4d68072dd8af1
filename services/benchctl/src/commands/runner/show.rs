//! Rendering of runs, estimates, progress and suite statistics for the runner commands.

use benchhub_proto::pb;

use crate::render;

/// Formats micro-USD as dollars.
pub fn dollars(micro_usd: i64) -> String {
    let value = micro_usd as f64 / 1_000_000.0;
    if value == 0.0 {
        "$0".to_owned()
    } else if value.abs() < 0.01 {
        format!("${value:.6}")
    } else {
        format!("${value:.4}")
    }
}

pub(super) fn status_name(value: i32) -> String {
    pb::BenchmarkRunStatus::try_from(value)
        .map(|status| {
            status
                .as_str_name()
                .trim_start_matches("BENCHMARK_RUN_STATUS_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| "?".to_owned())
}

pub(super) fn status_value(name: &str) -> pb::BenchmarkRunStatus {
    match name {
        "pending" => pb::BenchmarkRunStatus::Pending,
        "running" => pb::BenchmarkRunStatus::Running,
        "completed" => pb::BenchmarkRunStatus::Completed,
        "failed" => pb::BenchmarkRunStatus::Failed,
        "cancelled" => pb::BenchmarkRunStatus::Cancelled,
        _ => pb::BenchmarkRunStatus::Unspecified,
    }
}

pub(super) fn optional<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| value.to_string())
}

/// What a run or suite says about which model to choose.
#[derive(Debug)]
pub struct Verdict<'a> {
    /// The significantly best model, or empty.
    pub best: &'a str,
    /// The models tied for best.
    pub tied: &'a [String],
    /// The cheapest of the tied models, or empty.
    pub best_value: &'a str,
    /// The cheapest fully priced model, or empty.
    pub cheapest: &'a str,
    /// Leader against runner-up.
    pub test: Option<&'a pb::BestModelTest>,
}

/// One line saying which model to choose and how sure that is.
pub(super) fn verdict_line(verdict: &Verdict<'_>) -> Option<String> {
    let test = verdict.test.map(|test| {
        format!(
            "{:+.1} points over {} (95% CI {:.1} to {:.1}, p {}, {} shared cases)",
            test.mean_difference,
            test.runner_up,
            test.ci_low,
            test.ci_high,
            match crate::render::p_value(test.p_value) {
                below if below.starts_with('<') => below,
                value => format!("= {value}"),
            },
            test.cases
        )
    });
    let value = if verdict.best_value.is_empty() {
        String::new()
    } else {
        format!("; best value: {}", verdict.best_value)
    };
    if !verdict.best.is_empty() {
        Some(match test {
            Some(test) => format!(
                "best: {} — significantly ahead: {test}{value}",
                verdict.best
            ),
            None => format!("best: {}{value}", verdict.best),
        })
    } else if verdict.tied.len() > 1 {
        Some(format!(
            "no significant winner: {} are tied for best{}{value}",
            verdict.tied.join(", "),
            test.map(|test| format!(" (leader {test})"))
                .unwrap_or_default()
        ))
    } else {
        None
    }
}

/// The per-model table: quality and pass rate with their 95% intervals, and marks for the best, the
/// models tied for best, the best value and the cheapest.
pub fn comparison_table(models: &[pb::ModelStats], verdict: &Verdict<'_>) -> comfy_table::Table {
    let mut table = render::table(&[
        "model",
        "quality (95% CI)",
        "pass rate (95% CI)",
        "cost",
        "tokens (in/out)",
        "p50 ms",
        "p95 ms",
        "failed",
        "",
    ]);
    for model in models {
        let mut marks = Vec::new();
        if model.model == verdict.best {
            marks.push("★ best");
        } else if verdict.best.is_empty() && verdict.tied.contains(&model.model) {
            marks.push("≈ tied for best");
        }
        if model.model == verdict.best_value {
            marks.push("✓ best value");
        }
        if model.model == verdict.cheapest {
            marks.push("$ cheapest");
        }
        let cost = if model.price_known {
            dollars(model.total_cost_micro_usd)
        } else if model.total_cost_micro_usd > 0 {
            format!("≥{} (partly unpriced)", dollars(model.total_cost_micro_usd))
        } else {
            "unknown price".to_owned()
        };
        let quality = model.mean_quality.map(|quality| {
            match (model.mean_quality_low, model.mean_quality_high) {
                (Some(low), Some(high)) => format!("{quality:.1} ({low:.1}–{high:.1})"),
                _ => format!("{quality:.1}"),
            }
        });
        let pass_rate =
            model
                .pass_rate
                .map(|rate| match (model.pass_rate_low, model.pass_rate_high) {
                    (Some(low), Some(high)) => format!(
                        "{:.0}% ({:.0}–{:.0}%)",
                        rate * 100.0,
                        low * 100.0,
                        high * 100.0
                    ),
                    _ => format!("{:.0}%", rate * 100.0),
                });
        table.add_row(vec![
            model.model.clone(),
            optional(quality),
            optional(pass_rate),
            cost,
            format!("{}/{}", model.input_tokens, model.output_tokens),
            optional(model.latency_p50_ms),
            optional(model.latency_p95_ms),
            format!("{}/{}", model.failed, model.results),
            marks.join(" "),
        ]);
    }
    table
}

pub(super) fn print_run(run: &pb::Run) {
    let counts = run.counts.unwrap_or_default();
    println!(
        "run {} · {} · {} cases × {} models × {} · {}/{} done, {} failed, {} cached · cost {}{}",
        render::or_dash(&run.id),
        status_name(run.status),
        run.case_count,
        run.models.len(),
        run.repetitions,
        counts.done,
        counts.total,
        counts.failed,
        counts.cached,
        if run.judge_cost_micro_usd > 0 {
            format!(
                "{} (models {}, judge {})",
                dollars(run.cost_micro_usd),
                dollars(run.model_cost_micro_usd),
                dollars(run.judge_cost_micro_usd)
            )
        } else {
            dollars(run.cost_micro_usd)
        },
        if run.price_known {
            ""
        } else {
            " (some models unpriced)"
        }
    );
    if !run.error.is_empty() {
        println!("error: {}", run.error);
    }
    if !run.model_stats.is_empty() {
        let verdict = Verdict {
            best: &run.best_model,
            tied: &run.tied_for_best,
            best_value: &run.best_value_model,
            cheapest: &run.cheapest_model,
            test: run.best_versus_runner_up.as_ref(),
        };
        println!("{}", comparison_table(&run.model_stats, &verdict));
        if let Some(line) = verdict_line(&verdict) {
            println!("{line}");
        }
    }
    if !run.ratings.is_empty() {
        let mut table = render::table(&["rank", "model", "rating", "95% interval", "win rate"]);
        for rating in &run.ratings {
            table.add_row(vec![
                rating.rank.to_string(),
                rating.model.clone(),
                format!("{:.0}", rating.rating),
                format!("{:.0}–{:.0}", rating.ci_low, rating.ci_high),
                format!("{:.0}%", rating.win_rate * 100.0),
            ]);
        }
        println!("{table}");
        if let Some(rate) = run.judge_consistency_rate {
            println!("judge order consistency: {:.0}%", rate * 100.0);
        }
    }
}

pub(super) fn print_estimate(run: &pb::Run) {
    let Some(estimate) = &run.estimate else {
        return;
    };
    let mut table = render::table(&[
        "model",
        "price (in/out USD per M)",
        "calls",
        "tokens (in/out)",
        "estimated cost",
    ]);
    for model in &estimate.models {
        let price = run
            .models
            .iter()
            .find(|candidate| candidate.model == model.model)
            .and_then(|candidate| {
                Some(format!(
                    "{}/{} ({})",
                    candidate.input_usd_per_million?,
                    candidate.output_usd_per_million?,
                    candidate.price_source
                ))
            })
            .unwrap_or_else(|| "unknown".to_owned());
        table.add_row(vec![
            model.model.clone(),
            price,
            model.calls.to_string(),
            format!("{}/{}", model.input_tokens, model.output_tokens),
            model
                .cost_micro_usd
                .map_or_else(|| "unknown price".to_owned(), dollars),
        ]);
    }
    if estimate.judge_calls > 0 {
        let judge = run
            .judge
            .as_ref()
            .map(|judge| judge.model.clone())
            .filter(|model| !model.is_empty())
            .unwrap_or_else(|| "judge (service default)".to_owned());
        table.add_row(vec![
            format!("{judge} (LLM judge)"),
            "-".to_owned(),
            estimate.judge_calls.to_string(),
            "-".to_owned(),
            estimate
                .judge_cost_micro_usd
                .map_or_else(|| "unknown price".to_owned(), dollars),
        ]);
    }
    println!("{table}");
    println!(
        "estimate: {} calls, {}{}{}",
        estimate.total_calls,
        dollars(estimate.cost_micro_usd),
        if estimate.unpriced_models.is_empty() {
            String::new()
        } else {
            format!(" plus unpriced {}", estimate.unpriced_models.join(", "))
        },
        if estimate.within_budget {
            ""
        } else {
            " — over the budget"
        }
    );
}

pub(super) fn progress_message(progress: &pb::RunProgress) -> String {
    let counts = progress.counts.unwrap_or_default();
    let mut parts = vec![
        format!("{} failed", counts.failed),
        dollars(progress.cost_micro_usd),
    ];
    if let Some(eta) = progress.eta_ms {
        parts.push(format!("ETA {}s", (eta as f64 / 1000.0).ceil()));
    }
    for provider in &progress.providers {
        // "fake 32/64": the provider's limit across replicas over its maximum; with other replicas,
        // this one's share of it.
        let share = if provider.replicas > 1 {
            format!(
                ", {} here of {} replicas",
                provider.replica_share, provider.replicas
            )
        } else {
            String::new()
        };
        parts.push(format!(
            "{} {}/{}{share}{}",
            provider.provider,
            provider.current_limit,
            provider.max_limit,
            if provider.throttled > 0 {
                format!(" ({}×429)", provider.throttled)
            } else {
                String::new()
            }
        ));
    }
    parts.join(" · ")
}
#[cfg(test)]
mod tests {
    use super::*;

    fn stats(model: &str, quality: Option<f64>, cost: i64, priced: bool) -> pb::ModelStats {
        pb::ModelStats {
            model: model.to_owned(),
            mean_quality: quality,
            pass_rate: quality.map(|q| q / 100.0),
            total_cost_micro_usd: cost,
            price_known: priced,
            results: 10,
            latency_p50_ms: Some(210),
            latency_p95_ms: Some(390),
            ..pb::ModelStats::default()
        }
    }

    #[test]
    fn comparison_table_marks_best_and_cheapest() {
        let models = vec![
            stats("openai/gpt-4o", Some(92.5), 12_345, true),
            stats("fake/cheap", Some(60.0), 10, true),
            stats("local/llama", None, 0, false),
        ];
        let verdict = Verdict {
            best: "openai/gpt-4o",
            tied: &["openai/gpt-4o".to_owned()],
            best_value: "",
            cheapest: "fake/cheap",
            test: None,
        };
        let text = comparison_table(&models, &verdict).to_string();
        assert!(text.contains("★ best"), "{text}");
        assert!(text.contains("$ cheapest"), "{text}");
        assert!(text.contains("92.5"), "{text}");
        assert!(text.contains("unknown price"), "{text}");
        assert!(text.contains("210"), "{text}");
    }

    #[test]
    fn a_tie_is_said_with_its_test() {
        let tied = ["p/a".to_owned(), "p/b".to_owned()];
        let test = pb::BestModelTest {
            runner_up: "p/b".to_owned(),
            mean_difference: 25.0,
            ci_low: -5.0,
            ci_high: 55.0,
            p_value: 0.165,
            cases: 20,
        };
        let verdict = Verdict {
            best: "",
            tied: &tied,
            best_value: "p/b",
            cheapest: "p/b",
            test: Some(&test),
        };
        assert_eq!(
            verdict_line(&verdict).as_deref(),
            Some(
                "no significant winner: p/a, p/b are tied for best (leader +25.0 points over p/b \
                 (95% CI -5.0 to 55.0, p = 0.165, 20 shared cases)); best value: p/b"
            )
        );
        let models = vec![
            stats("p/a", Some(55.0), 10, true),
            stats("p/b", Some(30.0), 5, true),
        ];
        let text = comparison_table(&models, &verdict).to_string();
        assert!(text.contains("≈ tied for best"), "{text}");
        assert!(text.contains("✓ best value"), "{text}");
    }

    #[test]
    fn dollars_keep_small_amounts_readable() {
        assert_eq!(dollars(0), "$0");
        assert_eq!(dollars(1_500), "$0.001500");
        assert_eq!(dollars(2_500_000), "$2.5000");
    }

    #[test]
    fn statuses_and_ids() {
        assert_eq!(
            status_name(pb::BenchmarkRunStatus::Completed as i32),
            "completed"
        );
        assert_eq!(status_value("cancelled"), pb::BenchmarkRunStatus::Cancelled);
    }

    #[test]
    fn progress_mentions_throttling() {
        let progress = pb::RunProgress {
            counts: Some(pb::RunCounts {
                total: 10,
                done: 4,
                failed: 1,
                remaining: 6,
                cached: 0,
            }),
            cost_micro_usd: 42,
            eta_ms: Some(1_500),
            providers: vec![pb::ProviderConcurrency {
                provider: "fake".to_owned(),
                current_limit: 32,
                max_limit: 64,
                in_flight: 5,
                throttled: 3,
                replica_share: 32,
                replicas: 1,
            }],
        };
        let text = progress_message(&progress);
        assert!(text.contains("1 failed"), "{text}");
        assert!(text.contains("ETA 2s"), "{text}");
        assert!(text.contains("fake 32/64 (3×429)"), "{text}");
        let mut shared = progress.clone();
        shared.providers[0].replica_share = 16;
        shared.providers[0].replicas = 2;
        let text = progress_message(&shared);
        assert!(
            text.contains("fake 32/64, 16 here of 2 replicas (3×429)"),
            "{text}"
        );
    }
}
