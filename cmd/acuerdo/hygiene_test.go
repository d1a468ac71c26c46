package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acuerdo/store"
	"acuerdo/whatsapp"
)

// TestContactHygiene runs the server against the Twilio fake answering with
// the errors that say a number cannot be reached: 63003 (not on WhatsApp) and
// 21211 (invalid number) when sending, 63024 (invalid recipient) in a status
// callback; and a wrong-number report and an opt-out in conversation. Each
// marks the debtor unreachable with why, emits contact.unreachable once,
// stops business-initiated contact, shows in the API, and lands in the
// creditor's `export --hygiene` CSV.
func TestContactHygiene(t *testing.T) {
	f := newFakeTwilio(t)
	db := filepath.Join(t.TempDir(), "h.db")
	const (
		noWA    = "+573001230001"
		invalid = "+573001230002"
		recip   = "+573001230003"
		wrong   = "+573001230004"
		stop    = "+573001230005"
		fine    = "+573001230006"
	)
	importDebtors(t, db, "H-1,3001230001,Nora Díaz,11111111\nH-2,3001230002,Iván Paz,22222222\nH-3,3001230003,Rita Gil,33333333\n"+
		"H-4,3001230004,Wilson Mora,44444444\nH-5,3001230005,Sara León,55555555\nH-6,3001230006,Fabio Ríos,66666666\n")
	code, key, errOut := runCLI(t, "apikey", "create", "--name", "core", "--scope", "read", "--db", db)
	if code != 0 {
		t.Fatalf("apikey: %s", errOut)
	}
	key = strings.TrimSpace(key)
	f.mu.Lock()
	f.failTo["whatsapp:"+noWA] = 63003
	f.failTo["whatsapp:"+invalid] = 21211
	f.mu.Unlock()
	s := startServe(t, serveEnv(t, f), db)

	for i, p := range []string{noWA, invalid, recip, fine} {
		s.post(t, whatsapp.InboundPath, inbound("SMy000000000000000000000000000000"+string(rune('a'+i)), p, "hola"))
	}
	waitFor(t, "replies to the reachable numbers", func() bool { return len(f.to(recip)) >= 1 && len(f.to(fine)) >= 1 })
	// WhatsApp later says it cannot deliver to recip.
	s.post(t, whatsapp.StatusPath, url.Values{"MessageSid": {f.to(recip)[0].SID}, "MessageStatus": {"undelivered"}, "ErrorCode": {"63024"},
		"ErrorMessage": {"Invalid message recipient"}, "AccountSid": {fakeSID}})
	s.post(t, whatsapp.InboundPath, inbound("SMy0000000000000000000000000000010", wrong, "número equivocado, ya no es el número de Wilson"))
	s.post(t, whatsapp.InboundPath, inbound("SMy0000000000000000000000000000011", stop, "BAJA"))

	want := map[string]string{noWA: "not_on_whatsapp/63003", invalid: "invalid_number/21211", recip: "invalid_recipient/63024", wrong: "wrong_number/", stop: "opted_out/", fine: "/"}
	reasons := func() map[string]string {
		got := map[string]string{}
		for p := range want {
			got[p] = sqlString(t, db, `SELECT unreachable_reason || '/' || unreachable_detail FROM debtors WHERE phone = ?`, p)
		}
		return got
	}
	ok := func() bool {
		got := reasons()
		for p, w := range want {
			if got[p] != w {
				return false
			}
		}
		return true
	}
	for i := 0; i < 300 && !ok(); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if got := reasons(); !ok() {
		t.Fatalf("reachability %v, want %v", got, want)
	}
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM events WHERE type = 'contact.unreachable'`); n != 5 {
		t.Errorf("%d contact.unreachable events, want 5 (one per unreachable number)", n)
	}
	payload := sqlString(t, db, `SELECT payload FROM events WHERE type = 'contact.unreachable' AND payload LIKE '%63003%'`)
	var ev struct{ Data map[string]any }
	if json.Unmarshal([]byte(payload), &ev) != nil || ev.Data["reason"] != "not_on_whatsapp" || ev.Data["reachable"] != false {
		t.Errorf("event %s", payload)
	}

	// A business-initiated message to an unreachable number is held, never sent.
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := st.Conversation(ctx, "whatsapp", noWA)
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.to(noWA))
	if err := st.Enqueue(ctx, conv.ID, []store.Outgoing{{Body: "recordatorio", Template: "reengage", Business: true}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	waitFor(t, "the business message held", func() bool {
		return sqlInt(t, db, `SELECT COUNT(*) FROM audit WHERE kind = 'contact' AND rule = 'unreachable' AND outcome = 'refused'`) >= 1
	})
	if n := len(f.to(noWA)); n != before {
		t.Errorf("%d more POSTs to the unreachable number", n-before)
	}

	// The creditor's API says so.
	for ref, reason := range map[string]any{noWA: "not_on_whatsapp", fine: nil} {
		req, _ := http.NewRequest("GET", s.url+"/api/v1/debtors/"+url.PathEscape(ref), nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		err = json.Unmarshal(body, &d)
		if resp.StatusCode != 200 {
			t.Logf("%s: %s", ref, body)
		}
		if err != nil || resp.StatusCode != 200 || d["reachable"] != (reason == nil) || d["unreachable_reason"] != reason {
			t.Errorf("%s: %d reachable=%v reason=%v (%v)", ref, resp.StatusCode, d["reachable"], d["unreachable_reason"], err)
		}
	}

	// And the fix-list for the creditor.
	out := filepath.Join(t.TempDir(), "hygiene.csv")
	if code, _, errOut := runCLI(t, "export", "--hygiene", "--out", out, "--db", db); code != 0 {
		t.Fatalf("export --hygiene: %d %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || len(recs) != 6 || strings.Join(recs[0], ",") != "debtor_id,phone,name,accounts,reason,detail,since" {
		t.Fatalf("hygiene CSV %q %v", b, err)
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[1]] = r
	}
	if r := rows[noWA]; r == nil || r[2] != "Nora Díaz" || r[3] != "H-1" || r[4] != "not_on_whatsapp" || r[5] != "63003" {
		t.Errorf("row for the number without WhatsApp: %v", r)
	}
	if rows[fine] != nil {
		t.Error("a reachable number is on the fix-list")
	}
	if code, _, errOut := runCLI(t, "export", "--hygiene", "--phone", noWA, "--db", db); code != 2 || !strings.Contains(errOut, "leave out --phone") {
		t.Errorf("--hygiene with --phone: %d %s", code, errOut)
	}
}
