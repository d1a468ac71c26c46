package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"
)

// scanValues calls scan with each row of the query as the driver hands it,
// without database/sql's Rows.Scan: at millions of rows (the report's scans)
// Scan's conversion of every column into its destination, and the locking
// around each row, cost a tenth of the read. scan must not keep the values of
// a row past its call ([]byte ones are the driver's buffers).
//
// Both backends' connections (cachedConn, pgConn) run queries directly; one
// that cannot (driver.ErrSkip) is a programming error here.
func scanValues(ctx context.Context, pool *sql.DB, scan func([]driver.Value) error, query string, args ...any) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("scanValues: a %T cannot run queries directly", dc)
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			v, err := driver.DefaultParameterConverter.ConvertValue(a)
			if err != nil {
				return err
			}
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
		}
		rows, err := q.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]driver.Value, len(rows.Columns()))
		for n := 1; ; n++ {
			if err := rows.Next(vals); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := scan(vals); err != nil {
				return err
			}
			if n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
	})
}

// valueInt reads an integer column; NULL is 0.
func valueInt(v driver.Value) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case nil:
		return 0, nil
	case float64:
		return int64(x), nil
	case int32:
		return int64(x), nil
	}
	return 0, fmt.Errorf("integer: cannot read a %T", v)
}

// valueText reads a text column; NULL is "". The drivers hand text as
// strings of their own (modernc and pgx copy it out), kept without a copy.
func valueText(v driver.Value) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("text: cannot read a %T", v)
}

// valueMicros reads a timestamp column as µs since the epoch, whatever shape
// the driver hands it (scanTime); ok is false for NULL.
func valueMicros(v driver.Value) (us int64, ok bool, err error) {
	if t, isTime := v.(time.Time); isTime {
		return t.UnixMicro(), true, nil
	}
	var t scanTime
	if err := t.Scan(v); err != nil || !t.Valid {
		return 0, false, err
	}
	return t.Time.UnixMicro(), true, nil
}

// valueTime reads a timestamp column whatever shape the driver hands it
// (scanTime), in UTC; ok is false for NULL.
func valueTime(v driver.Value) (t time.Time, ok bool, err error) {
	if t, isTime := v.(time.Time); isTime {
		return t.UTC(), true, nil
	}
	var s scanTime
	err = s.Scan(v)
	return s.Time, s.Valid, err
}

// values reads the columns of a row, keeping the first error.
type values struct{ err error }

func (r *values) keep(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
}

func (r *values) int(v driver.Value) int64 {
	n, err := valueInt(v)
	r.keep(err)
	return n
}

func (r *values) text(v driver.Value) string {
	s, err := valueText(v)
	r.keep(err)
	return s
}

func (r *values) time(v driver.Value) (time.Time, bool) {
	t, ok, err := valueTime(v)
	r.keep(err)
	return t, ok
}

func (r *values) micros(v driver.Value) int64 {
	us, _, err := valueMicros(v)
	r.keep(err)
	return us
}
