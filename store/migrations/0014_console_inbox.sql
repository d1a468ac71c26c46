-- A session ended because its user signed in on another device (the console
-- allows one device per user) is kept, marked, until the old device comes
-- back, so that device can be told why it was signed out.
ALTER TABLE sessions ADD COLUMN replaced_at TIMESTAMP;
