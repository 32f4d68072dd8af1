//! Pricing a run before it starts (`dry_run`), from case lengths and known prices.

use serde::{Deserialize, Serialize};

use crate::domain::plan::ModelPlan;
use crate::domain::pricing::Price;

/// Estimated cost of one model's calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelEstimate {
    /// `provider/model`.
    pub model: String,
    /// Calls: cases × repetitions.
    pub calls: u64,
    /// Input tokens over all calls.
    pub input_tokens: u64,
    /// Output tokens over all calls.
    pub output_tokens: u64,
    /// Cost in micro-USD; `None` without a price.
    pub cost_micro_usd: Option<i64>,
}

/// Estimated cost of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CostEstimate {
    /// Calls: cases × models × repetitions.
    pub total_calls: u64,
    /// Input tokens over all calls.
    pub input_tokens: u64,
    /// Output tokens over all calls.
    pub output_tokens: u64,
    /// Cost of the priced models in micro-USD.
    pub cost_micro_usd: i64,
    /// Models without a price.
    pub unpriced_models: Vec<String>,
    /// Per-model estimates.
    pub models: Vec<ModelEstimate>,
    /// False when the cost exceeds the budget.
    pub within_budget: bool,
    /// LLM-judge calls: one per graded output (rubric grading) and two per pair of outputs of one case
    /// (pairwise comparison, both orders).
    #[serde(default)]
    pub judge_calls: u64,
    /// Their estimated cost (included in `cost_micro_usd`); `None` when the judge's price is unknown
    /// (then the judge is listed in `unpriced_models`).
    #[serde(default)]
    pub judge_cost_micro_usd: Option<i64>,
}

/// Tokens of the judge's instructions around what it grades (rubric and format rules).
pub const JUDGE_PROMPT_TOKENS: u64 = 250;
/// Tokens of a judge's answer (score or verdict with short notes).
pub const JUDGE_ANSWER_TOKENS: u64 = 150;

/// The judge a run calls, for the estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgePlan {
    /// `provider/model`, or a description of the judge service's default.
    pub name: String,
    /// Its price, when known.
    pub price: Option<Price>,
    /// Whether outputs are graded by the LLM judge (rubric grading).
    pub grades: bool,
    /// Whether outputs are compared pairwise.
    pub pairwise: bool,
}

/// Adds the judge's calls to `estimate`: one per output graded by rubric, two per pair of models per
/// case compared pairwise; each call reads the task, the output(s) and its instructions, and answers
/// briefly. A repair retry (at most one per grading) is not counted: the budget still holds the run to
/// what is actually spent.
pub fn add_judge(
    estimate: &mut CostEstimate,
    cases: &[CaseSize],
    model_count: usize,
    repetitions: u32,
    judge: &JudgePlan,
    budget_micro_usd: Option<i64>,
) {
    let repetitions = u64::from(repetitions);
    let models = model_count as u64;
    let mut calls = 0u64;
    let mut input_tokens = 0u64;
    for case in cases {
        if judge.grades {
            let per_call = case.input_tokens + 2 * case.output_tokens + JUDGE_PROMPT_TOKENS;
            calls += models * repetitions;
            input_tokens += per_call * models * repetitions;
        }
        if judge.pairwise && models >= 2 {
            let pairs = models * (models - 1) / 2;
            let per_call = case.input_tokens + 3 * case.output_tokens + JUDGE_PROMPT_TOKENS;
            calls += 2 * pairs;
            input_tokens += per_call * 2 * pairs;
        }
    }
    if calls == 0 {
        return;
    }
    let output_tokens = calls * JUDGE_ANSWER_TOKENS;
    estimate.judge_calls = calls;
    estimate.input_tokens += input_tokens;
    estimate.output_tokens += output_tokens;
    match &judge.price {
        Some(price) => {
            let cost = price
                .cost_micro_usd(input_tokens / calls, JUDGE_ANSWER_TOKENS)
                .saturating_mul(calls as i64);
            estimate.judge_cost_micro_usd = Some(cost);
            estimate.cost_micro_usd = estimate.cost_micro_usd.saturating_add(cost);
        }
        None => estimate
            .unpriced_models
            .push(format!("judge {}", judge.name)),
    }
    estimate.within_budget =
        budget_micro_usd.is_none_or(|budget| estimate.cost_micro_usd <= budget);
}

/// Estimates the tokens of a text the way the providers' fallback does: words × 4/3, rounded.
pub fn estimate_tokens(text: &str) -> u64 {
    benchhub_providers::estimate_tokens(text)
}

/// Token sizes of one case for the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseSize {
    /// Prompt tokens (system prompt included).
    pub input_tokens: u64,
    /// Answer tokens: the expected output's size when given, else `max_tokens`.
    pub output_tokens: u64,
}

/// Sizes a case: its input plus the system prompt; its expected output, or `max_tokens` without one.
pub fn case_size(
    input: &str,
    expected_output: Option<&str>,
    system_prompt: &str,
    max_tokens: u32,
) -> CaseSize {
    let output_tokens = match expected_output {
        Some(expected) if !expected.trim().is_empty() => {
            estimate_tokens(expected).clamp(1, u64::from(max_tokens))
        }
        _ => u64::from(max_tokens),
    };
    CaseSize {
        input_tokens: estimate_tokens(input) + estimate_tokens(system_prompt),
        output_tokens,
    }
}

/// Prices `cases` × `models` × `repetitions` calls.
pub fn estimate(
    cases: &[CaseSize],
    models: &[ModelPlan],
    repetitions: u32,
    budget_micro_usd: Option<i64>,
) -> CostEstimate {
    let repetitions = u64::from(repetitions);
    let mut total = CostEstimate::default();
    for model in models {
        let mut model_estimate = ModelEstimate {
            model: model.name.clone(),
            calls: cases.len() as u64 * repetitions,
            ..ModelEstimate::default()
        };
        let mut cost: i64 = 0;
        for case in cases {
            model_estimate.input_tokens += case.input_tokens * repetitions;
            model_estimate.output_tokens += case.output_tokens * repetitions;
            if let Some(price) = &model.price {
                let per_call = price.cost_micro_usd(case.input_tokens, case.output_tokens);
                cost = cost.saturating_add(per_call.saturating_mul(repetitions as i64));
            }
        }
        match &model.price {
            Some(_) => {
                model_estimate.cost_micro_usd = Some(cost);
                total.cost_micro_usd = total.cost_micro_usd.saturating_add(cost);
            }
            None => total.unpriced_models.push(model.name.clone()),
        }
        total.total_calls += model_estimate.calls;
        total.input_tokens += model_estimate.input_tokens;
        total.output_tokens += model_estimate.output_tokens;
        total.models.push(model_estimate);
    }
    total.within_budget = budget_micro_usd.is_none_or(|budget| total.cost_micro_usd <= budget);
    total
}

/// Why a budgeted run may not start: a model without a known price (its spending could not be held
/// to the budget), or an estimate above the budget without `allow_over_budget`. `None` when it may.
pub fn budget_refusal(
    estimate: &CostEstimate,
    budget_micro_usd: Option<i64>,
    allow_over_budget: bool,
) -> Option<String> {
    let budget = budget_micro_usd?;
    if !estimate.unpriced_models.is_empty() {
        return Some(format!(
            "limits.budget_micro_usd: {} has no known price, so its spending cannot be held to the \
             budget; set a price override for it, or drop the budget",
            estimate.unpriced_models.join(", ")
        ));
    }
    (estimate.cost_micro_usd > budget && !allow_over_budget).then(|| {
        format!(
            "limits.budget_micro_usd: the estimate of {} micro-USD ({} calls) exceeds the budget of \
             {budget} micro-USD; raise the budget, or set allow_over_budget to start anyway (the run \
             stops when the budget is spent)",
            estimate.cost_micro_usd,
            estimate.total_calls + estimate.judge_calls
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judge_calls_are_estimated_and_priced() {
        // 2 cases of 100 input / 20 output tokens, 3 models, 1 repetition, rubric and pairwise.
        let cases = [CaseSize {
            input_tokens: 100,
            output_tokens: 20,
        }; 2];
        let mut estimate = CostEstimate::default();
        let judge = JudgePlan {
            name: "fake/judge".to_owned(),
            // 1 USD per million tokens both ways: 1 micro-USD per token.
            price: Some(Price::from_override(1_000_000, 1_000_000)),
            grades: true,
            pairwise: true,
        };
        add_judge(&mut estimate, &cases, 3, 1, &judge, Some(1_000_000));
        // Rubric: 2 cases × 3 outputs = 6 calls of 100 + 40 + 250 = 390 input tokens.
        // Pairwise: 2 cases × 3 pairs × 2 orders = 12 calls of 100 + 60 + 250 = 410 input tokens.
        assert_eq!(estimate.judge_calls, 18);
        assert_eq!(estimate.input_tokens, 6 * 390 + 12 * 410);
        assert_eq!(estimate.output_tokens, 18 * 150);
        // Priced at the mean call: (6 × 390 + 12 × 410) / 18 = 403 input + 150 output = 553 each.
        assert_eq!(estimate.judge_cost_micro_usd, Some(18 * 553));
        assert_eq!(estimate.cost_micro_usd, 18 * 553);
        assert!(estimate.within_budget);

        let mut unpriced = CostEstimate::default();
        let judge = JudgePlan {
            price: None,
            name: "(the judge service's default model)".to_owned(),
            ..judge
        };
        add_judge(&mut unpriced, &cases, 3, 1, &judge, None);
        assert_eq!(
            unpriced.unpriced_models,
            ["judge (the judge service's default model)"]
        );
        assert_eq!(unpriced.cost_micro_usd, 0);
    }

    #[test]
    fn budgets_refuse_unpriced_models_and_estimates_above_them() {
        let estimate = CostEstimate {
            total_calls: 40,
            input_tokens: 0,
            output_tokens: 0,
            cost_micro_usd: 5_000,
            unpriced_models: Vec::new(),
            models: Vec::new(),
            within_budget: false,
            judge_calls: 0,
            judge_cost_micro_usd: None,
        };
        assert_eq!(budget_refusal(&estimate, None, false), None);
        assert_eq!(budget_refusal(&estimate, Some(5_000), false), None);
        let over = budget_refusal(&estimate, Some(4_999), false).expect("refused");
        assert!(
            over.contains("estimate of 5000 micro-USD (40 calls) exceeds the budget of 4999"),
            "{over}"
        );
        assert_eq!(budget_refusal(&estimate, Some(4_999), true), None);
        let unpriced = CostEstimate {
            unpriced_models: vec!["local/llama".to_owned()],
            ..estimate
        };
        let refusal = budget_refusal(&unpriced, Some(1_000_000), true).expect("refused");
        assert!(
            refusal.starts_with("limits.budget_micro_usd: local/llama has no known price"),
            "{refusal}"
        );
        assert_eq!(budget_refusal(&unpriced, None, false), None);
    }
    use crate::domain::pricing::Price;

    fn plan(name: &str, price: Option<Price>) -> ModelPlan {
        ModelPlan {
            name: name.to_owned(),
            provider: "fake".to_owned(),
            provider_model: name.to_owned(),
            canonical_id: None,
            price,
        }
    }

    #[test]
    fn sizes_use_expected_output_or_max_tokens() {
        let size = case_size("one two three", Some("four"), "be brief", 100);
        assert_eq!(size.input_tokens, 4 + 3);
        assert_eq!(size.output_tokens, 1);
        assert_eq!(case_size("x", None, "", 256).output_tokens, 256);
    }

    #[test]
    fn estimate_prices_known_models_and_lists_the_rest() {
        let cases = [
            CaseSize {
                input_tokens: 100,
                output_tokens: 10,
            },
            CaseSize {
                input_tokens: 300,
                output_tokens: 30,
            },
        ];
        let priced = plan("fake/a", Some(Price::from_override(1_000_000, 2_000_000)));
        let unpriced = plan("fake/b", None);
        let estimate = estimate(&cases, &[priced, unpriced], 2, Some(1_000));
        assert_eq!(estimate.total_calls, 8);
        assert_eq!(
            estimate.models[0].cost_micro_usd,
            Some((100 + 20 + 300 + 60) * 2)
        );
        assert_eq!(estimate.cost_micro_usd, 960);
        assert_eq!(estimate.unpriced_models, vec!["fake/b".to_owned()]);
        assert!(estimate.within_budget);
        assert_eq!(estimate.input_tokens, 1_600);
        let over = super::estimate(
            &cases,
            &[plan("fake/c", Some(Price::from_override(10_000_000, 0)))],
            1,
            Some(1_000),
        );
        assert!(!over.within_budget);
    }
}
