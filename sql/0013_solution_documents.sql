-- 0013: evidence documents of solutions (issue 4): the file itself with its SHA-256 and size, its type as
-- decided from its first bytes, and a safe name. Access follows the solution: whoever may read the
-- solution (row-level security on avrop.solution, applied inside these policies too) may read its
-- documents; its supplier and the agreement's owner may add to it. Documents are never changed.

CREATE TABLE avrop.solution_document (
    id uuid CONSTRAINT solution_document_pkey PRIMARY KEY,
    solution_id uuid NOT NULL CONSTRAINT solution_document_solution_fkey REFERENCES avrop.solution ON DELETE CASCADE,
    organization_id uuid NOT NULL CONSTRAINT solution_document_organization_fkey REFERENCES avrop.organization,
    uploaded_by uuid NOT NULL CONSTRAINT solution_document_uploaded_by_fkey REFERENCES avrop.app_user,
    file_name text NOT NULL CONSTRAINT solution_document_name_check CHECK (length(file_name) BETWEEN 1 AND 200),
    media_type text NOT NULL,
    content bytea NOT NULL,
    -- Derived from the content by the database itself, so they cannot disagree with it.
    size_bytes bigint GENERATED ALWAYS AS (octet_length(content)) STORED,
    sha256 bytea GENERATED ALWAYS AS (sha256(content)) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Files are already compressed or small; keep them out of line without a second compression pass.
ALTER TABLE avrop.solution_document ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX solution_document_solution_idx ON avrop.solution_document (solution_id, created_at);

ALTER TABLE avrop.solution_document ENABLE ROW LEVEL SECURITY;
CREATE POLICY solution_document_read ON avrop.solution_document FOR SELECT TO avrop_app
    USING (EXISTS (SELECT 1 FROM avrop.solution s WHERE s.id = solution_id));
CREATE POLICY solution_document_add ON avrop.solution_document FOR INSERT TO avrop_app
    WITH CHECK (organization_id = avrop.current_org_id() AND EXISTS (
        SELECT 1 FROM avrop.solution s
        WHERE s.id = solution_id AND (s.supplier_id = avrop.current_org_id() OR avrop.lot_owner(s.lot_id) = avrop.current_org_id())));
GRANT SELECT, INSERT ON avrop.solution_document TO avrop_app;
