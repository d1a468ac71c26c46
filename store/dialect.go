package store

import (
	"errors"
	"fmt"
	"slices"
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
//     added to times (interval), case- and accent-insensitive matching
//     (containsFolded) and a sort key that orders text alike (lowerOrder).
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

// chosenTime is the placeholder of a time one of several branches chooses
// (CASE id WHEN ? THEN … END): PostgreSQL infers a branch's type from the
// others, and with all of them placeholders it would take text, which a
// timestamptz column does not accept; SQLite binds times as integers.
func (db *DB) chosenTime() string {
	if db.pg {
		return "CAST(? AS TIMESTAMPTZ)"
	}
	return "?"
}

func (db *DB) durationArg(d time.Duration) any {
	if db.pg {
		return fmt.Sprintf("%d microseconds", d.Microseconds())
	}
	return d.Microseconds()
}

// containsFolded is the condition "the text expr contains the argument,
// both folded like acuerdo.FoldRune" (lower case, Latin accents removed),
// with one placeholder for containsFoldedArg(query): an operator who types
// "perez" finds "Pérez", with the same answer on both backends.
//
// SQLite folds the column with the Go function acuerdo_fold (sqlite.go) and
// compares with LIKE. PostgreSQL lower-cases the column and matches a
// regular expression in which each letter of the folded query is the class
// of every letter that folds to it ("e" → [eéèêëē…ÉÈ…]): translate() with
// the whole fold table cost 110 µs a row (22 s for 200,000 names) where
// this costs what lower() … LIKE does (about 2.5 µs).
func (db *DB) containsFolded(expr string) string {
	if db.pg {
		return "lower(" + expr + ") ~ ?"
	}
	return sqliteFold + "(" + expr + `) LIKE ? ESCAPE '\'`
}

// containsFoldedArg is containsFolded's argument for the query s.
func (db *DB) containsFoldedArg(s string) any {
	if db.pg {
		return pgFoldPattern(s)
	}
	return "%" + escapeLike(strings.Map(acuerdo.FoldRune, s)) + "%"
}

// lowerOrder is an ORDER BY key that sorts text the same on both backends:
// lower case, by code point (SQLite's BINARY collation; "C" on PostgreSQL,
// whatever collation the database was created with). Accented initials
// sort after z on both; folding them too would cost PostgreSQL a
// normalize() per row, doubling a sort of all contacts.
func (db *DB) lowerOrder(expr string) string {
	if db.pg {
		return "lower(" + expr + `) COLLATE "C"`
	}
	return "lower(" + expr + ")"
}

// pgFoldPattern is the PostgreSQL regular expression (ARE) matching, in a
// lower-cased text, every string that folds to what s folds to.
func pgFoldPattern(s string) string {
	var b strings.Builder
	for _, r := range strings.Map(acuerdo.FoldRune, s) {
		// r itself, what lower() leaves of its upper case under LC_CTYPE C,
		// and every rune of the table's blocks that folds to it.
		class := []rune{r}
		if u := unicode.ToUpper(r); u != r && acuerdo.FoldRune(u) == r {
			class = append(class, u)
		}
		for _, c := range foldClasses[r] {
			if !slices.Contains(class, c) {
				class = append(class, c)
			}
		}
		if len(class) == 1 && class[0] < 0x80 && (unicode.IsLetter(class[0]) || unicode.IsDigit(class[0])) {
			b.WriteRune(class[0])
			continue
		}
		b.WriteByte('[')
		for _, c := range class {
			if c < 0x80 && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
				b.WriteByte('\\') // inside brackets an ARE escape makes any sign literal
			}
			b.WriteRune(c)
		}
		b.WriteByte(']')
	}
	return b.String()
}

// foldClasses maps a folded rune to every rune of the Latin blocks and the
// punctuation that acuerdo.FoldRune folds to it, itself included, upper
// case too (lower() leaves non-ASCII letters alone in a database whose
// LC_CTYPE is C). Derived from FoldRune, so the rule keeps one home.
var foldClasses = func() map[rune][]rune {
	m := map[rune][]rune{}
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
				continue
			}
			f := acuerdo.FoldRune(r)
			m[f] = append(m[f], r)
		}
	}
	add(0x20, 0x24F)    // ASCII, Latin-1, Latin Extended-A and -B
	add(0x2B0, 0x2FF)   // modifier letters (ʼ)
	add(0x2000, 0x206F) // general punctuation (quotes, dashes, spaces)
	return m
}()

// Constraint violations, as each backend reports them (sqliteConstraint in
// sqlite.go, pgConstraint in postgres.go).
const (
	noViolation = iota
	foreignKeyViolation
	uniqueViolation
	checkViolation
)

func constraintOf(err error) int {
	if k := sqliteConstraint(err); k != noViolation {
		return k
	}
	return pgConstraint(err)
}

// constraintError gives a constraint the database enforced the error code it
// means for a caller, so that bad input is a clear 404, 409 or 400 instead of
// an internal error: a reference to a row that does not exist is ENOTFOUND,
// a duplicate ECONFLICT, a value out of range EINVALID. The driver's error
// stays in the chain (errors.As finds it, logs show it). Every write
// transaction passes through it (inTx).
func constraintError(err error) error {
	if err == nil {
		return nil
	}
	var e *acuerdo.Error
	if errors.As(err, &e) {
		return err // already says what it means
	}
	switch constraintOf(err) {
	case foreignKeyViolation:
		return codedError{err, acuerdo.Errorf(acuerdo.ENOTFOUND, "it refers to a case, account, conversation, message or user that does not exist")}
	case uniqueViolation:
		return codedError{err, acuerdo.Errorf(acuerdo.ECONFLICT, "it already exists")}
	case checkViolation:
		return codedError{err, acuerdo.Errorf(acuerdo.EINVALID, "a value is out of its allowed range")}
	}
	return err
}

// codedError is a driver's error with the acuerdo error that says what it
// means to the caller.
type codedError struct {
	err  error
	code *acuerdo.Error
}

func (e codedError) Error() string   { return e.err.Error() + " (" + e.code.Code + ")" }
func (e codedError) Unwrap() []error { return []error{e.code, e.err} }
