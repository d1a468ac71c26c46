package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs one command line as the binary would, returning exit status,
// stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 || !strings.Contains(out, "import") || !strings.Contains(out, "ACUERDO_DB") {
		t.Fatalf("--help: %d %q", code, out)
	}
	for name := range commands {
		code, out, errOut := runCLI(t, name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: acuerdo "+name) || !strings.Contains(out, "-db") {
			t.Errorf("%s --help: %d %q %q", name, code, out, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestImportExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(good, []byte("Credito,Numero,Nombre\n1001,3001234567,Ana\n"), 0o644)
	os.WriteFile(bad, []byte("Credito,Numero,Nombre\n1002,12,Luis\n1003,3001234568,Eva\n"), 0o644)

	code, out, errOut := runCLI(t, "import", "debtors", good, "--db", db)
	if code != 0 || !strings.Contains(out, "1 inserted") {
		t.Fatalf("good import: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "import", "--db", db, "debtors", bad)
	if code != 1 || !strings.Contains(errOut, "row 2, column Numero") || !strings.Contains(out, "nothing was written") {
		t.Fatalf("bad import: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "import", "--skip-invalid", "--db", db, "debtors", bad)
	if code != 1 || !strings.Contains(out, "1 inserted") {
		t.Fatalf("skip-invalid import: %d %q", code, out)
	}
	for _, args := range [][]string{
		{"import", "debtors"},
		{"import", "people", good},
		{"import", "debtors", filepath.Join(dir, "missing.csv")},
		{"import", "--bogus", "debtors", good},
	} {
		if code, _, errOut := runCLI(t, append(args, "--db", db)...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errOut)
		}
	}
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	if code, out, errOut := runCLI(t, "demo", "--db", db, "--debtors", "50"); code != 0 || !strings.Contains(out, "50 inserted") {
		t.Fatalf("demo: %d %q %q", code, out, errOut)
	}
	csv := filepath.Join(dir, "demo.csv")
	if code, _, _ := runCLI(t, "demo", "--csv", csv, "--debtors", "20"); code != 0 {
		t.Fatal("demo --csv failed")
	}
	if code, out, _ := runCLI(t, "import", "debtors", csv, "--db", filepath.Join(dir, "b.db")); code != 0 || !strings.Contains(out, "20 inserted") {
		t.Fatalf("import of the demo CSV: %d %q", code, out)
	}
}

func TestErase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("Credito,Numero,Nombre\n1001,3001234567,Ana\n"), 0o644)
	if code, _, _ := runCLI(t, "import", "debtors", good, "--db", db); code != 0 {
		t.Fatal("import failed")
	}
	if code, out, errOut := runCLI(t, "erase", "--phone", "3001234567", "--db", db); code != 0 || !strings.Contains(out, "erased: debtor 1") {
		t.Fatalf("erase: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "erase", "--phone", "3001234567", "--db", db); code != 1 || !strings.Contains(errOut, "nothing is held") {
		t.Fatalf("second erase: %d %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "erase", "--db", db); code != 2 {
		t.Fatal("erase without --phone")
	}
}
