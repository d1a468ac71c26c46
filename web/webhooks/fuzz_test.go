package webhooks_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/web"
	"acuerdo/web/internal/webtest"
	"acuerdo/whatsapp"
)

type stubEngine struct{}

func (stubEngine) Receive(context.Context, string, string, acuerdo.Message, []store.InboundMedia) (bool, error) {
	return true, nil
}
func (stubEngine) Status(context.Context, string, string, string) error { return nil }

// FuzzInboundHandler posts arbitrary form bodies, correctly signed, to the
// webhooks: whatever Twilio (or someone holding the token) sends, the handler
// answers 2xx or 4xx, never 5xx while the engine accepts what it is given, and never panics.
func FuzzInboundHandler(f *testing.F) {
	for _, name := range []string{"inbound_text.form", "inbound_media.form", "inbound_button.form", "status_read.form", "status_undelivered.form"} {
		raw, err := os.ReadFile("../../whatsapp/testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.TrimSpace(string(raw)), strings.HasPrefix(name, "status"))
	}
	f.Add("MessageSid=SM1&From=whatsapp:%2B573001234567&To=whatsapp:%2B14155238886&Body=%F0%9F%92%B8%ff", false)
	f.Add("MessageSid=SM2&From=whatsapp:%2B573001234567&To=whatsapp:%2B14155238886&NumMedia=1&MediaUrl0=https://api.twilio.com/x&MediaContentType0=image/jpeg", false)
	f.Add("MessageSid=SM3&MessageStatus=failed&ErrorCode=63016", true)
	f.Add("%zz&MessageSid=&&=&NumMedia=99999999999999999999", false)
	f.Add(strings.Repeat("a=b&", 5000), false)

	// A stub engine keeps every run deterministic: with the real store, a
	// repeated MessageSid takes the duplicate path, and SQLite's own code paths
	// vary with its state, which the fuzzer reads as new coverage it can never
	// reproduce while minimising. The store's idempotency has its own tests.
	h := web.New(web.Config{Engine: stubEngine{}, AuthToken: webtest.Token, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, raw string, status bool) {
		path := whatsapp.InboundPath
		if status {
			path = whatsapp.StatusPath
		}
		form, _ := url.ParseQuery(raw) // what ParseForm keeps, so the signature matches it
		req := httptest.NewRequest(http.MethodPost, "https://cobros.example.com"+path, strings.NewReader(raw))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(webtest.Token, "https://cobros.example.com"+path, form))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s answered %d to %q: %s", path, w.Code, raw, w.Body.String())
		}
		if w.Code == http.StatusOK && !status && w.Header().Get("Content-Type") != "text/xml" {
			t.Fatalf("accepted without TwiML: %q", raw)
		}
	})
}
