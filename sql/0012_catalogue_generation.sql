-- 0012: a number that grows with every change the catalogue could show (issue 4). Searches read it in the
-- snapshot they search, so a result kept under generation G is exactly what G shows; a search whose
-- generation (or day, since solutions and agreements expire by date) differs runs again. Changes to these
-- tables come at the pace of people deciding, so one row taking the bump does not hold anything up.

CREATE TABLE avrop.catalogue_generation (
    only_row boolean PRIMARY KEY DEFAULT true CONSTRAINT catalogue_generation_one_row CHECK (only_row),
    generation bigint NOT NULL DEFAULT 1
);
INSERT INTO avrop.catalogue_generation DEFAULT VALUES;
GRANT SELECT ON avrop.catalogue_generation TO avrop_app;

-- SECURITY DEFINER: the app may read the number but only a change to the catalogue's tables moves it.
CREATE FUNCTION avrop.bump_catalogue_generation() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        BEGIN
            UPDATE avrop.catalogue_generation SET generation = generation + 1;
            RETURN NULL;
        END
    $$;
REVOKE ALL ON FUNCTION avrop.bump_catalogue_generation() FROM PUBLIC;

CREATE TRIGGER solution_catalogue_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON avrop.solution
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation();
CREATE TRIGGER lot_catalogue_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON avrop.lot
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation();
CREATE TRIGGER framework_agreement_catalogue_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON avrop.framework_agreement
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation();
-- Supplier names show in hits and facets.
CREATE TRIGGER organization_catalogue_generation AFTER UPDATE OF name OR DELETE ON avrop.organization
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.bump_catalogue_generation();
