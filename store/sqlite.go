package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"acuerdo"

	"modernc.org/sqlite" // registers the "sqlite" driver
)

// The SQLite backend: how a file is opened (one writer connection, a pool of
// readers beside it under WAL), the clauses its SQL drops, and the functions
// it adds so that it answers like PostgreSQL (see dialect.go).

// openSQLite opens (creating if needed) the SQLite database at path.
func openSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	if opt.ReadConns <= 0 {
		opt.ReadConns = 4
	}
	common := url.Values{}
	common.Set("_busy_timeout", "10000")
	common.Set("_foreign_keys", "on")
	// Times are stored as integer microseconds since the epoch: a sixth of the
	// size of text timestamps, which matters at millions of rows, and still read
	// back as time.Time from TIMESTAMP columns.
	common.Set("_time_integer_format", "unix_micro")
	common.Set("_inttotime", "1")

	wq := url.Values{}
	for k, v := range common {
		wq[k] = v
	}
	wq.Set("_journal_mode", "wal")
	wq.Set("_synchronous", "normal")
	wq.Set("_txlock", "immediate")
	// A 16 MiB page cache keeps a large import's index pages in memory instead of
	// spilling them to the WAL mid-transaction.
	wq.Add("_pragma", "cache_size(-16384)")
	// Each multi-row upsert keeps a statement journal to undo itself on a
	// constraint error; in memory it costs no system calls.
	wq.Add("_pragma", "temp_store(memory)")
	// Checkpoints run beside the writer, not in its commits (checkpoint_sqlite.go).
	wq.Add("_pragma", "wal_autocheckpoint(0)")
	wc, err := newStmtCache("file:"+path+"?"+wq.Encode(), true)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write := sql.OpenDB(wc)
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w (is the path writable?)", path, err)
	}
	db := &DB{write: write, path: path, Now: opt.Clock}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}

	ckDSN := "file:" + path + "?" + common.Encode() // before common becomes the readers'
	rq := common
	rq.Set("_query_only", "on")
	rc, err := newStmtCache("file:"+path+"?"+rq.Encode(), false)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	read := sql.OpenDB(rc)
	read.SetMaxOpenConns(opt.ReadConns)
	read.SetMaxIdleConns(opt.ReadConns)
	db.read = read
	db.startCommitter()
	if err := db.startCheckpointer(ckDSN); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

var forUpdateClause = regexp.MustCompile(`(?i)\s+FOR\s+UPDATE(\s+OF\s+\w+(\s*,\s*\w+)*)?(\s+SKIP\s+LOCKED|\s+NOWAIT)?`)

// sqliteSQL removes the row-locking clauses (FOR UPDATE [OF …] [SKIP LOCKED])
// that the store writes for PostgreSQL: SQLite has no such clause and needs
// none, since a write transaction there already runs alone. The SQLite
// connector applies it before preparing a statement (see stmtcache.go).
func sqliteSQL(query string) string {
	if !strings.Contains(query, "FOR UPDATE") {
		return query
	}
	return forUpdateClause.ReplaceAllString(query, "")
}

// sqliteConstraint reads a SQLite constraint violation's kind from its
// extended result code.
func sqliteConstraint(err error) int {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return noViolation
	}
	switch e.Code() {
	case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
		return foreignKeyViolation
	case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
		return uniqueViolation
	case 275: // SQLITE_CONSTRAINT_CHECK
		return checkViolation
	}
	return noViolation
}

// sqliteFold is the SQLite function behind DB.containsFolded:
// acuerdo.FoldRune on every rune, the folding PostgreSQL's pattern matches
// (pgFoldPattern), so searches ignore case and accents alike on both
// backends.
const sqliteFold = "acuerdo_fold"

// Two functions: acuerdo_fold, and lower() replaced by Go's Unicode
// lower-casing. SQLite's own lower() folds only ASCII, so "ÓSCAR" would sort
// apart from "óscar" while PostgreSQL's lower() joins them (lowerOrder).
func init() {
	text := func(f func(string) string) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
		return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch s := args[0].(type) {
			case string:
				return f(s), nil
			case []byte:
				return f(string(s)), nil
			default:
				return s, nil
			}
		}
	}
	if err := sqlite.RegisterDeterministicScalarFunction(sqliteFold, 1, text(func(s string) string { return strings.Map(acuerdo.FoldRune, s) })); err != nil {
		panic(err)
	}
	if err := sqlite.RegisterDeterministicScalarFunction("lower", 1, text(strings.ToLower)); err != nil {
		panic(err)
	}
}
