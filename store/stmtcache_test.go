package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	c, err := newStmtCache("file:"+filepath.Join(t.TempDir(), "c.db")+"?_journal_mode=wal", false)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection, so every statement meets the cache

	// A script runs every statement, not just the first.
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (a INTEGER); CREATE TABLE u (b TEXT); INSERT INTO t VALUES (1), (2), (3);`); err != nil {
		t.Fatal(err)
	}
	count := func(q string, args ...any) int {
		var n int
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if count(`SELECT COUNT(*) FROM u`) != 0 || count(`SELECT COUNT(*) FROM t`) != 3 {
		t.Fatal("script not fully run")
	}
	// The same statement, reused, with different arguments.
	for i := 0; i < 50; i++ {
		if got := count(`SELECT COUNT(*) FROM t WHERE a <= ?`, i%4); got != i%4 {
			t.Fatalf("reuse %d: %d", i, got)
		}
	}
	// The same statement while its rows are still open, in one transaction.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT a FROM t ORDER BY a`)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for rows.Next() {
		var a int
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, `SELECT a FROM t ORDER BY a`)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			var b int
			_ = inner.Scan(&b)
			sum += a * b
		}
		inner.Close()
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if sum != 36 { // (1+2+3)²
		t.Fatalf("nested iteration sum %d, want 36", sum)
	}
	// A cached statement follows a schema change.
	cols := func() int {
		r, err := db.QueryContext(ctx, `SELECT * FROM t`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		c, _ := r.Columns()
		return len(c)
	}
	if cols() != 1 {
		t.Fatal("want one column")
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE t ADD COLUMN c TEXT`); err != nil {
		t.Fatal(err)
	}
	if cols() != 2 {
		t.Fatal("the cached SELECT * did not see the new column")
	}
	if _, err := db.ExecContext(ctx, `SELEC nonsense`); err == nil {
		t.Fatal("a syntax error passed")
	}
}
