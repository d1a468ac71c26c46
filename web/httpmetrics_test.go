package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestInstrumentRoutes(t *testing.T) {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	r.Route("/console", func(r chi.Router) {
		r.Get("/cases/{id}", func(w http.ResponseWriter, r *http.Request) {
			if chi.URLParam(r, "id") == "0" {
				http.Error(w, "no such case", http.StatusNotFound)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
	})
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(InstrumentRoutes(reg, r))
	defer srv.Close()

	for _, path := range []string{"/healthz", "/healthz", "/console/cases/17", "/console/cases/18", "/console/cases/0", "/wp-login.php", "/a/b/c"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest("BREW", srv.URL+"/healthz", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}

	// Routes by pattern, never by the IDs in the path; paths nobody routes
	// and invented methods share one series each.
	want := `
# HELP acuerdo_http_requests_total HTTP requests served, by route pattern, method and status code.
# TYPE acuerdo_http_requests_total counter
acuerdo_http_requests_total{code="200",method="GET",route="/healthz"} 2
acuerdo_http_requests_total{code="204",method="GET",route="/console/cases/{id}"} 2
acuerdo_http_requests_total{code="404",method="GET",route="/console/cases/{id}"} 1
acuerdo_http_requests_total{code="404",method="GET",route="unmatched"} 2
acuerdo_http_requests_total{code="405",method="other",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "acuerdo_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "acuerdo_http_request_seconds"); n != 4 {
		t.Errorf("%d latency series, want 4 (one per route and method)", n)
	}
}
