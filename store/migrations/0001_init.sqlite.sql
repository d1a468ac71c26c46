-- acuerdo schema, version 1, for SQLite.
-- The statements the Go code runs are portable SQL; this DDL is nearly so, and a
-- PostgreSQL backend gets its own copy where the two differ (INTEGER PRIMARY KEY
-- becomes an identity column, WITHOUT ROWID is dropped). Times are TIMESTAMP
-- columns holding UTC instants (integer microseconds on SQLite).

CREATE TABLE debtors (
    id          INTEGER PRIMARY KEY,
    phone       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    document_id TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL DEFAULT '',
    time_zone   TEXT NOT NULL DEFAULT '',
    locale      TEXT NOT NULL DEFAULT '',
    segment     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE accounts (
    id                 INTEGER PRIMARY KEY,
    debtor_id          INTEGER NOT NULL REFERENCES debtors (id),
    ref                TEXT NOT NULL UNIQUE,
    currency           TEXT NOT NULL,
    -- NULL where the creditor's file did not say (the original bot's three-column
    -- file has no balance); a re-import that omits a value keeps the known one.
    balance            BIGINT CHECK (balance >= 0),
    balance_as_of      TIMESTAMP NOT NULL,
    installment_amount BIGINT CHECK (installment_amount >= 0),
    next_due_date      TEXT,
    days_past_due      INTEGER,
    status             TEXT NOT NULL DEFAULT 'open',
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX accounts_debtor ON accounts (debtor_id);

CREATE TABLE consents (
    debtor_id  INTEGER NOT NULL REFERENCES debtors (id),
    channel    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    source     TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    PRIMARY KEY (debtor_id, channel, scope)
) WITHOUT ROWID;

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    debtor_id       INTEGER REFERENCES debtors (id),
    phone           TEXT NOT NULL,
    channel         TEXT NOT NULL,
    locale          TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT '',
    verified        BOOLEAN NOT NULL DEFAULT FALSE,
    paused          BOOLEAN NOT NULL DEFAULT FALSE,
    opted_out       BOOLEAN NOT NULL DEFAULT FALSE,
    last_inbound_at TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (channel, phone)
);
CREATE INDEX conversations_debtor ON conversations (debtor_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    direction       TEXT NOT NULL,
    author          TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    provider_id     TEXT,
    template_id     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    error_code      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
-- The provider's message id (Twilio's MessageSid) is the idempotency key: a
-- webhook delivered twice finds its message already stored.
CREATE UNIQUE INDEX messages_provider_id ON messages (provider_id) WHERE provider_id IS NOT NULL;

CREATE TABLE plans (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    conversation_id INTEGER REFERENCES conversations (id),
    installments    INTEGER NOT NULL,
    total           BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    accepted_at     TIMESTAMP
);

CREATE TABLE installments (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    plan_id    INTEGER REFERENCES plans (id),
    seq        INTEGER NOT NULL,
    due_date   TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    status     TEXT NOT NULL
);
CREATE INDEX installments_account ON installments (account_id);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    debtor_id       INTEGER REFERENCES debtors (id),
    account_id      INTEGER REFERENCES accounts (id),
    reason          TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,
    assignee_id     INTEGER,
    amount          BIGINT,
    currency        TEXT NOT NULL DEFAULT '',
    payment_method  TEXT NOT NULL DEFAULT '',
    comments        TEXT NOT NULL DEFAULT '',
    useful          BOOLEAN,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    closed_at       TIMESTAMP
);
CREATE INDEX cases_state ON cases (state, priority, created_at);

CREATE TABLE promises (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    conversation_id INTEGER REFERENCES conversations (id),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    resolved_at     TIMESTAMP
);
CREATE INDEX promises_account ON promises (account_id, status);

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL,
    paid_at     TIMESTAMP NOT NULL,
    method      TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX payments_account ON payments (account_id, paid_at);

CREATE TABLE experiments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    salt         TEXT NOT NULL,
    treatment    DOUBLE PRECISION NOT NULL,
    stratify     TEXT NOT NULL DEFAULT '',
    filter       TEXT NOT NULL DEFAULT '',
    horizon_days INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    launched_at  TIMESTAMP
);

CREATE TABLE assignments (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id),
    debtor_id     INTEGER NOT NULL REFERENCES debtors (id),
    arm           TEXT NOT NULL,
    bucket        INTEGER NOT NULL,
    stratum       TEXT NOT NULL,
    assigned_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (experiment_id, debtor_id)
);

-- Every decision the agent, the policy or an admin takes, allowed or refused.
CREATE TABLE audit (
    id              INTEGER PRIMARY KEY,
    time            TIMESTAMP NOT NULL,
    conversation_id INTEGER,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    rule            TEXT NOT NULL DEFAULT '',
    args            TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_conversation ON audit (conversation_id, id);
