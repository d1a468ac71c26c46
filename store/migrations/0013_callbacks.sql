-- A call-back case (reason callback) carries the slot a person is to call at
-- (UTC, inside the debtor's contact hours) and the number to call; the inbox
-- sorts call-backs by their slot.
ALTER TABLE cases ADD COLUMN callback_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN callback_phone TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_callback_at ON cases (callback_at) WHERE callback_at IS NOT NULL;
