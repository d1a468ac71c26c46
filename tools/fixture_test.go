package tools_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"acuerdo"
	"acuerdo/importer"
	"acuerdo/paylink"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/tools"
)

// The portfolio every test starts from. Times: the file is imported at
// importTime (the accounts' balance_as_of) and the tools run at t0, 10:00 in
// Bogotá on Tuesday 2026-03-10.
//
//   - Ana has a document on file (last four 4050) and one account, CR-0001:
//     balance 1,000,000.07 COP less a 150,000 payment made after the balance
//     date (a 50,000 payment made before it is already in the balance) =
//     850,000.07 outstanding; installment 100,000; 45 days past due, so two
//     installments (200,000.00) are overdue; next due 2026-03-20.
//   - Carlos has no document: he verifies with the last four of an account
//     reference (0123 or 9876). Account 100123 owes 500,000 with no installment
//     amount and 10 days past due (overdue in full); CR-9876 has no known balance.
//   - Luz owes 300,000 on CR-5555, installment 50,000, not past due.
//   - Pedro owed 100,000 on CR-7777 and paid 120,000: nothing is outstanding.
//   - strangerPhone is not in the portfolio.
const portfolioCSV = `Credito,Numero,Nombre,Saldo,Cuota,Vencimiento,Dias mora,Cedula,Moneda,Pais,Zona horaria,Consentimiento
CR-0001,+573001234567,Ana María Pérez,1000000.07,100000,2026-03-20,45,1.020.304.050,COP,CO,America/Bogota,si
100123,+573109876543,Carlos Gómez,500000,,,10,,COP,CO,America/Bogota,si
CR-9876,+573109876543,Carlos Gómez,,,,,,COP,CO,America/Bogota,si
CR-5555,+573215550000,Luz Dary Peña,300000,50000,2026-03-15,0,79555123,COP,CO,America/Bogota,si
CR-7777,+573005550000,Pedro Páez,100000,,,,12345678,COP,CO,America/Bogota,
`

const paymentsCSV = `Credito,Monto,Fecha pago,Transaccion
CR-0001,50000,2026-03-07T12:00:00Z,P-BEFORE
CR-0001,150000,2026-03-09T12:00:00Z,P-AFTER
CR-7777,120000,2026-03-09T12:00:00Z,P-PEDRO
`

const (
	anaPhone      = "+573001234567"
	carlosPhone   = "+573109876543"
	luzPhone      = "+573215550000"
	pedroPhone    = "+573005550000"
	strangerPhone = "+573009990000"
)

// lastFour are the right verify_identity answers.
var lastFour = map[string]string{anaPhone: "4050", carlosPhone: "0123", luzPhone: "5123", pedroPhone: "5678"}

var (
	importTime = time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC)
	t0         = time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	linkSecret = []byte("test-link-secret")
)

// testClock is a clock tests move by hand; the store, the tools and the links
// all read it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type fixture struct {
	ctx   context.Context
	db    *store.DB
	raw   *sql.DB // a second connection, for the write log and checks in SQL
	clock *testClock
	links paylink.Template
	set   *tools.Set

	mu    sync.Mutex
	convs int // conversations opened, to name their channels
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return newFixtureWith(tb, nil)
}

// newFixtureWith builds the fixture; wrap, if given, replaces the store the
// tools see (to inject failures).
func newFixtureWith(tb testing.TB, wrap func(*store.DB) tools.Store) *fixture {
	tb.Helper()
	ctx := context.Background()
	image, err := portfolioDB()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "acuerdo.db")
	if err := os.WriteFile(path, image, 0o600); err != nil {
		tb.Fatal(err)
	}
	clk := &testClock{t: t0}
	db, err := store.Open(ctx, path, store.Options{Clock: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })

	links := paylink.Template{Secret: linkSecret, Clock: clk.Now}
	var st tools.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	set := tools.New(tools.Config{Store: st, Policy: policy.Default(), Links: links, Clock: clk.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &fixture{ctx: ctx, db: db, raw: raw, clock: clk, links: links, set: set}
}

// The portfolio database is built once per test binary, by the importer at
// importTime, and each fixture starts from a copy of the file.
var template struct {
	once  sync.Once
	image []byte
	err   error
}

func portfolioDB() ([]byte, error) {
	template.once.Do(func() { template.image, template.err = buildPortfolioDB() })
	return template.image, template.err
}

func buildPortfolioDB() ([]byte, error) {
	dir, err := os.MkdirTemp("", "acuerdo-tools-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "acuerdo.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Clock: func() time.Time { return importTime }})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, imp := range []struct {
		csv  string
		run  func(context.Context, *store.DB, importer.Table, importer.Options) (importer.Summary, error)
		rows int
	}{{portfolioCSV, importer.Portfolio, 5}, {paymentsCSV, importer.Payments, 3}} {
		tbl, err := importer.NewCSV(strings.NewReader(imp.csv))
		if err != nil {
			return nil, err
		}
		sum, err := imp.run(ctx, db, tbl, importer.Options{Country: "CO"})
		if err != nil {
			return nil, err
		}
		if !sum.Written || sum.Rejected > 0 || sum.Inserted+sum.Updated != imp.rows {
			return nil, fmt.Errorf("import: %v %v", sum, sum.Errors)
		}
	}
	// Closing the last connection checkpoints the WAL into the file.
	if err := db.Close(); err != nil {
		return nil, err
	}
	if err := logWrites(ctx, path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, fmt.Errorf("%s-wal left after close", path)
	}
	return os.ReadFile(path)
}

// env opens a new conversation with phone (each on its own channel, so tests
// can hold several conversations of one debtor).
func (f *fixture) env(tb testing.TB, phone string) *tools.Env {
	tb.Helper()
	f.mu.Lock()
	f.convs++
	channel := fmt.Sprintf("test%d", f.convs)
	f.mu.Unlock()
	conv, err := f.db.Conversation(f.ctx, channel, phone)
	if err != nil {
		tb.Fatal(err)
	}
	e := &tools.Env{Conv: &conv}
	d, err := f.db.DebtorByPhone(f.ctx, phone)
	switch {
	case err == nil:
		e.Debtor = &d
	case acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND:
		tb.Fatal(err)
	}
	return e
}

// verified opens a conversation with phone and passes verify_identity in it.
func (f *fixture) verified(tb testing.TB, phone string) *tools.Env {
	tb.Helper()
	e := f.env(tb, phone)
	r := f.allow(tb, e, tools.VerifyIdentity, fmt.Sprintf(`{"document_last4":%q}`, lastFour[phone]), "identity_verified")
	if !e.Conv.Verified {
		tb.Fatalf("verify_identity %v did not mark the conversation verified", r)
	}
	return e
}

func (f *fixture) lastAuditID(tb testing.TB) int64 {
	tb.Helper()
	var id int64
	if err := f.raw.QueryRowContext(f.ctx, `SELECT COALESCE(MAX(id), 0) FROM audit`).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	return id
}

// call runs one tool call and checks the one audit line it must leave: kind
// tool, the tool's name, the conversation, the clock's time, an outcome that
// agrees with the result, and the raw arguments (malformed ones as a JSON
// string).
func (f *fixture) call(tb testing.TB, e *tools.Env, name, args string) (tools.Result, acuerdo.AuditEntry) {
	tb.Helper()
	before := f.lastAuditID(tb)
	r := f.set.Call(f.ctx, e, name, args)
	if r.Tool != name {
		tb.Errorf("%s: result names tool %q", name, r.Tool)
	}
	if !json.Valid([]byte(r.JSON())) {
		tb.Errorf("%s: result JSON %q is not valid JSON", name, r.JSON())
	}
	entries, err := f.db.Audit(f.ctx, store.AuditFilter{After: before})
	if err != nil {
		tb.Fatal(err)
	}
	if len(entries) != 1 {
		tb.Fatalf("%s %s: %d audit entries, want exactly 1: %+v", name, args, len(entries), entries)
	}
	a := entries[0]
	want := acuerdo.Refused
	switch {
	case r.OK:
		want = acuerdo.Allowed
	case r.Rule == "tool_error":
		want = acuerdo.Failed
	}
	if a.Kind != acuerdo.AuditTool || a.Name != name || a.Outcome != want || a.ConversationID != e.Conv.ID {
		tb.Errorf("%s: audit %+v; want kind tool, name %s, outcome %s, conversation %d", name, a, name, want, e.Conv.ID)
	}
	if !r.OK && a.Rule != r.Rule {
		tb.Errorf("%s: audit rule %q, result rule %q", name, a.Rule, r.Rule)
	}
	if !a.Time.Equal(f.clock.Now()) {
		tb.Errorf("%s: audit time %v, clock %v", name, a.Time, f.clock.Now())
	}
	switch {
	case args == "":
		if len(a.Args) != 0 {
			tb.Errorf("%s: audit args %q for empty arguments", name, a.Args)
		}
	case json.Valid([]byte(args)):
		if want := string(tools.Redact(args)); string(a.Args) != want {
			tb.Errorf("%s: audit args %q, want %q", name, a.Args, want)
		}
		for _, secret := range []string{`"document_last4":"`, `"note":"`, `"summary":"`} {
			if i := strings.Index(string(a.Args), secret); i >= 0 && !strings.HasPrefix(string(a.Args)[i+len(secret):], "****") && !strings.HasPrefix(string(a.Args)[i+len(secret):], "[") {
				tb.Errorf("%s: audit args %q keep personal data", name, a.Args)
			}
		}
	case utf8.ValidString(args):
		var s string
		if err := json.Unmarshal(a.Args, &s); err != nil || s != args {
			tb.Errorf("%s: audit args %q (%v); want the malformed arguments %q kept as a JSON string", name, a.Args, err, args)
		}
	default:
		var s string
		if err := json.Unmarshal(a.Args, &s); err != nil {
			tb.Errorf("%s: audit args %q are not a JSON string: %v", name, a.Args, err)
		}
	}
	return r, a
}

// allow runs a call that policy must allow, with the audit rule it must carry.
func (f *fixture) allow(tb testing.TB, e *tools.Env, name, args, rule string) tools.Result {
	tb.Helper()
	r, a := f.call(tb, e, name, args)
	if !r.OK {
		tb.Fatalf("%s %s refused: %s: %s", name, args, r.Rule, r.Message)
	}
	if a.Rule != rule {
		tb.Errorf("%s %s: audit rule %q, want %q", name, args, a.Rule, rule)
	}
	return r
}

// refuse runs a call that must be refused with rule and change nothing: not the
// database (beyond its audit line) and not the conversation the agent holds.
func (f *fixture) refuse(tb testing.TB, e *tools.Env, name, args, rule string) tools.Result {
	tb.Helper()
	before := f.snapshot(tb, e)
	conv := *e.Conv
	r, a := f.call(tb, e, name, args)
	if r.OK || r.Rule != rule {
		tb.Fatalf("%s %s: ok=%v rule=%q (%s); want refused by %q", name, args, r.OK, r.Rule, r.Message, rule)
	}
	if a.Outcome != acuerdo.Refused && rule != "tool_error" {
		tb.Errorf("%s: audit outcome %q, want refused", name, a.Outcome)
	}
	if r.Message == "" {
		tb.Errorf("%s: refusal %q without a message for the model", name, rule)
	}
	if r.Escalated || r.OptedOut {
		tb.Errorf("%s: refusal says escalated=%v opted_out=%v", name, r.Escalated, r.OptedOut)
	}
	if !reflect.DeepEqual(conv, *e.Conv) {
		tb.Errorf("%s: refused call changed the conversation: %+v -> %+v", name, conv, *e.Conv)
	}
	before.same(tb, f, e, name+" "+args)
	return r
}

// snapshot is what a refused call must leave as it was.
type snapshot struct {
	counts   store.Counts
	accounts []acuerdo.Account // the conversation's debtor's
	conv     acuerdo.Conversation
	writes   int64 // the last row of test_writes
}

func (f *fixture) snapshot(tb testing.TB, e *tools.Env) snapshot {
	tb.Helper()
	var s snapshot
	var err error
	if s.counts, err = f.db.Count(f.ctx); err != nil {
		tb.Fatal(err)
	}
	if e.Debtor != nil {
		if s.accounts, err = f.db.Accounts(f.ctx, e.Debtor.ID); err != nil {
			tb.Fatal(err)
		}
	}
	if s.conv, err = f.db.ConversationByID(f.ctx, e.Conv.ID); err != nil {
		tb.Fatal(err)
	}
	if err := f.raw.QueryRowContext(f.ctx, `SELECT COALESCE(MAX(id), 0) FROM test_writes`).Scan(&s.writes); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (s snapshot) same(tb testing.TB, f *fixture, e *tools.Env, what string) {
	tb.Helper()
	after := f.snapshot(tb, e)
	if s.counts != after.counts {
		tb.Errorf("%s: counts %+v -> %+v", what, s.counts, after.counts)
	}
	if !reflect.DeepEqual(s.accounts, after.accounts) {
		tb.Errorf("%s: accounts changed:\n%+v\n%+v", what, s.accounts, after.accounts)
	}
	if !reflect.DeepEqual(s.conv, after.conv) {
		tb.Errorf("%s: stored conversation changed: %+v -> %+v", what, s.conv, after.conv)
	}
	if after.writes != s.writes {
		rows, err := f.raw.QueryContext(f.ctx, `SELECT op || ' ' || tbl FROM test_writes WHERE id > ? ORDER BY id`, s.writes)
		if err != nil {
			tb.Fatal(err)
		}
		defer rows.Close()
		var writes []string
		for rows.Next() {
			var w string
			if err := rows.Scan(&w); err != nil {
				tb.Fatal(err)
			}
			writes = append(writes, w)
		}
		tb.Errorf("%s: the database was written: %s", what, strings.Join(writes, ", "))
	}
}

// logWrites adds triggers that record every insert, update and delete on
// every table but the audit log in test_writes: a refused call must write
// nothing else, not even a row rewritten with its own values.
func logWrites(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE test_writes (id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL)`); err != nil {
		return err
	}
	// Virtual tables (the knowledge base's FTS5 index) and their shadow
	// tables take no triggers; writes to the index go with kb_passages'.
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master m WHERE type = 'table' AND name NOT IN ('audit', 'schema_migrations', 'test_writes')
		AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL TABLE%' AND substr(m.name, 1, length(v.name) + 1) = v.name || '_')`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		return fmt.Errorf("only tables %v", tables)
	}
	for _, t := range tables {
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			q := fmt.Sprintf(`CREATE TRIGGER "test_%s_%s" AFTER %s ON %q BEGIN INSERT INTO test_writes (tbl, op) VALUES ('%s', '%s'); END`, t, op, op, t, t, op)
			if _, err := db.ExecContext(ctx, q); err != nil {
				return err
			}
		}
	}
	return db.Close()
}

// count returns the rows of table matching where.
func (f *fixture) count(tb testing.TB, table, where string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.raw.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+where, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func (f *fixture) account(tb testing.TB, ref string) acuerdo.Account {
	tb.Helper()
	a, err := f.db.AccountByRef(f.ctx, ref)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// data decodes what the model sees of a result.
func data(tb testing.TB, r tools.Result) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.JSON()), &m); err != nil {
		tb.Fatalf("result JSON %q: %v", r.JSON(), err)
	}
	return m
}

func mustMoney(tb testing.TB, s string) acuerdo.Money {
	tb.Helper()
	m, err := acuerdo.ParseMoney(s, "COP")
	if err != nil {
		tb.Fatalf("amount %q: %v", s, err)
	}
	return m
}

func mustDate(tb testing.TB, s string) acuerdo.Date {
	tb.Helper()
	d, err := acuerdo.ParseDate(s)
	if err != nil {
		tb.Fatalf("date %q: %v", s, err)
	}
	return d
}

// importCSV imports a portfolio file at the clock's time.
func importCSV(f *fixture, csv string) error {
	tbl, err := importer.NewCSV(strings.NewReader(csv))
	if err != nil {
		return err
	}
	sum, err := importer.Portfolio(f.ctx, f.db, tbl, importer.Options{Country: "CO"})
	if err != nil {
		return err
	}
	if !sum.Written || sum.Rejected > 0 {
		return fmt.Errorf("import: %v %v", sum, sum.Errors)
	}
	return nil
}

// TestFixtureSeesWrites: the write log behind "nothing changed" notices a write
// even when it stores the values already there.
func TestFixtureSeesWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.env(t, anaPhone)
	before := f.snapshot(t, e)
	if err := f.db.SaveConversation(f.ctx, *e.Conv); err != nil {
		t.Fatal(err)
	}
	after := f.snapshot(t, e)
	if after.writes == before.writes {
		t.Fatal("a rewrite of the conversation went unnoticed")
	}
	if n := f.count(t, "test_writes", "id > ? AND tbl = 'conversations' AND op = 'UPDATE'", before.writes); n != 1 {
		t.Errorf("%d conversation updates logged", n)
	}
}
