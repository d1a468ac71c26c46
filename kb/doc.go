// Package kb is the creditor's knowledge base: it reads the creditor's own
// FAQ and policy documents (Markdown, plain text, PDF) into passages, analyses
// their words the same way for every backend, and ranks the passages a
// full-text search returns for a debtor's question. It holds no state and
// does no I/O of its own beyond what its consumer hands it: storage and the
// full-text index live in package store (SQLite FTS5, PostgreSQL tsvector).
package kb
