package pilot

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/store"
)

// BenchmarkCompute is the whole pilot report as acuerdo report and the
// dashboard compute it once the store has been read: 1,000,000 debtors, about
// 3,000,000 payments, a delivered template per treatment debtor, 2,000
// bootstrap resamples, costs by component, conversion by scenario and the
// curves. It reports the peak live heap, inputs included.
// Run: go test -run '^$' -bench Compute -benchtime 1x ./pilot/
func BenchmarkCompute(b *testing.B) {
	sim := experiments.Simulate(experiments.SimConfig{N: 1_000_000, Seed: 1, Lift: 0.15, Horizon: 120, PayScale: 1.3, MaxInstallments: 20, InstallmentGap: 5})
	assigned := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	data := store.ExperimentData{}
	data.Name, data.Currency, data.HorizonDays, data.Treatment = "bench", "COP", 120, 0.5
	methods := []string{"bank_transfer", "cash", "card", "payment_link"}
	data.Rows = make([]store.CohortRow, 0, len(sim.Assignments))
	data.Messages = make([]store.CohortMessage, 0, len(sim.Assignments)/2+1000)
	data.Payments = make([]store.CohortPayment, 0, len(sim.Payments.Unit))
	for i, a := range sim.Assignments {
		data.Rows = append(data.Rows, store.CohortRow{DebtorID: a.DebtorID, Arm: a.Arm, Stratum: a.Stratum, AssignedAt: assigned,
			Placed: sim.Units[i].Balance, DaysPastDue: sim.Units[i].DaysPastDue, Country: "CO"})
		if a.Arm == acuerdo.ArmTreatment {
			data.Messages = append(data.Messages, store.CohortMessage{Row: i, At: assigned.Add(time.Hour), Direction: acuerdo.Outbound,
				Author: acuerdo.AuthorBot, Status: acuerdo.MessageDelivered, Template: "first_contact", TemplateID: "HX1"})
		}
	}
	p := sim.Payments
	for k := range p.Unit {
		data.Payments = append(data.Payments, store.CohortPayment{Row: int(p.Unit[k]), Amount: int64(p.Amount[k]) + 1,
			PaidAt: assigned.Add(time.Duration(p.Day[k]-1)*24*time.Hour + time.Hour), Method: methods[int(p.Unit[k])%len(methods)]})
	}
	asOf := assigned.AddDate(0, 0, 121)
	sim = nil // only data is the report's input
	runtime.GC()
	b.ResetTimer()
	stop := make(chan struct{})
	peak := peakHeap(stop)
	for b.Loop() {
		r, err := Compute(data, asOf, Options{Resamples: 2000, FX: 4000})
		if err != nil || len(r.Results) < 80 {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(len(data.Payments)), "payments")
}

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
