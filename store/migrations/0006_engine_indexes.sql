-- Claiming a turn orders pending turns by due time; without this index every
-- claim scanned and sorted the whole table, which capped turns per second.
CREATE INDEX pending_turns_due ON pending_turns (due_at);
-- Stale sends are found by when they started.
CREATE INDEX outbox_sending ON outbox (state, sending_at);
