-- The engine's durable work. Everything that must survive a crash or be shared by
-- replicas is a row claimed with a lease; in-memory queues only wake workers up.

-- A conversation with inbound messages not yet answered. One row per
-- conversation: messages that arrive while its turn runs fold into the next turn.
CREATE TABLE pending_turns (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id),
    due_at          TIMESTAMP NOT NULL,
    lease_until     TIMESTAMP,
    attempts        INTEGER NOT NULL DEFAULT 0
);

-- Inbound messages a turn has answered.
ALTER TABLE messages ADD COLUMN handled BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX messages_unhandled ON messages (conversation_id) WHERE handled = FALSE;

-- Every outbound message is a row before it is sent. state: pending → sending →
-- sent, or failed / held. "sending" is written (and committed) before the
-- provider is called, so after a crash a row in that state is reconciled with
-- the provider instead of sent again.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL REFERENCES messages (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    recipient       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    template        TEXT NOT NULL DEFAULT '',  -- a template name of the catalogue, when not free text
    variables       TEXT NOT NULL DEFAULT '',  -- JSON
    business        BOOLEAN NOT NULL DEFAULT FALSE, -- business-initiated (contact policy applies)
    state           TEXT NOT NULL,
    not_before      TIMESTAMP NOT NULL,
    lease_until     TIMESTAMP,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sending_at      TIMESTAMP,
    provider_id     TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, not_before);
CREATE INDEX outbox_conversation ON outbox (conversation_id, id);

-- Receipts and other media the debtor sent, downloaded from the provider.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages (id),
    case_id      INTEGER REFERENCES cases (id),
    url          TEXT NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    data         BLOB,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX media_message ON media (message_id);

-- A status callback can beat the write of the provider's id (the provider
-- answers the send and calls back at once); it waits here until the id lands.
CREATE TABLE early_statuses (
    provider_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    error_code  TEXT NOT NULL DEFAULT '',
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX early_statuses_provider ON early_statuses (provider_id);

-- Inactivity nudges sent since the debtor last wrote (0, 1 = "still there?", 2 = closed).
ALTER TABLE conversations ADD COLUMN nudges INTEGER NOT NULL DEFAULT 0;
-- Reminders already queued for a promise.
ALTER TABLE promises ADD COLUMN reminded_at TIMESTAMP;
