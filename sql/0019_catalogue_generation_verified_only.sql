-- 0019: only a change that touches a verified solution moves the catalogue's generation. Every move makes
-- each service process rebuild its index of the catalogue (about 2 s at 100,000 solutions) before its next
-- search, so a supplier saving a draft or submitting one, which the catalogue never shows, must not cost
-- that. A row counts when it was verified before the change or is after it (a verified row may be expired
-- by date; moving for it as well is harmless).

CREATE FUNCTION avrop.bump_catalogue_generation_for_verified() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        BEGIN
            -- Each transition table exists only for the operations that have it; plpgsql plans a query when
            -- it first runs it, so each is read only under its operation.
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                IF EXISTS (SELECT 1 FROM old_rows WHERE status = 'verified') THEN
                    UPDATE avrop.catalogue_generation SET generation = generation + 1;
                    RETURN NULL;
                END IF;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                IF EXISTS (SELECT 1 FROM new_rows WHERE status = 'verified') THEN
                    UPDATE avrop.catalogue_generation SET generation = generation + 1;
                END IF;
            END IF;
            RETURN NULL;
        END
    $$;
REVOKE ALL ON FUNCTION avrop.bump_catalogue_generation_for_verified() FROM PUBLIC;

DROP TRIGGER solution_catalogue_generation ON avrop.solution;
CREATE TRIGGER solution_catalogue_generation AFTER UPDATE ON avrop.solution
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation_for_verified();
CREATE TRIGGER solution_catalogue_generation_insert AFTER INSERT ON avrop.solution
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation_for_verified();
CREATE TRIGGER solution_catalogue_generation_delete AFTER DELETE ON avrop.solution
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation_for_verified();
CREATE TRIGGER solution_catalogue_generation_truncate AFTER TRUNCATE ON avrop.solution
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation();
