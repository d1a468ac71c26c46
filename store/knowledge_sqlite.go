package store

import (
	"context"
	"database/sql"
	"strings"
)

// The knowledge base's index on SQLite (0021_knowledge.sqlite.sql): the FTS5
// table kb_fts, whose rowid is a passage's id, written by the store in the
// transaction that writes the passages, and kb_vocab, its vocabulary.

func sqliteKBClear(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM kb_fts`)
	return err
}

func sqliteKBUnindex(ctx context.Context, tx *sql.Tx, docID int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM kb_fts WHERE rowid IN (SELECT id FROM kb_passages WHERE document_id = ?)`, docID)
	return err
}

func sqliteKBIndex(ctx context.Context, tx *sql.Tx, passageID int64, terms string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO kb_fts (rowid, terms) VALUES (?, ?)`, passageID, terms)
	return err
}

// sqliteKBVocabulary reads each term with the number of passages holding it.
const sqliteKBVocabulary = `SELECT term, doc FROM kb_vocab`

// sqliteKBCandidates is the query of passages holding any of terms, best
// first by FTS5's bm25.
func sqliteKBCandidates(cols string, terms []string, limit int) (string, []any) {
	match := `"` + strings.Join(terms, `" OR "`) + `"`
	return `SELECT ` + cols + ` FROM kb_fts f JOIN kb_passages p ON p.id = f.rowid JOIN kb_documents d ON d.id = p.document_id
			WHERE kb_fts MATCH ? ORDER BY bm25(kb_fts), p.id LIMIT ?`, []any{match, limit}
}
