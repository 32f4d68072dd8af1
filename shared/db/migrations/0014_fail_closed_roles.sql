-- benchhub schema, part 14: roles that fail closed (issue 17, item 1).
--
-- The services log in as a service role that is not a superuser, has no BYPASSRLS, owns no table,
-- and inherits nothing (NOINHERIT). It is a member of three NOLOGIN roles and acts only through
-- them:
--   * benchhub_app: every connection does `SET ROLE benchhub_app` when it opens, so each query
--     runs under row-level security; tenant tables show no rows until `begin_tenant` sets a tenant.
--     A `RESET ROLE` falls back to the login role, which can read nothing.
--   * benchhub_worker: the runner's claim loop (`SET LOCAL ROLE benchhub_worker`, part 5).
--   * benchhub_tokens (new here): the only role that can read or write `api_tokens`, used by the
--     token administration RPCs (`SET LOCAL ROLE benchhub_tokens`). benchhub_app can no longer read
--     token hashes; it authenticates a bearer token through `benchhub_authenticate(sha256)`, which
--     answers only for a hash the caller already has.
-- The tables belong to the role that runs the migrations (`benchctl db migrate`,
-- BENCHHUB_MIGRATE_DATABASE_URL); `benchctl db setup` creates all of these roles.
--
-- Creating roles races across databases migrated at once (see part 5), hence the exception
-- handlers.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'benchhub_tokens') THEN
        BEGIN
            CREATE ROLE benchhub_tokens NOLOGIN;
            COMMENT ON ROLE benchhub_tokens IS 'benchhub token administration; the only role that reads or writes api_tokens.';
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;
        END;
    END IF;
END
$$;

REVOKE ALL ON TABLE api_tokens FROM benchhub_app, benchhub_worker;
GRANT USAGE ON SCHEMA public TO benchhub_tokens;
GRANT SELECT, INSERT, UPDATE ON TABLE api_tokens TO benchhub_tokens;
-- Creating a token creates its tenant.
GRANT SELECT, INSERT ON TABLE tenants TO benchhub_tokens;

-- Authentication: the hash in, the token's identity out (and last_used_at stamped). It runs as the
-- owner of the tables, so benchhub_app needs no privilege on api_tokens to call it.
CREATE FUNCTION benchhub_authenticate(token_hash text)
    RETURNS TABLE (id uuid, name text, role text, tenant_id text)
    LANGUAGE sql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE public.api_tokens AS t
       SET last_used_at = now()
     WHERE t.token_sha256 = token_hash AND t.revoked_at IS NULL
    RETURNING t.id, t.name, t.role, t.tenant_id
$$;
COMMENT ON FUNCTION benchhub_authenticate(text) IS 'Resolves the SHA-256 of a bearer token to its id, name, role and tenant, or no row; stamps last_used_at.';
REVOKE ALL ON FUNCTION benchhub_authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION benchhub_authenticate(text) TO benchhub_app;

-- A service checks at start-up that the schema is as new as its binary. Reading the list of applied
-- versions gives nothing away.
DO $$
BEGIN
    IF to_regclass('public._sqlx_migrations') IS NOT NULL THEN
        GRANT SELECT (version) ON TABLE public._sqlx_migrations TO benchhub_app;
    END IF;
END
$$;
