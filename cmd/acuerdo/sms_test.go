package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acuerdo/prompts"
	"acuerdo/store"
	"acuerdo/whatsapp"
)

// TestSMSFirstContact: a pilot arm with channel=sms texts its debtors from
// TWILIO_SMS_FROM (through the Twilio fake), only those with SMS consent, in
// their language, with a wa.me link to the WhatsApp number and a first
// message already typed; the other arm gets the WhatsApp template. A STOP
// answered by SMS opts the debtor out: nothing more is sent to them.
func TestSMSFirstContact(t *testing.T) {
	f := newFakeTwilio(t)
	db := filepath.Join(t.TempDir(), "sms.db")
	const smsFrom = "+15005550006"
	var rows strings.Builder
	for i := range 40 {
		rows.WriteString("S-" + string(rune('A'+i/10)) + string(rune('0'+i%10)) + ",30012400" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + ",Deudor Prueba,1000" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "\n")
	}
	importDebtors(t, db, rows.String())
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.Debtors(ctx, 100)
	if err != nil || len(ds) != 40 {
		t.Fatalf("debtors %d %v", len(ds), err)
	}
	// Half agreed to SMS, every one to WhatsApp.
	smsOK := map[string]bool{}
	for i, d := range ds {
		if _, err := st.RecordConsent(ctx, d.ID, store.ConsentRecord{Channel: "whatsapp", Scope: "collections", Source: "test", GrantedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := st.RecordConsent(ctx, d.ID, store.ConsentRecord{Channel: "sms", Scope: "collections", Source: "test", GrantedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			smsOK[d.Phone] = true
		}
	}
	st.Close()
	if code, _, errOut := runCLI(t, "experiment", "create", "smsfirst", "--db", db, "--arms", "control=0.2,sms=0.4,template=0.4", "--variant", "sms:channel=sms"); code != 0 {
		t.Fatalf("create: %s", errOut)
	}
	// Without the WhatsApp number the SMS would have nowhere to lead.
	if code, _, errOut := runCLI(t, "experiment", "launch", "smsfirst", "--db", db); code == 0 || !strings.Contains(errOut, "TWILIO_WHATSAPP_FROM") {
		t.Fatalf("launch without TWILIO_WHATSAPP_FROM: %d %s", code, errOut)
	}
	var out, errb strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string {
		return map[string]string{"TWILIO_WHATSAPP_FROM": fakeFrom}[k]
	}}
	if code := run(ctx, e, []string{"experiment", "launch", "smsfirst", "--db", db}); code != 0 {
		t.Fatalf("launch: %s", errb.String())
	}
	arms := map[string]string{} // phone → arm
	for _, p := range ds {
		arms[p.Phone] = sqlString(t, db, `SELECT s.arm FROM assignments s WHERE s.debtor_id = ?`, p.ID)
	}
	wantSMS, wantWA := 0, 0
	for p, a := range arms {
		switch {
		case a == "sms" && smsOK[p]:
			wantSMS++
		case a == "template":
			wantWA++
		}
	}
	if wantSMS == 0 || wantWA == 0 {
		t.Fatalf("assignment left an arm empty: %v", arms)
	}

	vars := serveEnv(t, f)
	vars["TWILIO_SMS_FROM"] = smsFrom
	// The test runs at any hour: contact hours open all day so the first
	// contacts go out now (the shipped hours are policy's own tests' job).
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte("send_rate_per_second: 1000\ndebtor_min_gap: 0s\ncountries:\n  CO:\n    hours: {daily: \"00:00-24:00\"}\n    skip_holidays: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars["ACUERDO_POLICY"] = pol
	vars["ACUERDO_TEMPLATES"] = writeTemplates(t)
	s := startServe(t, vars, db)

	sms := func() []fakeMessage {
		var m []fakeMessage
		for _, x := range f.sent() {
			if x.From == smsFrom {
				m = append(m, x)
			}
		}
		return m
	}
	waitFor(t, "the SMS first contacts", func() bool { return len(sms()) >= wantSMS })
	link, _ := whatsapp.WaMeLink(fakeFrom, prompts.T("es", "sms_prefill"))
	if !strings.HasPrefix(link, "https://wa.me/14155238886?text=Hola%2C%20quiero") {
		t.Fatalf("link %s", link)
	}
	for _, m := range sms() {
		if strings.HasPrefix(m.To, "whatsapp:") || arms[m.To] != "sms" || !smsOK[m.To] {
			t.Errorf("SMS to %s (arm %s, SMS consent %v)", m.To, arms[m.To], smsOK[m.To])
		}
		if !strings.Contains(m.Body, link) || !strings.Contains(m.Body, "STOP") || m.ContentSid != "" {
			t.Errorf("SMS body %q, want the wa.me link %s and how to stop", m.Body, link)
		}
	}
	waitFor(t, "the WhatsApp templates of the other arm", func() bool {
		n := 0
		for _, x := range f.sent() {
			if x.From == fakeFrom && x.ContentSid != "" {
				n++
			}
		}
		return n >= wantWA
	})
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM outbox o JOIN assignments s ON s.debtor_id = (SELECT debtor_id FROM conversations c WHERE c.id = o.conversation_id)
		WHERE o.channel = 'sms' AND s.arm <> 'sms'`); n != 0 {
		t.Errorf("%d SMS queued outside the SMS arm", n)
	}

	// STOP by SMS: the debtor is opted out and hears nothing more.
	to := sms()[0].To
	if c := s.post(t, whatsapp.SMSPath, url.Values{"MessageSid": {"SMs0000000000000000000000000000001"}, "AccountSid": {fakeSID}, "From": {to}, "To": {smsFrom}, "Body": {"STOP"}, "NumMedia": {"0"}}); c != 200 {
		t.Fatalf("inbound SMS: %d", c)
	}
	waitFor(t, "the SMS opt-out", func() bool {
		return sqlInt(t, db, `SELECT COUNT(*) FROM conversations WHERE phone = ? AND channel = 'sms' AND opted_out`, to) == 1 &&
			sqlString(t, db, `SELECT unreachable_reason FROM debtors WHERE phone = ?`, to) == "opted_out"
	})
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM consents c JOIN debtors d ON d.id = c.debtor_id WHERE d.phone = ? AND c.revoked_at IS NULL`, to); n != 0 {
		t.Errorf("%d consents still active after STOP", n)
	}
}

// writeTemplates maps the first-contact template to Content SIDs, as
// ACUERDO_TEMPLATES does once Twilio approved them.
func writeTemplates(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "templates.json")
	if err := os.WriteFile(p, []byte(`{"first_contact/es": "`+testHX+`", "reengage/es": "`+testHX+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
