package hooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"acuerdo"
	"acuerdo/hooks"
	"acuerdo/store"
)

// BenchmarkDeliver measures signed deliveries per second to a local receiver
// that acknowledges at once: 200 debtors with 5 events each, so that both
// the parallel workers and the per-debtor ordering are exercised.
func BenchmarkDeliver(b *testing.B) {
	ctx := context.Background()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer recv.Close()
	total := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := store.Open(ctx, filepath.Join(b.TempDir(), "b.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		im, _ := db.BeginPortfolioImport(ctx)
		for d := 0; d < 200; d++ {
			bal := acuerdo.Money{Amount: 100000, Currency: "COP"}
			_ = im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: fmt.Sprintf("+57300%07d", 1000000+d), Name: "x", Country: "CO"},
				Account: acuerdo.Account{Ref: fmt.Sprintf("R-%d", d), Balance: &bal, InstallmentAmount: acuerdo.Money{Currency: "COP"}}})
		}
		if _, err := im.Commit(); err != nil {
			b.Fatal(err)
		}
		for k := 0; k < 5; k++ {
			for d := 1; d <= 200; d++ {
				if _, err := db.CreatePromise(ctx, acuerdo.Promise{AccountID: int64(d), Amount: acuerdo.Money{Amount: 100, Currency: "COP"}, DueDate: acuerdo.Date{Year: 2026, Month: 3, Day: 9}}); err != nil {
					b.Fatal(err)
				}
			}
		}
		s, err := hooks.New(hooks.Config{Store: db, URLs: []string{recv.URL}, Secret: secret})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for {
			n, err := s.DeliverDue(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			total += n
		}
		b.StopTimer()
		if p, f, _ := db.EventBacklog(ctx); p != 0 || f != 0 {
			b.Fatalf("backlog %d pending, %d failed", p, f)
		}
		db.Close()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
}
