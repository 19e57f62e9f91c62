-- 0004: browser sessions kept server-side (issue 3), and two hardenings of 0002/0003.
--
-- The cookie holds a random secret; the table holds its SHA-256 only, so a copy of the database opens no
-- session. Sessions end by logout, after `idle` without a request, or at their absolute expiry.

CREATE TABLE avrop.web_session (
    id_hash bytea CONSTRAINT web_session_pkey PRIMARY KEY CONSTRAINT web_session_hash_check CHECK (length(id_hash) = 32),
    user_id uuid NOT NULL CONSTRAINT web_session_user_fkey REFERENCES avrop.app_user,
    organization_id uuid NOT NULL CONSTRAINT web_session_organization_fkey REFERENCES avrop.organization,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz
);
CREATE INDEX web_session_user_idx ON avrop.web_session (user_id) WHERE ended_at IS NULL;

ALTER TABLE avrop.web_session ENABLE ROW LEVEL SECURITY;
-- A user starts sessions for themself and ends their own (logout, password change).
CREATE POLICY web_session_own_create ON avrop.web_session FOR INSERT TO avrop_app
    WITH CHECK (user_id = avrop.current_user_id() AND organization_id = avrop.current_org_id());
CREATE POLICY web_session_own_read ON avrop.web_session FOR SELECT TO avrop_app
    USING (user_id = avrop.current_user_id());
CREATE POLICY web_session_own_end ON avrop.web_session FOR UPDATE TO avrop_app
    USING (user_id = avrop.current_user_id()) WITH CHECK (user_id = avrop.current_user_id());

-- The actor behind a session cookie's hash, or nothing for an unknown, ended, idle or expired session.
-- Notes the request at most once a minute, so that reading pages does not write a row each time.
CREATE FUNCTION avrop.session_authenticate(p_hash bytea, p_idle interval)
    RETURNS TABLE (user_id uuid, organization_id uuid, roles text[], csrf_token text, display_name text, organization_name text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
    BEGIN
        UPDATE avrop.web_session s SET last_seen_at = now()
        WHERE s.id_hash = p_hash AND s.ended_at IS NULL AND s.expires_at > now()
          AND s.last_seen_at > now() - p_idle AND s.last_seen_at < now() - interval '1 minute';
        RETURN QUERY
            SELECT s.user_id, s.organization_id,
                   ARRAY(SELECT m.role FROM avrop.membership m
                         WHERE m.user_id = s.user_id AND m.organization_id = s.organization_id ORDER BY m.role),
                   s.csrf_token, u.display_name, o.name
            FROM avrop.web_session s
            JOIN avrop.app_user u ON u.id = s.user_id
            JOIN avrop.organization o ON o.id = s.organization_id
            WHERE s.id_hash = p_hash AND s.ended_at IS NULL AND s.expires_at > now() AND s.last_seen_at > now() - p_idle;
    END
    $$;

-- Logout needs no actor: whoever holds the cookie may end its session.
CREATE FUNCTION avrop.session_end(p_hash bytea) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$ UPDATE avrop.web_session SET ended_at = now() WHERE id_hash = p_hash AND ended_at IS NULL $$;

REVOKE ALL ON FUNCTION avrop.session_authenticate(bytea, interval), avrop.session_end(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.session_authenticate(bytea, interval), avrop.session_end(bytea) TO avrop_app;

-- A bearer token is noted as used at most once a minute (was: a write on every API request).
CREATE OR REPLACE FUNCTION avrop.token_authenticate(p_hash bytea)
    RETURNS TABLE (token_id uuid, user_id uuid, organization_id uuid, roles text[], scopes text[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
    BEGIN
        UPDATE avrop.api_token t SET last_used_at = now()
        WHERE t.token_hash = p_hash AND t.revoked_at IS NULL AND t.expires_at > now()
          AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute');
        RETURN QUERY
            SELECT t.id, t.user_id, t.organization_id,
                   ARRAY(SELECT m.role FROM avrop.membership m
                         WHERE m.user_id = t.user_id AND m.organization_id = t.organization_id ORDER BY m.role),
                   t.scopes
            FROM avrop.api_token t
            WHERE t.token_hash = p_hash AND t.revoked_at IS NULL AND t.expires_at > now();
    END
    $$;

-- Password hashes are for login_lookup (SECURITY DEFINER) only: avrop_app may read every other column of
-- the users it sees, and write a hash (a password change), but never read one.
REVOKE SELECT ON avrop.app_user FROM avrop_app;
GRANT SELECT (id, email, display_name, external_subject, created_at) ON avrop.app_user TO avrop_app;
