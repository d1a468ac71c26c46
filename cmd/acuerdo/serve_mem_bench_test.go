package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"acuerdo/store"
	"acuerdo/whatsapp"
)

var (
	memConversations = flag.Int("serve-conversations", 100_000, "active conversations in BenchmarkServeMemory's database")
	memMessages      = flag.Int("serve-messages", 2_000, "inbound messages BenchmarkServeMemory sends to as many of those conversations")
	memSoak          = flag.Duration("serve-soak", 20*time.Second, "how long BenchmarkServeMemory keeps serve running after the messages are answered")
)

// BenchmarkServeMemory measures the memory of `acuerdo serve` (the built
// binary, in a child process) holding -serve-conversations active
// conversations (default 100,000): each a debtor with an account and consent,
// in the offline agent's menu, with a message from the debtor and the bot's
// answer in the last four minutes, so all of them are inside the 24-hour
// window and in front of the scheduler's nudge sweep (which reads every
// conversation quiet for a minute, each second). It then sends -serve-messages
// signed inbound messages to as many different conversations through the
// webhook, waits until each is answered (a local fake Twilio), and keeps the
// server running -serve-soak longer.
//
// The same is done first with no conversations at all: that run is the
// ceiling's counterpart for memory, what serve costs before it holds anything.
// It reports the peak resident set (VmHWM) of each, the Go heap in use at the
// end (/metrics' go_memstats_heap_inuse_bytes), the bytes each active
// conversation adds to the peak RSS, and the CPU serve burns during the soak,
// when only its background work (the scheduler's sweeps) runs.
//
// The policy lifts the send rate and the per-debtor gap (serveEnv), only so
// that the answers do not take minutes; memory does not depend on them.
//
//	go test ./cmd/acuerdo -run '^$' -bench ServeMemory -benchtime 1x
func BenchmarkServeMemory(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "acuerdo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	var base, full memRun
	for i := 0; b.Loop(); i++ {
		base = runServeMemory(b, bin, filepath.Join(dir, fmt.Sprintf("base%d.db", i)), 0, *memMessages)
		full = runServeMemory(b, bin, filepath.Join(dir, fmt.Sprintf("full%d.db", i)), *memConversations, *memMessages)
	}
	b.ReportMetric(full.peakRSS/(1<<20), "peak-rss-MB")
	b.ReportMetric(full.heapInuse/(1<<20), "heap-inuse-MB")
	b.ReportMetric(base.peakRSS/(1<<20), "empty-peak-rss-MB")
	b.ReportMetric(base.heapInuse/(1<<20), "empty-heap-inuse-MB")
	if *memConversations > 0 {
		b.ReportMetric((full.peakRSS-base.peakRSS)/float64(*memConversations), "rss-B/conversation")
	}
	b.ReportMetric(full.answered, "answered")
	b.ReportMetric(full.soakCPU, "idle-cores")
	b.ReportMetric(base.soakCPU, "empty-idle-cores")
	b.ReportMetric(0, "ns/op") // setup and soak dominate the clock; ns/op means nothing here
}

type memRun struct {
	peakRSS, heapInuse, answered float64
	soakCPU                      float64 // cores busy while only the background work runs
}

func runServeMemory(b *testing.B, bin, db string, conversations, messages int) memRun {
	b.Helper()
	now := time.Now().UTC()
	seedActive(b, db, conversations, now)
	f := newFakeTwilio(b)
	vars := serveEnv(b, f)
	vars["ACUERDO_LOG_LEVEL"] = "warn"
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	urls := servingURLs(out)
	var base string
	select {
	case base = <-urls:
	case <-time.After(2 * time.Minute):
		b.Fatalf("serve did not start:\n%s", stderr.String())
	}

	// Messages from debtors of the seeded conversations (or, with none, from
	// as many new numbers), a few at a time as Twilio's webhooks come.
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			for i := range next {
				from := activePhone(i * max(1, conversations/max(1, messages)))
				form := inbound(fmt.Sprintf("SMm%031d", i), from, "1")
				req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/twilio/inbound", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set(whatsapp.SignatureHeader, signFor(form))
				resp, err := client.Do(req)
				if err != nil {
					b.Errorf("inbound %d: %v", i, err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					b.Errorf("inbound %d: %s", i, resp.Status)
				}
			}
		})
	}
	for i := range messages {
		next <- i
	}
	close(next)
	wg.Wait()

	// Wait until every message was answered, then soak.
	deadline := time.Now().Add(5 * time.Minute)
	answered := 0
	for {
		answered = countAnswered(b, db, now)
		if answered >= messages || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if answered < messages {
		b.Logf("only %d of %d messages answered in 5 minutes", answered, messages)
	}
	cpu := procCPU(b, cmd.Process.Pid)
	time.Sleep(*memSoak)
	r := memRun{answered: float64(answered), soakCPU: (procCPU(b, cmd.Process.Pid) - cpu).Seconds() / memSoak.Seconds()}
	r.peakRSS = procStatusBytes(b, cmd.Process.Pid, "VmHWM")
	r.heapInuse = metricValue(b, base, "go_memstats_heap_inuse_bytes")
	return r
}

// signFor signs an inbound form for the public URL serveEnv configures.
func signFor(form url.Values) string {
	return whatsapp.Signature(fakeToken, publicURL+"/webhooks/twilio/inbound", form)
}

// activePhone is the seeded debtor number i (also a new number beyond them).
func activePhone(i int) string { return fmt.Sprintf("+57301%07d", i) }

// seedActive writes n debtors, each with an account, consent and an active
// conversation with two messages in the last four minutes, straight into a
// new database (an import and n turns would take longer than the measurement).
func seedActive(b *testing.B, path string, n int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	if n == 0 {
		return
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_journal_mode=wal&_synchronous=off")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	at := now.UnixMicro()
	seq := fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i < %d) `, n-1)
	// Quiet for 0–4 minutes, spread evenly: none reaches the 5-minute nudge
	// during a short soak, all are read by the sweep.
	quiet := fmt.Sprintf(`%d - (i %% 240) * 1000000`, at)
	for _, q := range []string{
		`BEGIN`,
		seq + fmt.Sprintf(`INSERT INTO debtors (id, phone, name, document_id, country, time_zone, locale, created_at, updated_at)
			SELECT i + 1, '+57301' || printf('%%07d', i), 'Deudor ' || i, '10' || printf('%%08d', i), 'CO', 'America/Bogota', 'es', %d, %d FROM c`, at, at),
		seq + fmt.Sprintf(`INSERT INTO accounts (id, debtor_id, ref, currency, balance, balance_as_of, installment_amount, next_due_date, days_past_due, status, created_at, updated_at)
			SELECT i + 1, i + 1, 'M-' || i, 'COP', 50000000, %d, 5000000, '2026-12-20', 30, 'open', %d, %d FROM c`, at, at, at),
		seq + fmt.Sprintf(`INSERT INTO consents (debtor_id, channel, source, scope, granted_at) SELECT i + 1, 'whatsapp', 'import', 'collections', %d FROM c`, at),
		seq + fmt.Sprintf(`INSERT INTO conversations (id, debtor_id, phone, channel, locale, state, last_inbound_at, created_at, updated_at)
			SELECT i + 1, i + 1, '+57301' || printf('%%07d', i), 'whatsapp', 'es', 'verify', %s - 1000000, %s - 1000000, %s FROM c`, quiet, quiet, quiet),
		seq + fmt.Sprintf(`INSERT INTO messages (conversation_id, direction, author, body, provider_id, status, created_at)
			SELECT i + 1, 'inbound', 'debtor', 'hola', 'SMseed' || i, 'received', %s - 1000000 FROM c`, quiet),
		seq + fmt.Sprintf(`INSERT INTO messages (conversation_id, direction, author, body, status, created_at)
			SELECT i + 1, 'outbound', 'bot', 'Hola, para ayudarte necesito confirmar tu identidad.', 'delivered', %s FROM c`, quiet),
		`COMMIT`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
}

// countAnswered is how many outbound messages were written after start.
func countAnswered(b *testing.B, db string, since time.Time) int {
	c, err := openServerDB(db)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var n int
	if err := c.QueryRow(`SELECT COUNT(DISTINCT conversation_id) FROM messages WHERE direction = 'outbound' AND created_at > ?`, since.UnixMicro()).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// procCPU is the user and system CPU a process used so far (/proc/PID/stat,
// in clock ticks of 1/100 s, which Linux uses on every common platform).
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procStatusBytes reads a "kB" line of /proc/PID/status.
func procStatusBytes(b *testing.B, pid int, key string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

// metricValue reads one unlabelled sample from serve's /metrics.
func metricValue(b *testing.B, base, name string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var found []string
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			found = append(found, v)
		}
	}
	if len(found) == 0 {
		b.Fatalf("/metrics has no %s", name)
	}
	f, err := strconv.ParseFloat(found[0], 64)
	if err != nil {
		b.Fatal(err)
	}
	return f
}
