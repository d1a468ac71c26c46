-- The creditor's core-system API and the event webhooks sent back to it.

-- API keys: only a SHA-256 hash of the key is kept; the key itself is shown
-- once, when created. prefix (the key's first characters) names a key in lists
-- and logs without revealing it.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

-- The event outbox: one row per event, written in the transaction of the
-- change it reports, so an event exists exactly when its change does. Workers
-- claim rows with a lease; stream orders delivery (one debtor's events go out
-- in id order, an event waits while an earlier one of its stream is pending).
-- state: pending -> delivered, or failed after the last attempt.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE, -- stable id sent with every attempt, for the receiver's deduplication
    type         TEXT NOT NULL,
    stream       TEXT NOT NULL,        -- d<debtor id>, or c<conversation id> for numbers outside the portfolio
    debtor_id    INTEGER,
    payload      TEXT NOT NULL,        -- the JSON body, fixed at creation
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TIMESTAMP NOT NULL,
    lease_until  TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_status  INTEGER NOT NULL DEFAULT 0, -- the receiver's HTTP status of the last attempt, 0 when none came
    last_error   TEXT NOT NULL DEFAULT '',
    -- The receivers (of ACUERDO_WEBHOOK_URLS) that have acknowledged it, one
    -- per line: a retry goes only to the others.
    delivered_to TEXT NOT NULL DEFAULT '',
    delivered_at TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX events_due ON events (state, next_at);
CREATE INDEX events_stream ON events (stream, id);
CREATE INDEX events_debtor ON events (debtor_id);
CREATE INDEX events_recent ON events (last_attempt_at);
