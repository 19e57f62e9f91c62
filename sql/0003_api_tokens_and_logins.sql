-- 0003: API tokens for systems and the record of login attempts that throttles guessing (issue 3).
--
-- Tokens are stored as SHA-256 of the secret only; the secret is shown once. Authentication happens before
-- there is an actor, so avrop_app reaches these rows through SECURITY DEFINER functions that reveal only
-- what the step needs, never through the tables.

CREATE TABLE avrop.api_token (
    id uuid CONSTRAINT api_token_pkey PRIMARY KEY,
    user_id uuid NOT NULL CONSTRAINT api_token_user_fkey REFERENCES avrop.app_user,
    organization_id uuid NOT NULL CONSTRAINT api_token_organization_fkey REFERENCES avrop.organization,
    name text NOT NULL CONSTRAINT api_token_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    token_hash bytea NOT NULL CONSTRAINT api_token_hash_check CHECK (length(token_hash) = 32),
    scopes text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT api_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_token_user_idx ON avrop.api_token (user_id, created_at);

ALTER TABLE avrop.api_token ENABLE ROW LEVEL SECURITY;
-- People see and revoke their own tokens.
CREATE POLICY api_token_own_read ON avrop.api_token FOR SELECT TO avrop_app
    USING (user_id = avrop.current_user_id());
CREATE POLICY api_token_own_revoke ON avrop.api_token FOR UPDATE TO avrop_app
    USING (user_id = avrop.current_user_id()) WITH CHECK (user_id = avrop.current_user_id());
CREATE POLICY api_token_own_create ON avrop.api_token FOR INSERT TO avrop_app
    WITH CHECK (user_id = avrop.current_user_id() AND organization_id = avrop.current_org_id());

CREATE TABLE avrop.login_attempt (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT login_attempt_pkey PRIMARY KEY,
    email_lower text NOT NULL,
    address text NOT NULL,
    succeeded boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempt_email_idx ON avrop.login_attempt (email_lower, attempted_at);
CREATE INDEX login_attempt_address_idx ON avrop.login_attempt (address, attempted_at);
REVOKE ALL ON avrop.login_attempt FROM avrop_app;

-- The password hash of an e-mail address, for checking a login, and the recent failures that throttle it.
-- Records the attempt only through avrop.login_record.
CREATE FUNCTION avrop.login_lookup(p_email text, p_address text, p_window interval)
    RETURNS TABLE (user_id uuid, password_hash text, failures_for_email bigint, failures_from_address bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        SELECT u.id, u.password_hash,
               (SELECT count(*) FROM avrop.login_attempt a
                WHERE a.email_lower = lower(p_email) AND NOT a.succeeded AND a.attempted_at > now() - p_window),
               (SELECT count(*) FROM avrop.login_attempt a
                WHERE a.address = p_address AND NOT a.succeeded AND a.attempted_at > now() - p_window)
        FROM (SELECT 1) AS one
        LEFT JOIN avrop.app_user u ON lower(u.email) = lower(p_email)
    $$;

CREATE FUNCTION avrop.login_record(p_email text, p_address text, p_succeeded boolean) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$ INSERT INTO avrop.login_attempt (email_lower, address, succeeded) VALUES (lower(p_email), p_address, p_succeeded) $$;

-- The actor behind a bearer token's hash: its user, organisation, roles there and scopes; nothing for an
-- unknown, expired or revoked token. Marks the token as used.
CREATE FUNCTION avrop.token_authenticate(p_hash bytea)
    RETURNS TABLE (token_id uuid, user_id uuid, organization_id uuid, roles text[], scopes text[])
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        UPDATE avrop.api_token t SET last_used_at = now()
        WHERE t.token_hash = p_hash AND t.revoked_at IS NULL AND t.expires_at > now()
        RETURNING t.id, t.user_id, t.organization_id,
                  ARRAY(SELECT m.role FROM avrop.membership m
                        WHERE m.user_id = t.user_id AND m.organization_id = t.organization_id ORDER BY m.role),
                  t.scopes
    $$;

-- The roles of a user in an organisation, for issuing a token to someone who proved their password.
CREATE FUNCTION avrop.member_roles(p_user uuid, p_organization uuid) RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$ SELECT ARRAY(SELECT role FROM avrop.membership WHERE user_id = p_user AND organization_id = p_organization ORDER BY role) $$;

REVOKE ALL ON FUNCTION avrop.login_lookup(text, text, interval), avrop.login_record(text, text, boolean),
    avrop.token_authenticate(bytea), avrop.member_roles(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.login_lookup(text, text, interval), avrop.login_record(text, text, boolean),
    avrop.token_authenticate(bytea), avrop.member_roles(uuid, uuid) TO avrop_app;
