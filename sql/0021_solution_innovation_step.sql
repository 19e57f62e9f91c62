-- 0021: a solution's innovation step is a step of the innovation staircase (innovationstrappan, DESIGN §1):
-- deploy (införa: proven elsewhere, new to the buyer), introduce (introducera: new to the market, adapted
-- here), initiate (initiera: still to be developed), and the catalogue counts and filters by it. The free
-- text the column held so far ("what is new in it") stays, as innovation_note. Existing solutions get the
-- step their maturity points to (TRL 7-9 deploy, 4-6 introduce, 1-3 initiate); their suppliers may change
-- it while a solution is a draft, as every other field.
ALTER TABLE avrop.solution RENAME COLUMN innovation_step TO innovation_note;
ALTER TABLE avrop.solution RENAME CONSTRAINT solution_step_check TO solution_note_check;
ALTER TABLE avrop.solution ADD COLUMN innovation_step text;
UPDATE avrop.solution SET innovation_step = CASE WHEN trl >= 7 THEN 'deploy' WHEN trl >= 4 THEN 'introduce' ELSE 'initiate' END;
ALTER TABLE avrop.solution ALTER COLUMN innovation_step SET NOT NULL,
    ADD CONSTRAINT solution_step_check CHECK (innovation_step IN ('deploy', 'introduce', 'initiate'));

-- The public view shows the step (a column added at the end, as CREATE OR REPLACE VIEW allows).
CREATE OR REPLACE VIEW avrop.catalogue_solution AS
    SELECT s.id, s.supplier_id, s.lot_id, s.name, s.summary, s.description, s.innovation_type, s.trl, s.tags, s.decided_at,
           s.search_vector, s.innovation_step
    FROM avrop.solution s
    WHERE s.status = 'verified'
      AND s.valid_until >= (now() AT TIME ZONE 'Europe/Stockholm')::date
      AND s.lot_id = ANY (ARRAY(SELECT id FROM avrop.catalogue_lot));
