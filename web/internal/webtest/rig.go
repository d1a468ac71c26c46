package webtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/eval"
	"acuerdo/importer"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/web"
	"acuerdo/web/sandbox"
	"acuerdo/whatsapp"
)

// The Twilio account the rigs' webhooks are signed for, and the debtor every
// rig's portfolio starts with.
const (
	Token    = "0123456789abcdef0123456789abcdef"
	Account  = "AC0123456789abcdef0123456789abcdef"
	From     = "whatsapp:+14155238886"
	AnaPhone = "+573001234567"
)

// Recorder is a fast engine.Sender that remembers what it sent.
type Recorder struct {
	mu   sync.Mutex
	sent []string // "to|body"
}

// SendText records "to|body" and answers the next SM id, queued.
func (r *Recorder) SendText(_ context.Context, to, body string) (engine.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, to+"|"+body)
	return engine.Sent{ID: fmt.Sprintf("SM%032d", len(r.sent)), Status: acuerdo.MessageQueued}, nil
}

// SendTemplate records the template's text as SendText does.
func (r *Recorder) SendTemplate(ctx context.Context, to string, t engine.Template) (engine.Sent, error) {
	return r.SendText(ctx, to, t.Text)
}
func (r *Recorder) Permanent(error) bool { return false }
func (r *Recorder) Code(error) string    { return "" }

// Sent returns what was sent so far, as "to|body".
func (r *Recorder) Sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

// Rig is the whole web layer (web.New) over a real SQLite store and the real
// engine with the offline agent, WhatsApp going to a Recorder: what a door's
// test needs when its requests must run turns (Twilio's inbound webhook, the
// sandbox chat).
type Rig struct {
	DB   *store.DB
	Path string // the database file, for Count
	Eng  *engine.Engine
	WA   *Recorder
	Reg  *prometheus.Registry
	Srv  *httptest.Server
	// Stop closes the server, stops the engine and closes the store; t's
	// cleanup calls it too (once).
	Stop func()
}

// RigOptions shape a Rig.
type RigOptions struct {
	NoEngine bool   // store only: no turns run
	Sandbox  bool   // mount /sandbox
	Debtors  string // CSV rows after the header Credito,Numero,Nombre,Cedula; empty is Ana (AnaPhone)
	Logger   *slog.Logger
}

// NewRig builds a Rig; t's cleanup stops it.
func NewRig(t testing.TB, o RigOptions) *Rig {
	t.Helper()
	ctx := context.Background()
	r := &Rig{Path: filepath.Join(t.TempDir(), "w.db"), WA: &Recorder{}}
	db, err := store.Open(ctx, r.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.DB = db
	rows := o.Debtors
	if rows == "" {
		rows = "CR-1,3001234567,Ana Pérez,1020304050\n"
	}
	tb, _ := importer.NewCSV(strings.NewReader("Credito,Numero,Nombre,Cedula\n" + rows))
	if _, err := importer.Portfolio(ctx, db, tb, importer.Options{Country: "CO"}); err != nil {
		t.Fatal(err)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pol := policy.Default()
	pol.DebtorMinGap = 0
	pol.SendRatePerSecond = 1e6
	r.Reg = prometheus.NewRegistry()
	metrics := engine.NewMetrics(r.Reg, db)
	r.Eng = engine.New(engine.Config{Store: db, Agent: eval.NewAgent(db, acuerdo.SystemClock, nil, pol, logger), Policy: pol,
		Senders: map[string]engine.Sender{acuerdo.ChannelWhatsApp: r.WA, acuerdo.ChannelSandbox: sandbox.Sender{}},
		Logger:  logger, Metrics: metrics, Rank: whatsapp.StatusRank, Poll: 20 * time.Millisecond, Workers: 4})
	r.Srv = httptest.NewServer(web.New(web.Config{Engine: r.Eng, Store: db, AuthToken: Token, AccountSID: Account,
		Metrics: metrics, Gatherer: r.Reg, Sandbox: o.Sandbox, Logger: logger}))
	stopped := make(chan struct{})
	runCtx, cancel := context.WithCancel(ctx)
	if o.NoEngine {
		close(stopped)
	} else {
		go func() { defer close(stopped); _ = r.Eng.Run(runCtx) }()
	}
	var once sync.Once
	r.Stop = func() {
		once.Do(func() {
			r.Srv.Close()
			cancel()
			<-stopped
			db.Close()
		})
	}
	t.Cleanup(r.Stop)
	return r
}

// Post sends a form signed as Twilio signs it with Token.
func (r *Rig) Post(t testing.TB, path string, form url.Values) *http.Response {
	t.Helper()
	return SignedPost(t, r.Srv.Client(), r.Srv.URL, path, form, Token)
}

// Count asks the rig's database file; see the package's Count.
func (r *Rig) Count(t testing.TB, q string, args ...any) int {
	t.Helper()
	return Count(t, r.Path, q, args...)
}

// InboundForm is what Twilio posts for a WhatsApp text message from the
// phone number from to From.
func InboundForm(sid, from, body string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {Account},
		"From": {"whatsapp:" + from}, "To": {From}, "Body": {body}, "NumMedia": {"0"},
		"ProfileName": {"Ana"}, "WaId": {strings.TrimPrefix(from, "+")}, "MessageType": {"text"}, "ApiVersion": {"2010-04-01"},
	}
}

// SignedPost sends a form signed as Twilio signs it (over the URL and every
// param) with token.
func SignedPost(t testing.TB, c *http.Client, base, path string, form url.Values, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(token, base+path, form))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Eventually polls cond until it holds, failing t after 30 s: what the
// engine does after a webhook's 200 happens on its own goroutines.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Must fails nothing itself: it panics on a client error, for one-line GETs.
func Must(resp *http.Response, err error) *http.Response {
	if err != nil {
		panic(err)
	}
	return resp
}
