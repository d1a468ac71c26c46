-- Debtors made up by acuerdo (the --demo portfolio, simulated pilots) rather
-- than imported from a creditor: serve --demo, which prints passwords, opens
-- the dashboard without a token and lists debtors in /sandbox, refuses a
-- database holding any debtor that is not synthetic.
ALTER TABLE debtors ADD COLUMN synthetic BOOLEAN NOT NULL DEFAULT FALSE;
