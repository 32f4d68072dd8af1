-- benchhub schema, part 2: ingestion (runs, raw payloads, observations, per-source state).

CREATE TABLE ingestion_runs (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    source        text        NOT NULL,
    trigger       text        NOT NULL CHECK (trigger IN ('manual', 'schedule', 'startup', 'detect')),
    actor         text,
    dry_run       boolean     NOT NULL DEFAULT false,
    started_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    status        text        NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    snapshot_date date,
    fetched       integer     NOT NULL DEFAULT 0 CHECK (fetched >= 0),
    inserted      integer     NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    updated       integer     NOT NULL DEFAULT 0 CHECK (updated >= 0),
    unmatched     integer     NOT NULL DEFAULT 0 CHECK (unmatched >= 0),
    skipped       integer     NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    failed        integer     NOT NULL DEFAULT 0 CHECK (failed >= 0),
    duration_ms   bigint      CHECK (duration_ms IS NULL OR duration_ms >= 0),
    stale         boolean     NOT NULL DEFAULT false,
    error         text
);
COMMENT ON TABLE ingestion_runs IS 'Audit trail: one row per ingest attempt of one source, with counts, status and error.';
COMMENT ON COLUMN ingestion_runs.actor IS 'Token name for manual runs, NULL for schedule/startup.';
COMMENT ON COLUMN ingestion_runs.stale IS 'True when the fetch failed and readers keep the previous snapshot.';

CREATE INDEX ingestion_runs_source_started_at_idx ON ingestion_runs (source, started_at DESC);
CREATE INDEX ingestion_runs_started_at_idx ON ingestion_runs (started_at DESC);

CREATE TABLE raw_payloads (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           text        NOT NULL,
    url              text        NOT NULL,
    sha256           text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    etag             text,
    last_modified    text,
    fetched_at       timestamptz NOT NULL DEFAULT now(),
    status_code      integer     NOT NULL CHECK (status_code BETWEEN 100 AND 599),
    byte_size        bigint      NOT NULL CHECK (byte_size >= 0),
    body_encoding    text        NOT NULL DEFAULT 'identity'
                     CHECK (body_encoding IN ('identity', 'gzip', 'zstd')),
    body             bytea       NOT NULL,
    ingestion_run_id uuid        REFERENCES ingestion_runs (id) ON DELETE SET NULL,
    CONSTRAINT raw_payloads_source_url_sha256_key UNIQUE (source, url, sha256)
);
COMMENT ON TABLE raw_payloads IS 'Upstream response bodies kept for audit, conditional GETs and stale fallback; identical bodies stored once.';
COMMENT ON COLUMN raw_payloads.sha256 IS 'Lower-case hex SHA-256 of the decoded upstream body.';
COMMENT ON COLUMN raw_payloads.byte_size IS 'Size in bytes of the decoded upstream body (before body_encoding).';
COMMENT ON COLUMN raw_payloads.body_encoding IS 'How body is stored: identity (as fetched), gzip or zstd.';
COMMENT ON COLUMN raw_payloads.fetched_at IS 'Latest fetch that returned this body; bump it on conflict.';

CREATE INDEX raw_payloads_source_url_fetched_at_idx ON raw_payloads (source, url, fetched_at DESC);
CREATE INDEX raw_payloads_ingestion_run_id_idx ON raw_payloads (ingestion_run_id);

CREATE TABLE observations (
    id                bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source            text             NOT NULL,
    category          text             NOT NULL,
    metric            text             NOT NULL,
    source_model_name text             NOT NULL,
    snapshot_date     date             NOT NULL,
    model_id          text             REFERENCES models (id) ON DELETE SET NULL,
    value             double precision NOT NULL,
    ci_low            double precision,
    ci_high           double precision,
    sample_size       bigint           CHECK (sample_size IS NULL OR sample_size >= 0),
    normalized        double precision CHECK (normalized IS NULL OR normalized BETWEEN 0 AND 100),
    unit              text,
    extra             jsonb,
    ingestion_run_id  uuid,
    created_at        timestamptz      NOT NULL DEFAULT now(),
    updated_at        timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT observations_natural_key
        UNIQUE (source, category, metric, source_model_name, snapshot_date)
);
COMMENT ON TABLE observations IS 'One benchmark value per (source, category, metric, source_model_name, snapshot_date); upserted, dated history.';
COMMENT ON COLUMN observations.model_id IS 'Matched canonical model; NULL while unmatched (kept and counted, never dropped).';
COMMENT ON COLUMN observations.normalized IS 'value rescaled 0-100 within its (source, category, metric, snapshot_date) cohort.';
COMMENT ON COLUMN observations.ingestion_run_id IS 'Run that last wrote the row; no foreign key so bulk upserts skip one RI check per row.';

CREATE INDEX observations_model_source_metric_date_idx
    ON observations (model_id, source, metric, snapshot_date);
CREATE INDEX observations_source_snapshot_date_idx ON observations (source, snapshot_date);
CREATE INDEX observations_unmatched_idx
    ON observations (source, source_model_name) WHERE model_id IS NULL;

CREATE TABLE source_state (
    source               text        PRIMARY KEY,
    schedule             text,
    enabled              boolean     NOT NULL DEFAULT true,
    last_run_id          uuid        REFERENCES ingestion_runs (id) ON DELETE SET NULL,
    last_success_at      timestamptz,
    last_attempt_at      timestamptz,
    next_run_at          timestamptz,
    newest_snapshot_date date,
    models_found         integer     NOT NULL DEFAULT 0 CHECK (models_found >= 0),
    stale                boolean     NOT NULL DEFAULT false,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE source_state IS 'Per-source bookkeeping behind ListSources and the scheduler (last/next run, newest snapshot, staleness).';
COMMENT ON COLUMN source_state.schedule IS 'Cron expression in UTC; NULL for sources that are never scheduled.';
COMMENT ON COLUMN source_state.last_run_id IS 'Latest ingestion_runs row; its status is the last status shown by ListSources.';
