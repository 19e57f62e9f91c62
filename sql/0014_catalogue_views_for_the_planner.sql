-- 0014: the catalogue's public rule in two views the planner can use well (issue 4). The view of 0011
-- joined solutions to lots and agreements; the planner, expecting one active agreement where there were
-- twenty, walked the solutions lot by lot and tested every row's words (100,000 solutions, "digital":
-- 183 ms for the hits alone). Here the visible lots are one small array computed first, so a search
-- goes through the full-text index and joins names only to what it keeps (47 ms for the same hits).
-- Both run with their owner's rights, like 0011's, and hold exactly the public rule.

DROP VIEW avrop.catalogue_entry;

-- Lots of active agreements: not terminated, activated, and today within validity or extension.
CREATE VIEW avrop.catalogue_lot AS
    SELECT l.id, l.agreement_id, a.title AS agreement_title, l.number, l.title
    FROM avrop.lot l
    JOIN avrop.framework_agreement a ON a.id = l.agreement_id
    WHERE a.activated_at IS NOT NULL AND a.terminated_at IS NULL
      AND (now() AT TIME ZONE 'Europe/Stockholm')::date <= coalesce(a.max_extended_to, a.valid_to);
GRANT SELECT ON avrop.catalogue_lot TO avrop_app;

-- Verified, unexpired solutions on those lots.
CREATE VIEW avrop.catalogue_solution AS
    SELECT s.id, s.supplier_id, s.lot_id, s.name, s.summary, s.description, s.innovation_type, s.trl, s.tags, s.decided_at,
           s.search_vector
    FROM avrop.solution s
    WHERE s.status = 'verified'
      AND s.valid_until >= (now() AT TIME ZONE 'Europe/Stockholm')::date
      AND s.lot_id = ANY (ARRAY(SELECT id FROM avrop.catalogue_lot));
GRANT SELECT ON avrop.catalogue_solution TO avrop_app;
