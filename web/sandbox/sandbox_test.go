package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"acuerdo/web/internal/webtest"
	"acuerdo/web/sandbox"
)

func TestSandboxOnlyInDemo(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{NoEngine: true})
	resp := webtest.Must(r.Srv.Client().Get(r.Srv.URL + "/sandbox"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/sandbox without --demo: %d, want 404", resp.StatusCode)
	}
}

func TestSandboxPage(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{NoEngine: true, Sandbox: true,
		Debtors: "CR-1,3001234567,Ana Pérez,1020304050\nCR-2,3001234568,<img src=x onerror=alert(1)>,99887766\n"})
	get := func(query, acceptLang string) (int, string, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, r.Srv.URL+"/sandbox"+query, nil)
		if acceptLang != "" {
			req.Header.Set("Accept-Language", acceptLang)
		}
		resp := webtest.Must(r.Srv.Client().Do(req))
		return resp.StatusCode, webtest.ReadAll(t, resp), resp.Header
	}
	code, page, h := get("", "")
	if code != http.StatusOK || !strings.Contains(page, "Elige a quién representar") || !strings.Contains(page, "Ana Pérez") {
		t.Fatalf("picker: %d\n%s", code, page)
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("no restrictive CSP: %q", h.Get("Content-Security-Policy"))
	}
	if strings.Contains(page, "3001234567") {
		t.Error("the picker shows a full phone number")
	}
	if strings.Contains(page, "<img src=x") || !strings.Contains(page, "&lt;img src=x") {
		t.Error("a debtor's name was not escaped")
	}
	if !strings.Contains(page, "Documento termina en 4050") {
		t.Error("no identity hint for the tester")
	}
	for _, c := range []struct{ query, accept, want string }{
		{"", "pt-BR,pt;q=0.9,en;q=0.8", "Escolha quem representar"},
		{"", "fr-FR, en;q=0.5", "Pick who to be"},
		{"?lang=en", "pt-BR", "Pick who to be"},
		{"?lang=xx", "de", "Elige a quién representar"},
	} {
		if _, p, _ := get(c.query, c.accept); !strings.Contains(p, c.want) {
			t.Errorf("lang %q / Accept-Language %q: want %q", c.query, c.accept, c.want)
		}
	}
	// The chosen debtor's name and phone go into the page's script as JS strings.
	_, page, _ = get("?debtor=2", "")
	if !strings.Contains(page, `const phone = "+573001234568"`) || strings.Contains(page, "<img src=x") {
		t.Errorf("chat page for the hostile name is not escaped:\n%s", page)
	}
	if _, page, _ = get("?debtor=unknown", "en"); !strings.Contains(page, `const phone = "`+sandbox.UnknownNumber+`"`) {
		t.Error("the unknown-number chat is missing")
	}
}

type thread struct {
	Messages []struct {
		ID        int64  `json:"id"`
		Direction string `json:"direction"`
		Author    string `json:"author"`
		Body      string `json:"body"`
		Status    string `json:"status"`
	} `json:"messages"`
}

func TestSandboxChat(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{Sandbox: true})
	send := func(phone, text, ct string) int {
		b, _ := json.Marshal(map[string]string{"phone": phone, "text": text})
		resp := webtest.Must(r.Srv.Client().Post(r.Srv.URL+"/sandbox/api/send", ct, strings.NewReader(string(b))))
		resp.Body.Close()
		return resp.StatusCode
	}
	messages := func(phone string, after int64) thread {
		resp := webtest.Must(r.Srv.Client().Get(r.Srv.URL + "/sandbox/api/messages?phone=" + url.QueryEscape(phone) + "&after=" + strconv.FormatInt(after, 10)))
		var th thread
		if err := json.NewDecoder(resp.Body).Decode(&th); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return th
	}
	if c := send(webtest.AnaPhone, "hola <script>", "application/json"); c != http.StatusAccepted {
		t.Fatalf("send: %d", c)
	}
	var th thread
	webtest.Eventually(t, "the agent's replies in the sandbox", func() bool {
		th = messages(webtest.AnaPhone, 0)
		return len(th.Messages) >= 3 // hola, the greeting, the identity question
	})
	if m := th.Messages[0]; m.Direction != "inbound" || m.Body != "hola <script>" {
		t.Errorf("first message = %+v", m)
	}
	for _, m := range th.Messages[1:] {
		if m.Direction != "outbound" || m.Author != "bot" || m.Status != "delivered" {
			t.Errorf("reply = %+v, want a delivered bot message", m)
		}
	}
	if len(r.WA.Sent()) != 0 {
		t.Error("a sandbox reply went to WhatsApp")
	}
	if later := messages(webtest.AnaPhone, th.Messages[len(th.Messages)-1].ID); len(later.Messages) != 0 {
		t.Errorf("after the last id: %+v", later)
	}
	// The identity check passes with the hint the picker shows.
	send(webtest.AnaPhone, "4050", "application/json")
	webtest.Eventually(t, "verification", func() bool {
		return r.Count(t, `SELECT COUNT(*) FROM conversations WHERE channel = 'sandbox' AND verified`) == 1
	})

	for _, c := range []struct {
		phone, text, ct string
		want            int
	}{
		{webtest.AnaPhone, "hola", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"3001234567", "hola", "application/json", http.StatusBadRequest},
		{webtest.AnaPhone, "   ", "application/json", http.StatusBadRequest},
		{webtest.AnaPhone, strings.Repeat("a", 4097), "application/json", http.StatusBadRequest},
	} {
		if got := send(c.phone, c.text, c.ct); got != c.want {
			t.Errorf("send(%q, %d chars, %s) = %d, want %d", c.phone, len(c.text), c.ct, got, c.want)
		}
	}
	resp := webtest.Must(r.Srv.Client().Get(r.Srv.URL + "/sandbox/api/messages?phone=nope"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("messages of a bad phone: %d", resp.StatusCode)
	}
}

// TestSandboxReceipt: a receipt attached in the sandbox reaches the agent as
// WhatsApp media would, stored at once (nothing to download), and lands on
// the payment report's case; files that are not images or PDFs are refused.
func TestSandboxReceipt(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{Sandbox: true})
	send := func(text string, data []byte) int {
		body := map[string]any{"phone": webtest.AnaPhone, "text": text}
		if data != nil {
			body["attachment"] = map[string]any{"name": "comprobante.pdf", "data": data}
		}
		b, _ := json.Marshal(body)
		resp := webtest.Must(r.Srv.Client().Post(r.Srv.URL+"/sandbox/api/send", "application/json", strings.NewReader(string(b))))
		resp.Body.Close()
		return resp.StatusCode
	}
	pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	for _, c := range []struct {
		name string
		data []byte
		want int
	}{
		{"an executable", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), http.StatusUnsupportedMediaType},
		{"HTML", []byte("<html><script>alert(1)</script></html>"), http.StatusUnsupportedMediaType},
		{"over 5 MB", append(append([]byte{}, pdf...), make([]byte, 5<<20)...), http.StatusBadRequest},
	} {
		if got := send("", c.data); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if n := r.Count(t, `SELECT COUNT(*) FROM media`); n != 0 {
		t.Fatalf("refused files stored: %d", n)
	}
	send("hola", nil)
	send("4050", nil)
	webtest.Eventually(t, "verification", func() bool {
		return r.Count(t, `SELECT COUNT(*) FROM conversations WHERE channel = 'sandbox' AND verified`) == 1
	})
	if c := send("ya pagué, te mando el comprobante", pdf); c != http.StatusAccepted {
		t.Fatalf("send with a receipt: %d", c)
	}
	webtest.Eventually(t, "the receipt on a payment report", func() bool {
		return r.Count(t, `SELECT COUNT(*) FROM media m JOIN cases k ON k.id = m.case_id
			WHERE m.content_type = 'application/pdf' AND length(m.data) > 0 AND k.reason = 'payment_report'`) == 1
	})
}
