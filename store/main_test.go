package store_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"acuerdo/store/storetest"
)

// TestMain runs the whole suite on SQLite, then again on the machine's
// PostgreSQL when it is reachable (each test in a database of its own). With
// ACUERDO_TEST_REQUIRE_POSTGRES=1 (as ./scripts/test sets) an unreachable
// PostgreSQL fails the run instead of being skipped.
func TestMain(m *testing.M) {
	code := m.Run()
	if storetest.PostgresURL() != "" {
		os.Exit(code)
	}
	if !storetest.LocalReachable() {
		if os.Getenv("ACUERDO_TEST_REQUIRE_POSTGRES") != "" {
			fmt.Println("FAIL: PostgreSQL is not reachable at 127.0.0.1:5432; start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
			os.Exit(1)
		}
		fmt.Println("PostgreSQL is not reachable at 127.0.0.1:5432: the store suite ran on SQLite only")
		os.Exit(code)
	}
	fmt.Println("=== the store suite again, on PostgreSQL")
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), storetest.Env+"="+storetest.LocalURL)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}
