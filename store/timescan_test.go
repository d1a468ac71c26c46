package store

import (
	"testing"
	"time"
)

func TestScanTime(t *testing.T) {
	want := time.Date(2026, 11, 24, 15, 0, 6, 123456000, time.UTC)
	bogota := time.FixedZone("COT", -5*3600)
	for _, tc := range []struct {
		name  string
		in    any
		want  time.Time
		valid bool
	}{
		{"null", nil, time.Time{}, false},
		{"time", want, want, true},
		{"time in a zone", want.In(bogota), want, true},
		{"microseconds", want.UnixMicro(), want, true},
		{"seconds", int64(1795618806), time.Unix(1795618806, 0).UTC(), true},
		{"real", float64(want.UnixMicro()), want, true},
		{"modernc text", "2026-11-24 15:00:06.123456+00:00", want, true},
		{"modernc text in a zone", "2026-11-24 10:00:06.123456-05:00", want, true},
		{"RFC 3339", "2026-11-24T15:00:06.123456Z", want, true},
		{"CURRENT_TIMESTAMP", "2026-11-24 15:00:06", want.Truncate(time.Second), true},
		{"bytes", []byte("2026-11-24T15:00:06.123456Z"), want, true},
		{"date", "2026-11-24", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), true},
		{"integer text", "1795618806123456", time.UnixMicro(1795618806123456).UTC(), true},
		{"empty text", "", time.Time{}, false},
	} {
		var s scanTime
		if err := s.Scan(tc.in); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if s.Valid != tc.valid || !s.Time.Equal(tc.want) || s.Time.Location() != time.UTC {
			t.Errorf("%s: got %v %v; want %v %v", tc.name, s.Time, s.Valid, tc.want, tc.valid)
		}
	}
	for _, bad := range []any{"yesterday", true, struct{}{}} {
		var s scanTime
		if err := s.Scan(bad); err == nil {
			t.Errorf("%v read as %v", bad, s.Time)
		}
	}
}

func FuzzScanTime(f *testing.F) {
	for _, s := range []string{"2026-11-24 15:00:06.123456+00:00", "2026-11-24", "1795618806", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var st scanTime
		if err := st.Scan(s); err == nil && st.Valid && st.Time.Location() != time.UTC {
			t.Fatalf("%q read as %v, not UTC", s, st.Time)
		}
	})
}
