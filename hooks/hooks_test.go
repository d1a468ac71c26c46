package hooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"acuerdo"
	"acuerdo/hooks"
	"acuerdo/store"
)

var secret = []byte("test-secret-0123456789")

// clock is a settable test clock shared by the store and the sender.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// receiver is a webhook endpoint speaking the real wire format: it checks the
// signature of every request and records what arrived. mode decides its
// answer: "ok", "fail" (500) or "hang" (never answers; the sender times out).
type receiver struct {
	t     *testing.T
	clock *clock
	mu    sync.Mutex
	mode  string
	got   []delivery // every request, acknowledged or not
	srv   *httptest.Server
}

type delivery struct {
	id, typ string
	debtor  float64
	acked   bool
	attempt string
}

func newReceiver(t *testing.T, c *clock) *receiver {
	r := &receiver{t: t, clock: c, mode: "ok"}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setMode(m string) { r.mu.Lock(); r.mode = m; r.mu.Unlock() }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := hooks.Verify(secret, req.Header.Get(hooks.SignatureHeader), body, r.clock.now(), 5*time.Minute); err != nil {
		r.t.Errorf("bad signature: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Debtor struct {
				ID float64 `json:"id"`
			} `json:"debtor"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("body is not JSON: %v", err)
	}
	if ev.ID != req.Header.Get("X-Acuerdo-Event-Id") || ev.Type != req.Header.Get("X-Acuerdo-Event-Type") {
		r.t.Errorf("headers %v disagree with body %s", req.Header, body)
	}
	r.mu.Lock()
	mode := r.mode
	r.got = append(r.got, delivery{id: ev.ID, typ: ev.Type, debtor: ev.Data.Debtor.ID, acked: mode == "ok", attempt: req.Header.Get("X-Acuerdo-Attempt")})
	r.mu.Unlock()
	switch mode {
	case "fail":
		http.Error(w, "core system down for maintenance", http.StatusInternalServerError)
	case "hang":
		<-req.Context().Done()
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

type rig struct {
	db    *store.DB
	clock *clock
	ctx   context.Context
	accts map[string]int64
}

func newRig(t *testing.T) *rig {
	c := newClock()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range []string{"A-1", "B-1"} {
		bal := acuerdo.Money{Amount: 500000, Currency: "COP"}
		phone := []string{"+573001110001", "+573001110002"}[i]
		if err := im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: phone, Name: "Debtor " + ref, Country: "CO", Locale: "es"},
			Account: acuerdo.Account{Ref: ref, Balance: &bal, InstallmentAmount: acuerdo.Money{Currency: "COP"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	r := &rig{db: db, clock: c, ctx: ctx, accts: map[string]int64{}}
	for _, ref := range []string{"A-1", "B-1"} {
		a, err := db.AccountByRef(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		r.accts[ref] = a.ID
	}
	return r
}

func (r *rig) promise(t *testing.T, ref string, amount int64) {
	t.Helper()
	if _, err := r.db.CreatePromise(r.ctx, acuerdo.Promise{AccountID: r.accts[ref], Amount: acuerdo.Money{Amount: amount, Currency: "COP"}, DueDate: acuerdo.Date{Year: 2026, Month: 3, Day: 9}}); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) sender(t *testing.T, urls ...string) (*hooks.Sender, *hooks.Metrics, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	m := hooks.NewMetrics(reg, r.db)
	s, err := hooks.New(hooks.Config{Store: r.db, URLs: urls, Secret: secret, Timeout: 150 * time.Millisecond, MaxAttempts: 4,
		Backoff: time.Minute, MaxBackoff: time.Hour, Jitter: func() float64 { return 0.5 }, Clock: r.clock.now, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return s, m, reg
}

func (r *rig) deliverDue(t *testing.T, s *hooks.Sender) int {
	t.Helper()
	n, err := s.DeliverDue(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSenderSurvivesFailingHangingReceiver walks a receiver through failing,
// timing out and recovering: every event arrives acknowledged exactly once,
// a debtor's events in the order they happened, retries only after their
// backoff, and every retry carries the same event id.
func TestSenderSurvivesFailingHangingReceiver(t *testing.T) {
	r := newRig(t)
	recv := newReceiver(t, r.clock)
	s, m, reg := r.sender(t, recv.srv.URL+"/acuerdo/events?token=abc")
	r.promise(t, "A-1", 1000)
	r.promise(t, "A-1", 2000)
	r.promise(t, "B-1", 3000)

	recv.setMode("fail")
	if n := r.deliverDue(t, s); n != 2 {
		t.Fatalf("first round attempted %d events, want 2 (A's second waits for its first)", n)
	}
	fails, _ := r.db.EventDeliveries(r.ctx, store.EventFilter{Failing: true})
	if len(fails) != 2 || fails[0].LastStatus != 500 || !strings.Contains(fails[0].LastError, "HTTP 500 core system down") || strings.Contains(fails[0].LastError, "token") {
		t.Fatalf("failures recorded: %+v", fails)
	}
	r.clock.advance(30 * time.Second) // backoff is a minute (±20 %)
	if n := r.deliverDue(t, s); n != 0 {
		t.Fatalf("retried %d events before their backoff", n)
	}

	recv.setMode("hang")
	r.clock.advance(time.Minute)
	if n := r.deliverDue(t, s); n != 2 {
		t.Fatalf("second round attempted %d, want 2", n)
	}
	fails, _ = r.db.EventDeliveries(r.ctx, store.EventFilter{Failing: true})
	if len(fails) != 2 || !strings.Contains(fails[0].LastError, "no answer within") || fails[0].Attempts != 2 {
		t.Fatalf("timeouts recorded: %+v", fails)
	}

	recv.setMode("ok")
	r.clock.advance(3 * time.Minute)
	if n := r.deliverDue(t, s); n != 2 {
		t.Fatalf("third round attempted %d, want 2", n)
	}
	if n := r.deliverDue(t, s); n != 1 {
		t.Fatalf("A's second event: attempted %d, want 1", n)
	}
	if n := r.deliverDue(t, s); n != 0 {
		t.Fatalf("%d events left after all were delivered", n)
	}

	all, _ := r.db.EventDeliveries(r.ctx, store.EventFilter{})
	ids := map[string]bool{}
	for _, e := range all {
		ids[e.EventID] = true
		if e.State != store.EventDelivered || e.DeliveredAt == nil || e.LastError != "" {
			t.Errorf("event %+v not cleanly delivered", e)
		}
	}
	acked := map[string]int{}
	for _, d := range recv.deliveries() {
		if !ids[d.id] {
			t.Errorf("receiver got unknown event id %s", d.id)
		}
		if d.acked {
			acked[d.id]++
		}
	}
	if len(acked) != 3 {
		t.Fatalf("acknowledged %v, want the 3 events once each", acked)
	}
	for id, n := range acked {
		if n != 1 {
			t.Errorf("event %s acknowledged %d times", id, n)
		}
	}
	// Debtor A's events are all[1] (first) and all[2] (second), newest first in the list.
	var a []string
	for _, d := range recv.deliveries() {
		if d.acked && d.debtor == float64(all[2].DebtorID) {
			a = append(a, d.id)
		}
	}
	if len(a) != 2 || a[0] != all[2].EventID || a[1] != all[1].EventID {
		t.Fatalf("debtor A's events arrived as %v, want %s then %s", a, all[2].EventID, all[1].EventID)
	}
	if got := testutil.ToFloat64(m.Attempts.WithLabelValues("timeout")); got != 2 {
		t.Errorf("timeout attempts metric = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.Events.WithLabelValues("delivered")); got != 3 {
		t.Errorf("delivered metric = %v, want 3", got)
	}
	if n, err := testutil.GatherAndCount(reg, "acuerdo_webhook_events_pending"); err != nil || n != 1 {
		t.Errorf("pending gauge: %d series, %v", n, err)
	}
}

// TestSenderGivesUpAndKeepsGoodReceiver: with two receivers, the healthy one
// gets each event once however often the other fails; after MaxAttempts the
// event is marked failed with the reason, and the debtor's later events flow.
func TestSenderGivesUpAndKeepsGoodReceiver(t *testing.T) {
	r := newRig(t)
	good, bad := newReceiver(t, r.clock), newReceiver(t, r.clock)
	bad.setMode("fail")
	s, _, _ := r.sender(t, good.srv.URL, bad.srv.URL)
	r.promise(t, "A-1", 1000)
	for i := 0; i < 4; i++ {
		if n := r.deliverDue(t, s); n != 1 {
			t.Fatalf("round %d attempted %d, want 1", i, n)
		}
		r.clock.advance(2 * time.Hour)
	}
	if n := r.deliverDue(t, s); n != 0 {
		t.Fatalf("attempted after giving up: %d", n)
	}
	evs, _ := r.db.EventDeliveries(r.ctx, store.EventFilter{State: store.EventFailed})
	if len(evs) != 1 || evs[0].Attempts != 4 || !strings.Contains(evs[0].LastError, "gave up after 4 attempts") {
		t.Fatalf("failed events: %+v", evs)
	}
	if g, b := len(good.deliveries()), len(bad.deliveries()); g != 1 || b != 4 {
		t.Fatalf("good receiver got %d requests, bad %d; want 1 and 4", g, b)
	}
	r.promise(t, "A-1", 2000)
	if n := r.deliverDue(t, s); n != 1 {
		t.Fatalf("the next event of the debtor is blocked: %d", n)
	}
}

// TestSenderRedeliversAfterCrash: a worker that claimed an event and died
// leaves it to another after the lease, which sends it with the same id.
func TestSenderRedeliversAfterCrash(t *testing.T) {
	r := newRig(t)
	recv := newReceiver(t, r.clock)
	s, _, _ := r.sender(t, recv.srv.URL)
	r.promise(t, "B-1", 1000)
	claimed, err := r.db.ClaimEvents(r.ctx, 10, time.Minute) // the worker that dies
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if n := r.deliverDue(t, s); n != 0 {
		t.Fatalf("claimed event delivered by a second worker during the lease")
	}
	r.clock.advance(2 * time.Minute)
	if n := r.deliverDue(t, s); n != 1 {
		t.Fatalf("expired lease not taken over: %d", n)
	}
	d := recv.deliveries()
	if len(d) != 1 || d[0].id != claimed[0].EventID || d[0].attempt != "2" {
		t.Fatalf("deliveries %+v, want the claimed id on attempt 2", d)
	}
}

// TestRunDeliversOnKick runs the real loop: an event written while it runs
// arrives without waiting for the poll interval.
func TestRunDeliversOnKick(t *testing.T) {
	r := newRig(t)
	recv := newReceiver(t, r.clock)
	s, err := hooks.New(hooks.Config{Store: r.db, URLs: []string{recv.srv.URL}, Secret: secret, Poll: time.Hour, Clock: r.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	r.promise(t, "A-1", 1000)
	deadline := time.Now().Add(30 * time.Second)
	for len(recv.deliveries()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("event not delivered within 10s of the kick")
		}
		s.Kick()
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		urls   []string
		secret string
		want   string
	}{
		{nil, "0123456789abcdef", "ACUERDO_WEBHOOK_URLS"},
		{[]string{"ftp://x/y"}, "0123456789abcdef", "not an http(s) URL"},
		{[]string{"https://core.example.com/hook"}, "short", "at least 16"},
	} {
		_, err := hooks.New(hooks.Config{URLs: tc.urls, Secret: []byte(tc.secret)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v, %q) = %v, want %q", tc.urls, tc.secret, err, tc.want)
		}
	}
	if got := hooks.ParseURLs(" https://a/x, ,https://b/y,https://a/x"); len(got) != 2 {
		t.Errorf("ParseURLs = %v", got)
	}
}
