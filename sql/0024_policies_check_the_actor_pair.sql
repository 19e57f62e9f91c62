-- 0024: row-level security checks the pair (issue 18). The policies trusted avrop.org_id as set: a
-- transaction that set a supplier's user with an authority's organisation read that authority's rows.
-- Every policy reads the organisation through avrop.current_org_id(), so that one helper now answers the
-- organisation only when the transaction's user is a member of it, and NULL otherwise (NULL matches
-- nothing). It reads memberships past row-level security (SECURITY DEFINER), as the membership policy
-- itself asks it.
CREATE OR REPLACE FUNCTION avrop.current_org_id() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog
    AS $$
    DECLARE
        v_user uuid := nullif(current_setting('avrop.user_id', true), '')::uuid;
        v_org uuid := nullif(current_setting('avrop.org_id', true), '')::uuid;
    BEGIN
        IF v_user IS NULL OR v_org IS NULL THEN
            RETURN NULL;
        END IF;
        IF EXISTS (SELECT 1 FROM avrop.membership m WHERE m.user_id = v_user AND m.organization_id = v_org) THEN
            RETURN v_org;
        END IF;
        RETURN NULL;
    END
    $$;

-- R7, said in the schema as the code does it (0008's comment said "up to this value"; an applied
-- migration never changes, so the column's comment says it now).
COMMENT ON COLUMN avrop.lot.combined_threshold_ore IS
    'For the combined method (R7): call-offs below this value follow the ranking; at or above it, a renewed competition.';

-- The helpers that the policies of an agreement's parts call once per row were SQL functions that cannot
-- be inlined (a subquery), so PostgreSQL planned their query anew at every statement that used them
-- (about 0.3 ms for one lot read through its agreement's policy). In PL/pgSQL the plan is kept for the
-- session. Same answers, same rights (they still read under row-level security).
CREATE OR REPLACE FUNCTION avrop.agreement_visible(p_agreement uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM avrop.framework_agreement a WHERE a.id = p_agreement); END $$;
CREATE OR REPLACE FUNCTION avrop.agreement_owned(p_agreement uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$ BEGIN
        RETURN EXISTS (SELECT 1 FROM avrop.framework_agreement a WHERE a.id = p_agreement AND a.owner_id = avrop.current_org_id());
    END $$;
CREATE OR REPLACE FUNCTION avrop.lot_agreement(p_lot uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT agreement_id FROM avrop.lot WHERE id = p_lot); END $$;

-- DESIGN §4: a framework manager reads the metadata of the published call-offs under its own agreements
-- (reference, authority, lot, method, status, estimated value), never their title, need, criteria,
-- invitations or anything that comes later. Row-level security works on whole rows, so the call-off's own
-- policy cannot show a row with half its columns: this view, owned by the schema's owner, reads past it and
-- filters for itself (security_barrier: a caller's conditions run only on rows the view lets through).
-- The service narrows further by role.
CREATE VIEW avrop.call_off_register WITH (security_barrier) AS
    SELECT c.id, c.authority_id, o.name AS authority_name, c.lot_id, l.agreement_id, c.reference_year, c.reference_number,
           c.method, c.estimated_value_ore, c.published_at, avrop.call_off_status(c) AS status
    FROM avrop.call_off c
    JOIN avrop.lot l ON l.id = c.lot_id
    JOIN avrop.framework_agreement a ON a.id = l.agreement_id
    JOIN avrop.organization o ON o.id = c.authority_id
    WHERE c.published_at IS NOT NULL AND a.owner_id = avrop.current_org_id();
GRANT SELECT ON avrop.call_off_register TO avrop_app;

-- A read writes nothing (issue 18): authenticating a bearer token reads the token, and records its use
-- only when the last record is a minute old or more, so nearly every request is a read (before, every
-- request ran an UPDATE, which matched no row within the minute but was still a write statement).
CREATE OR REPLACE FUNCTION avrop.token_authenticate(p_hash bytea)
    RETURNS TABLE (token_id uuid, user_id uuid, organization_id uuid, roles text[], scopes text[])
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
    DECLARE
        v_token avrop.api_token%ROWTYPE;
    BEGIN
        SELECT t.* INTO v_token
        FROM avrop.api_token t
        JOIN avrop.organization o ON o.id = t.organization_id
        JOIN avrop.app_user u ON u.id = t.user_id
        WHERE t.token_hash = p_hash AND t.revoked_at IS NULL AND t.expires_at > now()
          AND NOT (o.require_totp AND u.totp_secret IS NULL);
        IF NOT FOUND THEN
            RETURN;
        END IF;
        IF v_token.last_used_at IS NULL OR v_token.last_used_at < now() - interval '1 minute' THEN
            UPDATE avrop.api_token SET last_used_at = now() WHERE id = v_token.id;
        END IF;
        RETURN QUERY SELECT v_token.id, v_token.user_id, v_token.organization_id,
            ARRAY(SELECT m.role FROM avrop.membership m
                  WHERE m.user_id = v_token.user_id AND m.organization_id = v_token.organization_id ORDER BY m.role),
            v_token.scopes;
    END
    $$;
