-- 0001: the two roles of DESIGN §5 and the empty application schema.
--
-- The owner is whoever runs the migrations (it owns every object). `avrop_app` is the runtime role: it
-- owns nothing, cannot bypass row-level security, and gets only the privileges granted here and by later
-- migrations. Roles are cluster-wide, so they are created only where absent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'avrop_app') THEN
        CREATE ROLE avrop_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;

CREATE SCHEMA avrop;
COMMENT ON SCHEMA avrop IS 'Avrop application schema; owned by the migrating role, used by avrop_app.';

REVOKE ALL ON SCHEMA avrop FROM PUBLIC;
GRANT USAGE ON SCHEMA avrop TO avrop_app;

-- Nothing is hard-deleted (DESIGN §2, records), so the runtime role gets no DELETE or TRUNCATE by default.
ALTER DEFAULT PRIVILEGES IN SCHEMA avrop GRANT SELECT, INSERT, UPDATE ON TABLES TO avrop_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA avrop GRANT USAGE, SELECT ON SEQUENCES TO avrop_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA avrop GRANT EXECUTE ON FUNCTIONS TO avrop_app;

-- The runtime role may read which migrations are applied (readiness), never change them.
GRANT SELECT ON public.schema_migrations TO avrop_app;
