package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acuerdo/whatsapp"
)

// TestCommandsOnPostgres runs every command that uses the database against a
// PostgreSQL database: a deployment on PostgreSQL works end to end, not only
// the store's suite.
func TestCommandsOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a pilot")
	}
	pg := postgresForTest(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "portfolio.csv")
	if err := os.WriteFile(csv, []byte("Credito,Numero,Nombre,Cedula,Saldo\nCR-1,3001234567,Ana Pérez,1020304050,150000\nCR-2,3001234568,Luis Gómez,79876543,90000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	payments := filepath.Join(dir, "payments.csv")
	if err := os.WriteFile(payments, []byte("Credito,Fecha,Monto,Id\nCR-1,2026-11-20,50000,PAY-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, stdin string, want string, args ...string) string {
		t.Helper()
		code, out, errOut := runUserCLI(t, pg, stdin, args...)
		if code != 0 || !strings.Contains(out+errOut, want) {
			t.Fatalf("acuerdo %s: exit %d, want 0 and %q in\n%s\n%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	for _, step := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"import debtors", "", "2 inserted", []string{"import", "debtors", csv}},
		{"import the same file again", "", "2 updated", []string{"import", "debtors", csv}},
		{"import payments", "", "1 inserted", []string{"import", "payments", payments}},
		{"demo portfolio", "", "inserted", []string{"demo", "--debtors", "40"}},
		{"user add", "long enough pw\n", "created", []string{"user", "add", "--email", "ana@example.com", "--role", "admin", "--password-stdin"}},
		{"user list", "", "ana@example.com", []string{"user", "list"}},
		{"apikey create", "", "acu_", []string{"apikey", "create", "--name", "core", "--scope", "read"}},
		{"apikey list", "", "core", []string{"apikey", "list"}},
		{"experiment create", "", "treatment", []string{"experiment", "create", "p1", "--filter", "CURRENCY=COP"}},
		{"experiment launch", "", "launched p1", []string{"experiment", "launch", "p1"}},
		{"experiment list", "", "p1", []string{"experiment", "list"}},
		{"report", "", "sample ratio", []string{"report", "p1"}},
		{"export", "", `"phone": "+573001234567"`, []string{"export", "--phone", "3001234567"}},
		{"chat", "hola\n", "Acuerdo", []string{"chat", "--phone", "3001234568"}},
		{"audit", "", "apikey_create", []string{"audit"}},
		{"erase", "", "erased: debtor", []string{"erase", "--phone", "3001234568"}},
	} {
		t.Run(step.name, func(t *testing.T) { run(t, step.stdin, step.want, step.args...) })
	}

	t.Run("serve answers a signed WhatsApp message", func(t *testing.T) {
		f := newFakeTwilio(t)
		s := startServe(t, serveEnv(t, f), pg)
		if c := s.post(t, whatsapp.InboundPath, inbound("SMp0000000000000000000000000000001", "+573001234567", "hola")); c != http.StatusOK {
			t.Fatalf("inbound: %d", c)
		}
		s.waitFor(t, "a reply to Ana", func() bool { return len(f.to("+573001234567")) >= 1 })
		if code, _, errOut := runCLI(t, "healthcheck", "--url", s.url+"/healthz"); code != 0 {
			t.Errorf("healthcheck: %d %q", code, errOut)
		}
		s.stop(t)
	})

	t.Run("simulate", func(t *testing.T) {
		// simulate needs a database of its own (its debtor ids must follow its file).
		sim := postgresForTest(t)
		code, out, errOut := runCLI(t, "simulate", "--db", sim, "--debtors", "300", "--days", "30", "--seed", "2", "--converse=false")
		if code != 0 || !strings.Contains(out, "true relative lift") {
			t.Fatalf("simulate: %d\n%s\n%s", code, out, errOut)
		}
		if code, out, errOut := runCLI(t, "report", "sim-2", "--db", sim, "--format", "csv"); code != 0 || !strings.Contains(out, "liquidation") {
			t.Fatalf("report of the simulation: %d\n%s\n%s", code, out, fmt.Sprint(errOut))
		}
	})
}
