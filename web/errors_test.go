package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"acuerdo/store"
	"acuerdo/web"
)

// TestNoInternalTextReachesAClient is issue 10, item 14: with the database
// gone, the dashboard, the API and the console answer with the status of the
// one mapping, a localized message and the request id, never the error's
// text; the log line carries the same request id and the text.
func TestNoInternalTextReachesAClient(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := db.CreateAPIKey(context.Background(), "k", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncLog
	h := web.New(web.Config{Store: db, Dashboard: true, DashboardToken: "dash-token-0123456789", API: true, Console: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()
	db.Close() // every query now fails with the driver's own text

	for _, c := range []struct {
		path, auth string
		status     int
	}{
		{"/dashboard/pilot-1", "Bearer dash-token-0123456789", http.StatusInternalServerError},
		{"/dashboard", "Bearer dash-token-0123456789", http.StatusServiceUnavailable},
		{"/api/v1/debtors/1", "Bearer " + key, http.StatusInternalServerError},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
		req.Header.Set("Authorization", c.auth)
		req.Header.Set("Accept-Language", "pt-BR")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		body := string(b)
		if resp.StatusCode != c.status || id == "" || !strings.Contains(body, id) {
			t.Errorf("%s: %d %q (X-Request-Id %q), want %d with the request id", c.path, resp.StatusCode, body, id, c.status)
		}
		for _, leak := range []string{"sql", "closed", "database is", "acuerdo:"} {
			if strings.Contains(strings.ToLower(body), leak) && !(c.status == http.StatusServiceUnavailable && leak == "database is") {
				t.Errorf("%s: the body leaks %q: %s", c.path, leak, body)
			}
		}
		if !strings.Contains(logs.String(), "request_id="+id) {
			t.Errorf("%s: no log line with request_id=%s:\n%s", c.path, id, logs.String())
		}
	}
}

// syncLog is a log sink safe for the server's goroutines and the test.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }

func (l *syncLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
