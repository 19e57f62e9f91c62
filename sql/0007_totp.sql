-- 0007: optional second factor (TOTP, RFC 6238) that an organisation's admins can require (issue 3).
-- The secrets never leave the database except to the service's check: avrop_app cannot select them, and
-- reaches them only through the SECURITY DEFINER functions below.

ALTER TABLE avrop.app_user
    ADD COLUMN totp_secret text,
    ADD COLUMN totp_pending_secret text,
    ADD COLUMN totp_last_step bigint;

ALTER TABLE avrop.organization ADD COLUMN require_totp boolean NOT NULL DEFAULT false,
    ADD COLUMN version integer NOT NULL DEFAULT 1;
-- Admins change their organisation's settings (the service checks the role first).
CREATE POLICY organization_own_settings ON avrop.organization FOR UPDATE TO avrop_app
    USING (id = avrop.current_org_id()) WITH CHECK (id = avrop.current_org_id());

-- Whether a user has a second factor, and whether an organisation requires one.
CREATE FUNCTION avrop.totp_status(p_user uuid, p_organization uuid)
    RETURNS TABLE (enabled boolean, required boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        SELECT (SELECT totp_secret IS NOT NULL FROM avrop.app_user WHERE id = p_user),
               coalesce((SELECT require_totp FROM avrop.organization WHERE id = p_organization), false)
    $$;

-- The secret to check a code against (the active one, or the one being set up), and the last time step
-- accepted, so that a code is accepted once.
CREATE FUNCTION avrop.totp_secret(p_user uuid, p_pending boolean)
    RETURNS TABLE (secret text, last_step bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        SELECT CASE WHEN p_pending THEN totp_pending_secret ELSE totp_secret END, totp_last_step
        FROM avrop.app_user WHERE id = p_user
    $$;

-- Records the step of an accepted code; false if that step (or a later one) was used already.
CREATE FUNCTION avrop.totp_accept(p_user uuid, p_step bigint) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        WITH accepted AS (
            UPDATE avrop.app_user SET totp_last_step = p_step
            WHERE id = p_user AND (totp_last_step IS NULL OR totp_last_step < p_step)
            RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM accepted)
    $$;

-- Enrolment of the current user only (avrop.user_id): start, confirm (pending becomes active), remove.
CREATE FUNCTION avrop.totp_start(p_secret text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$ UPDATE avrop.app_user SET totp_pending_secret = p_secret WHERE id = avrop.current_user_id() $$;

CREATE FUNCTION avrop.totp_confirm() RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        WITH confirmed AS (
            UPDATE avrop.app_user SET totp_secret = totp_pending_secret, totp_pending_secret = NULL
            WHERE id = avrop.current_user_id() AND totp_pending_secret IS NOT NULL
            RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM confirmed)
    $$;

CREATE FUNCTION avrop.totp_remove() RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$ UPDATE avrop.app_user SET totp_secret = NULL, totp_pending_secret = NULL WHERE id = avrop.current_user_id() $$;

REVOKE ALL ON FUNCTION avrop.totp_status(uuid, uuid), avrop.totp_secret(uuid, boolean), avrop.totp_accept(uuid, bigint),
    avrop.totp_start(text), avrop.totp_confirm(), avrop.totp_remove() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.totp_status(uuid, uuid), avrop.totp_secret(uuid, boolean), avrop.totp_accept(uuid, bigint),
    avrop.totp_start(text), avrop.totp_confirm(), avrop.totp_remove() TO avrop_app;

-- Sessions now say whether their user must still set up the second factor their organisation requires.
DROP FUNCTION avrop.session_authenticate(bytea, interval);
CREATE FUNCTION avrop.session_authenticate(p_hash bytea, p_idle interval)
    RETURNS TABLE (user_id uuid, organization_id uuid, roles text[], csrf_token text, display_name text,
                   organization_name text, must_enrol_totp boolean)
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
                   s.csrf_token, u.display_name, o.name, (o.require_totp AND u.totp_secret IS NULL)
            FROM avrop.web_session s
            JOIN avrop.app_user u ON u.id = s.user_id
            JOIN avrop.organization o ON o.id = s.organization_id
            WHERE s.id_hash = p_hash AND s.ended_at IS NULL AND s.expires_at > now() AND s.last_seen_at > now() - p_idle;
    END
    $$;
REVOKE ALL ON FUNCTION avrop.session_authenticate(bytea, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.session_authenticate(bytea, interval) TO avrop_app;
