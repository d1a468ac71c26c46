package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"acuerdo/store/storetest"
)

// SQL that only one backend understands. A statement of the store is written
// once for both (store/dialect.go); what one backend spells its own way lives
// in that backend's files, so each backend is easy to find and a statement
// that works on the developer's SQLite cannot fail on a customer's
// PostgreSQL (or the reverse) only in production.
var (
	sqliteOnly = regexp.MustCompile(`(?i)\b(datetime|strftime|julianday|unixepoch|ifnull|printf|group_concat|instr|typeof|total|iif|randomblob|last_insert_rowid|json_extract|json_each|json_group_array)\s*\(` +
		`|\bINSERT\s+OR\s+(IGNORE|REPLACE|ABORT|FAIL|ROLLBACK)\b|\bREPLACE\s+INTO\b|\bCOLLATE\s+NOCASE\b|\browid\b|\bGLOB\b|\bPRAGMA\b|\bsqlite_\w+|\bAUTOINCREMENT\b|\bWITHOUT\s+ROWID\b|\bBEGIN\s+IMMEDIATE\b|\bATTACH\s+DATABASE\b` +
		// full-text search: FTS5
		`|\bMATCH\s+\?|\bbm25\s*\(|\bfts5|\bVIRTUAL\s+TABLE\b` +
		// scalar max/min of two values: PostgreSQL spells them GREATEST and LEAST
		`|\b(MAX|MIN)\s*\([^(),]*,[^(),]*\)`)
	postgresOnly = regexp.MustCompile(`(?i)::\s*[a-z]|\bILIKE\b|\bpg_\w+\s*\(|\bNOW\s*\(\s*\)|\b(GREATEST|LEAST|to_char|date_trunc|string_agg|array_agg|jsonb_\w+|translate)\s*\(` +
		`|\bDISTINCT\s+ON\b|@@|\b(to_tsquery|to_tsvector|plainto_tsquery|ts_rank|ts_stat)\b|\bTSVECTOR\b|\bLISTEN\s+\w|\bNOTIFY\s+\w|\bCOPY\s+\w+\s*\(|\b(SERIAL|BIGSERIAL|BYTEA|TIMESTAMPTZ|JSONB)\b|\bINTERVAL\s+'`)
)

// The files where one backend's own SQL may be written: these, and any
// *_sqlite.go or *_postgres.go (knowledge_sqlite.go, imports_postgres.go).
var (
	sqliteFiles   = map[string]bool{"dialect.go": true, "sqlite.go": true, "stmtcache.go": true}
	postgresFiles = map[string]bool{"dialect.go": true, "postgres.go": true, "pgdriver.go": true, "locks.go": true, "notify.go": true}
)

// TestNoDialectSQLOutsideItsFiles reads every string literal of the store's
// Go files and every shared migration, and fails on SQL that only SQLite or
// only PostgreSQL understands outside that backend's files.
func TestNoDialectSQLOutsideItsFiles(t *testing.T) {
	if storetest.PostgresURL() != "" {
		t.Skip("reads source files, not a database: the SQLite pass ran it")
	}
	goFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range goFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			checked++
			checkDialect(t, fset.Position(lit.Pos()).String(), name, s)
			return true
		})
	}
	for _, dir := range []string{"migrations"} {
		sqls, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range sqls {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Base(p)
			switch {
			case strings.HasSuffix(base, ".sqlite.sql"):
				checkOnly(t, p, postgresOnly, "PostgreSQL", stripSQLComments(string(b)))
			case strings.HasSuffix(base, ".postgres.sql"):
				checkOnly(t, p, sqliteOnly, "SQLite", stripSQLComments(string(b)))
			default:
				checkOnly(t, p, sqliteOnly, "SQLite", stripSQLComments(string(b)))
				checkOnly(t, p, postgresOnly, "PostgreSQL", stripSQLComments(string(b)))
			}
			checked++
		}
	}
	if checked < 500 {
		t.Fatalf("only %d literals and files checked: is the test still reading the store's sources?", checked)
	}
}

func checkDialect(t *testing.T, pos, file, s string) {
	t.Helper()
	if !sqliteFiles[file] && !strings.HasSuffix(file, "_sqlite.go") {
		checkOnly(t, pos, sqliteOnly, "SQLite", s)
	}
	if !postgresFiles[file] && !strings.HasSuffix(file, "_postgres.go") {
		checkOnly(t, pos, postgresOnly, "PostgreSQL", s)
	}
}

func checkOnly(t *testing.T, where string, re *regexp.Regexp, backend, s string) {
	t.Helper()
	if m := re.FindString(s); m != "" {
		t.Errorf("%s: %q is %s-only SQL: write it in the shared dialect or move it behind store/dialect.go", where, m, backend)
	}
}

var sqlComment = regexp.MustCompile(`--[^\n]*`)

func stripSQLComments(s string) string { return sqlComment.ReplaceAllString(s, "") }

// The patterns themselves must catch what they are for, or the test above
// could pass by matching nothing.
func TestDialectPatterns(t *testing.T) {
	for _, s := range []string{"SELECT datetime('now')", "INSERT OR IGNORE INTO x", "SELECT IFNULL(a, 0)", "x COLLATE NOCASE",
		"SELECT rowid FROM t", "PRAGMA foreign_keys", "WHERE kb_fts MATCH ?", "ORDER BY bm25(kb_fts)", "SELECT MAX(a, b) FROM t", "SELECT group_concat(x)", "strftime('%s', t)"} {
		if !sqliteOnly.MatchString(s) {
			t.Errorf("sqliteOnly misses %q", s)
		}
	}
	for _, s := range []string{"SELECT x::text", "a ILIKE b", "SELECT NOW()", "GREATEST(a, b)", "SELECT pg_advisory_lock(1)",
		"string_agg(x, ',')", "p.tsv @@ to_tsquery('simple', ?)", "created_at TIMESTAMPTZ", "t + INTERVAL '1 day'", "COPY debtors (id) FROM STDIN"} {
		if !postgresOnly.MatchString(s) {
			t.Errorf("postgresOnly misses %q", s)
		}
	}
	for _, s := range []string{"SELECT MAX(id) FROM t", "INSERT INTO x VALUES (?) ON CONFLICT (id) DO UPDATE SET a = excluded.a",
		"SELECT COALESCE(a, 0) FROM t WHERE b LIKE ? ESCAPE '\\'", "SELECT id FROM t FOR UPDATE SKIP LOCKED", "a || b",
		"no account %q: import the portfolio first"} {
		if sqliteOnly.MatchString(s) || postgresOnly.MatchString(s) {
			t.Errorf("%q is shared SQL, flagged as one backend's", s)
		}
	}
}
