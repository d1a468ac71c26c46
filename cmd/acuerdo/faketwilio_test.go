package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	fakeSID   = "AC0123456789abcdef0123456789abcdef"
	fakeToken = "0123456789abcdef0123456789abcdef"
	fakeFrom  = "whatsapp:+14155238886"
)

// fakeMessage is one message create the fake received.
type fakeMessage struct {
	SID, To, From, Body, ContentSid, ContentVariables, StatusCallback string
	Created                                                           time.Time
}

// fakeTwilio stands in for api.twilio.com over loopback, speaking its wire
// format: form-encoded creates with basic auth, JSON resources and lists,
// Twilio-shaped error bodies, and media URLs that need the account's
// credentials and redirect to a CDN (a second server) that must not see them.
type fakeTwilio struct {
	t   testing.TB
	api *httptest.Server
	cdn *httptest.Server

	mu      sync.Mutex
	msgs    []fakeMessage     // every accepted create, in order
	failTo  map[string]int    // To → Twilio error code to answer with
	delay   time.Duration     // before answering a create, to widen crash windows
	delayN  int               // when > 0, only this many more creates wait delay
	media   map[string][]byte // media name → bytes
	cdnAuth int               // CDN requests that carried credentials (must stay 0)
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{t: t, failTo: map[string]int{}, media: map[string][]byte{}}
	f.api = httptest.NewServer(http.HandlerFunc(f.serveAPI))
	f.cdn = httptest.NewServer(http.HandlerFunc(f.serveCDN))
	t.Cleanup(func() { f.api.Close(); f.cdn.Close() })
	return f
}

func (f *fakeTwilio) serveAPI(w http.ResponseWriter, r *http.Request) {
	account := "/2010-04-01/Accounts/" + fakeSID
	if u, p, ok := r.BasicAuth(); !ok || u != fakeSID || p != fakeToken {
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == account+"/Messages.json":
		f.create(w, r)
	case r.Method == http.MethodGet && r.URL.Path == account+"/Messages.json":
		f.list(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, account+"/Messages/") && strings.Contains(r.URL.Path, "/Media/"):
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		http.Redirect(w, r, f.cdn.URL+"/media/"+name, http.StatusTemporaryRedirect)
	default:
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	}
}

func (f *fakeTwilio) create(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("create with Content-Type %q", r.Header.Get("Content-Type"))
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 21602, "bad form")
		return
	}
	form := r.PostForm
	f.mu.Lock()
	delay, code := f.delay, f.failTo[form.Get("To")]
	if f.delayN > 0 {
		if f.delayN--; f.delayN == 0 {
			f.delay = 0
		}
	}
	f.mu.Unlock()
	if code != 0 {
		f.record(form, "") // Twilio counts the attempt; tests count POSTs
		twilioError(w, http.StatusBadRequest, code, "Failed to send freeform message because you are outside the allowed window.")
		return
	}
	m := f.record(form, newSID("SM"))
	time.Sleep(delay)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(resource(m))
}

// record remembers a create; sid is empty for refused ones.
func (f *fakeTwilio) record(form url.Values, sid string) fakeMessage {
	m := fakeMessage{SID: sid, To: form.Get("To"), From: form.Get("From"), Body: form.Get("Body"),
		ContentSid: form.Get("ContentSid"), ContentVariables: form.Get("ContentVariables"),
		StatusCallback: form.Get("StatusCallback"), Created: time.Now().UTC().Truncate(time.Second)}
	f.mu.Lock()
	f.msgs = append(f.msgs, m)
	f.mu.Unlock()
	return m
}

func resource(m fakeMessage) map[string]any {
	uri := "/2010-04-01/Accounts/" + fakeSID + "/Messages/" + m.SID + ".json"
	return map[string]any{
		"account_sid": fakeSID, "api_version": "2010-04-01", "body": m.Body, "direction": "outbound-api",
		"date_created": m.Created.Format(time.RFC1123Z), "date_updated": m.Created.Format(time.RFC1123Z),
		"date_sent": m.Created.Format(time.RFC1123Z), "error_code": nil, "error_message": nil,
		"from": m.From, "to": m.To, "messaging_service_sid": nil, "num_media": "0", "num_segments": "1",
		"price": nil, "price_unit": "USD", "sid": m.SID, "status": "queued", "uri": uri,
		"subresource_uris": map[string]string{"media": strings.TrimSuffix(uri, ".json") + "/Media.json"},
	}
}

// list answers Messages.json with To, From and DateSent> applied, newest first.
func (f *fakeTwilio) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after time.Time
	if v := q.Get("DateSent>"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			twilioError(w, http.StatusBadRequest, 20001, "Invalid DateSent")
			return
		}
		after = t
	}
	f.mu.Lock()
	var out []map[string]any
	for i := len(f.msgs) - 1; i >= 0; i-- {
		m := f.msgs[i]
		if m.SID == "" || (q.Get("To") != "" && m.To != q.Get("To")) || (q.Get("From") != "" && m.From != q.Get("From")) {
			continue
		}
		if !after.IsZero() && m.Created.Before(after) {
			continue
		}
		out = append(out, resource(m))
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"messages": out, "page": 0, "page_size": len(out), "start": 0, "end": len(out),
		"uri": r.URL.RequestURI(), "first_page_uri": r.URL.RequestURI(), "next_page_uri": nil, "previous_page_uri": nil})
}

func (f *fakeTwilio) serveCDN(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if r.Header.Get("Authorization") != "" {
		f.cdnAuth++
	}
	data, ok := f.media[strings.TrimPrefix(r.URL.Path, "/media/")]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(data)
}

// mediaURL is where Twilio would say an inbound attachment is.
func (f *fakeTwilio) mediaURL(name string, data []byte) string {
	f.mu.Lock()
	f.media[name] = data
	f.mu.Unlock()
	return f.api.URL + "/2010-04-01/Accounts/" + fakeSID + "/Messages/" + newSID("MM") + "/Media/" + name
}

func (f *fakeTwilio) sent() []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMessage(nil), f.msgs...)
}

// to returns the creates addressed to a phone ("+57…").
func (f *fakeTwilio) to(phone string) []fakeMessage {
	var out []fakeMessage
	for _, m := range f.sent() {
		if m.To == "whatsapp:"+phone {
			out = append(out, m)
		}
	}
	return out
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code": %d, "message": %q, "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}`, code, msg, code, status)
}

func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
