// Package store is acuerdo's memory: hand-written SQL over database/sql. SQLite
// (modernc.org/sqlite, no cgo) is the default; PostgreSQL (jackc/pgx v5) is
// chosen by a postgres:// URL. Both run the same statements: what differs
// between them is listed in dialect.go, and lives in sqlite.go and
// stmtcache.go (SQLite), postgres.go, pgdriver.go, locks.go, notify.go and
// imports_postgres.go (PostgreSQL), and the per-dialect migration files.
package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"acuerdo"
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
	// The background checkpoints (SQLite only; checkpoint_sqlite.go).
	ckQuit, ckDone chan struct{}
	restartLog     atomic.Bool // the committer restarts the log after its group
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
	return openSQLite(ctx, path, opt)
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stopCheckpointer()
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
		return constraintError(db.grouped(ctx, fn))
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return constraintError(err)
	}
	return constraintError(tx.Commit())
}
