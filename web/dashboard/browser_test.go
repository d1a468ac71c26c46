package dashboard_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"acuerdo/experiments"
	"acuerdo/pilot"
	"acuerdo/web/internal/webtest"
)

// TestDashboardInBrowser opens the dashboard in headless chromium the way an
// analyst does (token in the URL once, then the cookie), checks the page and
// its charts rendered under the real CSP, and downloads every export by
// clicking its link.
func TestDashboardInBrowser(t *testing.T) {
	srv := dashboardServer(t, simPilot(t, "p1", 300, 0), dashToken)
	ctx := webtest.Browser(t, 90*time.Second)
	yes := true

	dir := t.TempDir()
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/dashboard/p1?lang=en&token="+dashToken),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes})
			return err
		}),
		// WaitVisible's check does not apply to SVG elements; the box model
		// below shows the chart was laid out with a size.
		chromedp.WaitVisible("#lift"),
		chromedp.WaitReady("svg.km"),
	)
	if err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	banner, err := chromedp.Run(ctx, chromedp.Text("#srm"))
	if err != nil {
		t.Fatal(err)
	}
	// The page opens with the decision: the primary metric's verdict per arm,
	// the sequential reading and the guardrails, before anything else; the
	// exploratory segments and the sequential row follow.
	decision, err := chromedp.Run(ctx, chromedp.Text("#decision"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.querySelector('section').id"))
	if err != nil || first != "decision" {
		t.Errorf("the first section is %q (%v), want the decision summary", first, err)
	}
	for _, want := range []string{"Primary metric: Liquidation", "Treatment", "Sequential reading", "boundary"} {
		if !strings.Contains(decision, want) {
			t.Errorf("decision summary lacks %q:\n%s", want, decision)
		}
	}
	segs, err := chromedp.Run(ctx, chromedp.Text("#segments"))
	if err != nil || !strings.Contains(segs, "exploratory") || !strings.Contains(segs, "dpd_") {
		t.Errorf("segments section %q, %v", segs, err)
	}
	if lift, err := chromedp.Run(ctx, chromedp.Text("#lift")); err != nil || !strings.Contains(lift, "Share paid, sequential reading") {
		t.Errorf("lift table lacks the sequential row: %v", err)
	}
	box, err := chromedp.Run(ctx, chromedp.Dimensions("svg.km"))
	if err != nil || box.Width < 300 || box.Height < 150 {
		t.Errorf("chart box %+v, err %v: not rendered", box, err)
	}
	count := func(sel string) int {
		// The DOM's own count: DevTools evaluation is not subject to the
		// page's CSP, which allows no script.
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return n
	}
	curves, bands, links := count("svg.km path.curve"), count("svg.km path.band"), count("ul.dl a")
	if !strings.Contains(title, "pilot dashboard") || !strings.Contains(banner, "Sample ratio as planned") {
		t.Errorf("title %q, banner %q", title, banner)
	}
	if curves != 2 || bands != 2 {
		t.Errorf("%d curves and %d bands, want one of each per arm", curves, bands)
	}
	if links != len(pilot.Tables) {
		t.Fatalf("%d download links, want %d", links, len(pilot.Tables))
	}
	heads := map[string][]string{"messages": pilot.MessagesHeader, "llm_calls": pilot.LLMCallsHeader, "assignments": pilot.AssignmentsHeader, "debtor_outcomes": pilot.OutcomesHeader,
		"payments": pilot.PaymentsHeader, "results": experiments.Columns}
	for i, table := range pilot.Tables {
		// An event stream subscribes when made and ends at the first break,
		// so each download gets its own, made before the click.
		progress := chromedp.Events(ctx, browser.DownloadProgress)
		if err := chromedp.Do(ctx, chromedp.Click(fmt.Sprintf("ul.dl li:nth-child(%d) a", i+1))); err != nil {
			t.Fatal(err)
		}
		guid := ""
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("%s: download: %v", table, err)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				guid = ev.GUID
				break
			}
		}
		f, err := os.Open(filepath.Join(dir, guid))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(recs) < 2 || !slices.Equal(recs[0], heads[table]) {
			t.Errorf("%s download: %d records, header %v, err %v", table, len(recs), recs, err)
		}
	}
}
