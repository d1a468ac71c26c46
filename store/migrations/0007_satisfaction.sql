-- Post-contact satisfaction: one question (1-5) when a conversation ends.
CREATE TABLE satisfaction (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    debtor_id       INTEGER REFERENCES debtors (id),
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX satisfaction_debtor ON satisfaction (debtor_id);
-- When the question was last asked, so a debtor is not asked again and again.
ALTER TABLE conversations ADD COLUMN survey_at TIMESTAMP;
