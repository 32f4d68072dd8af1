-- Freshness TTLs and alert bookkeeping per source.
-- ttl_seconds: how long fetched data stays fresh (LMArena 24 h, weekly sources 8 days); data last
-- refreshed longer ago is served with a stale warning. NULL: never goes stale by age.
-- alert_state: the state the last alert announced (ok, failed, partial, stale), so each state is
-- announced once, however many replicas and ticks see it.
ALTER TABLE source_state ADD COLUMN ttl_seconds integer CHECK (ttl_seconds > 0);
ALTER TABLE source_state ADD COLUMN alert_state text NOT NULL DEFAULT 'ok'
    CHECK (alert_state IN ('ok', 'failed', 'partial', 'stale'));

COMMENT ON COLUMN source_state.ttl_seconds IS
    'Freshness TTL of the source''s data (BENCHHUB_SOURCE_<NAME>_TTL); NULL when it never goes stale by age.';
COMMENT ON COLUMN source_state.alert_state IS
    'State announced by the last webhook alert (ok, failed, partial, stale); alerts fire on changes only.';
