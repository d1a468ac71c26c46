package whatsapp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	twclient "github.com/twilio/twilio-go/client"
)

// docURL and docToken are the example of Twilio's webhook-security documentation
// and helper-library tests.
const (
	docURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	docToken = "12345"
)

func docParams(caller string) url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {caller},
		"Digits":  {"1234"},
		"From":    {caller},
		"To":      {"+18005551212"},
	}
}

// TestPublishedVectors checks signatures published by Twilio, not computed here.
func TestPublishedVectors(t *testing.T) {
	twilioGo := docParams("+14158675309")
	twilioGo.Set("ReasonConferenceEnded", "test") // sorts after "Reason": key order, not key+value order
	twilioGo.Set("Reason", "Participant")
	tests := []struct {
		source string
		form   url.Values
		sig    string
	}{
		// TwilioDevEd/api-snippets security/signature_validation (2.x and 3.x helpers)
		{"api-snippets 2.x", docParams("+14158675309"), "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{"api-snippets 3.x", docParams("+14158675310"), "GvWf1cFY/Q7PnoempGyD5oXAezc="},
		// the docs' example as reproduced in client libraries
		{"docs example", docParams("+12349013030"), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
		// twilio-go client/request_validator_test.go
		{"twilio-go", twilioGo, "vOEb5UThFn24KEfnOFLQY2AE5FY="},
	}
	for _, tt := range tests {
		if got := Signature(docToken, docURL, tt.form); got != tt.sig {
			t.Errorf("%s: Signature = %s, want %s", tt.source, got, tt.sig)
		}
		if !VerifySignature(docToken, docURL, tt.form, tt.sig) {
			t.Errorf("%s: published signature does not verify", tt.source)
		}
	}
	// twilio-go's http vector, and the https one verified with an explicit port.
	if !VerifySignature(docToken, strings.Replace(docURL, "https", "http", 1), twilioGo, "n2xBNyzSW7rfYStDtOFiFMv7qNo=") {
		t.Error("http vector does not verify")
	}
	if !VerifySignature(docToken, strings.Replace(docURL, ".com", ".com:1234", 1), twilioGo, "vOEb5UThFn24KEfnOFLQY2AE5FY=") {
		t.Error("signature of the port-less URL does not verify with a port")
	}
	if VerifySignature(docToken, docURL, twilioGo, "95+Bu0JVPi0r/SsESZCVf0dWAjw=") {
		t.Error("signature over wrongly sorted params verifies")
	}
}

// reference recomputes the algorithm the plain way, as the docs describe it.
func reference(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func inboundForm(t *testing.T, name string) url.Values {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return form
}

func TestVerifySignature(t *testing.T) {
	const u = "https://cobros.example.com/webhooks/twilio/inbound"
	form := inboundForm(t, "inbound_text.form")
	sig := reference(testToken, u, form)
	if got := Signature(testToken, u, form); got != sig {
		t.Fatalf("Signature = %s, reference = %s", got, sig)
	}
	// twilio-go's own validator agrees, so both sides of the wire match.
	rv := twclient.NewRequestValidator(testToken)
	flat := map[string]string{}
	for k := range form {
		flat[k] = form.Get(k)
	}
	if !rv.Validate(u, flat, sig) {
		t.Fatal("twilio-go's RequestValidator rejects our signature")
	}

	tampered := cloneForm(form)
	tampered.Set("Body", tampered.Get("Body")+" ")
	extra := cloneForm(form)
	extra.Set("Extra", "1")
	missing := cloneForm(form)
	missing.Del("ProfileName")
	renamed := cloneForm(form)
	renamed["Bod"] = renamed["Body"]
	delete(renamed, "Body")

	tests := []struct {
		name  string
		token string
		url   string
		form  url.Values
		sig   string
		want  bool
	}{
		{"valid", testToken, u, form, sig, true},
		{"valid with default port", testToken, "https://cobros.example.com:443/webhooks/twilio/inbound", form, sig, true},
		{"tampered value", testToken, u, tampered, sig, false},
		{"extra param", testToken, u, extra, sig, false},
		{"missing param", testToken, u, missing, sig, false},
		{"renamed param", testToken, u, renamed, sig, false},
		{"wrong path", testToken, "https://cobros.example.com/webhooks/twilio/status", form, sig, false},
		{"wrong scheme", testToken, "http://cobros.example.com/webhooks/twilio/inbound", form, sig, false},
		{"wrong host", testToken, "https://evil.example.com/webhooks/twilio/inbound", form, sig, false},
		{"query added", testToken, u + "?x=1", form, sig, false},
		{"wrong token", "ffffffffffffffffffffffffffffffff", u, form, sig, false},
		{"empty token", "", u, form, reference("", u, form), false},
		{"empty signature", testToken, u, form, "", false},
		{"signature with whitespace", testToken, u, form, sig + " ", false},
		{"truncated signature", testToken, u, form, sig[:len(sig)-1], false},
	}
	for _, tt := range tests {
		if got := VerifySignature(tt.token, tt.url, tt.form, tt.sig); got != tt.want {
			t.Errorf("%s: VerifySignature = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSignatureRepeatedParams(t *testing.T) {
	// Repeated names contribute each distinct value, sorted, like twilio-node.
	a := url.Values{"K": {"b", "a", "b"}}
	b := url.Values{"K": {"a", "b"}}
	if Signature(docToken, docURL, a) != Signature(docToken, docURL, b) {
		t.Error("repeated values are not de-duplicated and sorted")
	}
	m := hmac.New(sha1.New, []byte(docToken))
	m.Write([]byte(docURL + "Ka" + "Kb"))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); Signature(docToken, docURL, a) != want {
		t.Error("repeated values are not concatenated as name+value each")
	}
}

func TestURLVariants(t *testing.T) {
	tests := map[string][]string{
		"https://a.example/p?q=%2F": {"https://a.example/p?q=%2F", "https://a.example:443/p?q=%2F"},
		"http://a.example:8080/p":   {"http://a.example:8080/p", "http://a.example/p"},
		"https://[::1]:8443/p":      {"https://[::1]:8443/p", "https://[::1]/p"},
		"https://[::1]/p":           {"https://[::1]/p", "https://[::1]:443/p"},
		"ftp://a.example/p":         {"ftp://a.example/p"},
		"not a url":                 {"not a url"},
	}
	for in, want := range tests {
		got := urlVariants(in)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("urlVariants(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequestURL(t *testing.T) {
	req := func(target string, hdr map[string]string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, target, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return r
	}
	tlsReq := req("https://internal:8443/webhooks/twilio/status", nil)
	tlsReq.TLS = &tls.ConnectionState{}
	tests := []struct {
		name   string
		r      *http.Request
		public string
		want   string
	}{
		{"public URL wins", req("http://10.0.0.5:8080/webhooks/twilio/inbound?src=wa", map[string]string{"X-Forwarded-Host": "evil.example"}),
			"https://cobros.example.com/", "https://cobros.example.com/webhooks/twilio/inbound?src=wa"},
		{"forwarded headers", req("http://10.0.0.5:8080/webhooks/twilio/inbound", map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "abc.ngrok.io"}),
			"", "https://abc.ngrok.io/webhooks/twilio/inbound"},
		{"bad forwarded proto ignored", req("http://host.example/x", map[string]string{"X-Forwarded-Proto": "javascript"}),
			"", "http://host.example/x"},
		{"plain", req("http://host.example:8080/x?a=%20b", nil), "", "http://host.example:8080/x?a=%20b"},
		{"tls", tlsReq, "", "https://internal:8443/webhooks/twilio/status"},
	}
	for _, tt := range tests {
		if got := RequestURL(tt.r, tt.public); got != tt.want {
			t.Errorf("%s: RequestURL = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestVerifyThroughServer is the whole inbound path as the web layer will run it:
// a signed form POST through a real server, URL rebuilt from ACUERDO_PUBLIC_URL.
func TestVerifyThroughServer(t *testing.T) {
	const public = "https://cobros.example.com"
	form := inboundForm(t, "inbound_text.form")
	var ok bool
	var in Inbound
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		ok = VerifySignature(testToken, RequestURL(r, public), r.PostForm, r.Header.Get(SignatureHeader))
		var err error
		if in, err = ParseInbound(r.PostForm); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+InboundPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(SignatureHeader, Signature(testToken, public+InboundPath, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !ok || in.From != "+573001234567" {
		t.Errorf("verified %v, inbound %+v", ok, in)
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}
