-- 0009: verified innovative solutions (issue 4; DESIGN §2). A supplier active on a lot drafts a solution
-- and submits it; the agreement's framework managers verify it (how, with what evidence, until when) or
-- reject it, with reasons. Only verified, unexpired solutions of active agreements are public.

CREATE TABLE avrop.solution (
    id uuid CONSTRAINT solution_pkey PRIMARY KEY,
    supplier_id uuid NOT NULL CONSTRAINT solution_supplier_fkey REFERENCES avrop.organization,
    lot_id uuid NOT NULL CONSTRAINT solution_lot_fkey REFERENCES avrop.lot,
    name text NOT NULL CONSTRAINT solution_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    summary text NOT NULL CONSTRAINT solution_summary_check CHECK (length(btrim(summary)) BETWEEN 1 AND 500),
    description text NOT NULL DEFAULT '' CONSTRAINT solution_description_check CHECK (length(description) <= 20000),
    innovation_type text NOT NULL CONSTRAINT solution_type_check CHECK (innovation_type IN ('product', 'service', 'process', 'organisational')),
    innovation_step text NOT NULL DEFAULT '' CONSTRAINT solution_step_check CHECK (length(innovation_step) <= 5000),
    trl integer NOT NULL CONSTRAINT solution_trl_check CHECK (trl BETWEEN 1 AND 9),
    tags text[] NOT NULL DEFAULT '{}' CONSTRAINT solution_tags_check CHECK (cardinality(tags) <= 20),
    status text NOT NULL DEFAULT 'draft'
        CONSTRAINT solution_status_check CHECK (status IN ('draft', 'submitted', 'verified', 'rejected', 'withdrawn')),
    submitted_at timestamptz,
    decided_at timestamptz,
    decided_by uuid CONSTRAINT solution_decided_by_fkey REFERENCES avrop.app_user,
    verification_method text CONSTRAINT solution_method_check
        CHECK (verification_method IN ('pilot', 'testBed', 'thirdPartyCertification', 'referenceCustomer', 'labTest')),
    decision_reasons text,
    valid_until date,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- A verified solution says how and until when; a withdrawn one keeps what it had.
    CONSTRAINT solution_verified_check CHECK (
        status <> 'verified' OR (verification_method IS NOT NULL AND valid_until IS NOT NULL)),
    CONSTRAINT solution_decision_check CHECK (
        status NOT IN ('verified', 'rejected') OR (decided_at IS NOT NULL AND length(btrim(coalesce(decision_reasons, ''))) > 0))
);
CREATE INDEX solution_supplier_idx ON avrop.solution (supplier_id, created_at DESC);
CREATE INDEX solution_lot_status_idx ON avrop.solution (lot_id, status);

-- The status as people see it: a verified solution past its valid-until day has expired.
CREATE FUNCTION avrop.solution_status(s avrop.solution) RETURNS text
    LANGUAGE sql STABLE
    AS $$
        SELECT CASE WHEN s.status = 'verified' AND s.valid_until < (now() AT TIME ZONE 'Europe/Stockholm')::date THEN 'expired'
                    ELSE s.status END
    $$;

-- The organisation that owns the agreement a lot belongs to (its framework managers verify).
CREATE FUNCTION avrop.lot_owner(p_lot uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$ SELECT a.owner_id FROM avrop.lot l JOIN avrop.framework_agreement a ON a.id = l.agreement_id WHERE l.id = p_lot $$;
REVOKE ALL ON FUNCTION avrop.lot_owner(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.lot_owner(uuid) TO avrop_app;

ALTER TABLE avrop.solution ENABLE ROW LEVEL SECURITY;
-- A supplier sees and writes all of its own; the agreement's owner sees what was submitted to it and decides.
CREATE POLICY solution_supplier_own ON avrop.solution FOR ALL TO avrop_app
    USING (supplier_id = avrop.current_org_id()) WITH CHECK (supplier_id = avrop.current_org_id());
CREATE POLICY solution_owner_read ON avrop.solution FOR SELECT TO avrop_app
    USING (status <> 'draft' AND avrop.lot_owner(lot_id) = avrop.current_org_id());
CREATE POLICY solution_owner_decide ON avrop.solution FOR UPDATE TO avrop_app
    USING (status <> 'draft' AND avrop.lot_owner(lot_id) = avrop.current_org_id())
    WITH CHECK (avrop.lot_owner(lot_id) = avrop.current_org_id());
-- Everyone (the public catalogue too): verified, unexpired solutions of active agreements.
CREATE POLICY solution_public_read ON avrop.solution FOR SELECT TO avrop_app
    USING (avrop.solution_status(solution) = 'verified' AND EXISTS (
        SELECT 1 FROM avrop.lot l JOIN avrop.framework_agreement a ON a.id = l.agreement_id
        WHERE l.id = solution.lot_id AND avrop.framework_agreement_status(a) = 'active'));

-- Tells every member of an organisation (their in-app notifications, e-mails, and its webhooks): for
-- decisions about what the organisation submitted, when the deciding actor cannot see its members.
CREATE FUNCTION avrop.notify_organization(p_organization uuid, p_kind text, p_data jsonb) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        SELECT avrop.notify(ARRAY(SELECT DISTINCT m.user_id FROM avrop.membership m WHERE m.organization_id = p_organization),
                            ARRAY[p_organization], p_kind, p_data)
    $$;
REVOKE ALL ON FUNCTION avrop.notify_organization(uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.notify_organization(uuid, text, jsonb) TO avrop_app;
