-- Contact hygiene: a debtor's phone that cannot be reached (the provider
-- rejected it, not on WhatsApp, a wrong number, an unsubscribe), why, and
-- since when. Business-initiated contact stops; the creditor exports the list
-- (acuerdo export --hygiene) to fix its records.
ALTER TABLE debtors ADD COLUMN unreachable_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE debtors ADD COLUMN unreachable_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE debtors ADD COLUMN unreachable_at TIMESTAMP;
CREATE INDEX debtors_unreachable ON debtors (unreachable_at) WHERE unreachable_reason <> '';
