package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "0123456789abcdef0123456789abcdef"
	testFrom  = "whatsapp:+14155238886"
	testHX    = "HXb5b62575e6e4ff6129ad7c8efe1f983e"
	testCB    = "https://cobros.example.com/webhooks/twilio/status"
)

// fakeTwilio stands in for api.twilio.com: it checks what every real request must
// carry (path, basic auth, form encoding), records the form and lets each test
// choose the answer.
type fakeTwilio struct {
	t      *testing.T
	mu     sync.Mutex
	forms  []url.Values
	paths  []string
	answer func(w http.ResponseWriter, form url.Values)
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != testSID || pass != testToken {
		f.t.Errorf("basic auth = %q/%q/%v, want the account credentials", user, pass, ok)
	}
	if r.Method != http.MethodPost {
		f.t.Errorf("method = %s, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("Content-Type = %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("parse form: %v", err)
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	f.answer(w, r.PostForm)
}

func (f *fakeTwilio) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.forms)
}

// created answers like Twilio's Messages create: 201 with the message resource.
func created(w http.ResponseWriter, form url.Values) {
	sid := "SM" + strings.Repeat("ab", 16)
	body := map[string]any{
		"account_sid": testSID, "api_version": "2010-04-01", "body": form.Get("Body"),
		"date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "date_sent": nil,
		"date_updated": "Thu, 24 Aug 2023 05:01:45 +0000", "direction": "outbound-api",
		"error_code": nil, "error_message": nil, "from": form.Get("From"),
		"messaging_service_sid": nil, "num_media": "0", "num_segments": "1",
		"price": nil, "price_unit": nil, "sid": sid, "status": "queued",
		"subresource_uris": map[string]string{"media": "/2010-04-01/Accounts/" + testSID + "/Messages/" + sid + "/Media.json"},
		"to":               form.Get("To"),
		"uri":              "/2010-04-01/Accounts/" + testSID + "/Messages/" + sid + ".json",
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(body)
}

// twilioErr answers like Twilio's REST API errors.
func twilioErr(status, code int, msg string) func(http.ResponseWriter, url.Values) {
	return func(w http.ResponseWriter, _ url.Values) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"code": %d, "message": %q, "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}`, code, msg, code, status)
	}
}

func newFake(t *testing.T, answer func(http.ResponseWriter, url.Values)) (*fakeTwilio, *Client) {
	t.Helper()
	f := &fakeTwilio{t: t, answer: answer}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: srv.URL, StatusCallback: testCB})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestSendText(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "sydney") // must not reroute requests away from APIURL
	f, c := newFake(t, created)
	sent, err := c.SendText(context.Background(), "+573001234567", "Hola Ana, ¿cómo estás? & más")
	if err != nil {
		t.Fatal(err)
	}
	if sent.SID != "SM"+strings.Repeat("ab", 16) || sent.Status != "queued" {
		t.Errorf("sent = %+v", sent)
	}
	if f.paths[0] != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		t.Errorf("path = %s", f.paths[0])
	}
	want := url.Values{
		"To": {"whatsapp:+573001234567"}, "From": {testFrom},
		"Body": {"Hola Ana, ¿cómo estás? & más"}, "StatusCallback": {testCB},
	}
	if got := f.forms[0]; !equalForm(got, want) {
		t.Errorf("form = %v, want %v", got, want)
	}
}

func TestSendTemplateNeverSendsBody(t *testing.T) {
	f, c := newFake(t, created)
	vars := map[string]string{"1": "Ana", "2": "https://pay.example.com/l?a=1&b=2"}
	if _, err := c.SendTemplate(context.Background(), "whatsapp:+573001234567", testHX, vars); err != nil {
		t.Fatal(err)
	}
	form := f.forms[0]
	if _, ok := form["Body"]; ok {
		t.Errorf("template send carried Body %q; Twilio refuses templates as Body outside the window", form.Get("Body"))
	}
	if form.Get("ContentSid") != testHX || form.Get("To") != "whatsapp:+573001234567" || form.Get("From") != testFrom || form.Get("StatusCallback") != testCB {
		t.Errorf("form = %v", form)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(form.Get("ContentVariables")), &got); err != nil {
		t.Fatalf("ContentVariables %q: %v", form.Get("ContentVariables"), err)
	}
	if len(got) != 2 || got["1"] != "Ana" || got["2"] != vars["2"] {
		t.Errorf("ContentVariables = %v", got)
	}
	if cv := form.Get("ContentVariables"); cv != `{"1":"Ana","2":"https://pay.example.com/l?a=1&b=2"}` {
		t.Errorf("ContentVariables = %s, want compact JSON with sorted keys", cv)
	}

	// Without variables, ContentVariables is left out rather than sent as "{}".
	if _, err := c.SendTemplate(context.Background(), "+573001234567", testHX, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.forms[1]["ContentVariables"]; ok {
		t.Errorf("empty vars sent ContentVariables %q", f.forms[1].Get("ContentVariables"))
	}
}

func TestSendWithPathPrefixAndMessagingService(t *testing.T) {
	var gotPath string
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		_ = r.ParseForm()
		form = r.PostForm
		created(w, r.PostForm)
	}))
	defer srv.Close()
	c, err := New(Config{AccountSID: testSID, AuthToken: testToken, From: "+14155238886",
		APIURL: srv.URL + "/twilio/", MessagingServiceSID: "MG0123456789abcdef0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendText(context.Background(), "+573001234567", "hola"); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/twilio/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		t.Errorf("path = %s", gotPath)
	}
	if form.Get("From") != testFrom || form.Get("MessagingServiceSid") == "" {
		t.Errorf("form = %v", form)
	}
	if _, ok := form["StatusCallback"]; ok {
		t.Error("StatusCallback sent although none configured")
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(http.ResponseWriter, url.Values)
		status    int
		code      int
		permanent bool
	}{
		{"outside window", twilioErr(400, 63016, "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template."), 400, 63016, true},
		{"invalid To", twilioErr(400, 21211, "The 'To' number whatsapp:+573001234567 is not a valid phone number."), 400, 21211, true},
		{"unsubscribed", twilioErr(400, 21610, "Attempt to send to unsubscribed recipient"), 400, 21610, true},
		{"not a mobile", twilioErr(400, 21614, "'To' number is not a valid mobile number"), 400, 21614, true},
		{"region", twilioErr(400, 21408, "Permission to send an SMS has not been enabled for the region"), 400, 21408, true},
		{"not on whatsapp", twilioErr(400, 63003, "Channel could not find To address"), 400, 63003, true},
		{"invalid content", twilioErr(400, 63021, "Channel invalid content error"), 400, 63021, true},
		{"invalid recipient", twilioErr(400, 63024, "Invalid message recipient"), 400, 63024, true},
		{"bad credentials", twilioErr(401, 20003, "Authenticate"), 401, 20003, true},
		{"unknown 4xx code", twilioErr(400, 99999, "Something new"), 400, 99999, true},
		{"channel rate limit", twilioErr(400, 63018, "Rate limit exceeded for Channel"), 400, 63018, false},
		{"too many requests", twilioErr(429, 20429, "Too Many Requests"), 429, 20429, false},
		{"internal", twilioErr(500, 20500, "Internal Server Error"), 500, 20500, false},
		{"proxy page", func(w http.ResponseWriter, _ url.Values) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		}, 502, 0, false},
		{"429 without body", func(w http.ResponseWriter, _ url.Values) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 429, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, tt.answer)
			_, err := c.SendText(context.Background(), "+573001234567", "hola")
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *SendError", err, err)
			}
			if se.Status != tt.status || se.Code != tt.code || se.Permanent != tt.permanent || IsPermanent(err) != tt.permanent {
				t.Errorf("got status %d code %d permanent %v, want %d %d %v (%v)", se.Status, se.Code, se.Permanent, tt.status, tt.code, tt.permanent, err)
			}
			if ErrorCode(err) != tt.code {
				t.Errorf("ErrorCode = %d", ErrorCode(err))
			}
			if tt.code != 0 && se.MoreInfo != fmt.Sprintf("https://www.twilio.com/docs/errors/%d", tt.code) {
				t.Errorf("MoreInfo = %q", se.MoreInfo)
			}
			if f.requests() != 1 {
				t.Errorf("%d requests, want exactly one: the engine owns retries", f.requests())
			}
			if strings.Contains(err.Error(), "573001234567") {
				t.Errorf("error text leaks the phone number: %s", err)
			}
		})
	}
	t.Run("retry-after", func(t *testing.T) {
		_, c := newFake(t, tests[len(tests)-1].answer)
		_, err := c.SendText(context.Background(), "+573001234567", "hola")
		var se *SendError
		if !errors.As(err, &se) || se.RetryAfter != 7*time.Second {
			t.Errorf("err = %v, want RetryAfter 7s", err)
		}
	})
}

func TestSendNetworkFailures(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c, err := New(Config{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: "http://" + addr})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SendText(context.Background(), "+573001234567", "hola")
		if err == nil || IsPermanent(err) {
			t.Fatalf("err = %v, want a retryable error", err)
		}
		if strings.Contains(err.Error(), testSID) {
			t.Errorf("error repeats the request URL: %s", err)
		}
	})
	t.Run("connection dropped", func(t *testing.T) {
		_, c := newFake(t, func(w http.ResponseWriter, _ url.Values) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		_, err := c.SendText(context.Background(), "+573001234567", "hola")
		if err == nil || IsPermanent(err) {
			t.Fatalf("err = %v, want a retryable error", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		_, c := newFake(t, func(w http.ResponseWriter, _ url.Values) {
			<-release
		})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.SendText(ctx, "+573001234567", "hola")
		if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
			t.Fatalf("err = %v, want retryable deadline exceeded", err)
		}
	})
	t.Run("canceled before sending", func(t *testing.T) {
		f, c := newFake(t, created)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.SendText(ctx, "+573001234567", "hola")
		if !errors.Is(err, context.Canceled) || IsPermanent(err) || f.requests() != 0 {
			t.Fatalf("err = %v, requests %d", err, f.requests())
		}
	})
	t.Run("2xx without sid", func(t *testing.T) {
		_, c := newFake(t, func(w http.ResponseWriter, _ url.Values) {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"status":"queued"}`)
		})
		_, err := c.SendText(context.Background(), "+573001234567", "hola")
		if err == nil || IsPermanent(err) {
			t.Fatalf("err = %v, want retryable", err)
		}
	})
}

func TestSendRefusedLocally(t *testing.T) {
	f, c := newFake(t, created)
	ctx := context.Background()
	cases := map[string]func() error{
		"bad number":      func() error { _, err := c.SendText(ctx, "3001234567", "hola"); return err },
		"empty body":      func() error { _, err := c.SendText(ctx, "+573001234567", "  "); return err },
		"bad content sid": func() error { _, err := c.SendTemplate(ctx, "+573001234567", "HX123", nil); return err },
		"empty variable": func() error {
			_, err := c.SendTemplate(ctx, "+573001234567", testHX, map[string]string{"1": ""})
			return err
		},
	}
	for name, call := range cases {
		if err := call(); !IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
	if f.requests() != 0 {
		t.Errorf("%d requests reached Twilio", f.requests())
	}
}

func TestNewValidates(t *testing.T) {
	good := Config{AccountSID: testSID, AuthToken: testToken, From: testFrom}
	if c, err := New(good); err != nil || c.From() != testFrom {
		t.Fatalf("New(good) = %v", err)
	}
	bad := []Config{
		{AuthToken: testToken, From: testFrom},
		{AccountSID: testSID, From: testFrom},
		{AccountSID: testSID, AuthToken: testToken},
		{AccountSID: testSID, AuthToken: testToken, From: "whatsapp:14155238886"},
		{AccountSID: "AC-1", AuthToken: testToken, From: testFrom},
		{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: "api.twilio.com"},
		{AccountSID: testSID, AuthToken: testToken, From: testFrom, StatusCallback: "/webhooks/twilio/status"},
	}
	for _, cfg := range bad {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"TWILIO_ACCOUNT_SID": testSID, "TWILIO_AUTH_TOKEN": testToken,
		"TWILIO_WHATSAPP_FROM": testFrom, "ACUERDO_PUBLIC_URL": "https://cobros.example.com/",
	}
	cfg := ConfigFromEnv(func(k string) string { return env[k] })
	if cfg.StatusCallback != testCB || cfg.APIURL != "" || cfg.From != testFrom {
		t.Errorf("cfg = %+v", cfg)
	}
	c, err := New(cfg)
	if err != nil || c.api.String() != DefaultAPIURL {
		t.Errorf("New = %v, api %v", err, c.api)
	}
}

func TestClassify(t *testing.T) {
	if !CodePermanent(CodeOutsideWindow) || CodePermanent(CodeRateLimited) || CodePermanent(30008) {
		t.Error("CodePermanent table is wrong")
	}
	for code := range permanentCodes {
		if _, ok := retryableCodes[code]; ok {
			t.Errorf("code %d is both permanent and retryable", code)
		}
	}
	if IsPermanent(errors.New("x")) || IsPermanent(nil) {
		t.Error("foreign errors must not be permanent")
	}
	if got := maskPhones("The 'To' number whatsapp:+573001234567 is invalid (error 21211)"); strings.Contains(got, "3001234") || !strings.Contains(got, "4567") || !strings.Contains(got, "21211") {
		t.Errorf("maskPhones = %q", got)
	}
}

func TestWindowOpen(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	tests := []struct {
		last *time.Time
		want bool
	}{
		{nil, false},
		{&time.Time{}, false},
		{at(-time.Minute), true},
		{at(-24*time.Hour + time.Second), true},
		{at(-24 * time.Hour), false},
		{at(-25 * time.Hour), false},
		{at(time.Minute), true}, // clock skew: the message did arrive
	}
	for _, tt := range tests {
		if got := WindowOpen(tt.last, now); got != tt.want {
			t.Errorf("WindowOpen(%v) = %v, want %v", tt.last, got, tt.want)
		}
	}
}

func equalForm(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if len(a[k]) != len(v) {
			return false
		}
		for i := range v {
			if a[k][i] != v[i] {
				return false
			}
		}
	}
	return true
}

// TestAmbiguous: a failed send that may have created the message (its answer
// was lost) must be reconciled before a resend; one Twilio refused or never
// received may be retried. Each case is a real HTTP exchange with the fake.
func TestAmbiguous(t *testing.T) {
	// Twilio creates the message, then answers after the caller gave up.
	late := func(w http.ResponseWriter, form url.Values) { time.Sleep(1500 * time.Millisecond); created(w, form) }
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return "http://" + ln.Addr().String()
	}()
	for _, tt := range []struct {
		name      string
		answer    func(http.ResponseWriter, url.Values) // nil: connection refused
		ambiguous bool
	}{
		{"accepted, answered after the timeout", late, true},
		{"connection dropped after the request", func(w http.ResponseWriter, _ url.Values) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}, true},
		{"2xx without sid", func(w http.ResponseWriter, _ url.Values) {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"status":"queued"}`)
		}, true},
		{"gateway timeout", twilioErr(504, 0, "Gateway Timeout"), true},
		{"internal error", twilioErr(500, 20500, "Internal Server Error"), true},
		{"too many requests", twilioErr(429, 20429, "Too Many Requests"), false},
		{"unavailable", twilioErr(503, 20503, "Service Unavailable"), false},
		{"outside window", twilioErr(400, 63016, "outside the window"), false},
		{"connection refused", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c *Client
			if tt.answer == nil {
				var err error
				if c, err = New(Config{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: refused}); err != nil {
					t.Fatal(err)
				}
			} else {
				_, c = newFake(t, tt.answer)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := c.SendText(ctx, "+573001234567", "hola")
			if err == nil {
				t.Fatal("no error")
			}
			if got := Ambiguous(err); got != tt.ambiguous {
				t.Fatalf("Ambiguous(%v) = %v, want %v", err, got, tt.ambiguous)
			}
		})
	}
}
