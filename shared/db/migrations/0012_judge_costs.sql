-- Every dollar counted: the judge's tokens and cost beside the model call's, per result (rubric
-- grading), and per run for pairwise comparisons (stored in the run summary).
ALTER TABLE benchmark_results
    ADD COLUMN judge_input_tokens integer CHECK (judge_input_tokens IS NULL OR judge_input_tokens >= 0),
    ADD COLUMN judge_output_tokens integer CHECK (judge_output_tokens IS NULL OR judge_output_tokens >= 0),
    ADD COLUMN judge_cost_micro_usd bigint CHECK (judge_cost_micro_usd IS NULL OR judge_cost_micro_usd >= 0);

COMMENT ON COLUMN benchmark_results.judge_cost_micro_usd IS
    'Cost of grading this output with an LLM judge (its tokens at the judge model''s price); NULL when no judge was called or its price is unknown.';

ALTER TABLE judge_verdicts
    ADD COLUMN judge_input_tokens bigint CHECK (judge_input_tokens IS NULL OR judge_input_tokens >= 0),
    ADD COLUMN judge_output_tokens bigint CHECK (judge_output_tokens IS NULL OR judge_output_tokens >= 0),
    ADD COLUMN judge_cost_micro_usd bigint CHECK (judge_cost_micro_usd IS NULL OR judge_cost_micro_usd >= 0);

COMMENT ON COLUMN judge_verdicts.judge_cost_micro_usd IS
    'Cost of the two judge calls of this comparison (both orders); NULL when the judge price is unknown.';

-- Stored counters of an ended run: cost_micro_usd is the total (models and judge), this its judge share.
ALTER TABLE benchmark_runs
    ADD COLUMN judge_cost_micro_usd bigint NOT NULL DEFAULT 0 CHECK (judge_cost_micro_usd >= 0);
