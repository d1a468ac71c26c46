-- What the agent agreed with debtors. Policy limits count past agreements (a date
-- change once per 90 days, a pause once per 12 months), so each is a row.
CREATE TABLE negotiations (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    conversation_id INTEGER REFERENCES conversations (id),
    kind            TEXT NOT NULL, -- date_change, pause
    old_value       TEXT NOT NULL DEFAULT '',
    new_value       TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX negotiations_account ON negotiations (account_id, kind, created_at);

-- A paused account gets no business-initiated contact until this date.
ALTER TABLE accounts ADD COLUMN paused_until TEXT;

-- Plans as offered: the installments proposed, so that accepting one by id
-- confirms exactly what the debtor saw.
ALTER TABLE plans ADD COLUMN schedule TEXT NOT NULL DEFAULT '';

-- When the conversation was verified; verification lapses with the conversation.
ALTER TABLE conversations ADD COLUMN verified_at TIMESTAMP;
ALTER TABLE conversations ADD COLUMN failed_verifications INTEGER NOT NULL DEFAULT 0;
