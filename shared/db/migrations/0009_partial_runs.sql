-- Runs that keep what they could fetch: a multi-document source (LMArena subsets, EcoLogits providers
-- and estimations, ARC-AGI model folders, BigCodeBench's two boards) whose some documents fail stores
-- the others and ends PARTIAL, listing each failed document and why.
ALTER TABLE ingestion_runs DROP CONSTRAINT IF EXISTS ingestion_runs_status_check;
ALTER TABLE ingestion_runs
    ADD CONSTRAINT ingestion_runs_status_check
        CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'partial'));
ALTER TABLE ingestion_runs
    ADD COLUMN document_failures jsonb NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(document_failures) = 'array');

COMMENT ON COLUMN ingestion_runs.document_failures IS
    'Documents the run could not fetch: [{"document": key, "error": readable reason, "gave_up": bool}].';
