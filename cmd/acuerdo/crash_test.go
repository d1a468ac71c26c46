package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"acuerdo/whatsapp"
)

// process is `acuerdo serve` running as a child process.
type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
}

func startProcess(t *testing.T, bin, db string, vars map[string]string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	// Only what the test sets: the developer's own TWILIO_* must not leak in.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // still running: the test failed early
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := servingURLs(out)
	select {
	case p.url = <-lines:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("acuerdo serve did not start:\n%s", p.stderr.String())
	}
	return p
}

// TestKillMidBurst kills the server with SIGKILL while signed inbound messages
// pour in and replies go out, restarts it on the same database, and checks that
// every acknowledged message was stored and answered and that no reply reached
// Twilio twice: interrupted sends are reconciled through the Messages list.
func TestKillMidBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "acuerdo")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := newFakeTwilio(t)
	f.delay = 15 * time.Millisecond // sends take time, so the kill catches one in flight
	db := filepath.Join(dir, "crash.db")
	vars := serveEnv(t, f)
	vars["ACUERDO_LOG_LEVEL"] = "info"
	// Work the killed process had claimed waits out its lease before the new
	// one takes it (the engine's default is two minutes).
	vars["ACUERDO_LEASE"] = "1s"

	const n = 60
	forms := make([]url.Values, n)
	for i := range forms {
		forms[i] = inbound(fmt.Sprintf("SMk%031d", i), fmt.Sprintf("+5730099%05d", i), "hola, ¿cuánto debo?")
	}
	p := startProcess(t, bin, db, vars)

	var mu sync.Mutex
	acked := map[string]bool{}
	killed := make(chan struct{})
	var once sync.Once
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				time.Sleep(20 * time.Millisecond) // a burst, not a flood: replies go out meanwhile
				if code, err := postTo(client, p.url, forms[i]); err == nil && code == http.StatusOK {
					mu.Lock()
					acked[forms[i].Get("MessageSid")] = true
					k := len(acked)
					mu.Unlock()
					if k == n/2 {
						once.Do(func() {
							_ = p.cmd.Process.Signal(syscall.SIGKILL)
							close(killed)
						})
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	<-killed
	_ = p.cmd.Wait()
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	sentBefore := len(f.sent())
	t.Logf("killed after %d of %d messages acknowledged and %d replies accepted by the fake", before, n, sentBefore)

	// Restart; Twilio delivers again what was not acknowledged.
	p = startProcess(t, bin, db, vars)
	defer func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	}()
	for _, form := range forms {
		if acked[form.Get("MessageSid")] {
			continue
		}
		if code, err := postTo(client, p.url, form); err != nil || code != http.StatusOK {
			t.Fatalf("redelivery after restart: %d %v", code, err)
		}
	}
	defer func() {
		if t.Failed() {
			t.Logf("handled %d, outbox %s\nstderr after restart:\n%s", sqlInt(t, db, `SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND handled`),
				sqlString(t, db, `SELECT group_concat(state || ':' || attempts || ':' || last_error, ' | ') FROM outbox WHERE state <> 'sent'`), p.stderr.String())
		}
	}()
	waitFor(t, "every message answered and the outbox empty", func() bool {
		return sqlInt(t, db, `SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND handled`) == n &&
			sqlInt(t, db, `SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')`) == 0
	})

	for sid := range acked {
		if c := sqlInt(t, db, `SELECT COUNT(*) FROM messages WHERE provider_id = ? AND handled`, sid); c != 1 {
			t.Errorf("acknowledged %s: %d handled copies, want 1", sid, c)
		}
	}
	for _, form := range forms {
		phone := strings.TrimPrefix(form.Get("From"), "whatsapp:")
		if len(f.to(phone)) == 0 {
			t.Errorf("%s got no reply", phone)
		}
	}
	// Every message the fake accepted is exactly one outbox row, and every sent
	// row is one message at the fake: nothing went out twice.
	accepted := 0
	for _, m := range f.sent() {
		if m.SID == "" {
			continue
		}
		accepted++
		if c := sqlInt(t, db, `SELECT COUNT(*) FROM outbox WHERE provider_id = ? AND state = 'sent'`, m.SID); c != 1 {
			t.Errorf("fake message %s (to %s) matches %d sent outbox rows, want 1", m.SID, m.To, c)
		}
	}
	if rows := sqlInt(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`); rows != accepted {
		t.Errorf("%d sent outbox rows, %d messages at the fake: a reply was sent twice or lost", rows, accepted)
	}
	if strings.Contains(p.stderr.String(), "reconciled an interrupted send") {
		t.Log("an interrupted send was reconciled")
	}
}

func postTo(c *http.Client, base string, form url.Values) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, base+whatsapp.InboundPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(fakeToken, publicURL+whatsapp.InboundPath, form))
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
