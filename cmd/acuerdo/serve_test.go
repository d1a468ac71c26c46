package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/store"
	"acuerdo/whatsapp"
)

const (
	ana   = "+573001234567" // document 1020304050
	luis  = "+573001234568" // document 79876543
	marta = "+573001234569"
)

// TestServeWhatsApp runs the real server against a fake of Twilio's API and
// walks the list: replies, signatures, duplicates, the 24-hour window,
// permanent errors, status callbacks and receipts.
func TestServeWhatsApp(t *testing.T) {
	f := newFakeTwilio(t)
	db := filepath.Join(t.TempDir(), "s.db")
	importDebtors(t, db, "CR-1,3001234567,Ana Pérez,1020304050\nCR-2,3001234568,Luis Gómez,79876543\nCR-3,3001234569,Marta Ruiz,52345678\n")
	s := startServe(t, serveEnv(t, f), db)
	creditor := policy.Default().CreditorName

	t.Run("signed inbound message gets a reply", func(t *testing.T) {
		if c := s.post(t, whatsapp.InboundPath, inbound("SMa0000000000000000000000000000001", ana, "hola")); c != http.StatusOK {
			t.Fatalf("inbound: %d", c)
		}
		waitFor(t, "two replies to Ana", func() bool { return len(f.to(ana)) >= 2 })
		got := f.to(ana)
		greet := prompts.T("es", "greet", "{name}", "Ana", "{creditor}", creditor)
		if m := got[0]; m.From != fakeFrom || m.To != "whatsapp:"+ana || !strings.Contains(m.Body, greet) || m.ContentSid != "" {
			t.Errorf("first reply = %+v, want From %s To whatsapp:%s with Body containing %q", m, fakeFrom, ana, greet)
		}
		if m := got[1]; !strings.Contains(m.Body, prompts.T("es", "ask_document")) {
			t.Errorf("second reply = %q, want the identity question", m.Body)
		}
		if cb := got[0].StatusCallback; cb != publicURL+whatsapp.StatusPath {
			t.Errorf("StatusCallback = %q", cb)
		}
	})

	t.Run("unknown number gets the customer-service flow", func(t *testing.T) {
		stranger := "+573009990001"
		s.post(t, whatsapp.InboundPath, inbound("SMa0000000000000000000000000000002", stranger, "cuánto debo?"))
		waitFor(t, "a reply to the stranger", func() bool { return len(f.to(stranger)) >= 1 })
		if b := f.to(stranger)[0].Body; !strings.Contains(b, prompts.T("es", "unknown_number", "{creditor}", creditor)) {
			t.Errorf("reply to an unknown number = %q", b)
		}
	})

	t.Run("bad signature is refused and nothing stored", func(t *testing.T) {
		form := inbound("SMb0000000000000000000000000000001", ana, "hola")
		req, _ := http.NewRequest(http.MethodPost, s.url+whatsapp.InboundPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(whatsapp.SignatureHeader, whatsapp.Signature("ffffffffffffffffffffffffffffffff", publicURL+whatsapp.InboundPath, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("bad signature: %d, want 403", resp.StatusCode)
		}
		if n := sqlInt(t, db, `SELECT COUNT(*) FROM messages WHERE provider_id = ?`, form.Get("MessageSid")); n != 0 {
			t.Fatal("a message with a bad signature was stored")
		}
	})

	t.Run("same MessageSid three times concurrently", func(t *testing.T) {
		num, form := "+573009990003", inbound("SMc0000000000000000000000000000001", "+573009990003", "hola")
		var wg sync.WaitGroup
		codes := make([]int, 3)
		for i := range codes {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i] = s.post(t, whatsapp.InboundPath, form) }()
		}
		wg.Wait()
		if codes[0] != 200 || codes[1] != 200 || codes[2] != 200 {
			t.Fatalf("codes %v, want three acknowledgements", codes)
		}
		waitFor(t, "the reply", func() bool { return len(f.to(num)) >= 1 })
		time.Sleep(300 * time.Millisecond) // room for a second reply that must not come
		if n := len(f.to(num)); n != 1 {
			t.Errorf("%d replies sent, want 1", n)
		}
		if n := sqlInt(t, db, `SELECT COUNT(*) FROM messages WHERE provider_id = ?`, form.Get("MessageSid")); n != 1 {
			t.Errorf("%d stored messages, want 1", n)
		}
	})

	t.Run("outside the window a template goes out", func(t *testing.T) {
		ctx := context.Background()
		st, err := store.Open(ctx, db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		conv, err := st.Conversation(ctx, acuerdo.ChannelWhatsApp, marta)
		if err != nil {
			t.Fatal(err)
		}
		last := time.Now().UTC().Add(-25 * time.Hour)
		if _, err := st.AppendMessages(ctx, acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor,
			Body: "gracias, mañana reviso", Status: acuerdo.MessageReceived, CreatedAt: last}); err != nil {
			t.Fatal(err)
		}
		// Outside the window the message is business-initiated, even an
		// operator's: consent and contact hours apply (issue 10, item 13).
		// Marta consents; the hours are the real clock's, as serve runs on it.
		if _, err := st.RecordConsent(ctx, conv.DebtorID, store.ConsentRecord{Channel: store.ConsentChannelWhatsApp, Scope: store.ConsentScopeCollections,
			Source: "contract", GrantedAt: time.Now().Add(-48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := st.Enqueue(ctx, conv.ID, []store.Outgoing{{Body: "Hola Marta, soy Laura del equipo. ¿Pudiste revisar?", Author: acuerdo.AuthorOperator, Template: "reengage"}}); err != nil {
			t.Fatal(err)
		}
		if now := time.Now(); policy.Default().NextContactTime("CO", "", now).After(now.Add(time.Minute)) {
			waitFor(t, "the template held for contact hours", func() bool {
				return sqlInt(t, db, `SELECT COUNT(*) FROM outbox WHERE conversation_id = ? AND last_error LIKE 'contact_hours%'`, conv.ID) == 1
			})
			if n := len(f.to(marta)); n != 0 {
				t.Fatalf("%d messages to Marta outside contact hours", n)
			}
			return
		}
		waitFor(t, "the template to Marta", func() bool { return len(f.to(marta)) >= 1 })
		m := f.to(marta)[0]
		if m.ContentSid != testHX || m.Body != "" {
			t.Fatalf("sent ContentSid %q Body %q, want the template and no Body", m.ContentSid, m.Body)
		}
		var vars map[string]string
		if err := json.Unmarshal([]byte(m.ContentVariables), &vars); err != nil || vars["1"] != "Marta" || vars["2"] != creditor {
			t.Errorf("ContentVariables = %s (%v)", m.ContentVariables, err)
		}
	})

	t.Run("63016 is not retried", func(t *testing.T) {
		num := "+573009990004"
		f.mu.Lock()
		f.failTo["whatsapp:"+num] = whatsapp.CodeOutsideWindow
		f.mu.Unlock()
		s.post(t, whatsapp.InboundPath, inbound("SMe0000000000000000000000000000001", num, "hola"))
		q := `SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE c.phone = ? AND m.direction = 'outbound' AND m.status = 'failed' AND m.error_code = '63016'`
		waitFor(t, "the reply to fail", func() bool { return sqlInt(t, db, q, num) == 1 })
		time.Sleep(300 * time.Millisecond)
		if n := len(f.to(num)); n != 1 {
			t.Errorf("%d POSTs, want exactly 1", n)
		}
		if n := sqlInt(t, db, `SELECT COUNT(*) FROM outbox WHERE recipient = ? AND state = 'failed'`, num); n != 1 {
			t.Errorf("outbox not failed")
		}
	})

	t.Run("status callbacks out of order", func(t *testing.T) {
		first, second := f.to(ana)[0].SID, f.to(ana)[1].SID
		for _, st := range []string{"read", "sent", "delivered", "queued"} {
			if c := s.post(t, whatsapp.StatusPath, url.Values{"MessageSid": {first}, "MessageStatus": {st}, "AccountSid": {fakeSID}, "To": {"whatsapp:" + ana}}); c != http.StatusOK {
				t.Fatalf("status %s: %d", st, c)
			}
		}
		if got := sqlString(t, db, `SELECT status FROM messages WHERE provider_id = ?`, first); got != "read" {
			t.Errorf("status after read, sent, delivered, queued = %q, want read", got)
		}
		s.post(t, whatsapp.StatusPath, url.Values{"MessageSid": {second}, "MessageStatus": {"undelivered"}, "ErrorCode": {"63024"},
			"ErrorMessage": {"Invalid message recipient"}, "AccountSid": {fakeSID}})
		s.post(t, whatsapp.StatusPath, url.Values{"MessageSid": {second}, "MessageStatus": {"delivered"}, "AccountSid": {fakeSID}})
		if got := sqlString(t, db, `SELECT status || '/' || error_code FROM messages WHERE provider_id = ?`, second); got != "undelivered/63024" {
			t.Errorf("after undelivered 63024 then delivered: %q", got)
		}
	})

	t.Run("receipt downloaded and attached to the payment report", func(t *testing.T) {
		s.post(t, whatsapp.InboundPath, inbound("SMh0000000000000000000000000000001", luis, "hola"))
		waitFor(t, "the identity question", func() bool { return len(f.to(luis)) >= 2 })
		s.post(t, whatsapp.InboundPath, inbound("SMh0000000000000000000000000000002", luis, "6543"))
		waitFor(t, "verification", func() bool {
			return sqlInt(t, db, `SELECT COUNT(*) FROM conversations WHERE phone = ? AND verified`, luis) == 1
		})
		jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, []byte(strings.Repeat("recibo", 100))...)
		form := inbound("SMh0000000000000000000000000000003", luis, "")
		form.Set("NumMedia", "1")
		form.Set("MediaUrl0", f.mediaURL("ME0001", jpeg))
		form.Set("MediaContentType0", "image/jpeg")
		if c := s.post(t, whatsapp.InboundPath, form); c != http.StatusOK {
			t.Fatalf("media inbound: %d", c)
		}
		waitFor(t, "the receipt on a payment report", func() bool {
			return sqlInt(t, db, `SELECT COUNT(*) FROM media m JOIN cases c ON c.id = m.case_id
				WHERE c.reason = 'payment_report' AND length(m.data) = ? AND m.content_type = 'image/jpeg'`, len(jpeg)) == 1
		})
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.cdnAuth != 0 {
			t.Error("the account credentials were sent to the media CDN")
		}
	})

	t.Run("metrics and health", func(t *testing.T) {
		body := get(t, s.url+"/metrics")
		for _, want := range []string{`acuerdo_webhook_rejections_total{reason="bad_signature"} 1`, `acuerdo_inbound_messages_total{channel="whatsapp"}`,
			`acuerdo_outbound_messages_total{channel="whatsapp",result="sent"}`, `acuerdo_outbox_depth`, `acuerdo_turn_seconds_bucket`, `go_goroutines`} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if b := get(t, s.url+"/healthz"); b != "ok\nwhatsapp: on\n" {
			t.Errorf("/healthz = %q", b)
		}
	})
	if strings.Contains(s.stderr.String(), "3001234567") {
		t.Error("a full phone number reached the logs")
	}
}

func get(t testing.TB, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return string(b)
}

func TestServeDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	s := startServe(t, serveEnv(t, nil), db, "--demo")
	if !strings.Contains(s.stdout.String(), "sandbox: "+s.url+"/sandbox") {
		t.Errorf("startup lines lack the sandbox URL: %q", s.stdout.String())
	}
	// The sandbox's portfolio, then the simulated pilot's debtors after it.
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM debtors WHERE segment NOT LIKE 'simulated-%'`); n != demoDebtors {
		t.Fatalf("%d demo debtors, want %d", n, demoDebtors)
	}
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM debtors WHERE segment = 'simulated-demo-pilot' AND id > ?`, demoDebtors); n != demoPilotDebtors {
		t.Fatalf("%d simulated pilot debtors after the sandbox's, want %d", n, demoPilotDebtors)
	}
	page := get(t, s.url+"/sandbox?debtor=1")
	phone := sqlString(t, db, `SELECT phone FROM debtors WHERE id = 1`)
	if !strings.Contains(page, `const phone = "`+phone+`"`) {
		t.Fatal("the sandbox page does not chat as debtor 1")
	}
	resp, err := http.Post(s.url+"/sandbox/api/send", "application/json", strings.NewReader(`{"phone":"`+phone+`","text":"hola"}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("sandbox send: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(t, "the agent's reply in the sandbox", func() bool {
		return strings.Contains(get(t, s.url+"/sandbox/api/messages?phone="+url.QueryEscape(phone)), `"direction":"outbound"`)
	})
	// The demo creditor's FAQ answers questions in the sandbox (a debtor
	// whose conversation no escalation paused).
	phone = sqlString(t, db, `SELECT phone FROM debtors d WHERE segment NOT LIKE 'simulated-%' AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.debtor_id = d.id) ORDER BY id LIMIT 1`)
	resp, err = http.Post(s.url+"/sandbox/api/send", "application/json", strings.NewReader(`{"phone":"`+phone+`","text":"¿cuál es el horario de atención?"}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("sandbox send: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(t, "the answer from the demo FAQ", func() bool {
		return strings.Contains(get(t, s.url+"/sandbox/api/messages?phone="+url.QueryEscape(phone)), "Fuente: Preguntas frecuentes de Acuerdo Demo")
	})
	// A restart keeps the portfolio and its conversations.
	s.stop(t)
	s = startServe(t, serveEnv(t, nil), db, "--demo")
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM debtors`); n != demoDebtors+demoPilotDebtors {
		t.Fatalf("%d debtors after a restart, want %d", n, demoDebtors+demoPilotDebtors)
	}
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM kb_documents`); n != 3 {
		t.Fatalf("%d demo documents after a restart, want 3", n)
	}
}

func TestServeConfigErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	for _, c := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"partial Twilio", map[string]string{"TWILIO_ACCOUNT_SID": fakeSID}, nil, "TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM not set"},
		{"bad From", map[string]string{"TWILIO_ACCOUNT_SID": fakeSID, "TWILIO_AUTH_TOKEN": fakeToken, "TWILIO_WHATSAPP_FROM": "14155238886x"}, nil, "TWILIO_WHATSAPP_FROM"},
		{"missing templates file", map[string]string{"ACUERDO_TEMPLATES": "/nonexistent/t.json"}, []string{"--demo"}, "ACUERDO_TEMPLATES"},
		{"bad log level", map[string]string{"ACUERDO_LOG_LEVEL": "loud"}, []string{"--demo"}, "ACUERDO_LOG_LEVEL"},
		{"extra argument", nil, []string{"--demo", "now"}, "no arguments"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb syncBuffer
			e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.vars[k] }}
			code := run(context.Background(), e, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, c.args...))
			if code != 2 || !strings.Contains(errb.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), c.want)
			}
		})
	}
}

func TestLoadTemplates(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "t.json")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if m, err := loadTemplates(write(`{"reengage/es": "` + testHX + `"}`)); err != nil || m["reengage/es"] != testHX {
		t.Fatalf("valid file: %v %v", m, err)
	}
	for _, bad := range []string{`[]`, `{"reengage": "` + testHX + `"}`, `{"nope/es": "` + testHX + `"}`, `{"reengage/fr": "` + testHX + `"}`, `{"reengage/es": "HX1"}`} {
		if _, err := loadTemplates(write(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
