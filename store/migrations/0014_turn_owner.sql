-- Who holds a pending turn's lease: a random token per claim. A worker renews
-- its lease while the turn runs and may record the turn only while the token is
-- still its own; a worker whose lease lapsed and was claimed by another
-- discards its reply instead of queuing a second answer.
ALTER TABLE pending_turns ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
