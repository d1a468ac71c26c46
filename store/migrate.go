package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Files named NNNN_x.DIALECT.sql apply only to that dialect (sqlite, postgres),
// plain NNNN_x.sql files to both; on PostgreSQL their column types are mapped
// by pgDDL. migrations/README.md has the rules.

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		base := strings.TrimSuffix(name, ".sql")
		shared := true
		if i := strings.LastIndexByte(base, '.'); i >= 0 {
			if base[i+1:] != dialect {
				continue
			}
			shared = false
		}
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number", name)
		}
		b, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		text := string(b)
		if shared && dialect == Postgres {
			text = pgDDL(text)
		}
		out = append(out, migration{v, name, text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// migrate applies, each in its own transaction, the migrations newer than the
// database. A database from a newer acuerdo is refused rather than misread.
// On PostgreSQL, replicas starting together take turns (an advisory lock), so
// each migration runs once.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations(db.Dialect())
	if err != nil {
		return err
	}
	ddl := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`
	if db.pg {
		unlock, err := db.sessionLock(ctx, lockMigrate)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer unlock()
		ddl = pgDDL(ddl)
	}
	if _, err := db.write.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if n := len(ms); n > 0 && current > ms[n-1].version {
		return fmt.Errorf("database %s has schema version %d, newer than this acuerdo (%d): upgrade acuerdo", db.path, current, ms[n-1].version)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, db.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the version of the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Migrations are the schema's migration files, for tests that build template
// databases.
var Migrations fs.FS = migrations
