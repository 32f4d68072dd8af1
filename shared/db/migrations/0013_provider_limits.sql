-- Provider limits shared by every runner replica on this database (issue 15, item 5).
--
-- A provider's max concurrency and requests per minute are properties of its API key, not of one
-- process: two runner replicas against one key must together stay inside them.
--
-- provider_limits holds one row per provider: the adaptive concurrency limit (cut on 429 answers seen
-- by any replica, raised after a window of successes, never above max_concurrency) and the state of
-- the shared rate limit (GCRA: rate_tat is the theoretical arrival time of the next request).
--
-- provider_slot_grants holds each replica's share of the current limit: `held` slots (calls in flight
-- or allowed to start), `wanted` slots (calls in flight plus waiting), renewed every 50 ms while the
-- replica uses the provider and reclaimed by the others once expires_at passes (a replica that dies
-- keeps nothing). The sum of held never exceeds current_limit: a replica grows its share only from
-- slots nobody holds, under the provider_limits row lock, and shrinks to its fair share of the wanted
-- slots as its calls finish.
CREATE TABLE provider_limits (
    provider            text PRIMARY KEY,
    max_concurrency     integer NOT NULL CHECK (max_concurrency >= 1),
    current_limit       integer NOT NULL CHECK (current_limit >= 1),
    successes           bigint NOT NULL DEFAULT 0 CHECK (successes >= 0),
    throttled           bigint NOT NULL DEFAULT 0 CHECK (throttled >= 0),
    last_decrease       timestamptz,
    requests_per_minute integer CHECK (requests_per_minute >= 1),
    rate_tat            timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (current_limit <= max_concurrency)
);

CREATE TABLE provider_slot_grants (
    provider   text NOT NULL REFERENCES provider_limits (provider) ON DELETE CASCADE,
    replica    text NOT NULL,
    held       integer NOT NULL CHECK (held >= 0),
    wanted     integer NOT NULL CHECK (wanted >= 0),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (provider, replica)
);

COMMENT ON TABLE provider_limits IS
    'Per provider, shared by runner replicas: adaptive concurrency limit and GCRA rate-limit state.';
COMMENT ON TABLE provider_slot_grants IS
    'Per provider and runner replica: slots held (sum <= current_limit) and wanted, with a lease.';
