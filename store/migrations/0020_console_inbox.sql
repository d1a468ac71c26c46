-- A session ended because its user signed in on another device (the console
-- allows one device per user) is kept, marked, until the old device comes
-- back, so that device can be told why it was signed out.
ALTER TABLE sessions ADD COLUMN replaced_at TIMESTAMP;

-- When each user last read each case: a case whose debtor wrote since is
-- unread for them.
CREATE TABLE case_reads (
    user_id INTEGER NOT NULL REFERENCES users (id),
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, case_id)
);

-- Labels the team puts on cases ("promesa-viernes", "vip"): free words,
-- lower case, one row per label of a case.
CREATE TABLE case_labels (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, label)
);

-- Canned responses admins write per language; operators insert one in the
-- reply box by typing its shortcut ("/saludo").
CREATE TABLE canned_responses (
    id INTEGER PRIMARY KEY,
    locale TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (locale, shortcut)
);
