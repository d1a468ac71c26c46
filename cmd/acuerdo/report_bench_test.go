package main

import (
	"context"
	"database/sql"
	"flag"
	"io"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"acuerdo/experiments"
	"acuerdo/pilot"
	"acuerdo/store"

	_ "modernc.org/sqlite" // the ceiling reads through the driver directly
)

var reportDebtors = flag.Int("report-debtors", 20_000, "debtors in BenchmarkReportRead's simulated pilot")

// BenchmarkReportRead times the analysts' report over a simulated pilot in a
// SQLite database (acuerdo simulate --converse=false: -report-debtors debtors,
// about 1.3 payments each at this scale, 90 days): the database read
// (store.ExperimentData) and the whole report (pilot.Build: the read, then
// 2,000 bootstrap resamples and the rest). In the same iteration it measures
// the read's ceiling: the driver scanning the same assignments and payments
// with one plain query each, no joins, no decoding into the report's rows.
//
// It reports ms per debtor for the read and for the whole report (multiply by
// 1,000,000 for the 1M debtors: an extrapolation, since the payments per
// debtor and the page cache differ at that size), the read's ratio to its
// ceiling, and the peak live heap of the whole report.
//
//	go test ./cmd/acuerdo -run '^$' -bench ReportRead -benchtime 3x
func BenchmarkReportRead(b *testing.B) {
	ctx := context.Background()
	dbPath := filepath.Join(b.TempDir(), "pilot.db")
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	cfg := experiments.SimConfig{N: *reportDebtors, Seed: 1, TreatmentShare: 0.5, Horizon: 90, Lift: 0.3, Salt: "bench"}
	now := time.Now().UTC().Truncate(time.Second)
	if err := simulatePilot(ctx, e, dbPath, cfg, now, false, io.Discard); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", "file:"+dbPath+"?_query_only=on&_time_integer_format=unix_micro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var read, build, ceil time.Duration
	var payments int
	var peak uint64
	for b.Loop() {
		start := time.Now()
		var n int
		for _, q := range []string{`SELECT debtor_id, arm, bucket, stratum, assigned_at, launched_at, placed, days_past_due FROM assignments`,
			`SELECT account_id, amount, paid_at, currency, method FROM payments`} {
			rows, err := raw.QueryContext(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := rows.Close(); err != nil {
				b.Fatal(err)
			}
		}
		ceil += time.Since(start)

		start = time.Now()
		data, err := db.ExperimentData(ctx, "bench", now)
		read += time.Since(start)
		if err != nil || len(data.Rows) != *reportDebtors {
			b.Fatalf("read: %v (%d rows)", err, len(data.Rows))
		}
		payments = len(data.Payments)
		data = store.ExperimentData{}

		runtime.GC()
		stop := make(chan struct{})
		hi := livePeak(stop)
		start = time.Now()
		r, err := pilot.Build(ctx, db, "bench", now, pilot.Options{Resamples: 2000})
		build += time.Since(start)
		close(stop)
		peak = max(peak, <-hi)
		if err != nil || len(r.Results) == 0 {
			b.Fatal(err)
		}
	}
	per := float64(b.N) * float64(*reportDebtors)
	b.ReportMetric(read.Seconds()*1000/per, "read-ms/debtor")
	b.ReportMetric(build.Seconds()*1000/per, "report-ms/debtor")
	b.ReportMetric(ceil.Seconds()/read.Seconds(), "read-ratio")
	b.ReportMetric(float64(payments)/float64(*reportDebtors), "payments/debtor")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(0, "ns/op") // each iteration times three things; ns/op means nothing here
}

// livePeak samples live heap bytes every millisecond until stop is closed.
func livePeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}
