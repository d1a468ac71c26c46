package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	code, out, errOut := runCLI(t, "eval", "--run", "^es/pay-(total|overdue)$", "--v")
	if code != 0 || !strings.Contains(out, "PASS es/pay-total") || !strings.Contains(out, "\n2 passed, 0 failed\n") || !strings.Contains(out, "1> hola") {
		t.Fatalf("eval: %d\n%s\n%s", code, out, errOut)
	}

	dir := t.TempDir()
	scenario := `name: wrong
locale: en
debtor: {phone: "+12125550101", unknown: true}
messages:
  - text: hi
    expect: {contains: ["a word the agent never says"]}
`
	if err := os.WriteFile(filepath.Join(dir, "wrong.yaml"), []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	// Flags may follow DIR.
	code, out, _ = runCLI(t, "eval", dir, "--run", "wrong")
	if code != 1 || !strings.Contains(out, "FAIL wrong") || !strings.Contains(out, `contains: no reply says "a word the agent never says"`) ||
		!strings.HasSuffix(out, "\n0 passed, 1 failed\n") {
		t.Fatalf("failing eval: %d\n%s", code, out)
	}

	for _, args := range [][]string{
		{"eval", "--run", "no-such-scenario"},
		{"eval", "--run", "("},
		{"eval", filepath.Join(dir, "missing")},
		{"eval", dir, dir},
	} {
		if code, _, errOut := runCLI(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errOut)
		}
	}
}
