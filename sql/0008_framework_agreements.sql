-- 0008: framework agreements, lots, suppliers on lots, requirements (issue 4; DESIGN §2, R1, R3).
-- A central purchasing body drafts an agreement, activates it once it is complete, and may terminate it.
-- Active and expired follow from the dates (avrop.framework_agreement_status), never from a job.

CREATE TABLE avrop.framework_agreement (
    id uuid CONSTRAINT framework_agreement_pkey PRIMARY KEY,
    owner_id uuid NOT NULL CONSTRAINT framework_agreement_owner_fkey REFERENCES avrop.organization,
    reference text NOT NULL CONSTRAINT framework_agreement_reference_check CHECK (length(btrim(reference)) BETWEEN 1 AND 50),
    title text NOT NULL CONSTRAINT framework_agreement_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description text NOT NULL DEFAULT '' CONSTRAINT framework_agreement_description_check CHECK (length(description) <= 20000),
    valid_from date NOT NULL,
    valid_to date NOT NULL,
    max_extended_to date,
    -- R1: the reason an agreement may run (with its extension) longer than four years.
    long_validity_justification text,
    ceiling_ore bigint NOT NULL CONSTRAINT framework_agreement_ceiling_check CHECK (ceiling_ore > 0),
    all_authorities_eligible boolean NOT NULL DEFAULT true,
    innovation_step text NOT NULL DEFAULT '' CONSTRAINT framework_agreement_innovation_step_check CHECK (length(innovation_step) <= 5000),
    activated_at timestamptz,
    terminated_at timestamptz,
    termination_reason text,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT framework_agreement_reference_key UNIQUE (owner_id, reference),
    CONSTRAINT framework_agreement_dates_check CHECK (valid_from <= valid_to AND (max_extended_to IS NULL OR max_extended_to >= valid_to)),
    -- R1, the database's wall behind the service's rule.
    CONSTRAINT framework_agreement_r1_check CHECK (
        coalesce(max_extended_to, valid_to) <= valid_from + interval '4 years'
        OR length(btrim(coalesce(long_validity_justification, ''))) > 0),
    CONSTRAINT framework_agreement_termination_check CHECK (
        (terminated_at IS NULL) = (termination_reason IS NULL) AND (terminated_at IS NULL OR activated_at IS NOT NULL))
);
CREATE INDEX framework_agreement_owner_idx ON avrop.framework_agreement (owner_id, created_at DESC);

CREATE TABLE avrop.agreement_eligible_authority (
    agreement_id uuid NOT NULL CONSTRAINT agreement_eligible_authority_agreement_fkey REFERENCES avrop.framework_agreement ON DELETE CASCADE,
    authority_id uuid NOT NULL CONSTRAINT agreement_eligible_authority_authority_fkey REFERENCES avrop.organization,
    CONSTRAINT agreement_eligible_authority_pkey PRIMARY KEY (agreement_id, authority_id)
);

CREATE TABLE avrop.lot (
    id uuid CONSTRAINT lot_pkey PRIMARY KEY,
    agreement_id uuid NOT NULL CONSTRAINT lot_agreement_fkey REFERENCES avrop.framework_agreement ON DELETE CASCADE,
    number integer NOT NULL CONSTRAINT lot_number_check CHECK (number BETWEEN 1 AND 999),
    title text NOT NULL CONSTRAINT lot_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description text NOT NULL DEFAULT '' CONSTRAINT lot_description_check CHECK (length(description) <= 20000),
    region text NOT NULL DEFAULT '' CONSTRAINT lot_region_check CHECK (length(region) <= 200),
    call_off_method text NOT NULL CONSTRAINT lot_method_check CHECK (call_off_method IN ('rankedCascade', 'renewedCompetition', 'combined')),
    -- For the combined method: call-offs up to this value follow the ranking, above it a renewed competition.
    combined_threshold_ore bigint CONSTRAINT lot_threshold_check CHECK (combined_threshold_ore > 0),
    dialogue_allowed boolean NOT NULL DEFAULT true,
    minimum_tender_days integer NOT NULL DEFAULT 10 CONSTRAINT lot_tender_days_check CHECK (minimum_tender_days BETWEEN 1 AND 365),
    CONSTRAINT lot_number_key UNIQUE (agreement_id, number),
    CONSTRAINT lot_combined_threshold_check CHECK ((call_off_method = 'combined') = (combined_threshold_ore IS NOT NULL))
);

CREATE TABLE avrop.lot_supplier (
    lot_id uuid NOT NULL CONSTRAINT lot_supplier_lot_fkey REFERENCES avrop.lot ON DELETE CASCADE,
    supplier_id uuid NOT NULL CONSTRAINT lot_supplier_supplier_fkey REFERENCES avrop.organization,
    rank integer CONSTRAINT lot_supplier_rank_check CHECK (rank BETWEEN 1 AND 999),
    status text NOT NULL DEFAULT 'active' CONSTRAINT lot_supplier_status_check CHECK (status IN ('active', 'suspended', 'removed')),
    status_reason text,
    suspended_until date,
    added_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lot_supplier_pkey PRIMARY KEY (lot_id, supplier_id),
    CONSTRAINT lot_supplier_reason_check CHECK ((status = 'active') = (status_reason IS NULL))
);
CREATE INDEX lot_supplier_supplier_idx ON avrop.lot_supplier (supplier_id);

CREATE TABLE avrop.requirement (
    id uuid CONSTRAINT requirement_pkey PRIMARY KEY,
    agreement_id uuid NOT NULL CONSTRAINT requirement_agreement_fkey REFERENCES avrop.framework_agreement ON DELETE CASCADE,
    -- NULL: the whole agreement; else one lot of it.
    lot_id uuid CONSTRAINT requirement_lot_fkey REFERENCES avrop.lot ON DELETE CASCADE,
    code text NOT NULL CONSTRAINT requirement_code_check CHECK (code ~ '^[A-Za-zÅÄÖåäö0-9][A-Za-zÅÄÖåäö0-9.\-]{0,19}$'),
    text text NOT NULL CONSTRAINT requirement_text_check CHECK (length(btrim(text)) BETWEEN 1 AND 5000),
    kind text NOT NULL CONSTRAINT requirement_kind_check CHECK (kind IN ('mandatory', 'weighted')),
    weight_min integer,
    weight_max integer,
    category text NOT NULL CONSTRAINT requirement_category_check CHECK (category IN (
        'quality', 'environment', 'labourLaw', 'informationSecurity', 'accessibility', 'innovationEffect', 'delivery')),
    indicator text,
    follow_up_method text NOT NULL DEFAULT '' CONSTRAINT requirement_follow_up_method_check CHECK (length(follow_up_method) <= 1000),
    follow_up_frequency text NOT NULL DEFAULT 'none' CONSTRAINT requirement_frequency_check CHECK (
        follow_up_frequency IN ('none', 'once', 'monthly', 'quarterly', 'yearly')),
    CONSTRAINT requirement_code_key UNIQUE NULLS NOT DISTINCT (agreement_id, lot_id, code),
    CONSTRAINT requirement_weights_check CHECK (
        (kind = 'mandatory' AND weight_min IS NULL AND weight_max IS NULL)
        OR (kind = 'weighted' AND weight_min BETWEEN 0 AND 100 AND weight_max BETWEEN 1 AND 100 AND weight_min <= weight_max))
);
CREATE INDEX requirement_agreement_idx ON avrop.requirement (agreement_id, lot_id);

-- R3: a supplier joins no running agreement (a closed system). Suspending and removing stay possible.
CREATE FUNCTION avrop.lot_supplier_closed_system() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM avrop.lot l JOIN avrop.framework_agreement a ON a.id = l.agreement_id
                   WHERE l.id = NEW.lot_id AND a.activated_at IS NOT NULL) THEN
            RAISE EXCEPTION 'R3: no supplier joins an activated framework agreement'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'lot_supplier_closed_system';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER lot_supplier_closed_system BEFORE INSERT ON avrop.lot_supplier
    FOR EACH ROW EXECUTE FUNCTION avrop.lot_supplier_closed_system();

-- The status, derived from the stored facts and today's date in Sweden.
CREATE FUNCTION avrop.framework_agreement_status(a avrop.framework_agreement) RETURNS text
    LANGUAGE sql STABLE
    AS $$
        SELECT CASE
            WHEN a.activated_at IS NULL THEN 'draft'
            WHEN a.terminated_at IS NOT NULL THEN 'terminated'
            WHEN (now() AT TIME ZONE 'Europe/Stockholm')::date > coalesce(a.max_extended_to, a.valid_to) THEN 'expired'
            ELSE 'active'
        END
    $$;

-- Who sees what (DESIGN §4): the owner's members see their own agreements, drafts included; everyone
-- (also without an actor: the public pages) sees activated ones. The service narrows further by role.
ALTER TABLE avrop.framework_agreement ENABLE ROW LEVEL SECURITY;
CREATE POLICY framework_agreement_read ON avrop.framework_agreement FOR SELECT TO avrop_app
    USING (activated_at IS NOT NULL OR owner_id = avrop.current_org_id());
CREATE POLICY framework_agreement_owner_write ON avrop.framework_agreement FOR INSERT TO avrop_app
    WITH CHECK (owner_id = avrop.current_org_id());
CREATE POLICY framework_agreement_owner_update ON avrop.framework_agreement FOR UPDATE TO avrop_app
    USING (owner_id = avrop.current_org_id()) WITH CHECK (owner_id = avrop.current_org_id());

-- The parts of an agreement follow it: readable where it is, writable by its owner.
CREATE FUNCTION avrop.agreement_visible(p_agreement uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT EXISTS (SELECT 1 FROM avrop.framework_agreement a WHERE a.id = p_agreement) $$;
CREATE FUNCTION avrop.agreement_owned(p_agreement uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT EXISTS (SELECT 1 FROM avrop.framework_agreement a WHERE a.id = p_agreement AND a.owner_id = avrop.current_org_id()) $$;

ALTER TABLE avrop.agreement_eligible_authority ENABLE ROW LEVEL SECURITY;
GRANT DELETE ON avrop.agreement_eligible_authority TO avrop_app;
CREATE POLICY agreement_eligible_authority_read ON avrop.agreement_eligible_authority FOR SELECT TO avrop_app
    USING (avrop.agreement_visible(agreement_id));
CREATE POLICY agreement_eligible_authority_write ON avrop.agreement_eligible_authority FOR ALL TO avrop_app
    USING (avrop.agreement_owned(agreement_id)) WITH CHECK (avrop.agreement_owned(agreement_id));

ALTER TABLE avrop.lot ENABLE ROW LEVEL SECURITY;
CREATE POLICY lot_read ON avrop.lot FOR SELECT TO avrop_app USING (avrop.agreement_visible(agreement_id));
CREATE POLICY lot_write ON avrop.lot FOR INSERT TO avrop_app WITH CHECK (avrop.agreement_owned(agreement_id));
CREATE POLICY lot_update ON avrop.lot FOR UPDATE TO avrop_app
    USING (avrop.agreement_owned(agreement_id)) WITH CHECK (avrop.agreement_owned(agreement_id));

CREATE FUNCTION avrop.lot_agreement(p_lot uuid) RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT agreement_id FROM avrop.lot WHERE id = p_lot $$;

ALTER TABLE avrop.lot_supplier ENABLE ROW LEVEL SECURITY;
CREATE POLICY lot_supplier_read ON avrop.lot_supplier FOR SELECT TO avrop_app
    USING (avrop.agreement_visible(avrop.lot_agreement(lot_id)));
CREATE POLICY lot_supplier_write ON avrop.lot_supplier FOR INSERT TO avrop_app
    WITH CHECK (avrop.agreement_owned(avrop.lot_agreement(lot_id)));
CREATE POLICY lot_supplier_update ON avrop.lot_supplier FOR UPDATE TO avrop_app
    USING (avrop.agreement_owned(avrop.lot_agreement(lot_id))) WITH CHECK (avrop.agreement_owned(avrop.lot_agreement(lot_id)));

ALTER TABLE avrop.requirement ENABLE ROW LEVEL SECURITY;
CREATE POLICY requirement_read ON avrop.requirement FOR SELECT TO avrop_app USING (avrop.agreement_visible(agreement_id));
CREATE POLICY requirement_write ON avrop.requirement FOR INSERT TO avrop_app WITH CHECK (avrop.agreement_owned(agreement_id));
CREATE POLICY requirement_update ON avrop.requirement FOR UPDATE TO avrop_app
    USING (avrop.agreement_owned(agreement_id)) WITH CHECK (avrop.agreement_owned(agreement_id));
