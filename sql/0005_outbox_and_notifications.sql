-- 0005: notifications (issue 3). A change that people must hear about calls avrop.notify in its own
-- transaction: in-app notifications are rows at once; e-mails and webhooks go into the outbox, which
-- workers inside `avrop serve` claim with FOR UPDATE SKIP LOCKED, deliver, retry with backoff and
-- dead-letter after a limit.

ALTER TABLE avrop.app_user ADD COLUMN language text NOT NULL DEFAULT 'sv'
    CONSTRAINT app_user_language_check CHECK (language IN ('sv', 'en'));
GRANT SELECT (language) ON avrop.app_user TO avrop_app;

-- In-app notifications: one row per person; they read and mark their own.
CREATE TABLE avrop.notification (
    id uuid CONSTRAINT notification_pkey PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL CONSTRAINT notification_user_fkey REFERENCES avrop.app_user,
    kind text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    read_at timestamptz
);
CREATE INDEX notification_user_idx ON avrop.notification (user_id, created_at DESC, id DESC);
ALTER TABLE avrop.notification ENABLE ROW LEVEL SECURITY;
REVOKE INSERT, DELETE, TRUNCATE ON avrop.notification FROM avrop_app;
CREATE POLICY notification_own_read ON avrop.notification FOR SELECT TO avrop_app
    USING (user_id = avrop.current_user_id());
CREATE POLICY notification_own_mark ON avrop.notification FOR UPDATE TO avrop_app
    USING (user_id = avrop.current_user_id()) WITH CHECK (user_id = avrop.current_user_id());

-- Webhooks per organisation: their admins register them. The secret signs each delivery (HMAC-SHA256),
-- so it is kept as written; it is shown once and never listed.
CREATE TABLE avrop.webhook (
    id uuid CONSTRAINT webhook_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT webhook_organization_fkey REFERENCES avrop.organization,
    url text NOT NULL CONSTRAINT webhook_url_check CHECK (url ~ '^https?://[^[:space:]]+$' AND length(url) <= 2000),
    secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
ALTER TABLE avrop.webhook ENABLE ROW LEVEL SECURITY;
REVOKE SELECT ON avrop.webhook FROM avrop_app;
GRANT SELECT (id, organization_id, url, created_at, disabled_at) ON avrop.webhook TO avrop_app;
CREATE POLICY webhook_own_organization ON avrop.webhook FOR ALL TO avrop_app
    USING (organization_id = avrop.current_org_id()) WITH CHECK (organization_id = avrop.current_org_id());

-- What is still to be delivered. organization_id is the recipient's organisation, whose admins see its
-- dead letters.
CREATE TABLE avrop.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT outbox_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT outbox_organization_fkey REFERENCES avrop.organization,
    channel text NOT NULL CONSTRAINT outbox_channel_check CHECK (channel IN ('email', 'webhook')),
    recipient_user_id uuid CONSTRAINT outbox_user_fkey REFERENCES avrop.app_user,
    webhook_id uuid CONSTRAINT outbox_webhook_fkey REFERENCES avrop.webhook,
    kind text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    available_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    delivered_at timestamptz,
    dead_at timestamptz,
    CONSTRAINT outbox_target_check CHECK ((channel = 'email') = (recipient_user_id IS NOT NULL)
                                         AND (channel = 'webhook') = (webhook_id IS NOT NULL))
);
CREATE INDEX outbox_due_idx ON avrop.outbox (available_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
ALTER TABLE avrop.outbox ENABLE ROW LEVEL SECURITY;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON avrop.outbox FROM avrop_app;
CREATE POLICY outbox_own_organization ON avrop.outbox FOR SELECT TO avrop_app
    USING (organization_id = avrop.current_org_id());

-- Tells `kind` (with `data`) to `p_users` (in-app and by e-mail) and to the active webhooks of
-- `p_organizations`, in the caller's transaction. The service decides who may be told what before it
-- calls this; the function only writes.
CREATE FUNCTION avrop.notify(p_users uuid[], p_organizations uuid[], p_kind text, p_data jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
    BEGIN
        INSERT INTO avrop.notification (user_id, kind, data)
        SELECT u, p_kind, p_data FROM unnest(p_users) AS u;
        INSERT INTO avrop.outbox (organization_id, channel, recipient_user_id, kind, data)
        SELECT (SELECT m.organization_id FROM avrop.membership m WHERE m.user_id = u
                ORDER BY (m.organization_id = avrop.current_org_id()) DESC LIMIT 1),
               'email', u, p_kind, p_data
        FROM unnest(p_users) AS u;
        INSERT INTO avrop.outbox (organization_id, channel, webhook_id, kind, data)
        SELECT w.organization_id, 'webhook', w.id, p_kind, p_data
        FROM avrop.webhook w
        WHERE w.organization_id = ANY (p_organizations) AND w.disabled_at IS NULL;
    END
    $$;

-- A worker takes up to p_limit due messages of the channels it can deliver for p_lease: no other worker takes them meanwhile (SKIP
-- LOCKED while claiming, then the lease in available_at). A worker that dies mid-delivery leaves its
-- messages to be taken again when the lease ends.
CREATE FUNCTION avrop.outbox_claim(p_limit integer, p_lease interval, p_channels text[])
    RETURNS TABLE (id bigint, channel text, kind text, data jsonb, attempts integer,
                   email text, display_name text, language text, url text, secret text)
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        WITH due AS (
            SELECT o.id FROM avrop.outbox o
            WHERE o.delivered_at IS NULL AND o.dead_at IS NULL AND o.available_at <= clock_timestamp()
              AND o.channel = ANY (p_channels)
            ORDER BY o.available_at, o.id
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE avrop.outbox o SET available_at = clock_timestamp() + p_lease, attempts = o.attempts + 1
            FROM due WHERE o.id = due.id
            RETURNING o.*
        )
        SELECT c.id, c.channel, c.kind, c.data, c.attempts, u.email, u.display_name, u.language, w.url, w.secret
        FROM claimed c
        LEFT JOIN avrop.app_user u ON u.id = c.recipient_user_id
        LEFT JOIN avrop.webhook w ON w.id = c.webhook_id
        ORDER BY c.id
    $$;

CREATE FUNCTION avrop.outbox_delivered(p_id bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$ UPDATE avrop.outbox SET delivered_at = clock_timestamp(), last_error = NULL WHERE id = p_id $$;

-- A failed attempt: try again after p_retry_after, or dead-letter once p_max_attempts are spent.
CREATE FUNCTION avrop.outbox_failed(p_id bigint, p_error text, p_retry_after interval, p_max_attempts integer) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, avrop
    AS $$
        UPDATE avrop.outbox
        SET last_error = left(p_error, 500),
            available_at = clock_timestamp() + p_retry_after,
            dead_at = CASE WHEN attempts >= p_max_attempts THEN clock_timestamp() END
        WHERE id = p_id
    $$;

REVOKE ALL ON FUNCTION avrop.notify(uuid[], uuid[], text, jsonb), avrop.outbox_claim(integer, interval, text[]),
    avrop.outbox_delivered(bigint), avrop.outbox_failed(bigint, text, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION avrop.notify(uuid[], uuid[], text, jsonb), avrop.outbox_claim(integer, interval, text[]),
    avrop.outbox_delivered(bigint), avrop.outbox_failed(bigint, text, interval, integer) TO avrop_app;
