// Package store is acuerdo's memory: hand-written SQL over database/sql. SQLite
// (modernc.org/sqlite, no cgo) is the default; PostgreSQL (jackc/pgx v5) is
// chosen by a postgres:// URL. Both run the same statements: what differs
// between them is in dialect.go, pgdriver.go, locks.go and the per-dialect
// migration files.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"acuerdo"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is an open acuerdo database. SQLite allows one writer at a time, so writes go
// through a single connection whose transactions take the write lock up front
// (BEGIN IMMEDIATE) instead of failing with SQLITE_BUSY halfway; reads use a pool
// that WAL lets run beside the writer.
//
// On PostgreSQL both are the same pool: the server runs writers side by side,
// and the store's read-then-write transactions lock their rows (dialect.go).
type DB struct {
	write *sql.DB
	read  *sql.DB
	path  string
	pg    bool
	// The committer's queue (SQLite only; groupcommit.go).
	txq     chan *txReq
	quit    chan struct{}
	stopped chan struct{}
	closeMu sync.RWMutex
	closed  bool
	// Now is the clock every stored time comes from.
	Now acuerdo.Clock
}

// Options tune Open.
type Options struct {
	// ReadConns is the size of the read pool (default 4) on SQLite, and of the
	// one pool on PostgreSQL (default 16).
	ReadConns int
	// Clock replaces the system clock, for tests.
	Clock acuerdo.Clock
}

// Open opens (creating if needed) the SQLite database at path, or the
// PostgreSQL database a postgres:// URL names, and brings its schema up to date.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	if path == "" {
		return nil, acuerdo.Errorf(acuerdo.EINVALID, "no database path: pass --db or set ACUERDO_DB")
	}
	if opt.Clock == nil {
		opt.Clock = acuerdo.SystemClock
	}
	if isPostgresURL(path) {
		return openPostgres(ctx, path, opt)
	}
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
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if db.txq != nil {
		db.stopCommitter()
	}
	if db.read == db.write {
		return db.write.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the database answers, for /healthz.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

// now returns the clock's time in UTC, truncated to microseconds so that what is
// read back equals what was written on every backend.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// notFound maps sql.ErrNoRows, which never leaves the store, to an ENOTFOUND
// error saying what was missing; other errors pass unchanged.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return acuerdo.Errorf(acuerdo.ENOTFOUND, format, args...)
	}
	return err
}

// inTx runs fn in a write transaction, committing when fn returns nil. On
// SQLite, concurrent calls share one commit (groupcommit.go); fn's writes are
// still all or nothing, and durable when inTx returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if db.txq != nil {
		return db.grouped(ctx, fn)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
