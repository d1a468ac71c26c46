package experiments

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// benchSim is the 1,000,000-debtor, ~3,000,000-payment pilot of BenchmarkFullReport:
// payers settle in up to 12 weekly installments over a 120-day horizon.
var benchSim = sync.OnceValue(func() *Sim {
	return Simulate(SimConfig{N: 1_000_000, Seed: 1, Lift: 0.15, Horizon: 120, PayScale: 1.3, MaxInstallments: 20, InstallmentGap: 5})
})

// peakHeap samples live heap bytes every millisecond until stop is closed.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
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

// BenchmarkFullReport computes every metric, with 2,000 bootstrap resamples and the
// Kaplan–Meier curves, for 1,000,000 debtors and about 3,000,000 payments. It
// reports the payments count and the peak live heap (inputs included).
// Run: go test -run '^$' -bench FullReport -benchtime 1x ./experiments/
func BenchmarkFullReport(b *testing.B) {
	s := benchSim()
	runtime.GC()
	b.ResetTimer()
	stop := make(chan struct{})
	peak := peakHeap(stop)
	for b.Loop() {
		rows, err := Report(ReportInput{Experiment: "bench", TreatmentShare: 0.5, Cohort: s.Cohort, Payments: s.Payments,
			Days: []int{30, 60, 90}, Tau: 120, Bootstrap: BootstrapConfig{Resamples: 2000, Seed: 1}})
		if err != nil || len(rows) < 50 {
			b.Fatal(err, len(rows))
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(len(s.Payments.Unit)), "payments")
	b.ReportMetric(float64(s.Cohort.Len()), "debtors")
}
