-- 0023: call-offs (avrop) under a lot, their award criteria and their invitations (DESIGN §2, R2–R8).
-- A buyer at a contracting authority drafts a call-off and publishes it; publication fixes the method,
-- the deadlines and whom it invites. Open and closed for tenders follow from the stored deadline and the
-- server's clock (avrop.call_off_status), never from a job.

CREATE TABLE avrop.call_off (
    id uuid CONSTRAINT call_off_pkey PRIMARY KEY,
    authority_id uuid NOT NULL CONSTRAINT call_off_authority_fkey REFERENCES avrop.organization,
    lot_id uuid NOT NULL CONSTRAINT call_off_lot_fkey REFERENCES avrop.lot,
    reference_year integer NOT NULL CONSTRAINT call_off_reference_year_check CHECK (reference_year BETWEEN 2000 AND 2999),
    reference_number integer NOT NULL CONSTRAINT call_off_reference_number_check CHECK (reference_number > 0),
    title text NOT NULL CONSTRAINT call_off_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    need text NOT NULL DEFAULT '' CONSTRAINT call_off_need_check CHECK (length(need) <= 20000),
    estimated_value_ore bigint NOT NULL CONSTRAINT call_off_value_check CHECK (estimated_value_ore > 0),
    -- Fixed at publication (R5–R7): the lot's method, or for a combined lot the one its value calls for.
    method text CONSTRAINT call_off_method_check CHECK (method IN ('rankedCascade', 'renewedCompetition')),
    questions_deadline timestamptz,
    tender_deadline timestamptz,
    published_at timestamptz,
    created_by uuid NOT NULL CONSTRAINT call_off_created_by_fkey REFERENCES avrop.app_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CONSTRAINT call_off_reference_key UNIQUE (authority_id, reference_year, reference_number),
    -- A published call-off has its method and both deadlines, the questions deadline first.
    CONSTRAINT call_off_published_check CHECK (
        published_at IS NULL OR (method IS NOT NULL AND questions_deadline IS NOT NULL AND tender_deadline IS NOT NULL
                                 AND questions_deadline < tender_deadline))
);
CREATE INDEX call_off_authority_idx ON avrop.call_off (authority_id, created_at DESC, id DESC);
CREATE INDEX call_off_lot_idx ON avrop.call_off (lot_id);

-- The numbers of an authority's call-offs, per year: AVR-2026-0001, AVR-2026-0002, … A row per authority
-- and year, incremented under its row lock, so that two buyers drafting at once get different numbers.
CREATE TABLE avrop.call_off_counter (
    authority_id uuid NOT NULL CONSTRAINT call_off_counter_authority_fkey REFERENCES avrop.organization,
    year integer NOT NULL,
    last_number integer NOT NULL,
    CONSTRAINT call_off_counter_pkey PRIMARY KEY (authority_id, year)
);

-- R8: the framework requirements a call-off evaluates, with the weight of each weighted one.
CREATE TABLE avrop.call_off_criterion (
    call_off_id uuid NOT NULL CONSTRAINT call_off_criterion_call_off_fkey REFERENCES avrop.call_off,
    requirement_id uuid NOT NULL CONSTRAINT call_off_criterion_requirement_fkey REFERENCES avrop.requirement,
    weight integer NOT NULL CONSTRAINT call_off_criterion_weight_check CHECK (weight BETWEEN 0 AND 100),
    CONSTRAINT call_off_criterion_pkey PRIMARY KEY (call_off_id, requirement_id)
);

-- One row per supplier a published call-off reaches (R3, R5, R6). A cascade keeps every later rank with
-- its position and no invited_at until its turn comes; a renewed competition records who was left out and why.
CREATE TABLE avrop.invitation (
    call_off_id uuid NOT NULL CONSTRAINT invitation_call_off_fkey REFERENCES avrop.call_off,
    supplier_id uuid NOT NULL CONSTRAINT invitation_supplier_fkey REFERENCES avrop.organization,
    position integer NOT NULL CONSTRAINT invitation_position_check CHECK (position > 0),
    invited_at timestamptz,
    excluded_reason text CONSTRAINT invitation_excluded_reason_check CHECK (length(btrim(excluded_reason)) > 0),
    response text NOT NULL DEFAULT 'pending'
        CONSTRAINT invitation_response_check CHECK (response IN ('pending', 'intendsToTender', 'declined')),
    CONSTRAINT invitation_pkey PRIMARY KEY (call_off_id, supplier_id),
    CONSTRAINT invitation_excluded_check CHECK (excluded_reason IS NULL OR invited_at IS NULL)
);
CREATE INDEX invitation_supplier_idx ON avrop.invitation (supplier_id, call_off_id) WHERE invited_at IS NOT NULL;

-- The status, derived from the stored facts and the server's clock (R10).
CREATE FUNCTION avrop.call_off_status(c avrop.call_off) RETURNS text
    LANGUAGE sql STABLE
    AS $$
        SELECT CASE
            WHEN c.published_at IS NULL THEN 'draft'
            WHEN now() < c.tender_deadline THEN 'open'
            ELSE 'closed'
        END
    $$;

-- Who sees what (DESIGN §4). The policies ask these functions, which read past row-level security, so
-- that the call-off's and the invitation's policies do not ask each other in a circle.
CREATE FUNCTION avrop.call_off_authority(p_call_off uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT authority_id FROM avrop.call_off WHERE id = p_call_off $$;
CREATE FUNCTION avrop.call_off_invites(p_call_off uuid, p_supplier uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$
        SELECT EXISTS (
            SELECT 1 FROM avrop.invitation i JOIN avrop.call_off c ON c.id = i.call_off_id
            WHERE i.call_off_id = p_call_off AND i.supplier_id = p_supplier AND i.invited_at IS NOT NULL
              AND c.published_at IS NOT NULL)
    $$;

-- The authority's own members see its call-offs, drafts included (the service narrows by role); a supplier
-- sees a published one only once invited. Nobody else learns that it exists.
ALTER TABLE avrop.call_off ENABLE ROW LEVEL SECURITY;
CREATE POLICY call_off_read ON avrop.call_off FOR SELECT TO avrop_app
    USING (authority_id = avrop.current_org_id() OR avrop.call_off_invites(id, avrop.current_org_id()));
CREATE POLICY call_off_authority_insert ON avrop.call_off FOR INSERT TO avrop_app
    WITH CHECK (authority_id = avrop.current_org_id());
CREATE POLICY call_off_authority_update ON avrop.call_off FOR UPDATE TO avrop_app
    USING (authority_id = avrop.current_org_id()) WITH CHECK (authority_id = avrop.current_org_id());

ALTER TABLE avrop.call_off_counter ENABLE ROW LEVEL SECURITY;
CREATE POLICY call_off_counter_own ON avrop.call_off_counter FOR ALL TO avrop_app
    USING (authority_id = avrop.current_org_id()) WITH CHECK (authority_id = avrop.current_org_id());

-- Criteria are part of the call-off documents: readable wherever the call-off is, written by its authority.
GRANT DELETE ON avrop.call_off_criterion TO avrop_app;
ALTER TABLE avrop.call_off_criterion ENABLE ROW LEVEL SECURITY;
CREATE POLICY call_off_criterion_read ON avrop.call_off_criterion FOR SELECT TO avrop_app
    USING (EXISTS (SELECT 1 FROM avrop.call_off c WHERE c.id = call_off_id));
CREATE POLICY call_off_criterion_write ON avrop.call_off_criterion FOR ALL TO avrop_app
    USING (avrop.call_off_authority(call_off_id) = avrop.current_org_id())
    WITH CHECK (avrop.call_off_authority(call_off_id) = avrop.current_org_id());

-- The authority sees every invitation of its call-offs; a supplier only its own, once invited.
ALTER TABLE avrop.invitation ENABLE ROW LEVEL SECURITY;
CREATE POLICY invitation_read ON avrop.invitation FOR SELECT TO avrop_app
    USING (avrop.call_off_authority(call_off_id) = avrop.current_org_id()
           OR (supplier_id = avrop.current_org_id() AND avrop.call_off_invites(call_off_id, supplier_id)));
CREATE POLICY invitation_authority_insert ON avrop.invitation FOR INSERT TO avrop_app
    WITH CHECK (avrop.call_off_authority(call_off_id) = avrop.current_org_id());
CREATE POLICY invitation_authority_update ON avrop.invitation FOR UPDATE TO avrop_app
    USING (avrop.call_off_authority(call_off_id) = avrop.current_org_id())
    WITH CHECK (avrop.call_off_authority(call_off_id) = avrop.current_org_id());
