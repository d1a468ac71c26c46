package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"acuerdo/store/storetest"
)

// postgresForTest returns a fresh PostgreSQL database for t on the machine's
// server, or skips t when none is reachable (fails it when
// ACUERDO_TEST_REQUIRE_POSTGRES is set, as ./scripts/test does).
func postgresForTest(t *testing.T) string {
	t.Helper()
	server := storetest.PostgresURL()
	if server == "" {
		if !storetest.LocalReachable() {
			if os.Getenv("ACUERDO_TEST_REQUIRE_POSTGRES") != "" {
				t.Fatal("PostgreSQL is not reachable at 127.0.0.1:5432")
			}
			t.Skip("PostgreSQL is not reachable at 127.0.0.1:5432")
		}
		server = storetest.LocalURL
	}
	return storetest.NewPostgresDatabase(t, server)
}

// TestReplicasKillOne runs three `acuerdo serve` processes on one PostgreSQL
// database behind a round-robin "load balancer", SIGKILLs one of them in the
// middle of a burst of signed inbound webhooks, restarts it, and checks that
// every acknowledged message was stored once and answered exactly once: no turn
// ran twice, no reply reached Twilio twice, none was lost.
func TestReplicasKillOne(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	pg := postgresForTest(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "acuerdo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := newFakeTwilio(t)
	f.delay = 15 * time.Millisecond // sends take time, so the kill catches some in flight
	vars := serveEnv(t, f)
	vars["ACUERDO_LOG_LEVEL"] = "info"
	// The killed replica's claims are picked up when their lease runs out;
	// a short lease keeps the test short (offline turns take milliseconds).
	vars["ACUERDO_LEASE"] = "5s"

	const n = 120
	forms := make([]url.Values, n)
	for i := range forms {
		forms[i] = inbound(fmt.Sprintf("SMr%031d", i), fmt.Sprintf("+5730088%05d", i), "hola, ¿cuánto debo?")
	}
	var (
		mu       sync.Mutex
		replicas [3]*process
	)
	for i := range replicas {
		replicas[i] = startProcess(t, bin, pg, vars)
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range replicas {
			if p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
				_ = p.cmd.Wait()
			}
		}
	}()
	replica := func(i int) *process { mu.Lock(); defer mu.Unlock(); return replicas[i] }

	acked := map[string]bool{}
	var killedAt, failed int
	var once sync.Once
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				time.Sleep(10 * time.Millisecond) // a burst, not a flood: replies go out meanwhile
				code, err := postTo(client, replica(i%3).url, forms[i])
				mu.Lock()
				if err == nil && code == http.StatusOK {
					acked[forms[i].Get("MessageSid")] = true
				} else {
					failed++
				}
				k := len(acked)
				mu.Unlock()
				if k == n/3 {
					once.Do(func() {
						mu.Lock()
						killedAt = k
						mu.Unlock()
						p := replica(1)
						_ = p.cmd.Process.Signal(syscall.SIGKILL)
						_ = p.cmd.Wait()
					})
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	sentAtKill := len(f.sent())

	// The killed replica comes back on the same database; Twilio redelivers
	// what was not acknowledged, through the balancer, to any replica.
	restarted := startProcess(t, bin, pg, vars)
	mu.Lock()
	replicas[1] = restarted
	mu.Unlock()
	redelivered := 0
	for i, form := range forms {
		if acked[form.Get("MessageSid")] {
			continue
		}
		if code, err := postTo(client, replica(i%3).url, form); err != nil || code != http.StatusOK {
			t.Fatalf("redelivery: %d %v", code, err)
		}
		acked[form.Get("MessageSid")] = true
		redelivered++
	}
	defer func() {
		if t.Failed() {
			for i := range replicas {
				log := replica(i).stderr.String()
				t.Logf("replica %d log ends:\n%s", i, log[max(0, len(log)-4000):])
			}
		}
	}()
	start := time.Now()
	deadline := start.Add(90 * time.Second)
	for !(sqlInt(t, pg, `SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND handled`) == n &&
		sqlInt(t, pg, `SELECT COUNT(*) FROM pending_turns`) == 0 &&
		sqlInt(t, pg, `SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')`) == 0) {
		if time.Now().After(deadline) {
			t.Fatalf("not every message answered within 90 s: %d handled of %d, %d pending turns, %d unsent",
				sqlInt(t, pg, `SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND handled`), n,
				sqlInt(t, pg, `SELECT COUNT(*) FROM pending_turns`), sqlInt(t, pg, `SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')`))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Stored once.
	for sid := range acked {
		if c := sqlInt(t, pg, `SELECT COUNT(*) FROM messages WHERE provider_id = ? AND handled`, sid); c != 1 {
			t.Errorf("acknowledged %s: %d handled copies, want 1", sid, c)
		}
	}
	// Answered once: every debtor wrote the same words, so every conversation
	// holds the same number of replies, and the fake got exactly those.
	perPhone := map[string]int{}
	raw, err := openServerDB(pg)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT c.phone, COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.direction = 'outbound' GROUP BY c.phone`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var phone string
		var k int
		if err := rows.Scan(&phone, &k); err != nil {
			t.Fatal(err)
		}
		perPhone[phone] = k
	}
	rows.Close()
	counts := map[int]int{}
	for _, k := range perPhone {
		counts[k]++
	}
	want := 0
	for k, c := range counts {
		if c > counts[want] {
			want = k
		}
	}
	if want == 0 || len(perPhone) != n {
		t.Fatalf("replies per conversation %v over %d conversations, want one count ≥ 1 over %d", counts, len(perPhone), n)
	}
	var odd []string
	for _, form := range forms {
		phone := strings.TrimPrefix(form.Get("From"), "whatsapp:")
		if perPhone[phone] != want || len(f.to(phone)) != want {
			odd = append(odd, fmt.Sprintf("%s: %d stored, %d at the fake", phone, perPhone[phone], len(f.to(phone))))
		}
	}
	sort.Strings(odd)
	if len(odd) > 0 {
		t.Errorf("%d conversations not answered exactly once (want %d replies each): %v", len(odd), want, odd)
	}
	accepted := 0
	for _, m := range f.sent() {
		if m.SID != "" {
			accepted++
		}
	}
	if sent := sqlInt(t, pg, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`); sent != accepted {
		t.Errorf("%d sent outbox rows, %d messages at the fake: a reply was sent twice or lost", sent, accepted)
	}
	t.Logf("%d messages over 3 replicas; replica 1 SIGKILLed after %d acknowledged (%d replies out), %d posts refused while it was down, %d redelivered; "+
		"all %d answered exactly once (%d replies each, %d at the fake) %.1f s after the burst",
		n, killedAt, sentAtKill, failed, redelivered, n, want, accepted, time.Since(start).Seconds())
}
