package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo/hooks"
)

func TestAPIKeyCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	code, key, errOut := runCLI(t, "apikey", "create", "--name", "core-banking", "--scope", "write", "--db", db)
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "acu_") || len(key) < 30 || !strings.Contains(errOut, "shown only now") {
		t.Fatalf("create: %d %q %q", code, key, errOut)
	}
	if code, _, _ := runCLI(t, "apikey", "create", "--name", "bi", "--scope", "read", "--db", db); code != 0 {
		t.Fatalf("create read: %d", code)
	}
	code, out, _ := runCLI(t, "apikey", "list", "--db", db)
	if code != 0 || !strings.Contains(out, key[:12]) || strings.Contains(out, key) || !strings.Contains(out, "core-banking") || !strings.Contains(out, "read") {
		t.Fatalf("list (must show the prefix, never the key): %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "apikey", "revoke", key[:12], "--db", db); code != 0 || !strings.Contains(out, "revoked API key 1") {
		t.Fatalf("revoke by prefix: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "apikey", "revoke", "1", "--db", db); code != 1 || !strings.Contains(errOut, "already revoked") {
		t.Fatalf("revoke twice: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "apikey", "revoke", "acu_nothing", "--db", db); code != 1 || !strings.Contains(errOut, "apikey list") {
		t.Fatalf("revoke unknown: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"apikey"}, {"apikey", "create", "--name", "x"}, {"apikey", "create", "--scope", "admin", "--name", "x"}, {"apikey", "revoke"}, {"apikey", "rotate"}} {
		if code, _, _ := runCLI(t, append(args, "--db", db)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, out, _ = runCLI(t, "audit", "--db", db)
	if code != 0 || !strings.Contains(out, "apikey_create") || !strings.Contains(out, "apikey_revoke") || strings.Contains(out, key) {
		t.Fatalf("audit of key admin: %s", out)
	}
}

// TestServeAPIWebhooks runs the real service: the core system posts a payment
// through /api/v1, the signed payment.registered event reaches its webhook,
// the export shows the payment, and a key revoked while serving stops working.
func TestServeAPIWebhooks(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	csv := filepath.Join(dir, "p.csv")
	os.WriteFile(csv, []byte("Credito,Numero,Nombre,Saldo\nCR-9,3001234567,Ana,500000\n"), 0o644)
	if code, _, errOut := runCLI(t, "import", "debtors", csv, "--db", db); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	_, key, _ := runCLI(t, "apikey", "create", "--name", "core", "--scope", "write", "--db", db)
	key = strings.TrimSpace(key)

	secret := "whsec-0123456789abcdef"
	var mu sync.Mutex
	var got []map[string]any
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := hooks.Verify([]byte(secret), r.Header.Get(hooks.SignatureHeader), b, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
		}
		var ev map[string]any
		_ = json.Unmarshal(b, &ev)
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer recv.Close()
	vars := serveEnv(t, nil)
	vars["ACUERDO_WEBHOOK_URLS"], vars["ACUERDO_WEBHOOK_SECRET"] = recv.URL+"/events", secret
	s := startServe(t, vars, db) // not --demo: the database holds a real portfolio

	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", s.url+"/api/v1/payments", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	paid := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	if code, body := post(`{"items":[{"external_id":"T-1","account_ref":"CR-9","amount":"120000","paid_at":"` + paid + `"}]}`); code != 200 || !strings.Contains(body, `"status":"recorded"`) {
		t.Fatalf("post payment: %d %s", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook within 15s:\n%s", s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	ev := got[0]
	mu.Unlock()
	data, _ := ev["data"].(map[string]any)
	if ev["type"] != "payment.registered" || data["external_id"] != "T-1" || data["amount"] != "120000.00" || data["account_ref"] != "CR-9" {
		t.Fatalf("event %v", ev)
	}
	code, out, errOut := runCLI(t, "export", "--phone", "3001234567", "--db", db)
	if code != 0 || !strings.Contains(out, `"external_id": "T-1"`) || !strings.Contains(out, `"payment.registered"`) {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "export", "--phone", "3009999999", "--db", db); code != 1 || !strings.Contains(errOut, "no debtor") {
		t.Fatalf("export unknown: %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "apikey", "revoke", "1", "--db", db); code != 0 {
		t.Fatal("revoke")
	}
	if code, body := post(`{"items":[{}]}`); code != 401 || !strings.Contains(body, `"key_revoked"`) {
		t.Fatalf("stale key: %d %s", code, body)
	}
}
