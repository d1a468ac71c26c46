package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"

	_ "modernc.org/sqlite"
)

func open(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := store.Open(context.Background(), path, store.Options{Clock: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestMigrationsFromEmpty(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	v, err := db.SchemaVersion(ctx)
	if err != nil || v < 2 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	// Reopening applies nothing and keeps the version.
	db.Close()
	db2, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := db2.SchemaVersion(ctx); v2 != v {
		t.Fatalf("version changed on reopen: %d -> %d", v, v2)
	}
	db2.Close()

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, table := range []string{"debtors", "accounts", "installments", "plans", "consents", "conversations", "messages", "cases", "promises", "payments", "experiments", "assignments", "audit"} {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing", table)
		}
	}
	var mode string
	if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}

	// A database from a newer acuerdo is refused, not misread.
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, path, store.Options{}); err == nil || !strings.Contains(err.Error(), "upgrade acuerdo") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ path, want string }{
		{"", "--db"},
		{"postgres://localhost/acuerdo", "not supported yet"},
		{filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), "writable"},
	} {
		_, err := store.Open(ctx, tc.path, store.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v; want error containing %q", tc.path, err, tc.want)
		}
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	err := db.AppendAudit(ctx,
		acuerdo.AuditEntry{Kind: acuerdo.AuditTool, Name: "propose_pause", Outcome: acuerdo.Refused, Rule: "pause_max_days", Args: []byte(`{"days":365}`)},
		acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "import", Outcome: acuerdo.Allowed, Rule: "admin"},
	)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Audit(ctx, store.AuditFilter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("Audit = %v, %v", got, err)
	}
	if got[0].Name != "propose_pause" || string(got[0].Args) != `{"days":365}` || got[0].Time.IsZero() {
		t.Fatalf("first entry = %+v", got[0])
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE audit SET outcome = 'allowed'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("update of audit: %v", err)
	}
	if _, err := raw.Exec(`DELETE FROM audit`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("delete of audit: %v", err)
	}
}
