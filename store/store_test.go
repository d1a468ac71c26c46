package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/store/storetest"

	_ "modernc.org/sqlite"
)

func open(t *testing.T) (*store.DB, string) {
	t.Helper()
	return storetest.Open(t, store.Options{Clock: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
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

	raw, err := store.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tables := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.Dialect() == store.Postgres {
		tables = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ?`
	}
	for _, table := range []string{"debtors", "accounts", "installments", "plans", "consents", "conversations", "messages", "cases", "promises", "payments", "experiments", "assignments", "audit"} {
		var n int
		if err := raw.QueryRow(tables, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing", table)
		}
	}
	if db.Dialect() == store.SQLite {
		var mode string
		if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v; want wal", mode, err)
		}
	} else {
		// Times are instants on PostgreSQL.
		var typ string
		if err := raw.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'created_at'`).Scan(&typ); err != nil || typ != "timestamp with time zone" {
			t.Errorf("messages.created_at is %q, %v; want timestamp with time zone", typ, err)
		}
	}

	// A database from a newer acuerdo is refused, not misread.
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', ?)`, time.Now()); err != nil {
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
		{"postgres://postgres@127.0.0.1:1/acuerdo", "is PostgreSQL running"},
		{"postgres://x:%zz@h/acuerdo", "cannot read the PostgreSQL URL"},
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
	raw, err := store.OpenRaw(path)
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

// sql.ErrNoRows never leaves the store: a missing row is ENOTFOUND with a
// message saying what is missing, on both backends.
func TestMissingRowsAreNotFound(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	_, _, err := db.MessageStatus(ctx, "SMnothing")
	if acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND || errors.Is(err, sql.ErrNoRows) {
		t.Errorf("MessageStatus of an unknown id: %v, want ENOTFOUND", err)
	}
	if _, err := db.PausedUntil(ctx, 999); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND || errors.Is(err, sql.ErrNoRows) {
		t.Errorf("PausedUntil of an unknown account: %v, want ENOTFOUND", err)
	}
	if _, err := db.DebtorByPhone(ctx, "+573000000000"); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND || errors.Is(err, sql.ErrNoRows) {
		t.Errorf("DebtorByPhone of an unknown phone: %v, want ENOTFOUND", err)
	}
}
