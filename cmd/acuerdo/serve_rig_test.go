package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo/store"
	"acuerdo/whatsapp"
)

// publicURL is the address Twilio is configured to call; the tests post to the
// real listener and sign for this URL, as a proxy in front of acuerdo would.
const publicURL = "https://cobros.example.com"

// testHX is the approved template the tests configure for reengage/es.
const testHX = "HXb5b62575e6e4ff6129ad7c8efe1f983e"

// syncBuffer is a bytes.Buffer safe for a server writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveEnv is the environment of a server talking to the fake: Twilio's three
// variables, the fake's URL, templates, and a policy without the 6-second
// per-debtor gap or the 10/s send rate, which would only slow the tests.
func serveEnv(t testing.TB, f *fakeTwilio) map[string]string {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	tpl := filepath.Join(dir, "templates.json")
	if err := os.WriteFile(pol, []byte("send_rate_per_second: 1000\ndebtor_min_gap: 0s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tpl, []byte(`{"reengage/es": "`+testHX+`", "reengage/pt-BR": "HX00000000000000000000000000000002"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ACUERDO_POLICY": pol, "ACUERDO_TEMPLATES": tpl, "ACUERDO_PAYLINK_SECRET": "test-secret",
		"ACUERDO_PUBLIC_URL": publicURL, "ACUERDO_LOG_LEVEL": "debug",
	}
	if f != nil {
		env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"], env["TWILIO_WHATSAPP_FROM"] = fakeSID, fakeToken, fakeFrom
		env["TWILIO_API_URL"] = f.api.URL
	}
	return env
}

// served is an `acuerdo serve` running in this process.
type served struct {
	url            string
	db             string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
	stopOnce       sync.Once
}

var servingLine = regexp.MustCompile(`acuerdo serving on (http://\S+)`)

// servingURLs reads a child serve's stdout and sends the URL of its "serving
// on" line; the rest is drained so the child never blocks on a full pipe.
func servingURLs(out io.Reader) <-chan string {
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	return urls
}

// startServe runs `acuerdo serve --addr 127.0.0.1:0 ARGS` with vars as its environment, waits for
// its startup line and stops it when the test ends.
func startServe(t testing.TB, vars map[string]string, db string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{db: db, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: s.stdout, stderr: s.stderr, getenv: func(k string) string { return vars[k] }}
	go func() { s.done <- run(ctx, e, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)) }()
	// --demo simulates a pilot before it serves: seconds, more under -race.
	deadline := time.Now().Add(60 * time.Second)
	for s.url == "" {
		if m := servingLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = m[1]
			break
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited with %d:\n%s", code, s.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", s.stderr.String())
		}
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop shuts the server down as SIGTERM would and checks it exits cleanly.
func (s *served) stop(t testing.TB) {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case code := <-s.done:
			if code != 0 {
				t.Errorf("serve exited with %d:\n%s", code, s.stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop")
		}
	})
}

// post signs a form for the public URL, as Twilio does, and posts it to the
// server.
func (s *served) post(t testing.TB, path string, form url.Values) int {
	t.Helper()
	return postSigned(t, s.url, path, form)
}

func postSigned(t testing.TB, base, path string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(fakeToken, publicURL+path, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func inbound(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {fakeSID}, "From": {"whatsapp:" + from},
		"To": {fakeFrom}, "Body": {body}, "NumMedia": {"0"}, "WaId": {strings.TrimPrefix(from, "+")}, "ApiVersion": {"2010-04-01"}}
}

// openServerDB opens a server's database for the test to look at: a SQLite file read
// only, or a PostgreSQL URL through the store's connector (? placeholders).
func openServerDB(db string) (*sql.DB, error) {
	if strings.HasPrefix(db, "postgres://") {
		return store.OpenRaw(db)
	}
	return sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
}

// sqlInt runs a read-only query against a server's database.
func sqlInt(t testing.TB, db, q string, args ...any) int {
	t.Helper()
	c, err := openServerDB(db)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n int
	if err := c.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func sqlString(t testing.TB, db, q string, args ...any) string {
	t.Helper()
	c, err := openServerDB(db)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s string
	if err := c.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// waitFor polls cond for up to 10 seconds.
// waitFor is waitFor with serve's log in the failure, to see why.
func (s *served) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			log := s.stderr.String()
			_ = os.WriteFile(filepath.Join(os.TempDir(), "acuerdo-serve-timeout.log"), []byte(log), 0o644)
			t.Fatalf("timed out waiting for %s; serve's log ends:\n%s", what, log[max(0, len(log)-8000):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// importDebtors loads CSV rows (after the header Credito,Numero,Nombre,Cedula)
// into db through the import command.
func importDebtors(t *testing.T, db, rows string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "debtors.csv")
	if err := os.WriteFile(f, []byte("Credito,Numero,Nombre,Cedula\n"+rows), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "import", "debtors", f, "--db", db); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
}
