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
