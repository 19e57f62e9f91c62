-- 0017: the outbox's workers wake when messages are committed instead of at their next poll. One
-- notification per transaction that wrote to the outbox (PostgreSQL folds equal notifications of a
-- transaction into one), sent at commit, so a worker never looks before the messages are visible.

CREATE FUNCTION avrop.outbox_wake_up() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
        BEGIN
            PERFORM pg_notify('avrop_outbox', '');
            RETURN NULL;
        END
    $$;
CREATE TRIGGER outbox_wake_up AFTER INSERT ON avrop.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION avrop.outbox_wake_up();
