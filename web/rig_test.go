package web_test

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
	"acuerdo/web/internal/webtest"
	"acuerdo/web/sandbox"
	"acuerdo/whatsapp"
)

const (
	testToken   = "0123456789abcdef0123456789abcdef"
	testAccount = "AC0123456789abcdef0123456789abcdef"
	testFrom    = "whatsapp:+14155238886"
	anaPhone    = "+573001234567"
)

// recorder is a fast engine.Sender that remembers what it sent.
type recorder struct {
	mu   sync.Mutex
	sent []string // "to|body"
	n    int
}

func (r *recorder) SendText(_ context.Context, to, body string) (engine.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.sent = append(r.sent, to+"|"+body)
	return engine.Sent{ID: fmt.Sprintf("SM%032d", r.n), Status: acuerdo.MessageQueued}, nil
}

func (r *recorder) SendTemplate(ctx context.Context, to string, t engine.Template) (engine.Sent, error) {
	return r.SendText(ctx, to, t.Text)
}
func (r *recorder) Permanent(error) bool { return false }
func (r *recorder) Code(error) string    { return "" }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// rig is the web layer over a real store and engine with the offline agent.
type rig struct {
	db      *store.DB
	path    string
	eng     *engine.Engine
	wa      *recorder
	reg     *prometheus.Registry
	srv     *httptest.Server
	handler http.Handler
	stop    func()
}

type rigOptions struct {
	noEngine bool // store only: no turns run
	sandbox  bool
	debtors  string // CSV rows after the header Credito,Numero,Nombre,Cedula
	logger   *slog.Logger
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{path: filepath.Join(t.TempDir(), "w.db"), wa: &recorder{}}
	db, err := store.Open(ctx, r.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.db = db
	rows := o.debtors
	if rows == "" {
		rows = "CR-1,3001234567,Ana Pérez,1020304050\n"
	}
	tb, _ := importer.NewCSV(strings.NewReader("Credito,Numero,Nombre,Cedula\n" + rows))
	if _, err := importer.Portfolio(ctx, db, tb, importer.Options{Country: "CO"}); err != nil {
		t.Fatal(err)
	}
	logger := o.logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pol := policy.Default()
	pol.DebtorMinGap = 0
	pol.SendRatePerSecond = 1e6
	r.reg = prometheus.NewRegistry()
	metrics := engine.NewMetrics(r.reg, db)
	r.eng = engine.New(engine.Config{Store: db, Agent: eval.NewAgent(db, acuerdo.SystemClock, nil, pol, logger), Policy: pol,
		Senders: map[string]engine.Sender{acuerdo.ChannelWhatsApp: r.wa, acuerdo.ChannelSandbox: sandbox.Sender{}},
		Logger:  logger, Metrics: metrics, Rank: whatsapp.StatusRank, Poll: 20 * time.Millisecond, Workers: 4})
	r.handler = web.New(web.Config{Engine: r.eng, Store: db, AuthToken: testToken, AccountSID: testAccount,
		Metrics: metrics, Gatherer: r.reg, Sandbox: o.sandbox, Logger: logger})
	r.srv = httptest.NewServer(r.handler)
	stopped := make(chan struct{})
	runCtx, cancel := context.WithCancel(ctx)
	if o.noEngine {
		close(stopped)
	} else {
		go func() { defer close(stopped); _ = r.eng.Run(runCtx) }()
	}
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			r.srv.Close()
			cancel()
			<-stopped
			db.Close()
		})
	}
	t.Cleanup(r.stop)
	return r
}

// inboundForm is what Twilio posts for a WhatsApp text message.
func inboundForm(sid, from, body string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {testAccount},
		"From": {"whatsapp:" + from}, "To": {testFrom}, "Body": {body}, "NumMedia": {"0"},
		"ProfileName": {"Ana"}, "WaId": {strings.TrimPrefix(from, "+")}, "MessageType": {"text"}, "ApiVersion": {"2010-04-01"},
	}
}

// post sends a form signed as Twilio signs it (over the URL and every param).
func (r *rig) post(t testing.TB, path string, form url.Values) *http.Response {
	t.Helper()
	return signedPost(t, r.srv.Client(), r.srv.URL, path, form, testToken)
}

func signedPost(t testing.TB, c *http.Client, base, path string, form url.Values, token string) *http.Response {
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

// query runs one read-only SQL query for assertions.
func (r *rig) query(t testing.TB, q string, args ...any) int {
	t.Helper()
	return webtest.Count(t, r.path, q, args...)
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
