-- The operator console: people who sign in, their server-side sessions, the
-- login attempts that rate limiting counts, and what a person does with a case.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE, -- lower case
    name          TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,        -- admin, operator
    password_hash TEXT NOT NULL,        -- bcrypt
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

-- A session is known by the SHA-256 of its cookie, so a copy of the database
-- gives no one a way in. One row per user at most: a new login ends the old one.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    csrf         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins, counted per email and per address over a sliding window.
-- In the database rather than memory so that replicas and restarts share them.
CREATE TABLE login_failures (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL,
    ip         TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, created_at);
CREATE INDEX login_failures_ip ON login_failures (ip, created_at);

-- When an operator took the case, and the note they closed it with.
ALTER TABLE cases ADD COLUMN claimed_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_conversation ON cases (conversation_id);
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX messages_created ON messages (created_at);
