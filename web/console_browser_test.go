package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"acuerdo/web/internal/webtest"
)

// screenshotDir is where the browser test leaves its screenshots for people
// to look at (git-ignored).
var screenshotDir = filepath.Join("..", "testoutput")

// browserCtx is one headless browser with its own cookies.
type browserCtx struct {
	t   *testing.T
	ctx context.Context
}

func (b browserCtx) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b browserCtx) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func (b browserCtx) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// login signs in through the form, as a person does.
func (b browserCtx) login(base, email string) {
	b.t.Helper()
	b.do("login "+email,
		chromedp.Navigate(base+"/console/login?lang=es"),
		chromedp.WaitVisible("#login"),
		chromedp.SendKeys(`input[name="email"]`, email),
		chromedp.SendKeys(`input[name="password"]`, consolePassword),
		chromedp.Click(`#login button[type="submit"]`),
		chromedp.WaitVisible("#inbox-rows"),
	)
}

// shoot saves full-page screenshots of the current page at desktop and phone
// widths.
func (b browserCtx) shoot(name string) {
	b.t.Helper()
	b.shootIn(screenshotDir, name)
}

// shootIn is shoot into dir.
func (b browserCtx) shootIn(dir, name string) {
	b.t.Helper()
	for _, vp := range []struct {
		suffix string
		w, h   int64
		mobile bool
	}{{"desktop", 1440, 900, false}, {"phone", 390, 844, true}} {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if vp.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		b.do("viewport", chromedp.EmulateViewport(vp.w, vp.h, opts...))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("console-%s-%s.png", name, vp.suffix)), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("viewport back", chromedp.EmulateViewport(1440, 900))
}

// TestConsoleInBrowser drives the console in headless chromium: admin and
// operator sign in, the operator is refused the admin pages by the server,
// claims a case, replies (the reply reaches the Twilio fake), sees a new
// debtor message arrive without reloading and hands the case back; a
// debtor's <script> stays text; a post without the CSRF token is refused; a
// second sign-in ends the first session. It leaves screenshots in testoutput/.
func TestConsoleInBrowser(t *testing.T) {
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := newConsoleRig(t, consoleRigOptions{budget: 1000})
	// A debtor who writes markup gets it shown as text, never run.
	r.inbound(t, webtest.AnaPhone, "SMana0xss", `<script>window.__xss = 1</script> ¿me pueden ayudar? no puedo pagar este mes`)
	webtest.Eventually(t, "the message stored", func() bool {
		return r.count(t, `SELECT COUNT(*) FROM messages WHERE provider_id = 'SMana0xss'`) == 1
	})
	// A second escalation and a payment report make the inbox look like a day's work.
	r.inbound(t, "+573007654321", "SMluis0001", "quiero hablar con un asesor, tengo un reclamo")
	webtest.Eventually(t, "Luis's case", func() bool { return r.count(t, `SELECT COUNT(*) FROM cases`) == 2 })

	root := webtest.Browser(t, 150*time.Second, chromedp.WindowSize(1440, 900))
	newBrowser := func() browserCtx {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		return browserCtx{t: t, ctx: ctx}
	}
	base := r.srv.URL

	// The admin signs in and reaches the users page.
	admin := newBrowser()
	admin.do("sign-in page", chromedp.Navigate(base+"/console/login?lang=es"), chromedp.WaitVisible("#login"))
	admin.shoot("login")
	admin.login(base, adminEmail)
	admin.do("users page", chromedp.Navigate(base+"/console/users"), chromedp.WaitVisible("#new-user"))
	admin.shoot("users")

	// The operator signs in; the server itself refuses the admin pages.
	op := newBrowser()
	op.login(base, operatorEmail)
	if n := op.eval(`String(document.querySelectorAll('nav.main a[href="/console/users"]').length)`); n != "0" {
		t.Errorf("the operator sees %s links to users", n)
	}
	resp, err := chromedp.Run(op.ctx, chromedp.NavigateResponse(base+"/console/users"))
	if err != nil || resp.Status != 403 {
		t.Fatalf("operator on /console/users: %v %v, want 403", resp, err)
	}
	if text := op.eval(`document.body.innerText`); !strings.Contains(text, "No tienes permiso") {
		t.Errorf("403 page says %q", text)
	}

	op.do("inbox", chromedp.Navigate(base+"/console/inbox"), chromedp.WaitVisible("#inbox-rows"))
	op.shoot("inbox")
	op.do("open the case", chromedp.Click(fmt.Sprintf(`tr[data-case="%d"] a.who`, r.caseID)), chromedp.WaitVisible("#claim"))
	if v := op.eval(`String(window.__xss)`); v != "undefined" {
		t.Errorf("debtor's script ran: window.__xss = %s", v)
	}
	if text := op.eval(`document.getElementById('thread').innerText`); !strings.Contains(text, "<script>window.__xss = 1</script>") {
		t.Errorf("debtor's markup not shown as text: %q", text)
	}
	// A form post without the session's CSRF token is refused.
	if code := op.eval(fmt.Sprintf(`fetch('/console/cases/%d/claim', {method: 'POST', credentials: 'same-origin'}).then(r => String(r.status))`, r.caseID)); code != "403" {
		t.Errorf("post without CSRF token: %s, want 403", code)
	}

	op.do("claim", chromedp.Click("#claim"), chromedp.WaitVisible("#reply"))
	before := len(r.tw.sent())
	reply := "Hola Ana, soy Olga del equipo. Veamos juntas una opción para este mes."
	// The flash only exists on the page the post redirects to: waiting for
	// #reply alone could match the old page and poll a page being replaced.
	op.do("reply", chromedp.SendKeys("#reply", reply), chromedp.Click("#send"), chromedp.WaitVisible("p.flash.ok"), chromedp.WaitVisible("#reply"))
	webtest.Eventually(t, "the reply at the Twilio fake", func() bool { return len(r.tw.sent()) > before })
	if got := r.tw.sent()[before]; got != "whatsapp:"+webtest.AnaPhone+"|"+reply+"|" {
		t.Errorf("Twilio got %q", got)
	}
	// The debtor answers; the open page shows it without a reload.
	r.inbound(t, webtest.AnaPhone, "SMana0003", "Gracias Olga, ¿puedo pagar la mitad el viernes?")
	for attempt := 1; ; attempt++ {
		_, err := chromedp.Run(op.ctx, chromedp.Poll[bool](`document.getElementById('thread').innerText.includes('pagar la mitad el viernes')`,
			chromedp.WithPollingTimeout(20*time.Second)))
		if err == nil {
			break
		}
		// A page still settling after the redirect loses its JavaScript
		// context under the poll; poll the settled page again.
		if attempt < 3 && strings.Contains(err.Error(), "Cannot find context") {
			continue
		}
		t.Fatalf("new message did not appear without reloading: %v", err)
	}
	op.shoot("case")

	op.do("hand back", chromedp.Click("#handback"), chromedp.WaitVisible("#bot-state.active"))
	if n := r.count(t, `SELECT COUNT(*) FROM conversations WHERE id = ? AND paused = FALSE`, r.convID); n != 1 {
		t.Error("the bot was not given the conversation back")
	}

	// The same operator signs in elsewhere: the first browser is signed out.
	elsewhere := newBrowser()
	elsewhere.login(base, operatorEmail)
	op.do("reload", chromedp.Navigate(base+"/console/inbox"), chromedp.WaitVisible("#login"))
	if loc := op.location(); !strings.Contains(loc, "/console/login") {
		t.Errorf("first session still in: %s", loc)
	}
	admin.do("contacts", chromedp.Navigate(base+"/console/contacts"), chromedp.WaitVisible("table.contacts"))
	admin.shoot("contacts")
}
