package importer_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"acuerdo/demo"
	"acuerdo/importer"
	"acuerdo/store"
)

var benchRows = flag.Int("import-rows", 1_000_000, "rows in the import benchmark's generated CSV")

// BenchmarkImportCSV imports a generated portfolio CSV (default 1,000,000 rows)
// into a fresh database: reading, validation, phone normalisation and commit.
// It reports rows/s and the peak Go heap (the process RSS adds SQLite's page
// cache and the runtime; measure it with /usr/bin/time -v on "acuerdo import").
func BenchmarkImportCSV(b *testing.B) {
	dir := b.TempDir()
	csvPath := filepath.Join(dir, "portfolio.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := demo.WriteCSV(f, demo.New(7, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), true), *benchRows); err != nil {
		b.Fatal(err)
	}
	f.Close()
	ctx := context.Background()
	b.ResetTimer()
	var peak uint64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		db, err := store.Open(ctx, filepath.Join(dir, "bench"+string(rune('a'+i%26))+".db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t, err := importer.OpenFile(csvPath)
		if err != nil {
			b.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan uint64)
		go func() {
			var m runtime.MemStats
			var hi uint64
			for {
				runtime.ReadMemStats(&m)
				hi = max(hi, m.HeapAlloc)
				select {
				case <-stop:
					done <- hi
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		sum, err := importer.Portfolio(ctx, db, t, importer.Options{Country: "CO"})
		b.StopTimer()
		close(stop)
		peak = max(peak, <-done)
		if err != nil || sum.Inserted != *benchRows {
			b.Fatalf("import: %v, %+v", err, sum.Errors)
		}
		t.Close()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(*benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
