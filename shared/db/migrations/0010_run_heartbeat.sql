-- Runs detached from the RPC that started them: a running run renews heartbeat_at every 10 seconds;
-- any replica closes a run as interrupted when its heartbeat is older than a minute (its process hangs
-- or lost the database) or its source lock is free (its process died).
ALTER TABLE ingestion_runs ADD COLUMN heartbeat_at timestamptz;
UPDATE ingestion_runs SET heartbeat_at = COALESCE(completed_at, started_at);

COMMENT ON COLUMN ingestion_runs.heartbeat_at IS
    'Last sign of life of a running run (renewed every 10 s); a stale one closes the run as interrupted.';
