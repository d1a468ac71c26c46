-- Workers on every replica wake when work appears (store/notify.go): a turn
-- becomes claimable (queued, or released by its worker), a message becomes
-- pending, an event is added. Notifications are sent at commit, and several
-- of one transaction on one channel arrive as one.
CREATE FUNCTION acuerdo_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER pending_turns_notify AFTER INSERT OR UPDATE OF lease_until ON pending_turns
    FOR EACH ROW WHEN (NEW.lease_until IS NULL) EXECUTE FUNCTION acuerdo_notify('acuerdo_turns');
CREATE TRIGGER outbox_notify AFTER INSERT OR UPDATE OF state ON outbox
    FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION acuerdo_notify('acuerdo_outbox');
CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION acuerdo_notify('acuerdo_events');
