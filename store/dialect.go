package store

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"acuerdo"
)

// The store keeps one code path for both backends: every statement is written
// once, in the SQL that SQLite and PostgreSQL share, with ? placeholders (the
// PostgreSQL connector numbers them, see pgdriver.go). What differs between the
// two is listed here, and lives in this file or the backend's own files:
//
//   - opening: sqlite.go (one writer connection under BEGIN IMMEDIATE, a read
//     pool beside it under WAL; stmtcache.go caches its statements) and
//     postgres.go (one pool; pgdriver.go rewrites placeholders for pgx);
//   - row locks: SQLite has one writer, so a read-then-write transaction is
//     already alone; PostgreSQL runs transactions side by side, so such reads
//     take the rows they will change (FOR UPDATE), and work queues are claimed
//     with FOR UPDATE SKIP LOCKED so that replicas never wait on each other.
//     The store writes these clauses in its SQL; the SQLite connector drops
//     them (sqliteSQL in sqlite.go);
//   - advisory locks for scheduled work (locks.go) and LISTEN/NOTIFY
//     (notify.go), which a single SQLite process does not need;
//   - bulk import through COPY (imports_postgres.go);
//   - the DDL of migrations (migrations/README.md, pgDDL in postgres.go, and
//     NNNN_x.sqlite.sql / NNNN_x.postgres.sql files);
//   - the few expressions spelled differently, as methods below: durations
//     added to times (interval) and case- and accent-insensitive matching
//     (fold).
//
// Upserts (INSERT … ON CONFLICT … DO UPDATE/NOTHING), RETURNING, LIMIT and
// CURRENT_TIMESTAMP-free time handling (times always come from the store's
// clock as arguments) are common to both and need no dialect. dialect_test.go
// fails if a statement outside these files uses SQL only one backend knows.

// Dialect names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// isPostgresURL tells whether --db names a PostgreSQL server rather than a file.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Dialect returns the backend's name: SQLite or Postgres.
func (db *DB) Dialect() string {
	if db.pg {
		return Postgres
	}
	return SQLite
}

// interval is the placeholder of a duration added to or subtracted from a
// stored time; pass the value through durationArg. SQLite stores times as
// integer microseconds, so a duration is microseconds too; PostgreSQL adds
// intervals to timestamptz.
func (db *DB) interval() string {
	if db.pg {
		return "CAST(? AS INTERVAL)"
	}
	return "?"
}

func (db *DB) durationArg(d time.Duration) any {
	if db.pg {
		return fmt.Sprintf("%d microseconds", d.Microseconds())
	}
	return d.Microseconds()
}

// fold returns the SQL expression of the text expr folded like
// acuerdo.FoldRune (lower case, Latin accents removed), for searches that
// must find "Pérez" when an operator types "perez" and answer the same on
// both backends. Compare it with a pattern folded in Go (foldLike).
func (db *DB) fold(expr string) string {
	if db.pg {
		return "translate(lower(" + expr + "), " + pgFoldFrom + ", " + pgFoldTo + ")"
	}
	return sqliteFold + "(" + expr + ")"
}

// foldOrder is expr folded (fold) as an ORDER BY key that sorts the same on
// both backends: by code point, as SQLite's BINARY collation does, whatever
// collation the PostgreSQL database was created with ("Óscar" between
// "Nora" and "Pablo", not after "Zoe").
func (db *DB) foldOrder(expr string) string {
	if db.pg {
		return db.fold(expr) + ` COLLATE "C"`
	}
	return db.fold(expr)
}

// foldLike is the LIKE pattern (ESCAPE '\\') matching text that contains s,
// folded like DB.fold's column.
func foldLike(s string) string {
	return "%" + escapeLike(strings.Map(acuerdo.FoldRune, s)) + "%"
}

// pgFoldFrom and pgFoldTo are translate()'s arguments on PostgreSQL: every
// non-ASCII rune of the Latin blocks and the punctuation acuerdo.FoldRune
// changes, upper case too (lower() leaves it alone in a database whose
// LC_CTYPE is C), with what FoldRune makes of it. They are derived from
// FoldRune so the rule keeps one home.
var pgFoldFrom, pgFoldTo = func() (string, string) {
	var from, to strings.Builder
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			if f := acuerdo.FoldRune(r); f != r && unicode.IsPrint(r) {
				from.WriteRune(r)
				to.WriteRune(f)
			}
		}
	}
	add(0x80, 0x24F)    // Latin-1, Latin Extended-A and -B
	add(0x2B0, 0x2FF)   // modifier letters (ʼ)
	add(0x2000, 0x206F) // general punctuation (quotes, dashes, spaces)
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	return quote(from.String()), quote(to.String())
}()
