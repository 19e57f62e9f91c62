-- 0006: API conventions (issue 3). Idempotency-Key: a POST repeated with the same key and body gets the
-- first answer again; with another body, 422. Versions: updatable resources carry a version that is
-- their ETag, and an update names the version it read (If-Match), so no one overwrites a change unseen.

CREATE TABLE avrop.idempotency_key (
    user_id uuid NOT NULL CONSTRAINT idempotency_key_user_fkey REFERENCES avrop.app_user,
    key text NOT NULL CONSTRAINT idempotency_key_key_check CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    -- NULL while the first request is still running.
    status integer,
    content_type text,
    body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_key_pkey PRIMARY KEY (user_id, key)
);
ALTER TABLE avrop.idempotency_key ENABLE ROW LEVEL SECURITY;
GRANT DELETE ON avrop.idempotency_key TO avrop_app;
CREATE POLICY idempotency_key_own ON avrop.idempotency_key FOR ALL TO avrop_app
    USING (user_id = avrop.current_user_id()) WITH CHECK (user_id = avrop.current_user_id());

ALTER TABLE avrop.app_user ADD COLUMN version integer NOT NULL DEFAULT 1;
GRANT SELECT (version) ON avrop.app_user TO avrop_app;
