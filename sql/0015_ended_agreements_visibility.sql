-- 0015: who reads a framework agreement that has ended (DESIGN §4). Active ones stay public and drafts the
-- owner's; an expired or terminated one is read by its owner, by contracting authorities (their buyers,
-- contract managers and auditors follow up what was called off under it) and by the suppliers that were
-- on it, no longer by every signed-in organisation.

CREATE FUNCTION avrop.current_org_kind() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT kind FROM avrop.organization WHERE id = avrop.current_org_id() $$;

-- SECURITY DEFINER: lot_supplier's own policy reads framework_agreement, whose policy calls this; reading
-- the two tables with the owner's rights ends that circle.
CREATE FUNCTION avrop.supplier_on_agreement(p_agreement uuid, p_supplier uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        SELECT EXISTS (SELECT 1 FROM avrop.lot_supplier s JOIN avrop.lot l ON l.id = s.lot_id
                       WHERE l.agreement_id = p_agreement AND s.supplier_id = p_supplier)
    $$;
REVOKE ALL ON FUNCTION avrop.supplier_on_agreement(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.supplier_on_agreement(uuid, uuid) TO avrop_app;

DROP POLICY framework_agreement_read ON avrop.framework_agreement;
CREATE POLICY framework_agreement_read ON avrop.framework_agreement FOR SELECT TO avrop_app
    USING (owner_id = avrop.current_org_id()
           OR (activated_at IS NOT NULL AND (
               avrop.framework_agreement_status(framework_agreement) = 'active'
               OR avrop.current_org_kind() = 'contractingAuthority'
               OR avrop.supplier_on_agreement(id, avrop.current_org_id()))));
