-- 0018: a draft's framework managers may take a lot (with its suppliers and requirements, by the foreign
-- keys' cascade) or a requirement out again, which with adding it anew is how a draft's lot or requirement is
-- corrected. Once activated, nothing is removed: suppliers are suspended or removed with a reason instead.

CREATE FUNCTION avrop.agreement_draft_owned(p_agreement uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT EXISTS (SELECT 1 FROM avrop.framework_agreement a
                       WHERE a.id = p_agreement AND a.owner_id = avrop.current_org_id() AND a.activated_at IS NULL)
    $$;

GRANT DELETE ON avrop.lot, avrop.requirement TO avrop_app;
CREATE POLICY lot_remove ON avrop.lot FOR DELETE TO avrop_app USING (avrop.agreement_draft_owned(agreement_id));
CREATE POLICY requirement_remove ON avrop.requirement FOR DELETE TO avrop_app USING (avrop.agreement_draft_owned(agreement_id));
