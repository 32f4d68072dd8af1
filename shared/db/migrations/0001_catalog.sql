-- benchhub schema, part 1: tenants and the model catalog.
--
-- Conventions for every migration in this directory:
--   * Postgres 15+; gen_random_uuid() is built in, no extension needed.
--   * sqlx runs each file in one transaction, so nothing here may need to run outside one
--     (no CREATE INDEX CONCURRENTLY, no VACUUM).
--   * Enumerations are text columns with CHECK constraints; times are timestamptz;
--     money is integer micro-USD; updated_at columns are set by the application (no triggers,
--     so bulk upserts stay lean).
--
-- LISTEN/NOTIFY channel: benchhub_catalog
--   The ingest service calls pg_notify('benchhub_catalog', payload) after every committed
--   ingest; rankings replicas LISTEN on it and rebuild their in-memory catalog. The channel
--   needs no schema object; it is documented here so its name has one home.
--
-- Tenant GUC: benchhub.tenant_id
--   Tenant-scoped transactions run `SET LOCAL ROLE benchhub_app;
--   SELECT set_config('benchhub.tenant_id', $1, true);` (see 0005_rls.sql).

CREATE TABLE tenants (
    id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenants IS 'Tenants owning suites, runs and tokens; row-level security keys on tenants.id.';

INSERT INTO tenants (id, name) VALUES ('default', 'Default tenant') ON CONFLICT (id) DO NOTHING;

CREATE TABLE models (
    id             text        PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 200),
    display_name   text        NOT NULL,
    creator        text,
    family         text,
    release_date   date,
    context_length integer     CHECK (context_length IS NULL OR context_length > 0),
    open_weights   boolean,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    tier           text        NOT NULL DEFAULT 'unknown'
                   CHECK (tier IN ('frontier', 'strong', 'efficient', 'unknown')),
    metadata       jsonb       NOT NULL DEFAULT '{}'::jsonb
);
COMMENT ON TABLE models IS 'Canonical model catalog, one row per model (id like openai/gpt-4o).';
COMMENT ON COLUMN models.creator IS 'Provider or lab that made the model, e.g. openai.';
COMMENT ON COLUMN models.first_seen_at IS 'When benchhub first ingested the model; drives GetLatestModel.';
COMMENT ON COLUMN models.tier IS 'frontier | strong | efficient | unknown; from arena scores, else provider/family heuristics.';

CREATE INDEX models_lower_display_name_idx ON models (lower(display_name));
CREATE INDEX models_first_seen_at_idx ON models (first_seen_at DESC);
CREATE INDEX models_creator_idx ON models (creator);

CREATE TABLE model_aliases (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           text        NOT NULL DEFAULT '*' CHECK (char_length(source) > 0),
    alias            text        NOT NULL CHECK (char_length(alias) > 0),
    normalized_alias text        NOT NULL,
    model_id         text        NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text,
    CONSTRAINT model_aliases_source_alias_key UNIQUE (source, alias)
);
COMMENT ON TABLE model_aliases IS 'Upstream model names mapped to canonical models, per source or for any source (source = ''*'').';
COMMENT ON COLUMN model_aliases.normalized_alias IS 'alias after name normalisation (case, punctuation, suffixes, provider prefixes).';
COMMENT ON COLUMN model_aliases.created_by IS 'Actor that added the alias (token name), NULL for built-in aliases.';

CREATE INDEX model_aliases_normalized_alias_idx ON model_aliases (normalized_alias);
CREATE INDEX model_aliases_model_id_idx ON model_aliases (model_id);

CREATE TABLE price_overrides (
    model_id                  text        PRIMARY KEY CHECK (char_length(model_id) > 0),
    input_micro_usd_per_mtok  bigint      NOT NULL CHECK (input_micro_usd_per_mtok >= 0),
    output_micro_usd_per_mtok bigint      NOT NULL CHECK (output_micro_usd_per_mtok >= 0),
    note                      text        NOT NULL DEFAULT '',
    updated_at                timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE price_overrides IS 'Operator price overrides in micro-USD per million tokens, winning over ingested prices.';
COMMENT ON COLUMN price_overrides.model_id IS 'Canonical catalog id or runner provider/model name; deliberately no foreign key.';
