package main

import (
	"net/http"
	"path/filepath"
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
