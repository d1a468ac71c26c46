package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkAPIUpsertDebtors posts batches of 1,000 new debtors (validation,
// one transaction each); the figure is items per second.
func BenchmarkAPIUpsertDebtors(b *testing.B) {
	r := newAPIRig(b, &coverage{covered: map[string]bool{}})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sb strings.Builder
		sb.WriteString(`{"items":[`)
		for j := 0; j < 1000; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			n := i*1000 + j
			fmt.Fprintf(&sb, `{"account_ref":"B-%d","phone":"+57300%07d","name":"Debtor %d","balance":"%d.50","due_date":"2026-04-01","consent":true}`, n, 1000000+n, n, 100000+n)
		}
		sb.WriteString(`]}`)
		req, _ := http.NewRequest("POST", r.srv.URL+"/api/v1/debtors", strings.NewReader(sb.String()))
		req.Header.Set("Authorization", "Bearer "+r.keys["write"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("batch %d: %v %v", i, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "items/s")
}
