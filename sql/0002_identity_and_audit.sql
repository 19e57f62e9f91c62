-- 0002: identity (organisations, users, memberships), the acting user and organisation of a transaction,
-- row-level security, and the hash-chained audit log (DESIGN §2 "Identity", "Audit and records"; R23).

-- The actor of the current transaction, set by the service with set_config(…, true). NULL when unset:
-- every policy then matches nothing.
CREATE FUNCTION avrop.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('avrop.user_id', true), '')::uuid $$;

CREATE FUNCTION avrop.current_org_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('avrop.org_id', true), '')::uuid $$;

CREATE TABLE avrop.organization (
    id uuid CONSTRAINT organization_pkey PRIMARY KEY,
    kind text NOT NULL CONSTRAINT organization_kind_check
        CHECK (kind IN ('centralPurchasingBody', 'contractingAuthority', 'supplier')),
    name text NOT NULL CONSTRAINT organization_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
    organization_number text NOT NULL CONSTRAINT organization_number_format CHECK (organization_number ~ '^[0-9]{10}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organization_number_key UNIQUE (organization_number)
);
COMMENT ON TABLE avrop.organization IS 'Organisations: names and numbers are public records, so every role may read them.';

CREATE TABLE avrop.app_user (
    id uuid CONSTRAINT app_user_pkey PRIMARY KEY,
    email text NOT NULL CONSTRAINT app_user_email_check CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    display_name text NOT NULL CONSTRAINT app_user_display_name_check CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    password_hash text,
    external_subject text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX app_user_email_key ON avrop.app_user (lower(email));
CREATE UNIQUE INDEX app_user_external_subject_key ON avrop.app_user (external_subject) WHERE external_subject IS NOT NULL;

CREATE TABLE avrop.membership (
    user_id uuid NOT NULL CONSTRAINT membership_user_fkey REFERENCES avrop.app_user,
    organization_id uuid NOT NULL CONSTRAINT membership_organization_fkey REFERENCES avrop.organization,
    role text NOT NULL CONSTRAINT membership_role_check
        CHECK (role IN ('frameworkManager', 'buyer', 'contractManager', 'supplierRepresentative', 'auditor', 'admin')),
    granted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT membership_pkey PRIMARY KEY (organization_id, user_id, role)
);
CREATE INDEX membership_user_idx ON avrop.membership (user_id);

-- Row-level security, the second wall behind the service's policies. Owners bypass it (they run
-- migrations and the CLI's administration); avrop_app never does.
ALTER TABLE avrop.organization ENABLE ROW LEVEL SECURITY;
CREATE POLICY organization_public_read ON avrop.organization FOR SELECT TO avrop_app USING (true);

ALTER TABLE avrop.membership ENABLE ROW LEVEL SECURITY;
CREATE POLICY membership_same_organization ON avrop.membership FOR SELECT TO avrop_app
    USING (organization_id = avrop.current_org_id() OR user_id = avrop.current_user_id());

ALTER TABLE avrop.app_user ENABLE ROW LEVEL SECURITY;
-- A user sees themself and the members of the organisation they act for.
CREATE POLICY app_user_self_or_colleague ON avrop.app_user FOR SELECT TO avrop_app
    USING (
        id = avrop.current_user_id()
        OR EXISTS (SELECT 1 FROM avrop.membership m
                   WHERE m.user_id = app_user.id AND m.organization_id = avrop.current_org_id())
    );
CREATE POLICY app_user_self_update ON avrop.app_user FOR UPDATE TO avrop_app
    USING (id = avrop.current_user_id()) WITH CHECK (id = avrop.current_user_id());

-- The audit log: one hash chain per stream (an aggregate, e.g. 'call-off/<id>'), gap-free sequence
-- numbers, each event's hash = SHA-256(previous hash || canonical text of the event). The head row per
-- stream serialises appends to that stream only, so streams never wait on each other.
CREATE TABLE avrop.audit_stream (
    stream text CONSTRAINT audit_stream_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT audit_stream_organization_fkey REFERENCES avrop.organization,
    last_sequence bigint NOT NULL,
    last_hash bytea NOT NULL
);

CREATE TABLE avrop.audit_event (
    stream text NOT NULL CONSTRAINT audit_event_stream_fkey REFERENCES avrop.audit_stream,
    sequence bigint NOT NULL CONSTRAINT audit_event_sequence_check CHECK (sequence >= 1),
    occurred_at timestamptz NOT NULL,
    organization_id uuid,
    actor_user_id uuid,
    actor_organization_id uuid,
    action text NOT NULL CONSTRAINT audit_event_action_check CHECK (action ~ '^[a-z][a-zA-Z0-9.]*$'),
    data jsonb NOT NULL,
    previous_hash bytea NOT NULL,
    hash bytea NOT NULL,
    CONSTRAINT audit_event_pkey PRIMARY KEY (stream, sequence)
);
CREATE INDEX audit_event_organization_idx ON avrop.audit_event (organization_id, occurred_at);

-- The canonical text that is hashed. Fixed formats only (UTC timestamps to the microsecond, jsonb's own
-- normalised text), so that verification recomputes exactly the same bytes.
CREATE FUNCTION avrop.audit_canonical(
    stream text, sequence bigint, occurred_at timestamptz, organization_id uuid, actor_user_id uuid,
    actor_organization_id uuid, action text, data jsonb
) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT convert_to(concat_ws(E'\n',
            stream, sequence::text, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            coalesce(organization_id::text, ''), coalesce(actor_user_id::text, ''),
            coalesce(actor_organization_id::text, ''), action, data::text), 'UTF8')
    $$;

-- The only way to write the audit log: appends one event to its stream's chain and returns its sequence
-- number. Runs with its owner's rights, so avrop_app needs (and has) no INSERT, UPDATE or DELETE on the
-- audit tables. The actor comes from the transaction's settings, not from the caller.
CREATE FUNCTION avrop.audit_append(p_stream text, p_organization_id uuid, p_action text, p_data jsonb)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
    DECLARE
        v_sequence bigint;
        v_previous bytea;
        v_hash bytea;
        v_now timestamptz := clock_timestamp();
        v_user uuid := avrop.current_user_id();
        v_org uuid := avrop.current_org_id();
    BEGIN
        INSERT INTO avrop.audit_stream AS s (stream, organization_id, last_sequence, last_hash)
        VALUES (p_stream, p_organization_id, 0, '\x'::bytea)
        ON CONFLICT (stream) DO NOTHING;
        -- The head row lock orders appends within the stream.
        SELECT last_sequence + 1, last_hash INTO v_sequence, v_previous
        FROM avrop.audit_stream WHERE stream = p_stream FOR UPDATE;
        v_hash := sha256(v_previous || avrop.audit_canonical(p_stream, v_sequence, v_now, p_organization_id, v_user, v_org, p_action, p_data));
        INSERT INTO avrop.audit_event (stream, sequence, occurred_at, organization_id, actor_user_id,
                                       actor_organization_id, action, data, previous_hash, hash)
        VALUES (p_stream, v_sequence, v_now, p_organization_id, v_user, v_org, p_action, p_data, v_previous, v_hash);
        UPDATE avrop.audit_stream SET last_sequence = v_sequence, last_hash = v_hash WHERE stream = p_stream;
        RETURN v_sequence;
    END
    $$;
REVOKE ALL ON FUNCTION avrop.audit_append(text, uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.audit_append(text, uuid, text, jsonb) TO avrop_app;

-- Append-only for the application: reading under row-level security, writing only through audit_append.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON avrop.audit_event, avrop.audit_stream FROM avrop_app;
ALTER TABLE avrop.audit_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_event_own_organization ON avrop.audit_event FOR SELECT TO avrop_app
    USING (organization_id = avrop.current_org_id());
ALTER TABLE avrop.audit_stream ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_stream_own_organization ON avrop.audit_stream FOR SELECT TO avrop_app
    USING (organization_id = avrop.current_org_id());
