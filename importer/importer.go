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
	// Map names columns the aliases do not know: file header → field name
	// (account, phone, name, balance, installment_amount, due_date,
	// days_past_due, document, email, currency, country, time_zone, consent,
	// segment; for payments account, amount, paid_at, method, external_id).
	// It is the CLI's --map 'HEADER=field'.
	Map map[string]string
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

// shape checks what the CSV reader cannot: a value that runs across lines
// (a quote opened and never closed swallows the rows after it, so ten rows
// would import as three, one debtor's name holding the others' phones) and a
// row whose number of fields differs from the header's (a stray separator
// shifts every column after it). exact is false for spreadsheets, which
// leave trailing empty cells out.
func shape(line int, fields []string, header int, exact bool) *RowError {
	for _, f := range fields {
		// A field swallowed up to the end of the file ends with its newline.
		if n := strings.Count(strings.TrimRight(f, "\r\n"), "\n"); n > 0 || strings.ContainsAny(f, "\r\n") {
			return &RowError{Row: line, Message: fmt.Sprintf("a quoted value runs across lines %d to %d: a quote (\") opened in this row is not closed, "+
				"so the rows after it were read into it; close or remove that quote (inside a quoted value, write a quote twice: \"\"), then import again", line, line+max(n, 1))}
		}
	}
	if len(fields) > header || (exact && len(fields) != header) {
		return &RowError{Row: line, Message: fmt.Sprintf("has %d fields where the header has %d: a separator inside a value that is not quoted, or a missing one, "+
			"shifts the columns; put quotes around values that contain the separator, or fix the row", len(fields), header)}
	}
	return nil
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
	// Ignored are the file's columns that no field took, in file order.
	Ignored []string
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
	if len(s.Ignored) > 0 {
		q := make([]string, len(s.Ignored))
		for i, h := range s.Ignored {
			q[i] = fmt.Sprintf("%q", h)
		}
		fmt.Fprintf(&b, "; ignored columns (not recognised, not imported): %s: rename them, or map them with --map 'HEADER=field'", strings.Join(q, ", "))
	}
	return b.String()
}
