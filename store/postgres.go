package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"acuerdo"

	"github.com/jackc/pgx/v5"
)

// openPostgres opens the PostgreSQL database named by a postgres:// URL.
func openPostgres(ctx context.Context, dsn string, opt Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, acuerdo.Errorf(acuerdo.EINVALID, "cannot read the PostgreSQL URL %s: %v (the form is postgres://user:password@host:5432/dbname)", RedactDSN(dsn), err)
	}
	if opt.ReadConns <= 0 {
		opt.ReadConns = 16
	}
	pool := sql.OpenDB(newPGConnector(cfg))
	pool.SetMaxOpenConns(opt.ReadConns)
	pool.SetMaxIdleConns(opt.ReadConns)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: %w (is PostgreSQL running, and does the database exist?)", RedactDSN(dsn), err)
	}
	db := &DB{write: pool, read: pool, path: RedactDSN(dsn), pg: true, Now: opt.Clock}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// RedactDSN hides the password of a database URL, for messages and logs; a
// SQLite path is returned as it is.
func RedactDSN(dsn string) string {
	if !isPostgresURL(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL URL"
	}
	return u.Redacted()
}

// OpenRaw opens the database at path or URL as a plain *sql.DB, with the
// store's placeholder and time conventions but without migrating, for tests
// and tools that look at (or tamper with) the tables directly.
func OpenRaw(dsn string) (*sql.DB, error) {
	if isPostgresURL(dsn) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(newPGConnector(cfg)), nil
	}
	return sql.Open("sqlite", "file:"+dsn+"?_time_integer_format=unix_micro&_inttotime=1&_busy_timeout=10000&_foreign_keys=on")
}
