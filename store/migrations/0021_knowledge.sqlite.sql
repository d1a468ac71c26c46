-- The creditor's documents (FAQ, policies) the agent answers questions from,
-- cut into passages (package kb). A passage's terms are analysed in Go, so
-- the full-text index only splits them at spaces: FTS5 here, a tsvector on
-- PostgreSQL (0021_knowledge.postgres.sql), the same words on both.
CREATE TABLE kb_documents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL
);

CREATE TABLE kb_passages (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    heading TEXT NOT NULL,
    body TEXT NOT NULL,
    terms TEXT NOT NULL,
    length INTEGER NOT NULL
);
CREATE INDEX kb_passages_document ON kb_passages (document_id, seq);

-- The index: its rowid is the passage's id. Kept in step by the store, in
-- the transaction that writes the passages.
CREATE VIRTUAL TABLE kb_fts USING fts5 (terms, tokenize = 'unicode61');
-- Each term with the number of passages holding it (for ranking and for
-- correcting typos against the documents' own words).
CREATE VIRTUAL TABLE kb_vocab USING fts5vocab (kb_fts, 'row');
