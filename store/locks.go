package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"hash/fnv"
)

// Advisory locks let replicas on one PostgreSQL database agree that one of them
// does a piece of work: a migration, or a round of scheduled work (nudges,
// reminders, broken promises, campaigns, event deliveries). SQLite serves one
// process, whose own scheduling already runs each round once.

// lockMigrate is the advisory lock held while migrating.
const lockMigrate = "acuerdo:migrate"

// lockKey turns a lock's name into PostgreSQL's 64-bit advisory lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// sessionLock waits for the named advisory lock and returns its release.
func (db *DB) sessionLock(ctx context.Context, name string) (unlock func(), err error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, lockKey(name)); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		// A fresh context: the release must happen even when ctx is done.
		_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(?)`, lockKey(name))
		conn.Close()
	}, nil
}

// txLock makes transactions that take the lock of the same name run one
// after the other, on PostgreSQL (an advisory lock held until tx ends). It
// is for read-then-write decisions over a set of rows, where no single row
// can be locked: who is busy in a running experiment, whether an email is
// taken. SQLite's single writer already serialises them.
func (db *DB) txLock(ctx context.Context, tx *sql.Tx, name string) error {
	if !db.pg {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, lockKey("acuerdo:tx:"+name))
	return err
}

// Exclusively runs fn unless another replica is running the work of the same
// name right now, in which case it returns false without waiting: scheduled
// work then runs once per round across replicas, whichever gets there first.
// On SQLite fn always runs.
func (db *DB) Exclusively(ctx context.Context, name string, fn func(context.Context) error) (ran bool, err error) {
	if !db.pg {
		return true, fn(ctx)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	key := lockKey("acuerdo:" + name)
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, key).Scan(&got); err != nil {
		return false, err
	}
	if !got {
		return false, nil
	}
	defer func() {
		if _, uerr := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(?)`, key); uerr != nil {
			// The lock would outlive the round on this pooled connection:
			// drop the connection, which releases it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return true, fn(ctx)
}
