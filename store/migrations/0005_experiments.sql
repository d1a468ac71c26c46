-- Pilots: the planned arms, what each debtor brought into the experiment, and
-- whether the treatment's first contact was queued.

-- One row per arm with its planned share, so the sample-ratio check always
-- compares with what was planned, whatever the number of arms.
CREATE TABLE experiment_arms (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id),
    name          TEXT NOT NULL,
    share         DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (experiment_id, name)
);

-- An experiment compares money in one currency; its accounts in other
-- currencies are not part of it.
ALTER TABLE experiments ADD COLUMN currency TEXT NOT NULL DEFAULT '';

-- The placed balance (minor units; NULL when the creditor never said) and days
-- past due at assignment. Balances change as payments arrive, so the report
-- reads the snapshot, never today's balance.
ALTER TABLE assignments ADD COLUMN placed BIGINT;
ALTER TABLE assignments ADD COLUMN days_past_due INTEGER;
-- When the first contact was queued (treatment only): set once, in the same
-- transaction as the message, so launching twice never writes twice.
ALTER TABLE assignments ADD COLUMN launched_at TIMESTAMP;
-- Why a treatment debtor was not contacted on the last launch (no_consent,
-- opted_out, erased), empty once queued.
ALTER TABLE assignments ADD COLUMN launch_note TEXT NOT NULL DEFAULT '';
CREATE INDEX assignments_debtor ON assignments (debtor_id);
