-- benchhub schema, part 4: API tokens.
--
-- Tokens are looked up before the tenant is known, so this table is not under row-level
-- security; it never holds a clear-text token, only its SHA-256.

CREATE TABLE api_tokens (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    token_sha256 text        NOT NULL CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    token_prefix text        NOT NULL CHECK (char_length(token_prefix) BETWEEN 1 AND 16),
    role         text        NOT NULL CHECK (role IN ('admin', 'runner', 'reader')),
    tenant_id    text        NOT NULL DEFAULT 'default' REFERENCES tenants (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_tokens_token_sha256_key UNIQUE (token_sha256)
);
COMMENT ON TABLE api_tokens IS 'Bearer tokens stored as lower-case hex SHA-256, with role, tenant and revocation.';
COMMENT ON COLUMN api_tokens.token_prefix IS 'First 8 characters of the token, shown by ListTokens to identify it.';
COMMENT ON COLUMN api_tokens.revoked_at IS 'Non-NULL means revoked; authentication must reject the token.';

CREATE INDEX api_tokens_tenant_id_idx ON api_tokens (tenant_id);
