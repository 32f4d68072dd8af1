-- benchhub schema, part 5: application roles, grants and row-level security.
--
-- How the services use it:
--   * Tenant-scoped work (suites, cases, runs, results, cache, verdicts) runs in a transaction
--     that starts with
--         SET LOCAL ROLE benchhub_app;
--         SELECT set_config('benchhub.tenant_id', $1, true);
--     Every tenant-owned table has FORCE ROW LEVEL SECURITY and one policy comparing tenant_id
--     with that setting, so a transaction sees and writes only its tenant's rows, and with no
--     tenant set it sees nothing. Superusers bypass row-level security, so tests must switch
--     to benchhub_app to exercise it.
--   * Runner replicas claim pending or lease-expired runs of any tenant with
--         SET LOCAL ROLE benchhub_worker;
--         UPDATE benchmark_runs ... WHERE id = (SELECT id ... FOR UPDATE SKIP LOCKED LIMIT 1)
--         RETURNING id, tenant_id;
--     then do the run's work as benchhub_app with that tenant_id. benchhub_worker may only
--     SELECT and UPDATE benchmark_runs (its own extra policy) and read tenants.
--
-- Roles are cluster-global while migrations are per database: several databases (test
-- databases, replicas of different deployments) may be migrated at the same moment, and two
-- concurrent CREATE ROLE statements race. The loser gets duplicate_object (role already
-- committed) or unique_violation (both inserting into pg_authid), so both are caught.
-- Role comments are written only by the creating transaction for the same reason.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'benchhub_app') THEN
        BEGIN
            CREATE ROLE benchhub_app NOLOGIN;
            COMMENT ON ROLE benchhub_app IS 'benchhub tenant-scoped access; SET LOCAL ROLE per transaction, subject to row-level security.';
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;
        END;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'benchhub_worker') THEN
        BEGIN
            CREATE ROLE benchhub_worker NOLOGIN;
            COMMENT ON ROLE benchhub_worker IS 'benchhub runner claim loop; reads and updates benchmark_runs across tenants.';
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;
        END;
    END IF;
END
$$;

-- A non-superuser migrating (and later connecting) user needs membership to SET ROLE;
-- superusers can switch to any role already. Postgres 16+ no longer grants it implicitly to a
-- CREATEROLE creator. If this GRANT fails for lack of privilege, an operator must run
-- `GRANT benchhub_app, benchhub_worker TO <app user>` once; the migration then skips it.
DO $$
DECLARE
    role_name text;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RETURN;
    END IF;
    FOREACH role_name IN ARRAY ARRAY['benchhub_app', 'benchhub_worker'] LOOP
        IF NOT pg_catalog.pg_has_role(current_user, role_name, 'MEMBER') THEN
            BEGIN
                EXECUTE format('GRANT %I TO %I', role_name, current_user);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN
                    NULL;
            END;
        END IF;
    END LOOP;
END
$$;

-- Privileges in this database (per database, so no race).
GRANT USAGE ON SCHEMA public TO benchhub_app, benchhub_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO benchhub_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO benchhub_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO benchhub_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO benchhub_app;

-- sqlx's own bookkeeping table already exists when sqlx applies this file; keep it out of
-- the application role's reach.
DO $$
BEGIN
    IF to_regclass('public._sqlx_migrations') IS NOT NULL THEN
        REVOKE ALL ON TABLE public._sqlx_migrations FROM benchhub_app;
    END IF;
END
$$;

GRANT SELECT ON tenants TO benchhub_worker;
GRANT SELECT, UPDATE ON benchmark_runs TO benchhub_worker;

-- Row-level security on every tenant-owned table: one tenant-isolation policy each.
ALTER TABLE suites ENABLE ROW LEVEL SECURITY;
ALTER TABLE suites FORCE ROW LEVEL SECURITY;
CREATE POLICY suites_tenant_isolation ON suites
    USING (tenant_id = current_setting('benchhub.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('benchhub.tenant_id', true));

ALTER TABLE test_cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE test_cases FORCE ROW LEVEL SECURITY;
CREATE POLICY test_cases_tenant_isolation ON test_cases
    USING (tenant_id = current_setting('benchhub.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('benchhub.tenant_id', true));

ALTER TABLE benchmark_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE benchmark_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY benchmark_runs_tenant_isolation ON benchmark_runs
    USING (tenant_id = current_setting('benchhub.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('benchhub.tenant_id', true));
-- Cross-tenant claim loop only; table privileges limit benchhub_worker to SELECT and UPDATE.
CREATE POLICY benchmark_runs_worker_claim ON benchmark_runs
    TO benchhub_worker
    USING (true)
    WITH CHECK (true);

ALTER TABLE benchmark_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE benchmark_results FORCE ROW LEVEL SECURITY;
CREATE POLICY benchmark_results_tenant_isolation ON benchmark_results
    USING (tenant_id = current_setting('benchhub.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('benchhub.tenant_id', true));

ALTER TABLE response_cache ENABLE ROW LEVEL SECURITY;
ALTER TABLE response_cache FORCE ROW LEVEL SECURITY;
CREATE POLICY response_cache_tenant_isolation ON response_cache
    USING (tenant_id = current_setting('benchhub.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('benchhub.tenant_id', true));

ALTER TABLE judge_verdicts ENABLE ROW LEVEL SECURITY;
ALTER TABLE judge_verdicts FORCE ROW LEVEL SECURITY;
CREATE POLICY judge_verdicts_tenant_isolation ON judge_verdicts
    USING (tenant_id = current_setting('benchhub.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('benchhub.tenant_id', true));
