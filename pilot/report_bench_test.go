package pilot

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"acuerdo/store"
)

var (
	reportDebtors  = flag.Int("report-debtors", 1_000_000, "debtors in BenchmarkReportRead's pilot")
	reportPayments = flag.Int("report-payments", 3, "payments per debtor in BenchmarkReportRead's pilot")
	reportBuild    = flag.Bool("report-build", true, "BenchmarkReportRead also times the whole report (pilot.Build), not only the read")
	reportCache    = flag.String("report-cache", filepath.Join(os.TempDir(), "acuerdo-bench"), "directory where BenchmarkReportRead keeps its generated database between runs ('' regenerates it every run)")
)

// benchAssigned is when BenchmarkReportRead's debtors were assigned; the
// report is read 90 days later, at the end of the horizon.
var benchAssigned = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkReportRead reads the analysts' report of a pilot of -report-debtors
// debtors (default 1,000,000) with -report-payments payments each (default 3:
// 3,000,000), one account each, half in treatment, from a SQLite database:
// store.ExperimentData, the read acuerdo report and the dashboard start with,
// and then the whole report (pilot.Build: the read, 2,000 bootstrap resamples,
// costs, scenarios, segments, the funnel). In the same iteration it measures
// the read's ceiling: the driver scanning the same assignments and payments
// with one plain query each, no joins and no decoding into the report's rows.
//
// The database is written directly with SQL (no import, no simulation: a
// million debtors take seconds) and kept under -report-cache, so only the
// first run pays for it.
//
// It reports the read's and the whole report's seconds, the read's ratio to its
// ceiling by the clock and by CPU time (steadier when other work shares the
// machine) and the peak live heap (runtime/metrics, sampled every millisecond)
// of each; max RSS is the process's, measured with /usr/bin/time -v.
//
//	go test ./pilot -run '^$' -bench ReportRead -benchtime 3x
func BenchmarkReportRead(b *testing.B) {
	ctx := context.Background()
	dbPath := reportDB(b, *reportDebtors, *reportPayments)
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
	asOf := benchAssigned.AddDate(0, 0, 90)
	var read, build, ceil, readCPU, ceilCPU time.Duration
	var readPeak, buildPeak uint64
	var payments int
	for b.Loop() {
		start, cpu := time.Now(), cpuTime()
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
			}
			if err := rows.Close(); err != nil {
				b.Fatal(err)
			}
		}
		ceil += time.Since(start)
		ceilCPU += cpuTime() - cpu

		runtime.GC()
		stop := make(chan struct{})
		hi := peakHeap(stop)
		start, cpu = time.Now(), cpuTime()
		data, err := db.ExperimentData(ctx, "bench", asOf)
		read += time.Since(start)
		readCPU += cpuTime() - cpu
		close(stop)
		readPeak = max(readPeak, <-hi)
		if err != nil || len(data.Rows) != *reportDebtors {
			b.Fatalf("read: %v (%d rows)", err, len(data.Rows))
		}
		payments = len(data.Payments)
		data = store.ExperimentData{}
		if !*reportBuild {
			continue
		}

		runtime.GC()
		stop = make(chan struct{})
		hi = peakHeap(stop)
		start = time.Now()
		r, err := Build(ctx, db, "bench", asOf, Options{Resamples: 2000})
		build += time.Since(start)
		close(stop)
		buildPeak = max(buildPeak, <-hi)
		if err != nil || len(r.Results) == 0 {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(read.Seconds()/n, "read-s")
	b.ReportMetric(ceil.Seconds()/n, "ceiling-s")
	b.ReportMetric(ceil.Seconds()/read.Seconds(), "read-ratio")
	b.ReportMetric(ceilCPU.Seconds()/readCPU.Seconds(), "read-cpu-ratio")
	b.ReportMetric(readCPU.Seconds()/n, "read-cpu-s")
	b.ReportMetric(float64(readPeak)/(1<<20), "read-peak-heap-MB")
	if *reportBuild {
		b.ReportMetric(build.Seconds()/n, "report-s")
		b.ReportMetric(float64(buildPeak)/(1<<20), "report-peak-heap-MB")
	}
	b.ReportMetric(float64(payments), "payments-read")
	b.ReportMetric(0, "ns/op") // each iteration times three things; ns/op means nothing here
}

// cpuTime is the CPU the process used so far, user and system: on a machine
// other work shares, it says what a read costs better than the clock does
// (the garbage collector's CPU included).
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// reportDB returns a SQLite database holding the pilot "bench": n debtors with
// one COP account each, assigned half to control and half to treatment on
// benchAssigned, and k payments per debtor spread from 20 days before
// assignment (the CUPED covariate) to 100 days after (past the horizon, so
// the as-of cut matters). Every value is a function of the debtor's number, so
// the database is the same on every machine.
func reportDB(b *testing.B, n, k int) string {
	b.Helper()
	dir := *reportCache
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	// v1: bump when the generated data changes shape.
	path := filepath.Join(dir, fmt.Sprintf("report-v1-%d-%d.db", n, k))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	ctx := context.Background()
	tmp := path + ".tmp"
	os.Remove(tmp)
	db, err := store.Open(ctx, tmp, store.Options{}) // the schema
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+tmp+"?_journal_mode=wal&_synchronous=off&_foreign_keys=off&_pragma=cache_size(-262144)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	at := benchAssigned.UnixMicro()
	const dayUS = int64(24 * time.Hour / time.Microsecond)
	seq := fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < %d) `, n)
	for _, q := range []string{
		`BEGIN`,
		seq + fmt.Sprintf(`INSERT INTO debtors (id, phone, name, country, segment, created_at, updated_at)
			SELECT i, '+57300' || printf('%%07d', i), 'Debtor ' || i, 'CO', CASE i %% 3 WHEN 0 THEN 'retail' WHEN 1 THEN 'sme' ELSE 'card' END, %d, %d FROM c`, at-30*dayUS, at-30*dayUS),
		seq + fmt.Sprintf(`INSERT INTO accounts (id, debtor_id, ref, currency, balance, balance_as_of, installment_amount, next_due_date, days_past_due, status, created_at, updated_at)
			SELECT i, i, 'ACC' || i, 'COP', 100000 + (i * 7919) %% 5000000, %d, 50000, '2026-03-15', (i * 31) %% 180, 'open', %d, %d FROM c`, at-30*dayUS, at-30*dayUS, at-30*dayUS),
		fmt.Sprintf(`INSERT INTO experiments (id, name, salt, treatment, horizon_days, created_at, launched_at, currency) VALUES (1, 'bench', 'bench', 0.5, 90, %d, %d, 'COP')`, at, at),
		`INSERT INTO experiment_arms (experiment_id, name, share, position) VALUES (1, 'control', 0.5, 0), (1, 'treatment', 0.5, 1)`,
		seq + fmt.Sprintf(`INSERT INTO assignments (experiment_id, debtor_id, arm, bucket, stratum, assigned_at, launched_at, placed, days_past_due)
			SELECT 1, i, CASE WHEN (i * 2654435761) %% 10000 < 5000 THEN 'control' ELSE 'treatment' END, (i * 2654435761) %% 10000,
				'dpd' || ((i * 31) %% 180 / 30), %d, CASE WHEN (i * 2654435761) %% 10000 < 5000 THEN NULL ELSE %d END, 100000 + (i * 7919) %% 5000000, (i * 31) %% 180 FROM c`, at, at+3600_000_000),
		seq + fmt.Sprintf(`INSERT INTO payments (id, account_id, amount, currency, paid_at, method, external_id, source, created_at)
			SELECT (i - 1) * %d + j, i, 1000 + (i * j * 104729) %% 200000, 'COP', %d + ((i * j * 97) %% 120 - 20) * %d + (i %% 86400) * 1000000,
				CASE (i + j) %% 4 WHEN 0 THEN 'bank_transfer' WHEN 1 THEN 'cash' WHEN 2 THEN 'card' ELSE 'payment_link' END,
				'p' || ((i - 1) * %d + j), 'import', %d
			FROM c JOIN (WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j+1 FROM k WHERE j < %d) SELECT j FROM k)`, k, at, dayUS, k, at, k),
		`COMMIT`,
		`ANALYZE`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			b.Fatalf("generate the report's database: %v\n%s", err, q)
		}
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	raw.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	return path
}
