package store

import (
	"strings"
	"testing"
)

func TestNumberPlaceholders(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c IN (?,?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2,$3)`},
		{`SELECT '?' || ? FROM t`, `SELECT '?' || $1 FROM t`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`SELECT "col?" FROM t WHERE x = ?`, `SELECT "col?" FROM t WHERE x = $1`},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{`SELECT ? /* a ? here */ , ?`, `SELECT $1 /* a ? here */ , $2`},
		{`x LIKE ? ESCAPE '\' OR y LIKE ? ESCAPE '\'`, `x LIKE $1 ESCAPE '\' OR y LIKE $2 ESCAPE '\'`},
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
	} {
		if got := pgPlaceholders(tc.in); got != tc.want {
			t.Errorf("pgPlaceholders(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzNumberPlaceholders: outside quotes and comments every ? becomes the next
// $n, and nothing else changes.
func FuzzNumberPlaceholders(f *testing.F) {
	f.Add(`SELECT ? FROM t WHERE a = '?' AND b = ?`)
	f.Add("-- ?\n?")
	f.Add(`/* ? */ "?" ?`)
	f.Fuzz(func(t *testing.T, q string) {
		out := numberPlaceholders(q)
		if !strings.Contains(q, "?") && out != q {
			t.Fatalf("changed a query without placeholders: %q -> %q", q, out)
		}
		if strings.Count(out, "?") > strings.Count(q, "?") {
			t.Fatalf("more ? after: %q -> %q", q, out)
		}
	})
}

func TestSQLiteSQLDropsRowLocks(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE id = ? FOR UPDATE`, `SELECT a FROM t WHERE id = ?`},
		{"SELECT a FROM t o ORDER BY id LIMIT ? FOR UPDATE OF o SKIP LOCKED", "SELECT a FROM t o ORDER BY id LIMIT ?"},
		{`SELECT COUNT(*) FROM (SELECT id FROM users WHERE x FOR UPDATE) admins`, `SELECT COUNT(*) FROM (SELECT id FROM users WHERE x) admins`},
		{`SELECT 1`, `SELECT 1`},
	} {
		if got := sqliteSQL(tc.in); got != tc.want {
			t.Errorf("sqliteSQL(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
