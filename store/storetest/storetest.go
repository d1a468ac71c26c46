// Package storetest opens databases for tests, on SQLite or, when
// ACUERDO_TEST_POSTGRES names a PostgreSQL server, on PostgreSQL: each test gets
// its own database, copied from a migrated template and dropped when the test
// ends.
package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo/store"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for administration
)

// Env is the variable that selects PostgreSQL for the tests: the URL of a
// server where the tests may create and drop databases.
const Env = "ACUERDO_TEST_POSTGRES"

// LocalURL is the machine's PostgreSQL (trust authentication).
const LocalURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresURL returns the server the tests run on, or "" for SQLite.
func PostgresURL() string { return os.Getenv(Env) }

// LocalReachable tells whether the machine's PostgreSQL accepts connections.
func LocalReachable() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:5432", 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Open opens a fresh database for t on the selected backend and returns it
// with its path or URL; it is closed (and on PostgreSQL dropped) when t ends.
func Open(t testing.TB, opt store.Options) (*store.DB, string) {
	t.Helper()
	dsn := NewDatabase(t)
	db, err := store.Open(context.Background(), dsn, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

// NewDatabase returns where a fresh database for t lives: a file path in t's
// temporary directory on SQLite, a migrated database's URL on PostgreSQL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := PostgresURL()
	if server == "" {
		return filepath.Join(t.TempDir(), "test.db")
	}
	return NewPostgresDatabase(t, server)
}

var (
	counter  atomic.Int64
	tplOnce  sync.Once
	tplName  string
	tplErr   error
	adminMu  sync.Mutex
	adminDBs = map[string]*sql.DB{}
)

func admin(server string) (*sql.DB, error) {
	adminMu.Lock()
	defer adminMu.Unlock()
	if db, ok := adminDBs[server]; ok {
		return db, nil
	}
	db, err := sql.Open("pgx", server)
	if err != nil {
		return nil, err
	}
	adminDBs[server] = db
	return db, nil
}

// NewPostgresDatabase creates a database on server for t, with acuerdo's
// schema, and drops it when t ends.
func NewPostgresDatabase(t testing.TB, server string) string {
	t.Helper()
	ctx := context.Background()
	adm, err := admin(server)
	if err != nil {
		t.Fatal(err)
	}
	tplOnce.Do(func() { tplName, tplErr = template(ctx, adm, server) })
	if tplErr != nil {
		t.Fatalf("PostgreSQL template database: %v", tplErr)
	}
	name := fmt.Sprintf("acuerdo_t%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, counter.Add(1))
	if _, err := adm.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tplName); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		// FORCE: a test that failed may have left connections open.
		if _, err := adm.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(server, name)
}

// template returns a database with the current schema to copy, named by a hash
// of the migrations so that a changed schema gets a new one. Test processes
// running side by side build it once, under an advisory lock.
func template(ctx context.Context, adm *sql.DB, server string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(store.Migrations, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(store.Migrations, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	name := "acuerdo_tpl_" + hex.EncodeToString(h.Sum(nil))[:12]
	conn, err := adm.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(4242)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(4242)`)
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return "", err
	}
	if n == 1 {
		return name, nil
	}
	// Built under another name and renamed when complete, so that a build
	// interrupted halfway is never used.
	tmp := fmt.Sprintf("%s_build%d", name, os.Getpid())
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+tmp+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+tmp); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, withDatabase(server, tmp), store.Options{})
	if err != nil {
		return "", err
	}
	db.Close()
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+tmp+` RENAME TO `+name); err != nil {
		return "", err
	}
	return name, nil
}

// withDatabase returns server's URL with another database name.
func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Main runs a package's tests on SQLite, then (in a child process) again on
// the machine's PostgreSQL when it is reachable; call it from TestMain. With
// ACUERDO_TEST_REQUIRE_POSTGRES=1 (as ./scripts/test sets) an unreachable
// PostgreSQL fails the run instead of being skipped.
func Main(m *testing.M) {
	code := m.Run()
	if PostgresURL() != "" {
		os.Exit(code)
	}
	if !LocalReachable() {
		if os.Getenv("ACUERDO_TEST_REQUIRE_POSTGRES") != "" {
			fmt.Println("FAIL: PostgreSQL is not reachable at 127.0.0.1:5432; start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
			os.Exit(1)
		}
		fmt.Println("PostgreSQL is not reachable at 127.0.0.1:5432: these tests ran on SQLite only")
		os.Exit(code)
	}
	fmt.Println("=== the same tests again, on PostgreSQL")
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), Env+"="+LocalURL)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}
