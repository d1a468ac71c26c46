package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/whatsapp"
)

// shippedEnv is serveEnv with the shipped policy: no ACUERDO_POLICY, so the
// 6-second per-debtor gap and the 10/s send rate apply, as in a deployment.
// Only what a deployment must set itself (Twilio, templates, the link secret,
// the public URL) is set.
func shippedEnv(t testing.TB, f *fakeTwilio) map[string]string {
	env := serveEnv(t, f)
	delete(env, "ACUERDO_POLICY")
	return env
}

// anaCSV is one debtor: Ana, document ending 4050, balance $150.000.
const anaCSV = "Credito,Numero,Nombre,Cedula,Saldo\nCR-1,3001234567,Ana Pérez,1020304050,150000\n"

func importAna(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "s.db")
	csv := filepath.Join(t.TempDir(), "debtors.csv")
	if err := os.WriteFile(csv, []byte(anaCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "import", "debtors", csv, "--db", db); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	return db
}

// sentOnce checks that every outbound message of the phone's conversation was
// sent and reached the fake exactly once, with nothing else sent to the phone,
// and returns how many there were.
func sentOnce(t *testing.T, db string, f *fakeTwilio, phone string) int {
	t.Helper()
	c, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := c.Query(`SELECT m.body, COALESCE(m.provider_id, '') FROM messages m JOIN conversations v ON v.id = m.conversation_id
		WHERE v.phone = ? AND m.direction = 'outbound' ORDER BY m.id`, phone)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	creates := map[string][]fakeMessage{}
	got := f.to(phone)
	for _, m := range got {
		creates[m.SID] = append(creates[m.SID], m)
	}
	bodies := map[string]int{} // creates per body, less the messages with that body
	for _, m := range got {
		bodies[m.Body]++
	}
	n := 0
	for rows.Next() {
		var body, sid string
		if err := rows.Scan(&body, &sid); err != nil {
			t.Fatal(err)
		}
		n++
		if sid == "" {
			t.Errorf("message %d (%.60q) was never recorded as sent", n, body)
			continue
		}
		if cs := creates[sid]; len(cs) != 1 || cs[0].Body != body {
			t.Errorf("message %d (%.60q): %d creates with its SID", n, body, len(cs))
		}
		bodies[body]--
	}
	for body, extra := range bodies {
		if extra != 0 {
			t.Errorf("%.60q reached Twilio %d times more than it was queued", body, extra)
		}
	}
	if len(got) != n {
		t.Errorf("%d messages reached Twilio for %d outbound messages", len(got), n)
	}
	var pending int
	if err := c.QueryRow(`SELECT COUNT(*) FROM outbox WHERE state <> 'sent'`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("%d outbox rows not sent", pending)
	}
	return n
}

// TestServeDefaults plays a WhatsApp conversation through acuerdo serve on the
// shipped defaults (issue 10): greeting, verification, balance, payment link
// and a date change. Every reply reaches Twilio exactly once, and replies to
// the debtor are paced by the per-debtor gap. Before issue 10's item 1 only
// the first message of the conversation ever went out.
func TestServeDefaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a minute of real pacing")
	}
	f := newFakeTwilio(t)
	db := importAna(t)
	s := startServe(t, shippedEnv(t, f), db)
	ana := "+573001234567"
	due := time.Now().AddDate(0, 0, 10)
	newDate, said := due.Format("02/01/2006"), prompts.Date("es", acuerdo.DateOf(due))
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range f.to(ana) {
				t.Logf("sent to Ana at %s: %q", m.Created.Format(time.TimeOnly), m.Body)
			}
		}
	})
	for i, step := range []struct{ text, last string }{
		{"hola", "últimos 4 dígitos"},
		{"4050", "Hablar con una persona"},
		{"cuánto debo?", "saldo $150.000"},
		{"mándame el link de pago", "Si ya pagaste"},
		{"quiero cambiar la fecha de pago al " + newDate, "Responde SÍ o NO"},
		{"sí", "tu nueva fecha de pago es el " + said},
	} {
		sid := fmt.Sprintf("SMdefaults%022d", i)
		n := len(f.to(ana))
		if c := s.post(t, whatsapp.InboundPath, inbound(sid, ana, step.text)); c != http.StatusOK {
			t.Fatalf("inbound %q: %d", step.text, c)
		}
		s.waitFor(t, "the reply to "+step.text, func() bool {
			got := f.to(ana)
			for _, m := range got[min(n, len(got)):] {
				if strings.Contains(m.Body, step.last) {
					return true
				}
			}
			return false
		})
	}
	time.Sleep(2 * policy.Default().DebtorMinGap) // anything queued late would go out by now
	n := sentOnce(t, db, f, ana)
	got := f.to(ana)
	for i := 1; i < len(got); i++ {
		// The fake keeps whole seconds: allow one off.
		if d := got[i].Created.Sub(got[i-1].Created); d < policy.Default().DebtorMinGap-time.Second {
			t.Errorf("messages %d and %d went %v apart; the gap is %v", i, i+1, d, policy.Default().DebtorMinGap)
		}
	}
	t.Logf("%d replies, each sent once, over %v", n, got[len(got)-1].Created.Sub(got[0].Created))
}

// TestServeLateTwilio: Twilio accepts a message but answers after the
// client's timeout (15 s). The send's outcome is unknown, so it is reconciled
// with Twilio's message list, found there and recorded: sends per message = 1.
// Before issue 10's item 2 it was sent again on every retry.
func TestServeLateTwilio(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for the reconciliation, about a minute and a half")
	}
	f := newFakeTwilio(t)
	f.delay, f.delayN = 20*time.Second, 1 // the first create only
	db := importAna(t)
	s := startServe(t, shippedEnv(t, f), db)
	ana := "+573001234567"
	if c := s.post(t, whatsapp.InboundPath, inbound("SMlate000000000000000000000000001", ana, "hola")); c != http.StatusOK {
		t.Fatalf("inbound: %d", c)
	}
	deadline := time.Now().Add(4 * time.Minute)
	for sqlInt(t, db, `SELECT COUNT(*) FROM outbox WHERE state <> 'sent'`) != 0 || len(f.to(ana)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the greeting was not delivered; serve's log ends:\n%s", tail(s.stderr.String(), 6000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := sentOnce(t, db, f, ana); n != 2 {
		t.Errorf("%d messages; want the greeting's 2", n)
	}
	if !strings.Contains(s.stderr.String(), "reconciled an interrupted send") {
		t.Errorf("the late send was not reconciled")
	}
	t.Logf("sends per message: %d creates for %d messages", len(f.to(ana)), 2)
}

// openAIFake answers chat completions with answer, or hangs until the client
// gives up when answer is "".
func openAIFake(t *testing.T, answer string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body is read first: only then does the server notice a client
		// that gives up, and end a hanging request.
		_, _ = io.Copy(io.Discard, r.Body)
		if answer == "" {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-x", "object": "chat.completion", "created": time.Now().Unix(), "model": "gpt-4o-mini",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestServeFaultyModel: a model that hangs, and one that answers with a huge
// reply, through acuerdo serve on the shipped defaults (model timeouts and
// retries, the 30 s turn lease, the 45 s model budget). Either way the debtor
// gets one answer to the turn, within a minute: replies per turn = 1.
func TestServeFaultyModel(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for the model budget, 45 s")
	}
	for _, tc := range []struct {
		name, answer, want string
		messages           int
		settle             time.Duration // long enough for a second run of the turn to show
	}{
		// The menu engine's greeting; a second run would start when an
		// unrenewed 30 s lease lapsed and answer 45 s later.
		{"hangs", "", "últimos 4 dígitos", 2, 40 * time.Second},
		{"huge reply", strings.Repeat("Hola, Ana. ", 55_000), "una persona", 1, 10 * time.Second}, // 600 KB: the safe reply
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeTwilio(t)
			model := openAIFake(t, tc.answer)
			env := shippedEnv(t, f)
			env["ACUERDO_MODEL"], env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"] = "openai:gpt-4o-mini", model.URL+"/v1", "sk-test"
			db := importAna(t)
			s := startServe(t, env, db)
			ana := "+573001234567"
			start := time.Now()
			if c := s.post(t, whatsapp.InboundPath, inbound("SMmodel00000000000000000000000001", ana, "hola")); c != http.StatusOK {
				t.Fatalf("inbound: %d", c)
			}
			deadline := start.Add(3 * time.Minute)
			var first time.Duration
			for len(f.to(ana)) < tc.messages || !strings.Contains(f.to(ana)[len(f.to(ana))-1].Body, tc.want) {
				if first == 0 && len(f.to(ana)) > 0 {
					first = time.Since(start)
				}
				if time.Now().After(deadline) {
					t.Fatalf("no answer; serve's log ends:\n%s", tail(s.stderr.String(), 6000))
				}
				time.Sleep(100 * time.Millisecond)
			}
			if first == 0 {
				first = time.Since(start)
			}
			time.Sleep(tc.settle)
			if n := sentOnce(t, db, f, ana); n != tc.messages {
				t.Errorf("%d messages for one turn; want %d", n, tc.messages)
			}
			if first > time.Minute {
				t.Errorf("the debtor's first reply came after %v; want within a minute", first)
			}
			t.Logf("first reply after %v; %d messages, each sent once", first.Round(time.Second), tc.messages)
		})
	}
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }
