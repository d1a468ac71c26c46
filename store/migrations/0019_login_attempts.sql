-- Sign-in attempts per email and per client address, counted in fixed
-- windows. An attempt is reserved here before its password is hashed, by one
-- upsert that refuses once the window's count is reached; the row lock of the
-- upsert serializes concurrent attempts on SQLite and PostgreSQL alike, so a
-- burst of parallel guesses cannot all pass a count read beforehand (which is
-- what login_failures allowed).
CREATE TABLE login_attempts (
    key          TEXT PRIMARY KEY, -- "email:…" or "addr:…"
    window_start TIMESTAMP NOT NULL,
    n            INTEGER NOT NULL
);
DROP TABLE login_failures;
