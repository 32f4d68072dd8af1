-- benchhub schema, part 7: what the runner's execution needs beyond 0003.
--
-- benchmark_runs:
--   * budget_exhausted marks a run stopped by its cost budget (status failed).
--   * label is the free-text label given at creation.
--   * retry_requested_at is set by RetryRun: results whose error is non-NULL and whose created_at is
--     older than it are called again (a retried pair rewrites its row, so created_at moves past it
--     and a crash during the retry does not retry it twice).
--   * claimed_by holds '<replica>/<claim uuid>': every status or lease update by a worker is fenced
--     with it, so a replica whose lease was taken over cannot overwrite the new owner's state.
-- benchmark_results:
--   * grading_error says why grading failed (malformed judge answer, judge unreachable).
--   * self_judged marks scores from a judge model that is also one of the run's models.
--   * (run_id, created_at) serves WatchRun replicas that poll for new results.

ALTER TABLE benchmark_runs
    ADD COLUMN budget_exhausted   boolean     NOT NULL DEFAULT false,
    ADD COLUMN label              text        NOT NULL DEFAULT '',
    ADD COLUMN retry_requested_at timestamptz;

COMMENT ON COLUMN benchmark_runs.budget_exhausted IS 'True when the run stopped because its cost reached the budget (status failed).';
COMMENT ON COLUMN benchmark_runs.retry_requested_at IS 'Set by RetryRun: failed results created before it are called again.';

ALTER TABLE benchmark_results
    ADD COLUMN grading_error text,
    ADD COLUMN self_judged   boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN benchmark_results.grading_error IS 'Why grading failed (judge error or unreachable); NULL when grading succeeded or did not run.';
COMMENT ON COLUMN benchmark_results.self_judged IS 'True when the judge model is also one of the run''s models.';

CREATE INDEX benchmark_results_run_created_idx ON benchmark_results (run_id, created_at);
