-- One definition of a run's stored counters (results with and without an error, the models' and the
-- judge's cost), used by every statement that refreshes them: cancel, renew, finish, settle and
-- release. It was a SQL fragment spliced into five statements with format!, which the compile-time
-- checked query macros cannot take. SECURITY INVOKER (the default): it reads only what row-level
-- security lets the caller see, inside the caller's tenant transaction or as benchhub_worker.
CREATE FUNCTION run_counters(
    run uuid,
    OUT done integer,
    OUT failed integer,
    OUT cost_micro_usd bigint,
    OUT judge_cost_micro_usd bigint)
LANGUAGE sql STABLE AS $$
    SELECT
        (SELECT count(*) FROM benchmark_results WHERE run_id = run)::integer,
        (SELECT count(*) FROM benchmark_results WHERE run_id = run AND error IS NOT NULL)::integer,
        ((SELECT COALESCE(sum(COALESCE(cost_micro_usd, 0) + COALESCE(judge_cost_micro_usd, 0)), 0)
            FROM benchmark_results WHERE run_id = run)
         + (SELECT COALESCE(sum(judge_cost_micro_usd), 0) FROM judge_verdicts WHERE run_id = run))::bigint,
        ((SELECT COALESCE(sum(judge_cost_micro_usd), 0) FROM benchmark_results WHERE run_id = run)
         + (SELECT COALESCE(sum(judge_cost_micro_usd), 0) FROM judge_verdicts WHERE run_id = run))::bigint
$$;

REVOKE ALL ON FUNCTION run_counters(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION run_counters(uuid) TO benchhub_app, benchhub_worker;
