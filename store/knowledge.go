package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// The knowledge base: the creditor's documents and their passages, with a
// full-text index over the passages' analysed terms (package kb analyses;
// the store only stores and matches). The index differs by backend — an
// FTS5 table on SQLite, a generated tsvector with a GIN index on PostgreSQL
// (migrations 0021) — and both match the same space-separated terms. Each
// backend's index SQL is in its own file: knowledge_sqlite.go and
// knowledge_postgres.go.

// ReplaceKnowledge replaces every document with docs, in one transaction:
// either the whole new set is searchable or nothing changed.
func (db *DB) ReplaceKnowledge(ctx context.Context, docs []acuerdo.KnowledgeDoc, audit ...acuerdo.AuditEntry) error {
	names := map[string]bool{}
	for _, d := range docs {
		if names[d.Name] {
			return acuerdo.Errorf(acuerdo.EINVALID, "two documents are named %s; rename one", d.Name)
		}
		names[d.Name] = true
	}
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if !db.pg {
			if err := sqliteKBClear(ctx, tx); err != nil {
				return fmt.Errorf("clear the knowledge index: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kb_passages`); err != nil {
			return fmt.Errorf("clear the knowledge base: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kb_documents`); err != nil {
			return fmt.Errorf("clear the knowledge base: %w", err)
		}
		for _, d := range docs {
			if err := db.insertDoc(ctx, tx, d, now); err != nil {
				return err
			}
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// PutKnowledgeDoc adds a document, or replaces the one of the same name
// (the console's upload), and returns its id.
func (db *DB) PutKnowledgeDoc(ctx context.Context, doc acuerdo.KnowledgeDoc, audit ...acuerdo.AuditEntry) (int64, error) {
	now := db.now()
	var id int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var old int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM kb_documents WHERE name = ? FOR UPDATE`, doc.Name).Scan(&old)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		default:
			if err := db.deleteDoc(ctx, tx, old); err != nil {
				return err
			}
		}
		if id, err = db.insertDocID(ctx, tx, doc, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
	return id, err
}

// DeleteKnowledgeDoc removes a document and its passages.
func (db *DB) DeleteKnowledgeDoc(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM kb_documents WHERE id = ? FOR UPDATE`, id).Scan(&n); err != nil {
			return notFound(err, "no document %d in the knowledge base", id)
		}
		if err := db.deleteDoc(ctx, tx, id); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, db.now())
	})
}

func (db *DB) deleteDoc(ctx context.Context, tx *sql.Tx, id int64) error {
	if !db.pg {
		if err := sqliteKBUnindex(ctx, tx, id); err != nil {
			return fmt.Errorf("remove document %d from the index: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM kb_passages WHERE document_id = ?`, id); err != nil {
		return fmt.Errorf("remove document %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM kb_documents WHERE id = ?`, id); err != nil {
		return fmt.Errorf("remove document %d: %w", id, err)
	}
	return nil
}

func (db *DB) insertDoc(ctx context.Context, tx *sql.Tx, d acuerdo.KnowledgeDoc, now time.Time) error {
	_, err := db.insertDocID(ctx, tx, d, now)
	return err
}

func (db *DB) insertDocID(ctx context.Context, tx *sql.Tx, d acuerdo.KnowledgeDoc, now time.Time) (int64, error) {
	if len(d.Passages) == 0 {
		return 0, acuerdo.Errorf(acuerdo.EINVALID, "%s has no passages", d.Name)
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO kb_documents (name, title, lang, format, sha256, bytes, imported_at) VALUES (?,?,?,?,?,?,?) RETURNING id`,
		d.Name, d.Title, d.Lang, d.Format, d.SHA256, d.Bytes, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store document %s: %w", d.Name, err)
	}
	for _, p := range d.Passages {
		var pid int64
		err := tx.QueryRowContext(ctx, `INSERT INTO kb_passages (document_id, seq, heading, body, terms, length) VALUES (?,?,?,?,?,?) RETURNING id`,
			id, p.Seq, p.Heading, p.Text, p.Terms, len(strings.Fields(p.Terms))).Scan(&pid)
		if err != nil {
			return 0, fmt.Errorf("store %s, passage %d: %w", d.Name, p.Seq, err)
		}
		if !db.pg {
			if err := sqliteKBIndex(ctx, tx, pid, p.Terms); err != nil {
				return 0, fmt.Errorf("index %s, passage %d: %w", d.Name, p.Seq, err)
			}
		}
	}
	return id, nil
}

// KnowledgeDocs lists the documents, by name, with their passage counts.
func (db *DB) KnowledgeDocs(ctx context.Context) ([]acuerdo.KnowledgeDoc, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, d.name, d.title, d.lang, d.format, d.sha256, d.bytes, d.imported_at,
		(SELECT COUNT(*) FROM kb_passages p WHERE p.document_id = d.id) FROM kb_documents d ORDER BY d.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []acuerdo.KnowledgeDoc
	for rows.Next() {
		var d acuerdo.KnowledgeDoc
		if err := rows.Scan(&d.ID, &d.Name, &d.Title, &d.Lang, &d.Format, &d.SHA256, &d.Bytes, &d.ImportedAt, &d.Count); err != nil {
			return nil, err
		}
		d.ImportedAt = d.ImportedAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// KnowledgeDoc returns one document with its passages.
func (db *DB) KnowledgeDoc(ctx context.Context, id int64) (acuerdo.KnowledgeDoc, error) {
	var d acuerdo.KnowledgeDoc
	err := db.read.QueryRowContext(ctx, `SELECT id, name, title, lang, format, sha256, bytes, imported_at FROM kb_documents WHERE id = ?`, id).
		Scan(&d.ID, &d.Name, &d.Title, &d.Lang, &d.Format, &d.SHA256, &d.Bytes, &d.ImportedAt)
	if err != nil {
		return d, notFound(err, "no document %d in the knowledge base", id)
	}
	d.ImportedAt = d.ImportedAt.UTC()
	rows, err := db.read.QueryContext(ctx, `SELECT id, seq, heading, body, terms FROM kb_passages WHERE document_id = ? ORDER BY seq`, id)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		p := acuerdo.KnowledgePassage{DocID: id}
		if err := rows.Scan(&p.ID, &p.Seq, &p.Heading, &p.Text, &p.Terms); err != nil {
			return d, err
		}
		d.Passages = append(d.Passages, p)
	}
	d.Count = len(d.Passages)
	return d, rows.Err()
}

// KnowledgeVersion changes whenever the passages change: passage ids only
// grow, so a replaced document raises the highest, a removed one lowers the count.
func (db *DB) KnowledgeVersion(ctx context.Context) (string, error) {
	var n, max int64
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM kb_passages`).Scan(&n, &max); err != nil {
		return "", err
	}
	return strconv.FormatInt(n, 10) + ":" + strconv.FormatInt(max, 10), nil
}

// KnowledgeVocabulary returns each indexed term with the number of passages
// holding it, the number of passages and their mean length in terms.
func (db *DB) KnowledgeVocabulary(ctx context.Context) (map[string]int, int, float64, error) {
	var n int
	var mean sql.NullFloat64
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), AVG(length) FROM kb_passages`).Scan(&n, &mean); err != nil {
		return nil, 0, 0, err
	}
	q := sqliteKBVocabulary
	if db.pg {
		q = pgKBVocabulary
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("knowledge vocabulary: %w", err)
	}
	defer rows.Close()
	df := map[string]int{}
	for rows.Next() {
		var t string
		var c int
		if err := rows.Scan(&t, &c); err != nil {
			return nil, 0, 0, err
		}
		df[t] = c
	}
	return df, n, mean.Float64, rows.Err()
}

// KnowledgeCandidates returns up to limit passages holding any of terms
// (words as package kb analyses them: [a-z0-9]+), best matches first by the
// backend's own ranking (FTS5's bm25, PostgreSQL's ts_rank), with their
// documents. Package kb ranks them again, the same way on both backends.
func (db *DB) KnowledgeCandidates(ctx context.Context, terms []string, limit int) ([]acuerdo.KnowledgeHit, error) {
	var clean []string
	for _, t := range terms {
		if t != "" && strings.Trim(t, "abcdefghijklmnopqrstuvwxyz0123456789") == "" {
			clean = append(clean, t)
		}
	}
	if len(clean) == 0 {
		return nil, nil
	}
	const cols = `p.id, p.document_id, p.seq, p.heading, p.body, p.terms, d.name, d.title, d.lang, d.format`
	q, args := sqliteKBCandidates(cols, clean, limit)
	if db.pg {
		q, args = pgKBCandidates(cols, clean, limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search the knowledge base: %w", err)
	}
	defer rows.Close()
	var out []acuerdo.KnowledgeHit
	for rows.Next() {
		var h acuerdo.KnowledgeHit
		p := &h.Passage
		if err := rows.Scan(&p.ID, &p.DocID, &p.Seq, &p.Heading, &p.Text, &p.Terms, &h.Doc.Name, &h.Doc.Title, &h.Doc.Lang, &h.Doc.Format); err != nil {
			return nil, err
		}
		h.Doc.ID = p.DocID
		out = append(out, h)
	}
	return out, rows.Err()
}
