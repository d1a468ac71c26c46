// Package stripetest runs stripe-mock, Stripe's official API mock, for tests of
// the Stripe integration. stripe-mock validates every request against Stripe's
// OpenAPI spec and answers with fixture objects; it keeps no state, so it
// proves that requests are well-formed and responses are read, not that
// amounts add up (local fakes in the tests check that).
package stripetest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Version is the stripe-mock scripts/test installs.
const Version = "v0.203.0"

// Binary finds stripe-mock in $(go env GOPATH)/bin, or returns "".
func Binary() string {
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "stripe-mock")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Start runs stripe-mock on free loopback ports for the test and returns its
// HTTP base URL. A missing binary fails the test with what to do; it never
// skips, so CI cannot pass without having run against it.
func Start(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Fatalf("stripe-mock is not installed in $(go env GOPATH)/bin: run ./scripts/test, which installs it (go install github.com/stripe/stripe-mock@%s)", Version)
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			const p = "Listening for HTTP at address: "
			if line := sc.Text(); !sent && strings.HasPrefix(line, p) {
				addr <- strings.TrimSpace(strings.TrimPrefix(line, p))
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// Loading the spec takes a second or two; on a loaded machine more.
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("stripe-mock exited before listening")
		}
		return "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("stripe-mock did not start listening within 60 s")
	}
	return ""
}
