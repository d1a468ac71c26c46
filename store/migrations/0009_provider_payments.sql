-- Links made through a payment provider (Stripe, MercadoPago): what each was
-- for. A provider's "paid" is checked against this amount, never trusted alone.
CREATE TABLE provider_links (
    id          INTEGER PRIMARY KEY,
    provider    TEXT NOT NULL,
    reference   TEXT NOT NULL,          -- ours: client_reference_id / external_reference
    provider_id TEXT NOT NULL DEFAULT '', -- theirs: checkout session / preference id
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    debtor_id   INTEGER REFERENCES debtors (id),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (provider, reference)
);
CREATE INDEX provider_links_account ON provider_links (account_id);

-- Webhook events already acted on, so a redelivered event is acknowledged
-- without being applied twice.
CREATE TABLE provider_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    payment_id  INTEGER REFERENCES payments (id),
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, event_id)
);
