package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeDashboardWiring checks who may see /dashboard: anyone in --demo
// (synthetic data), only the token's holders when ACUERDO_DASHBOARD_TOKEN is
// set, and nobody (the route does not exist) otherwise.
func TestServeDashboardWiring(t *testing.T) {
	status := func(t *testing.T, url, token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url+"/dashboard", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	t.Run("demo without a token is open", func(t *testing.T) {
		s := startServe(t, serveEnv(t, nil), filepath.Join(t.TempDir(), "d.db"), "--demo")
		if c := status(t, s.url, ""); c != http.StatusOK {
			t.Errorf("/dashboard: %d, want 200", c)
		}
		// The demo comes with a living pilot: its page has results, and its
		// treatment arm talked to the agent.
		res, err := http.Get(s.url + "/dashboard/demo-pilot?lang=en")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{"Liquidation by day 30", `id="funnel"`, `id="scenarios"`, "Templates (USD/debtor)"} {
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
				t.Errorf("/dashboard/demo-pilot: %d, missing %q", res.StatusCode, want)
			}
		}
		raw := rawDB(t, s.db)
		if n := count(t, raw, `SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
			JOIN assignments a ON a.debtor_id = c.debtor_id WHERE m.direction = 'inbound'`); n < 50 {
			t.Errorf("%d inbound messages in the demo pilot; its treatment debtors should have talked", n)
		}
	})
	t.Run("a token is required when set", func(t *testing.T) {
		vars := serveEnv(t, newFakeTwilio(t))
		vars["ACUERDO_DASHBOARD_TOKEN"] = "read-only"
		s := startServe(t, vars, filepath.Join(t.TempDir(), "d.db"))
		if c := status(t, s.url, ""); c != http.StatusUnauthorized {
			t.Errorf("without the token: %d, want 401", c)
		}
		if c := status(t, s.url, "read-only"); c != http.StatusOK {
			t.Errorf("with the token: %d, want 200", c)
		}
	})
	t.Run("off without a token outside demo", func(t *testing.T) {
		s := startServe(t, serveEnv(t, newFakeTwilio(t)), filepath.Join(t.TempDir(), "d.db"))
		if c := status(t, s.url, ""); c != http.StatusNotFound {
			t.Errorf("/dashboard: %d, want 404", c)
		}
	})
}
