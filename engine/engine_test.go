package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/engine"
	"acuerdo/importer"
	"acuerdo/paylink"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/tools"
)

// fakeSender records what it was asked to send and can fail on demand.
type fakeSender struct {
	mu    sync.Mutex
	texts []string // "to|body"
	tmpls []engine.Template
	fail  func(n int) error // the n-th send (1-based) fails with this error
	n     int
	found map[string]bool // bodies the provider "has", for Find
	finds int
}

var errPermanent = errors.New("63016 outside window")

func (f *fakeSender) send() error {
	f.n++
	if f.fail != nil {
		return f.fail(f.n)
	}
	return nil
}

func (f *fakeSender) SendText(_ context.Context, to, body string) (engine.Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.send(); err != nil {
		return engine.Sent{}, err
	}
	f.texts = append(f.texts, to+"|"+body)
	return engine.Sent{ID: fmt.Sprintf("SMout%d", f.n), Status: "queued"}, nil
}

func (f *fakeSender) SendTemplate(_ context.Context, _ string, t engine.Template) (engine.Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.send(); err != nil {
		return engine.Sent{}, err
	}
	f.tmpls = append(f.tmpls, t)
	return engine.Sent{ID: fmt.Sprintf("SMout%d", f.n), Status: "queued"}, nil
}

func (f *fakeSender) Permanent(err error) bool {
	var p *provErr
	return errors.Is(err, errPermanent) || errors.As(err, &p) && p.code == "21610"
}

func (f *fakeSender) Code(err error) string {
	var p *provErr
	switch {
	case errors.Is(err, errPermanent):
		return "63016"
	case errors.As(err, &p):
		return p.code
	}
	return ""
}

func (f *fakeSender) Find(_ context.Context, _, body string, _ time.Time) (engine.Sent, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds++
	return engine.Sent{ID: "SMfound", Status: "sent"}, f.found[body], nil
}

func (f *fakeSender) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.texts...)
}

type rig struct {
	db     *store.DB
	path   string
	eng    *engine.Engine
	snd    *fakeSender
	now    atomic.Int64 // unix micro
	cancel context.CancelFunc
	done   chan error
}

func (r *rig) clock() time.Time        { return time.UnixMicro(r.now.Load()).UTC() }
func (r *rig) advance(d time.Duration) { r.now.Add(d.Microseconds()) }

// newRig makes a database with one Colombian debtor and an engine with the
// offline agent; start=false leaves the engine stopped.
func newRig(t *testing.T, start bool, cfg func(*engine.Config)) *rig {
	t.Helper()
	r := &rig{snd: &fakeSender{found: map[string]bool{}}}
	// Tuesday 10:00 in Bogotá: inside contact hours.
	r.now.Store(time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC).UnixMicro())
	ctx := context.Background()
	r.path = filepath.Join(t.TempDir(), "e.db")
	db, err := store.Open(ctx, r.path, store.Options{Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.db = db
	tb, _ := importer.NewCSV(strings.NewReader("Credito,Numero,Nombre,Saldo,Cedula,Consentimiento\nCR-1,3001234567,Ana Pérez,500000,1020304050,si\n"))
	if _, err := importer.Portfolio(ctx, db, tb, importer.Options{Country: "CO"}); err != nil {
		t.Fatal(err)
	}
	pol := policy.Default()
	pol.DebtorMinGap = 0 // the 6-second gap is tested on its own
	ts := tools.New(tools.Config{Store: db, Policy: pol, Links: paylink.Template{Secret: []byte("k"), Clock: r.clock}, Clock: r.clock})
	a := agent.New(agent.Config{Store: db, Tools: ts, Policy: pol, Clock: r.clock})
	c := engine.Config{Store: db, Agent: a, Senders: map[string]engine.Sender{acuerdo.ChannelWhatsApp: r.snd}, Policy: pol,
		Templates: map[string]string{"reengage/es": "HX0001", "promise_reminder/es": "HX0002"}, Clock: r.clock, Poll: 5 * time.Millisecond, Workers: 2}
	if cfg != nil {
		cfg(&c)
	}
	r.eng = engine.New(c)
	if start {
		r.start()
	}
	return r
}

func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.eng.Run(ctx) }()
}

func (r *rig) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("engine did not stop")
	}
}

func (r *rig) receive(t *testing.T, sid, body string) bool {
	t.Helper()
	created, err := r.eng.Receive(context.Background(), acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: sid, Body: body, CreatedAt: r.clock()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// eventually waits for cond, failing after a few seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sqlRow runs a read-only query on the rig's database, for what no store
// method exposes (an outbox row's state and error).
func (r *rig) sqlRow(t *testing.T, q string, args ...any) *sql.Row {
	t.Helper()
	c, err := sql.Open("sqlite", "file:"+r.path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.QueryRow(q, args...)
}

// pending counts a conversation's messages not yet handed to the provider.
func (r *rig) pending(t *testing.T, convID int64) int {
	t.Helper()
	var n int
	if err := r.sqlRow(t, `SELECT COUNT(*) FROM outbox WHERE conversation_id = ? AND state IN ('pending', 'sending')`, convID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
