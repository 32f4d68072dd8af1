-- benchhub schema, part 3: tenant-owned runner tables (suites, cases, runs, results, cache, verdicts).
--
-- Every table here carries tenant_id, defaulted from the transaction's benchhub.tenant_id
-- setting, and is protected by row-level security (policies in 0005_rls.sql).
-- NULLIF turns an unset-but-once-defined setting ('') into NULL. A write without a tenant is
-- rejected by the policy under benchhub_app, and by NOT NULL for roles that bypass row-level
-- security (superusers), instead of producing a confusing foreign-key error.
--
-- Foreign keys between tenant-owned tables include tenant_id: referential checks bypass
-- row-level security, so a plain (suite_id) key would let one tenant attach rows to another
-- tenant's suite or run if it guessed the id. Each parent therefore has UNIQUE (tenant_id, id).

CREATE TABLE suites (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   text        NOT NULL DEFAULT NULLIF(current_setting('benchhub.tenant_id', true), '')
                            REFERENCES tenants (id),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT suites_tenant_name_key UNIQUE (tenant_id, name),
    CONSTRAINT suites_tenant_id_id_key UNIQUE (tenant_id, id)
);
COMMENT ON TABLE suites IS 'A tenant''s named collection of golden test cases.';

CREATE TABLE test_cases (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       text        NOT NULL DEFAULT NULLIF(current_setting('benchhub.tenant_id', true), '')
                                REFERENCES tenants (id),
    suite_id        uuid        NOT NULL,
    position        integer     NOT NULL CHECK (position >= 0),
    input           text        NOT NULL,
    expected_output text,
    rubric          text,
    grader          jsonb,
    tags            text[]      NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT test_cases_suite_fkey FOREIGN KEY (tenant_id, suite_id)
        REFERENCES suites (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT test_cases_suite_position_key UNIQUE (suite_id, position),
    CONSTRAINT test_cases_tenant_id_id_key UNIQUE (tenant_id, id)
);
COMMENT ON TABLE test_cases IS 'Golden test cases of a suite: input, optional expected output, rubric and grader config.';
COMMENT ON COLUMN test_cases.position IS '0-based order within the suite; AddTestCases appends after max(position) with the suite row locked.';
COMMENT ON COLUMN test_cases.grader IS 'Grader/judge config for this case (mode, pattern, schema, tolerance...), NULL = run default.';

CREATE TABLE benchmark_runs (
    id                      uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id               text             NOT NULL DEFAULT NULLIF(current_setting('benchhub.tenant_id', true), '')
                                             REFERENCES tenants (id),
    suite_id                uuid,
    status                  text             NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    models                  text[]           NOT NULL CHECK (cardinality(models) > 0),
    config                  jsonb            NOT NULL DEFAULT '{}'::jsonb,
    case_ids                uuid[]           NOT NULL DEFAULT '{}',
    ad_hoc_cases            jsonb,
    total_pairs             integer          NOT NULL DEFAULT 0 CHECK (total_pairs >= 0),
    done                    integer          NOT NULL DEFAULT 0 CHECK (done >= 0),
    failed                  integer          NOT NULL DEFAULT 0 CHECK (failed >= 0),
    cost_micro_usd          bigint           NOT NULL DEFAULT 0 CHECK (cost_micro_usd >= 0),
    best_model              text,
    best_quality            double precision CHECK (best_quality IS NULL OR best_quality BETWEEN 0 AND 100),
    cheapest_model          text,
    cheapest_cost_micro_usd bigint           CHECK (cheapest_cost_micro_usd IS NULL OR cheapest_cost_micro_usd >= 0),
    summary                 jsonb,
    error                   text,
    created_by              text,
    created_at              timestamptz      NOT NULL DEFAULT now(),
    started_at              timestamptz,
    completed_at            timestamptz,
    claimed_by              text,
    lease_expires_at        timestamptz,
    cancel_requested        boolean          NOT NULL DEFAULT false,
    CONSTRAINT benchmark_runs_suite_fkey FOREIGN KEY (tenant_id, suite_id)
        REFERENCES suites (tenant_id, id) ON DELETE SET NULL (suite_id),
    CONSTRAINT benchmark_runs_tenant_id_id_key UNIQUE (tenant_id, id)
);
COMMENT ON TABLE benchmark_runs IS 'A benchmark run: cases x models x repetitions, its lifecycle, lease, counters and outcome.';
COMMENT ON COLUMN benchmark_runs.models IS 'Models as provider/model, in request order.';
COMMENT ON COLUMN benchmark_runs.config IS 'Grader/judge config, repetitions, temperature and limits (concurrency, rpm, timeout, retries, budget).';
COMMENT ON COLUMN benchmark_runs.case_ids IS 'Suite case ids frozen at creation, in order; case_index counts these first, then ad_hoc_cases.';
COMMENT ON COLUMN benchmark_runs.ad_hoc_cases IS 'JSON array of inline cases ({input, expected_output, rubric, grader}), NULL when none.';
COMMENT ON COLUMN benchmark_runs.claimed_by IS 'Runner replica holding the lease; another replica may take over once lease_expires_at passes.';
COMMENT ON COLUMN benchmark_runs.summary IS 'Per-model aggregates computed at completion.';

CREATE INDEX benchmark_runs_claim_idx
    ON benchmark_runs (status, lease_expires_at) WHERE status IN ('pending', 'running');
CREATE INDEX benchmark_runs_tenant_suite_created_idx
    ON benchmark_runs (tenant_id, suite_id, created_at DESC);
CREATE INDEX benchmark_runs_tenant_created_idx
    ON benchmark_runs (tenant_id, created_at DESC);

CREATE TABLE benchmark_results (
    id                 uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          text             NOT NULL DEFAULT NULLIF(current_setting('benchhub.tenant_id', true), '')
                                        REFERENCES tenants (id),
    run_id             uuid             NOT NULL,
    case_id            uuid,
    case_index         integer          NOT NULL CHECK (case_index >= 0),
    model              text             NOT NULL,
    provider           text             NOT NULL,
    canonical_model_id text             REFERENCES models (id) ON DELETE SET NULL,
    repetition         integer          NOT NULL DEFAULT 0 CHECK (repetition >= 0),
    input              text             NOT NULL,
    output             text,
    expected_output    text,
    input_tokens       integer          CHECK (input_tokens IS NULL OR input_tokens >= 0),
    output_tokens      integer          CHECK (output_tokens IS NULL OR output_tokens >= 0),
    total_tokens       integer          CHECK (total_tokens IS NULL OR total_tokens >= 0),
    latency_ms         integer          CHECK (latency_ms IS NULL OR latency_ms >= 0),
    cost_micro_usd     bigint           CHECK (cost_micro_usd IS NULL OR cost_micro_usd >= 0),
    price_known        boolean          NOT NULL DEFAULT false,
    quality            double precision CHECK (quality IS NULL OR quality BETWEEN 0 AND 100),
    notes              text,
    matches_expected   boolean,
    passed             boolean,
    grader             text,
    error              text,
    cached             boolean          NOT NULL DEFAULT false,
    attempts           integer          NOT NULL DEFAULT 1 CHECK (attempts >= 0),
    created_at         timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT benchmark_results_run_fkey FOREIGN KEY (tenant_id, run_id)
        REFERENCES benchmark_runs (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT benchmark_results_case_fkey FOREIGN KEY (tenant_id, case_id)
        REFERENCES test_cases (tenant_id, id) ON DELETE SET NULL (case_id),
    CONSTRAINT benchmark_results_pair_key UNIQUE (run_id, case_index, model, repetition)
);
COMMENT ON TABLE benchmark_results IS 'One (case, model, repetition) outcome of a run, written as it completes; unique per pair so resume never calls twice.';
COMMENT ON COLUMN benchmark_results.case_index IS '0-based index into the run''s case_ids followed by its ad_hoc_cases.';
COMMENT ON COLUMN benchmark_results.cost_micro_usd IS 'Cost of the call in micro-USD; NULL (with price_known = false) when no price is known.';
COMMENT ON COLUMN benchmark_results.error IS 'Non-NULL marks a failed pair; RetryRun overwrites it via ON CONFLICT (pair) DO UPDATE ... WHERE error IS NOT NULL.';

CREATE INDEX benchmark_results_tenant_run_idx ON benchmark_results (tenant_id, run_id);
CREATE INDEX benchmark_results_case_id_idx ON benchmark_results (case_id) WHERE case_id IS NOT NULL;

-- The response cache is tenant-owned (tenant_id is part of the key and row-level security
-- applies): a cache hit returns a stored output, so a shared cache would reveal one tenant's
-- prompts and outputs to another tenant sending the same request, and would also let cache
-- timing leak whether another tenant asked it. The cost is duplicate entries across tenants.
CREATE TABLE response_cache (
    tenant_id     text        NOT NULL DEFAULT NULLIF(current_setting('benchhub.tenant_id', true), '')
                              REFERENCES tenants (id),
    cache_key     text        NOT NULL CHECK (cache_key ~ '^[0-9a-f]{64}$'),
    provider      text        NOT NULL,
    model         text        NOT NULL,
    output        text        NOT NULL,
    input_tokens  integer     CHECK (input_tokens IS NULL OR input_tokens >= 0),
    output_tokens integer     CHECK (output_tokens IS NULL OR output_tokens >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, cache_key)
);
COMMENT ON TABLE response_cache IS 'Per-tenant cache of deterministic provider responses keyed by sha256(provider, model, params, input).';
COMMENT ON COLUMN response_cache.cache_key IS 'Lower-case hex SHA-256 of provider, model, parameters and input.';

CREATE INDEX response_cache_created_at_idx ON response_cache (created_at);

CREATE TABLE judge_verdicts (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  text        NOT NULL DEFAULT NULLIF(current_setting('benchhub.tenant_id', true), '')
                           REFERENCES tenants (id),
    run_id     uuid        NOT NULL,
    case_index integer     NOT NULL CHECK (case_index >= 0),
    model_a    text        NOT NULL,
    model_b    text        NOT NULL,
    winner     text        NOT NULL CHECK (winner IN ('a', 'b', 'tie', 'inconsistent')),
    notes      text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT judge_verdicts_run_fkey FOREIGN KEY (tenant_id, run_id)
        REFERENCES benchmark_runs (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT judge_verdicts_distinct_models CHECK (model_a <> model_b),
    CONSTRAINT judge_verdicts_pair_key UNIQUE (run_id, case_index, model_a, model_b)
);
COMMENT ON TABLE judge_verdicts IS 'Pairwise A/B verdicts of a run (judged in both orders), input to Bradley-Terry ranking.';
