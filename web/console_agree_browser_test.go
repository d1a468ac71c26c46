package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"acuerdo/store"
	"acuerdo/web/internal/webtest"
)

// TestConsoleAgreementInBrowser is issue 13's walk in headless chromium: an
// operator takes a case and agrees a 3-installment plan (accepted; the
// debtor receives it at the Twilio fake; the creditor's API shows it), tries
// 24 (refused with the reason), adds a note (never sent) and transfers the
// case to a colleague, who inserts a canned response by its shortcut, sends
// it and closes the case. Screenshots at desktop and phone width go to the
// test's temporary directory (ACUERDO_SCREENSHOTS names another).
func TestConsoleAgreementInBrowser(t *testing.T) {
	shots := os.Getenv("ACUERDO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	r := newConsoleRig(t, consoleRigOptions{})
	ctx := context.Background()
	// The admin has written the team's greeting.
	admin := r.agent(t)
	admin.login(adminEmail)
	canned := "Hola, soy del equipo de cobranza. Ya tienes tu plan confirmado; cualquier duda, escríbeme."
	if _, _, h := admin.post("/console/canned", url.Values{"locale": {"es"}, "shortcut": {"saludo"}, "body": {canned}}); !strings.Contains(h.Get("Location"), "ok_saved") {
		t.Fatalf("canned: %q", h.Get("Location"))
	}

	root := webtest.Browser(t, 180*time.Second, chromedp.WindowSize(1440, 900))
	// after waits for the page a post redirected to (its notice key in the
	// URL): a flash of the page before could otherwise match.
	after := func(key string) chromedp.Action[chromedp.Void] {
		poll := chromedp.Poll[bool](`location.search.includes(`+"`"+key+"`"+`)`, chromedp.WithPollingTimeout(30*time.Second))
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			for attempt := 1; ; attempt++ {
				_, err := poll(ctx, tg)
				// A page being replaced loses its JavaScript context under
				// the poll; poll the new page.
				if err != nil && attempt < 5 && (strings.Contains(err.Error(), "context") || strings.Contains(err.Error(), "navigated")) && ctx.Err() == nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				return chromedp.Void{}, err
			}
		}
	}
	newBrowser := func() browserCtx {
		c, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		return browserCtx{t: t, ctx: c}
	}
	base := r.srv.URL
	casePage := fmt.Sprintf("%s/console/cases/%d", base, r.caseID)

	op := newBrowser()
	op.login(base, operatorEmail)
	op.shootIn(shots, "inbox-unread")
	op.do("open the case", chromedp.Click(fmt.Sprintf(`tr[data-case="%d"] a.who`, r.caseID)), chromedp.WaitVisible("#claim"))
	op.do("take it", chromedp.Click("#claim"), chromedp.WaitVisible("#reply"), chromedp.WaitVisible("#plan-form"))

	// A 3-installment plan: accepted, confirmed to the debtor, shown to the creditor.
	sent := len(r.tw.sent())
	op.do("plan of 3", chromedp.SendKeys("#installments", "3"), chromedp.Click("#agree-plan"), after("ok_agreed"), chromedp.WaitVisible("p.flash.ok"))
	if text := op.eval(`document.querySelector('p.flash.ok').innerText`); !strings.Contains(text, "Acuerdo registrado") {
		t.Errorf("after the plan: %q", text)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM plans WHERE status = 'accepted' AND installments = 3`); n != 1 {
		t.Fatalf("%d accepted 3-installment plans", n)
	}
	webtest.Eventually(t, "the plan's confirmation at the Twilio fake", func() bool {
		for _, m := range r.tw.sent()[sent:] {
			if strings.Contains(m, "un plan de 3 cuotas") {
				return true
			}
		}
		return false
	})
	key, _, err := r.db.CreateAPIKey(ctx, "browser-test", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/debtors/"+url.PathEscape(webtest.AnaPhone)+"/plans", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := webtest.ReadAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"accepted"`) {
		t.Errorf("the creditor's API: %d %s", resp.StatusCode, body)
	}
	op.shootIn(shots, "plan-accepted")

	// 24 installments: refused, the reason on the page.
	op.do("plan of 24", chromedp.SetValue("#installments", "24"), chromedp.Click("#agree-plan"), after("err_policy_plan_installments"), chromedp.WaitVisible("p.flash.bad"))
	if text := op.eval(`document.querySelector('p.flash.bad').innerText`); !strings.Contains(text, "un plan tiene de 2 a 12 cuotas") {
		t.Errorf("refusal says %q", text)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM plans`); n != 1 {
		t.Errorf("%d plans after the refusal, want 1", n)
	}
	op.shootIn(shots, "plan-refused")

	// A note: in the thread, never sent.
	note := "Prefiere que la llamen después de las 6 pm"
	op.do("note", chromedp.SendKeys("#note", note), chromedp.Click("#add-note"), after("ok_note"), chromedp.WaitVisible(".msg.note"))
	if text := op.eval(`document.getElementById('thread').innerText`); !strings.Contains(text, note) {
		t.Error("the note is not in the thread")
	}

	// Transfer to a colleague.
	colleague := fmt.Sprint(r.users[otherOpEmail].ID)
	op.do("transfer", chromedp.SetValue("#transfer-to", colleague), chromedp.Click("#transfer"), after("ok_transferred"), chromedp.WaitVisible("p.flash.ok"))
	if n := r.count(t, `SELECT COUNT(*) FROM cases WHERE id = ? AND assignee_id = ?`, r.caseID, r.users[otherOpEmail].ID); n != 1 {
		t.Fatal("the case did not go to the colleague")
	}

	// The colleague inserts the greeting by its shortcut, sends it and closes.
	other := newBrowser()
	other.login(base, otherOpEmail)
	other.do("open the case", chromedp.Navigate(casePage), chromedp.WaitVisible("#reply"))
	other.do("canned by shortcut", chromedp.Click("#reply"), chromedp.SendKeys("#reply", "/saludo"), chromedp.SendKeys("#reply", "\t"))
	if v := other.eval(`document.getElementById('reply').value`); v != canned {
		t.Fatalf("the reply box holds %q, want the canned response", v)
	}
	other.shootIn(shots, "canned")
	sent = len(r.tw.sent())
	other.do("send", chromedp.Click("#send"), after("ok_sent"), chromedp.WaitVisible("p.flash.ok"))
	webtest.Eventually(t, "the canned response at the Twilio fake", func() bool {
		for _, m := range r.tw.sent()[sent:] {
			if strings.Contains(m, canned) {
				return true
			}
		}
		return false
	})
	other.do("close", chromedp.WaitVisible("#close-form"), chromedp.SetValue(`#close-form select[name="state"]`, "RESUELTO"),
		chromedp.Click(`#close-form input[name="useful"][value="yes"]`), chromedp.Click("#close-case"), after("ok_closed"), chromedp.WaitVisible("p.flash.ok"))
	if n := r.count(t, `SELECT COUNT(*) FROM cases WHERE id = ? AND state = 'RESUELTO'`, r.caseID); n != 1 {
		t.Error("the case is not closed")
	}
	other.shootIn(shots, "closed")
	for _, m := range r.tw.sent() {
		if strings.Contains(m, "llamen después de las 6") {
			t.Errorf("the note reached the debtor: %q", m)
		}
	}
	files, _ := filepath.Glob(filepath.Join(shots, "console-*-phone.png"))
	if len(files) < 5 {
		t.Errorf("%d phone screenshots in %s", len(files), shots)
	}
	t.Logf("screenshots in %s", shots)
}
