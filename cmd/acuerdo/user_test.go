package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"acuerdo/store"
)

// runUserCLI runs a command with stdin and ACUERDO_DB set.
func runUserCLI(t *testing.T, db, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "ACUERDO_DB" {
			return db
		}
		return ""
	}}
	return run(context.Background(), e, args), out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "u.db")
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		out         string
	}{
		{"no subcommand", "", []string{"user"}, 2, ""},
		{"unknown subcommand", "", []string{"user", "remove"}, 2, ""},
		{"missing password flag", "pw\n", []string{"user", "add", "--email", "ana@example.com", "--role", "admin"}, 2, ""},
		{"bad role", "long enough pw\n", []string{"user", "add", "--email", "ana@example.com", "--role", "root", "--password-stdin"}, 2, ""},
		{"bad email", "long enough pw\n", []string{"user", "add", "--email", "ana", "--role", "admin", "--password-stdin"}, 2, ""},
		{"short password", "short\n", []string{"user", "add", "--email", "ana@example.com", "--role", "admin", "--password-stdin"}, 2, ""},
		{"empty stdin", "", []string{"user", "add", "--email", "ana@example.com", "--role", "admin", "--password-stdin"}, 2, ""},
		{"first admin", "long enough pw\r\n", []string{"user", "add", "--email", "Ana@Example.com", "--role", "admin", "--name", "Ana", "--password-stdin"}, 0, "ana@example.com (admin) created"},
		{"duplicate", "long enough pw\n", []string{"user", "add", "--email", "ana@example.com", "--role", "operator", "--password-stdin"}, 1, ""},
		{"operator", "another long pw\n", []string{"user", "add", "--email", "olga@example.com", "--role", "operator", "--password-stdin"}, 0, "created"},
		{"list", "", []string{"user", "list"}, 0, "olga@example.com"},
		{"disable unknown", "", []string{"user", "disable", "--email", "nobody@example.com"}, 1, ""},
		{"disable the last admin", "", []string{"user", "disable", "--email", "ana@example.com"}, 1, ""},
		{"disable", "", []string{"user", "disable", "--email", "olga@example.com"}, 0, "disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runUserCLI(t, db, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) {
				t.Errorf("exit %d, want %d; stdout %q; stderr %q", code, tc.code, out, errOut)
			}
		})
	}
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ana, err := s.UserByEmail(context.Background(), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// The password is stored hashed at a cost of at least 10, without the line ending.
	if cost, err := bcrypt.Cost([]byte(ana.PasswordHash)); err != nil || cost < 10 {
		t.Errorf("bcrypt cost %d, err %v", cost, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(ana.PasswordHash), []byte("long enough pw")) != nil || ana.Role != store.RoleAdmin || ana.Name != "Ana" {
		t.Errorf("stored user %+v does not match", ana)
	}
	if olga, _ := s.UserByEmail(context.Background(), "olga@example.com"); !olga.Disabled {
		t.Error("olga not disabled")
	}
	entries, err := s.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	admin := 0
	for _, e := range entries {
		if e.Kind == "admin" {
			admin++
		}
	}
	if admin != 3 {
		t.Errorf("%d admin audit lines, want 3 (two creations, one disable)", admin)
	}
}

var demoUserLine = regexp.MustCompile(`(admin|operator)\s+(\S+@demo\.acuerdo)\s+password (\S+)`)

// TestServeConsole: serve always mounts the console; --demo creates the demo
// users and prints passwords that sign in, and a plain serve creates none.
func TestServeConsole(t *testing.T) {
	db := filepath.Join(t.TempDir(), "console.db")
	s := startServe(t, serveEnv(t, newFakeTwilio(t)), db)
	if !strings.Contains(s.stdout.String(), "console: "+s.url+"/console/login") {
		t.Errorf("startup lines lack the console URL: %q", s.stdout.String())
	}
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM users`); n != 0 {
		t.Errorf("serve without --demo created %d users", n)
	}
	if !strings.Contains(get(t, s.url+"/console/login"), `id="login"`) {
		t.Error("no sign-in form at /console/login")
	}
	s.stop(t)

	s = startServe(t, serveEnv(t, nil), db, "--demo")
	creds := demoUserLine.FindAllStringSubmatch(s.stderr.String(), -1)
	if len(creds) != 2 {
		t.Fatalf("demo credentials not printed: %q", s.stderr.String())
	}
	for _, c := range creds {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar}
		resp, err := hc.Get(s.url + "/console/login")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
		if tok == nil {
			t.Fatal("no CSRF token on the sign-in page")
		}
		resp, err = hc.PostForm(s.url+"/console/login", url.Values{"email": {c[2]}, "password": {c[3]}, "csrf": {string(tok[1])}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `id="inbox-rows"`) {
			t.Errorf("%s %s cannot sign in with the printed password: %d", c[1], c[2], resp.StatusCode)
		}
	}
}
