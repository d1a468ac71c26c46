package importer

import (
	"fmt"
	"strings"
	"time"
)

// Options tune an import.
type Options struct {
	// Country is the ISO 3166 alpha-2 region assumed for phone numbers written
	// without a country code, and for currency and hours when the file says none.
	Country string
	// SkipInvalid writes the valid rows and lists the invalid ones; without it an
	// invalid row means nothing is written.
	SkipInvalid bool
	// Progress, if set, is called now and then with the number of rows read.
	Progress func(rows int)
	// Workers validate rows in parallel (default 2).
	Workers int
	// Strict reads amounts as plain decimals (1500.50) and dates only as
	// YYYY-MM-DD: for machine input such as the API, where "1.500" must not
	// silently become fifteen hundred.
	Strict bool
	// Synthetic marks the debtors as made up by acuerdo (the demo portfolio),
	// not a creditor's: serve --demo refuses a database with any other.
	Synthetic bool
}

// RowError is one rejected row, with where and what to do.
type RowError struct {
	Row     int    // row number in the file, the header being row 1
	Column  string // the file's own header of the column at fault, or "" for the row
	Message string
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Message)
}

// maxErrors is how many rejected rows a summary keeps in detail; the rest are
// only counted, so a wrong file of a million rows cannot exhaust memory.
const maxErrors = 1000

// Summary says what an import did.
type Summary struct {
	Rows     int        // data rows read
	Inserted int        // new accounts or payments
	Updated  int        // accounts already known
	Skipped  int        // payments already recorded
	Rejected int        // invalid rows
	Errors   []RowError // the first rejected rows, in file order
	Written  bool       // whether anything was committed
	Elapsed  time.Duration
}

func (s *Summary) reject(e RowError) {
	s.Rejected++
	if len(s.Errors) < maxErrors {
		s.Errors = append(s.Errors, e)
	}
}

// String is the one-line summary the CLI prints.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows: %d inserted, %d updated", s.Rows, s.Inserted, s.Updated)
	if s.Skipped > 0 {
		fmt.Fprintf(&b, ", %d already recorded", s.Skipped)
	}
	fmt.Fprintf(&b, ", %d rejected in %.1fs", s.Rejected, s.Elapsed.Seconds())
	if s.Rejected > 0 && !s.Written {
		b.WriteString("; nothing was written: fix the rows above, or pass --skip-invalid to import the valid ones")
	}
	return b.String()
}
