package store

import (
	"fmt"
	"strings"
	"time"
)

// scanTime reads a timestamp column whatever shape the driver hands it, so no
// read depends on how a value was stored or which backend stored it:
//   - time.Time: declared TIMESTAMP columns under modernc's _inttotime, and pgx;
//   - int64: acuerdo's stored microseconds, which SQLite returns as they are for
//     expressions (MIN, MAX, CASE, subqueries) whose type it cannot declare;
//   - string or []byte: SQLite's text forms (CURRENT_TIMESTAMP, values written
//     by hand or by an older version).
//
// A NULL leaves Valid false. Every read of a timestamp goes through it: reading
// one into an int64 broke every WhatsApp conversation after its first message
// (issue 10, item 1), because only the driver knew which shape would come.
type scanTime struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *scanTime) Scan(v any) error {
	t.Time, t.Valid = time.Time{}, false
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		t.Time = x.UTC()
	case int64:
		t.Time = fromInteger(x)
	case float64: // a computed value SQLite widened to REAL
		t.Time = fromInteger(int64(x))
	case []byte:
		return t.parse(string(x))
	case string:
		return t.parse(x)
	default:
		return fmt.Errorf("timestamp: cannot read a %T", v)
	}
	t.Valid = true
	return nil
}

// fromInteger reads microseconds since the epoch, the form acuerdo writes; a
// value too small to be microseconds of any date after 2 January 1970 is
// seconds, the form SQLite's unixepoch() and other tools write.
func fromInteger(n int64) time.Time {
	if n > -1e11 && n < 1e11 {
		return time.Unix(n, 0).UTC()
	}
	return time.UnixMicro(n).UTC()
}

// textLayouts are the forms SQLite and its drivers write timestamps in
// (modernc's own, CURRENT_TIMESTAMP's, ISO 8601 with and without zone).
var textLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01-02 15:04:05.999999999 -0700 MST", // time.Time.String(), as some drivers store it
}

func (t *scanTime) parse(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, l := range textLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time, t.Valid = v.UTC(), true
			return nil
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err == nil && fmt.Sprint(n) == s {
		t.Time, t.Valid = fromInteger(n), true
		return nil
	}
	return fmt.Errorf("timestamp: cannot read %q", s)
}

// ptr returns the time, or nil for NULL.
func (t scanTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}
