package webhooks_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"acuerdo/web/internal/webtest"
	"acuerdo/whatsapp"
)

func TestInboundStoredThenAcknowledged(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{})
	resp := r.Post(t, whatsapp.InboundPath, webtest.InboundForm("SM00000000000000000000000000000001", webtest.AnaPhone, "hola"))
	body := webtest.ReadAll(t, resp)
	if resp.StatusCode != http.StatusOK || body != `<?xml version="1.0" encoding="UTF-8"?><Response></Response>` {
		t.Fatalf("ack = %d %q, want 200 and empty TwiML", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q", ct)
	}
	// Stored before the 200: no waiting needed.
	if n := r.Count(t, `SELECT COUNT(*) FROM messages WHERE provider_id = ?`, "SM00000000000000000000000000000001"); n != 1 {
		t.Fatalf("%d stored messages, want 1", n)
	}
	webtest.Eventually(t, "the agent's reply", func() bool { return len(r.WA.Sent()) > 0 })
	if got := r.WA.Sent()[0]; !strings.HasPrefix(got, webtest.AnaPhone+"|") || !strings.Contains(got, "Ana") {
		t.Errorf("first reply = %q, want a greeting to Ana", got)
	}
}

func TestInboundRejected(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{NoEngine: true})
	form := webtest.InboundForm("SM00000000000000000000000000000002", webtest.AnaPhone, "hola")
	cases := []struct {
		name   string
		mutate func(*http.Request)
		want   int
	}{
		{"no signature", func(q *http.Request) { q.Header.Del(whatsapp.SignatureHeader) }, http.StatusForbidden},
		{"wrong token", func(q *http.Request) {
			q.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature("ffffffffffffffffffffffffffffffff", r.Srv.URL+whatsapp.InboundPath, form))
		}, http.StatusForbidden},
		{"signed for another URL", func(q *http.Request) {
			q.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(webtest.Token, "https://elsewhere.example"+whatsapp.InboundPath, form))
		}, http.StatusForbidden},
		{"forwarded host differs", func(q *http.Request) { q.Header.Set("X-Forwarded-Host", "proxy.example") }, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.Srv.URL+whatsapp.InboundPath, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(webtest.Token, r.Srv.URL+whatsapp.InboundPath, form))
			c.mutate(req)
			resp, err := r.Srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
	// A parameter added after signing (say, a different Body) breaks the signature.
	tampered := url.Values{}
	for k, v := range form {
		tampered[k] = v
	}
	tampered.Set("Body", "págame a esta cuenta")
	req, _ := http.NewRequest(http.MethodPost, r.Srv.URL+whatsapp.InboundPath, strings.NewReader(tampered.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(webtest.Token, r.Srv.URL+whatsapp.InboundPath, form))
	resp, _ := r.Srv.Client().Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered body: %d, want 403", resp.StatusCode)
	}
	// Signed but for another account.
	other := webtest.InboundForm("SM00000000000000000000000000000003", webtest.AnaPhone, "hola")
	other.Set("AccountSid", "ACffffffffffffffffffffffffffffffff")
	if resp := r.Post(t, whatsapp.InboundPath, other); resp.StatusCode != http.StatusForbidden {
		t.Errorf("other account: %d, want 403", resp.StatusCode)
	}
	// Signed, but not an inbound message.
	bad := webtest.InboundForm("SM00000000000000000000000000000004", webtest.AnaPhone, "hola")
	bad.Del("From")
	if resp := r.Post(t, whatsapp.InboundPath, bad); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("missing From: %d, want 400", resp.StatusCode)
	}
	if n := r.Count(t, `SELECT COUNT(*) FROM messages`); n != 0 {
		t.Fatalf("%d messages stored from rejected requests", n)
	}
	metrics := webtest.ReadAll(t, webtest.Must(r.Srv.Client().Get(r.Srv.URL+"/metrics")))
	for _, want := range []string{`acuerdo_webhook_rejections_total{reason="bad_signature"} 4`, `acuerdo_webhook_rejections_total{reason="missing_signature"} 1`,
		`acuerdo_webhook_rejections_total{reason="wrong_account"} 1`, `acuerdo_webhook_rejections_total{reason="invalid"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestPublicURL(t *testing.T) {
	// Behind a proxy the server sees another host; the signature covers the
	// public one, which X-Forwarded-* name when ACUERDO_PUBLIC_URL is unset.
	r := webtest.NewRig(t, webtest.RigOptions{NoEngine: true})
	form := webtest.InboundForm("SM00000000000000000000000000000005", webtest.AnaPhone, "hola")
	public := "https://cobros.example.com" + whatsapp.InboundPath
	req, _ := http.NewRequest(http.MethodPost, r.Srv.URL+whatsapp.InboundPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "cobros.example.com")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature(webtest.Token, public, form))
	resp, err := r.Srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("forwarded request: %d, want 200", resp.StatusCode)
	}
}

func TestDuplicateDeliveries(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{NoEngine: true})
	form := webtest.InboundForm("SM00000000000000000000000000000006", webtest.AnaPhone, "hola")
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := r.Post(t, whatsapp.InboundPath, form)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("codes %v, want every delivery acknowledged", codes)
		}
	}
	if n := r.Count(t, `SELECT COUNT(*) FROM messages`); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
	if n := r.Count(t, `SELECT COUNT(*) FROM pending_turns`); n != 1 {
		t.Fatalf("%d pending turns, want 1", n)
	}
}

func TestStatusCallback(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{})
	resp := r.Post(t, whatsapp.InboundPath, webtest.InboundForm("SM00000000000000000000000000000007", webtest.AnaPhone, "hola"))
	resp.Body.Close()
	webtest.Eventually(t, "a reply", func() bool { return len(r.WA.Sent()) > 0 })
	sid := "SM00000000000000000000000000000001" // the recorder's first id
	webtest.Eventually(t, "the send recorded", func() bool {
		return r.Count(t, `SELECT COUNT(*) FROM messages WHERE provider_id = ?`, sid) == 1
	})
	for _, st := range []string{"read", "sent", "delivered", "queued"} {
		resp := r.Post(t, whatsapp.StatusPath, url.Values{"MessageSid": {sid}, "MessageStatus": {st}, "AccountSid": {webtest.Account}, "To": {"whatsapp:" + webtest.AnaPhone}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %s: %d", st, resp.StatusCode)
		}
		resp.Body.Close()
	}
	if n := r.Count(t, `SELECT COUNT(*) FROM messages WHERE provider_id = ? AND status = 'read'`, sid); n != 1 {
		t.Fatal("out-of-order callbacks did not end in read")
	}
	// Issue 10, item 7: every status Twilio documents, and one it may add
	// later, is acknowledged with 200 (a 4xx makes Twilio retry); the unknown
	// one is stored beside the furthest known status, which it does not move.
	for _, st := range []string{"partially_delivered", "received", "accepted", "scheduled", "canceled", "bogus_new_status"} {
		if resp := r.Post(t, whatsapp.StatusPath, url.Values{"MessageSid": {sid}, "MessageStatus": {st}}); resp.StatusCode != http.StatusOK {
			t.Errorf("status %s: %d, want 200", st, resp.StatusCode)
		} else {
			resp.Body.Close()
		}
	}
	if n := r.Count(t, `SELECT COUNT(*) FROM messages WHERE provider_id = ? AND status = 'canceled' AND unranked_status = 'bogus_new_status'`, sid); n != 1 {
		t.Error("the unknown status was not stored beside the furthest known one")
	}
	if resp := r.Post(t, whatsapp.StatusPath, url.Values{"MessageSid": {sid}, "MessageStatus": {"not a status"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed status: %d, want 400", resp.StatusCode)
	}
}
